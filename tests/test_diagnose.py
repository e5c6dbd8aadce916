"""Diagnoses of real nondeterminism failures: one recorded history per kind of change.

Each case in ``tests.changes.CASES`` replays a history recorded from the dev server with the
baseline code (``changes_v1``) against the changed code (``changes_v2``) and checks the event
id, what the history recorded and the code commanded, the line that issued it (found by its
marker comment) and the suggested gate.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from temporalio.testing import WorkflowEnvironment

from replaycheck._building import diagnose
from replaycheck._commands import Command, HistoryCommands, history_commands
from replaycheck.diagnose import (
    CLOSED,
    IN_FLIGHT,
    Diagnosis,
    SourceFrame,
    TimelineRow,
    core_message,
    parse_core_message,
)
from replaycheck.histories import read_history
from replaycheck.verdict import Verdict
from tests.changes import (
    CASES,
    CHANGES,
    OTHERS,
    REPLAYS,
    V2,
    V2_FILE,
    Case,
    committed_verdicts,
    last_marker,
    line_of,
    marked_line,
    replay_dir,
    replay_file,
    replay_variant,
)
from tests.conftest import FIXTURES, NONDETERMINISTIC, REPO

SHARED_PY = REPO / "examples" / "provisioning" / "shared.py"
UNSAFE_PY = REPO / "examples" / "provisioning" / "workflows_unsafe.py"
UNSAFE_PY = REPO / "examples" / "provisioning" / "workflows_unsafe.py"


def recorded_event(path: str, recorded: tuple[str, str]) -> int:
    """The event of the history's first command ``recorded`` (for cases whose event ids vary
    from one recording to the next)."""
    from replaycheck._commands import history_commands

    commands = history_commands(read_history(path).history).commands
    return next(x.event_id for x in commands if (x.kind, x.name) == recorded)


def check_case(verdict: Verdict, name: str, case: Case) -> None:
    """Assert everything a case's diagnosis must say."""
    assert verdict.verdict == "nondeterministic", verdict.message
    d = verdict.diagnosis
    assert d is not None
    event_id = case.event_id or recorded_event(verdict.path, case.recorded)
    assert (d.event_id, d.event_type) == (event_id, case.event_type)
    assert (d.recorded_kind, d.recorded_name) == case.recorded
    assert (d.commanded_kind, d.commanded_name) == case.commanded
    assert d.change == case.change
    assert d.patch_id == case.patch_id
    assert d.severity == CLOSED
    if case.commanded[0] in ("complete", "") and last_marker(name) == "start":
        assert d.location == () and d.previous == ()  # nothing ran: the run method's start
        start = d.run_starts_at
        assert start is not None and Path(start.file).resolve() == V2_FILE
        assert (start.line, start.function) == (marked_line(f"start: {name}"), "run")
    elif case.commanded[0] in ("complete", ""):  # nothing issued it: after the last command
        assert d.location == ()
        assert Path(d.previous[0].file).resolve() == V2_FILE
        assert d.previous[0].line == marked_line(f"before: {name}")
        assert d.run_starts_at is None
    else:
        frame = d.location[0]
        assert (Path(frame.file).resolve(), frame.line) == (V2_FILE, marked_line(f"change: {name}"))
        assert (frame.function, d.gate_frame) == ("run", 0)
    assert [row.diverged for row in d.timeline].count(True) == 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_diagnosis_of_each_change(name: str) -> None:
    check_case(committed_verdicts()[name], name, CASES[name])


def test_what_core_does_not_compare_replays() -> None:
    """Core compares signal commands by kind only, and timers by id: renaming the signal, or
    changing a duration, replays (documented)."""
    for name in REPLAYS:
        assert committed_verdicts()[name].verdict == "ok"


def test_every_case_has_a_committed_history() -> None:
    assert {p.parent.name for p in CHANGES.rglob("*.json")} == set(CASES) | REPLAYS | OTHERS


@pytest.mark.server
def test_freshly_recorded_histories_give_the_same_diagnoses(tmp_path: Path) -> None:
    """Record the baselines again from the real dev server: the diagnoses must not drift."""
    from tests.workflows.record_changes import main

    asyncio.run(main(["--out", str(tmp_path)]))
    fresh = replay_dir(tmp_path)
    for name, case in CASES.items():
        check_case(fresh[name], name, case)
    assert all(fresh[name].ok for name in REPLAYS)


def test_an_added_activity_cancel_is_nondeterministic_at_the_cancel_call() -> None:
    # Core reports it as a "Fatal error in workflow machines" (an invalid transition), not as
    # [TMPRL1100]; a worker fails the task all the same. The cancel command is issued from the
    # activity's own task: the diagnosis points at handle.cancel(), not at start_activity().
    verdict = committed_verdicts()["AddActivityCancel"]
    assert verdict.verdict == "nondeterministic", verdict.message
    assert "says the transition is invalid" in verdict.message
    d = verdict.diagnosis
    assert d is not None and (d.commanded_kind, d.change) == ("cancel-activity", "added")
    frame = d.location[0]
    assert (Path(frame.file).resolve(), frame.line) == (
        V2_FILE,
        marked_line("change: AddActivityCancel"),
    )
    fix = "\n".join(d.fix())
    assert 'if workflow.patched("add-cancel-slow"):\n        handle.cancel()' in fix
    assert "    else:" not in fix


@pytest.mark.parametrize(
    ("case", "call"),
    [("AddTimerCancel", "deadline.cancel()"), ("AddReminderCancel", "self.reminder.cancel()")],
)
def test_an_added_timer_cancel_points_at_the_task_cancel_call(case: str, call: str) -> None:
    # task.cancel() on a task sleeping on a timer (workflow.sleep directly, or asyncio.sleep in
    # a coroutine of the user's): the cancel command comes later, from the loop or the sleep's
    # cleanup. The diagnosis points at the cancel() call, not at the sleep or nowhere.
    verdict = committed_verdicts()[case]
    assert verdict.verdict == "nondeterministic", verdict.message
    d = verdict.diagnosis
    assert d is not None and (d.commanded_kind, d.change) == ("cancel-timer", "added")
    frame = d.location[0]
    assert (Path(frame.file).resolve(), frame.line) == (V2_FILE, marked_line(f"change: {case}"))
    fix = "\n".join(d.fix())
    assert f'if workflow.patched("add-cancel-timer"):\n        {call}' in fix
    assert "    else:" not in fix


def test_a_removed_wait_of_a_waiting_execution_is_ok_with_a_note(tmp_path: Path) -> None:
    # Recorded while it waits for the signal 'approve'; the wait is gone from the code. Core
    # takes the code's next command, past the history's end, for a new one: the verdict is ok,
    # but after a deploy the execution goes on without the signal. Its ok line says so.
    verdict = committed_verdicts()["SkipApprovalWait"]
    assert verdict.ok and verdict.status == "RUNNING", verdict.message
    line = marked_line("change: SkipApprovalWait")
    assert verdict.message.endswith(
        "; but the code now makes activity 'charge' at "
        f"tests/workflows/changes_v2.py:{line} where this execution waits, past the end of its "
        "history: core takes it for a new command, so after a deploy the execution makes it at "
        'once (if a wait was removed or changed, gate that: if not workflow.patched("<change-id>"):'
        " <the wait as it was>)"
    ), verdict.message
    assert [(n.kind, n.file, n.line) for n in verdict.notes] == [
        ("wait", "tests/workflows/changes_v2.py", line)
    ]
    # under the code that recorded it, and with the removal gated as the note says: no note
    from tests.changes import replay_file

    history = CHANGES / "SkipApprovalWait" / "change-SkipApprovalWait.json"
    same = replay_file(history, "tests.workflows.changes_v1")
    assert same.ok and "waits" not in same.message, same.message
    source = V2_FILE.read_text()
    call = "        # change: SkipApprovalWait (the next line)\n"
    gated = (
        '        if not workflow.patched("skip-approval-wait"):\n'
        "            await workflow.wait_condition(lambda: self.approved)\n"
    )
    assert source.count(call) == 1
    fixed = replay_variant(
        tmp_path, "skip_wait_gated", source.replace(call, gated), "SkipApprovalWait"
    )
    assert fixed.ok and "waits" not in fixed.message, fixed.message
    # a history that ends in a workflow task still to run is not at rest: its new commands
    # answer what came last (here the activity's result), as the old code's would
    ended = CHANGES / "ShorterNap" / "change-ShorterNap.json"
    assert "waits" not in replay_file(ended, "tests.workflows.changes_v2").message


def test_a_removed_wait_note_points_at_the_caller_of_a_step_helper(tmp_path: Path) -> None:
    # The activity goes through a helper that issues any activity it is given (the example's
    # _step): the note, and so the GitHub warning, is on the call that names the activity, not
    # on the helper's line, which every step shares and which says nothing of the change.
    marker = "        # change: SkipApprovalWait (the next line)\n"
    call = (
        "        return await workflow.execute_activity("
        "charge, order, start_to_close_timeout=TIMEOUT)\n"
    )
    helper = (
        "\n\nasync def _step(activity, order):\n"
        "    return await workflow.execute_activity(\n"
        "        activity, order, start_to_close_timeout=TIMEOUT\n"
        "    )\n"
    )
    source = V2_FILE.read_text()
    assert source.count(marker + call) == 1
    source = source.replace(marker + call, marker + "        return await _step(charge, order)\n")
    verdict = replay_variant(tmp_path, "skip_wait_helper", source + helper, "SkipApprovalWait")
    line = source.splitlines().index("        return await _step(charge, order)") + 1
    assert verdict.ok and verdict.status == "RUNNING", verdict.message
    assert [(n.kind, Path(n.file).name, n.line) for n in verdict.notes] == [
        ("wait", "skip_wait_helper.py", line)
    ], verdict.notes
    assert f"makes activity 'charge' at {verdict.notes[0].file}:{line} where" in verdict.message


@pytest.mark.parametrize(
    ("case", "old", "new", "changed"),
    [
        ("SwapAdjacent", "(charge, order,", '(charge, order + "-x",', "activity 'charge'"),
        ("SwapInGather", "(fetch, order,", '(fetch, order + "-x",', "activity 'fetch'"),
    ],
)  # fmt: skip
def test_a_swap_whose_arguments_changed_too_does_not_claim_them_for_the_old_code(
    tmp_path: Path, case: str, old: str, new: str, changed: str
) -> None:
    # The else holds the old order of the new code's statements, with their new arguments: it
    # read as the recorded code. Where the code gives one of the two other input than the
    # history recorded for it, the else says so over those statements (SwapAdjacent: the
    # code's first, against the history's later one; SwapInGather: the recorded one, which the
    # gather issued next).
    source = V2_FILE.read_text()
    start = source.index(f'@workflow.defn(name="{case}")')
    at = source.index(old, start)
    variant = source[:at] + new + source[at + len(old) :]
    verdict = replay_variant(tmp_path, f"swap_args_{case.lower()}", variant, case)
    d = verdict.diagnosis
    assert verdict.verdict == "nondeterministic" and d is not None, verdict.message
    assert d.change == "reordered" and (d.swapped or d.swapped_within), d
    assert d.inputs_changed == (changed,)
    fix = d.fix()
    below = fix[fix.index("    else:") + 1]
    assert below == (
        f"        # the new code's arguments, but {changed} got other input in this history: "
        "write the old code's arguments here"
    )
    # the swap alone, arguments as recorded: no such comment
    same = committed_verdicts()[case].diagnosis
    assert same is not None and same.inputs_changed == ()
    assert not any("other input" in line for line in same.fix())


def test_a_swap_warns_for_the_next_statement_whose_input_depends_on_the_order() -> None:
    # SwapDependent: v1 ran got = fetch(order), then charge(got); v2 runs paid = charge(order),
    # then fetch(paid). The code never issued the second call (replay stopped at the first),
    # but its arguments read what the first sets: in this history it ran before that, with
    # other input. The else's warning named 'charge' alone.
    d = committed_verdicts()["SwapDependent"].diagnosis
    assert d is not None and d.change == "reordered" and d.swapped
    assert d.inputs_changed == ("activity 'charge'", "activity 'fetch'")
    assert d.to_json_dict()["inputs_changed"] == ("activity 'charge'", "activity 'fetch'")
    fix = d.fix()
    assert fix[fix.index("    else:") + 1] == (
        "        # the new code's arguments, but activity 'charge' and activity 'fetch' got other "
        "input in this history: write the old code's arguments here"
    )


@pytest.mark.parametrize(
    ("name", "first", "second"),
    [
        ("paid", "paid = await", "(bill, paid,"),
        ("state", "self.paid = await", "(bill, self.paid,"),
        ("list", "self.done.append(await", "(bill, self.done[-1],"),
        ("args", "paid = await", "(bill, args=[paid],"),
    ],
)  # fmt: skip
def test_a_swaps_second_statement_reading_what_the_first_sets_gets_the_warning(
    tmp_path: Path, name: str, first: str, second: str
) -> None:
    # SwapAdjacent, its first statement's input as recorded ('charge' took the order): the
    # next one, 'bill', takes what 'charge' set, so it ran with other input in this history.
    # There was no warning at all.
    source = V2_FILE.read_text()
    start = source.index('@workflow.defn(name="SwapAdjacent")')
    call = "        await workflow.execute_activity({}, order, start_to_close_timeout=TIMEOUT)"
    charge, bill = call.format("charge"), call.format("bill")
    at = source.index(charge, start)
    assert source.index(bill, start) == at + len(charge) + 1
    new_charge = charge.replace("await", first, 1) + (")" if "(" in first else "")
    new_bill = bill.replace("(bill, order,", second)
    if name in ("state", "list"):
        new_charge = "        self.paid = self.done = []\n" + new_charge
    end = at + len(charge) + 1 + len(bill)
    variant = source[:at] + new_charge + "\n" + new_bill + source[end:]
    verdict = replay_variant(tmp_path, f"swap_reads_{name}", variant, "SwapAdjacent")
    d = verdict.diagnosis
    assert verdict.verdict == "nondeterministic" and d is not None, verdict.message
    assert d.change == "reordered" and d.swapped, d
    assert d.inputs_changed == ("activity 'bill'",)
    fix = d.fix()
    assert fix[fix.index("    else:") + 1] == (
        "        # the new code's arguments, but activity 'bill' got other input in this "
        "history: write the old code's arguments here"
    )


def test_two_statements_that_traded_places_get_one_gate_around_the_pair(tmp_path: Path) -> None:
    # fetch, bill, charge became fetch, charge, bill: the fix gates the two statements, the old
    # order in the else, and leaves the rest alone (not "the old code from here on").
    d = committed_verdicts()["SwapAdjacent"].diagnosis
    assert d is not None and d.change == "reordered"
    line = marked_line("change: SwapAdjacent")
    bill = "await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)"
    charge = "await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)"
    assert d.swapped == bill
    assert "they traded places: the next statement runs activity 'bill'" in d.explanation()
    fix = d.fix()
    assert fix[1:] == [
        f'    if workflow.patched("{d.patch_id}"):', f"        {charge}", f"        {bill}",
        "    else:", f"        {bill}", f"        {charge}",
    ]  # fmt: skip
    # applied as it reads, the history replays
    source = V2_FILE.read_text()
    lines = source.splitlines(keepends=True)
    assert lines[line - 1].strip() == charge and lines[line].strip() == bill
    gated = "".join(f"        {text[4:]}\n" for text in fix[1:])
    fixed = "".join(lines[: line - 1]) + gated + "".join(lines[line + 1 :])
    assert replay_variant(tmp_path, "swap_gated", fixed, "SwapAdjacent").ok
    # a statement that leaves the block cannot be moved as it is: the general fix stays
    reorder = committed_verdicts()["Reorder"].diagnosis
    assert reorder is not None and reorder.change == "reordered" and not reorder.swapped


def test_two_nexus_operations_that_traded_places_are_named_and_gated(tmp_path: Path) -> None:
    # SwapNexusOperations: core compares a Nexus operation's service and operation, so the
    # diagnosis names the two operations, the statement, and a gate that replays as it reads
    # (it read "the new code: nothing" with no event, no line).
    d = committed_verdicts()["SwapNexusOperations"].diagnosis
    assert d is not None and d.swapped, d
    line = marked_line("change: SwapNexusOperations")
    reserve = "await nexus.execute_operation(Stock.reserve, order)"
    quote = "await nexus.execute_operation(Stock.quote, order)"
    fix = d.fix()
    assert fix[1:] == [
        '    if workflow.patched("reserve-before-quote"):', f"        {reserve}",
        f"        {quote}", "    else:", f"        {quote}", f"        {reserve}",
    ]  # fmt: skip
    lines = V2_FILE.read_text().splitlines(keepends=True)
    gated = "".join(f"        {text[4:]}\n" for text in fix[1:])
    fixed = "".join(lines[: line - 1]) + gated + "".join(lines[line + 1 :])
    assert replay_variant(tmp_path, "nexus_gated", fixed, "SwapNexusOperations").ok


def test_a_nexus_service_renamed_is_gated_by_both_service_names(tmp_path: Path) -> None:
    # RenameNexusService: the operation kept its name, so a patch id of operation names only
    # read "quote-instead-of-quote"; the else calls the old service by its name (it read
    # "...  # the old code (Nexus operation 'Stock/quote')", no hint that the old service must
    # still be called).
    d = committed_verdicts()["RenameNexusService"].diagnosis
    assert d is not None and d.change == "renamed", d
    line = marked_line("change: RenameNexusService")
    call = "await nexus.execute_operation(StockV2.quote, order)"
    old = (
        'await workflow.create_nexus_client(service="Stock", endpoint="replaycheck-changes")'
        '.execute_operation("quote", order)'
    )
    fix = first_reading("\n".join(d.fix())).splitlines()
    assert fix[1:5] == [
        f'    if workflow.patched("{d.patch_id}"):', f"        {call}",
        "    else:  # the old service's operation as recorded, called by name", f"        {old}",
    ], fix  # fmt: skip
    # the fix as it reads, in place of the line: the history replays
    lines = V2_FILE.read_text().splitlines(keepends=True)
    gated = "".join(f"    {text}\n" for text in fix[1:5])
    fixed = "".join(lines[: line - 1]) + gated + "".join(lines[line:])
    assert replay_variant(tmp_path, "nexus_service_gated", fixed, "RenameNexusService").ok


def test_a_timer_added_like_one_that_follows_is_an_addition_not_a_swap(tmp_path: Path) -> None:
    # AddTimerLikeLater: fetch, charge, sleep became fetch, sleep, charge, sleep. The history's
    # timer after 'charge' comes from the sleep the code still has: gating the pair in the old
    # order would run charge, sleep, sleep for executions recorded before.
    d = committed_verdicts()["AddTimerLikeLater"].diagnosis
    assert d is not None and (d.change, d.swapped) == ("added", ""), d
    assert "traded places" not in d.explanation()
    sleep = "await workflow.sleep(PAUSE)"
    assert d.fix() == [
        f"gate the change at changes_v2.py:{marked_line('change: AddTimerLikeLater')} in run "
        "(no else: executions recorded before never ran it):",
        f'    if workflow.patched("{d.patch_id}"):', f"        {sleep}",
    ]  # fmt: skip
    # applied as it reads, the history replays
    source = V2_FILE.read_text()
    call = f"        # change: AddTimerLikeLater (the next line)\n        {sleep}\n"
    assert source.count(call) == 1
    gated = "".join(f"        {text[4:]}\n" for text in d.fix()[1:])
    fixed = source.replace(call, gated)
    assert replay_variant(tmp_path, "timer_gated", fixed, "AddTimerLikeLater").ok


def gated_as_printed(fix: list[str], line: int, count: int) -> str:
    """``changes_v2`` with its ``count`` lines from ``line`` replaced by the code of ``fix``
    (its lines after the first, indented as a method's body)."""
    lines = V2_FILE.read_text().splitlines(keepends=True)
    gated = "".join(f"        {text[4:]}\n" for text in fix[1:])
    return "".join(lines[: line - 1]) + gated + "".join(lines[line - 1 + count :])


@pytest.mark.parametrize("case", ["SwapInGather", "SwapChildren"])
def test_two_calls_of_one_gather_that_traded_places_gate_the_gather_alone(
    case: str, tmp_path: Path
) -> None:
    # SwapInGather: gather(fetch, charge) became gather(charge, fetch), the names of the
    # results with them; 'bill' follows. The fix gates the gather, as it was in the else, and
    # leaves the rest alone (not "the old code from here on").
    d = committed_verdicts()[case].diagnosis
    assert d is not None and d.change == "reordered" and not d.swapped, d
    line = marked_line(f"change: {case}")
    v1 = (V2_FILE.parent / "changes_v1.py").read_text()
    as_recorded = v1[v1.index(f"class {case}:") :].split("\n        return ")[0]
    assert d.swapped_within.count("\n") == 3, d.swapped_within  # the old statement, whole
    assert textwrap.indent(d.swapped_within, " " * 8) in as_recorded
    assert f"(they traded places in one statement, which runs {d.recorded} too)" in (
        d.explanation()
    )
    fix = d.fix()
    # the gather's first line, above which the gate goes, not the line of a call inside it
    assert fix[0].startswith(f"gate the change at changes_v2.py:{line} in run; ")
    assert fix[0].endswith("so gate the statement alone, as it was in the else:")
    assert fix[1:] == [
        f'    if workflow.patched("{d.patch_id}"):',
        *(f"        {text}" for text in d.gate_at.code.splitlines()),  # type: ignore[union-attr]
        "    else:",
        *(f"        {text}" for text in d.swapped_within.splitlines()),
    ]
    assert "the old code from here on" not in "\n".join(fix)
    # applied as it reads, the history replays
    fixed = gated_as_printed(fix, line, 4)
    assert replay_variant(tmp_path, f"gather_gated_{case}", fixed, case).ok


def test_a_call_moved_before_a_gather_gates_it_with_the_gather(tmp_path: Path) -> None:
    # MoveBeforeGather: gather(fetch, charge), lookup, bill became lookup, gather(...), bill.
    # The gather runs 'fetch' and 'charge', then the history ran 'lookup': the two statements
    # traded places, and the pair is gated as SwapAdjacent's is.
    d = committed_verdicts()["MoveBeforeGather"].diagnosis
    assert d is not None and d.change == "reordered", d
    line = marked_line("change: MoveBeforeGather")
    lookup = d.gate_at.code  # type: ignore[union-attr]
    assert lookup.startswith("found = await workflow.execute_local_activity(lookup")
    assert d.swapped.startswith("fetched, charged = await asyncio.gather(")
    assert d.swapped.count("\n") == 3
    fix = d.fix()
    pair, old = f"{lookup}\n{d.swapped}", f"{d.swapped}\n{lookup}"
    assert fix[1:] == [
        f'    if workflow.patched("{d.patch_id}"):', *(f"        {t}" for t in pair.splitlines()),
        "    else:", *(f"        {t}" for t in old.splitlines()),
    ]  # fmt: skip
    # applied as it reads, the history replays
    fixed = gated_as_printed(fix, line, 5)
    assert replay_variant(tmp_path, "moved_gated", fixed, "MoveBeforeGather").ok


def test_no_swap_is_read_where_a_like_command_follows_the_next_statement() -> None:
    # The swap reading on its own, before the addition reading decides: the sleep after
    # 'charge' still runs the history's timer, so the added sleep did not trade places.
    from replaycheck._commands import history_commands
    from replaycheck._swap_readings import swapped_next

    path = CHANGES / "AddTimerLikeLater" / "change-AddTimerLikeLater.json"
    history = history_commands(read_history(str(path)).history)
    h = next(x for x in history.commands if x.name == "charge")
    line = marked_line("change: AddTimerLikeLater")
    frame = SourceFrame(str(V2_FILE), line, "run", "await workflow.sleep(PAUSE)")
    assert swapped_next(frame, h, Command("timer", "1s"), history) == ""


def test_a_renamed_update_handler_is_fixed_by_a_handler_under_the_old_name(
    tmp_path: Path,
) -> None:
    # An update is no command the code makes: gating "the removal" of one cannot be applied.
    # The history accepted 'set_note', which the code has no handler for any more.
    d = committed_verdicts()["RenameUpdateHandler"].diagnosis
    assert d is not None and d.unhandled_update == "set_note"
    assert "the code has no handler for update 'set_note'" in d.explanation()
    fix = d.fix()
    assert fix[1] == '    @workflow.update(name="set_note")'
    assert not any("workflow.patched(" in line for line in fix)
    # applied (a second handler under the old name, calling the new one), the history replays
    source = V2_FILE.read_text()
    start = source.index("class RenameUpdateHandler:")
    anchor = "    # change: RenameUpdateHandler (the next line)\n"
    at = source.index(anchor, start)
    kept = (
        '    @workflow.update(name="set_note")\n'
        "    def set_note_as_before(self, note: str) -> str:\n"
        "        return self.set_note(note)\n\n"
    )
    fixed = source[:at] + kept + source[at:]
    assert replay_variant(tmp_path, "update_kept", fixed, "RenameUpdateHandler").ok
    # an update whose handler is still there is not blamed on its name
    other = committed_verdicts()["RemoveFromUpdate"].diagnosis
    assert other is not None and not other.unhandled_update


