"""A module of many workflow classes is loaded once to validate them, not once per class.

temporalio's worker validates each registered class by loading its module in a fresh sandbox
before it replays anything; ``tests/workflows/many_hellos.py`` (five classes, SayHelloWorkflow
among them) counts its loads in the file ``MANY_HELLOS_LOG`` names. Before, replaying two
histories loaded it seven times: five to validate, one per history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import COMPLETE, NONDETERMINISTIC
from tests.test_check import results, run

MANY = "tests.workflows.many_hellos"
SETTINGS = "tests.workflows.app_settings"


@pytest.fixture
def loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The file the module adds a line to each time a sandbox loads it."""
    log = tmp_path / "loads.txt"
    monkeypatch.setenv("MANY_HELLOS_LOG", str(log))
    yield log


def _count(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.parametrize(
    "sandbox",
    [
        ["--passthrough-module", SETTINGS],
        ["--workflow-runner", "tests.workflows.app_worker:workflow_runner"],
        ["--workflow-runner", "tests.workflows.app_worker:restrictions"],
        # a plugin copying the runner with one more module passed through, as temporalio's
        # OpenTelemetry plugin does
        ["--plugin", f"{MANY}:PASS_SETTINGS"],
    ],
    ids=["passthrough", "runner", "restrictions", "plugin"],
)
def test_the_module_loads_once_to_validate_its_five_classes_then_once_per_history(
    sandbox: list[str], loads: Path
) -> None:
    result = run("-w", MANY, *sandbox, "--format", "json", str(COMPLETE), str(NONDETERMINISTIC))
    assert result.exit_code == 1, result.stderr
    by_name = results(result)
    assert by_name[COMPLETE.name]["verdict"] == "ok"
    assert by_name[NONDETERMINISTIC.name]["verdict"] == "nondeterministic"  # still caught
    assert _count(loads) == 1 + 2


def test_what_the_sandbox_refuses_in_the_module_is_still_found_before_any_history(
    loads: Path,
) -> None:
    result = run("-w", MANY, str(COMPLETE))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "replaycheck: error: temporalio's sandbox refused workflow HelloFour: loading it, "
        f"{SETTINGS} (tests/workflows/app_settings.py:10, imported from "
        "tests/workflows/many_hellos.py:19) makes a call workflow code may not make"
    )
    assert _count(loads) == 0


def test_a_class_its_module_does_not_name_is_validated_on_its_own() -> None:
    from temporalio import workflow
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    from replaycheck._sandbox_once import ModuleValidatingRunner, validating_once_per_module
    from tests.workflows.unnamed import UNNAMED, Named

    runner = validating_once_per_module(SandboxedWorkflowRunner())
    assert isinstance(runner, ModuleValidatingRunner)
    named = workflow._Definition.must_from_class(Named)
    unnamed = workflow._Definition.must_from_class(UNNAMED)

    async def validate() -> None:  # as a worker does, in its event loop
        runner.prepare_workflow(named)
        for _ in range(2):  # not taken as validated because a class of its module was
            with pytest.raises(ImportError, match="cannot import name '_Unnamed'"):
                runner.prepare_workflow(unnamed)

    asyncio.run(validate())

