"""``workflow_failure_exception_types``: the exceptions a worker fails the workflow on.

Histories come from the session's dev server (``tests/workflows/record_failure_types.py``): a
worker made with ``workflow_failure_exception_types=[ValueError, OutOfStock]`` failed three
executions (``ValueError``, the project's own ``OutOfStock``, and ``ValueError`` declared with
``@workflow.defn(failure_exception_types=...)``). Verdicts stay temporalio's ``Replayer``'s;
without the setting, the error names it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from replaycheck.cli import main
from tests.conftest import REPO
from tests.raw_replay import MARK
from tests.test_check import run

pytestmark = pytest.mark.server
pytest_plugins = ["pytester"]

MODULE = "tests.workflows.failure_types"
OUT_OF_STOCK = "tests.workflows.failure_errors:OutOfStock"


def verdicts(args: list[str], histories: Path) -> dict[str, dict[str, object]]:
    """``check --format json`` on ``histories``: each result by workflow id."""
    result = run("-w", MODULE, "--format", "json", *args, str(histories))
    assert result.exit_code in (0, 2), result.stderr
    return {str(r["workflow_id"]): r for r in json.loads(result.stdout)["results"]}


def raw(histories: Path, *failure_types: str) -> dict[str, str]:
    """temporalio's plain ``Replayer`` (``tests/raw_replay.py``): verdict by workflow id."""
    option = ["--failure-types", ",".join(failure_types)] if failure_types else []
    paths = sorted(str(p) for p in histories.glob("*.json"))
    done = subprocess.run(
        [sys.executable, str(REPO / "tests" / "raw_replay.py"), *option, MODULE, *paths],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (line,) = [x for x in done.stdout.splitlines() if x.startswith(MARK)]
    found = json.loads(line.removeprefix(MARK))[MODULE]
    return {Path(p).stem: r["verdict"] for p, r in found.items()}


def test_without_the_setting_the_error_says_the_worker_failed_the_workflow(
    failure_type_histories: Path,
) -> None:
    found = verdicts([], failure_type_histories)
    assert {i: r["verdict"] for i, r in found.items()} == raw(failure_type_histories) == {
        "value-error": "error", "out-of-stock": "error", "declared": "ok",
    }  # fmt: skip
    message = str(found["value-error"]["message"])
    assert message.startswith(
        "the workflow code raised ValueError at tests/workflows/failure_types.py:"
    )
    assert message.endswith(
        ": sku-42 is sold out; the history failed the workflow on this ValueError (event 11), so "
        "the worker that ran it fails workflows on ValueError and this replay does not: set "
        'workflow_failure_exception_types = ["ValueError"] under [tool.replaycheck] as your '
        "worker has it (or pass --failure-exception-type ValueError; in pytest, "
        "--replaycheck-failure-exception-type ValueError), or declare it with "
        "@workflow.defn(failure_exception_types=[ValueError])"
    )
    assert "retry it until the code is fixed" not in message
    own = str(found["out-of-stock"]["message"])
    assert f'workflow_failure_exception_types = ["{OUT_OF_STOCK}"]' in own
    text = run("-w", MODULE, str(failure_type_histories))
    assert text.exit_code == 2
    assert " ".join(text.stdout.split()).count("so the worker that ran it fails workflows on") == 2


def test_from_python_the_error_names_override(failure_type_histories: Path) -> None:
    # It said "(or pass --failure-exception-type ValueError; in pytest, ...)": options a
    # Python caller does not have.
    from replaycheck import check, load_settings

    settings = load_settings(REPO).override(workflows=[MODULE])
    found = {v.workflow_id: v.message for v in check(settings, failure_type_histories)}
    assert found["value-error"].endswith(
        'set workflow_failure_exception_types = ["ValueError"] under [tool.replaycheck] as your '
        'worker has it (or override(workflow_failure_exception_types=["ValueError"])), or '
        "declare it with @workflow.defn(failure_exception_types=[ValueError])"
    ), found["value-error"]


def test_with_the_workers_setting_every_history_replays(
    failure_type_histories: Path, tmp_path: Path
) -> None:
    flags = ["--failure-exception-type", "ValueError", "--failure-exception-type", OUT_OF_STOCK]
    found = verdicts(flags, failure_type_histories)
    expected = raw(failure_type_histories, "builtins:ValueError", OUT_OF_STOCK)
    assert {i: r["verdict"] for i, r in found.items()} == expected
    assert set(expected.values()) == {"ok"}
    # [Exception], as many teams' workers have it, covers both
    assert {r["verdict"] for r in verdicts(["--failure-exception-type", "Exception"],
                                           failure_type_histories).values()} == {"ok"}  # fmt: skip
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["{MODULE}"]\npythonpath = ["{REPO}"]\n'
        f'histories = ["{failure_type_histories}"]\n'
        f'workflow_failure_exception_types = ["ValueError", "{OUT_OF_STOCK}"]\n'
    )
    result = run(cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert "3 histories: 3 ok" in result.stdout
    patches = CliRunner().invoke(
        main, ["patches", "-w", MODULE, "--failure-exception-type", "Exception",
               str(failure_type_histories)],
    )  # fmt: skip
    assert patches.exit_code == 0, patches.stderr
    assert "(replay: 3 ok)" in patches.stdout


def test_the_pytest_plugin_takes_the_setting_from_the_ini_or_the_option(
    pytester: pytest.Pytester, failure_type_histories: Path
) -> None:
    shutil.copytree(failure_type_histories, pytester.path / "histories")
    pytester.makefile(".toml", pyproject=f"""
        [tool.replaycheck]
        histories = ["histories"]
        workflows = ["{MODULE}"]
        pythonpath = ["{REPO}"]
    """)  # fmt: skip
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=2)
    said = " ".join(result.stdout.str().split())
    assert (  # nothing but the table gave the setting: it alone is named
        'set workflow_failure_exception_types = ["ValueError"] under [tool.replaycheck] as '
        "your worker has it, or declare it" in said
    ), said
    result = pytester.runpytest_subprocess("--replaycheck-failure-exception-type=KeyError")
    result.assert_outcomes(passed=1, failed=2)
    said = " ".join(result.stdout.str().split())
    assert (
        "as your worker has it (or --replaycheck-failure-exception-type ValueError), or "
        "declare it" in said
    ), said
    assert "--failure-exception-type ValueError;" not in said
    pytester.makeini(
        f"[pytest]\nreplaycheck_workflow_failure_exception_types =\n    ValueError\n"
        f"    {OUT_OF_STOCK}\n"
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=3)
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess("--replaycheck-failure-exception-type=Exception")
    result.assert_outcomes(passed=3)
    result = pytester.runpytest_subprocess("--replaycheck-failure-exception-type=a.b.OutOfStock")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "*--replaycheck-failure-exception-type: 'a.b.OutOfStock' names no class; write it as "
        "'a.b:OutOfStock' (module:Class).*"
    ])  # fmt: skip