def test_a_timer_of_another_duration_is_the_change_not_the_signal_after_it() -> None:
    # A sleep added before wait_condition(timeout=1h): core takes the 30 min timer for the 1 h
    # one (it does not compare durations) and stops later, at the cancel of the 1 h timer once
    # the signal came. The change is the timer, not the signal's handling.
    d = committed_verdicts()["AddSleepBeforeWait"].diagnosis
    assert d is not None
    assert (d.event_id, d.recorded, d.commanded) == (11, "timer (1h)", "timer (30m)")
    frame = d.location[0]
    assert (Path(frame.file).resolve(), frame.line) == (
        V2_FILE,
        marked_line("change: AddSleepBeforeWait"),
    )
    fix = "\n".join(d.fix())
    assert 'if workflow.patched("timer-30m-before-timer-1h"):' in fix
    assert "gate it in the handler" not in fix
    assert "core does not compare timer durations" in fix
    assert d.core_stopped_at == "event 16 (TimerCanceled)"


def test_a_pending_timer_of_another_duration_is_ok_with_a_note() -> None:
    # Core accepts it, so the verdict is ok; but the running execution keeps its 1 h timer
    # after a deploy, which its ok line says, with the line that asks for 30 min now.
    verdict = committed_verdicts()["ShorterNap"]
    assert verdict.ok and verdict.status == "RUNNING", verdict.message
    line = marked_line("change: ShorterNap")
    assert verdict.message.endswith(
        "; but its timer started at event 11 for 1h is still pending, and the code now asks "
        f"for 30m at tests/workflows/changes_v2.py:{line}: core does not compare durations, "
        "so after a deploy this execution keeps the 1h timer"
    ), verdict.message
    assert [(n.kind, n.file, n.line) for n in verdict.notes] == [
        ("timer", "tests/workflows/changes_v2.py", line)
    ]
    # the same history under the code that recorded it: no note
    from tests.changes import CHANGES, replay_file

    history = CHANGES / "ShorterNap" / "change-ShorterNap.json"
    same = replay_file(history, "tests.workflows.changes_v1")
    assert same.ok and "pending" not in same.message


def test_random_draws_on_the_way_are_named_with_the_fix_of_gating_the_draw() -> None:
    # AddDraw: a uuid4() drawn first shifts the next one, the child's id. Gating the id alone
    # would draw a different value again; the note says to gate the draw.
    d = committed_verdicts()["AddDraw"].diagnosis
    assert d is not None
    first = line_of('workflow.logger.info("trace %s", workflow.uuid4())', V2_FILE)
    assert d.draws == (f"changes_v2.py:{first} in run", f"changes_v2.py:{first + 1} in run")
    note = d.fix()[-1]
    assert note.startswith("  note: the code took workflow.random() / workflow.uuid4() on the way")
    assert (
        'gate the draw instead: x = workflow.uuid4() if workflow.patched("<id>") else None' in note
    )
    assert committed_verdicts()["ChangeChildId"].diagnosis.draws == ()  # type: ignore[union-attr]


def test_a_draw_the_change_did_not_touch_gets_no_note() -> None:
    # DrawThenReorder: a uuid4() taken first thing, then two activities reordered. The draw is
    # in the workflow task that diverged, but nothing there reads it (no id, no condition) and
    # it came before any command: a note on it would be noise.
    d = committed_verdicts()["DrawThenReorder"].diagnosis
    assert d is not None and d.change == "reordered"
    assert d.draws == ()
    assert not any("workflow.random()" in line for line in d.fix())


def test_a_draw_matters_through_an_id_or_a_condition(tmp_path: Path) -> None:
    # The diverging statement passes an id that reads a drawn value, or sits under an if whose
    # condition does (or draws itself); a drawn value passed as an argument does not count
    # (core compares no arguments).
    from replaycheck._draws import _depends

    code = tmp_path / "wf.py"
    code.write_text(
        "async def run(self):\n"
        "    roll = workflow.random().randint(0, 9)\n"
        "    self.token = str(workflow.uuid4())\n"
        "    await c(self.token)\n"
        "    if roll > 4:\n"
        "        await b()\n"
        "    await d(id=f'x-{self.token}')\n"
        "    if workflow.random().random() < 0.5:\n"
        "        await e()\n"
    )
    path = str(code)
    roll, token, inline = (SourceFrame(path, n, "run") for n in (2, 3, 8))
    assert _depends(path, 6, [roll]) and not _depends(path, 6, [token])
    assert _depends(path, 7, [token]) and not _depends(path, 7, [roll])
    assert not _depends(path, 4, [roll, token])
    assert _depends(path, 9, [inline]) and not _depends(path, 9, [roll, token])


def test_a_removed_wait_timeout_is_located_at_the_wait(tmp_path: Path) -> None:
    # RemoveWaitTimeout: the history started the wait's 1 s timer; the code now commands
    # nothing and waits at the wait_condition, past its last command ('fetch'). The diagnosis,
    # its annotation and its fix are at the wait, not at 'fetch'; the fix keeps the timeout in
    # the else, and applied as printed the history replays.
    from replaycheck._render_github import annotation_target

    verdict = committed_verdicts()["RemoveWaitTimeout"]
    d = verdict.diagnosis
    assert d is not None
    line = marked_line("change: RemoveWaitTimeout")
    assert (d.recorded, d.commanded, d.change, d.location) == (
        "timer (1s)",
        "nothing",
        "removed",
        (),
    )
    assert d.previous[0].line == line - 4  # 'fetch', then `approved = False` and `try:`
    assert (Path(d.waits_at[0].file).resolve(), d.waits_at[0].line) == (V2_FILE, line)
    assert d.explanation() == (
        f"the code now waits at changes_v2.py:{line} in run (wait_condition, no timeout) where "
        "the history started timer (1s)"
    )
    assert annotation_target(verdict)[1] == line and d.fix_at == d.waits_at[0]
    assert f"(the code waits at changes_v2.py:{line} in run)" in d.headline()
    fix = d.fix()
    assert fix == [
        f"gate the wait at changes_v2.py:{line} in run (executions recorded before started "
        "timer (1s) there):",
        '    if workflow.patched("remove-approved-timeout"):',
        "        await workflow.wait_condition(lambda: self.approved)",
        "    else:",
        "        await workflow.wait_condition(lambda: self.approved, "
        "timeout=timedelta(seconds=1))",
    ]
    lines = V2_FILE.read_text().splitlines(keepends=True)
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    gated = [indent + x[4:] + "\n" for x in fix[1:]]
    fixed = "".join(lines[: line - 1] + gated + lines[line:])
    assert replay_variant(tmp_path, "remove_wait_timeout_gated", fixed, "RemoveWaitTimeout").ok


def test_the_old_wait_gets_its_timeout_back_as_written() -> None:
    # The else of a removed timeout's fix: the statement as it is, with the timer's duration.
    from replaycheck._waiting import wait_label, with_timeout

    one_line = "await workflow.wait_condition(lambda: self.approved)"
    assert with_timeout(one_line, 3600, True) == (
        "await workflow.wait_condition(lambda: self.approved, timeout=timedelta(hours=1))"
    )
    assert with_timeout(one_line, 1.5, False).endswith("(lambda: self.approved, timeout=1.5)")
    split = "await workflow.wait_condition(\n    lambda: self.approved\n)"
    assert with_timeout(split, 5400, True) == (
        "await workflow.wait_condition(\n    lambda: self.approved,\n"
        "    timeout=timedelta(minutes=90),\n)"
    )
    assert with_timeout("await workflow.wait_condition(f, timeout=3)", 1, True) == ""
    # ast's columns count UTF-8 bytes: a non-ASCII condition keeps the timeout inside the call.
    accented = 'await workflow.wait_condition(lambda: self.s == "été")'
    assert with_timeout(accented, 60, True) == (
        'await workflow.wait_condition(lambda: self.s == "été", timeout=timedelta(minutes=1))'
    )
    assert wait_label(one_line) == "wait_condition, no timeout"
    assert wait_label("await asyncio.wait_for(x, 3)") == "wait_for"
    assert wait_label("await hb") == ""


def test_a_wait_added_where_the_history_went_on_is_located_at_the_wait() -> None:
    # DurationThenWait: a wait_condition added after 'fetch', where the history went on with
    # 'charge': the code waits there. An added wait is the likelier reading (no else); a
    # removed 'charge' the second.
    d = committed_verdicts()["DurationThenWait"].diagnosis
    assert d is not None
    line = marked_line("change: DurationThenWait")
    assert d.waits_at[0].line == line and d.fix_at == d.waits_at[0]
    assert d.explanation().startswith(
        f"the code now waits at changes_v2.py:{line} in run (wait_condition, no timeout) where "
        "the history went on with activity 'charge'"
    )
    fix = d.fix()
    assert fix[1:3] == [
        '    if workflow.patched("add-approved-wait"):',
        "        await workflow.wait_condition(lambda: self.approved)",
    ]
    assert fix[3].startswith("  if activity 'charge' was removed") and "remove-charge" in fix[4]


def test_a_command_removed_before_a_wait_reads_as_the_removal_first(tmp_path: Path) -> None:
    # RemoveBeforeWait: 'charge' removed before the wait the execution waits at. The code no
    # longer runs 'charge' after the wait, so gating the wait alone (the reading that came
    # first) stayed red; the removal is the first reading now, and applied as it reads (the
    # old 'charge' in the else) the history replays.
    d = committed_verdicts()["RemoveBeforeWait"].diagnosis
    assert d is not None and d.change == "removed" and not d.still_runs_later, d
    line = marked_line("change: RemoveBeforeWait")
    assert d.waits_at[0].line == line
    assert "which the code no longer runs after it: activity 'charge' removed" in (
        d.explanation()
    )
    fix = d.fix()
    assert fix[1:5] == [
        '    if workflow.patched("remove-charge"):',
        "        ...  # the new code, without activity 'charge'",
        "    else:",
        "        ...  # the old code (activity 'charge'), for executions recorded before",
    ], fix
    assert fix[5].startswith("  if instead the wait is new") and "add-approved-wait" in fix[6]
    charge = "await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)"
    gated = (
        f'        if workflow.patched("{d.patch_id}"):\n            pass\n'
        f"        else:\n            {charge}\n"
    )
    lines = V2_FILE.read_text().splitlines(keepends=True)
    fixed = "".join(lines[: line - 1]) + gated + "".join(lines[line - 1 :])
    assert replay_variant(tmp_path, "remove_before_wait_gated", fixed, "RemoveBeforeWait").ok


def test_an_added_nexus_cancel_points_at_the_cancel_call(tmp_path: Path) -> None:
    # AddNexusCancel: the cancel command is issued from the operation's own task; the
    # diagnosis points at handle.cancel(), not at start_operation() (which it named, with a
    # fix gating the start), and the fix applied as printed replays.
    d = committed_verdicts()["AddNexusCancel"].diagnosis
    assert d is not None and d.commanded_kind == "cancel-nexus", d
    # Named after the operation it cancels, as an activity's cancel is.
    assert d.commanded == "cancel of Nexus operation 'Stock/hold'"
    assert d.patch_id == "cancel-hold-before-charge"
    line = marked_line("change: AddNexusCancel")
    frame = d.location[0]
    assert (Path(frame.file).resolve(), frame.line, frame.code) == (
        V2_FILE, line, "handle.cancel()"
    )
    fix = first_reading("\n".join(d.fix())).splitlines()
    start = fix.index(f'    if workflow.patched("{d.patch_id}"):')
    assert fix[start + 1] == "        handle.cancel()" and "    else:" not in fix
    # The operation closed before 'charge': the execution awaited it, so the await after the
    # cancel is old code, not part of the gate (it was called "added in a row" with it).
    assert fix[start + 2 :] == [] and not any("added in a row" in x for x in fix), fix
    lines = V2_FILE.read_text().splitlines(keepends=True)
    block = [x for x in fix[start:] if not x.lstrip().startswith("#")]
    gated = "".join(f"        {x[4:]}\n" for x in block)
    fixed = "".join(lines[: line - 1]) + gated + "".join(lines[line - 1 + len(block) - 1 :])
    assert replay_variant(tmp_path, "nexus_cancel_gated", fixed, "AddNexusCancel").ok


def test_a_command_added_to_a_signal_handler_reads_as_an_addition() -> None:
    # The handler's new 'audit' runs before run()'s 'charge', which the class still runs: an
    # addition in the handler (no else), not a replacement that would run 'charge' twice.
    d = committed_verdicts()["AddInSignalHandler"].diagnosis
    assert d is not None and d.still_runs_later
    frame = d.location[d.gate_frame]
    assert (frame.function, frame.line) == ("add", marked_line("change: AddInSignalHandler"))
    first = first_reading("\n".join(d.fix()))
    assert "still runs after it (an addition), no else" in first
    assert 'if workflow.patched("audit-before-charge"):' in first
    assert "note:" not in "\n".join(d.fix())  # the gate already is in the signal's handler
    assert any(row.recorded == "signal 'add' received" for row in d.timeline)


def test_a_command_removed_from_a_signal_handler_points_at_the_handler_too() -> None:
    d = committed_verdicts()["RemoveFromSignalHandler"].diagnosis
    assert d is not None and d.signals and d.signals[0].startswith("signal 'add' (event ")
    assert "gate the change in its handler instead" in d.fix()[-1]


def test_a_signal_before_the_code_first_command_is_not_said_to_follow_a_matching_one() -> None:
    # RemoveFromSignalHandler: the code waits for 'add' (no command) and then diverges at its
    # first command: no command matched before the signal arrived.
    d = committed_verdicts()["RemoveFromSignalHandler"].diagnosis
    assert d is not None and d.signals == (f"signal 'add' (event {d.timeline[0].event_id})",)
    assert d.fix()[-1].startswith(f"  note: {d.signals[0]} arrived before the code's first command")
    # after a command that matched, the signal arrived since it
    fetched = TimelineRow(event_id=3, recorded="activity 'fetch'", commanded="activity 'fetch'")
    after = replace(d, timeline=(fetched, *d.timeline))
    assert after.fix()[-1].startswith(
        f"  note: {d.signals[0]} arrived since the code's last matching command: if the handling"
    )


NOTE_SINCE = "  note: signal 'add' (event 11) arrived since the code's last matching command"


@pytest.mark.parametrize("name", ["RenameAfterSignalWait", "ReorderAfterSignalWait"])
def test_a_signal_whose_handling_cannot_explain_the_change_gets_no_note(name: str) -> None:
    # The code waits for 'add' after 'fetch' as it did; then the activity after the wait was
    # renamed, or the two after it traded places. The handler only appends to self.items, which
    # nothing on the way to the diverging command reads but the wait: however it handled the
    # signal, the code ran the same straight line after it. The signal is still in the
    # timeline and in `signals` (it arrived); it is not among those that could explain it.
    d = committed_verdicts()[name].diagnosis
    assert d is not None and d.signals == ("signal 'add' (event 11)",)
    assert d.signals_relevant == () and d.to_json_dict()["signals_relevant"] == ()
    assert not any("note: signal" in line for line in d.fix()), d.fix()
    assert any(row.recorded == "signal 'add' received" for row in d.timeline)


def test_a_signal_whose_handler_sets_what_the_branch_reads_keeps_its_note() -> None:
    # 'run' did not change; the handler of 'add' now sets self.rush for every order of the
    # shop, and `if self.rush:` took the other branch: the handling of the signal is the change.
    d = committed_verdicts()["RushBySignal"].diagnosis
    assert d is not None and d.change == "branch"
    assert d.signals_relevant == d.signals == ("signal 'add' (event 11)",)
    assert d.fix()[-1].startswith(
        f"{NOTE_SINCE}: if the handling of signal 'add' changed rather than this code, gate the "
        "change in its handler instead"
    )
    assert Diagnosis.from_json_dict(json.loads(json.dumps(d.to_json_dict()))) == d


SIGNAL_VARIANTS = {
    "handler-issues-commands": (  # a handler that issues commands may have issued the other
        """
    @workflow.signal
    async def add(self, item: str) -> None:
        self.items.append(item)
        if item == "never":
            await workflow.execute_activity(audit, item, start_to_close_timeout=TIMEOUT)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
""",
        True,
    ),
    "runs-what-a-local-chose": (  # what the call runs comes from the handler's state
        """
    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        step = bill if self.items else charge
        return await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT)
""",
        True,
    ),
    "input-only": (  # core compares no input: state passed as input explains nothing
        """
    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(bill, self.items[0], start_to_close_timeout=TIMEOUT)
""",
        False,
    ),
    "property-via-helper-named": (  # name= matches; a helper writes; a property reads it
        """
    @workflow.signal(name="add")
    def on_add(self, item: str) -> None:
        self._remember(item)

    def _remember(self, item: str) -> None:
        self.items.append(item)

    @property
    def ready(self) -> bool:
        return bool(self.items)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        if self.ready:
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
""",
        True,
    ),
    "condition-not-reading": (  # the same handler, found by name=, writes what no if reads
        """
    @workflow.signal(name="add")
    def on_add(self, item: str) -> None:
        self._remember(item)

    def _remember(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        if order:
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
""",
        False,
    ),
    "dynamic-handler": (  # a dynamic handler takes it: what it does is not read
        """
    @workflow.signal(dynamic=True)
    def any_signal(self, name: str, args: Sequence[RawValue]) -> None:
        self.items.append(name)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
""",
        True,
    ),
}


@pytest.mark.parametrize("variant", sorted(SIGNAL_VARIANTS))
def test_the_signal_note_stays_where_the_handling_could_explain_the_change(
    tmp_path: Path, variant: str
) -> None:
    # RenameAfterSignalWait's history (the activity after the wait for 'add' was 'charge')
    # against variants of the code that runs 'bill' there.
    body, noted = SIGNAL_VARIANTS[variant]
    source = V2_FILE.read_text()
    start = source.index("class RenameAfterSignalWait:")
    end = source.index("\n\n\n", start)
    future = "from __future__ import annotations\n"
    assert source.count(future) == 1
    imports = "from collections.abc import Sequence\n\nfrom temporalio.common import RawValue\n"
    class_source = "class RenameAfterSignalWait:\n    def __init__(self) -> None:\n"
    class_source += "        self.items: list[str] = []\n" + body.rstrip("\n")
    changed = source[:start] + class_source + source[end:]
    changed = changed.replace(future, f"{future}\n{imports}", 1)
    d = replay_variant(tmp_path, f"signal_{variant.replace('-', '_')}", changed,
                       "RenameAfterSignalWait").diagnosis  # fmt: skip
    assert d is not None and (d.recorded_name, d.commanded_name) == ("charge", "bill")
    assert d.signals == ("signal 'add' (event 11)",)
    assert any(line.startswith(NOTE_SINCE) for line in d.fix()) is noted, d.fix()


def test_a_removed_cancel_is_placed_before_the_commands_of_its_workflow_task() -> None:
    # The history records the timer's cancel after 'charge' (a cancel takes effect at the end
    # of the workflow task), but the code cancelled before running 'charge': the place to gate
    # is after the timer, not after 'charge'.
    d = committed_verdicts()["RemoveTimerCancel"].diagnosis
    assert d is not None and (d.change, d.recorded_kind) == ("removed", "cancel-timer")
    assert d.previous[0].line == marked_line("before: RemoveTimerCancel")
    first = d.fix()[0]
    assert first.startswith(
        f"gate the change where timer cancellation was, after "
        f"changes_v2.py:{d.previous[0].line} in run (a cancel is recorded"
    )


def test_a_cancel_of_an_abandoned_activity_gates_its_cancellation_type(tmp_path: Path) -> None:
    # AbandonCancel: the activity is now scheduled with ABANDON, so handle.cancel() issues no
    # command where the history recorded the cancel request. The code's side is what it did
    # command there ('charge'), never "cancel instead of cancel", and the fix gates the
    # cancellation_type argument (gating handle.cancel() would run the same call both ways).
    d = committed_verdicts()["AbandonCancel"].diagnosis
    assert d is not None, d
    assert (d.recorded, d.commanded) == ("cancel of activity 'slow'", "activity 'charge'")
    assert all(row.commanded != row.recorded for row in d.timeline if row.diverged)
    line = marked_line("change: AbandonCancel")
    assert d.abandoned_at is not None and d.abandoned_at.line == line
    assert d.fix_at == d.abandoned_at
    assert Diagnosis.from_json_dict(d.to_json_dict()) == d
    cancel = marked_line("cancel: AbandonCancel")
    assert d.explanation() == (
        "the code no longer requests cancellation of activity 'slow': handle.cancel() at "
        f"changes_v2.py:{cancel} in run issues no command because its cancellation_type is "
        f"workflow.ActivityCancellationType.ABANDON (changes_v2.py:{line} in run), and the "
        "code went on to activity 'charge'"
    )
    fix = d.fix()
    at = f"changes_v2.py:{line} in run"
    assert fix[0].startswith(f"gate the cancellation_type of activity 'slow' at {at} ")
    assert fix[1:] == [
        "    cancellation_type=workflow.ActivityCancellationType.ABANDON if "
        'workflow.patched("abandon-slow") else '
        "workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,"
    ]
    # The fix applied as printed: the history replays.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    fixed = "".join([*lines[: line - 1], indent + fix[1].strip() + "\n", *lines[line:]])
    assert replay_variant(tmp_path, "abandon_cancel_gated", fixed, "AbandonCancel").ok


@pytest.mark.parametrize(
    ("case", "old"),
    [
        ("AbandonChildCancel", "WAIT_CANCELLATION_COMPLETED"),
        ("AbandonTriedChildCancel", "TRY_CANCEL"),
        ("AbandonChildTaskCancel", "WAIT_CANCELLATION_COMPLETED"),
        # recorded with WAIT_CANCELLATION_REQUESTED, which waited for the child's cancellation
        # all the same (ChildWorkflowExecutionCanceled before 'charge'): either type replays
        ("AbandonRequestedChildCancel", "WAIT_CANCELLATION_COMPLETED"),
    ],
)
def test_a_cancel_of_an_abandoned_child_gates_its_cancellation_type(
    tmp_path: Path, case: str, old: str
) -> None:
    # The child is now started with ABANDON, so child.cancel() (or cancelling the task that
    # awaits it) issues no command where the history recorded the request to cancel it: never
    # "external cancel where the history recorded external cancel", and the fix gates the
    # cancellation_type argument, with the old type the history shows.
    d = committed_verdicts()[case].diagnosis
    assert d is not None, d
    child_type = "Lingering" if case == "AbandonRequestedChildCancel" else "Sink"
    child = f"child workflow {child_type!r} (id 'change-{case}-child')"
    assert (d.change, d.commanded, d.cancelled_child) == (
        "removed", "activity 'charge'", child_type)  # fmt: skip
    line = marked_line(f"change: {case}")
    assert d.abandoned_at is not None and d.abandoned_at.line == line
    assert d.fix_at == d.abandoned_at
    assert Diagnosis.from_json_dict(d.to_json_dict()) == d
    assert d.recorded == f"cancel of {child}"  # not "external cancel '<child id>'"
    assert d.explanation().startswith(f"the code no longer requests cancellation of {child}: ")
    assert "issues no command because its cancellation_type is " in d.explanation()
    enum = "workflow.ChildWorkflowCancellationType"
    fix = d.fix()
    assert fix[0].startswith(f"gate the cancellation_type of {child} at changes_v2.py:{line} ")
    assert fix[1:] == [
        f"    cancellation_type={enum}.ABANDON if "
        f'workflow.patched("abandon-{child_type.lower()}") else {enum}.{old},'
    ]
    # The fix applied as printed: the history replays.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    fixed = "".join([*lines[: line - 1], indent + fix[1].strip() + "\n", *lines[line:]])
    assert replay_variant(tmp_path, f"{case.lower()}_gated", fixed, case).ok


def test_a_childs_cancel_in_a_history_is_named_after_the_child() -> None:
    # The timeline (check, inspect) shows which child a cancel request was for, not only an id.
    history = read_history(CHANGES / "RemoveChildCancel" / "change-RemoveChildCancel.json")
    cancels = [c for c in history_commands(history.history).commands if c.kind == "cancel-external"]
    assert [c.describe() for c in cancels] == [
        "cancel of child workflow 'Sink' (id 'change-RemoveChildCancel-child')"
    ]
    assert Command("cancel-external", "other-id").describe() == "external cancel 'other-id'"


