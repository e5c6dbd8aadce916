"""Command sequences: what a history recorded and what workflow code commanded, in one vocabulary.

The history side reads the events a workflow task's commands produce (``ActivityTaskScheduled``,
``TimerStarted``, markers, ...); the code side reads the commands a workflow instance sent during
replay (recorded by ``replaycheck._capture``). Both become :class:`Command` values with the same
``kind`` names, so ``replaycheck.diagnose`` can compare them and ``replaycheck inspect`` can show
a history's timeline.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from replaycheck._command_events import CORE_SEARCH_ATTRIBUTE as CORE_SEARCH_ATTRIBUTE
from replaycheck._command_events import (
    EVENT_READERS,
    FAILURES,
    command_inputs,
    command_sets,
    event_inputs,
    event_sets,
    given_id,
    update_name,
)
from replaycheck._command_events import duration_text as duration_text
from replaycheck._command_events import proto_seconds as proto_seconds
from replaycheck.histories import event_type_name

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

RawFrame = tuple[str, int, str]
"""``(file, line, function)`` of one frame of workflow code."""

KIND_LABELS = {
    "activity": "activity",
    "local-activity": "local activity",
    "timer": "timer",
    "child": "child workflow",
    "signal-external": "external signal",
    "cancel-external": "external cancel",
    "patch": "patch marker",
    "marker": "marker",
    "search-attributes": "search attribute upsert",
    "properties": "memo upsert",
    "update": "update",
    "update-completion": "update completion",
    "nexus": "Nexus operation",
    "cancel-activity": "activity cancel request",
    "cancel-timer": "timer cancellation",
    "cancel-nexus": "Nexus operation cancel request",
    "complete": "workflow completion",
    "fail": "workflow failure",
    "cancel": "workflow cancellation",
    "continue-as-new": "continue-as-new",
}
"""Every command kind and how it reads in a sentence."""

NAMED_KINDS = frozenset({"activity", "local-activity", "child", "patch", "nexus"})
"""Kinds whose name core compares on replay (for the others only the kind has to match)."""

TASK_END_CANCELS = frozenset({"cancel-timer", "cancel-activity", "cancel-nexus"})
"""Cancels the history records at the end of their workflow task (they take effect when the
cancelled task next runs), after commands the code issued later in that task."""

UPDATE_KINDS = frozenset({"update", "update-completion"})
"""An update's acceptance and its completion (its handler returned), named after the update."""

TERMINAL_KINDS = frozenset({"complete", "fail", "cancel", "continue-as-new"})
"""Kinds that close the execution."""


@dataclass(frozen=True)
class Command:
    """One command, as the history recorded it or as the code issued it."""

    kind: str
    """A key of :data:`KIND_LABELS`."""
    name: str = ""
    """Activity or workflow type, patch id, signal name, timer duration, ..."""
    event_id: int = 0
    """History side: the event the command produced."""
    event_type: str = ""
    """History side: e.g. ``ActivityTaskScheduled``."""
    task: int = 0
    """History side: the ``WorkflowTaskCompleted`` event id; code side: the history length of
    the activation that issued it."""
    deprecated: bool = False
    """Patch markers: recorded by ``deprecate_patch``."""
    frames: tuple[RawFrame, ...] = ()
    """Code side: the workflow code that issued it, innermost frame first."""
    given_id: str = field(default="", compare=False)
    """Activities (local ones too) and child workflows: the id the command gave (core compares
    it on replay, as it does the name, on histories recorded since its flag 1)."""
    child_type: str = field(default="", compare=False)
    """``cancel-external`` of a child workflow this execution started: the child's type (the
    name is its workflow id)."""
    sets: str = field(default="", compare=False)
    """Memo and search attribute upserts: what they set (``replaycheck._command_events``);
    core does not compare it, but it tells one upsert of a kind from another."""
    inputs: str = field(default="", compare=False)
    """Activities, children, Nexus operations: their input (``_command_events``; not compared)."""

    def describe(self) -> str:
        """``activity 'charge'``, ``timer (1s)``, ``workflow completion``."""
        label = KIND_LABELS.get(self.kind, self.kind)
        if not self.name:
            return label
        if self.kind == "cancel-activity":  # named after the activity it cancels
            return f"cancel of activity {self.name!r}"
        if self.kind == "update-completion":
            return f"completion of update {self.name!r}"
        if self.kind == "cancel-nexus":  # named after the operation it cancels
            return f"cancel of Nexus operation {self.name!r}"
        if self.kind == "cancel-external" and self.child_type:
            return f"cancel of child workflow {self.child_type!r} (id {self.name!r})"
        if self.kind == "timer":
            return f"timer ({self.name})"
        if self.kind == "patch" and self.deprecated:
            return f"{label} {self.name!r} (deprecated)"
        return f"{label} {self.name!r}"

    def matches(self, other: Command, loose: frozenset[str] = frozenset()) -> bool:
        """Whether core accepts ``other`` for this command: same kind (and name where checked;
        not for the kinds in ``loose``)."""
        if self.kind != other.kind:
            return False
        return self.kind not in NAMED_KINDS or self.kind in loose or self.name == other.name


