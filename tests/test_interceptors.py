"""The worker's own interceptors and plugins (``interceptors`` / ``plugins``): a replay runs them
as the worker did, so the commands an interceptor issues are not a false alarm.

Histories come from the session's dev server (``tests/workflows/record_intercepted.py``):
``audited/`` run by a worker with ``AuditInterceptor`` (it upserts a memo as each workflow
starts), ``plain/`` by one without.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from replaycheck.cli import main
from tests.conftest import COMPLETE, REPO
from tests.test_check import results, run

pytestmark = pytest.mark.server
pytest_plugins = ["pytester"]

V1 = "tests.workflows.intercepted"
V2 = "tests.workflows.intercepted_v2"
INTERCEPTOR = f"{V1}:AuditInterceptor"
PLUGIN = f"{V1}:audit_plugin"


def _line(module: str, text: str) -> int:
    """The line of ``module``'s source holding ``text``."""
    lines = (REPO / (module.replace(".", "/") + ".py")).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def _raw_verdicts(
    loop: asyncio.AbstractEventLoop, paths: list[Path], **replayer: Any
) -> dict[str, str]:
    """Verdicts of temporalio's plain ``Replayer`` (``replayer``: its interceptors, plugins)."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer
    from temporalio.workflow import NondeterminismError

    from tests.workflows.intercepted import InterceptedWorkflow

    async def replay() -> dict[str, str]:
        found = {}
        for path in paths:
            history = WorkflowHistory.from_json(path.stem, path.read_text())
            result = await Replayer(workflows=[InterceptedWorkflow], **replayer).replay_workflow(
                history, raise_on_replay_failure=False
            )
            failure = result.replay_failure
            found[path.name] = (
                "ok" if failure is None
                else "nondeterministic" if isinstance(failure, NondeterminismError) else "error"
            )  # fmt: skip
        return found

    return loop.run_until_complete(replay())


def _verdicts(result: Any) -> dict[str, str]:
    return {name: str(r["verdict"]) for name, r in results(result).items()}


def test_without_the_interceptor_every_history_fails_as_the_plain_replayer_says(
    intercepted_histories: Path, server_loop: asyncio.AbstractEventLoop
) -> None:
    audited = sorted((intercepted_histories / "audited").glob("*.json"))
    result = run("-w", V1, "--format", "json", *map(str, audited))
    assert result.exit_code == 1
    assert _verdicts(result) == dict.fromkeys((p.name for p in audited), "nondeterministic")
    assert _verdicts(result) == _raw_verdicts(server_loop, audited)
    # What the user sees: the interceptor's memo upsert, which no workflow code line issues,
    # and once for the run, a note naming the setting.
    text = run("-w", V1, str(audited[0])).stdout
    assert "history recorded: memo upsert\n" in text
    assert "code commanded:   activity 'greet'\n" in text
    assert result.stderr == (
        "replaycheck: note: Intercepted histories start with a memo upsert that the workflow "
        "code does not issue; if it came from an interceptor or plugin of your worker, not from "
        "the workflow's code, name them in interceptors = [...] / plugins = [...] under "
        "[tool.replaycheck] (or --interceptor / --plugin) so the replay runs them as the worker "
        "does, instead of gating a change.\n"
    )


def test_no_note_for_a_change_that_is_not_at_the_first_command(
    intercepted_histories: Path,
) -> None:
    result = run("-w", V2, str(intercepted_histories / "plain"))
    assert result.exit_code == 1
    assert "note:" not in result.stderr


@pytest.mark.parametrize(
    "option",
    [["--interceptor", INTERCEPTOR], ["--interceptor", f"{V1}:audit_interceptor"],
     ["--plugin", PLUGIN]],
    ids=["class", "instance", "plugin"],
)  # fmt: skip
def test_with_the_workers_interceptor_or_plugin_they_pass_as_the_plain_replayer_says(
    intercepted_histories: Path, server_loop: asyncio.AbstractEventLoop, option: list[str]
) -> None:
    from tests.workflows.intercepted import AuditInterceptor, audit_plugin

    audited = sorted((intercepted_histories / "audited").glob("*.json"))
    result = run("-w", V1, *option, "--format", "json", *map(str, audited))
    assert result.exit_code == 0, result.stdout
    assert _verdicts(result) == dict.fromkeys((p.name for p in audited), "ok")
    assert "note:" not in result.stderr
    made = {"--interceptor": {"interceptors": [AuditInterceptor()]},
            "--plugin": {"plugins": [audit_plugin()]}}[option[0]]  # fmt: skip
    assert _verdicts(result) == _raw_verdicts(server_loop, audited, **made)


def test_the_pyproject_settings_reach_the_replay(
    intercepted_histories: Path, tmp_path: Path
) -> None:
    audited = str(intercepted_histories / "audited")
    for key, spec in (("interceptors", INTERCEPTOR), ("plugins", PLUGIN)):
        (tmp_path / "pyproject.toml").write_text(
            f'[tool.replaycheck]\nworkflows = ["{V1}"]\npythonpath = ["{REPO}"]\n'
            f'{key} = ["{spec}"]\n'
        )
        result = run(audited, cwd=tmp_path)
        assert result.exit_code == 0, result.stdout + result.stderr
        assert "2 histories: 2 ok, 0 nondeterministic, 0 errors" in result.stdout


def test_a_change_is_located_in_the_workflow_not_in_the_interceptor_it_went_through(
    intercepted_histories: Path,
) -> None:
    # The new activity's command passes through the interceptor's outbound start_activity:
    # the call site is still the workflow's line.
    history = intercepted_histories / "audited" / "intercepted-ada.json"
    result = run("-w", V2, "--interceptor", INTERCEPTOR, str(history))
    assert result.exit_code == 1
    line = _line(V2, "return await workflow.execute_activity(")
    assert f"issued at: tests/workflows/intercepted_v2.py:{line} in run\n" in result.stdout
    assert "in start_activity" not in result.stdout
    assert "in execute_workflow" not in result.stdout
    assert f"fix: gate the change at intercepted_v2.py:{line} in run" in result.stdout
    doc = results(run("-w", V2, "--interceptor", INTERCEPTOR, "--format", "json", str(history)))
    diagnosis = doc[history.name]["diagnosis"]
    assert isinstance(diagnosis, dict)
    assert diagnosis["commanded_name"] == "farewell"
    assert [(f["file"], f["line"]) for f in diagnosis["location"]] == [
        ("tests/workflows/intercepted_v2.py", line)
    ]


def test_a_command_the_interceptor_issues_is_located_in_the_interceptor(
    intercepted_histories: Path,
) -> None:
    # A worker that adds the interceptor breaks the executions run before it: the replay says
    # where the memo upsert comes from, and the gate goes there.
    history = intercepted_histories / "plain" / "intercepted-plain.json"
    result = run("-w", V1, "--interceptor", INTERCEPTOR, str(history))
    assert result.exit_code == 1
    line = _line(V1, "workflow.upsert_memo(")
    assert "code commanded:   memo upsert\n" in result.stdout
    assert f"issued at: tests/workflows/intercepted.py:{line} in execute_workflow\n" in (
        result.stdout
    )
    assert run("-w", V1, str(history)).exit_code == 0


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--interceptor", V1],
         f"--interceptor: interceptors must look like 'package.module:object', got '{V1}'."),
        (["--interceptor", f"{V1}:TASK_QUEUE"],
         f"interceptors entry {V1}:TASK_QUEUE must name a temporalio worker Interceptor (an "
         "instance, a class taking no arguments, or a function returning one), got str; fix "
         "--interceptor, or interceptors in [tool.replaycheck]."),
        (["--plugin", INTERCEPTOR],
         f"plugins entry {INTERCEPTOR} must name a temporalio worker Plugin (an instance, a "
         "class taking no arguments, or a function returning one), got an instance of "
         "AuditInterceptor; fix --plugin, or plugins in [tool.replaycheck]."),
        (["--interceptor", f"{V1}:workflow"],
         f"interceptors entry {V1}:workflow must name a temporalio worker Interceptor (an "
         "instance, a class taking no arguments, or a function returning one), got the module "
         "temporalio.workflow; fix --interceptor, or interceptors in [tool.replaycheck]."),
        (["--interceptor", f"{V1}:forgot_to_return"],  # it read "got NoneType"
         f"interceptors entry {V1}:forgot_to_return must name a temporalio worker Interceptor "
         "(an instance, a class taking no arguments, or a function returning one), got None; "
         "fix --interceptor, or interceptors in [tool.replaycheck]."),
        (["--interceptor", f"{V1}:greet"],
         f"interceptors entry {V1}:greet could not be made (TypeError: "),
        (["--plugin", f"{V1}:nope"],
         f"cannot load '{V1}:nope': AttributeError: "),
    ],
)  # fmt: skip
def test_bad_interceptor_and_plugin_settings_are_one_line(args: list[str], error: str) -> None:
    result = run("-w", "tests.workflows.sayhello", *args, str(COMPLETE))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"replaycheck: error: {error}"), result.stderr
    assert result.stderr.count("\n") == 1


def test_a_bad_entry_in_pyproject_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycheck]\nworkflows = ["tests.workflows.sayhello"]\ninterceptors = [1]\n'
    )
    result = run(str(COMPLETE), cwd=tmp_path)
    assert result.exit_code == 2
    assert "[tool.replaycheck]: interceptors must be a 'package.module:object' string naming " \
        "your worker Interceptor (the replay worker imports it), got int." in result.stderr


def test_patches_takes_the_interceptor_too(intercepted_histories: Path) -> None:
    from click.testing import CliRunner

    audited = str(intercepted_histories / "audited")
    args = ["patches", "-w", V1, "--format", "json", audited]
    without = CliRunner().invoke(main, args, catch_exceptions=False)
    with_it = CliRunner().invoke(main, [*args, "--interceptor", INTERCEPTOR])
    assert json.loads(without.stdout)["replay"] == {"ok": 0, "nondeterministic": 2, "error": 0}
    assert json.loads(with_it.stdout)["replay"] == {"ok": 2, "nondeterministic": 0, "error": 0}


def test_the_pytest_plugin_takes_the_ini_setting(
    pytester: pytest.Pytester, intercepted_histories: Path
) -> None:
    import shutil

    shutil.copytree(intercepted_histories / "audited", pytester.path / "histories")
    pytester.makefile(
        ".toml",
        pyproject=f"""
            [tool.replaycheck]
            histories = ["histories"]
            workflows = ["{V1}"]
            pythonpath = ["{REPO}"]
        """,
    )
    failed = pytester.runpytest_subprocess()
    failed.assert_outcomes(failed=2)
    assert [line for line in failed.outlines if line.startswith("note: ")] == [
        "note: Intercepted histories start with a memo upsert that the workflow code does not "
        "issue; if it came from an interceptor or plugin of your worker, not from the "
        "workflow's code, name them in interceptors = [...] / plugins = [...] under "
        "[tool.replaycheck] so the replay runs them as the worker does, instead of gating a "
        "change."  # not the command line's --interceptor / --plugin, which pytest has not
    ]
    pytester.makeini(f"[pytest]\nreplaycheck_interceptors = {INTERCEPTOR}\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=2)
    pytester.makeini("[pytest]\n")
    pytester.runpytest_subprocess(f"--replaycheck-plugin={PLUGIN}").assert_outcomes(passed=2)


def test_generate_runs_the_interceptor_in_the_baseline_worker_and_the_replay(
    tmp_path: Path,
) -> None:
    from replaycheck.generate import explore
    from replaycheck.histories import discover, read_history

    result = explore(V1, new=[V1], interceptors=[INTERCEPTOR], max_examples=3, save=tmp_path)
    assert result.ok, result.render()
    saved = discover([tmp_path])
    assert saved
    for path in saved:
        kinds = [e.WhichOneof("attributes") for e in read_history(path).history.events]
        assert "workflow_properties_modified_event_attributes" in kinds