def test_a_childs_cancel_the_code_adds_is_named_after_the_child(tmp_path: Path) -> None:
    # AddChildCancel: the code now cancels its child where the history ran 'charge'. The
    # "code commanded" line, the change and the patch id name the child, not the child's id
    # as an external workflow's.
    d = committed_verdicts()["AddChildCancel"].diagnosis
    assert d is not None and (d.change, d.still_runs_later) == ("replaced", True), d
    cancel = "cancel of child workflow 'Sink' (id 'change-AddChildCancel-child')"
    assert (d.recorded, d.commanded) == ("activity 'charge'", cancel)
    assert d.explanation().startswith(f"the code commands {cancel} where")
    assert d.patch_id == "cancel-sink-before-charge"
    assert d.headline().endswith(
        f"history recorded activity 'charge', code commanded {cancel} at changes_v2.py:"
        f"{marked_line('before: AddChildCancel')} in run"
    )
    # The fix applied as it reads (the added statements under the gate): the history replays.
    fix = d.fix()
    gate = next(i for i, x in enumerate(fix) if x.strip().startswith("if workflow.patched("))
    assert fix[gate].strip() == 'if workflow.patched("cancel-sink-before-charge"):'
    body = [x[4:] for x in fix[gate + 1 : gate + 4]]
    assert [x.strip() for x in body] == [
        "child.cancel()", "with contextlib.suppress(ChildWorkflowError):", "await child"]
    source = V2_FILE.read_text()
    lines = source.splitlines(keepends=True)
    line = marked_line("before: AddChildCancel")
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    gated = [f"{indent}{fix[gate].strip()}\n", *(f"{indent}    {x.strip()}\n" for x in body[:2]),
             f"{indent}        {body[2].strip()}\n"]  # fmt: skip
    fixed = "".join([*lines[: line - 1], *gated, *lines[line + 2 :]])
    assert replay_variant(tmp_path, "add_child_cancel_gated", fixed, "AddChildCancel").ok


def test_a_childs_cancel_moved_after_the_next_command_reads_as_a_move(tmp_path: Path) -> None:
    # MoveChildCancel: the code charges first and cancels its child after. Replay stops at
    # 'charge', before the code's cancel; the source still calls cancel() after it, so this is
    # no removal ("the code no longer requests cancellation" was wrong): the two traded places.
    d = committed_verdicts()["MoveChildCancel"].diagnosis
    assert d is not None and d.change == "reordered", d
    cancel = "cancel of child workflow 'Sink' (id 'change-MoveChildCancel-child')"
    assert (d.recorded, d.commanded) == (cancel, "activity 'charge'")
    assert d.explanation().startswith(f"activity 'charge' now comes before {cancel}")
    fix = d.fix()
    assert "(moved after it)" in fix[0] and "no longer requests" not in "\n".join(fix)
    assert fix[1] == '    if workflow.patched("charge-before-cancel-sink"):', fix
    # The fix applied as it reads (the new order under the gate, the old one in the else):
    # the history replays.
    source = V2_FILE.read_text()
    start = source.index("class MoveChildCancel:")
    charge_call = "workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)"
    new_order = (
        f"        charged = await {charge_call}\n        child.cancel()\n"
        "        with contextlib.suppress(ChildWorkflowError):\n            await child\n"
        "        return charged\n"
    )
    old_order = (
        "            child.cancel()\n            with contextlib.suppress(ChildWorkflowError):\n"
        f"                await child\n            return await {charge_call}\n"
    )
    gated = (
        '        if workflow.patched("charge-before-cancel-sink"):\n'
        + "".join(f"    {x}\n" for x in new_order.splitlines())
        + "        else:\n" + old_order
    )  # fmt: skip
    assert source[start:].count(new_order) >= 1
    fixed = source[:start] + source[start:].replace(new_order, gated, 1)
    assert replay_variant(tmp_path, "move_child_cancel_gated", fixed, "MoveChildCancel").ok


def test_a_wait_that_times_out_and_fails_the_workflow_is_located_and_explained(
    tmp_path: Path,
) -> None:
    # SleepToWait: a sleep became a wait_condition with the same timeout, whose TimeoutError
    # nothing catches: the workflow fails where the history went on to 'charge'. The failure
    # came up through an await, not a raise: it had no line, no name and no explanation.
    d = committed_verdicts()["SleepToWait"].diagnosis
    assert d is not None
    line = marked_line("wait: SleepToWait")
    assert (d.recorded, d.commanded) == ("activity 'charge'", "workflow failure 'TimeoutError'")
    assert [(f.line, f.function) for f in d.location[:1]] == [(line, "run")]
    assert d.explanation() == (
        "the workflow now fails with asyncio.TimeoutError where this execution went on with "
        f"activity 'charge': the wait at changes_v2.py:{line} in run ran out, and a timeout "
        "that is not caught fails the workflow (catch asyncio.TimeoutError if the wait may run "
        "out)"
    )
    # Caught as the explanation says, the wait makes the commands the history recorded.
    source = V2_FILE.read_text()
    wait = "        await workflow.wait_condition(lambda: self.rushed, timeout=PAUSE)\n"
    caught = ("        with contextlib.suppress(asyncio.TimeoutError):\n"
              "            await workflow.wait_condition(lambda: self.rushed, timeout=PAUSE)\n")
    assert source.count(wait) == 1
    assert replay_variant(tmp_path, "sleep_to_wait_caught", source.replace(wait, caught),
                          "SleepToWait").ok  # fmt: skip


def test_a_signal_input_the_handler_cannot_decode_is_named_with_a_fix_that_is_no_gate(
    tmp_path: Path,
) -> None:
    # ChangeSignalType: the signal's parameter became a dataclass. temporalio drops the signal
    # whose recorded input (a string) no longer decodes, and the code waits on. The diagnosis
    # read "that signal's handler, its argument type or the condition waiting for it changed"
    # and offered patched() gates, which cannot help: decoding comes before any workflow code.
    d = committed_verdicts()["ChangeSignalType"].diagnosis
    assert d is not None
    assert d.undecoded.startswith("signal 'add' (event ")
    assert d.undecoded_error.startswith("TypeError: Cannot convert to dataclass"), d
    assert d.explanation().startswith(
        f"the code's handler cannot take the input of {d.undecoded} any more (TypeError: "
    )
    assert d.explanation().endswith(
        "temporalio dropped it, so the code did not go on where the history went on with "
        "activity 'charge'; the handler's parameter types changed"
    )
    fix = d.fix()
    assert fix[0].startswith("make the handler of signal 'add' take the input executions")
    assert fix[1:3] == ['    @workflow.signal(name="add")',
                        "    async def handler(self, arg: OldType | NewType) -> None:"]
    assert not any("patched(" in x for x in fix[1:])
    # The handler taking both types, as the fix says: the history replays.
    source = V2_FILE.read_text()
    new = "    async def add(self, item: LineItem) -> None:\n"
    assert source.count(new) == 1
    both = source.replace(new, "    async def add(self, item: LineItem | str) -> None:\n")
    assert replay_variant(tmp_path, "change_signal_type_both", both, "ChangeSignalType").ok


def test_an_update_input_the_handler_cannot_decode_is_named_where_the_history_accepted_it(
    tmp_path: Path,
) -> None:
    # ChangeUpdateType: the update's parameter became a dataclass; temporalio rejects the
    # update the history accepted, which is where replay diverges (it read as a wait added).
    d = committed_verdicts()["ChangeUpdateType"].diagnosis
    assert d is not None
    assert d.undecoded == f"update 'set_note' (event {d.event_id})"
    assert d.explanation().endswith(
        "temporalio rejected it where the history accepted it; the handler's parameter types "
        "changed"
    )
    assert d.fix()[1:3] == ['    @workflow.update(name="set_note")',
                            "    async def handler(self, arg: OldType | NewType) -> ReturnType:"]
    # The handler taking both types, as the fix says: the history replays.
    source = V2_FILE.read_text()
    start = source.index("class ChangeUpdateType:")
    new = """    async def set_note(self, note: Note) -> str:
        self.note = note.text
        return note.text
"""
    both = """    async def set_note(self, note: Note | str) -> str:
        self.note = note if isinstance(note, str) else note.text
        return self.note
"""
    assert source[start:].count(new) == 1
    fixed = source[:start] + source[start:].replace(new, both)
    assert replay_variant(tmp_path, "change_update_type_both", fixed, "ChangeUpdateType").ok


def test_the_cancel_of_an_abandoned_child_is_named_where_the_code_cancels_it() -> None:
    d = committed_verdicts()["AbandonChildCancel"].diagnosis
    assert d is not None
    assert d.abandoned_by == (
        f"child.cancel() at changes_v2.py:{marked_line('cancel: AbandonChildCancel')} in run"
    )


def test_a_removed_child_cancel_is_gated_where_it_was_whatever_runs_next(
    tmp_path: Path,
) -> None:
    # RemoveChildCancel: child.cancel() is gone and the code goes on to 'bill' (or 'charge' in
    # the if's other branch): one change, gated after the sleep where the cancel was.
    d = committed_verdicts()["RemoveChildCancel"].diagnosis
    assert d is not None and (d.change, d.commanded, d.cancelled_child) == (
        "removed", "activity 'bill'", "Sink"), d  # fmt: skip
    assert d.location == () and d.fix_at is None and d.patch_id == "remove-cancel-sink"
    line = marked_line("before: RemoveChildCancel")
    assert d.previous[0].line == line
    assert d.explanation().startswith(
        "the code no longer requests cancellation of child workflow 'Sink' "
        "(id 'change-RemoveChildCancel-child'); it went on to activity 'bill'"
    )
    fix = d.fix()
    assert d.recorded == "cancel of child workflow 'Sink' (id 'change-RemoveChildCancel-child')"
    assert fix[0].startswith(f"gate the change where {d.recorded} ")
    assert fix[0].endswith(f"was, after changes_v2.py:{line} in run:")
    assert fix[1] == '    if workflow.patched("remove-cancel-sink"):'
    source = V2_FILE.read_text()
    start = source.index("class RemoveChildCancel:")
    other = source[:start] + source[start:].replace(
        'if order.endswith("-rush"):', 'if not order.endswith("-rush"):', 1
    )
    d2 = replay_variant(tmp_path, "remove_child_cancel_other_branch", other,
                        "RemoveChildCancel").diagnosis  # fmt: skip
    assert d2 is not None and d2.commanded == "activity 'charge'"
    renamed = [x.replace("remove_child_cancel_other_branch.py", "changes_v2.py") for x in d2.fix()]
    assert renamed == fix
    # The fix applied as it reads (the old cancel in the else): the history replays.
    lines = source.splitlines(keepends=True)
    child_line = line_of("await workflow.start_child_workflow(\n            Sink.run,\n"
                         '            id=f"{order}-child",\n'
                         "            cancellation_type=workflow.ChildWorkflowCancellationType"
                         ".WAIT_CANCELLATION_COMPLETED,", V2_FILE)  # fmt: skip
    assert lines[child_line - 1].strip().startswith("await workflow.start_child_workflow(")
    lines[child_line - 1] = lines[child_line - 1].replace("await ", "child = await ", 1)
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    old = [
        'if workflow.patched("remove-cancel-sink"):', "    pass", "else:",
        "    child.cancel()", "    with contextlib.suppress(ChildWorkflowError):",
        "        await child",
    ]  # fmt: skip
    fixed = "".join([*lines[:line], *(f"{indent}{x}\n" for x in old), *lines[line:]])
    assert replay_variant(tmp_path, "remove_child_cancel_gated", fixed, "RemoveChildCancel").ok


def test_a_removed_activity_cancel_is_gated_where_it_was_whatever_runs_next(
    tmp_path: Path,
) -> None:
    # RemoveActivityCancel: the cancel is gone and the code goes on to 'bill' (or 'charge',
    # in the if's other branch): one change, gated after the sleep where the cancel was, not
    # at whichever activity each branch runs next (that made one fix per branch).
    d = committed_verdicts()["RemoveActivityCancel"].diagnosis
    assert d is not None and (d.change, d.recorded, d.commanded) == (
        "removed", "cancel of activity 'slow'", "activity 'bill'"), d  # fmt: skip
    assert d.location == () and d.fix_at is None
    line = marked_line("before: RemoveActivityCancel")
    assert d.previous[0].line == line
    no_longer = "the code no longer requests cancellation of activity 'slow'"
    assert d.explanation().startswith(f"{no_longer}; it went on to activity 'bill'")
    fix = d.fix()
    assert fix[0].startswith(
        f"gate the change where cancel of activity 'slow' was, after changes_v2.py:{line} in run"
    )
    assert fix[1] == '    if workflow.patched("remove-cancel-slow"):'
    source = V2_FILE.read_text()
    # the other branch: the same fix, at the same place
    other = source.replace('if order.endswith("-rush"):', 'if not order.endswith("-rush"):')
    d2 = replay_variant(tmp_path, "remove_cancel_other_branch", other,
                        "RemoveActivityCancel").diagnosis  # fmt: skip
    assert d2 is not None and d2.commanded == "activity 'charge'"
    assert [x.replace("remove_cancel_other_branch.py", "changes_v2.py") for x in d2.fix()] == fix
    # The fix applied as it reads (the old cancel in the else): the history replays.
    lines = source.splitlines(keepends=True)
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    old = [
        'if workflow.patched("remove-cancel-slow"):', "    pass", "else:",
        "    if not handle.done():", "        handle.cancel()",
        "        with contextlib.suppress(ActivityError):", "            await handle",
    ]  # fmt: skip
    fixed = "".join([*lines[:line], *(f"{indent}{x}\n" for x in old), *lines[line:]])
    assert replay_variant(tmp_path, "remove_cancel_gated", fixed, "RemoveActivityCancel").ok


def test_a_failing_diagnosis_keeps_the_verdict_and_shows_the_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A bug in reading the replay (here: a command temporalio never makes) must not lose the
    # verdict: it used to leave the history without one (a timeout, or a crashed run).
    from temporalio.workflow import NondeterminismError

    from replaycheck._recording import Recording
    from replaycheck._worker_verdict import failure_verdict

    loaded = read_history(NONDETERMINISTIC)
    message = "[TMPRL1100] Nondeterminism error: Timer machine does not handle this event"
    recording = Recording(entries=[(object(), 0, ())])  # type: ignore[list-item]
    verdict = failure_verdict(loaded, NondeterminismError(message), 0.1, recording)
    assert verdict.verdict == "nondeterministic"
    assert verdict.diagnosis is not None and verdict.diagnosis.message == message
    assert "Traceback" in capsys.readouterr().err


def fix_text(name: str) -> str:
    verdict = committed_verdicts()[name]
    assert verdict.diagnosis is not None
    return "\n".join(verdict.diagnosis.fix())


def first_reading(fix: str) -> str:
    """The suggested gate before the alternative reading (``  if ...`` at column 2)."""
    return fix.split("\n  if ")[0]


def test_a_local_activity_turned_regular_is_one_reading_with_the_old_one_in_the_else() -> None:
    # The same activity run the other way: an "addition" of it cannot be the change.
    fix = fix_text("LocalToActivity")
    assert 'if workflow.patched("lookup-instead-of-lookup-local"):' in fix
    assert "    else:\n        ...  # the old code (local activity 'lookup')" in fix
    assert "an addition" not in fix and "before-lookup" not in fix


def test_a_call_added_of_a_type_the_workflow_runs_again_later_is_an_addition() -> None:
    # 'audit' also runs later, as the history recorded: not a reorder (which would have the
    # whole rest of the workflow copied into an else), an addition.
    d = committed_verdicts()["AddReusedActivity"].diagnosis
    assert d is not None and d.change == "added"
    fix = fix_text("AddReusedActivity")
    assert 'if workflow.patched("add-audit"):' in fix and "    else:" not in fix


def test_a_call_added_in_a_helper_every_step_goes_through_is_an_addition_there() -> None:
    # AddInHelper: 'audit' added in _step(step, order), which every caller passes its activity
    # (fetch, then charge): the history's 'fetch' still runs after it, as _step's parameter.
    # One gate in the helper, under an id no caller's activity is in: every caller shares it.
    d = committed_verdicts()["AddInHelper"].diagnosis
    assert d is not None and d.still_runs_later and d.gate_at is not None
    assert d.gate_at.function == "_step"
    fix = fix_text("AddInHelper")
    first = first_reading(fix)
    assert 'if workflow.patched("audit-in-step"):\n' in first and "    else:" not in first, fix


def test_a_cleanup_removed_before_a_re_raise_is_a_removal_after_the_last_matching_line() -> None:
    # RemoveCleanupOnCancel: the code cancels the workflow where the history ran 'audit'.
    # Nothing runs after a workflow's end, so 'audit' cannot have moved after it: removed,
    # gated after the sleep (the timer cancel that matched last has no line of its own).
    d = committed_verdicts()["RemoveCleanupOnCancel"].diagnosis
    assert d is not None and d.change == "removed", d
    assert d.previous and d.previous[0].line == marked_line("change: RemoveCleanupOnCancel")
    fix = fix_text("RemoveCleanupOnCancel")
    assert fix.startswith("gate the change where activity 'audit' was, after changes_v2.py:")
    assert "moved" not in fix and 'if workflow.patched("remove-audit"):' in fix


def test_a_cancel_no_longer_caught_is_gated_where_it_was_caught() -> None:
    # PropagateCancel: the code used to catch the cancel and go on to 'charge', which it still
    # runs after the sleep: 'charge' was not removed, the cancel is no longer caught.
    d = committed_verdicts()["PropagateCancel"].diagnosis
    assert d is not None and d.change != "removed" and d.cancel_uncaught, d
    assert "is no longer caught" in d.explanation()
    fix = fix_text("PropagateCancel")
    assert "remove-charge" not in fix
    assert fix.startswith("gate where the code catches the cancellation around changes_v2.py:")
    assert (
        "    try:\n        await workflow.sleep(timedelta(hours=1))\n"
        "    except asyncio.CancelledError:\n"
        '        if workflow.patched("propagate-cancel"):\n            raise'
    ) in fix


@pytest.mark.parametrize("case", ["MoveChargeFirst", "MoveAuditFirst"])
def test_a_reorder_stays_a_reorder_though_the_type_is_named_later(case: str) -> None:
    # MoveChargeFirst: only a string mentions 'charge' later; MoveAuditFirst: 'audit' runs
    # later once, where the history ran it twice. Neither is an addition: the old order goes
    # in the else.
    # MoveAuditFirst moved 'audit' up by one statement: the pair is gated (see SwapAdjacent).
    d = committed_verdicts()[case].diagnosis
    assert d is not None and d.change == "reordered", d
    if case == "MoveAuditFirst":
        fetch = "await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)"
        assert d.swapped == fetch
        assert "the two traded places, so gate both" in fix_text(case)
    else:
        assert not d.swapped
        assert "the old code from here on, in its order" in fix_text(case)


def test_a_changed_duration_is_not_blamed_for_a_later_change() -> None:
    # DurationThenWait: sleep(1s) became sleep(2s) (core does not compare it), then fetch
    # matched, then an added wait_condition left 'charge' uncommanded: the change is there.
    d = committed_verdicts()["DurationThenWait"].diagnosis
    assert d is not None and (d.event_id, d.recorded) == (16, "activity 'charge'")
    assert not d.core_stopped_at


def test_a_timeout_wrapped_around_the_recorded_call_keeps_the_call_in_the_else() -> None:
    # WrapInWaitFor: asyncio.wait_for's timer comes first, in the statement that still runs
    # 'charge': without an else, old executions would skip 'charge' too.
    fix = fix_text("WrapInWaitFor")
    assert 'if workflow.patched("timer-before-charge"):' in fix
    assert "    else:\n        ...  # the statement as it was, without timer (30s)" in fix


def test_the_header_of_a_with_block_is_the_whole_block(tmp_path: Path) -> None:
    # async with asyncio.timeout(30): its timer comes from the header; the gate wraps the block.
    from replaycheck._source import statement_source, statement_span

    code = tmp_path / "wf.py"
    code.write_text(
        "async def run():\n"
        "    async with asyncio.timeout(30):\n"
        "        await charge()\n"
        "    await ship()\n"
    )
    assert statement_span(str(code), 2) == (2, 3)
    assert statement_span(str(code), 3) == (3, 3)
    assert statement_source(str(code), 2) == ("async with asyncio.timeout(30):\n    await charge()")


def test_children_started_in_the_other_order_are_a_reorder_not_an_id_change() -> None:
    # Core compares child ids first, so its message is about ids; the types differ too.
    d = committed_verdicts()["SwapChildren"].diagnosis
    assert d is not None and d.change == "reordered", d
    assert (d.recorded, d.commanded) == (
        "child workflow 'PackOrder'",
        "child workflow 'GiftWrapOrder'",
    )
    assert d.swapped_within  # the gather alone is gated (see SwapInGather)


def test_a_signal_with_no_handler_left_says_to_keep_one_under_the_old_name() -> None:
    # Gating inside a handler cannot help: no handler runs for 'add' any more.
    d = committed_verdicts()["RenameSignalHandler"].diagnosis
    assert d is not None and d.unhandled_signal == "add"
    assert d.explanation().startswith("the code has no handler for signal 'add'")
    fix = fix_text("RenameSignalHandler")
    assert '@workflow.signal(name="add")' in fix and "patched(" not in fix


def test_a_signal_with_start_with_no_handler_left_says_to_keep_one_under_the_old_name() -> None:
    # RenameSignalWithStart: 'add' came with the start (signal-with-start), before the code's
    # first command, so no signal arrived since the last matching one; it is still unhandled.
    d = committed_verdicts()["RenameSignalWithStart"].diagnosis
    assert d is not None and d.unhandled_signal == "add"
    assert d.explanation().startswith("the code has no handler for signal 'add'")
    assert [row.recorded for row in d.timeline][:2] == ["signal 'add' received", "activity 'fetch'"]
    fix = fix_text("RenameSignalWithStart")
    assert '@workflow.signal(name="add")' in fix and "patched(" not in fix


def test_a_memo_upsert_added_before_one_the_history_ran_later_is_an_addition() -> None:
    # AddMemoUpsert: the history's memo upsert after 'charge' is the code's later
    # upsert_memo, not the new one moved: a swap's else (charge, then the new upsert) would
    # run that upsert twice.
    d = committed_verdicts()["AddMemoUpsert"].diagnosis
    assert d is not None and d.change == "added" and not d.swapped, d
    fix = fix_text("AddMemoUpsert")
    assert 'if workflow.patched("add-memo"):' in fix and "    else:" not in fix


def test_an_upsert_added_on_a_running_history_is_an_addition_by_what_it_sets(
    tmp_path: Path,
) -> None:
    # AddMemoUpsertRunning: AddMemoUpsert recorded while its timer runs. A running history may
    # not have reached the code's later upserts, but its memo upsert after 'charge' sets
    # "charged", not the "fetched" the new one sets: not the new one moved up. It read as a
    # swap, whose else ran the upsert twice.
    d = committed_verdicts()["AddMemoUpsertRunning"].diagnosis
    assert d is not None and (d.change, d.swapped, d.severity) == ("added", "", IN_FLIGHT), d
    memo = 'workflow.upsert_memo({"stage": "fetched"})'
    assert d.fix()[1:] == [f'    if workflow.patched("{d.patch_id}"):', f"        {memo}"]
    source = V2_FILE.read_text()
    call = f"        # change: AddMemoUpsertRunning (the next line)\n        {memo}\n"
    assert source.count(call) == 1
    gated = "".join(f"        {text[4:]}\n" for text in d.fix()[1:])
    assert replay_variant(tmp_path, "memo_running_gated", source.replace(call, gated),
                          "AddMemoUpsertRunning").ok  # fmt: skip
    # the same value as the history's later upsert: that one may be the new one moved up
    start = source.index("class AddMemoUpsertRunning:")
    end = source.index("@workflow.defn", start)
    moved = source[start:end].replace('"charged"', '"done"').replace('"fetched"', '"charged"')
    changed = source[:start] + moved + source[end:]
    d = replay_variant(tmp_path, "memo_running_moved", changed, "AddMemoUpsertRunning").diagnosis
    assert d is not None and d.change == "reordered", d


def test_a_search_attribute_upsert_replaced_by_a_memo_upsert_is_a_replacement(
    tmp_path: Path,
) -> None:
    # SearchToMemoUpsert: the history's memo upsert after 'charge' is the code's later
    # upsert_memo, and no upsert_search_attributes follows: the new memo upsert took the
    # search attribute upsert's place. Read as a move or a removal, the fix listed first (a
    # removal: the new upsert gated away) stayed red.
    d = committed_verdicts()["SearchToMemoUpsert"].diagnosis
    assert d is not None and (d.change, d.swapped, d.old_order) == ("replaced", "", ()), d
    assert "removed or moved" not in d.explanation()
    # The explanation puts the replacement first, as the fix does.
    assert d.explanation().endswith("(replacing it, or added before it)")
    line = marked_line("change: SearchToMemoUpsert")
    memo = 'workflow.upsert_memo({"stage": "fetched"})'
    old = "        ...  # the old code (search attribute upsert 'ChangeStage'), for executions"
    fix = d.fix()
    assert fix[0] == (
        f"gate the change at changes_v2.py:{line} in run; "
        "if it replaced search attribute upsert 'ChangeStage':"
    )
    assert fix[1:4] == [f'    if workflow.patched("{d.patch_id}"):', f"        {memo}", "    else:"]
    assert fix[4].startswith(old), fix
    # applied as it reads, with the old code in the else, the history replays
    searched = '        workflow.upsert_search_attributes([STAGE.value_set("fetched")])'
    gated = "".join(f"        {text[4:]}\n" for text in fix[1:4]) + f"    {searched}\n"
    source = V2_FILE.read_text()
    call = f"        # change: SearchToMemoUpsert (the next line)\n        {memo}\n"
    assert source.count(call) == 1
    fixed = source.replace(call, gated)
    assert replay_variant(tmp_path, "search_to_memo_gated", fixed, "SearchToMemoUpsert").ok


