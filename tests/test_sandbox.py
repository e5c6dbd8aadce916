"""Replaying in temporalio's sandbox as the worker sets it up: modules passed through, the
worker's own runner, and one line for a workflow module the sandbox refuses to load.

``tests/workflows/settings_import.py`` imports ``app_settings``, which resolves a path when
imported: a worker built with temporalio's default sandbox refuses it (the tests below show that
on the real dev server), one built as ``tests/workflows/app_worker.py`` builds it runs it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import COMPLETE, NONDETERMINISTIC, REPO
from tests.test_check import results, run

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

SETTINGS = "tests.workflows.settings_import:SettingsSayHello"
PASSED = "tests.workflows.app_settings"
REFUSED = (
    "temporalio's sandbox refused workflow SayHelloWorkflow: loading it, "
    "tests.workflows.app_settings (tests/workflows/app_settings.py:10, imported from "
    "tests/workflows/settings_import.py:12) makes a call workflow code may not make (Cannot "
    "access pathlib.Path.resolve.__call__ from inside a workflow); a worker fails the same way "
    "unless it passes tests.workflows.app_settings through: if yours does (it is deterministic: "
    'settings, models, a library), set passthrough_modules = ["tests.workflows.app_settings"] '
    "under [tool.replaycheck] (or --passthrough-module tests.workflows.app_settings; in pytest, "
    "--replaycheck-passthrough-module tests.workflows.app_settings), or name "
    'your worker\'s runner or restrictions with workflow_runner = "module:object".'
)


def test_a_module_the_sandbox_refuses_is_one_line_naming_it_and_the_setting() -> None:
    # It was "crashed the replay worker (exit code 1)" per history, the reason only in a
    # 100-line traceback on stderr.
    result = run("-w", SETTINGS, str(COMPLETE), str(NONDETERMINISTIC))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"replaycheck: error: {REFUSED}\n"


def test_passed_through_the_workflow_replays() -> None:
    result = run("-w", SETTINGS, "--passthrough-module", PASSED, "--format", "json",
                 str(COMPLETE), str(NONDETERMINISTIC))  # fmt: skip
    assert result.exit_code == 1, result.stderr
    by_name = results(result)
    assert by_name[COMPLETE.name]["verdict"] == "ok"
    # the sandbox still catches what it catches: the timer added on replay
    assert by_name[NONDETERMINISTIC.name]["verdict"] == "nondeterministic"


def test_from_python_the_refusal_names_override(tmp_path: Path) -> None:
    # It said "(or --passthrough-module ...; in pytest, ...)": neither is a Python argument.
    from replaycheck import check, load_settings
    from replaycheck.errors import WorkflowImportError

    (tmp_path / "pyproject.toml").write_text(f'[tool.replaycheck]\npythonpath = ["{REPO}"]\n')
    settings = load_settings(tmp_path).override(workflows=[SETTINGS])
    with pytest.raises(WorkflowImportError) as refused:
        check(settings, [COMPLETE])
    assert str(refused.value).endswith(
        f'set passthrough_modules = ["{PASSED}"] under [tool.replaycheck] (or '
        f'override(passthrough_modules=["{PASSED}"])), or name your worker\'s runner or '
        'restrictions with workflow_runner = "module:object".'
    ), refused.value


@pytest.mark.parametrize(
    "setting",
    [
        f'passthrough_modules = ["{PASSED}"]',
        'workflow_runner = "tests.workflows.app_worker:workflow_runner"',
        'workflow_runner = "tests.workflows.app_worker:restrictions"',
    ],
)
def test_the_setting_in_pyproject_lets_it_replay(setting: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["{SETTINGS}"]\npythonpath = ["{REPO}"]\n{setting}\n'
    )
    result = run(str(COMPLETE), cwd=tmp_path)
    assert result.exit_code == 0, result.stderr


def test_the_workflow_module_making_the_call_itself_is_told_to_move_it() -> None:
    result = run("-w", "tests.workflows.resolves_at_import", str(COMPLETE))
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: temporalio's sandbox refused workflow SayHelloWorkflow: loading it, "
        "tests.workflows.resolves_at_import (tests/workflows/resolves_at_import.py:10) makes a "
        "call workflow code may not make (Cannot access pathlib.Path.resolve.__call__ from "
        "inside a workflow); move that code out of the workflow module's top level (into an "
        "activity, or a module your worker passes through).\n"
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--passthrough-module", "shop/settings.py"],
         "--passthrough-module: 'shop/settings.py' is not a module name; pass modules through "
         "by their import name, e.g. 'shop.settings' or 'pydantic'."),
        (["--workflow-runner", "tests.workflows.app_worker"],
         "--workflow-runner: workflow_runner must look like 'package.module:object', got "
         "'tests.workflows.app_worker'."),
        (["--workflow-runner", "tests.workflows.app_worker:say_hello"],
         "workflow_runner tests.workflows.app_worker:say_hello could not be made (TypeError: "),
        (["--workflow-runner", "tests.workflows.app_settings:ROOT"],
         "workflow_runner tests.workflows.app_settings:ROOT must name a temporalio "
         "SandboxedWorkflowRunner or SandboxRestrictions (or a function returning one), got "
         "an instance of PosixPath; fix --workflow-runner, or workflow_runner in "
         "[tool.replaycheck]."),
    ],
)  # fmt: skip
def test_bad_sandbox_settings_are_one_line(args: list[str], error: str) -> None:
    result = run("-w", SETTINGS, *args, str(COMPLETE))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"replaycheck: error: {error}"), result.stderr
    assert result.stderr.count("\n") == 1


def test_a_passthrough_module_in_pyproject_must_be_a_module_name(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["{SETTINGS}"]\npassthrough_modules = ["a b"]\n'
    )
    result = run(str(COMPLETE), cwd=tmp_path)
    assert result.exit_code == 2
    assert "[tool.replaycheck] passthrough_modules: 'a b' is not a module name" in result.stderr


async def _record(env: WorkflowEnvironment, directory: Path) -> Path:
    """One execution of the settings workflow, run by a worker built as the app builds it."""
    from temporalio.worker import Worker

    from tests.workflows import app_worker, settings_import
    from tests.workflows.sayhello import SayHelloParams

    queue = f"settings-{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError, match="Failed validating workflow SayHelloWorkflow"):
        Worker(env.client, task_queue=queue, workflows=[settings_import.SettingsSayHello])
    async with Worker(env.client, task_queue=queue, workflows=[settings_import.SettingsSayHello],
                      activities=[app_worker.say_hello],
                      workflow_runner=app_worker.workflow_runner):  # fmt: skip
        handle = await env.client.start_workflow(
            "SayHelloWorkflow", SayHelloParams(name="Ada"), id=queue, task_queue=queue
        )
        assert await handle.result() == "Hello, Ada!"
    path = directory / f"{queue}.json"
    path.write_text(json.dumps((await handle.fetch_history()).to_json_dict()))
    return path


@pytest.mark.server
def test_a_history_the_apps_worker_recorded_replays_with_its_sandbox(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    history = server_loop.run_until_complete(_record(dev_server, tmp_path))
    refused = run("-w", SETTINGS, str(history))
    assert refused.exit_code == 2
    assert refused.stderr == f"replaycheck: error: {REFUSED}\n"
    runner = "tests.workflows.app_worker:workflow_runner"
    for option in (["--passthrough-module", PASSED], ["--workflow-runner", runner]):
        result = run("-w", SETTINGS, *option, str(history))
        assert result.exit_code == 0, result.stdout + result.stderr
        assert "replayed all 11 events; execution completed" in result.stdout
