"""The code side of ``replaycheck._commands``: the commands a workflow instance sent during
replay (recorded by ``replaycheck._capture``), read as :class:`~replaycheck._commands.Command`
values, as the history's events are (split from ``_commands``)."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from replaycheck._command_events import command_inputs, command_sets, duration_text, proto_seconds
from replaycheck._commands import UPDATE_KINDS, Command, RawFrame, Site

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
    sites: Sequence[tuple[Site | None, ...]] = (),
) -> list[Command]:
    """Recorded ``(command, history length, frames)`` entries as commands, in order.

    A continue-as-new command is added after ``workflow.continue_as_new`` unwound the stack, so
    it takes the frames recorded at that call. A cancel of an activity is named after the
    activity, one of a child workflow after the child's id (as the history names it); one of an
    activity or a child started with cancellation type ``ABANDON`` is left out: core sends no
    command for it. ``abandoned``, when given, gets ``(the cancel, the activity's or the
    child's command)`` of each such cancel left out. An update's acceptance and completion are
    named after the update, by ``update_names`` (protocol instance id -> name). ``sites``, when
    given, holds each entry's frames' sites in turn (``Recording.command_sites``).
    """
    found = []
    activities: dict[int, tuple[Command, int]] = {}
    children: dict[int, tuple[Command, int]] = {}
    operations: dict[int, str] = {}
    for at, (proto, task, frames) in enumerate(entries):
        command = code_command(proto, task, frames)
        if command is None:
            continue
        if at < len(sites) and len(sites[at]) == len(frames):
            command = replace(command, sites=sites[at])
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
