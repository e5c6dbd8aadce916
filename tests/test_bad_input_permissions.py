"""Paths the user may not read or write: each is named with what to do, exit status 2 from the
command line, a failing item (or a usage error) from pytest, never a traceback.

The tests run as root in CI containers, and root reads any file whatever its mode. So the
command under test runs without the two capabilities that let root pass permission checks
(``setpriv --bounding-set``, or ``capsh --drop``), which denies it as any user is denied; run
as another user, ``chmod`` alone denies. No mechanism is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO

pytest_plugins = ["pytester"]

CAPS = "cap_dac_override,cap_dac_read_search"
WORKFLOWS = "examples.provisioning.workflows"


def unprivileged(argv: Sequence[str]) -> list[str]:
    """``argv`` run so that file permissions apply to it, as they do to any user."""
    if os.geteuid() != 0:
        return list(argv)
    if shutil.which("setpriv"):
        drop = ",".join(f"-{cap.removeprefix('cap_')}" for cap in CAPS.split(","))
        return ["setpriv", "--bounding-set", drop, *argv]
    if shutil.which("capsh"):
        return ["capsh", f"--drop={CAPS}", f"--shell={argv[0]}", "--", *argv[1:]]
    pytest.fail("running as root without setpriv or capsh: nothing can deny a permission")


def run(argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    return subprocess.run(
        unprivileged(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A project whose histories are the repository's TenantProvisioning ones; every mode is
    given back at the end, so that pytest can remove it."""
    shutil.copytree(FIXTURES / "TenantProvisioning", tmp_path / "histories")
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nhistories = ["histories"]\nworkflows = ["{WORKFLOWS}"]\n'
    )
    tmp_path.chmod(0o755)
    yield tmp_path
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def deny(path: Path, mode: int = 0, test: str = "-r") -> None:
    """Give ``path`` ``mode``, and check that it denies the command under test (``test -r``:
    reading it)."""
    path.chmod(mode)
    if run(["test", test, str(path)], path.parent).returncode == 0:
        pytest.fail(f"{path} (mode {mode:o}) passes test {test} for {unprivileged(['cmd'])}")


def check(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "replaycheck", "check", *args], project)


def test_a_history_file_that_cannot_be_read_names_the_fix(project: Path) -> None:
    locked = project / "histories" / "prov-acme-completed.json"
    deny(locked)
    result = check(project)
    assert result.returncode == 2, result.stderr
    assert (
        "cannot read the file (Permission denied); fix its permissions (and those of the "
        "directories above it), or run as a user who can read it" in result.stdout
    )
    assert "10 histories: 9 ok, 0 nondeterministic, 1 error" in result.stdout  # none lost
    assert "Traceback" not in result.stdout + result.stderr


LISTING_FIX = (
    "cannot read the directory (Permission denied); its histories are left out: fix its "
    "permissions (and those of the directories above it), run as a user who can list it, or "
    "leave it out of the paths"
)


FOLDER_HINT = (
    "The folder that could not be listed left its histories unchecked: fix the reason shown "
    "and run again."
)


def locked_folder(project: Path) -> Path:
    """A folder of histories under the configured path that the command may not list."""
    locked = project / "histories" / "more"
    locked.mkdir()
    shutil.copy(FIXTURES / "NotifyTenant" / "prov-acme-completed-notify.json", locked)
    deny(locked)
    return locked


def test_a_history_directory_that_cannot_be_listed_is_an_error_and_the_rest_is_checked(
    project: Path,
) -> None:
    locked = locked_folder(project)
    result = check(project)
    assert result.returncode == 2, result.stderr  # as for any error verdict
    assert f"ERROR histories/more\n      {LISTING_FIX}\n" in result.stdout
    # none lost, and the folder is counted as what it is: an error, but no history
    counts = "10 histories and 1 folder that could not be listed: 10 ok, 0 nondeterministic"
    assert f"{counts}, 1 error\n" in result.stdout
    # no history failed to replay: the folder's histories went unread
    assert result.stdout.splitlines()[-1] == FOLDER_HINT
    assert result.stderr == ""
    doc = json.loads(check(project, "--format", "json").stdout)
    (error,) = [r for r in doc["results"] if r["verdict"] != "ok"]
    assert (error["path"], error["verdict"], error["message"]) == (
        str(locked), "error", LISTING_FIX
    )  # fmt: skip
    assert doc["summary"] == {"ok": 10, "nondeterministic": 0, "error": 1}  # of the results
    summary = project / "summary.md"
    github = run(["env", f"GITHUB_STEP_SUMMARY={summary}", sys.executable, "-m", "replaycheck",
                  "check", "--format", "github"], project)  # fmt: skip
    assert f"{counts}, 1 error\n" in github.stdout
    assert github.stdout.splitlines()[-1] == FOLDER_HINT
    assert summary.read_text().startswith(
        "### replaycheck: 10 histories and 1 folder that could not be listed, 10 ok, "
        "0 nondeterministic, 1 error\n"
    )


