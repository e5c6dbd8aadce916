"""The links between a history's events: a workflow task's Started, Completed, Failed and
TimedOut name its Scheduled (and Started) event, an activity's events its Scheduled one, a
timer's its Started one, a child workflow's its Initiated one, a Nexus operation's its
Scheduled one.

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
A cancel's events are checked the same way: an activity's ActivityTaskCanceled comes after its
cancel request (which the test server does not name in it), no cancel request after its close,
and each cancel command names an earlier event of the workflow task that commanded it (the dev
server its WorkflowTaskCompleted, the test server its WorkflowTaskStarted). A child's close and
the answer to a request to cancel it are read in either order: the dev server writes the answer
after the close when the child closed while the task asking to cancel it ran. A Nexus
operation's cancel request and its answer come before the operation's close, the answer after
its NexusOperationStarted (the request itself may come before it: the dev server writes it so
when the workflow asked before the handler started the operation).
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
_CHILD_STARTED = ("started_event_id", "CHILD_WORKFLOW_EXECUTION_STARTED")
_CANCEL_REQUESTED = ("latest_cancel_requested_event_id", "ACTIVITY_TASK_CANCEL_REQUESTED")
_CANCEL_INITIATED = ("initiated_event_id", "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED")
_NEXUS = ("scheduled_event_id", "NEXUS_OPERATION_SCHEDULED")
_NEXUS_REQUESTED = ("requested_event_id", "NEXUS_OPERATION_CANCEL_REQUESTED")
_NEXUS_CLOSES = ("COMPLETED", "FAILED", "CANCELED", "TIMED_OUT")
_NEXUS_CANCELS = ("CANCEL_REQUESTED", "CANCEL_REQUEST_COMPLETED", "CANCEL_REQUEST_FAILED")

_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "WORKFLOW_TASK_STARTED": (_WFT,),
    **dict.fromkeys(
        ("WORKFLOW_TASK_COMPLETED", "WORKFLOW_TASK_FAILED", "WORKFLOW_TASK_TIMED_OUT"),
        (_WFT, _WFT_STARTED),
    ),
    "ACTIVITY_TASK_STARTED": (_ACTIVITY,),
    **dict.fromkeys(
        ("ACTIVITY_TASK_COMPLETED", "ACTIVITY_TASK_FAILED", "ACTIVITY_TASK_TIMED_OUT"),
        (_ACTIVITY,),
    ),
    "ACTIVITY_TASK_CANCELED": (_ACTIVITY, _CANCEL_REQUESTED),
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
        (_CHILD, _CHILD_STARTED),
    ),
    **dict.fromkeys(
        (
            "EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED",
            "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED",
        ),
        (_CANCEL_INITIATED,),
    ),
    **dict.fromkeys(
        [f"NEXUS_OPERATION_{e}" for e in ("STARTED", "CANCEL_REQUESTED", *_NEXUS_CLOSES)],
        (_NEXUS,),
    ),
    **dict.fromkeys(
        [f"NEXUS_OPERATION_{e}" for e in _NEXUS_CANCELS[1:]], (_NEXUS, _NEXUS_REQUESTED)
    ),
}
"""Event type -> the fields of its attributes that name another event, and that event's type
(a field left 0 is not recorded: a task that timed out before it started, or the cancel request
that the time-skipping test server does not name in an ActivityTaskCanceled). Only links every
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
    return (
        _unfinished_task(history)
        or _activity_out_of_order(history)
        or _nexus_cancel_out_of_order(history)
        or _cancel_before_its_task(history)
    )


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


@functools.cache
def _activity_kinds() -> tuple[int, int, frozenset[int]]:
    """ActivityTaskStarted's, ActivityTaskCancelRequested's and the closes' event type values."""
    from temporalio.api.enums.v1 import EventType

    closes = frozenset(EventType.Value(f"EVENT_TYPE_ACTIVITY_TASK_{c}") for c in _ACTIVITY_CLOSES)
    return (
        EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
        closes,
    )


def _activity_out_of_order(history: History) -> str | None:
    """Why an activity's close names a started event that is not earlier, or is an
    ActivityTaskCanceled with no ActivityTaskCancelRequested before it, or its
    ActivityTaskStarted, a cancel request or a second close comes after its close, else
    ``None``."""
    started, requested, closes = _activity_kinds()
    closed: dict[int, HistoryEvent] = {}  # by the activity's scheduled event id
    cancelling: set[int] = set()  # the scheduled event ids of the activities asked to cancel
    for event in history.events:
        if event.event_type not in closes and event.event_type not in (started, requested):
            continue
        scheduled = getattr(event, event.WhichOneof("attributes") or "").scheduled_event_id
        close = closed.get(scheduled)
        if close is not None:
            return _after_close(event, close, f"the activity scheduled at event {scheduled}")
        if event.event_type == requested:
            cancelling.add(scheduled)
        elif event.event_type in closes:
            why = _close_out_of_order(event, requested=scheduled in cancelling)
            if why is not None:
                return why
            closed[scheduled] = event
    return None


def _after_close(event: HistoryEvent, close: HistoryEvent, closed: str) -> str:
    from replaycheck.histories import event_type_name

    return (
        f"event {event.event_id} ({event_type_name(event.event_type)}) comes after event "
        f"{close.event_id} ({event_type_name(close.event_type)}), the close of {closed}: "
        f"{_REORDERED}"
    )