def test_a_cleanup_added_where_the_workflow_is_cancelled_is_an_addition() -> None:
    # The except block re-raises: the cancellation still follows the cleanup.
    fix = fix_text("AddCleanupOnCancel")
    first = first_reading(fix)
    assert "if workflow cancellation still runs after it (an addition), no else" in first
    assert 'if workflow.patched("audit-before-cancel"):' in first


def test_an_addition_inside_a_branch_is_no_branch_change() -> None:
    # AddInBranch: the other branch runs 'charge' too, but so does this one, after the added
    # call: an addition, not a changed condition.
    d = committed_verdicts()["AddInBranch"].diagnosis
    assert d is not None and d.change == "renamed" and d.still_runs_later
    assert 'if workflow.patched("lookup-before-charge"):' in first_reading(fix_text("AddInBranch"))


def test_a_widened_match_case_gates_the_match() -> None:
    d = committed_verdicts()["WidenMatchCase"].diagnosis
    assert d is not None and d.change == "branch"
    assert (d.branch_kind, d.branch_condition) == ("match", 'order.split("-")[1]')
    assert d.branch_parameters == ()  # the subject is shown, not traced to a caller
    assert "(the subject or the patterns, or what they read, changed;" in d.explanation()
    fix = fix_text("WidenMatchCase")
    assert fix.startswith("gate the match at changes_v2.py:")
    # the gate's new side is the match as it is, its subject read from the source
    assert (
        '    if workflow.patched("bill-or-charge"):\n'
        '        match order.split("-")[1]:  # as it is now\n'
    ) in fix
    # what changed may be the subject as well as the patterns: the else keeps the match as it was
    assert "(executions recorded before took theirs under the old subject and patterns):" in fix
    assert (
        "    else:\n        match ...:  # the match as it was (its old subject or patterns), "
        "for executions recorded before\n"
    ) in fix
    assert (
        "if instead activity 'charge' became activity 'bill' in this case only (the subject and "
        "patterns are as they were):"
    ) in fix


def test_a_changed_conditional_expression_gates_its_condition() -> None:
    # step = bill if <new condition> else charge: the execution ran 'charge' under the old one.
    d = committed_verdicts()["ChooseByExpression"].diagnosis
    assert d is not None and (d.change, d.branch_kind) == ("branch", "conditional expression")
    assert d.branch_condition == 'order.startswith("change-")'
    fix = fix_text("ChooseByExpression")
    assert fix.startswith("gate the condition of the conditional expression at changes_v2.py:")
    assert "... if new_branch else ..." in fix


def test_a_call_in_a_loop_counts_as_many_runs() -> None:
    # AddBeforeLoop: one audit call site in a loop ran twice: the added audit is an addition.
    d = committed_verdicts()["AddBeforeLoop"].diagnosis
    assert d is not None and d.change == "added"


def test_a_signal_no_handler_ever_took_does_not_hide_the_change() -> None:
    # RenameWithStraySignal: 'add' never had a handler; the change is the rename.
    d = committed_verdicts()["RenameWithStraySignal"].diagnosis
    assert d is not None and not d.unhandled_signal and d.change == "renamed"


def test_a_stray_signal_received_before_the_last_match_does_not_hide_a_wait_added(
    tmp_path: Path,
) -> None:
    # AddWaitWithStraySignal: 'add' came with the start and no version handles it; the change
    # is the wait added after 'fetch'. It was named as the cause ("the code has no handler for
    # signal 'add'"), and a handler under that name leaves the code waiting: red.
    d = committed_verdicts()["AddWaitWithStraySignal"].diagnosis
    assert d is not None and not d.unhandled_signal and d.waits_at, d
    assert "signal 'add'" not in d.explanation() and "a wait added there" in d.explanation()
    line = marked_line("change: AddWaitWithStraySignal")
    wait = "await workflow.wait_condition(lambda: self.approved)"
    fix = d.fix()
    assert fix[0].startswith(f"gate the wait at changes_v2.py:{line} in run; if it is new"), fix
    assert fix[1:3] == [f'    if workflow.patched("{d.patch_id}"):', f"        {wait}"], fix
    # applied as it reads, the history replays
    source = V2_FILE.read_text()
    call = f"        # change: AddWaitWithStraySignal (the next line)\n        {wait}\n"
    assert source.count(call) == 1
    gated = "".join(f"        {text[4:]}\n" for text in fix[1:3])
    fixed = source.replace(call, gated)
    assert replay_variant(tmp_path, "stray_wait_gated", fixed, "AddWaitWithStraySignal").ok


def test_two_children_of_one_type_swapped_are_a_reorder_told_apart_by_id() -> None:
    # Core names the ids; the id the code gives first is the one the history gave second.
    d = committed_verdicts()["SwapSameChildren"].diagnosis
    assert d is not None and d.change == "reordered"
    assert d.explanation() == (
        "child workflow 'PackOrder' (id 'change-SwapSameChildren-b') now comes before child "
        "workflow 'PackOrder' (id 'change-SwapSameChildren-a')"
    )
    assert committed_verdicts()["ChangeChildId"].diagnosis.change == "id-changed"  # type: ignore[union-attr]


def test_an_added_command_is_gated_without_else() -> None:
    # AddTimer: a timer before 'charge', which still runs after it. An else running 'charge'
    # would run it twice for executions recorded before.
    first = first_reading(fix_text("AddTimer"))
    assert "activity 'charge' still runs after it (an addition), no else" in first
    assert 'if workflow.patched("timer-before-charge"):' in first and "    else:" not in first
    assert "    else:" not in fix_text("AddActivityAtEnd")


def test_a_reorder_keeps_the_whole_old_order() -> None:
    first = first_reading(fix_text("Reorder"))
    assert "activity 'fetch' still runs later (moved after it)" in first
    assert (
        "the old code from here on, in its order: activity 'fetch', then activity 'charge'" in first
    )


def test_a_reorders_old_order_leaves_out_what_an_update_handler_ran(tmp_path: Path) -> None:
    # ReorderAroundUpdate: run did fetch, charge, bill; the update handler 'set_note' ran
    # 'audit' in between. The else holds run's old code: an 'audit' there would run it twice.
    d = committed_verdicts()["ReorderAroundUpdate"].diagnosis
    assert d is not None and d.change == "reordered"
    assert d.old_order == ("activity 'fetch'", "activity 'charge'", "activity 'bill'")
    assert (
        "        ...  # the old code from here on, in its order: activity 'fetch', then activity "
        "'charge', then activity 'bill'" in d.fix()
    )
    # The fix applied, run's old code in the else as the list has it: the history replays.
    source = V2_FILE.read_text()
    start = source.index("class ReorderAroundUpdate:")
    body = source.index("        # change: ReorderAroundUpdate", start)
    end = source.index("    @workflow.update", start)
    call = "await workflow.execute_activity({}, order, start_to_close_timeout=TIMEOUT)"
    old = [call.format("fetch"), "await workflow.wait_condition(lambda: bool(self.note))",
           call.format("charge"), "return " + call.format("bill")]  # fmt: skip

    def gated(old: list[str]) -> str:
        return (
            source[:body]
            + f'        if workflow.patched("{d.patch_id}"):\n'
            + "".join(f"    {line}\n" for line in source[body:end].rstrip().splitlines())
            + "\n        else:\n"
            + "".join(f"            {line}\n" for line in old)
            + "\n"
            + source[end:]
        )

    assert replay_variant(tmp_path, "reorder_around_update", gated(old), "ReorderAroundUpdate").ok
    # with the handler's 'audit' in the else too, as the list had it, the history does not
    audited = gated([old[0], call.format("audit"), *old[1:]])
    assert not replay_variant(tmp_path, "audit_in_else", audited, "ReorderAroundUpdate").ok


def test_a_command_only_handlers_run_is_told_from_the_source(tmp_path: Path) -> None:
    from replaycheck._source import handlers_only

    code = tmp_path / "handlers.py"
    code.write_text(
        "class Orders:\n"
        '    """Runs \'audit\' from its signal handler."""\n'  # a docstring is no call
        "    @workflow.run\n"
        "    async def run(self):\n"
        "        await workflow.execute_activity(fetch)\n"  # 5
        "        await workflow.execute_activity(notify)\n"
        "\n"
        "    @workflow.signal\n"
        "    async def add(self, item):\n"
        "        await workflow.execute_activity(audit)\n"
        "        await workflow.execute_activity(notify)\n"
    )
    assert handlers_only(str(code), 5, r"\baudit\b")
    assert not handlers_only(str(code), 5, r"\bnotify\b")  # run runs it too
    assert not handlers_only(str(code), 5, r"\bfetch\b")


def test_a_removed_command_before_the_next_keeps_it_in_the_else() -> None:
    fix = fix_text("RemoveTimer")
    first = first_reading(fix)
    assert "timer (1s) is gone (removed)" in first
    assert 'if workflow.patched("remove-timer"):' in first
    assert "the old code (timer (1s))" in first
    assert 'workflow.patched("charge-before-timer")' in fix  # the other reading, second


def test_a_rename_is_a_replacement_first_an_addition_second(tmp_path: Path) -> None:
    # RenameActivity returns with 'bill': nothing of run follows, so 'charge' cannot run after
    # it and the replacement is the only reading.
    fix = fix_text("RenameActivity")
    assert "if it replaced activity 'charge'" not in fix and "an addition" not in fix
    assert 'if workflow.patched("bill-instead-of-charge"):' in fix and "    else:" in fix
    # The same with code after it: the replacement first, an addition second.
    call = "        return await workflow.execute_activity(bill, order, start_to_close_timeout="
    then = call.replace("return await", "result = await")
    source = V2_FILE.read_text()
    at = source.index(call, source.index("class RenameActivity:"))
    end = source.index("\n", at) + 1
    changed = source[:at] + source[at:end].replace(call, then) + "        return result\n"
    d = replay_variant(tmp_path, "rename_then", changed + source[end:], "RenameActivity").diagnosis
    assert d is not None
    fix = "\n".join(d.fix())
    assert "if it replaced activity 'charge'" in first_reading(fix)
    assert "    else:" in first_reading(fix)
    assert (
        'still runs after it (an addition), no else:\n    if workflow.patched("bill-before-'
        'charge")' in fix
    )


def test_a_changed_loop_count_gates_the_bound_not_a_call_in_the_loop() -> None:
    # patched() answers once per execution: a gate inside the loop would skip every iteration.
    more = fix_text("LoopMore")
    header = marked_line("change: LoopMore") - 2
    assert more.startswith(f"gate the loop's bound at changes_v2.py:{header} (for _ in range(3):)")
    assert 'runs = <new count> if workflow.patched("fetch-runs") else 2' in more
    fewer = committed_verdicts()["LoopFewer"].diagnosis
    assert fewer is not None
    assert (
        "now runs activity 'fetch' fewer times than this history recorded (3)"
        in fewer.explanation()
    )
    assert 'workflow.patched("fetch-runs") else 3' in "\n".join(fewer.fix())


def test_an_addition_inside_a_loop_is_read_as_an_addition() -> None:
    # 'fetch' runs again in the next iteration: it comes before the new call in the loop body.
    first = first_reading(fix_text("AddInLoop"))
    assert "activity 'fetch' still runs after it (an addition), no else" in first


def test_an_addition_to_a_gather_keeps_the_statement_in_the_else(tmp_path: Path) -> None:
    # The gathered statement also runs 'fetch' and 'charge': without an else, executions
    # recorded before would run neither. Core names the history's next command ('lookup', a
    # later workflow task), but 'audit' came from the statement that started 'fetch' and
    # 'charge' in their task: an addition for certain, with no "if it replaced" reading.
    d = committed_verdicts()["AddToGather"].diagnosis
    assert d is not None and (d.change, d.other_patch_id) == ("added", "")
    start = marked_line("change: AddToGather") - 4  # await asyncio.gather(
    assert V2_FILE.read_text().splitlines()[start - 1] == "        await asyncio.gather("
    started = f"activity 'fetch' and activity 'charge' (events 5-6) at changes_v2.py:{start} in run"
    assert d.same_task == started
    assert d.explanation().endswith(f"'audit' was added to the statement that started {started}")
    fix = d.fix()
    assert fix[0].startswith(f"gate the change at changes_v2.py:{start} in run ")  # the gather's
    assert fix[0].endswith("statement: local activity 'lookup' still runs after it):")
    old_statement = "    else:\n        ...  # the statement as it was, without activity 'audit'"
    assert old_statement in "\n".join(fix)
    assert fix[-1] == (
        f"  note: activity 'audit' is scheduled in the same workflow task as {started}, by the "
        f"same statement; core names event {d.event_id} only because the history recorded its "
        "next command there"
    )
    assert not any("if it replaced" in line for line in fix)
    # The fix applied as it reads (the statement as it was in the else): the history replays.
    old = f"await asyncio.gather({FETCH}, {CHARGE})"
    code = [line.replace("...  # the statement as it was, without activity 'audit'", old)
            for line in fix[1:-1]]  # fmt: skip
    assert replay_variant(tmp_path, "add_to_gather_gated",
                          with_fix("AddToGather", start, start + 5, code), "AddToGather").ok


FETCH = "workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)"
CHARGE = "workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)"


def with_fix(case: str, first: int, last: int, code: list[str]) -> str:
    """``changes_v2``'s source with its lines ``first`` to ``last`` (of ``case``) replaced by a
    fix's code lines (indented four spaces, as printed), at the indentation of ``first``."""
    lines = V2_FILE.read_text().splitlines(keepends=True)
    assert f"class {case}:" in "".join(lines[max(0, first - 20) : first])
    indent = lines[first - 1][: -len(lines[first - 1].lstrip())]
    return "".join([*lines[: first - 1], *(indent + x[4:] + "\n" for x in code), *lines[last:]])


def test_a_gather_made_sequential_gates_both_statements_with_the_gather_in_the_else(
    tmp_path: Path,
) -> None:
    # The history started 'fetch' and 'charge' in one workflow task; the code now awaits
    # 'fetch' before it starts 'charge'. Replay stops with the code having commanded nothing
    # more in that task, which read as "the code no longer commands 'charge'", and gating the
    # 'charge' statement as a removal stayed red: both statements take the gate, with the gather
    # in the else.
    d = committed_verdicts()["GatherToSequential"].diagnosis
    assert d is not None and d.change == "sequential"
    first = marked_line("before: GatherToSequential")
    then = marked_line("change: GatherToSequential")
    assert (d.started_with, d.started_with_event, d.event_id) == ("activity 'fetch'", 5, 6)
    assert d.explanation() == (
        "activity 'charge' was scheduled in the same workflow task as activity 'fetch' (events 5 "
        f"and 6); the code now schedules it only after 'fetch' completes, at changes_v2.py:{then} "
        "in run (it no longer runs them concurrently, e.g. asyncio.gather became sequential awaits)"
    )
    assert d.headline() == f"event 6 (ActivityTaskScheduled): {d.explanation()}"
    fix = d.fix()
    assert fix == [
        f"gate the statements at changes_v2.py:{first}-{then} in run together, with the "
        "concurrent form in the else (executions recorded before started activity 'fetch' and "
        "activity 'charge' in one workflow task):",
        '    if workflow.patched("charge-after-fetch"):',
        f"        fetched = await {FETCH}",
        "        # change: GatherToSequential (the next line)",
        f"        charged = await {CHARGE}",
        "    else:",
        "        fetched, charged = await asyncio.gather(",
        f"            {FETCH},",
        f"            {CHARGE},",
        "        )",
    ]
    # The fix applied as printed: the history replays.
    fixed = with_fix("GatherToSequential", first, then, fix[1:])
    assert replay_variant(tmp_path, "gather_to_sequential_gated", fixed, "GatherToSequential").ok


@pytest.mark.parametrize("case", ["GatherToLoop", "AsCompletedToLoop"])
def test_one_helpers_calls_gathered_then_awaited_in_a_loop_gate_the_loop(
    tmp_path: Path, case: str
) -> None:
    # `await asyncio.gather(*(self._charge(item) for item in items))` (or a for over
    # workflow.as_completed of the calls) became `for item in items: await self._charge(item)`.
    # The history started the three 'charge' in one workflow task; one call site now starts
    # each in turn. It read as "the code no longer commands activity 'charge'", with a
    # remove-charge gate that stayed red: the loop takes the gate, the gather the else.
    d = committed_verdicts()[case].diagnosis
    assert d is not None and d.change == "sequential", d
    call = marked_line(f"before: {case}")
    loop = call - 2
    assert V2_FILE.read_text().splitlines()[loop - 1] == "        for item in items:"
    assert (d.started_with, d.started_with_event, d.event_id) == ("activity 'charge'", 5, 6)
    assert (d.sequential_loop, d.sequential_at) == (
        "for item in items:", f"changes_v2.py:{call} in run")
    assert d.explanation() == (
        "activity 'charge' (event 6) was scheduled in the same workflow task as activity "
        f"'charge' (event 5); the code now starts each by the call at changes_v2.py:{call} in "
        "run, awaited in each round of the loop `for item in items:`, so the next starts only "
        "after 'charge' completes (it no longer runs them concurrently, e.g. asyncio.gather or "
        "workflow.as_completed of the calls became a loop awaiting each in turn)"
    )
    fix = d.fix()
    assert fix == [
        f"gate the loop at changes_v2.py:{loop}-{call} in run, with the concurrent form in the "
        "else (executions recorded before started its calls in one workflow task: activity "
        "'charge' at events 5 and 6):",
        '    if workflow.patched("charge-in-turn"):',
        "        for item in items:",
        f"            # before: {case} (the next line)",
        "            await self._charge(item)",
        "    else:",
        "        await asyncio.gather(*(self._charge(item) for item in items))",
    ]
    # The fix applied as printed: the history replays.
    fixed = with_fix(case, loop, call, fix[1:])
    assert replay_variant(tmp_path, f"{case.lower()}_gated", fixed, case).ok


def test_a_loop_keeping_each_result_is_sequential_with_the_old_form_in_words(
    tmp_path: Path,
) -> None:
    # GatherToLoop whose loop keeps each result (`done.append(await ...)`): still one call
    # awaited in each round, but no gather can be written for it mechanically.
    source = V2_FILE.read_text()
    start = source.index("class GatherToLoop:")
    end = source.index("\n\n\n@workflow.defn", start)
    old = "        for item in items:\n"
    call = "await self._charge(item)"
    kept = source[start:end].replace(old, "        done = []\n" + old).replace(
        f"            {call}\n", f"            done.append({call})\n")
    assert kept.count("done") == 2
    source = source[:start] + kept + source[end:]
    d = replay_variant(tmp_path, "gather_to_loop_kept", source, "GatherToLoop").diagnosis
    assert d is not None and (d.change, d.sequential_loop) == ("sequential", "for item in items:")
    assert d.fix()[-2:] == [
        "    else:",
        "        ...  # the old code, starting the loop's calls together (asyncio.gather), for "
        "executions recorded before",
    ]


def test_a_semaphore_with_less_room_gates_the_limit_where_it_is_made(tmp_path: Path) -> None:
    # LowerLimit: 'fetch' and 'charge' each run under `async with self.limit`, a semaphore
    # whose room went from 2 to 1. The history started both in one workflow task; the code
    # holds 'charge' back until 'fetch' completes. It read as "the code no longer commands
    # 'charge'" with a removal's gate, which stayed red (the call is still made, later).
    d = committed_verdicts()["LowerLimit"].diagnosis
    assert d is not None and d.change == "sequential"
    made = marked_line("change: LowerLimit")
    held = line_of("        async with self.limit:", V2_FILE)
    assert (d.started_with, d.started_with_event, d.event_id) == ("activity 'fetch'", 5, 6)
    assert (d.limited_by, d.limited_at) == ("self.limit", f"changes_v2.py:{held} in _step")
    assert d.explanation() == (
        "activity 'charge' was scheduled in the same workflow task as activity 'fetch' (events 5 "
        "and 6); the code now holds it back until 'fetch' completes: it runs under `async with "
        f"self.limit` at changes_v2.py:{held} in _step, which now lets fewer calls through at "
        "once (a semaphore's room lowered, or the lock is new)"
    )
    assert d.fix() == [
        f"gate the limit where self.limit is made, at changes_v2.py:{made} in __init__, not the "
        "calls under it (executions recorded before started activity 'fetch' and activity "
        "'charge' in one workflow task, under the old limit):",
        '    self.limit = asyncio.Semaphore(1) if workflow.patched("charge-after-fetch") else '
        "...  # the old limit, for executions recorded before",
    ]
    # The fix applied as printed, the old limit filled in: the history replays.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    gated = "        " + d.fix()[1].strip().replace("...  #", "asyncio.Semaphore(2)  #") + "\n"
    fixed = "".join([*lines[: made - 1], gated, *lines[made:]])
    assert replay_variant(tmp_path, "lower_limit_gated", fixed, "LowerLimit").ok
    # The room as it was, the calls awaited in turn: no task waits for room under the limit,
    # so the semaphore is not what changed.
    steps = "        steps = [self._step(fetch, order), self._step(charge, order)]\n"
    in_turn = fixed.replace(gated, "        self.limit = asyncio.Semaphore(2)\n").replace(
        steps + "        done = [await step for step in workflow.as_completed(steps)]\n",
        "        done = [await self._step(fetch, order), await self._step(charge, order)]\n",
    )
    assert "as_completed" not in in_turn[in_turn.index("class LowerLimit") :]
    assert "asyncio.Semaphore(2)" in in_turn
    d = replay_variant(tmp_path, "lower_limit_in_turn", in_turn, "LowerLimit").diagnosis
    assert d is not None and d.limited_by == "", d


def test_a_gather_made_sequential_over_several_lines_keeps_each_call_whole(tmp_path: Path) -> None:
    # Calls split over lines (as a formatter leaves long ones) go into the gather as they are,
    # indented one level more; the fix applied as printed replays.
    first = marked_line("before: GatherToSequential")
    then = marked_line("change: GatherToSequential")
    lines = V2_FILE.read_text().splitlines(keepends=True)
    split = [
        "        fetched = await workflow.execute_activity(\n",
        "            fetch, order, start_to_close_timeout=TIMEOUT\n",
        "        )\n",
        "        charged = await workflow.execute_activity(\n",
        "            charge, order, start_to_close_timeout=TIMEOUT\n",
        "        )\n",
    ]
    source = "".join([*lines[: first - 1], *split, *lines[then:]])
    d = replay_variant(tmp_path, "sequential_split", source, "GatherToSequential").diagnosis
    assert d is not None and d.change == "sequential", d
    assert d.sequential_from == f"sequential_split.py:{first}-{first + 5} in run"
    assert d.concurrent_form.splitlines() == [
        "fetched, charged = await asyncio.gather(",
        "    workflow.execute_activity(",
        "        fetch, order, start_to_close_timeout=TIMEOUT",
        "    ),",
        "    workflow.execute_activity(",
        "        charge, order, start_to_close_timeout=TIMEOUT",
        "    ),",
        ")",
    ]
    fixed = source.splitlines(keepends=True)
    gated = [f"        {x[4:]}\n" for x in d.fix()[1:]]
    fixed = "".join([*fixed[: first - 1], *gated, *fixed[first + 5 :]])
    assert replay_variant(tmp_path, "sequential_split_gated", fixed, "GatherToSequential").ok


