"""What one generated example did (arguments, activity outcomes, signals, updates, pause
point), and
the history arithmetic the generator needs: where an execution can be paused, when it is idle.

Plain data and functions only; temporalio's protobuf classes are used duck-typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from replaycheck.histories import COMMAND_EVENTS

_OPENERS = {
    "ACTIVITY_TASK_SCHEDULED": "activity",
    "TIMER_STARTED": "timer",
    "START_CHILD_WORKFLOW_EXECUTION_INITIATED": "child",
    "WORKFLOW_TASK_SCHEDULED": "workflow task",
}
_CLOSERS = {
    "ACTIVITY_TASK_COMPLETED": "activity",
    "ACTIVITY_TASK_FAILED": "activity",
    "ACTIVITY_TASK_TIMED_OUT": "activity",
    "ACTIVITY_TASK_CANCELED": "activity",
    "TIMER_FIRED": "timer",
    "TIMER_CANCELED": "timer",
    "START_CHILD_WORKFLOW_EXECUTION_FAILED": "child",
    "CHILD_WORKFLOW_EXECUTION_COMPLETED": "child",
    "CHILD_WORKFLOW_EXECUTION_FAILED": "child",
    "CHILD_WORKFLOW_EXECUTION_CANCELED": "child",
    "CHILD_WORKFLOW_EXECUTION_TIMED_OUT": "child",
    "CHILD_WORKFLOW_EXECUTION_TERMINATED": "child",
    "WORKFLOW_TASK_COMPLETED": "workflow task",
    "WORKFLOW_TASK_FAILED": "workflow task",
    "WORKFLOW_TASK_TIMED_OUT": "workflow task",
}


def event_type(event: Any) -> str:
    """``ACTIVITY_TASK_SCHEDULED`` for an event (the enum name without its prefix)."""
    from temporalio.api.enums.v1 import EventType

    return str(EventType.Name(event.event_type)).removeprefix("EVENT_TYPE_")


def pause_points(events: Sequence[Any]) -> list[int]:
    """Lengths of the prefixes a paused execution can show, one per completed workflow task.

    A history is append-only, so what a client fetches from a running execution is a prefix of
    the final history; the server writes a ``WorkflowTaskCompleted`` and the events of its
    commands in one transaction, so the prefix ending after those commands is exactly what an
    execution paused right after that workflow task looks like.
    """
    types = [event_type(e) for e in events]
    points = []
    for index, kind in enumerate(types):
        if kind != "WORKFLOW_TASK_COMPLETED":
            continue
        end = index + 1
        while end < len(types) and types[end] in COMMAND_EVENTS:
            end += 1
        points.append(end)
    return points


def open_work(events: Sequence[Any]) -> dict[str, list[Any]]:
    """The opening events of every workflow task, activity, timer and child still open.

    A running execution with none open waits for nothing but the outside world (a signal).
    """
    opened: dict[str, dict[int, Any]] = {kind: {} for kind in set(_OPENERS.values())}
    for event in events:
        kind = event_type(event)
        if kind in _OPENERS:
            opened[_OPENERS[kind]][event.event_id] = event
        elif kind in _CLOSERS:
            group = opened[_CLOSERS[kind]]
            started = _opening_id(event)
            group.pop(started if started in group else min(group, default=0), None)
    return {kind: list(group.values()) for kind, group in opened.items()}


def _opening_id(event: Any) -> int:
    """The event id of the event that opened what ``event`` closes (0 if it has none)."""
    attributes = getattr(event, str(event.WhichOneof("attributes")), None)
    for name in ("initiated_event_id", "scheduled_event_id", "started_event_id"):
        value = getattr(attributes, name, 0)
        if value:
            return int(value)
    return 0


def close_status(events: Sequence[Any]) -> str:
    """``RUNNING`` or the close status the last event records."""
    if not events:
        return "RUNNING"
    kind = event_type(events[-1])
    if kind.startswith("WORKFLOW_EXECUTION_") and kind != "WORKFLOW_EXECUTION_SIGNALED":
        status = kind.removeprefix("WORKFLOW_EXECUTION_")
        if status in ("COMPLETED", "FAILED", "CANCELED", "TERMINATED", "TIMED_OUT"):
            return status
        if status == "CONTINUED_AS_NEW":
            return status
    return "RUNNING"


@dataclass(frozen=True)
class ActivityCall:
    """One call of a stand-in activity and the outcome drawn for it."""

    number: int
    """1 for the execution's first activity call (retries count as calls)."""
    activity: str
    attempt: int
    outcome: str
    """``returned 'x'`` or ``failed (retryable)`` / ``failed (non-retryable)``."""