def _close_out_of_order(close: HistoryEvent, *, requested: bool) -> str | None:
    """Why an activity's close names a started event that does not come before it, or is an
    ActivityTaskCanceled that no ActivityTaskCancelRequested comes before, else ``None``."""
    from temporalio.api.enums.v1 import EventType

    from replaycheck.histories import event_type_name

    attrs = getattr(close, close.WhichOneof("attributes") or "")
    name = event_type_name(close.event_type)
    if attrs.started_event_id >= close.event_id:  # -1 or 0: it never started
        return (
            f"event {close.event_id} ({name}) names event {attrs.started_event_id} as its "
            f"ActivityTaskStarted, but event {attrs.started_event_id} does not come before it: "
            f"{_REORDERED}"
        )
    if close.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED and not requested:
        return (
            f"event {close.event_id} ({name}) comes before any ActivityTaskCancelRequested of "
            f"the activity scheduled at event {attrs.scheduled_event_id}: {_REORDERED}"
        )
    return None


_CANCEL_COMMANDS = ("ACTIVITY_TASK_CANCEL_REQUESTED", "TIMER_CANCELED",
                    "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
                    *(f"NEXUS_OPERATION_{e}" for e in _NEXUS_CANCELS))  # fmt: skip
"""The events of a workflow task's cancel commands: each names the task that commanded it, by
its WorkflowTaskCompleted (the dev server) or its WorkflowTaskStarted (the time-skipping test
server), which comes before it on both. The answer to a Nexus operation's cancel request names
its request's task (the dev server leaves it 0)."""


@functools.cache
def _cancel_kinds() -> tuple[dict[int, str], frozenset[int]]:
    """:data:`_CANCEL_COMMANDS` by event type value, with its attributes' field name; and the
    event type values a cancel command may name as its workflow task."""
    from temporalio.api.enums.v1 import EventType

    commands = {int(EventType.Value(f"EVENT_TYPE_{k}")): f"{k.lower()}_event_attributes"
                for k in _CANCEL_COMMANDS}  # fmt: skip
    tasks = ("WORKFLOW_TASK_COMPLETED", "WORKFLOW_TASK_STARTED")
    return commands, frozenset(int(EventType.Value(f"EVENT_TYPE_{t}")) for t in tasks)


def _cancel_before_its_task(history: History) -> str | None:
    """Why a cancel command's event names, as the workflow task that commanded it, one that
    is not an earlier event of a workflow task, else ``None``."""
    from replaycheck.histories import event_type_name

    commands, tasks = _cancel_kinds()
    events = history.events
    for event in events:
        if event.event_type not in commands:
            continue
        ref = getattr(event, commands[event.event_type]).workflow_task_completed_event_id
        if not ref:  # not recorded (as in ``_LINKS``): a reorder renumbers, it never zeroes
            continue
        found = events[ref - 1].event_type if 0 < ref < event.event_id else None
        if found not in tasks:
            what = "not an earlier event" if found is None else f"a {event_type_name(found)}"
            return (
                f"event {event.event_id} ({event_type_name(event.event_type)}) names event "
                f"{ref} as the workflow task that commanded it, but event {ref} is {what}: "
                f"{_REORDERED}"
            )
    return None


@functools.cache
def _nexus_kinds() -> tuple[int, frozenset[int], frozenset[int], frozenset[int]]:
    """The event type values of a Nexus operation's NexusOperationStarted, of its closes, of
    its cancel request and the answers to it, and of those answers."""
    from temporalio.api.enums.v1 import EventType

    def values(ends: tuple[str, ...]) -> frozenset[int]:
        return frozenset(EventType.Value(f"EVENT_TYPE_NEXUS_OPERATION_{e}") for e in ends)

    started = EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED
    return started, values(_NEXUS_CLOSES), values(_NEXUS_CANCELS), values(_NEXUS_CANCELS[1:])


def _nexus_cancel_out_of_order(history: History) -> str | None:
    """Why a Nexus operation's cancel request, or the answer to it, comes after the operation's
    close, or an answer before its NexusOperationStarted, else ``None``: the server writes a
    request before a close that came while the task asking for it ran, drops an answer that
    comes after the close, and sends the request to the handler once the operation started."""
    started, closes, cancels, answers = _nexus_kinds()
    closed: dict[int, HistoryEvent] = {}  # by the operation's scheduled event id
    running: set[int] = set()  # the scheduled event ids of the operations started
    for event in history.events:
        if event.event_type == started:
            running.add(event.nexus_operation_started_event_attributes.scheduled_event_id)
        if event.event_type not in closes and event.event_type not in cancels:
            continue
        scheduled = getattr(event, event.WhichOneof("attributes") or "").scheduled_event_id
        if not scheduled:  # not recorded (as in ``_LINKS``)
            continue
        operation = f"the Nexus operation scheduled at event {scheduled}"
        if scheduled in closed and event.event_type in cancels:
            return _after_close(event, closed[scheduled], operation)
        if event.event_type in closes:
            closed.setdefault(scheduled, event)
        elif event.event_type in answers and scheduled not in running:
            return _before_start(event, operation)
    return None


def _before_start(event: HistoryEvent, operation: str) -> str:
    from replaycheck.histories import event_type_name

    return (
        f"event {event.event_id} ({event_type_name(event.event_type)}) comes before any "
        f"NexusOperationStarted of {operation}: {_REORDERED}"
    )