def test_a_gather_made_sequential_through_a_helper_gates_the_callers(tmp_path: Path) -> None:
    # A helper issuing every activity (`await self._step(fetch, order)`): the statements to
    # gate are its callers, and the diagnosis points at the first of them, not into the helper.
    first = marked_line("before: GatherToSequential")
    then = marked_line("change: GatherToSequential")
    lines = V2_FILE.read_text().splitlines(keepends=True)
    calls = [
        "        fetched = await self._step(fetch, order)\n",
        "        charged = await self._step(charge, order)\n",
    ]
    helper = [
        "\n",
        "    async def _step(self, step: object, order: str) -> object:\n",
        "        run = workflow.execute_activity\n",
        "        return await run(step, order, start_to_close_timeout=TIMEOUT)\n",
    ]
    end = next(i for i in range(then, len(lines)) if lines[i].strip().startswith("return await"))
    source = "".join([*lines[: first - 1], *calls, *lines[then : end + 1], *helper,
                      *lines[end + 1 :]])  # fmt: skip
    d = replay_variant(tmp_path, "sequential_helper", source, "GatherToSequential").diagnosis
    assert d is not None and d.change == "sequential", d
    assert (d.previous[0].function, d.previous[0].line) == ("run", first)
    assert d.sequential_from == f"sequential_helper.py:{first}-{first + 1} in run"
    assert d.concurrent_form.splitlines()[1:3] == [
        "    self._step(fetch, order),",
        "    self._step(charge, order),",
    ]
    fixed = source.splitlines(keepends=True)
    gated = [f"        {x[4:]}\n" for x in d.fix()[1:]]
    fixed = "".join([*fixed[: first - 1], *gated, *fixed[first + 1 :]])
    assert replay_variant(tmp_path, "sequential_helper_gated", fixed, "GatherToSequential").ok


@pytest.mark.parametrize(
    ("case", "between"),
    [
        ("GatherToSequentialAfterSleep", "await workflow.sleep(PAUSE)"),
        ("GatherToSequentialAfterAudit",
         "await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)"),
    ],
)  # fmt: skip
def test_a_gather_made_sequential_with_new_commands_between_gates_them_all(
    tmp_path: Path, case: str, between: str
) -> None:
    # The gather became `fetch; <a new sleep or activity>; charge`: 'charge' is started by a
    # later statement of the block, after a new command. It read as "the code no longer
    # commands 'charge'", whose fix stayed red; the gate now takes the statements from the
    # first to 'charge''s, the new one between them included, with the gather in the else.
    d = committed_verdicts()[case].diagnosis
    assert d is not None and d.change == "sequential", d
    first, then = marked_line(f"before: {case}"), marked_line(f"change: {case}")
    assert d.explanation() == (
        "activity 'charge' was scheduled in the same workflow task as activity 'fetch' (events 5 "
        f"and 6); the code now schedules it only after 'fetch' completes, at changes_v2.py:{then} "
        f"in run, after new code at changes_v2.py:{first + 1} (it no longer runs them "
        "concurrently, e.g. asyncio.gather became sequential awaits)"
    )
    fix = d.fix()
    assert fix == [
        f"gate the statements at changes_v2.py:{first}-{then} in run together, with the "
        "concurrent form in the else (executions recorded before started activity 'fetch' and "
        "activity 'charge' in one workflow task):",
        '    if workflow.patched("charge-after-fetch"):',
        f"        fetched = await {FETCH}",
        f"        {between}",
        f"        # change: {case} (the next line)",
        f"        charged = await {CHARGE}",
        "    else:",
        "        fetched, charged = await asyncio.gather(",
        f"            {FETCH},",
        f"            {CHARGE},",
        "        )",
    ]
    # The fix applied as printed: the history replays.
    fixed = with_fix(case, first, then, fix[1:])
    assert replay_variant(tmp_path, f"{case.lower()}_gated", fixed, case).ok


@pytest.mark.parametrize(
    ("name", "between"),
    [
        ("moved_up", "await workflow.execute_activity(bill, order, "
                     "start_to_close_timeout=TIMEOUT)"),
        ("a_wait", "await workflow.wait_condition(lambda: True)"),
        ("a_name_bound", "audited = await workflow.execute_activity(audit, order, "
                         "start_to_close_timeout=TIMEOUT)"),
    ],
)  # fmt: skip
def test_a_statement_between_that_may_be_old_code_is_no_sequential_reading(
    tmp_path: Path, name: str, between: str
) -> None:
    # Between 'fetch' and 'charge' now: a command the history recorded later and the code no
    # longer runs there ('bill', moved up: the else would lack it), a wait the history cannot
    # show, or a name the else would not bind. The gate would not replay (or would change what
    # old executions do): not read as `sequential`.
    case = "GatherToSequentialAfterAudit"
    lines = V2_FILE.read_text().splitlines(keepends=True)
    first = marked_line(f"before: {case}")
    lines[first] = f"        {between}\n"
    if name == "moved_up":
        end = first + 4
        assert "execute_activity(bill" in lines[end], lines[end]
        lines[end] = "        return done\n"
    d = replay_variant(tmp_path, f"between_{name}", "".join(lines), case).diagnosis
    assert d is not None and d.change != "sequential", d


def test_a_command_between_that_the_code_still_runs_later_is_new(tmp_path: Path) -> None:
    # `fetch; bill; charge; bill`: the history recorded 'bill' after the gather, and the code
    # still runs it there; the 'bill' between the two is one more, so the gate takes it (and
    # the else, the gather then the last 'bill', replays the history).
    case = "GatherToSequentialAfterAudit"
    lines = V2_FILE.read_text().splitlines(keepends=True)
    first, then = marked_line(f"before: {case}"), marked_line(f"change: {case}")
    bill = "await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)"
    lines[first] = f"        {bill}\n"
    source = "".join(lines)
    d = replay_variant(tmp_path, "between_again", source, case).diagnosis
    assert d is not None and d.change == "sequential", d
    assert f"        {bill}" in d.fix()
    fixed = source.splitlines(keepends=True)
    gated = [f"        {x[4:]}\n" for x in d.fix()[1:]]
    fixed = "".join([*fixed[: first - 1], *gated, *fixed[then:]])
    assert replay_variant(tmp_path, "between_again_gated", fixed, case).ok


def test_statements_made_sequential_that_are_no_plain_awaits_get_the_old_form_as_a_comment(
    tmp_path: Path,
) -> None:
    # `charged = str(await ...)` is not `target = await call(...)`: no gather is built from it,
    # the else says what the old code did.
    then = marked_line("change: GatherToSequential")
    lines = V2_FILE.read_text().splitlines(keepends=True)
    lines[then - 1] = f"        charged = str(await {CHARGE})\n"
    verdict = replay_variant(tmp_path, "gather_to_sequential_str", "".join(lines),
                             "GatherToSequential")  # fmt: skip
    d = verdict.diagnosis
    assert d is not None and (d.change, d.concurrent_form) == ("sequential", ""), d
    assert d.fix()[-2:] == [
        "    else:",
        "        ...  # the old code, starting activity 'fetch' and activity 'charge' together "
        "(asyncio.gather), for executions recorded before",
    ]


def test_commands_added_in_a_row_share_one_gate() -> None:
    first = first_reading(fix_text("AddSeveral"))
    start = marked_line("change: AddSeveral")
    assert (
        f"the statements added in a row (lines {start}-{start + 2}), up to the one running "
        "activity 'charge', share the gate" in first
    )
    gated = first.split('if workflow.patched("audit-before-charge"):\n')[1]
    assert gated.count("execute_activity(audit") == 2 and "workflow.sleep(PAUSE)" in gated


def test_a_history_that_stopped_at_the_change_gates_the_first_addition_alone(
    tmp_path: Path,
) -> None:
    # The same execution captured while 'charge' was running: it cannot tell whether the
    # statements after the first addition are new or ones it would have run after 'charge',
    # so they are not put under an addition's gate (with no else, old executions would skip
    # them). A completed history can (the test above).
    from replaycheck.histories import write_history

    history = read_history(CHANGES / "AddSeveral" / "change-AddSeveral.json").history
    charge = recorded_event(str(CHANGES / "AddSeveral" / "change-AddSeveral.json"),
                            ("activity", "charge"))  # fmt: skip
    path = write_history(tmp_path / "running.json", history.events[:charge])
    verdict = replay_file(path, V2)
    assert verdict.verdict == "nondeterministic" and verdict.diagnosis is not None
    fix = "\n".join(verdict.diagnosis.fix())
    assert "added in a row" not in fix
    assert 'if workflow.patched("audit-before-charge"):' in fix


def test_a_deprecation_that_came_too_early_goes_back_to_the_gate() -> None:
    d = committed_verdicts()["DeprecateEarly"].diagnosis
    assert d is not None
    line = line_of('workflow.deprecate_patch("charge-second")', V2_FILE)
    assert d.deprecated_at == f"changes_v2.py:{line} in run"
    assert d.explanation().startswith("deprecate_patch('charge-second') came too early")
    fix = "\n".join(d.fix())
    assert 'if workflow.patched("charge-second"):' in fix
    assert "the old code (activity 'fetch')" in fix
    assert "instead-of" not in fix and "before-" not in fix  # no new patch id


def test_a_reorder_deprecated_too_early_goes_back_to_the_gate_with_the_old_order() -> None:
    # The gate of a reorder had the old order in its else: going back to it without one (an
    # "addition") would leave old executions without 'bill' first.
    d = committed_verdicts()["DeprecateReorderEarly"].diagnosis
    assert d is not None and d.deprecated_early == "charge-before-bill"
    fix = "\n".join(d.fix())
    assert 'if workflow.patched("charge-before-bill"):' in fix
    assert "no else" not in fix
    assert (
        "    else:\n        ...  # the old code from here on, in its order: activity 'bill', "
        "then activity 'charge'" in fix
    )


def test_a_call_in_the_other_branch_gates_the_condition() -> None:
    # 'bill' is in the else of the if now taking the other branch: the condition changed.
    # Gating the call in its branch would break executions that took that branch before.
    d = committed_verdicts()["InvertBranch"].diagnosis
    assert d is not None and d.change == "branch"
    line = line_of('if not order.endswith("!"):', V2_FILE)
    assert d.branch_at == f"changes_v2.py:{line} in run"
    fix = fix_text("InvertBranch")
    assert 'new_branch = not order.endswith("!")' in fix
    assert 'if not workflow.patched("charge-or-bill"):' in fix
    # a rename in the branch reads the same; it comes second, as the riskier reading
    assert fix.index("charge-or-bill") < fix.index("charge-instead-of-bill")


CONTINUE_CONDITIONS = {  # case: (the condition now, the condition that recorded the history)
    "ContinueSooner": ("len(items) > 1", "len(items) > 2"),
    "ContinueLater": ("len(items) > 2", "len(items) > 1"),
    "ContinueSoonerInLoop": ("iteration >= 2", "iteration >= 3"),
    "ContinueLaterInLoop": ("iteration >= 4", "iteration >= 3"),
}


@pytest.mark.parametrize("case", sorted(CONTINUE_CONDITIONS))
def test_a_changed_continue_as_new_condition_gates_the_condition(tmp_path: Path, case: str) -> None:
    # The code continues as new sooner (where the history completed, or ran 'fetch' once
    # more) or later (where the history continued as new): the if around continue_as_new()
    # took another branch. Gating the call as an addition or a removal would pass this check
    # and break the executions that took the if's other branch under the old condition.
    new, old = CONTINUE_CONDITIONS[case]
    d = committed_verdicts()[case].diagnosis
    assert d is not None and (d.change, d.branch_kind, d.branch_condition) == ("branch", "if", new)
    line = line_of(f"if {new}:", V2_FILE)
    assert d.branch_at == f"changes_v2.py:{line} in run"
    sooner = "Sooner" in case
    assert d.explanation().startswith(
        f"the code took another branch of the if at changes_v2.py:{line} in run: it now "
        + ("continues as new where this execution " if sooner else "")
    )
    assert ("where this execution continued as new" in d.explanation()) is not sooner
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at changes_v2.py:{line} in run")
    # For an if that is new: False when it now holds a continue-as-new that is new; True when
    # it went around one that ran always (none in a loop: this execution passed the if there
    # before it continued as new, so the if is not new to it).
    if_new = {"ContinueSooner": "False", "ContinueSoonerInLoop": "False", "ContinueLater": "True"}
    hint = f" ({if_new[case]} if the if is new)" if case in if_new else ""
    assert fix[1:4] == [
        f"    new_branch = {new}",
        f'    if not workflow.patched("{d.patch_id}"):',
        f"        new_branch = ...  # the old condition{hint}, for executions recorded before",
    ]
    assert fix[4] == "    if new_branch:"
    # A continue-as-new that is new reads the same when the code continues as new sooner: that
    # reading comes second, as the addition it would be; none when it continues later.
    assert any("if instead the continue-as-new is new" in x for x in fix) is sooner
    # The fix applied as it reads, the old condition filled in (and, continuing later, the
    # value given for an if that is new): the history replays.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    for n, value in enumerate((old, *([if_new[case]] if case == "ContinueLater" else []))):
        gated = [indent + x[4:].replace("...  #", f"{value}  #") + "\n" for x in fix[1:5]]
        fixed = "".join(lines[: line - 1] + gated + lines[line:])
        assert replay_variant(tmp_path, f"{case.lower()}_gated{n}", fixed, case).ok


SKIPPED = {  # case: (the if's condition, what the branch skipped ran, which, old, next)
    "SkipTimer": ('order.startswith("slow-")', "timer (1s)", "its body", "True", "charge"),
    "SkipAudit": ('order.startswith("change-S")', "activity 'audit'", "its else", "False",
                  "charge"),
    "SkipInLoop": ("i > 0", "activity 'audit'", "its body", "True", "fetch"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(SKIPPED))
def test_a_command_now_skipped_by_an_if_gates_the_condition(tmp_path: Path, case: str) -> None:
    # The code passed an if without taking the branch that runs what the history ran there
    # (a timer made conditional; an audit moved under an else): the removal or move it read
    # as before was no fix the user could see in the code; the if is what changed.
    condition, recorded, branch, old, then = SKIPPED[case]
    d = committed_verdicts()[case].diagnosis
    assert d is not None and (d.change, d.branch_condition) == ("branch", condition)
    line = line_of(f"if {condition}:", V2_FILE)
    assert d.branch_at == f"changes_v2.py:{line} in run"
    assert d.explanation() == (
        f"the code passed the if at changes_v2.py:{line} in run without taking {branch}, which "
        f"runs {recorded}: this execution took it and ran {recorded} there, where the code now "
        f"goes on with activity '{then}' (the condition, or what it reads, changed; or the if "
        "is new)"
    )
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at changes_v2.py:{line} in run")
    assert fix[1:5] == [
        f"    new_branch = {condition}",
        f'    if not workflow.patched("{d.patch_id}"):',
        f"        new_branch = ...  # the old condition ({old} if the if is new), for "
        "executions recorded before",
        "    if new_branch:",
    ]
    assert len(fix) == 6  # no second reading: the code still runs it, in that branch
    assert d.fix_at is not None and d.fix_at.line == line  # where the summary sends the user
    # The fix applied as it reads, with the old condition of an if that is new: it replays (in
    # a loop too: patched() gives each iteration the same answer).
    lines = V2_FILE.read_text().splitlines(keepends=True)
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    gated = [indent + x[4:].replace("...  #", f"{old}  #") + "\n" for x in fix[1:5]]
    fixed = "".join(lines[: line - 1] + gated + lines[line:])
    assert replay_variant(tmp_path, f"{case.lower()}_gated", fixed, case).ok


@pytest.mark.parametrize("new", [False, True])
def test_a_command_now_skipped_by_a_match_case_gates_the_match(tmp_path: Path, new: bool) -> None:
    # SkipInMatch: the case that ran 'audit' no longer matches this execution's order. It read
    # "activity 'charge' now comes before activity 'audit'" with a fix gating 'charge', and
    # nothing named the match.
    d = committed_verdicts()["SkipInMatch"].diagnosis
    assert d is not None and (d.change, d.branch_kind, d.branch_skipped) == (
        "branch", "match", "case"
    ), d
    assert (d.branch_case, d.branch_condition) == ('"vip"', 'order.split("-")[1]')
    line = marked_line("branch: SkipInMatch")
    assert d.branch_at == f"changes_v2.py:{line} in run"
    assert d.explanation() == (
        f'the code passed the match at changes_v2.py:{line} in run without taking its case "vip", '
        "which runs activity 'audit': this execution took it and ran activity 'audit' there, "
        "where the code now goes on with activity 'charge' (the subject or the patterns, or "
        "what they read, changed; or the match is new)"
    )
    fix = d.fix()
    assert fix == [
        f"gate the match at changes_v2.py:{line} in run, not the code in its cases (executions "
        "recorded before took theirs under the old subject and patterns):",
        f'    if workflow.patched("{d.patch_id}"):',
        '        match order.split("-")[1]:  # as it is now',
        "            ...  # its cases as they are",
        "    else:",
        "        ...  # the match as it was, for executions recorded before (the body of case "
        '"vip" alone if the match is new)',
    ]
    assert d.fix_at is not None and d.fix_at.line == line
    # The fix applied as it reads: the cases as they are under the gate, and in its else the
    # match as changes_v1 has it (or, read as a match that is new, the case's body alone).
    lines = V2_FILE.read_text().splitlines(keepends=True)
    now = lines[line - 1 : line + 2]
    assert now[0].strip() == 'match order.split("-")[1]:', now
    v1 = (REPO / "tests" / "workflows" / "changes_v1.py").read_text().splitlines(keepends=True)
    at = v1.index('        match order.split("-")[1]:\n', v1.index("class SkipInMatch:\n"))
    old = [x[4:] for x in now[2:]] if new else [f"    {x}" for x in v1[at : at + 3]]
    gated = [
        f"        {fix[1][4:]}\n",
        f"        {fix[2][4:]}\n",
        *(f"    {x}" for x in now[1:]),
        f"        {fix[4][4:]}\n",
        *old,
    ]
    fixed = "".join(lines[: line - 1] + gated + lines[line + 2 :])
    assert replay_variant(tmp_path, f"skip_in_match_gated_{new}", fixed, "SkipInMatch").ok


def test_a_command_skipped_by_an_if_of_a_helper_on_neither_stack_gates_its_condition(
    tmp_path: Path,
) -> None:
    # SkipInPassedHelper: run calls _audit between 'fetch' and 'charge', and _audit audits
    # only VIP orders now. The if is on neither command's stack: it read "activity 'charge'
    # now comes before activity 'audit'", gating the charge in run.
    d = committed_verdicts()["SkipInPassedHelper"].diagnosis
    assert d is not None and (d.change, d.branch_kind, d.branch_skipped) == (
        "branch", "if", "body"
    ), d
    assert d.branch_condition == 'order.startswith("vip-")'
    line = marked_line("branch: SkipInPassedHelper")
    assert d.branch_at == f"changes_v2.py:{line} in _audit"
    call = marked_line("change: SkipInPassedHelper") - 2  # run calls _audit above 'charge'
    assert d.explanation() == (
        f"the code passed the if at changes_v2.py:{line} in _audit (called from changes_v2.py:"
        f"{call} in run) without taking its body, "
        "which runs activity 'audit': this execution took it and ran activity 'audit' there, "
        "where the code now goes on with activity 'charge' (the condition, or what it reads, "
        "changed; or the if is new)"
    )
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at changes_v2.py:{line} in _audit")
    assert fix[1:5] == [
        '    new_branch = order.startswith("vip-")',
        '    if not workflow.patched("skip-audit"):',
        "        new_branch = ...  # the old condition (True if the if is new), for executions "
        "recorded before",
        "    if new_branch:",
    ]
    assert d.fix_at is not None and (d.fix_at.line, d.fix_at.function) == (line, "_audit")
    # The fix applied in _audit as it reads, the if being new (True before): it replays.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    gated = [f"    {x}\n".replace("...  #", "True  #") for x in fix[1:5]]
    fixed = "".join(lines[: line - 1] + gated + lines[line:])
    assert replay_variant(tmp_path, "skip_in_passed_helper_gated", fixed, "SkipInPassedHelper").ok
    # A match in the helper reads the same: its case not taken.
    assert lines[line - 1] == '        if order.startswith("vip-"):\n'
    match = ["        match order.split('-')[0]:\n", '            case "vip":\n',
             "    " + lines[line]]  # fmt: skip
    matched = "".join(lines[: line - 1] + match + lines[line + 1 :])
    m = replay_variant(tmp_path, "skip_in_passed_helper_match", matched, "SkipInPassedHelper")
    assert m.diagnosis is not None
    assert (m.diagnosis.branch_kind, m.diagnosis.branch_skipped, m.diagnosis.branch_at) == (
        "match", "case", f"skip_in_passed_helper_match.py:{line} in _audit"
    )


def test_a_match_on_what_a_caller_passes_gates_the_argument_first(tmp_path: Path) -> None:
    # SkipInMatch with the match in a helper, on the plan run passes it: the value passed is
    # the likelier change (the caller's gate first), the match's subject or patterns second.
    source = V2_FILE.read_text()
    start = source.index("class SkipInMatch:")
    end = source.index("\n\n\n", start)
    old = source[start:end]
    match = 'match order.split("-")[1]:'
    assert old.count(match) == 1
    head, tail = old.split("        # branch: SkipInMatch (the next line)\n")
    body = tail.replace(match, "match plan:").replace(
        "        # change: SkipInMatch (the next line)\n", ""
    )
    new = (
        head
        + '        return await self._finish(order, order.split("-")[1])\n\n'
        + "    async def _finish(self, order: str, plan: str) -> str:\n"
        + body
    )
    source = source[:start] + new + source[end:]
    d = replay_variant(tmp_path, "skip_in_match_caller", source, "SkipInMatch").diagnosis
    assert d is not None and (d.change, d.branch_skipped, d.branch_parameters) == (
        "branch", "case", ("plan",)
    ), d
    assert d.branch_caller is not None and d.fix_at == d.branch_caller
    call = 'return await self._finish(order, order.split("-")[1])'
    fix = d.fix()
    assert fix[0].startswith(
        f"gate the argument 'plan' where run passes it, at {d.branch_caller.short()} (the "
        f"subject of the match at {d.branch_at} reads only it;"
    ), fix
    assert fix[1:5] == [
        f'    if workflow.patched("{d.patch_id}"):',
        f"        {call}",
        "    else:",
        "        ...  # the call as it was, passing 'plan' as before, for executions recorded "
        "before",
    ]
    assert fix[5].startswith(
        f"  if instead its subject or patterns changed, gate the match at {d.branch_at}"
    )
    # The first reading applied, read as the caller's change (it passed a plan the audit's
    # case matches before): the history replays.
    gated = "".join(f"        {x[4:]}\n" for x in fix[1:5]).replace(
        "...  # the call as it was", 'return await self._finish(order, "vip")  #'
    )
    fixed = source.replace(f"        {call}\n", gated)
    assert fixed.count('patched("') == source.count('patched("') + 1
    assert replay_variant(tmp_path, "skip_in_match_caller_gated", fixed, "SkipInMatch").ok


def test_a_command_now_skipped_by_a_conditional_expression_gates_its_condition(
    tmp_path: Path,
) -> None:
    # SkipInConditional: 'audit' awaited in the true arm of a conditional expression whose
    # condition is now false for this execution. It read as 'audit' removed or moved.
    d = committed_verdicts()["SkipInConditional"].diagnosis
    condition = 'order.startswith("vip-")'
    assert d is not None and (d.change, d.branch_kind, d.branch_skipped) == (
        "branch", "conditional expression", "body"
    ), d
    assert d.branch_condition == condition
    line = marked_line("branch: SkipInConditional")
    assert d.branch_at == f"changes_v2.py:{line} in run"
    assert d.explanation() == (
        f"the code passed the conditional expression at changes_v2.py:{line} in run without "
        "taking its true arm, which runs activity 'audit': this execution took it and ran "
        "activity 'audit' there, where the code now goes on with activity 'charge' (the "
        "condition, or what it reads, changed; or the conditional expression is new)"
    )
    fix = d.fix()
    assert fix == [
        f"gate the condition of the conditional expression at changes_v2.py:{line} in run, not "
        "the code in its arms (executions recorded before took theirs under the old condition):",
        f"    new_branch = {condition}",
        f'    if not workflow.patched("{d.patch_id}"):',
        "        new_branch = ...  # the old condition (True if the conditional expression is "
        "new), for executions recorded before",
        "    ... if new_branch else ...  # the expression, with new_branch as its test",
    ]
    assert d.fix_at is not None and d.fix_at.line == line
    # The fix applied as it reads, True for the old condition: the history replays.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    statement = "".join(lines[line - 1 : line + 2])
    assert statement.count(f"if {condition} else") == 1, statement
    gated = [f"        {x[4:].replace('...  #', 'True  #')}\n" for x in fix[1:4]]
    changed = statement.replace(f"if {condition} else", "if new_branch else")
    fixed = "".join([*lines[: line - 1], *gated, changed, *lines[line + 2 :]])
    assert replay_variant(tmp_path, "skip_in_conditional_gated", fixed, "SkipInConditional").ok


FAIL_CONDITIONS = {  # case: (the condition now, the condition that recorded the history)
    "FailSooner": ('order.count("-") >= 1', 'order.count("-") >= 2'),
    "FailLater": ('order.count("-") >= 2', 'order.count("-") >= 1'),
}


@pytest.mark.parametrize("case", sorted(FAIL_CONDITIONS))
def test_a_changed_condition_of_a_raise_gates_the_condition(tmp_path: Path, case: str) -> None:
    # The code fails the workflow where the history went on with 'charge' (a validation or a
    # retry policy's attempt threshold tightened), or goes on where the history failed (it
    # loosened): the if around the raise took another branch. Gating the raise as an
    # addition, or 'charge' as a replacement of the failure, would pass this history and
    # break the executions that took the if's other branch under the old condition.
    new, old = FAIL_CONDITIONS[case]
    d = committed_verdicts()[case].diagnosis
    assert d is not None and (d.change, d.branch_kind, d.branch_condition) == ("branch", "if", new)
    line = line_of(f"if {new}:", V2_FILE)
    assert d.branch_at == f"changes_v2.py:{line} in run"
    sooner = "Sooner" in case
    assert d.explanation() == (
        f"the code took another branch of the if at changes_v2.py:{line} in run: it now "
        + (
            "fails the workflow where this execution went on with activity 'charge', as the "
            "code still does when it does not fail (the condition, or what it reads, changed; "
            "or the raise is new)"
            if sooner
            else "goes on with activity 'charge' where this execution failed, as the code "
            "still does in the branch it did not take (the condition, or what it reads, changed)"
        )
    )
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at changes_v2.py:{line} in run")
    # an if that is new: around a raise that is new (False), around one that failed always
    if_new = "False" if sooner else "True"
    assert fix[3] == (
        f"        new_branch = ...  # the old condition ({if_new} if the if is new), for "
        "executions recorded before"
    )
    assert any("if instead the raise is new" in x for x in fix) is sooner
    assert not any("became" in x for x in fix)  # no rename reading: a failure is no command
    # The fix applied as it reads, the old condition filled in (and, failing later, the
    # value given for an if that is new): the history replays.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    for n, value in enumerate((old, *([] if sooner else [if_new]))):
        gated = [indent + x[4:].replace("...  #", f"{value}  #") + "\n" for x in fix[1:5]]
        fixed = "".join(lines[: line - 1] + gated + lines[line:])
        assert replay_variant(tmp_path, f"{case.lower()}_gated{n}", fixed, case).ok


RETURN_CHARGE = f"return await {CHARGE}"
ENDS_IN_ELSE = {  # case: (its if and what follows, as written now; with the if inverted)
    "FailLater": (
        'if order.count("-") >= 2:\n            raise ApplicationError(f"order {order} '
        'rejected")\n        # change: FailLater (the next line)\n        ' + RETURN_CHARGE,
        'if order.count("-") < 2:\n            ' + RETURN_CHARGE + '\n        else:\n            '
        'raise ApplicationError(f"order {order} rejected")',
    ),
    "ContinueLater": (
        'if len(items) > 2:\n            workflow.continue_as_new("-".join(items[1:]))\n'
        "        # change: ContinueLater (the next line)\n        " + RETURN_CHARGE,
        "if len(items) <= 2:\n            " + RETURN_CHARGE + "\n        else:\n            "
        'workflow.continue_as_new("-".join(items[1:]))',
    ),
}


@pytest.mark.parametrize("case", sorted(ENDS_IN_ELSE))
def test_a_raise_now_passed_in_the_else_gives_false_for_an_if_that_is_new(
    tmp_path: Path, case: str
) -> None:
    # FailLater (ContinueLater) with its if inverted: the raise (the continue-as-new) this
    # execution ran is in the else, which the code passed, going on to 'charge' in the body.
    # An if that is new, around what ran always, had the else taken: False as its old
    # condition (True with the raise in the body). The fix pasted in with it replays.
    source = V2_FILE.read_text()
    start = source.index(f"class {case}:")
    now, inverted = ENDS_IN_ELSE[case]
    assert source.count(now, start) >= 1
    source = source[:start] + source[start:].replace(now, inverted, 1)
    line = marked_line(f"branch: {case}")
    d = replay_variant(tmp_path, "ends_in_else", source, case).diagnosis
    assert d is not None and (d.change, d.branch_kind) == ("branch", "if"), d
    assert d.branch_at.endswith(f".py:{line} in run")
    fix = d.fix()
    assert fix[3] == (
        "        new_branch = ...  # the old condition (False if the if is new), for executions "
        "recorded before"
    )
    lines = source.splitlines(keepends=True)
    gated = [" " * 8 + x[4:].replace("...  #", "False  #") + "\n" for x in fix[1:5]]
    fixed = "".join(lines[: line - 1] + gated + lines[line:])
    assert replay_variant(tmp_path, "ends_in_else_gated", fixed, case).ok


def test_the_first_command_now_skipped_by_an_if_gates_the_condition(tmp_path: Path) -> None:
    # SkipTimer with 'fetch', its first command, moved under an if too: the code starts with
    # 'charge' where the history ran 'fetch'. No command matched before it: the if is found on
    # the way from the start of run.
    source = V2_FILE.read_text()
    first = (
        "        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)\n"
    )
    start = source.index("class SkipTimer:")
    at = source.index(first, start)
    guarded = '        if order.startswith("fresh-"):\n    ' + first
    source = source[:at] + guarded + source[at + len(first) :]
    d = replay_variant(tmp_path, "skip_first", source, "SkipTimer").diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "body"), d
    assert (d.recorded, d.commanded) == ("activity 'fetch'", "activity 'charge'")
    assert d.branch_condition == 'order.startswith("fresh-")'
    assert d.patch_id == "skip-fetch"


