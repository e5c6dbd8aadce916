"""Locating a divergence: core's message read, and the two command sequences compared.

Split from ``replaycheck.diagnose``, which turns what is found here into a ``Diagnosis``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from replaycheck._commands import Command, HistoryCommands, durations_differ
from replaycheck._places import place_file

TIMELINE_BEFORE = 3
"""Matching commands shown before the divergence."""
TIMELINE_AFTER = 2
"""Commands of either side shown after it."""


@dataclass(frozen=True)
class CoreHint:
    """What core's message says, where it says anything."""

    event_id: int = 0
    event_type: str = ""
    recorded: tuple[str, str] | None = None
    """``(kind, name)`` the history recorded."""
    commanded: tuple[str, str] | None = None
    """``(kind, name)`` the code commanded; ``("", "")``: nothing."""
    ids: tuple[str, str, str] | None = None
    """``(kind, recorded id, commanded id)`` when core says an activity's or a child workflow's
    id changed (the type did not)."""


_MACHINES = {
    "Activity": "activity",
    "Local activity": "local-activity",
    "Timer": "timer",
    "Child workflow": "child",
    "Signal external WF": "signal-external",
    "Cancel external WF": "cancel-external",
    "Complete workflow": "complete",
    "Fail workflow": "fail",
    "Cancel workflow": "cancel",
    "Continue as new workflow": "continue-as-new",
    "Patch": "patch",
    "Upsert search attributes": "search-attributes",
    "Modify workflow properties": "properties",
    "Update": "update",
    "Nexus operation": "nexus",
}
_EVENT_KINDS = {
    "ActivityTaskScheduled": "activity",
    "TimerStarted": "timer",
    "StartChildWorkflowExecutionInitiated": "child",
    "SignalExternalWorkflowExecutionInitiated": "signal-external",
    "RequestCancelExternalWorkflowExecutionInitiated": "cancel-external",
    "WorkflowExecutionCompleted": "complete",
    "WorkflowExecutionFailed": "fail",
    "WorkflowExecutionCanceled": "cancel",
    "WorkflowExecutionContinuedAsNew": "continue-as-new",
    "UpsertWorkflowSearchAttributes": "search-attributes",
}
_NAMED_MISMATCH = [
    (re.compile(r"Activity type of scheduled event '(.*)' does not match activity type of "
                r"activity command '(.*)'"), "activity"),
    (re.compile(r"Activity type of recorded marker '(.*)' does not match activity type of "
                r"local activity command '(.*)'"), "local-activity"),
    (re.compile(r"Child workflow type of scheduled event '(.*)' does not match child workflow "
                r"type of command '(.*)'"), "child"),
]  # fmt: skip
_ID_MISMATCH = re.compile(
    r"(Activity|Child workflow) id of scheduled event '(.*)' does not match (?:activity|child "
    r"workflow) id of (?:activity )?command '(.*)'"
)
_EVENT = re.compile(
    r"HistoryEvent\(id: (\d+), (\w+)|EventInfo \{ event_id: (\d+), event_type: (\w+)"
)  # the second: an invalid transition (replaycheck._worker_verdict.INVALID_TRANSITION)
_MACHINE = re.compile(r"(\w[\w ]*?) machine does not handle this event")
_PATCH = re.compile(r"patch marker encountered for change (.+?), but there is no corresponding")
_LOCAL = re.compile(r"Missing associated machine for LocalActivity")
_NO_COMMAND = re.compile(r"No command scheduled for event")


def parse_core_message(message: str) -> CoreHint:
    """Read event id, recorded and commanded kinds out of core's wording (what it gives)."""
    if match := _ID_MISMATCH.search(message):
        kind = "activity" if match.group(1) == "Activity" else "child"
        return CoreHint(ids=(kind, match.group(2), match.group(3)))
    for pattern, kind in _NAMED_MISMATCH:
        match = pattern.search(message)
        if match:
            return CoreHint(recorded=(kind, match.group(1)), commanded=(kind, match.group(2)))
    if match := _PATCH.search(message):
        return CoreHint(recorded=("patch", match.group(1)))
    if _LOCAL.search(message):
        return CoreHint(recorded=("local-activity", ""))
    event = _EVENT.search(message)
    if event is None:
        return CoreHint()
    event_id, event_type = (event.group(1), event.group(2)) if event.group(1) else event.group(3, 4)
    event_kind = _EVENT_KINDS.get(event_type)
    recorded = (event_kind, "") if event_kind else None
    commanded: tuple[str, str] | None = None
    if machine := _MACHINE.search(message):
        found = _MACHINES.get(machine.group(1).strip())
        commanded = (found, "") if found else None
    elif _NO_COMMAND.search(message):
        commanded = ("", "")
    return CoreHint(int(event_id), event_type, recorded, commanded)