def test_a_configured_history_directory_that_cannot_be_listed_is_an_error(project: Path) -> None:
    deny(project / "histories")
    result = check(project)
    assert result.returncode == 2, result.stderr
    assert f"ERROR histories\n      {LISTING_FIX}\n" in result.stdout
    counts = "0 histories and 1 folder that could not be listed: 0 ok, 0 nondeterministic"
    assert f"{counts}, 1 error\n" in result.stdout


def test_a_pyproject_that_cannot_be_read_names_the_fix(project: Path) -> None:
    deny(project / "pyproject.toml")
    result = check(project)
    assert result.returncode == 2
    assert result.stderr == (
        f"replaycheck: error: {project / 'pyproject.toml'}: cannot read it (Permission denied); "
        "fix its permissions (and those of the directories above it), or run as a user who can "
        "read it.\n"
    )


@pytest.mark.server
@pytest.mark.parametrize("below", ["out", "out/new"])
def test_an_export_directory_that_cannot_be_written_names_the_fix(
    project: Path, dev_server: object, below: str
) -> None:
    from temporalio.testing import WorkflowEnvironment

    assert isinstance(dev_server, WorkflowEnvironment)
    (project / "out").mkdir()
    deny(project / "out", 0o555, "-w")
    address = dev_server.client.service_client.config.target_host
    query = 'WorkflowType = "TenantProvisioning"'
    argv = [sys.executable, "-m", "replaycheck", "export", "--address", address,
            "--query", query, "-o", str(project / below)]  # fmt: skip
    result = run(argv, project)
    assert result.returncode == 2
    assert result.stderr.startswith("replaycheck: error: cannot write ")
    assert result.stderr.endswith(
        f"(Permission denied); make {project / 'out'} writable (fix its permissions), run as a "
        "user who can write to it, or give -o another directory.\n"
    )
    assert list((project / "out").iterdir()) == []


def pytest_run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], project)


def test_pytest_fails_the_item_of_a_history_file_that_cannot_be_read(project: Path) -> None:
    deny(project / "histories" / "prov-acme-completed.json")
    result = pytest_run(project, "-n", "0")
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "FAILED histories/prov-acme-completed.json::replay - error: " in result.stdout
    assert (
        "cannot read the file (Permission denied); fix its permissions (and those of the "
        "directories above it), or run as a user who can read it" in result.stdout
    )
    assert "1 failed, 9 passed" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("workers", ["0", "2"])
def test_pytest_fails_the_item_of_a_history_directory_that_cannot_be_listed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    shutil.copytree(FIXTURES / "TenantProvisioning", pytester.path / "histories")
    pytester.makepyprojecttoml(
        f'[tool.replaycheck]\nhistories = ["histories"]\nworkflows = ["{WORKFLOWS}"]\n'
    )
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    locked = locked_folder(pytester.path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO / "src"), str(REPO)]))
    try:
        result = pytester.run(*unprivileged(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", workers]
        ))  # fmt: skip
    finally:
        locked.chmod(0o755)  # so that pytest can remove it
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines(["ERROR histories/more", f"      {LISTING_FIX}"])
    result.stdout.fnmatch_lines(
        ["FAILED histories/more::replay - error: cannot read the directory*"]
    )
    result.assert_outcomes(passed=11, failed=1)  # the other histories and the unit test ran
    result.stdout.fnmatch_lines(
        ["10 histories and 1 folder that could not be listed: 10 ok, 0 nondeterministic, 1 error"]
    )
    result.stdout.fnmatch_lines([FOLDER_HINT.replace(" and run", ", then run")])
    assert "could not be replayed" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_pytest_names_the_fix_for_a_pyproject_it_cannot_read(project: Path) -> None:
    """pytest itself reads the pyproject.toml beside its ini file (and fails with a traceback
    before any plugin loads); with ``-c`` naming another ini file, replaycheck reads it."""
    (project / "ci").mkdir()
    (project / "ci" / "pytest.ini").write_text("[pytest]\n")
    deny(project / "pyproject.toml")
    result = pytest_run(project, "-c", "ci/pytest.ini", "--rootdir", ".", "histories")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.strip() == (
        f"ERROR: replaycheck: {project / 'pyproject.toml'}: cannot read it (Permission "
        "denied); fix its permissions (and those of the directories above it), or run as a "
        "user who can read it."
    )
