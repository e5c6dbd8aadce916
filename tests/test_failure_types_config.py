"""``workflow_failure_exception_types`` values: one sentence naming the setting and the fix
(exit 2), and nondeterminism still found under ``Exception``. No server needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_check import results, run

CHANGES = Path(__file__).parent / "fixtures" / "changes"
HISTORY = str(CHANGES / "AddActivityAtEnd")
V2 = "tests.workflows.changes_v2"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("OutOfStock", "--failure-exception-type: 'OutOfStock' is not a built-in exception; "
         "name your own class with its module, as 'package.module:OutOfStock'."),
        ("shop.errors.OutOfStock", "--failure-exception-type: 'shop.errors.OutOfStock' names no "
         "class; write it as 'shop.errors:OutOfStock' (module:Class)."),
        ("shop.errors:", "--failure-exception-type: 'shop.errors:' is not an exception class; "
         "name each as 'package.module:Class', or a built-in exception by its name, such as "
         "'ValueError'."),
        ("tests.workflows.failure_errors:Nope", "cannot load "
         "'tests.workflows.failure_errors:Nope': AttributeError: module "
         "'tests.workflows.failure_errors' has no attribute 'Nope'; check "
         "workflow_failure_exception_types in [tool.replaycheck] or --failure-exception-type."),
        ("tests.workflows.failure_types:reserve", "workflow_failure_exception_types: "
         "'tests.workflows.failure_types:reserve' is a function, not an exception class; fix "
         "workflow_failure_exception_types in [tool.replaycheck] (or --failure-exception-type)."),
    ],
)  # fmt: skip
def test_a_bad_exception_class_is_one_line_and_exit_2(value: str, said: str) -> None:
    result = run("-w", V2, "--failure-exception-type", value, HISTORY)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"replaycheck: error: {said}\n"


def test_a_bad_value_in_pyproject_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["{V2}"]\n'
        'workflow_failure_exception_types = ["ValueError", "len"]\n'
    )
    result = run(HISTORY, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"replaycheck: error: {tmp_path / 'pyproject.toml'} [tool.replaycheck] "
        "workflow_failure_exception_types: 'len' is not a built-in exception; name your own "
        "class with its module, as 'package.module:len'.\n"
    )


def test_nondeterminism_is_still_found_when_exception_fails_the_workflow() -> None:
    # A worker with [Exception] fails the workflow on nondeterminism too; the replay still
    # reports it (temporalio's own Replayer hung on this history with [Exception], measured).
    result = run("-w", V2, "--failure-exception-type", "Exception", "--format", "json", HISTORY)
    assert result.exit_code == 1
    (found,) = results(result).values()
    assert found["verdict"] == "nondeterministic"
    assert "[TMPRL1100] Nondeterminism error" in str(found["message"])


def test_generate_runs_its_baseline_worker_with_the_setting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Without it the baseline worker failed the workflow task on ValueError and retried it
    # (temporalio logs each failed activation with its traceback on stderr), where the team's
    # workers fail the execution.
    from replaycheck.generate import explore

    module = "tests.workflows.failure_types"
    failed = {}
    for name, failing in (("without", ()), ("with", ("ValueError",))):
        caplog.clear()
        result = explore(module, new=[module], workflow_type="ReserveOrValueError",
                         failures=False, max_examples=10,
                         workflow_failure_exception_types=failing)  # fmt: skip
        assert result.ok, result.render()
        failed[name] = sum("Failed activation on workflow" in r.message for r in caplog.records)
    assert failed["without"] > 0
    assert failed["with"] == 0


def test_generate_takes_the_option() -> None:
    from click.testing import CliRunner

    from replaycheck.cli import main

    module = "tests.workflows.failure_types"
    result = CliRunner().invoke(main, ["generate", "--baseline", module, "-w", module,
                                       "--failure-exception-type", "a.b.OutOfStock"])  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: --failure-exception-type: 'a.b.OutOfStock' names no class; write "
        "it as 'a.b:OutOfStock' (module:Class).\n"
    )