# --------------------------------------------------------------------------- alignment


@dataclass(frozen=True)
class Divergence:
    """Where the two command sequences part, and what matched before."""

    recorded: Command | None
    commanded: Command | None
    matched: tuple[tuple[Command | None, Command | None], ...]
    recorded_rest: tuple[Command, ...]
    """History commands after ``recorded`` (for the timeline)."""
    commanded_rest: tuple[Command, ...]


def _checked(
    history: HistoryCommands, issued: Sequence[Command], last_task: int
) -> tuple[list[Command], list[tuple[Command, int]]]:
    """History commands up to ``last_task``, and code commands with the task each answers."""
    recorded = [h for h in history.commands if h.task <= last_task]
    commanded = [(c, history.task_for(c.task)) for c in issued]
    return recorded, [(c, task) for c, task in commanded if task]


def align(
    history: HistoryCommands,
    issued: Sequence[Command],
    last_task: int,
    loose: frozenset[str] = frozenset(),
) -> Divergence | None:
    """The first command where the code departs from the history, as core matches them.

    Core matches the code's commands to the history's command events in order. A command the
    code issued early waits for the next command event (even of a later workflow task); a
    command event cannot wait for a command of a later task: the code commanded nothing in
    time. Only workflow tasks up to ``last_task`` (the last the code was activated for) count:
    replay stops at the failure, so the code has no commands for later tasks. The names of the
    kinds in ``loose`` are not compared (core before its flag 1, ``replaycheck._unchecked``).
    """
    recorded, commanded = _checked(history, issued, last_task)
    matched, parted = _walk(recorded, commanded, loose)
    if parted is None:
        return None
    return _divergence(history, issued, *parted, matched)


def matched_pairs(
    history: HistoryCommands, issued: Sequence[Command], last_task: int, loose: frozenset[str]
) -> tuple[list[tuple[Command, Command]], Command | None]:
    """The history's commands and the code's that core matched, as :func:`align` pairs them
    up to where the two part, and the history's command there (``None``: every one of them up
    to ``last_task`` matched)."""
    matched, parted = _walk(*_checked(history, issued, last_task), loose)
    pairs = [(h, c) for h, c in matched if h is not None and c is not None]
    return pairs, parted[0] if parted is not None else None


_Pairs = list[tuple[Command | None, Command | None]]


def _walk(
    recorded: Sequence[Command], commanded: Sequence[tuple[Command, int]], loose: frozenset[str]
) -> tuple[_Pairs, tuple[Command | None, Command | None] | None]:
    """The pairs matched in order, and the pair where the two sequences part (``None``: they
    do not)."""
    matched: _Pairs = []
    i = j = 0
    while i < len(recorded) or j < len(commanded):
        h = recorded[i] if i < len(recorded) else None
        c, task = commanded[j] if j < len(commanded) else (None, 0)
        if h is not None and c is not None and task <= h.task and h.matches(c, loose):
            matched.append((h, c))
            i, j = i + 1, j + 1
        elif h is not None and h.kind == "patch" and h.deprecated:
            matched.append((h, None))  # core lets a deprecated patch's call go
            i += 1
        elif h is not None and c is not None and task > h.task:
            return matched, (h, None)
        else:
            return matched, (h, c)
    return matched, None


def _divergence(
    history: HistoryCommands,
    issued: Sequence[Command],
    h: Command | None,
    c: Command | None,
    matched: _Pairs,
) -> Divergence:
    after_h = [x for x in history.commands if h is not None and x.event_id > h.event_id]
    if h is None:
        last = max((p[0].event_id for p in matched if p[0] is not None), default=0)
        after_h = [x for x in history.commands if x.event_id > last]
    if c is not None:
        index = next(i for i, x in enumerate(issued) if x is c) + 1
    else:
        index = len([p for p in matched if p[1] is not None])
    return Divergence(h, c, tuple(matched), tuple(after_h), tuple(issued[index:]))


