"""The fix of the two commands themselves, for :mod:`replaycheck._fix_text`: a removal (or the
handling of a signal on the way), an addition, a move, a replacement; where one history cannot
tell which, both readings, the one the source suggests first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._commands import TASK_END_CANCELS, TERMINAL_KINDS, Command, kind_switch
from replaycheck._fix_cases import (
    addition_fix,
    gate,
    handler_addition_fix,
    old_code,
    replaced_code,
    statement_at,
    swap_fix,
)
from replaycheck._fix_tasks import same_task_note
from replaycheck._readings import slug
from replaycheck._renamed_readings import registered_anew
from replaycheck._source import SourceFrame, in_handler, statement_span

if TYPE_CHECKING:
    from replaycheck.diagnose import Diagnosis


def pair_fix(d: Diagnosis) -> list[str]:
    """How to make a change of the commands themselves safe (see :func:`_fix_text._fix`): a
    removal keeps the old code in the ``else``, an addition needs none, a move keeps the old
    order; a replacement that may be an addition gives both readings."""
    rec = d.recorded
    if d.change == "removed":
        where = f"where {rec} was"
        if d.previous:
            where += f", after {d.previous[0].short()}"
            if d.recorded_kind in TASK_END_CANCELS:
                where += (
                    " (a cancel is recorded at the end of its workflow task: in the code it may"
                    " come before later commands of that task)"
                )
        elif d.run_starts_at is not None:  # nothing ran before it: the run method's start
            where += f", at the start of the run method (before {d.run_starts_at.short()})"
        removal = [*gate(d, f"...  # the new code, without {rec}"), "    else:",
                   *old_code(d)]  # fmt: skip
        if not d.signals or d.commanded_kind:
            return [f"gate the change {where}:", *removal]
        signal = d.signals[-1].split(" (event")[0]
        handling = slug(signal.removeprefix("signal ").strip("'")) + "-handling"
        return [
            f"if the handling of {signal} changed, gate it in the handler (or where the code "
            "waits for it):",
            f'    if workflow.patched("{handling}"):',
            "        ...  # the new handling",
            "    else:",
            "        ...  # the old handling, for executions recorded before",
            f"  if {rec} was removed, gate it {where}:",
            *removal,
        ]
    frame = d.gate_at
    quoted = statement_at(frame)
    new_code = quoted or f"...  # the new code: {d.commanded}"
    where = f"at {statement_start(frame).short()}" if frame else "at the changed code"
    if d.change == "added":
        if in_update := handler_addition_fix(d, new_code):
            return in_update
        if d.same_task:  # added to a statement of an earlier task: it replaced nothing
            return [f"gate the change {where} (an addition to the statement: {rec} still runs "
                    "after it):", *addition_fix(d, new_code), same_task_note(d)]  # fmt: skip
        if d.shares_statement:
            return [f"gate the change {where}:", *addition_fix(d, new_code)]
        return [f"gate the change {where} (no else: executions recorded before never ran it):",
                *gate(d, new_code)]  # fmt: skip
    other = d.other_patch_id or "<change-id>"
    if d.change == "reordered" and (d.swapped or d.swapped_within) and quoted:
        return swap_fix(d, where, new_code)
    if d.change == "reordered":
        old = ", then ".join(d.old_order) or rec
        readings = [
            (f"if {rec} still runs later (moved after it):",
             [*gate(d, new_code, "...  # and the rest in the new order"), "    else:",
              f"        ...  # the old code from here on, in its order: {old}"]),
            (f"if {rec} is gone (removed):",
             [*gate(d, f"pass  # the new code no longer runs {rec}"), "    else:",
              *old_code(d)]),
        ]  # fmt: skip
    elif d.change in ("renamed", "replaced"):
        addition = f"if {rec} still runs after it (an addition)" + (
            ":" if d.shares_statement else ", no else:"
        )
        readings = [
            (addition, addition_fix(d, new_code)),
            (f"if it replaced {rec}:", [*gate(d, new_code), *replaced_code(d)]),
        ]
        if not replaced_or_added(d) and not d.still_runs_later:
            # the same activity run the other way, or nothing after it: no addition
            return [f"gate the change {where}:", *readings[1][1]]
    else:
        return [f"gate the change {where}:", *gate(d, new_code), "    else:",
                *old_code(d)]  # fmt: skip
    if not d.still_runs_later:
        readings.reverse()
    elif d.seen_later:
        return [f"gate the change {where}; {readings[0][0]}", *readings[0][1], *_moved(d)]
    (first, first_code), (second, second_code) = readings
    return [
        f"gate the change {where}; {first}",
        *first_code,
        f"  {second}",
        *(line.replace(f'"{d.patch_id}"', f'"{other}"') for line in second_code),
        *_moved(d),
    ]


def replaced_or_added(d: Diagnosis) -> bool:
    """Whether the code's command, where the history recorded another, may be an addition
    before it as well as a replacement: not the same command run another way (an activity
    made local), and something of the workflow's runs after it."""
    if d.change not in ("renamed", "replaced") or registered_anew(d):
        return False
    recorded = Command(d.recorded_kind, d.recorded_name)
    return not kind_switch(recorded, Command(d.commanded_kind, d.commanded_name)) and not (
        ends_there(d)
    )


def ends_there(d: Diagnosis) -> bool:
    """Whether nothing of the workflow's runs after the code's command: it ends the run (a
    completion, a failure), or the run method returns with it (``return await ...``), so the
    recorded command cannot have moved after it."""
    if d.commanded_kind in TERMINAL_KINDS:
        return True
    frame = d.gate_at
    if frame is None or frame is not d.location[-1] or in_handler(frame.file, frame.line):
        return False
    return statement_at(frame).startswith("return ")


def _moved(d: Diagnosis) -> list[str]:
    if not d.moved_too:
        return []
    return [
        f"  note: the next statement runs {d.moved_too}, which this history ran later: "
        "it moved too, and replay will stop there next; gate the whole new sequence, with "
        "the old one in the else"
    ]


def statement_start(frame: SourceFrame) -> SourceFrame:
    """``frame`` at the first line of its statement, above which a fix quoting the statement
    whole puts its gate (not the line of a call inside an ``asyncio.gather(...)`` spanning
    several lines)."""
    return replace(frame, line=statement_span(frame.file, frame.line)[0])