@dataclass(frozen=True)
class SignalDelivery:
    """A drawn signal and when it was sent."""

    signal: str
    args: tuple[Any, ...]
    when: str
    """``while activity call 2 ran`` or ``when the execution waited``; ``not sent`` if the
    execution finished first."""
    sent: int = 0
    """Its place among the signals and updates the example sent (1 first)."""


@dataclass(frozen=True)
class UpdateDelivery:
    """A drawn update the execution accepted, and when it was sent."""

    update: str
    args: tuple[Any, ...]
    when: str
    """``while activity call 2 ran`` or ``when the execution waited``."""
    sent: int = 0
    """Its place among the signals and updates the example sent (1 first)."""
    late: bool = False
    """Accepted only after the example timeout for it ran out (counted as not sent then)."""


@dataclass(frozen=True)
class Scenario:
    """What one example did to the baseline execution, and what was recorded of it."""

    workflow_type: str
    workflow_id: str
    args: tuple[Any, ...] = ()
    pause_after: int | None = None
    """Drawn pause point: after this many workflow tasks (``None``: as far as it goes)."""
    calls: tuple[ActivityCall, ...] = ()
    signals: tuple[SignalDelivery, ...] = ()
    updates: tuple[UpdateDelivery, ...] = ()
    """Drawn updates the recorded history accepted, in the order they were sent."""
    workflow_tasks: int = 0
    """Workflow tasks completed in the recorded history."""
    total_tasks: int = 0
    """Workflow tasks the execution completed in all."""
    status: str = "RUNNING"
    """Status of the recorded history: ``RUNNING`` when paused mid-flight."""
    events: int = 0
    last_event: str = ""
    stopped: str = ""
    """Why the execution was not run to completion, if it was not."""

    @property
    def paused(self) -> bool:
        """Whether the recorded history is of an execution paused mid-flight."""
        return self.status == "RUNNING"

    def state(self) -> str:
        """``paused mid-flight after workflow task 2 (...)`` or ``completed (COMPLETED, ...)``."""
        if not self.paused:
            return (
                f"completed ({self.status}, {self.events} events, "
                f"{self.workflow_tasks} workflow tasks)"
            )
        why = f"; {self.stopped}" if self.stopped else ""
        return (
            f"paused mid-flight after workflow task {self.workflow_tasks} of "
            f"{self.total_tasks} ({self.events} events, last: {self.last_event}{why})"
        )

    def render(self) -> list[str]:
        """The scenario as indented lines for a failure report."""
        lines = [
            f"workflow {self.workflow_type}, arguments: {_listed(self.args) or 'none'}",
            f"execution: {self.state()}",
        ]
        if self.pause_after is not None:
            lines.append(f"pause point drawn: after workflow task {self.pause_after}")
        for call in self.calls:
            lines.append(
                f"activity call {call.number}: {call.activity} (attempt {call.attempt}) "
                f"{call.outcome}"
            )
        if not self.calls:
            lines.append("activity calls: none")
        return lines + self._messages()

    def _messages(self) -> list[str]:
        """The signals and updates, in the order they were sent; an ``order sent:`` line
        first when both kinds are there (a change may show in one order only)."""
        both: list[SignalDelivery | UpdateDelivery] = [*self.signals, *self.updates]
        sent = sorted(both, key=lambda m: m.sent)
        lines = []
        if self.signals and self.updates:
            lines.append("order sent: " + ", then ".join(_kind_and_name(m) for m in sent))
        for message in sent:
            if isinstance(message, SignalDelivery):
                lines.append(f"signal {message.signal}({_listed(message.args)}) {message.when}")
                continue
            accepted = "accepted after the example timeout ran out" if message.late else "accepted"
            lines.append(
                f"update {message.update}({_listed(message.args)}) {message.when}, {accepted}"
            )
        return lines


