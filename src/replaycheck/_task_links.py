"""The links between a history's events: a workflow task's Started, Completed, Failed and
TimedOut name its Scheduled (and Started) event, an activity's events its Scheduled one, a
timer's its Started one, a child workflow's its Initiated one.

temporalio's ``Replayer`` waits forever on (or passes) a history whose links are broken (a
WorkflowTaskStarted lost from the file, the ids after it renumbered), or whose
WorkflowTaskStarted is followed by anything but the end of its task (core panics), so such a
history is refused before it reaches the replay.

An activity's events are checked by their order, not by the type of the event its close names
as started: the dev server names the activity's ActivityTaskStarted there, the time-skipping
test server the event id that was next when the activity started (often a
WorkflowTaskCompleted or Failed, whose id the started event lost to it; -1 when it never
started), and its ActivityTaskStarted comes later, right before the close. Both name an earlier
event, and both write an activity's ActivityTaskStarted before its close and close it once, so
a history whose activity events were swapped or moved (ids renumbered) breaks one of those.
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History, HistoryEvent

_WFT = ("scheduled_event_id", "WORKFLOW_TASK_SCHEDULED")
_WFT_STARTED = ("started_event_id", "WORKFLOW_TASK_STARTED")
_ACTIVITY = ("scheduled_event_id", "ACTIVITY_TASK_SCHEDULED")
_TIMER = ("started_event_id", "TIMER_STARTED")
_CHILD = ("initiated_event_id", "START_CHILD_WORKFLOW_EXECUTION_INITIATED")

_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "WORKFLOW_TASK_STARTED": (_WFT,),
    **dict.fromkeys(
        ("WORKFLOW_TASK_COMPLETED", "WORKFLOW_TASK_FAILED", "WORKFLOW_TASK_TIMED_OUT"),
        (_WFT, _WFT_STARTED),
    ),
    "ACTIVITY_TASK_STARTED": (_ACTIVITY,),
    **dict.fromkeys(
        (
            "ACTIVITY_TASK_COMPLETED",
            "ACTIVITY_TASK_FAILED",
            "ACTIVITY_TASK_TIMED_OUT",
            "ACTIVITY_TASK_CANCELED",
        ),
        (_ACTIVITY,),
    ),
    "ACTIVITY_TASK_CANCEL_REQUESTED": (_ACTIVITY,),
    "TIMER_FIRED": (_TIMER,),
    "TIMER_CANCELED": (_TIMER,),
    "START_CHILD_WORKFLOW_EXECUTION_FAILED": (_CHILD,),
    "CHILD_WORKFLOW_EXECUTION_STARTED": (_CHILD,),
    **dict.fromkeys(
        (
            "CHILD_WORKFLOW_EXECUTION_COMPLETED",
            "CHILD_WORKFLOW_EXECUTION_FAILED",
            "CHILD_WORKFLOW_EXECUTION_CANCELED",
            "CHILD_WORKFLOW_EXECUTION_TIMED_OUT",
            "CHILD_WORKFLOW_EXECUTION_TERMINATED",
        ),
        (_CHILD,),
    ),
}
"""Event type -> the fields of its attributes that name another event, and that event's type
(a field left 0 is not recorded: a task that timed out before it started). Only links every
server writes alike: the time-skipping test server names another event than the dev server as
an activity's started event and as the workflow task that commanded an activity, a timer, a
child or a marker (its histories replay), so those are not checked."""


_REORDERED = "the history has lost or reordered events; export it again"
"""How each refusal ends: what it means, and the fix."""


def broken_task_link(history: History) -> str | None:
    """Why an event names, as the event it belongs to, one that is not an earlier event of the
    type it must be (an activity's result naming no ActivityTaskScheduled), else ``None``."""
    links = _links()
    events = history.events
    for event in events:
        if event.event_type not in links:
            continue
        field, refs = links[event.event_type]
        attrs = getattr(event, field)
        for ref_field, expected in refs:
            ref = getattr(attrs, ref_field)
            if ref == 0:
                continue
            found = events[ref - 1].event_type if 0 < ref < event.event_id else None
            if found != expected:
                return _broken(event, expected, ref, found)
    return _unfinished_task(history) or _activity_out_of_order(history)


@functools.cache
def _links() -> dict[int, tuple[str, list[tuple[str, int]]]]:
    """:data:`_LINKS` by event type value, each with its attributes' field name: made once,
    not once per history."""
    from temporalio.api.enums.v1 import EventType

    return {
        EventType.Value(f"EVENT_TYPE_{kind}"): (
            f"{kind.lower()}_event_attributes",
            [(ref, EventType.Value(f"EVENT_TYPE_{to}")) for ref, to in refs],
        )
        for kind, refs in _LINKS.items()
    }


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
                f"(WorkflowTaskCompleted, Failed or TimedOut): {_REORDERED}"
            )
    return None


def _broken(event: HistoryEvent, expected: int, ref: int, found: int | None) -> str:
    from replaycheck.histories import event_type_name

    what = (
        f"not an earlier {event_type_name(expected)}"
        if found is None
        else f"a {event_type_name(found)}"
    )
    return (
        f"event {event.event_id} ({event_type_name(event.event_type)}) names event {ref} as "
        f"its {event_type_name(expected)}, but event {ref} is {what}: {_REORDERED}"
    )


_ACTIVITY_CLOSES = ("COMPLETED", "FAILED", "TIMED_OUT", "CANCELED")


def _activity_out_of_order(history: History) -> str | None:
    """Why an activity's close names a started event that is not earlier, or its
    ActivityTaskStarted or a second close comes after its close, else ``None``."""
    from temporalio.api.enums.v1 import EventType

    from replaycheck.histories import event_type_name

    started = EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    closes = {EventType.Value(f"EVENT_TYPE_ACTIVITY_TASK_{c}") for c in _ACTIVITY_CLOSES}
    closed: dict[int, HistoryEvent] = {}  # by the activity's scheduled event id
    for event in history.events:
        if event.event_type not in closes and event.event_type != started:
            continue
        attrs = getattr(event, event.WhichOneof("attributes") or "")
        close = closed.get(attrs.scheduled_event_id)
        if close is not None:
            return (
                f"event {event.event_id} ({event_type_name(event.event_type)}) comes after "
                f"event {close.event_id} ({event_type_name(close.event_type)}), the close of "
                f"the activity scheduled at event {attrs.scheduled_event_id}: {_REORDERED}"
            )
        if event.event_type in closes:
            if attrs.started_event_id >= event.event_id:  # -1 or 0: it never started
                return (
                    f"event {event.event_id} ({event_type_name(event.event_type)}) names event "
                    f"{attrs.started_event_id} as its ActivityTaskStarted, but event "
                    f"{attrs.started_event_id} does not come before it: {_REORDERED}"
                )
            closed[attrs.scheduled_event_id] = event
    return None