def test_a_command_skipped_by_an_if_in_a_loop_gates_the_condition_not_the_bound(
    tmp_path: Path,
) -> None:
    # LoopFewer's loop kept at three iterations, 'fetch' skipped in the last one by an if: the
    # bound is as recorded, so the fix gates the if's condition (it read as the loop running
    # 'fetch' fewer times, with a fix gating the bound).
    source = V2_FILE.read_text()
    start = source.index("class LoopFewer:")
    old = "        for _ in range(2):\n            await workflow.execute_activity(fetch,"
    assert source.index(old, start) < source.index("class ", start + 10)
    new = "        for i in range(3):\n            if i < 2:\n    " + old.split("\n")[1]
    source = source[:start] + source[start:].replace(old, new, 1)
    d = replay_variant(tmp_path, "skip_in_loop", source, "LoopFewer").diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "body"), d
    assert (d.branch_condition, d.patch_id) == ("i < 2", "skip-fetch")


def test_a_skipped_if_inside_another_names_both(tmp_path: Path) -> None:
    # SkipTimer's if nested in another: the code passed the inner one's body, or the outer
    # one's, which source alone cannot tell. The inner one is named first, and the outer one
    # as the other reading (gating the inner condition alone stays red if the outer changed).
    source = V2_FILE.read_text()
    old = '        if order.startswith("slow-"):\n            await workflow.sleep(PAUSE)\n'
    new = ('        if len(order) > 3:\n            if order.startswith("slow-"):\n'
           "                await workflow.sleep(PAUSE)\n")
    assert source.count(old) == 1
    d = replay_variant(tmp_path, "skip_nested", source.replace(old, new), "SkipTimer").diagnosis
    assert d is not None and d.change == "branch"
    assert d.branch_condition == 'order.startswith("slow-")'
    outer = line_of(old, V2_FILE)
    assert (d.branch_at, d.branch_outer) == (
        f"skip_nested.py:{outer + 1} in run", f"skip_nested.py:{outer} in run")
    assert d.explanation().startswith(
        f"the code passed the if at skip_nested.py:{outer + 1} in run (or the if at "
        f"skip_nested.py:{outer} in run around it) without taking its body")
    assert d.fix()[-1] == (
        f"  if instead the if at skip_nested.py:{outer} in run around it now takes a branch "
        "without this if, gate that one's condition the same way")


def test_a_command_skipped_by_an_if_in_a_helper_gates_its_condition(tmp_path: Path) -> None:
    # SkipInHelper: the if is in _prepare, between the two calls of the _step helper that
    # issue 'fetch' and 'charge'. Its condition reads _prepare's `order`, which run passes on
    # from its own input (the same in each replay), so the condition is gated, not run's call.
    d = committed_verdicts()["SkipInHelper"].diagnosis
    line = marked_line("branch: SkipInHelper")
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "body"), d
    assert d.branch_at == f"changes_v2.py:{line} in _prepare"
    assert d.branch_parameters == () and d.branch_caller is None
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at changes_v2.py:{line} in _prepare")
    assert fix[1:3] == ['    new_branch = order.startswith("vip-")',
                        '    if not workflow.patched("skip-audit"):']  # fmt: skip
    # The same with 'charge' run by run after _prepare returns: the rest of _prepare ran.
    source = V2_FILE.read_text()
    start = source.index("class SkipInHelper:")
    charge = "        return await self._step(charge, order)\n"
    old = ("        return await self._prepare(order)\n",
           "        # change: SkipInHelper (the next line)\n" + charge)
    new = ("        await self._prepare(order)\n" + charge, "        return order\n")
    head, rest = source[:start], source[start:]
    for o, n in zip(old, new, strict=True):
        assert rest.count(o) == 1
        rest = rest.replace(o, n)
    d = replay_variant(tmp_path, "skip_in_helper_then", head + rest, "SkipInHelper").diagnosis
    assert d is not None and d.change == "branch", d
    assert d.branch_at == f"skip_in_helper_then.py:{line + 1} in _prepare"  # a line added above


def test_a_timer_skipped_by_an_if_before_a_wait_gates_the_condition(tmp_path: Path) -> None:
    # DurationThenWait's pause made conditional, with a wait after it: the code commands
    # nothing and waits where the history started the timer. It read as the wait replacing a
    # timeout (a fix adding timeout=1s to the wait_condition); the if is what changed.
    source = V2_FILE.read_text()
    start = source.index("class DurationThenWait:")
    old = "        await workflow.sleep(2 * PAUSE)\n"
    new = ('        if order.startswith("slow-"):\n            await workflow.sleep(2 * PAUSE)\n'
           "        await workflow.wait_condition(lambda: self.approved)\n")
    assert source.count(old, start) == 1
    source = source[:start] + source[start:].replace(old, new)
    d = replay_variant(tmp_path, "skip_wait", source, "DurationThenWait").diagnosis
    line = source[:source.index(new)].count("\n") + 1
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "body"), d
    assert d.branch_at == f"skip_wait.py:{line} in run"
    assert (d.recorded, d.commanded_kind, d.patch_id) == ("timer (1s)", "", "skip-timer")
    assert d.explanation().endswith(
        f"where the code now waits at skip_wait.py:{line + 2} in run (the condition, or what it "
        "reads, changed; or the if is new)")
    assert d.fix()[1] == '    new_branch = order.startswith("slow-")'
    assert d.fix_at is not None and d.fix_at.line == line
    assert "timeout" not in "\n".join(d.fix())


def test_a_timer_skipped_by_a_match_before_a_wait_gates_the_match(tmp_path: Path) -> None:
    # The same with the pause in a case of a match that this order no longer matches.
    source = V2_FILE.read_text()
    start = source.index("class DurationThenWait:")
    old = "        await workflow.sleep(2 * PAUSE)\n"
    new = ('        match order.split("-")[0]:\n            case "slow":\n'
           "                await workflow.sleep(2 * PAUSE)\n"
           "        await workflow.wait_condition(lambda: self.approved)\n")
    assert source.count(old, start) == 1
    source = source[:start] + source[start:].replace(old, new)
    d = replay_variant(tmp_path, "skip_wait_match", source, "DurationThenWait").diagnosis
    line = source[:source.index(new)].count("\n") + 1
    assert d is not None and (d.change, d.branch_skipped, d.branch_case) == (
        "branch", "case", '"slow"'
    ), d
    assert d.branch_at == f"skip_wait_match.py:{line} in run"
    assert d.explanation().endswith(
        f"where the code now waits at skip_wait_match.py:{line + 3} in run (the subject or the "
        "patterns, or what they read, changed; or the match is new)")
    assert d.fix()[2] == '        match order.split("-")[0]:  # as it is now'
    assert d.fix_at is not None and d.fix_at.line == line
    assert "timeout" not in "\n".join(d.fix())


def provisioning_variant(tmp_path: Path, old: str, new: str, history: str) -> Verdict:
    """``history`` (under fixtures/histories/TenantProvisioning) replayed against a copy of
    examples/provisioning whose shared.py has ``old`` (once) replaced by ``new``."""
    import shutil

    from replaycheck.replay import ReplayJob, replay

    package = tmp_path / "provisioning_variant"
    shutil.copytree(REPO / "examples" / "provisioning", package)
    for module in package.glob("*.py"):
        module.write_text(module.read_text().replace("examples.provisioning", package.name))
    shared = package / "shared.py"
    source = shared.read_text()
    assert source.count(old) == 1
    shared.write_text(source.replace(old, new))
    path = FIXTURES / "TenantProvisioning" / history
    workflows = (f"{package.name}.workflows",)
    job = ReplayJob(paths=(str(path),), workflows=workflows, import_paths=(str(tmp_path),))
    return replay(job)[0]


def test_the_reference_apps_child_made_conditional_is_a_skipped_branch(tmp_path: Path) -> None:
    # examples/provisioning with NotifyTenant run only for other plans than this history's: its
    # class is NotifyTenantWorkflow, registered as "NotifyTenant", so the if running it was not
    # found by the workflow type's name, and the change read as the child removed.
    source = (REPO / "examples" / "provisioning" / "shared.py").read_text()
    start = source.index("        notification = await workflow.execute_child_workflow(\n")
    call = source[start : source.index("        )\n", start) + len("        )\n")]
    indented = "".join("    " + line for line in call.splitlines(keepends=True))
    guarded = '        notification = ""\n        if request.plan != "standard":\n' + indented
    d = provisioning_variant(tmp_path, call, guarded, "prov-acme-completed.json").diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "body"), d
    assert d.recorded == "child workflow 'NotifyTenant'" and d.commanded_kind == "complete"
    assert d.branch_condition == 'request.plan != "standard"'
    assert d.patch_id == "skip-notify-tenant"


def test_a_step_added_through_the_reference_apps_helper_is_gated_where_it_is_called(
    tmp_path: Path,
) -> None:
    # `await self._step(seed_data, request)` added after the approval wait: the command before
    # it is the settle timer, whose frames share none with _step's, so the gate went inside
    # _step (every step runs there) instead of the line that calls it for seed_data.
    old = '        approver = self._approver or ""\n'
    new = old + "        await self._step(seed_data, request)\n"
    d = provisioning_variant(tmp_path, old, new, "prov-acme-completed.json").diagnosis
    assert d is not None and d.gate_at is not None, d
    assert (d.gate_at.function, d.gate_at.code) == (
        "approve_and_notify", "await self._step(seed_data, request)")
    assert d.fix()[1:3] == ['    if workflow.patched("seed-data-before-notify-tenant"):',
                            "        await self._step(seed_data, request)"]  # fmt: skip


def test_a_return_where_the_history_failed_reads_as_a_replacement_only(tmp_path: Path) -> None:
    # FailLater with its rejection gone: the code returns with 'charge' where the history
    # failed. Nothing runs after `return await ...` in run, so "if workflow failure still runs
    # after it (an addition), no else" is no reading; the replacement, with the old code in the
    # else, is the only one.
    source = V2_FILE.read_text()
    start = source.index("class FailLater:")
    old = ('        if order.count("-") >= 2:\n'
           '            raise ApplicationError(f"order {order} rejected")\n')
    assert source.count(old, start) == 1
    source = source[:start] + source[start:].replace(old, "", 1)
    d = replay_variant(tmp_path, "reject_gone", source, "FailLater").diagnosis
    assert d is not None and (d.change, d.recorded_kind, d.commanded) == (
        "replaced", "fail", "activity 'charge'"), d
    assert d.explanation().endswith("(replacing it: nothing runs after it)")
    fix = "\n".join(d.fix())
    assert "an addition" not in fix and "no else" not in fix, fix
    assert 'if workflow.patched("charge-instead-of-fail"):' in fix and "    else:" in fix


def test_a_removed_raise_gives_the_raise_the_history_recorded_in_the_else(tmp_path: Path) -> None:
    # RemoveRaise: `if ...: raise ApplicationError(...)` removed, where the history failed the
    # workflow. The else read "the old code (workflow failure ...)", which a user took for a
    # bare `raise`; it now gives the failure recorded (message and type) and the raise as the
    # history's stack trace quotes it, and says that an if it stood under goes back too.
    d = committed_verdicts()["RemoveRaise"].diagnosis
    assert d is not None and (d.change, d.recorded_kind) == ("replaced", "fail"), d
    failure = "ApplicationError: order change-RemoveRaise rejected of type Rejected"
    assert d.failure_recorded == failure
    raised = 'raise ApplicationError(f"order {order} rejected", type="Rejected")'
    # The line changes_v1 had when the history was recorded, as its stack trace says.
    trace = (CHANGES / "RemoveRaise" / "change-RemoveRaise.json").read_text()
    found = re.search(r'changes_v1\.py\\", line (\d+), in run\\n {4}raise ', trace)
    assert found is not None, trace
    old = int(found.group(1))
    assert d.failure_raised_at is not None
    assert (d.failure_raised_at.short(), d.failure_raised_at.code) == (
        f"changes_v1.py:{old} in run", raised)
    then = marked_line("change: RemoveRaise")
    condition = ("if the raise stood under an if, put that if back around it, and the code "
                 "that ran after the if")  # fmt: skip
    fix = d.fix()
    assert fix == [
        f"gate the change at changes_v2.py:{then} in run:",
        '    if workflow.patched("charge-instead-of-fail"):',
        f"        return await {CHARGE}",
        "    else:",
        "        # the old code, for executions recorded before: it raised the failure the history "
        f"recorded ({failure}) at changes_v1.py:{old} in run, as the history's stack trace "
        "quotes it;",
        f"        # {condition}",
        f"        {raised}",
    ]
    # The fix applied as printed: the history replays.
    fixed = with_fix("RemoveRaise", then, then, fix[1:])
    assert replay_variant(tmp_path, "remove_raise_gated", fixed, "RemoveRaise").ok
    # Without a stack trace quoting the raise (another SDK's, or none), the else says what to
    # raise in words.
    assert replace(d, failure_raised_at=None).fix()[4] == (
        "        ...  # the old code, for executions recorded before: raise the failure the "
        f"history recorded ({failure}); {condition}"
    )
    assert Diagnosis.from_json_dict(d.to_json_dict()) == d


def test_a_command_skipped_by_an_if_but_run_after_is_no_skipped_branch(tmp_path: Path) -> None:
    # SkipTimer with the pause run after 'charge' too: the code moved the timer, and may
    # still run it in the if, so the if is not named.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    line = marked_line("change: SkipTimer")
    charge = lines[line - 1]
    assert charge.strip().startswith("return await workflow.execute_activity(charge")
    moved = charge.replace("return await", "result = await")
    pause = "        await workflow.sleep(PAUSE)\n        return result\n"
    source = "".join([*lines[: line - 1], moved, pause, *lines[line:]])
    d = replay_variant(tmp_path, "skip_timer_moved", source, "SkipTimer").diagnosis
    assert d is not None and d.change != "branch" and not d.branch_skipped, d


def test_a_continue_as_new_now_skipped_at_the_end_is_a_branch_not_a_removal(
    tmp_path: Path,
) -> None:
    # ContinueLater with `return order` after the if: the code completes where the history
    # continued as new. The continue_as_new() call is still in the if's other branch.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    line = marked_line("change: ContinueLater")
    assert lines[line - 1].strip().startswith("return await workflow.execute_activity(charge")
    completes = "".join([*lines[: line - 1], "        return order\n", *lines[line:]])
    d = replay_variant(tmp_path, "continue_later_completes", completes, "ContinueLater").diagnosis
    assert d is not None and (d.commanded_kind, d.change) == ("complete", "branch"), d
    assert d.branch_condition == "len(items) > 2"
    assert "it now completes where this execution continued as new" in d.explanation()
    # with no continue_as_new() left in the source, it was removed (RemoveContinueAsNew)
    removed = committed_verdicts()["RemoveContinueAsNew"].diagnosis
    assert removed is not None and removed.change == "removed"


def test_a_removed_patch_call_is_put_back_as_deprecate_patch_first() -> None:
    # The smallest step back replays every execution recorded with the marker; the whole gate
    # is the reading for executions that started before the patch, which this history is not
    # (check leads with it when the run holds one: test_patches.py).
    fix = fix_text("RemovePatchCall")
    assert fix.index('workflow.deprecate_patch("charge-first")') < fix.index(
        'if workflow.patched("charge-first"):'
    )


def _with_before(
    env: WorkflowEnvironment, loop: asyncio.AbstractEventLoop, tmp_path: Path, case: str
) -> Callable[..., list[Verdict]]:
    """Replay ``case``'s committed history (recorded with the patch's marker) and one freshly
    recorded on the code from before the patch, reconciled as ``replaycheck check`` does:
    ``checked(module, *import paths)`` gives the pre-patch history's verdict, then the other."""
    from replaycheck._run_fixes import reconcile
    from replaycheck.replay import ReplayJob, replay
    from tests.workflows.record_changes import record_before

    before = loop.run_until_complete(record_before(env.client, tmp_path / "run", case))
    paths = (str(before), str(CHANGES / case / f"change-{case}.json"))

    def checked(module: str, *imports: str) -> list[Verdict]:
        job = ReplayJob(paths=paths, workflows=(module,), import_paths=(*imports, str(REPO)))
        return reconcile(replay(job))

    return checked


def _gate_applied(tmp_path: Path, line: int, gate: list[str], replaced: int = 1) -> None:
    """``changes_v2`` with the printed ``gate`` in place of the ``replaced`` statements from
    ``line``, written as ``gate_back.py`` in ``tmp_path``."""
    lines = V2_FILE.read_text().splitlines(keepends=True)
    indent = lines[line - 1][: -len(lines[line - 1].lstrip())]
    fixed = [indent + x[4:] + "\n" for x in gate]
    source = [*lines[: line - 1], *fixed, *lines[line - 1 + replaced :]]
    (tmp_path / "gate_back.py").write_text("".join(source))


