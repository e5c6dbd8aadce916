"""Command sequences: what a history recorded and what workflow code commanded, in one vocabulary.

The history side reads the events a workflow task's commands produce (``ActivityTaskScheduled``,
``TimerStarted``, markers, ...); the code side (``replaycheck._code_commands``) reads the commands
a workflow instance sent during replay (recorded by ``replaycheck._capture``). Both become
:class:`Command` values with the same ``kind`` names, so ``replaycheck.diagnose`` can compare
them and ``replaycheck inspect`` can show a history's timeline.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from replaycheck._command_events import CORE_SEARCH_ATTRIBUTE as CORE_SEARCH_ATTRIBUTE
from replaycheck._command_events import (
    EVENT_READERS,
    FAILURES,
    event_inputs,
    event_sets,
    given_id,
    update_name,
)
from replaycheck._command_events import duration_text as duration_text
from replaycheck._command_events import proto_seconds as proto_seconds
from replaycheck.histories import event_type_name

if TYPE_CHECKING:
    from types import CodeType

    from temporalio.api.history.v1 import History

RawFrame = tuple[str, int, str]
"""``(file, line, function)`` of one frame of workflow code."""

Site = tuple["CodeType", int]
"""The code of one frame of workflow code and the offset of the instruction it was running
(``f_lasti``): which expression of its line, read only when a diagnosis needs it."""

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
    sites: tuple[Site | None, ...] = field(default=(), compare=False, repr=False)
    """Code side, where the replay recorded them: each of :attr:`frames`' :data:`Site`
    (``None``: a frame where a task was created, whose instruction is not known)."""
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
