"""What a failed history's events say beyond its commands: the ids it gave and the signals it
received. ``replaycheck._building`` adds these to a diagnosis."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._divergence import Divergence, TimelineRow
from replaycheck._source import SourceFrame, in_handler
from replaycheck.histories import event_type_name

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

    from replaycheck.diagnose import Diagnosis

ID_EVENTS = {  # kind: (event type, its attributes, the id field)
    "activity": ("ActivityTaskScheduled", "activity_task_scheduled_event_attributes",
                 "activity_id"),
    "child": ("StartChildWorkflowExecutionInitiated",
              "start_child_workflow_execution_initiated_event_attributes", "workflow_id"),
}  # fmt: skip


def ids_swapped(ids: tuple[str, str, str], history: History) -> int:
    """The event that gave the old id, when the id the code gives now is one the history gave
    a later command of that kind: two calls of one type swapped (a reorder), not an id
    changed (0: not so)."""
    kind, old, new = ids
    at = 0
    for event_id, given in given_ids(kind, history):
        if given == old and not at:
            at = event_id
        elif at and given == new:
            return at
    return 0


def given_ids(kind: str, history: History) -> list[tuple[int, str]]:
    """``(event id, id)`` of each activity or child workflow the history started, in order."""
    event_type, attributes, field = ID_EVENTS[kind]
    return [
        (int(e.event_id), str(getattr(getattr(e, attributes), field)))
        for e in history.events
        if event_type_name(e.event_type) == event_type
    ]


def types_differ(found: Divergence | None) -> bool:
    """Core names ids (it compares them first), but the types differ too: two children
    reordered (their ids swapped with them), not one child's id changed."""
    if found is None or found.recorded is None or found.commanded is None:
        return False
    h, c = found.recorded, found.commanded
    return h.kind == c.kind and bool(h.name and c.name) and h.name != c.name


def with_signals(diagnosis: Diagnosis, history: History) -> Diagnosis:
    """The signals delivered since the code's last matching command, or before its first when
    none matched (their handling may have changed), in the timeline too."""
    if not diagnosis.event_id or not diagnosis.timeline:
        return diagnosis
    rows = list(diagnosis.timeline)
    at = next(i for i, row in enumerate(rows) if row.diverged)
    after = max((row.event_id for row in rows[:at]), default=0)
    found = [
        (event.event_id, event.workflow_execution_signaled_event_attributes.signal_name)
        for event in history.events
        if after < event.event_id < diagnosis.event_id
        and event_type_name(event.event_type) == "WorkflowExecutionSignaled"
    ]
    if not found:
        return diagnosis
    received = [TimelineRow(event_id=e, recorded=f"signal {n!r} received") for e, n in found]
    gate = diagnosis.gate_at  # already in a handler: no need to point at one
    named = not (gate is not None and in_handler(gate.file, gate.line))
    return replace(
        diagnosis,
        signals=tuple(f"signal {n!r} (event {e})" for e, n in found) if named else (),
        timeline=(*rows[:at], *received, *rows[at:]),
    )


def with_unhandled(
    diagnosis: Diagnosis, history: History, handlers: Mapping[str | None, SourceFrame] | None
) -> Diagnosis:
    """A signal received no handler of the code takes (renamed or removed): it waits in the
    buffer, and the code waits for what it should have done. One of the timeline's signals
    first; else any the execution received before (with signal-with-start, the signal came
    with the start, before the code's first command: the timeline shows no signal since the
    code's last matching command), added to the timeline; but where the code waits at a
    statement (``waits_at``, that reading), only one a handler's method is named after
    (``handlers``: name to method), whose ``name=`` changed: a stray signal no version
    handled explains nothing."""
    if handlers is None or None in handlers or diagnosis.commanded_kind:
        return diagnosis  # the code went on (and commanded something else): not blocked
    received = [
        (int(event.event_id), event.workflow_execution_signaled_event_attributes.signal_name)
        for event in history.events
        if event_type_name(event.event_type) == "WorkflowExecutionSignaled"
        and event.event_id < (diagnosis.event_id or 1 << 62)
    ]
    missing = [(e, name) for e, name in received if name not in handlers]
    if not diagnosis.signals and diagnosis.waits_at:
        methods = {method.function for method in handlers.values()}
        missing = [(e, name) for e, name in missing if name in methods]
    if not missing:
        return diagnosis
    # in the order first received: the last one is blamed
    name = list(dict.fromkeys(n for _, n in missing))[-1]
    if diagnosis.signals:
        return replace(diagnosis, unhandled_signal=name)
    if not diagnosis.event_id:
        return diagnosis
    event_id = next(e for e, n in reversed(missing) if n == name)  # its latest arrival
    rows = list(diagnosis.timeline)
    at = next((i for i, row in enumerate(rows) if row.event_id > event_id), len(rows))
    rows.insert(at, TimelineRow(event_id=event_id, recorded=f"signal {name!r} received"))
    return replace(diagnosis, unhandled_signal=name, timeline=tuple(rows))


def with_unhandled_update(
    diagnosis: Diagnosis, handlers: Collection[str | None] | None
) -> Diagnosis:
    """The update the history accepted where replay diverged, when the code has no handler
    for it (renamed or removed): an update is no command the code makes, so the fix is a
    handler under the old name, not a gate."""
    name = diagnosis.recorded_name
    if handlers is None or None in handlers or diagnosis.recorded_kind != "update" or not name:
        return diagnosis
    return diagnosis if name in handlers else replace(diagnosis, unhandled_update=name)
