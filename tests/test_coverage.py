"""``pytest --cov`` sees the workflow code the replays run (in the replay worker process), when
coverage.py measures subprocesses as it does for any test that starts one: with
``[run] patch = subprocess`` (pytest-cov 7), or always (pytest-cov before 7)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

import replaycheck._worker_session as supervision
import replaycheck.replay as engine
from tests.conftest import NONDETERMINISTIC, REPO, install_into
from tests.test_plugin import make_project, xdist_args  # noqa: F401 - a fixture

pytest_plugins = ["pytester"]
WORKFLOWS = REPO / "examples" / "provisioning" / "workflows.py"


def covered_lines(pytester: pytest.Pytester, *args: str, pytest_cov: str = "7.") -> set[int]:
    """Lines of the example's workflow module that the run covered (a run in a fresh
    process: coverage measures the whole process), with pytest-cov of that version."""
    pytester.makeconftest(
        "import pytest_cov\n"
        "def pytest_report_header():\n"
        "    return f'pytest-cov {pytest_cov.__version__}'\n"
    )
    result = pytester.runpytest_subprocess(
        "--cov=examples.provisioning", "--cov-report=json:cov.json", "-p", "no:randomly", *args
    )
    result.assert_outcomes(passed=14)
    result.stdout.fnmatch_lines([f"pytest-cov {pytest_cov}*"])
    files = json.loads((pytester.path / "cov.json").read_text())["files"]
    (entry,) = [v for k, v in files.items() if k.endswith("provisioning/workflows.py")]
    return set(entry["executed_lines"])


def body_of_run() -> int:
    """The first line of the workflow's run method body: only a replay executes it."""
    lines = WORKFLOWS.read_text().splitlines()
    run = next(i for i, line in enumerate(lines) if "async def run(" in line)
    return run + 2  # 1-based line numbers, the line after the def


def test_replays_count_in_coverage_measured_in_subprocesses(
    pytester: pytest.Pytester, xdist_args: list[str]  # noqa: F811
) -> None:
    make_project(pytester)
    pytester.makeini("[pytest]\n")
    (pytester.path / ".coveragerc").write_text("[run]\npatch = subprocess\n")
    assert body_of_run() in covered_lines(pytester, *xdist_args)


@pytest.fixture(scope="module")
def pytest_cov_6(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory whose sitecustomize puts pytest-cov 6.3 (installed from the index) first,
    its ``.pth`` file included: before 7, pytest-cov started coverage in every subprocess."""
    target = install_into(tmp_path_factory.mktemp("pytest-cov-6"), "pytest-cov==6.3.0")
    hook = tmp_path_factory.mktemp("site-hook")
    (hook / "sitecustomize.py").write_text(
        "import site, sys\n"
        f"sys.path.insert(0, {str(target)!r})\n"
        f"site.addsitedir({str(target)!r})  # its .pth file, which imports pytest_cov\n"
    )
    return hook


def test_pytest_cov_6_measures_the_replays_without_configuration(
    pytester: pytest.Pytester,
    xdist_args: list[str],  # noqa: F811
    pytest_cov_6: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Under xdist it tells subprocesses to measure only at session start: the replay worker
    # starts then, not at configure.
    make_project(pytester)
    pytester.makeini("[pytest]\n")
    path = os.pathsep.join(filter(None, [str(pytest_cov_6), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)
    assert body_of_run() in covered_lines(pytester, *xdist_args, pytest_cov="6.3.0")


def idle_and_busy_workers(monkeypatch: pytest.MonkeyPatch) -> tuple[int | None, int | None]:
    """How an idle worker and a busy one end when the session closes: their exit codes."""
    monkeypatch.setenv("REPLAYCHECK_TEST_HANG", "120")
    job = engine.ReplayJob(paths=(), workflows=("tests.workflows.misbehaving:HangingSayHello",),
                           import_paths=(str(REPO),), timeout=100)  # fmt: skip
    codes = []
    for busy in (False, True):
        session = engine.WorkerSession(job)
        session.start()
        if busy:
            session.submit(0, str(NONDETERMINISTIC))  # hangs in its replay
            time.sleep(1)
        proc = session.proc
        assert proc is not None
        session.close()
        codes.append(proc.returncode)
    return codes[0], codes[1]


def test_an_idle_worker_leaves_by_itself_when_coverage_measures_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(supervision, "measured_by_coverage", lambda: True)
    # Idle, it gets the end of its input and exits (saving coverage's data); busy (pytest -x,
    # Ctrl-C) it is killed at once, not waited for.
    assert idle_and_busy_workers(monkeypatch) == (0, -signal.SIGKILL)


def test_workers_are_killed_at_once_when_coverage_does_not_measure_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COVERAGE_PROCESS_CONFIG", raising=False)
    monkeypatch.delenv("COVERAGE_PROCESS_START", raising=False)
    assert idle_and_busy_workers(monkeypatch) == (-signal.SIGKILL, -signal.SIGKILL)
