"""The links between a workflow task's events: each WorkflowTaskStarted, Completed, Failed and
TimedOut names the WorkflowTaskScheduled (and the Started) it belongs to.

temporalio's ``Replayer`` waits forever on (or passes) a history whose links are broken (a
WorkflowTaskStarted lost from the file, the ids after it renumbered), or whose
WorkflowTaskStarted is followed by anything but the end of its task (core panics), so such a
history is refused before it reaches the replay.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History, HistoryEvent

_LINKED = {
    "WORKFLOW_TASK_STARTED": "workflow_task_started_event_attributes",
    "WORKFLOW_TASK_COMPLETED": "workflow_task_completed_event_attributes",
    "WORKFLOW_TASK_FAILED": "workflow_task_failed_event_attributes",
    "WORKFLOW_TASK_TIMED_OUT": "workflow_task_timed_out_event_attributes",
}
"""Event type name -> the field of its attributes, which name the task's scheduled event (and,
but for WorkflowTaskStarted itself, its started event)."""


def broken_task_link(history: History) -> str | None:
    """Why an event of a workflow task names another event that is not the one it must be
    (an earlier WorkflowTaskScheduled, or WorkflowTaskStarted), else ``None``."""
    from temporalio.api.enums.v1 import EventType

    linked = {EventType.Value(f"EVENT_TYPE_{kind}"): field for kind, field in _LINKED.items()}
    events = history.events
    for event in events:
        field = linked.get(event.event_type)
        if field is None:
            continue
        attrs = getattr(event, field)
        wanted = [(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, attrs.scheduled_event_id)]
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            wanted.append((EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, attrs.started_event_id))
        for expected, ref in wanted:
            if ref == 0:  # not recorded (a task that timed out before it started)
                continue
            found = events[ref - 1].event_type if 0 < ref < event.event_id else None
            if found != expected:
                return _broken(event, expected, ref, found)
    return _unfinished_task(history)


_AFTER_STARTED = {"WORKFLOW_TASK_COMPLETED", "WORKFLOW_TASK_FAILED", "WORKFLOW_TASK_TIMED_OUT",
                  "WORKFLOW_EXECUTION_TERMINATED"}  # fmt: skip
"""What may follow a WorkflowTaskStarted (core's rule: its replay panics on anything else)."""


def _unfinished_task(history: History) -> str | None:
    """Why a WorkflowTaskStarted that is not the last event is followed by an event that does
    not end its task, else ``None``."""
    from temporalio.api.enums.v1 import EventType

    from replaycheck.histories import event_type_name

    events = history.events
    for event, after in itertools.pairwise(events):
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            continue
        if EventType.Name(after.event_type).removeprefix("EVENT_TYPE_") not in _AFTER_STARTED:
            return (
                f"event {event.event_id} (WorkflowTaskStarted) is followed by a "
                f"{event_type_name(after.event_type)}, not by the end of its workflow task "
                "(WorkflowTaskCompleted, Failed or TimedOut): the history has lost or "
                "reordered events; export it again"
            )
    return None


def _broken(event: HistoryEvent, expected: int, ref: int, found: int | None) -> str:
    from replaycheck.histories import event_type_name

    role = "scheduled" if "Scheduled" in event_type_name(expected) else "started"
    what = (
        f"not an earlier {event_type_name(expected)}"
        if found is None
        else f"a {event_type_name(found)}, not a {event_type_name(expected)}"
    )
    return (
        f"event {event.event_id} ({event_type_name(event.event_type)}) says event {ref} "
        f"{role} its workflow task, but event {ref} is {what}: the history has lost or "
        "reordered events; export it again"
    )
