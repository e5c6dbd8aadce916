"""Diagnoses of a command skipped where the code left what runs it: an early ``return`` in a
loop (of ``run``, of a helper), a ``continue`` or ``break`` in a loop, an ``if`` around the
call of a helper that always runs it, and an early ``return`` before a continue-as-new or a
raise, or before a command (an activity, a timer) that precedes one (recorded cases
``SkipByReturnInLoop``, ``SkipByReturnInLoopInHelper``, ``SkipByContinue``,
``SkipHelperCall``, ``ReturnBeforeContinueAsNew``, ``ReturnBeforeRaise``,
``ReturnBeforeChargeAndContinue``, ``ReturnBeforeChargeAndRaise``). Each reads as the ``if``
the code took or passed, and its fix, applied as it reads, replays.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replaycheck.diagnose import Diagnosis
from tests.changes import V2_FILE, committed_verdicts, marked_line, replay_variant
from tests.test_diagnose_helpers import _class_source, _gated


def _fixed(d: Diagnosis, old: str, source: str | None = None) -> str:
    """``changes_v2`` (or ``source``) with the fix of ``d`` applied at its ``if`` as it reads,
    ``old`` standing for the old condition."""
    assert d.fix_at is not None
    lines = (source or V2_FILE.read_text()).splitlines(keepends=True)
    line = d.fix_at.line
    indent = lines[line - 1][: len(lines[line - 1]) - len(lines[line - 1].lstrip())]
    assert lines[line - 1].strip() == f"if {d.branch_condition}:", lines[line - 1]
    return "".join(lines[: line - 1] + _gated(d.fix(), old, indent) + lines[line:])


@pytest.mark.parametrize(
    ("case", "function", "goes"),
    [
        ("SkipByReturnInLoop", "run", "completes"),
        ("SkipByReturnInLoopInHelper", "_audit_parts", "goes on with activity 'charge'"),
    ],
)
def test_an_early_return_in_a_loop_gates_its_condition(
    tmp_path: Path, case: str, function: str, goes: str
) -> None:
    # The loop audits each part; the code now returns in it before the audit of the second
    # part. It reads as the if the code took, not as 'charge' (or the completion) now coming
    # before 'audit'.
    d = committed_verdicts()[case].diagnosis
    line = marked_line(f"branch: {case}")
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "after"), d
    assert d.branch_at == f"changes_v2.py:{line} in {function}"
    assert d.explanation() == (
        f"the code took the if at changes_v2.py:{line} in {function} and returned, skipping the "
        "code after it, which runs activity 'audit': this execution went past it and ran "
        f"activity 'audit' there, where the code now {goes} (the condition, or what it reads, "
        "changed; or the if is new)"
    )
    assert d.fix()[-1] == "        ...  # its body as it is (it returns)"
    assert replay_variant(tmp_path, "loop_return_gated", _fixed(d, "False"), case).ok


def test_a_continue_in_a_loop_gates_its_condition(tmp_path: Path) -> None:
    # SkipByContinue: the loop continues past the audit of a part that is not lower case. It
    # read as "the loop now runs activity 'audit' fewer times", with a fix of no code.
    d = committed_verdicts()["SkipByContinue"].diagnosis
    line = marked_line("branch: SkipByContinue")
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "continue"), d
    assert d.branch_at == f"changes_v2.py:{line} in run"
    assert d.explanation().startswith(
        f"the code took the if at changes_v2.py:{line} in run and continued its loop, skipping "
        "the code after it in the loop, which runs activity 'audit': this execution went past "
        "it and ran activity 'audit' there, where the code now goes on with activity 'charge'"
    )
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at changes_v2.py:{line} in run, ")
    assert fix[-1] == "        ...  # its body as it is (it continues)"
    assert replay_variant(tmp_path, "continue_gated", _fixed(d, "False"), "SkipByContinue").ok


def test_a_break_in_a_loop_gates_its_condition(tmp_path: Path) -> None:
    source = _class_source(
        V2_FILE.read_text(), "SkipByContinue",
        "                continue\n", "                break\n",
    )  # fmt: skip
    d = replay_variant(tmp_path, "loop_break", source, "SkipByContinue").diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "break"), d
    assert "and broke out of its loop, skipping the code after it in the loop" in d.explanation()
    assert d.fix()[-1] == "        ...  # its body as it is (it breaks)"
    fixed = _fixed(d, "False", source)
    assert replay_variant(tmp_path, "break_gated", fixed, "SkipByContinue").ok


@pytest.mark.parametrize(
    ("leaves", "left", "does"),
    [("continue", "continued its loop", "continues its loop"),
     ("break", "broke out of its loop", "breaks out of its loop")],
)  # fmt: skip
def test_an_if_body_running_a_command_before_it_leaves_the_loop_says_so(
    tmp_path: Path, leaves: str, left: str, does: str
) -> None:
    # The if's body runs 'bill' and continues (breaks): it read "where the code now goes on
    # with activity 'bill'", as if 'bill' came after the if.
    source = V2_FILE.read_text()
    if leaves == "break":
        source = _class_source(source, "SkipByContinue", "                continue\n",
                               "                break\n")  # fmt: skip
    source = _class_source(
        source, "SkipByContinue", f"                {leaves}\n",
        "                await workflow.execute_activity(bill, part, start_to_close_timeout="
        f"TIMEOUT)\n                {leaves}\n",
    )  # fmt: skip
    d = replay_variant(tmp_path, "bill_and_leave", source, "SkipByContinue").diagnosis
    line = marked_line("branch: SkipByContinue")
    assert d is not None and (d.change, d.branch_skipped) == ("branch", leaves), d
    assert d.explanation() == (
        f"the code took the if at bill_and_leave.py:{line} in run and {left}, skipping the code "
        "after it in the loop, which runs activity 'audit': this execution went past it and "
        f"ran activity 'audit' there, where the code now runs activity 'bill' in the if at "
        f"bill_and_leave.py:{line} and {does} (the condition, or what it reads, changed; or "
        "the if is new)"
    )
    fixed = _fixed(d, "False", source)
    assert replay_variant(tmp_path, "bill_and_leave_gated", fixed, "SkipByContinue").ok


def test_an_if_around_the_call_of_a_helper_in_run_gates_its_condition(tmp_path: Path) -> None:
    # SkipHelperCall: run calls _audit, which audits every order, under an if now. It read as
    # "activity 'charge' now comes before activity 'audit'", with a remove-audit gate.
    d = committed_verdicts()["SkipHelperCall"].diagnosis
    line = marked_line("branch: SkipHelperCall")
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "body"), d
    assert d.branch_at == f"changes_v2.py:{line} in run"
    assert d.explanation().startswith(
        f"the code passed the if at changes_v2.py:{line} in run without taking its body, "
        "which runs activity 'audit'"
    )
    assert d.fix()[3].startswith("        new_branch = ...  # the old condition (True if the if")
    assert replay_variant(tmp_path, "helper_call_gated", _fixed(d, "True"), "SkipHelperCall").ok


@pytest.mark.parametrize(
    ("case", "does", "did"),
    [
        ("ReturnBeforeContinueAsNew", "continues as new", "continued as new"),
        ("ReturnBeforeRaise", "fails the workflow", "failed"),
    ],
)
def test_an_early_return_before_an_ending_gates_its_condition(
    tmp_path: Path, case: str, does: str, did: str
) -> None:
    # The code returns before the if holding the continue-as-new (the raise), whose condition
    # is as it was: it read as "the code took another branch of" that if, whose gate replays
    # no better (the code never reaches it).
    d = committed_verdicts()[case].diagnosis
    line = marked_line(f"branch: {case}")
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "after"), d
    assert d.branch_condition == "not order.islower()"
    assert d.explanation() == (
        f"the code took the if at changes_v2.py:{line} in run and returned, skipping the code "
        f"after it, which {does}: this execution went past it and {did} there, where the code "
        "now completes (the condition, or what it reads, changed; or the if is new)"
    )
    assert d.fix_at is not None and d.fix_at.line == line
    assert replay_variant(tmp_path, "ending_gated", _fixed(d, "False"), case).ok


def test_an_early_return_before_an_if_followed_by_no_command_is_not_named(
    tmp_path: Path,
) -> None:
    # The code may have passed the if with the continue-as-new and returned without a command
    # after it: that if is read, as before, not the return above it.
    source = _class_source(
        V2_FILE.read_text(), "ReturnBeforeContinueAsNew",
        "        if not order.islower():\n            return order\n"
        "        if len(items) >= 2:\n",
        "        if not order:\n            return order\n        if len(items) > 5:\n",
    )  # fmt: skip
    source = _class_source(
        source, "ReturnBeforeContinueAsNew",
        "        return await workflow.execute_activity(charge, order, "
        "start_to_close_timeout=TIMEOUT)\n",
        "        return order\n",
    )  # fmt: skip
    d = replay_variant(tmp_path, "no_command_after", source, "ReturnBeforeContinueAsNew").diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", ""), d
    assert d.branch_condition == "len(items) > 5"


_EXPLAINED = (
    "the code took the if at {where} in run and returned, skipping the code after it, which "
    "runs {skipped}: this execution went past it and ran {skipped} there, where the code now "
    "{goes} (the condition, or what it reads, changed; or the if is new)"
)


@pytest.mark.parametrize("old", ["False", 'order.startswith("vip-")'])
@pytest.mark.parametrize("case", ["ReturnBeforeChargeAndContinue", "ReturnBeforeChargeAndRaise"])
def test_an_early_return_before_a_command_that_precedes_an_ending_gates_its_condition(
    tmp_path: Path, case: str, old: str
) -> None:
    # The history ran 'charge' and then continued as new (failed); the code now returns
    # before 'charge' (a new if, or an if whose condition changed: old is its old condition).
    d = committed_verdicts()[case].diagnosis
    line = marked_line(f"branch: {case}")
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "after"), d
    assert d.explanation() == _EXPLAINED.format(
        where=f"changes_v2.py:{line}", skipped="activity 'charge'", goes="completes"
    )
    assert d.fix_at is not None and d.fix_at.line == line
    assert replay_variant(tmp_path, "charge_gated", _fixed(d, old), case).ok


_RETURNS = "        if order != order.lower():\n            return order\n"
"""An early return for an order with an upper-case letter (``change-...`` has one)."""


def test_an_early_return_before_a_timer_followed_by_an_activity_gates_its_condition(
    tmp_path: Path,
) -> None:
    # RemoveTimer's history: 'fetch', a timer, 'charge'; the code now returns before the sleep.
    source = _class_source(
        V2_FILE.read_text(), "RemoveTimer", "        # change: RemoveTimer (the next line)\n",
        _RETURNS + "        await workflow.sleep(PAUSE)\n",
    )  # fmt: skip
    d = replay_variant(tmp_path, "timer_return", source, "RemoveTimer").diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "after"), d
    assert d.fix_at is not None
    assert d.explanation() == _EXPLAINED.format(
        where=f"timer_return.py:{d.fix_at.line}", skipped="timer (1s)", goes="completes"
    )
    fixed = _fixed(d, "False", source)
    assert replay_variant(tmp_path, "timer_return_gated", fixed, "RemoveTimer").ok


_AUDIT = "await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)"


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("ReturnBeforeChargeAndContinue", f"            return {_AUDIT}\n"),
        ("ReturnBeforeChargeAndRaise", f"            return {_AUDIT}\n"),
        ("ReturnBeforeChargeAndContinue", f"            {_AUDIT}\n            return order\n"),
    ],
)
def test_an_early_return_issuing_another_command_gates_its_condition(
    tmp_path: Path, case: str, body: str
) -> None:
    # The if's body runs 'audit' and returns, before 'charge' (which the history ran, then
    # continued as new or failed). It read as "the code commands activity 'audit' where the
    # history recorded activity 'charge'" with a gate at the audit in the if's body, not
    # naming the if this execution went past; then as "where the code now goes on with
    # activity 'audit'", though the code runs it in that if and returns.
    source = _class_source(V2_FILE.read_text(), case, "            return order\n", body)
    d = replay_variant(tmp_path, "audit_return", source, case).diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "after"), d
    line = marked_line(f"branch: {case}")
    assert d.fix_at is not None and d.fix_at.line == line
    assert d.explanation() == _EXPLAINED.format(
        where=f"audit_return.py:{line}", skipped="activity 'charge'",
        goes=f"runs activity 'audit' in the if at audit_return.py:{line} and returns",
    )  # fmt: skip
    fixed = _fixed(d, "False", source)
    assert replay_variant(tmp_path, "audit_return_gated", fixed, case).ok


def test_an_early_return_before_a_wait_with_a_timeout_gates_its_condition(
    tmp_path: Path,
) -> None:
    # RemoveWaitTimeout's history: 'fetch', the timer of a wait_condition's timeout, 'bill';
    # the code (its timeout kept) now returns before the wait. It read as "the code no longer
    # commands timer (1s)", gating no line ("where timer (1s) was").
    source = _class_source(
        V2_FILE.read_text(), "RemoveWaitTimeout",
        "            await workflow.wait_condition(lambda: self.approved)\n",
        "            await workflow.wait_condition(lambda: self.approved, timeout=PAUSE)\n",
    )  # fmt: skip
    assert replay_variant(tmp_path, "wait_kept", source, "RemoveWaitTimeout").ok
    source = _class_source(
        source, "RemoveWaitTimeout", "        approved = False\n",
        _RETURNS + "        approved = False\n",
    )  # fmt: skip
    d = replay_variant(tmp_path, "wait_return", source, "RemoveWaitTimeout").diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "after"), d
    assert d.fix_at is not None
    assert d.explanation() == _EXPLAINED.format(
        where=f"wait_return.py:{d.fix_at.line}", skipped="timer (1s)", goes="completes"
    )
    fixed = _fixed(d, "False", source)
    assert replay_variant(tmp_path, "wait_return_gated", fixed, "RemoveWaitTimeout").ok


_CHARGE = "        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)\n"


def test_an_early_return_before_code_that_changed_too_names_the_return_first(
    tmp_path: Path,
) -> None:
    # The code returns early before 'bill' now, where this execution ran 'charge' and then
    # continued as new: it read as "the code no longer commands activity 'charge'", gated
    # "where activity 'charge' was" with no line. The return comes first, then the rename.
    case = "ReturnBeforeChargeAndContinue"
    source = _class_source(V2_FILE.read_text(), case, _CHARGE, _CHARGE.replace("charge", "bill"))
    d = replay_variant(tmp_path, "bill_after", source, case).diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "after"), d
    line = marked_line(f"branch: {case}")
    assert d.fix_at is not None and d.fix_at.line == line
    assert d.branch_after_runs == "activity 'bill'"
    assert d.explanation().startswith(
        f"the code took the if at bill_after.py:{line} in run and returned, skipping the code "
        "after it, which now runs activity 'bill' first (changed too): this execution went "
        "past it and ran activity 'charge' there, where the code now completes"
    )
    assert d.fix()[-1] == (
        "  then replay again: the code after it runs activity 'bill' where this execution ran "
        "activity 'charge', a change to gate too"
    )
    fixed = _fixed(d, "False", source)
    second = replay_variant(tmp_path, "bill_after_gated", fixed, case).diagnosis
    assert second is not None and second.change == "renamed", second
    assert (second.recorded_name, second.commanded_name) == ("charge", "bill")
    gated = (
        '        if workflow.patched("bill-instead-of-charge"):\n'
        f"    {_CHARGE.replace('charge', 'bill')}        else:\n    {_CHARGE}"
    )
    both = _class_source(fixed, case, _CHARGE.replace("charge", "bill"), gated)
    assert replay_variant(tmp_path, "bill_after_both", both, case).ok


def test_an_early_return_before_changed_code_of_a_completed_history_is_not_named(
    tmp_path: Path,
) -> None:
    # RemoveActivityAtEnd's history ran 'charge' and completed: it may have returned at a new
    # if too, with 'charge' removed before it, so the removal is read as before.
    fetch = "await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)\n"
    source = _class_source(
        V2_FILE.read_text(), "RemoveActivityAtEnd", f"        return {fetch}",
        f"        {fetch}{_RETURNS}        return {fetch.replace('fetch', 'bill', 1)}",
    )  # fmt: skip
    d = replay_variant(tmp_path, "completed_return", source, "RemoveActivityAtEnd").diagnosis
    assert d is not None and d.change == "removed", d