def durations_differ(a: Command | None, b: Command | None) -> bool:
    """Two timers of different durations (which core takes for one another)."""
    return a is not None and b is not None and a.kind == b.kind == "timer" and a.name != b.name


def kind_switch(a: Command | None, b: Command | None) -> bool:
    """The same activity, turned from a local activity into a regular one or back."""
    kinds = {"activity", "local-activity"}
    return (
        a is not None and b is not None and a.name == b.name
        and a.kind != b.kind and {a.kind, b.kind} <= kinds
    )  # fmt: skip


@dataclass(frozen=True)
class HistoryCommands:
    """A history's command events and its completed workflow tasks."""

    commands: tuple[Command, ...]
    tasks: tuple[int, ...]
    """Event ids of every ``WorkflowTaskCompleted``, ascending."""
    failed: frozenset[int] = frozenset()
    """Event ids of the commands whose activity (a local one too) or child workflow failed or
    timed out."""

    def task_for(self, history_length: int) -> int:
        """The workflow task an activation at ``history_length`` answers (0: none recorded)."""
        for task in self.tasks:
            if task > history_length:
                return task
        return 0


# --------------------------------------------------------------------------- history side


def history_commands(history: History) -> HistoryCommands:
    """Every event of ``history`` that a workflow task's command produced, in order."""
    commands: list[Command] = []
    tasks: list[int] = []
    failed: set[int] = set()
    activities: dict[int, str] = {}
    operations: dict[int, str] = {}  # Nexus operations by event id
    updates: dict[str, str] = {}  # update names by update id
    children: dict[str, str] = {}
    """Child workflow id -> type, of the children started so far."""
    task = 0
    for event in history.events:
        event_type = event_type_name(event.event_type)
        if event_type == "WorkflowTaskCompleted":
            task = event.event_id
            tasks.append(task)
            continue
        if event_type in FAILURES:
            failed.add(int(operator.attrgetter(FAILURES[event_type])(event)))
            continue
        if event_type == "WorkflowExecutionUpdateAdmitted":
            update_name(event, event_type, updates)
            continue
        if event_type == "MarkerRecorded" and event.marker_recorded_event_attributes.HasField(
            "failure"
        ):  # a local activity's outcome is its marker
            failed.add(event.event_id)
        reader = EVENT_READERS.get(event_type)
        found = reader(event) if reader is not None else None
        if found is None:
            continue
        kind, name, deprecated = found
        given = given_id(event, event_type, kind)
        child_type = ""
        if kind == "activity":
            activities[event.event_id] = name
        elif kind == "child":
            children[given] = name
        elif kind == "cancel-external":
            child_type = children.get(name, "")
        elif kind == "cancel-activity":  # the activity it cancels
            scheduled = event.activity_task_cancel_requested_event_attributes.scheduled_event_id
            name = activities.get(scheduled, "")
        elif kind == "nexus":
            operations[event.event_id] = name
        elif kind in UPDATE_KINDS:  # a completed event is named after the update it completes
            name = update_name(event, event_type, updates)
        elif kind == "cancel-nexus":  # the operation it cancels
            attributes = event.nexus_operation_cancel_requested_event_attributes
            name = operations.get(attributes.scheduled_event_id, "")
        commands.append(
            Command(
                kind,
                name,
                event.event_id,
                event_type,
                task=task,
                deprecated=deprecated,
                given_id=given,
                child_type=child_type,
                sets=event_sets(event, kind),
                inputs=event_inputs(event, kind),
            )
        )
    return HistoryCommands(commands=tuple(commands), tasks=tuple(tasks), failed=frozenset(failed))