def _kind_and_name(message: SignalDelivery | UpdateDelivery) -> str:
    if isinstance(message, SignalDelivery):
        return f"signal {message.signal}"
    return f"update {message.update}"


def _listed(values: Sequence[Any], limit: int = 160) -> str:
    """``values`` as a call lists them (``'a', 2``; not a tuple's ``('a',)``), cut at ``limit``."""
    text = ", ".join(repr(v) for v in values)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def accepted_updates(events: Sequence[Any]) -> set[str]:
    """The ids of the updates ``events`` record as accepted (a rejected one leaves none)."""
    return {
        e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
        for e in events
        if event_type(e) == "WORKFLOW_EXECUTION_UPDATE_ACCEPTED"
    }


def recorded_calls(
    made: Sequence[tuple[ActivityCall, str, str]],
    workflow_id: str,
    recorded: Sequence[Any],
    cut: bool,
) -> tuple[ActivityCall, ...]:
    """The calls ``made`` (call, workflow id, activity id) whose activity the recorded history
    schedules (a child's: all, once the child started); when the history was ``cut`` at a pause
    point, the call still running there says so."""
    scheduled = {
        e.activity_task_scheduled_event_attributes.activity_id
        for e in recorded
        if event_type(e) == "ACTIVITY_TASK_SCHEDULED"
    }
    started_child = any(
        event_type(e) == "START_CHILD_WORKFLOW_EXECUTION_INITIATED" for e in recorded
    )
    calls = tuple(
        call
        for call, wid, aid in made
        if (wid == workflow_id and aid in scheduled) or (wid != workflow_id and started_child)
    )
    return _mark_running(calls, made, workflow_id, recorded) if cut else calls


def _mark_running(
    calls: tuple[ActivityCall, ...],
    made: Sequence[tuple[ActivityCall, str, str]],
    workflow_id: str,
    recorded: Sequence[Any],
) -> tuple[ActivityCall, ...]:
    """The last call of an activity still open at the pause point ran on past it."""
    by_event = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_id
        for e in recorded
        if event_type(e) == "ACTIVITY_TASK_SCHEDULED"
    }
    closed = {by_event.get(_closed_activity(e)) for e in recorded}
    last_call = {aid: call.number for call, wid, aid in made if wid == workflow_id}
    running = {n for aid, n in last_call.items() if aid in by_event.values() and aid not in closed}
    return tuple(
        replace(c, outcome=f"still running at the pause point (then {c.outcome})")
        if c.number in running
        else c
        for c in calls
    )


def _closed_activity(event: Any) -> int:
    kind = event_type(event)
    if not kind.startswith("ACTIVITY_TASK_") or kind in (
        "ACTIVITY_TASK_SCHEDULED",
        "ACTIVITY_TASK_STARTED",
    ):
        return 0
    attributes = getattr(event, str(event.WhichOneof("attributes")))
    return int(getattr(attributes, "scheduled_event_id", 0))


def retry_due(info: Any) -> datetime | None:
    """When a pending activity waiting out a retry backoff is due; ``None`` if it runs.

    The test server does not fill ``next_attempt_schedule_time``: an attempt that completed
    after it started is in backoff, due after ``current_retry_interval`` (else the default
    policy's 1 s doubling up to 100 s; a longer real interval only costs another skip).
    """
    if info.HasField("next_attempt_schedule_time"):
        return info.next_attempt_schedule_time.ToDatetime()  # type: ignore[no-any-return]
    done = info.last_attempt_complete_time
    if info.attempt <= 1 or not info.HasField("last_attempt_complete_time"):
        return None
    started = info.last_started_time
    if info.HasField("last_started_time") and started.ToDatetime() > done.ToDatetime():
        return None
    if info.HasField("current_retry_interval"):
        interval = info.current_retry_interval.ToTimedelta()
    else:
        interval = timedelta(seconds=min(2 ** (info.attempt - 2), 100))
    return done.ToDatetime() + interval  # type: ignore[no-any-return]
