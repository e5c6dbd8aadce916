"""A failing history item in pytest shows the diagnosis (the same text as ``replaycheck check``)."""

from __future__ import annotations

import shutil

import pytest

from tests.changes import CHANGES, V2, V2_FILE, marked_line
from tests.conftest import REPO

pytest_plugins = ["pytester"]


def _project(pytester: pytest.Pytester, *cases: str) -> None:
    """A project replaying the recorded histories of ``cases`` against the changed code."""
    for case in cases:
        shutil.copytree(CHANGES / case, pytester.path / "histories" / case)
    pytester.makefile(
        ".toml",
        pyproject=f"""
            [tool.replaycheck]
            histories = ["histories"]
            workflows = ["{V2}"]
            pythonpath = ["{REPO}"]
        """,
    )


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_failing_item_shows_the_diagnosis(pytester: pytest.Pytester, xdist: list[str]) -> None:
    _project(pytester, "RenameActivity", "RemovePatchCall")
    result = pytester.runpytest(*xdist)
    result.assert_outcomes(failed=2)
    line = marked_line("change: RenameActivity")
    result.stdout.fnmatch_lines(
        [
            "*diverged at: event 11 (ActivityTaskScheduled)",
            "*history recorded: activity 'charge'",
            "*code commanded:   activity 'bill'",
            f"*issued at: {V2_FILE}:{line} in run",
            "*change: activity 'charge' became activity 'bill'",
            "*severity: breaks queries and resets of closed executions",
            '*if workflow.patched("bill-instead-of-charge"):',
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*history recorded: patch marker 'charge-first'",
            '*workflow.deprecate_patch("charge-first")',
        ]
    )
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_the_closing_line_after_a_too_early_deprecation_goes_back_to_the_gate(
    pytester: pytest.Pytester, xdist: list[str]
) -> None:
    # deprecate_patch() replaced the gate too early: the failure says to go back to the gate,
    # and the closing line said "most often by gating the change with workflow.patched()".
    _project(pytester, "DeprecateEarly", "RenameActivity")
    result = pytester.runpytest("histories/DeprecateEarly", *xdist)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Fix the histories that failed above, then run again: go back to the "
            "workflow.patched() gate that deprecate_patch() replaced too early, as the fix in "
            "each failure shows."
        ]
    )
    assert "gate the change" not in result.stdout.str()
    both = pytester.runpytest(*xdist)
    both.assert_outcomes(failed=2)
    both.stdout.fnmatch_lines(
        [
            "Fix the histories that failed above, then run again: gate the change with "
            "workflow.patched(), or go back to the gate where deprecate_patch() came too early, "
            "as the fix in each failure shows."
        ]
    )