# --------------------------------------------------------------------------- code side

_CODE_IDS = {
    "schedule_activity": "schedule_activity.activity_id",
    "schedule_local_activity": "schedule_local_activity.activity_id",
    "start_child_workflow_execution": "start_child_workflow_execution.workflow_id",
}
"""Where the commands of activities and child workflows hold the id they give."""

_CODE_KINDS: dict[str, tuple[str, str]] = {
    "schedule_activity": ("activity", "schedule_activity.activity_type"),
    "schedule_local_activity": ("local-activity", "schedule_local_activity.activity_type"),
    "start_timer": ("timer", ""),
    "cancel_timer": ("cancel-timer", ""),
    "request_cancel_activity": ("cancel-activity", ""),
    "start_child_workflow_execution": ("child", "start_child_workflow_execution.workflow_type"),
    "cancel_child_workflow_execution": ("cancel-external", ""),
    "request_cancel_external_workflow_execution": (
        "cancel-external",
        "request_cancel_external_workflow_execution.workflow_execution.workflow_id",
    ),
    "signal_external_workflow_execution": (
        "signal-external",
        "signal_external_workflow_execution.signal_name",
    ),
    "set_patch_marker": ("patch", "set_patch_marker.patch_id"),
    "upsert_workflow_search_attributes": ("search-attributes", ""),
    "modify_workflow_properties": ("properties", ""),
    "update_response": ("update", ""),
    "schedule_nexus_operation": ("nexus", ""),
    "request_cancel_nexus_operation": ("cancel-nexus", ""),
    "complete_workflow_execution": ("complete", ""),
    "fail_workflow_execution": ("fail", "fail_workflow_execution.failure.message"),
    "cancel_workflow_execution": ("cancel", ""),
    "continue_as_new_workflow_execution": ("continue-as-new", ""),
}
"""Commands that produce a history event; the others (query answers, cancels of commands not
yet sent, rejected updates) never reach the history and are left out."""


def code_command(command: Any, task: int, frames: Sequence[RawFrame]) -> Command | None:
    """A ``WorkflowCommand`` proto as a :class:`Command` (``None`` if it makes no event)."""
    variant = command.WhichOneof("variant")
    entry = _CODE_KINDS.get(variant or "")
    if entry is None:
        return None
    kind, path = entry
    if variant == "update_response":
        response = command.update_response
        if response.HasField("completed"):
            kind = "update-completion"
        elif not response.HasField("accepted"):
            return None
    deprecated = variant == "set_patch_marker" and command.set_patch_marker.deprecated
    given = _CODE_IDS.get(variant or "")
    return Command(
        kind,
        _code_name(command, kind, path),
        task=task,
        deprecated=deprecated,
        frames=tuple(frames),
        given_id=str(operator.attrgetter(given)(command)) if given else "",
        sets=command_sets(command, kind),
        inputs=command_inputs(command, kind),
    )