def timer_changed(
    history: HistoryCommands, issued: Sequence[Command], found: Divergence | None
) -> Divergence | None:
    """A timer the code started for another duration than the history's, as the code's last
    matching command, where the history then cancelled it and the code made no command: core
    does not compare durations, so the code's timer took the history's place and the code
    still waited on it. That timer is the likelier change (added before, or its duration)."""
    if found is None:
        return None
    h = found.recorded
    if found.commanded is not None or h is None or h.kind != "cancel-timer":
        return None  # only where the history cancelled the timer the code still waits on
    pairs = [(i, a, b) for i, (a, b) in enumerate(found.matched) if a is not None and b]
    if not pairs:
        return None
    i, a, b = pairs[-1]  # the code's last matching command: the one it was still waiting on
    if durations_differ(a, b):
        return _divergence(history, issued, a, b, list(found.matched[:i]))
    return None


def at_event(
    history: HistoryCommands, issued: Sequence[Command], event_id: int
) -> Divergence | None:
    """The divergence core names by event id: that event against the code's command there."""
    recorded, commanded = _checked(history, issued, max(history.tasks, default=0))
    position = next((i for i, x in enumerate(recorded) if x.event_id == event_id), None)
    if position is None:
        return None
    target = recorded[position]
    code = [c for c, task in commanded if task <= target.task]
    c = code[position] if position < len(code) else None
    pairs: list[tuple[Command | None, Command | None]] = [
        (h, code[i] if i < len(code) else None) for i, h in enumerate(recorded[:position])
    ]
    return _divergence(history, issued, target, c, pairs)


@dataclass(frozen=True)
class TimelineRow:
    """One position of the history's and the code's command sequences, side by side."""

    event_id: int = 0
    """The history event (0: the history has no command here)."""
    recorded: str = ""
    commanded: str = ""
    at: str = ""
    """``file:line`` of the code that issued ``commanded``."""
    diverged: bool = False


def timeline(found: Divergence, depth: int = 0) -> tuple[TimelineRow, ...]:
    """The commands just before the divergence, the divergence, and a few after it.

    Each code command shows its frame at ``depth`` (the caller of a helper that issues every
    command), or its innermost frame when it has fewer.
    """
    rows = [_row(h, c, depth) for h, c in found.matched[-TIMELINE_BEFORE:]]
    rows.append(_row(found.recorded, found.commanded, depth, diverged=True))
    after = max(len(found.recorded_rest), len(found.commanded_rest))
    for i in range(min(after, TIMELINE_AFTER)):
        h = found.recorded_rest[i] if i < len(found.recorded_rest) else None
        c = found.commanded_rest[i] if i < len(found.commanded_rest) else None
        rows.append(_row(h, c, depth))
    return tuple(rows)


def _row(
    h: Command | None, c: Command | None, depth: int, *, diverged: bool = False
) -> TimelineRow:
    at = ""
    if c is not None and c.frames:
        file, line, _ = c.frames[depth] if depth < len(c.frames) else c.frames[0]
        at = f"{place_file(file)}:{line}"
    return TimelineRow(
        event_id=h.event_id if h is not None else 0,
        recorded=h.describe() if h is not None else "",
        commanded=c.describe() if c is not None else "",
        at=at,
        diverged=diverged,
    )


def gate_frame(command: Command | None, previous: Command | None) -> int:
    """The innermost frame of ``command`` not shared with ``previous`` (0 when none is)."""
    if command is None or previous is None:
        return 0
    for index, frame in enumerate(command.frames):
        other = previous.frames[index] if index < len(previous.frames) else None
        if other is None or frame[:2] != other[:2]:
            return index
    return 0


def divergence_of(
    hint: CoreHint, history: HistoryCommands, issued: Sequence[Command] | None, last_task: int
) -> Divergence | None:
    """Where the code's commands part from the history's (core's event id wins)."""
    if issued is None:
        return None
    found = align(history, issued, history.task_for(last_task) or max(history.tasks, default=0))
    if hint.event_id and (found is None or event_of(found) != hint.event_id):
        found = at_event(history, issued, hint.event_id) or found
    return timer_changed(history, issued, found) or found


def event_of(found: Divergence) -> int:
    """The event id of the history's command where ``found`` diverged (0: none)."""
    return found.recorded.event_id if found.recorded is not None else 0