@pytest.mark.server
def test_a_removed_gate_that_only_added_a_step_goes_back_with_no_else(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # RemovePatchCall's gate added charging first with no else: the old code ran nothing
    # there. With an execution that started before the patch in the run too, both fixes and
    # the summary put the gate back with "else: ...  # the old code (activity 'fetch' here)",
    # though 'fetch' runs after the gate in both codes: an else holding it would run it twice.
    from replaycheck.report import removed_patch_lines

    checked = _with_before(dev_server, server_loop, tmp_path, "RemovePatchCall")
    line = marked_line("change: RemovePatchCall")
    statement = "await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)"
    gate = ['    if workflow.patched("charge-first"):', f"        {statement}"]
    started, recorded = checked(V2)
    assert started.diagnosis is not None and recorded.diagnosis is not None
    assert started.diagnosis.removed_gate == "charge-first"
    for d in (started.diagnosis, recorded.diagnosis):
        fix = d.fix()
        assert not any(x.strip().startswith("else") for x in fix), fix
        assert f"(before changes_v2.py:{line} in run)" in fix[0] and "with no else:" in fix[0]
        assert fix[1:3] == gate
    assert recorded.diagnosis.old_branch_empty
    assert "ran nothing where the gate was (activity 'fetch' still runs after it)" in (
        started.diagnosis.fix()[0]
    )
    assert removed_patch_lines([started, recorded]) == [
        'Patch "charge-first": 1 history recorded its marker with patched(), and the code no '
        "longer calls it; 1 history started before the patch and ran nothing where the gate "
        'was: put the whole gate back, one workflow.patched("charge-first") for both, with no '
        "else."
    ]
    # The fix applied as printed (the gate in place of the statement): both histories replay.
    assert V2_FILE.read_text().splitlines()[line - 1].strip() == statement
    _gate_applied(tmp_path, line, gate)
    assert [v.verdict for v in checked("gate_back", str(tmp_path))] == ["ok", "ok"]


@pytest.mark.server
def test_a_removed_gate_of_several_statements_goes_back_around_them_all(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # RemovePatchBlock's gate held audit, a timer and audit again, with no else. Both fixes
    # quoted only the first statement: applied as printed, the pre-patch history still failed
    # at the timer. They quote the whole block now, as the summary names its lines.
    from replaycheck.report import removed_patch_lines

    checked = _with_before(dev_server, server_loop, tmp_path, "RemovePatchBlock")
    line = marked_line("change: RemovePatchBlock")
    block = V2_FILE.read_text().splitlines()[line - 1 : line + 2]
    assert [x.strip().split("(")[0] for x in block] == [
        "await workflow.execute_activity", "await workflow.sleep", "await workflow.execute_activity"
    ]  # fmt: skip
    gate = ['    if workflow.patched("audit-twice"):', *("        " + x.strip() for x in block)]
    started, recorded = checked(V2)
    assert started.diagnosis is not None and recorded.diagnosis is not None
    assert started.diagnosis.removed_gate == "audit-twice"
    around = f"around the statements in a row at changes_v2.py:{line}-{line + 2}"
    for d in (started.diagnosis, recorded.diagnosis):
        fix = d.fix()
        assert not any(x.strip().startswith("else") for x in fix), fix
        assert f"(before changes_v2.py:{line} in run) {around}" in fix[0], fix[0]
        assert fix[1:5] == gate, fix
        assert not fix[5].startswith("        "), fix  # nothing after the block is gated
    assert removed_patch_lines([started, recorded]) == [
        'Patch "audit-twice": 1 history recorded its marker with patched(), and the code no '
        "longer calls it; 1 history started before the patch and ran nothing where the gate "
        f'was: put the whole gate back {around}, one workflow.patched("audit-twice") for both, '
        "with no else."
    ]
    # The fix applied as printed (the gate in place of the block): both histories replay.
    _gate_applied(tmp_path, line, gate, replaced=3)
    assert [v.verdict for v in checked("gate_back", str(tmp_path))] == ["ok", "ok"]


def test_a_changed_child_workflow_id_is_named_and_gated() -> None:
    d = committed_verdicts()["ChangeChildId"].diagnosis
    assert d is not None and d.ids == ("change-ChangeChildId-pack", "change-ChangeChildId-box")
    assert d.explanation().startswith(
        "child workflow 'PackOrder' now gets id 'change-ChangeChildId-box'; the history "
        "recorded id 'change-ChangeChildId-pack'"
    )
    # the new id as the code writes it, its quotes too (it was unparsed: f'{wid}-box'); the
    # old one as this history recorded it
    assert (
        '    id=f"{wid}-box" if workflow.patched("pack-order-id") else <the old '
        "expression>  # it gave 'change-ChangeChildId-pack' here" in "\n".join(d.fix())
    )


def test_a_command_removed_from_an_update_handler_names_the_handler() -> None:
    d = replay_file(CHANGES / "RemoveFromUpdate" / "change-RemoveFromUpdate.json", V2).diagnosis
    assert d is not None
    # the code completes the update where the history ran 'fetch' (it read as a bare "update")
    recorded, commanded = "activity 'fetch'", "completion of update 'set_note'"
    assert (d.recorded, d.commanded, d.change) == (recorded, commanded, "removed")
    line = marked_line("handler: RemoveFromUpdate") - 1
    assert (d.handler, d.handler_at) == ("set_note", f"changes_v2.py:{line}")
    assert d.explanation() == (
        "the update handler 'set_note' no longer runs activity 'fetch' before it returns: the "
        "history ran it while handling the update"
    )
    fix = d.fix()
    assert fix[0] == f"gate it in the update handler 'set_note' (changes_v2.py:{line}):"
    assert '    if workflow.patched("remove-fetch"):' in fix and "    else:" in fix
    assert "update 'set_note'" in [row.recorded for row in d.timeline]


def test_a_command_added_to_an_update_handler_names_the_update_it_completes_before(
    tmp_path: Path,
) -> None:
    # ReorderAroundUpdate's handler 'set_note' runs 'lookup' before it returns now: the history
    # completed the update there. Every update row read as a bare "update", the change as a
    # replacement of "update" with the patch id 'lookup-instead-of-update'.
    v1 = (V2_FILE.parent / "changes_v1.py").read_text()
    start = v1.index('@workflow.defn(name="ReorderAroundUpdate")')
    returns = v1.index("        self.note = note\n", start)
    lookup = "        await workflow.execute_activity(lookup, note, start_to_close_timeout=TIMEOUT)"
    lookup += "\n"
    source = v1[:returns] + lookup + v1[returns:]
    verdict = replay_variant(tmp_path, "update_lookup", source, "ReorderAroundUpdate")
    d = verdict.diagnosis
    assert verdict.verdict == "nondeterministic" and d is not None, verdict.message
    assert (d.event_type, d.recorded, d.commanded) == (
        "WorkflowExecutionUpdateCompleted", "completion of update 'set_note'", "activity 'lookup'"
    )  # fmt: skip
    assert (d.change, d.patch_id) == ("added", "add-lookup")
    assert d.explanation().startswith(
        "the update handler 'set_note' now runs activity 'lookup' before it returns"
    )
    assert [row.recorded for row in d.timeline][1:4] == [
        "update 'set_note'", "activity 'audit'", "completion of update 'set_note'"
    ]  # fmt: skip
    assert [row.commanded for row in d.timeline][1] == "update 'set_note'"
    # gated as the fix says, the history replays
    gate = '        if workflow.patched("add-lookup"):\n    '
    gated = v1[:returns] + gate + lookup + v1[returns:]
    assert replay_variant(tmp_path, "update_lookup_gated", gated, "ReorderAroundUpdate").ok


def test_a_command_added_to_an_update_handler_that_run_also_runs_later_is_an_addition(
    tmp_path: Path,
) -> None:
    # AddToUpdateLikeLater: the handler 'set_note' charges before it returns now; the
    # history's only 'charge' is run's, after the update completed. It read as a reorder
    # ('remove-set-note-completion', with an else of "the old code from here on").
    d = committed_verdicts()["AddToUpdateLikeLater"].diagnosis
    assert d is not None
    assert (d.recorded, d.commanded) == ("completion of update 'set_note'", "activity 'charge'")
    assert (d.change, d.patch_id) == ("added", "add-charge")
    assert d.explanation() == (
        "the update handler 'set_note' now runs activity 'charge' before it returns: the "
        "history completed the update there, without it (an addition)"
    )
    line = marked_line("change: AddToUpdateLikeLater")
    charge = "await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)"
    assert d.fix() == [
        f"gate it in the update handler 'set_note', at changes_v2.py:{line} (no else: "
        "executions recorded before never ran it there):",
        '    if workflow.patched("add-charge"):',
        f"        {charge}",
    ]  # no note: run still charges after the update, as the history did
    assert d.to_json_dict()["change"] == "added"
    assert d.moved_from_run == 0
    # the printed fix pasted over the handler's statement in v2: the history replays
    source = V2_FILE.read_text()
    start = source.index('@workflow.defn(name="AddToUpdateLikeLater")')
    at = source.index(f"        {charge}\n", start)
    pasted = "".join(f"    {row}\n" for row in d.fix()[1:])
    fixed = source[:at] + pasted + source[at + len(f"        {charge}\n") :]
    assert replay_variant(tmp_path, "update_charge_gated", fixed, "AddToUpdateLikeLater").ok


def test_a_command_added_before_an_update_handlers_own_is_not_a_reorder_of_runs_later_one(
    tmp_path: Path,
) -> None:
    # AddToUpdateBeforeLikeLater: the handler 'set_note' charges before its lookup now; the
    # history's only 'charge' is run's, after the update completed. It read as a reorder
    # ("'lookup' was removed or moved after it", no addition offered, an else of the whole
    # old order) though no handler moves a command past its own completion.
    d = committed_verdicts()["AddToUpdateBeforeLikeLater"].diagnosis
    assert d is not None
    assert (d.recorded, d.commanded) == ("activity 'lookup'", "activity 'charge'")
    assert d.change != "reordered" and d.patch_id == "charge-before-lookup"
    assert d.explanation() == (
        "the code commands activity 'charge' where the history recorded activity 'lookup', "
        "which the code still runs after it (added before it, or replacing it)"
    )
    line = marked_line("change: AddToUpdateBeforeLikeLater")
    charge = "await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)"
    assert d.fix()[:3] == [
        f"gate the change at changes_v2.py:{line} in set_note; if activity 'lookup' still "
        "runs after it (an addition), no else:",
        '    if workflow.patched("charge-before-lookup"):',
        f"        {charge}",
    ]
    # the printed addition pasted over the handler's new statement in v2: the history replays
    source = V2_FILE.read_text()
    start = source.index('@workflow.defn(name="AddToUpdateBeforeLikeLater")')
    at = source.index(f"        {charge}\n", start)
    pasted = "".join(f"    {row}\n" for row in d.fix()[1:3])
    fixed = source[:at] + pasted + source[at + len(f"        {charge}\n") :]
    assert replay_variant(tmp_path, "update_lookup_gated", fixed, "AddToUpdateBeforeLikeLater").ok


def test_a_command_moved_from_run_into_an_update_handler_gates_its_removal_from_run_too(
    tmp_path: Path,
) -> None:
    # MoveIntoUpdateHandler: the charge run issued after the update is now the handler's,
    # before it returns. The handler's gate alone leaves run's removal, which a second
    # replay diagnoses: the fix gates that too, with the same patch id, after the wait run
    # had reached when the update came.
    d = committed_verdicts()["MoveIntoUpdateHandler"].diagnosis
    assert d is not None
    assert (d.recorded, d.commanded) == ("completion of update 'set_note'", "activity 'charge'")
    assert (d.change, d.patch_id) == ("added", "add-charge")
    later = next(row.event_id for row in d.timeline if row.recorded == "activity 'charge'")
    assert d.moved_from_run == later > d.event_id
    wait = line_of("        await workflow.wait_condition(lambda: bool(self.note))\n        "
                   "return self.note\n", V2_FILE)  # fmt: skip
    assert d.moved_run_at is not None and d.moved_run_at.short() == f"changes_v2.py:{wait} in run"
    assert d.moved_handler_names == ("note",)
    line = marked_line("change: MoveIntoUpdateHandler")
    charge = "await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)"
    assert d.fix() == [
        f"gate it in the update handler 'set_note', at changes_v2.py:{line} (no else: "
        "executions recorded before never ran it there):",
        '    if workflow.patched("add-charge"):',
        f"        {charge}",
        f"  and gate its removal from run: the history runs activity 'charge' later (event "
        f"{later}), which the code outside the handler no longer runs after the update; "
        f"executions recorded before run it there, after changes_v2.py:{wait} in run (the "
        "statement it had reached when the update came), with the same patch id:",
        '    if not workflow.patched("add-charge"):',
        "        # with run's value in place of 'note', the handler's parameter",
        f"        {charge}",
    ]
    assert Diagnosis.from_json_dict(d.to_json_dict()).fix() == d.fix()
    # only there: not where run still charges later, nor for an addition outside a handler
    noted = {
        name for name, v in committed_verdicts().items()
        if v.diagnosis is not None and v.diagnosis.moved_from_run
    }  # fmt: skip
    assert noted == {"MoveIntoUpdateHandler"}
    # the handler gated as printed, alone: the replay stops next where run no longer charges
    lines = V2_FILE.read_text().splitlines(keepends=True)
    assert lines[line - 1] == f"        {charge}\n"
    handler = "".join(f"    {row}\n" for row in d.fix()[1:3])
    gated = "".join([*lines[: line - 1], handler, *lines[line:]])
    alone = replay_variant(tmp_path, "moved_charge_gated", gated, "MoveIntoUpdateHandler")
    assert alone.diagnosis is not None
    assert (alone.diagnosis.event_id, alone.diagnosis.recorded) == (later, "activity 'charge'")
    assert alone.diagnosis.change == "removed"
    # both printed fixes pasted in, run's with its value for 'note' as its comment says: the
    # history replays
    run_side = "".join(f"    {row}\n" for row in d.fix()[4:])
    run_side = run_side.replace("(charge, note,", "(charge, order,")
    both = "".join([*lines[:wait], run_side, *lines[wait : line - 1], handler, *lines[line:]])
    assert replay_variant(tmp_path, "moved_charge_both", both, "MoveIntoUpdateHandler").ok


def test_a_statement_that_moved_too_gets_a_note() -> None:
    # version 2 runs verify_schema, then seed_data, then run_migrations: seed_data moved up too.
    path = FIXTURES / "TenantProvisioning" / "prov-acme-completed.json"
    d = replay_file(path, "examples.provisioning.workflows_unsafe").diagnosis
    assert d is not None
    seed = line_of("await self._step(seed_data, request)\n        await self._step(run_", SHARED_PY)
    assert d.moved_too == f"activity 'seed_data' at shared.py:{seed}"
    assert d.fix()[-1].startswith(f"  note: the next statement runs {d.moved_too}")
    # a plain reorder: what follows runs the recorded command itself, nothing else moved
    assert committed_verdicts()["Reorder"].diagnosis.moved_too == ""  # type: ignore[union-attr]


def test_statements_added_in_a_row_stop_at_a_wait_and_keep_their_own_checks(
    tmp_path: Path,
) -> None:
    from replaycheck._source import block_until

    code = tmp_path / "wf.py"
    code.write_text(
        "async def run(self):\n"
        "    await notify()\n"  # 2: added
        "    await workflow.wait_condition(lambda: self.approved)\n"  # 3: was there
        "    await charge()\n"
    )
    assert block_until(str(code), 2, r"\bcharge\b") is None  # the wait is not part of it
    code = tmp_path / "wf2.py"  # parses are cached by path
    code.write_text(
        "async def run(self):\n"
        "    ok = await fraud_check()\n"  # 2: added
        "    if not ok:\n"  # 3-4: added, uses what the addition returned
        "        return 'rejected'\n"
        "    await charge()\n"
    )
    assert block_until(str(code), 2, r"\bcharge\b") == (
        4,
        "ok = await fraud_check()\nif not ok:\n    return 'rejected'",
    )


def test_a_fan_out_over_a_comprehension_is_a_loop() -> None:
    d = replay_file(CHANGES / "FanOutMore" / "change-FanOutMore.json", V2).diagnosis
    assert d is not None and (d.change, d.loop_runs, d.loop_more) == ("loop", 2, True)
    assert d.loop.endswith("(for _ in range(3))")
    assert 'workflow.patched("fetch-runs") else 2' in "\n".join(d.fix())


def test_an_addition_never_gates_the_recorded_timer_after_it(tmp_path: Path) -> None:
    from replaycheck._readings import added_block

    code = tmp_path / "wf.py"
    code.write_text(
        "async def run(self):\n"
        "    await workflow.execute_activity(step_b)\n"  # 2: added
        "    await workflow.sleep(1)\n"  # 3: the timer the history recorded next
        "    await workflow.execute_activity(ship)\n"
    )
    timer = Command("timer", "1s", event_id=11)
    history = HistoryCommands(commands=(timer, Command("activity", "ship", event_id=17)),
                              tasks=(4, 10, 16))  # fmt: skip
    assert added_block(SourceFrame(str(code), 2, "run"), timer, history) is None


def test_source_reading_skips_comments_and_follows_callers(tmp_path: Path) -> None:
    from replaycheck._source import patch_ids_in_source
    from replaycheck._source_flow import mentioned_later

    code = tmp_path / "wf.py"
    code.write_text(
        "async def run(self):\n"
        "    await workflow.sleep(1)\n"  # line 2: the new command
        "    # charge used to run here\n"
        "    if workflow.patched('timer-before-charge'):\n"
        "        pass\n"
        "\n"
        "async def other(self):\n"
        "    await charge()\n"
    )
    assert not mentioned_later(str(code), 2, r"\bcharge\b")  # a comment, another function
    code.write_text(code.read_text().replace("# charge used", "await charge()  # used"))
    import linecache

    linecache.clearcache()
    assert mentioned_later(str(code), 2, r"\bcharge\b")
    assert patch_ids_in_source(str(code)) == {"timer-before-charge"}
    from replaycheck._source_flow import count_later

    code.write_text("async def run(self):\n    await charge()\n    await workflow.sleep(1)\n")
    linecache.clearcache()
    # One sleep after the new first command: of two recorded timers, one was removed.
    assert count_later(str(code), 2, r"\bsleep\(") == 1


def test_a_suggested_patch_id_is_never_one_in_use() -> None:
    from replaycheck._building_names import unused

    assert unused("timer-before-charge", {"x"}) == "timer-before-charge"
    assert unused("timer-before-charge", {"timer-before-charge"}) == "timer-before-charge-2"
    taken = {"timer-before-charge", "timer-before-charge-2"}
    assert unused("timer-before-charge", taken) == "timer-before-charge-3"


def test_an_added_timer_is_not_taken_for_a_moved_one() -> None:
    # The history's later timer has another duration: the new 5 s timer was added.
    from replaycheck._building_names import classify
    from replaycheck._commands import Command, HistoryCommands

    charge = Command("activity", "charge", event_id=11)
    later_timer = Command("timer", "1s", event_id=17)
    history = HistoryCommands(commands=(charge, later_timer), tasks=(4, 10, 16))
    assert classify(charge, Command("timer", "5s"), history) == "replaced"
    assert classify(charge, Command("timer", "1s"), history) == "reordered"


def test_a_changed_signal_handler_is_named_not_taken_for_a_removal() -> None:
    # Two approvals needed now: the code keeps waiting where the history went on after the
    # one 'approve' it recorded, and commands nothing.
    path = FIXTURES / "TenantProvisioning" / "prov-acme-completed.json"
    d = replay_file(path, "tests.workflows.four_eyes:FourEyesProvisioning").diagnosis
    assert d is not None and d.commanded == "nothing"
    [signal] = d.signals
    assert signal.startswith("signal 'approve' (event ")
    assert d.explanation().startswith(f"the code made no command after {signal}")
    assert d.fix()[0].startswith("if the handling of signal 'approve' changed, gate it")
    rows = [row.recorded for row in d.timeline]
    assert rows.index("signal 'approve' received") == rows.index(d.recorded) - 1


def test_helper_issuing_every_activity_points_at_its_caller() -> None:
    """``_step`` issues every activity from one line: show the call chain, gate the caller."""
    path = FIXTURES / "TenantProvisioning" / "prov-umbrella-awaiting-approval.json"
    d = replay_file(path, "examples.provisioning.workflows_unsafe").diagnosis
    assert d is not None and d.event_id == 11
    step = line_of("return await workflow.execute_activity(\n            activity,", SHARED_PY)
    caller = line_of("await self._step(verify_schema, request)", SHARED_PY)
    run = line_of("schema = await self.prepare_v2(request)", UNSAFE_PY)
    assert [(Path(f.file).name, f.line, f.function) for f in d.location] == [
        ("shared.py", step, "_step"),
        ("shared.py", caller, "prepare_v2"),
        ("workflows_unsafe.py", run, "run"),
    ]
    assert d.where(2) == f"shared.py:{step} in _step, called from shared.py:{caller} in prepare_v2"
    assert d.gate_at == d.location[1]
    assert d.severity == IN_FLIGHT  # the execution was still running when recorded
    assert "await self._step(verify_schema, request)" in "\n".join(d.fix())
    assert [row.at for row in d.timeline[:2]] == [
        f"shared.py:{line_of('_step(create_schema, request, retry_policy', SHARED_PY)}",
        f"shared.py:{caller}",
    ]


def test_a_first_command_from_a_helper_points_at_the_call_naming_it() -> None:
    # No command before it to compare frames with: the statement that names the activity.
    path = FIXTURES / "TenantProvisioning" / "prov-v2-cyberdyne-completed.json"
    d = replay_file(path, "examples.provisioning.workflows_unsafe").diagnosis
    assert d is not None and d.change == "patch-removed" and d.gate_at is not None
    caller = line_of("_step(create_schema, request, retry_policy", SHARED_PY)
    assert (d.gate_at.function, d.gate_at.line) == ("prepare_v2", caller)
    # The fix puts the call back around run's call of prepare_v2, whose first statement that is
    # (it said "before shared.py:78 in prepare_v2", the top of the helper, not where it was).
    run_line = line_of("schema = await self.prepare_v2(request)", UNSAFE_PY)
    assert f"where the gate was (before workflows_unsafe.py:{run_line} in run)" in d.fix()[0]


def test_public_sdk_history_timer_added_on_replay() -> None:
    """The SDK's own nondeterministic history: a timer the code now starts before completing."""
    d = replay_file(NONDETERMINISTIC, "tests.workflows.sayhello").diagnosis
    assert d is not None
    assert (d.event_id, d.recorded_kind, d.commanded_kind, d.commanded_name) == (
        11,
        "complete",
        "timer",
        "0.1s",
    )
    sayhello = REPO / "tests" / "workflows" / "sayhello.py"
    assert d.location[0].line == line_of("await workflow.sleep(0.1)", sayhello)
    assert d.patch_id == "add-timer"


# --------------------------------------------------------------------------- without a capture


MESSAGES = {
    "[TMPRL1100] Nondeterminism error: Activity type of scheduled event 'fetch' does not match "
    "activity type of activity command 'charge'": (
        0, ("activity", "fetch"), ("activity", "charge"),
    ),
    "[TMPRL1100] Nondeterminism error: Child workflow type of scheduled event 'PackOrder' does not "
    "match child workflow type of command 'GiftWrapOrder'": (
        0, ("child", "PackOrder"), ("child", "GiftWrapOrder"),
    ),
    "[TMPRL1100] Nondeterminism error: Activity type of recorded marker 'lookup' does not match "
    "activity type of local activity command 'find'": (
        0, ("local-activity", "lookup"), ("local-activity", "find"),
    ),
    "[TMPRL1100] Nondeterminism error: Timer machine does not handle this event: "
    "HistoryEvent(id: 11, WorkflowExecutionCompleted)": (11, ("complete", ""), ("timer", "")),
    "[TMPRL1100] Nondeterminism error: Complete workflow machine does not handle this event: "
    "HistoryEvent(id: 11, WorkflowExecutionContinuedAsNew)": (
        11, ("continue-as-new", ""), ("complete", ""),
    ),
    "[TMPRL1100] Nondeterminism error: Non-deprecated patch marker encountered for change "
    "charge-first, but there is no corresponding change command!": (
        0, ("patch", "charge-first"), None,
    ),
    "[TMPRL1100] Nondeterminism error: Missing associated machine for LocalActivity(1)": (
        0, ("local-activity", ""), None,
    ),
    "something core has never said": (0, None, None),
}  # fmt: skip


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_core_messages_are_read(message: str) -> None:
    event_id, recorded, commanded = MESSAGES[message]
    hint = parse_core_message(message)
    assert (hint.event_id, hint.recorded, hint.commanded) == (event_id, recorded, commanded)


def test_cores_debug_dump_of_an_event_is_shortened() -> None:
    # Some core messages carry a whole event as Rust's debug dump (a thousand characters).
    dump = (
        "HistoryEvent { event_id: 5, event_time: Some(Timestamp { seconds: 1, nanos: 2 }), "
        "event_type: ActivityTaskScheduled, version: 0, attributes: Some("
        "ActivityTaskScheduledEventAttributes(ActivityTaskScheduledEventAttributes { "
        'activity_id: \\"1\\", input: Some(Payloads { payloads: [] }) })) }'
    )
    text = (
        'Failure { failure: Some(Failure { message: "[TMPRL1100] Nondeterminism error: Child '
        f'workflow machine does not handle this event: {dump}", source: "" }}) }}'
    )
    assert core_message(text) == (
        "[TMPRL1100] Nondeterminism error: Child workflow machine does not handle this event: "
        "HistoryEvent(id: 5, ActivityTaskScheduled)"
    )


def test_braces_inside_strings_of_a_dump_do_not_swallow_the_message() -> None:
    dump = (
        'HistoryEvent { event_id: 5, attributes: Some(A { activity_id: \\"a{b\\" }), '
        "event_type: ActivityTaskScheduled, version: 0 }"
    )
    text = f'Failure {{ message: "core: {dump}; the command was ScheduleActivity(charge)" }}'
    assert core_message(text) == (
        "core: HistoryEvent(id: 5, ActivityTaskScheduled); the command was ScheduleActivity(charge)"
    )


def test_only_draws_of_the_activation_that_diverged_are_named() -> None:
    # A uuid4() taken at the start does not explain a change two workflow tasks later.
    loaded = read_history(NONDETERMINISTIC)
    message = (
        "[TMPRL1100] Nondeterminism error: Timer machine does not handle this event: "
        "HistoryEvent(id: 11, WorkflowExecutionCompleted)"
    )
    draws = [(SourceFrame("wf.py", 3, "run"), 3, 0), (SourceFrame("wf.py", 9, "run"), 8, 1)]
    d = diagnose(message, loaded.history, status="COMPLETED", last_task=8, draws=draws)
    assert d.draws == ("wf.py:9 in run",)


def test_without_a_capture_the_message_and_history_still_explain() -> None:
    loaded = read_history(NONDETERMINISTIC)
    message = (
        "[TMPRL1100] Nondeterminism error: Timer machine does not handle this event: "
        "HistoryEvent(id: 11, WorkflowExecutionCompleted)"
    )
    d = diagnose(message, loaded.history, status="COMPLETED")
    assert (d.event_id, d.recorded, d.commanded) == (11, "workflow completion", "timer")
    assert d.location == () and d.message == message


def test_unknown_message_degrades_to_core_message() -> None:
    loaded = read_history(NONDETERMINISTIC)
    d = diagnose("[TMPRL1100] something new", loaded.history, status="RUNNING")
    assert d == Diagnosis(message="[TMPRL1100] something new", severity=IN_FLIGHT)
    assert not d.located and d.headline() == "[TMPRL1100] something new"
    assert 'workflow.patched("<change-id>")' in "\n".join(d.fix())


def test_a_broken_capture_never_crashes() -> None:
    loaded = read_history(NONDETERMINISTIC)
    junk = [Command("activity", "x", task=-5, frames=(("/nope.py", 0, "f"),))] * 3
    d = diagnose("core said something", loaded.history, status="COMPLETED", issued=junk)
    assert d.message == "core said something"
    broken = diagnose("m", None, status="COMPLETED", issued=junk)  # type: ignore[arg-type]
    assert broken == Diagnosis(message="m")


def test_deprecated_patch_marker_without_its_call_is_skipped() -> None:
    """Core lets a deprecated patch's call go; the alignment must look past the marker."""
    from replaycheck._divergence import align

    history = HistoryCommands(
        commands=(
            Command("patch", "p", 5, "MarkerRecorded", task=4, deprecated=True),
            Command("activity", "a", 6, "ActivityTaskScheduled", task=4),
            Command("activity", "b", 12, "ActivityTaskScheduled", task=10),
        ),
        tasks=(4, 10),
    )
    issued = [Command("activity", "a", task=3), Command("activity", "c", task=9)]
    found = align(history, issued, last_task=10)
    assert found is not None and found.recorded is not None and found.commanded is not None
    assert (found.recorded.name, found.commanded.name) == ("b", "c")


# --------------------------------------------------------------------------- serialization

frames = st.builds(SourceFrame, file=st.text(), line=st.integers(0, 10**6), function=st.text(),
                   code=st.text())  # fmt: skip
rows = st.builds(TimelineRow, event_id=st.integers(0, 10**6), recorded=st.text(),
                 commanded=st.text(), at=st.text(), diverged=st.booleans())  # fmt: skip
diagnoses = st.builds(
    Diagnosis,
    message=st.text(),
    change=st.sampled_from(["added", "removed", "unknown"]),
    event_id=st.integers(0, 10**6),
    recorded_kind=st.sampled_from(["", "activity", "timer"]),
    recorded_name=st.text(),
    location=st.lists(frames, max_size=3).map(tuple),
    previous=st.lists(frames, max_size=2).map(tuple),
    timeline=st.lists(rows, max_size=4).map(tuple),
    patch_id=st.text(),
    gate_frame=st.integers(0, 3),
    old_order=st.lists(st.text(), max_size=3).map(tuple),
    signals=st.lists(st.text(), max_size=2).map(tuple),
    ids=st.lists(st.text(), min_size=2, max_size=2).map(tuple),
    loop=st.text(),
    loop_runs=st.integers(0, 100),
    deprecated_early=st.text(),
)


@given(diagnoses)
def test_diagnosis_json_round_trip(diagnosis: Diagnosis) -> None:
    verdict = Verdict(path="h.json", verdict="nondeterministic", message="m", diagnosis=diagnosis)
    assert Verdict.from_json_dict(verdict.to_json_dict()) == verdict
    assert Diagnosis.from_json_dict(diagnosis.to_json_dict()) == diagnosis


def with_application_error(source: str) -> str:
    """``source`` (of ``changes_v2``), which imports ``ApplicationError`` (``FailSooner``
    raises it)."""
    assert "    ApplicationError,\n" in source
    return source


def replay_caught_again(tmp_path: Path, case: str, call: str, error: str) -> Verdict:
    """``case``'s history against ``changes_v2`` whose ``case`` catches ``error`` again around
    ``call`` as the fix says, and runs 'bill' in the except as the old code did."""
    source = with_application_error(V2_FILE.read_text())
    start = source.index(f"class {case}:")
    old = f"        {call}\n        return order\n"
    assert source.count(old, start) == 1
    fixed = (
        "        try:\n"
        f"            {call}\n"
        f"        except {error}:\n"
        '            if workflow.patched("propagate-decline-failure"):\n'
        "                raise\n"
        "            return await workflow.execute_activity(bill, order, "
        "start_to_close_timeout=TIMEOUT)\n"
        "        return order\n"
    )
    changed = source[:start] + source[start:].replace(old, fixed)
    return replay_variant(tmp_path, f"caught_again_{case.lower()}", changed, case)


LONG_CALL = (
    "        return await workflow.execute_activity(\n"
    "            bill,\n"
    "            order,\n"
    "{padding}"
    "            start_to_close_timeout=TIMEOUT,\n"
    "            schedule_to_close_timeout=TIMEOUT * 2,\n"
    "            heartbeat_timeout=None,\n"
    "            task_queue=None,\n"
    "        )\n"
)


def replay_with_long_call(tmp_path: Path, padding: int) -> Verdict:
    """RenameActivity's history against changes_v2 with the new call spread over 9 lines (and
    ``padding`` comment lines more)."""

    source = V2_FILE.read_text()
    call = "return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)"
    one_line = f"        {call}\n"
    at = source.index("# change: RenameActivity")
    assert source.index(one_line, at) == source.index("\n", at) + 1
    lines = "".join(f"            # comment {i}\n" for i in range(padding))
    changed = source[:at] + source[at:].replace(one_line, LONG_CALL.format(padding=lines), 1)
    return replay_variant(tmp_path, "long_call_v2", changed, "RenameActivity")


def test_a_fix_quotes_a_long_statement_whole_and_the_report_shortens_it(tmp_path: Path) -> None:
    from replaycheck.report import render_verdict

    verdict = replay_with_long_call(tmp_path, padding=0)
    d = verdict.diagnosis
    assert d is not None and d.change == "renamed", verdict.message
    statement = [line.removeprefix("    ") for line in LONG_CALL.format(padding="").splitlines()]
    gated = "\n".join(
        ['    if workflow.patched("bill-instead-of-charge"):', *(f"    {x}" for x in statement)]
    )
    assert gated + "\n    else:" in "\n".join(d.fix())
    shown = render_verdict(verdict)
    issued = shown[shown.index("issued at:") : shown.index("\n      change:")].splitlines()[1:]
    assert issued == [f"      {x}" for x in statement[:5]] + ["          ...  (3 more lines)"]


def test_a_statement_too_long_to_quote_is_not_quoted_cut_off(tmp_path: Path) -> None:
    verdict = replay_with_long_call(tmp_path, padding=40)
    d = verdict.diagnosis
    assert d is not None and d.change == "renamed", verdict.message
    assert d.location[0].code == "return await workflow.execute_activity(\n...  (48 lines in all)"
    fix = d.fix()
    assert '    if workflow.patched("bill-instead-of-charge"):' in fix
    assert "        ...  # the new code: activity 'bill'" in fix
    assert not any(line.rstrip().endswith("execute_activity(") for line in fix)


def test_a_flag_changed_at_the_caller_gates_the_argument_where_it_is_passed(
    tmp_path: Path,
) -> None:
    # FlagAtCaller: _settle(order, now) is as it was; run passes now=True where it passed
    # False. The if reads only the parameter, so the caller's argument is gated first.

    d = committed_verdicts()["FlagAtCaller"].diagnosis
    assert d is not None and d.change == "branch" and d.branch_parameters == ("now",), d
    caller = d.branch_caller
    assert caller is not None and caller.function == "run"
    assert (Path(caller.file).resolve(), caller.line) == (
        V2_FILE,
        marked_line("change: FlagAtCaller"),
    )
    assert "(the argument 'now' that run passes at changes_v2.py:" in d.explanation()
    fix = d.fix()
    assert fix[0].startswith("gate the argument 'now' where run passes it, at changes_v2.py:")
    gate = fix[1].strip()
    assert gate.startswith('now=True if workflow.patched("charge-or-bill") else <the value passed')
    assert any(
        line.startswith("  if instead its condition changed, gate the condition") for line in fix
    )
    # GitHub annotations and the summary's list of places point at the caller's line.
    from replaycheck._render_github import annotation_target
    from replaycheck._render_summary import gate_places

    verdict = committed_verdicts()["FlagAtCaller"]
    assert annotation_target(verdict) == (caller.file, caller.line)
    assert gate_places([verdict]) == [f"{caller.file}:{caller.line}"]
    # The fix, with the value passed before filled in, replays the history.
    argument = gate.split(",  #")[0].replace("<the value passed before>", "False")
    source = V2_FILE.read_text()
    call = "return await self._settle(order, now=True)"
    assert source.count(call) == 1
    verdict = replay_variant(
        tmp_path,
        "flag_fixed",
        source.replace(call, call.replace("now=True", argument)),
        "FlagAtCaller",
    )
    assert verdict.verdict == "ok", verdict.message


def test_a_condition_reading_more_than_parameters_is_gated_in_place_first(tmp_path: Path) -> None:
    from replaycheck._source_flow import parameters_read

    params = {"order", "now", "late"}
    assert parameters_read("now", params) == (("now",), False)
    assert parameters_read("now and not late or now", params) == (("now", "late"), False)
    assert parameters_read('order.startswith("vip-")', params) == (("order",), False)
    assert parameters_read("self.now", params) == ((), True)  # the instance's state decides
    assert parameters_read("is_vip(order)", params) == (("order",), True)  # a function too
    assert parameters_read("now and LIMIT", params) == (("now",), True)
    assert parameters_read("True", params) == ((), False)
    # InvertBranch's condition reads run's own input: no caller in the workflow code passes it.
    d = committed_verdicts()["InvertBranch"].diagnosis
    assert d is not None and d.branch_parameters == ("order",) and d.branch_caller is None
    assert d.fix()[0].startswith("gate the condition of the if at changes_v2.py:")
    # `if now and ENABLED:`: the condition first, then the argument the caller passes.
    source = V2_FILE.read_text()
    start = source.index("class FlagAtCaller:")
    assert source.count("        if now:\n", start) == 1
    changed = source[:start] + source[start:].replace(
        "        if now:\n", "        if now and ENABLED:\n"
    )
    verdict = replay_variant(tmp_path, "flag_mixed", changed + "\nENABLED = True\n", "FlagAtCaller")
    d = verdict.diagnosis
    assert d is not None and (d.branch_parameters, d.branch_reads_more) == (("now",), True)
    fix = d.fix()
    assert fix[0].startswith("gate the condition of the if at flag_mixed.py:")
    assert fix[1] == "    new_branch = now and ENABLED"
    second = next(i for i, line in enumerate(fix) if "that run passes changed" in line)
    assert fix[second].startswith("  if instead the argument 'now' that run passes changed, gate")
    assert fix[second + 1].startswith('    now=True if workflow.patched("charge-or-bill") else')
    assert d.fix_at is not None and d.fix_at.short() == d.branch_at  # the condition's if


def test_a_flag_passed_by_position_gates_the_whole_call(tmp_path: Path) -> None:

    call = "return await self._settle(order, now=True)"
    source = V2_FILE.read_text()
    assert source.count(call) == 1
    verdict = replay_variant(
        tmp_path,
        "flag_positional",
        source.replace(
            call, "return await self._settle(\n            order,\n            True,\n        )"
        ),
        "FlagAtCaller",
    )
    d = verdict.diagnosis
    assert d is not None and d.branch_parameters == ("now",)
    fix = "\n".join(d.fix())
    assert (
        '    if workflow.patched("charge-or-bill"):\n'
        "        return await self._settle(\n            order,\n            True,\n        )\n"
        "    else:\n"
        "        ...  # the call as it was, passing 'now' as before, for executions recorded before"
    ) in fix


RAISE = '            raise ApplicationError("rejected", non_retryable=True)\n'


def replay_with_raise(tmp_path: Path, name: str, gate: str = "") -> Verdict:
    """AddTimer's history (fetch, then charge) against changes_v2 whose AddTimer now rejects
    the order between the two, by raising (behind ``gate``, a patch call, if given)."""

    source = V2_FILE.read_text()
    start = source.index('@workflow.defn(name="AddTimer")')
    end = source.index("@workflow.defn", start + 1)
    body = (
        '@workflow.defn(name="AddTimer")\n'
        "class AddTimer:\n"
        "    @workflow.run\n"
        "    async def run(self, order: str) -> str:\n"
        "        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)\n"
        '        if order.startswith("change-"):\n'
        + (f"            {gate}\n    " + RAISE if gate else RAISE)
        + "        return await workflow.execute_activity(charge, order, "
        "start_to_close_timeout=TIMEOUT)\n\n\n"
    )
    module = with_application_error(source[:start])
    verdict = replay_variant(tmp_path, name, module + body + source[end:], "AddTimer")
    return verdict


def test_a_failure_raised_earlier_points_at_the_raise_and_gates_it(tmp_path: Path) -> None:
    verdict = replay_with_raise(tmp_path, "rejects")
    d = verdict.diagnosis
    assert d is not None and (d.commanded_kind, d.commanded_name) == ("fail", "rejected"), d
    raised = (tmp_path / "rejects.py").read_text().splitlines().index(RAISE.rstrip()) + 1
    assert (d.location[0].line, d.location[0].function) == (raised, "run")
    assert d.location[0].code == RAISE.strip()
    # 'charge' runs when the if around the raise is not taken: its condition may have changed
    # (FailSooner) or the if and its raise are new; gating the condition, False before, serves
    # both, so it comes first; the raise gated alone, without an else, second.
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at rejects.py:{raised - 1} in run")
    assert fix[3] == (
        "        new_branch = ...  # the old condition (False if the if is new), for executions "
        "recorded before"
    )
    second = fix.index("  if instead the raise is new (executions recorded before never failed "
                       "here), no else:")  # fmt: skip
    assert fix[second + 1 : second + 3] == [
        '    if workflow.patched("add-fail"):',
        "        " + RAISE.strip(),
    ]
    # Either fix applied: the history replays.
    fixed = replay_with_raise(tmp_path, "rejects_fixed", 'if workflow.patched("add-fail"):')
    assert fixed.verdict == "ok", fixed.message
    gated = replay_with_raise(tmp_path, "rejects_gated", 'if workflow.patched("fail-or-charge"):')
    assert gated.verdict == "ok", gated.message


def test_a_failure_no_longer_caught_is_gated_where_it_was_caught(tmp_path: Path) -> None:
    # StopCatching: 'decline' fails; the history caught it and ran 'bill', the code now lets
    # the ActivityError fail the workflow. No line raised it: the gate goes around the call.

    d = committed_verdicts()["StopCatching"].diagnosis
    assert d is not None and d.failure_uncaught == "activity 'decline'", d
    assert d.location == () and d.previous[0].line == marked_line("before: StopCatching")
    assert "the failure of activity 'decline' at changes_v2.py:" in d.explanation()
    call = "await workflow.execute_activity(decline, order, start_to_close_timeout=TIMEOUT)"
    assert d.fix()[1:6] == [
        "    try:",
        f"        {call}",
        "    except ActivityError:",
        '        if workflow.patched("propagate-decline-failure"):',
        "            raise",
    ]
    # The fix applied (the old handling in the except): the history replays.
    verdict = replay_caught_again(tmp_path, "StopCatching", call, "ActivityError")
    assert verdict.verdict == "ok", verdict.message


def test_a_local_activity_failure_no_longer_caught_is_not_placed_in_the_activity(
    tmp_path: Path,
) -> None:
    # StopCatchingLocal: a local activity's failure reaches the workflow as the activity raised
    # it, with the activity's own stack trace: that `raise` is no line of the workflow code.

    d = committed_verdicts()["StopCatchingLocal"].diagnosis
    assert d is not None and d.failure_uncaught == "local activity 'decline'", d
    assert d.location == () and d.previous[0].line == marked_line("before: StopCatchingLocal")
    call = "await workflow.execute_local_activity(decline, order, start_to_close_timeout=TIMEOUT)"
    assert d.fix()[1:4] == ["    try:", f"        {call}", "    except ApplicationError:"]
    verdict = replay_caught_again(tmp_path, "StopCatchingLocal", call, "ApplicationError")
    assert verdict.verdict == "ok", verdict.message


def test_the_one_line_form_says_what_the_change_is_when_the_pair_would_mislead() -> None:
    # JUnit messages, GitHub annotation titles and pytest's short summary use the headline: a
    # deprecate_patch() too early or a handler gone is not "history recorded X, code commanded Y".
    from replaycheck._render_ci import one_line

    verdicts = committed_verdicts()
    early = one_line(verdicts["DeprecateEarly"])
    assert early.startswith(
        "event 11 (ActivityTaskScheduled): deprecate_patch('charge-second') came too early"
    )
    update = verdicts["RenameUpdateHandler"].diagnosis
    assert update is not None and "no handler for update 'set_note'" in update.headline()
    plain = verdicts["Reorder"].diagnosis
    assert plain is not None and plain.headline().startswith(
        "event 5 (ActivityTaskScheduled): history recorded activity 'fetch', code commanded "
        "activity 'charge' at "
    )


def test_a_sleep_between_is_new_when_as_many_timers_follow_as_the_history_recorded(
    tmp_path: Path,
) -> None:
    # A timer has no name: a sleep between the two is new when the code still starts as many
    # timers after it as the history recorded from there on, a wait with a timeout counting
    # as one (the walkthrough app's `wait_condition(..., timeout=...)`).
    from collections import Counter

    from replaycheck._readings import starting_pattern
    from replaycheck._task_readings import _new_command

    timer = Command(kind="timer", name="", event_id=9, task=2)
    recorded = Counter({starting_pattern(timer): 1})
    sleep = "    await workflow.sleep(PAUSE)"
    for name, wait, new in [
        ("timeout", "workflow.wait_condition(lambda: self.ready(), timeout=PAUSE)", True),
        ("no_timeout", "workflow.wait_condition(lambda: True)", False),
    ]:
        path = tmp_path / f"wf_{name}.py"
        path.write_text(f"async def run(self):\n{sleep}\n    await {wait}\n")
        assert _new_command(str(path), 2, f"{sleep}\n", recorded) is new, name


def test_a_deprecation_too_early_of_an_addition_offers_the_gate_with_no_else(
    tmp_path: Path,
) -> None:
    # A step added to the reference app's prepare_v2, deprecated before the executions that
    # started without it were gone. What the history ran next (the settle timer) runs in
    # approve_and_notify, called after prepare_v2 returns: as many sleeps follow in the source
    # as the history recorded timers from there on, so the step was added before the timer.
    # The gate goes back with no else (an else running the timer would run it twice), where
    # the source read stopped at run's call of the helper and offered an else first.
    old = "        await self._step(run_migrations, request)\n        return schema\n"
    new = (
        "        await self._step(run_migrations, request)\n"
        '        workflow.deprecate_patch("seed-again")\n'
        "        await self._step(seed_data, request)\n"
        "        return schema\n"
    )
    d = provisioning_variant(tmp_path, old, new, "prov-v2-cyberdyne-completed.json").diagnosis
    assert d is not None and d.deprecated_early == "seed-again", d
    assert d.still_runs_later
    assert d.fix()[:3] == [
        "deprecate_patch('seed-again') at shared.py:82 in prepare_v2 came too early: executions "
        "that started before the patch still run or replay; go back to the gate until none is "
        "left (`replaycheck patches` says when), no else: timer (1s) still runs after it:",
        '    if workflow.patched("seed-again"):',
        "        await self._step(seed_data, request)",
    ]


def test_a_step_added_before_a_timer_a_later_helper_starts_reads_as_an_addition(
    tmp_path: Path,
) -> None:
    # The versioning guide's next change: configure_backups after run_migrations in
    # prepare_v2, no gate. The history ran the settle timer next, which approve_and_notify
    # (called by run after prepare_v2) still starts: the addition, its gate with no else, is
    # the first reading, and the change says the code still runs the timer.
    old = "        await self._step(run_migrations, request)\n        return schema\n"
    new = (
        "        await self._step(run_migrations, request)\n"
        "        await self._step(seed_data, request)\n"
        "        return schema\n"
    )
    d = provisioning_variant(tmp_path, old, new, "prov-v2-cyberdyne-completed.json").diagnosis
    assert d is not None and d.still_runs_later, d
    assert d.patch_id == "seed-data-before-timer"
    assert "which the code still runs after it" in d.explanation()
    assert d.fix()[:3] == [
        "gate the change at shared.py:82 in prepare_v2; if timer (1s) still runs after it (an "
        "addition), no else:",
        '    if workflow.patched("seed-data-before-timer"):',
        "        await self._step(seed_data, request)",
    ]


def test_a_renamed_patch_id_is_fixed_by_keeping_the_recorded_id(tmp_path: Path) -> None:
    # RenamePatchId: patched("charge-first") became patched("charge-first-v2"). Replaying, the
    # new id finds no marker, so the execution takes the gate's old branch ('fetch') where it
    # charged. deprecate_patch("charge-first") put back does not help (the gate still skips
    # 'charge'): the fix keeps the recorded id in the call the code makes there.
    from replaycheck._fix_patches import removed_patch_lines

    verdict = committed_verdicts()["RenamePatchId"]
    d = verdict.diagnosis
    assert d is not None
    call = 'if workflow.patched("charge-first-v2"):'
    at = f"changes_v2.py:{line_of(call, V2_FILE)} in run"
    kept = 'if workflow.patched("charge-first"):'
    assert d.renamed_patch == ("charge-first-v2", at, kept)
    assert d.explanation().endswith("; it asks for 'charge-first-v2' there instead, an id renamed?")
    fix = d.fix()
    assert fix[0].startswith(f"the code asks for patch 'charge-first-v2' at {at}, right where")
    assert fix[1] == f"    {kept}"
    assert fix[2].startswith("  if 'charge-first-v2' gates another change, executions recorded")
    assert removed_patch_lines([verdict]) == [
        'Patch "charge-first": 1 history recorded its marker with patched(), and the code no '
        f"longer calls it: it asks for 'charge-first-v2' there instead ({at}), which no history "
        'here recorded. If the id was renamed, keep workflow.patched("charge-first").'
    ]
    # applied as it reads, the history replays; the deprecate_patch() the fix gave before
    # (where the gate was, before 'fetch') did not
    source = V2_FILE.read_text()
    assert replay_variant(tmp_path, "patch_id_kept", source.replace(call, kept), "RenamePatchId").ok
    fetch = "        # change: RenamePatchId (the next line)\n"
    deprecated = source.replace(fetch, f'{fetch}        workflow.deprecate_patch("charge-first")\n')
    assert not replay_variant(tmp_path, "patch_deprecated", deprecated, "RenamePatchId").ok


UPSERT = 'workflow.upsert_search_attributes([STAGE.value_set("fetched")])'
"""``RemoveUpsert``'s statement, as ``changes_v1`` has it."""


def pasted(fix: list[str], line: int, count: int, indent: str, old: str = "") -> str:
    """``changes_v2`` with its ``count`` lines from ``line`` replaced by the code lines of
    ``fix`` (those indented four spaces, up to the next reading), indented by ``indent``,
    ``old`` in place of the else's ``...``."""
    code = itertools.takewhile(lambda text: text.startswith("    "), fix[1:])
    body = [old if old and text.lstrip().startswith("...") else text[4:] for text in code]
    lines = V2_FILE.read_text().splitlines(keepends=True)
    gated = "".join(f"{indent}{text}\n" for text in body)
    return "".join(lines[: line - 1]) + gated + "".join(lines[line - 1 + count :])


@pytest.mark.parametrize(
    ("case", "count", "indent", "old"),
    [
        ("GateAfterChange", 3, " " * 8, ""),  # patched() asked only after the new command
        ("RemoveUpsert", 0, " " * 8, f"    {UPSERT}"),  # the else: the upsert as recorded
    ],
)
def test_the_first_reading_of_a_new_kind_of_change_replays_as_printed(
    case: str, count: int, indent: str, old: str, tmp_path: Path
) -> None:
    d = committed_verdicts()[case].diagnosis
    assert d is not None
    fixed = pasted(d.fix(), marked_line(f"change: {case}"), count, indent, old)
    assert replay_variant(tmp_path, f"{case.lower()}_fixed", fixed, case).ok, d.fix()


def test_a_gate_asked_after_the_new_command_is_named_with_its_id(tmp_path: Path) -> None:
    # GateAfterChange: 'audit' added before 'charge', then `if workflow.patched("audited-order"):`
    # around what uses its result: replay stops at 'audit' before the gate is asked. The note
    # says so, and the gate the fix prints may take that id.
    d = committed_verdicts()["GateAfterChange"].diagnosis
    assert d is not None
    fix = d.fix()
    assert fix[-1] == (
        "  note: the new code asks workflow.patched(\"audited-order\") only after activity 'audit' "
        "ran: a gate asked after a new command does not guard it (replay stops at the command "
        'first); the gate above guards it, and may take the id "audited-order" instead'
    )
    renamed = [text.replace(f'"{d.patch_id}"', '"audited-order"') for text in fix]
    fixed = pasted(renamed, marked_line("change: GateAfterChange"), 3, " " * 8)
    assert 'if workflow.patched("audited-order"):\n            note = await' in fixed
    assert replay_variant(tmp_path, "gate_after_change_id", fixed, "GateAfterChange").ok
    # a gate the history recorded is no late one: no note
    assert "asks workflow.patched" not in "\n".join(replace(d, markers=("audited-order",)).fix())