def _code_name(command: Any, kind: str, path: str) -> str:
    if kind == "fail":  # an exception without a message (asyncio.TimeoutError): its type
        failure = command.fail_workflow_execution.failure
        return str(failure.message or failure.application_failure_info.type)
    if path:
        return str(operator.attrgetter(path)(command))
    if kind == "timer":
        return duration_text(proto_seconds(command.start_timer.start_to_fire_timeout))
    if kind == "search-attributes":
        # A SearchAttributes message (temporalio >= 1.8); once a map of payloads.
        fields = command.upsert_workflow_search_attributes.search_attributes
        return ", ".join(sorted(getattr(fields, "indexed_fields", fields)))
    if kind == "nexus":
        operation = command.schedule_nexus_operation
        return "/".join(filter(None, (operation.service, operation.operation)))
    return ""


def code_commands(
    entries: Iterable[tuple[Any, int, Sequence[RawFrame]]],
    continue_as_new_frames: Sequence[RawFrame] = (),
    abandoned: list[tuple[Command, Command]] | None = None,
    update_names: Mapping[str, str] | None = None,
) -> list[Command]:
    """Recorded ``(command, history length, frames)`` entries as commands, in order.

    A continue-as-new command is added after ``workflow.continue_as_new`` unwound the stack, so
    it takes the frames recorded at that call. A cancel of an activity is named after the
    activity, one of a child workflow after the child's id (as the history names it); one of an
    activity or a child started with cancellation type ``ABANDON`` is left out: core sends no
    command for it. ``abandoned``, when given, gets ``(the cancel, the activity's or the
    child's command)`` of each such cancel left out. An update's acceptance and completion are
    named after the update, by ``update_names`` (protocol instance id -> name).
    """
    found = []
    activities: dict[int, tuple[Command, int]] = {}
    children: dict[int, tuple[Command, int]] = {}
    operations: dict[int, str] = {}
    for proto, task, frames in entries:
        command = code_command(proto, task, frames)
        if command is None:
            continue
        variant = proto.WhichOneof("variant")
        if command.kind == "activity":
            scheduled = proto.schedule_activity
            activities[scheduled.seq] = (command, scheduled.cancellation_type)
        elif command.kind == "nexus":
            operations[proto.schedule_nexus_operation.seq] = command.name
        elif command.kind in UPDATE_KINDS and update_names:
            instance = proto.update_response.protocol_instance_id
            command = replace(command, name=update_names.get(instance, ""))
        elif command.kind == "cancel-nexus":  # named after the operation, as the history does
            seq = proto.request_cancel_nexus_operation.seq
            command = replace(command, name=operations.get(seq, ""))
        elif command.kind == "cancel-activity":
            cancelled, how = activities.get(proto.request_cancel_activity.seq, (None, 0))
            if cancelled is not None and how == ABANDON:
                if abandoned is not None:
                    cancel = Command(
                        "cancel-activity", cancelled.name, task=task, frames=tuple(frames)
                    )
                    abandoned.append((cancel, cancelled))
                continue
            command = replace(command, name=cancelled.name if cancelled else "")
        elif command.kind == "child":
            started = proto.start_child_workflow_execution
            children[started.seq] = (command, started.cancellation_type)
        elif variant == "cancel_child_workflow_execution":
            seq = proto.cancel_child_workflow_execution.child_workflow_seq
            child, how = children.get(seq, (None, -1))
            if child is not None and how == CHILD_ABANDON:
                if abandoned is not None:
                    cancel = Command(
                        "cancel-external",
                        child.given_id,
                        task=task,
                        frames=tuple(frames),
                        child_type=child.name,
                    )
                    abandoned.append((cancel, child))
                continue
            if child is not None:
                command = replace(command, name=child.given_id, child_type=child.name)
            else:
                command = replace(command, name="")
        if command.kind == "continue-as-new" and not command.frames:
            command = Command(
                command.kind, command.name, task=task, frames=tuple(continue_as_new_frames)
            )
        found.append(command)
    return found


ABANDON = 2
"""``ActivityCancellationType.ABANDON`` in core's ``ScheduleActivity`` command."""
CHILD_ABANDON = 0
"""``ChildWorkflowCancellationType.ABANDON`` in core's ``StartChildWorkflowExecution`` command."""
