"""The history side of ``replaycheck._commands``: which events a workflow task's commands
produce, and how each reads as a command kind and name (split from ``_commands``)."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from replaycheck.histories import decode_patch

if TYPE_CHECKING:
    from temporalio.api.history.v1 import HistoryEvent

CORE_SEARCH_ATTRIBUTE = "TemporalChangeVersion"
"""Upserted by core itself next to each patch marker; not a command of the workflow code."""


def duration_text(seconds: float) -> str:
    if seconds <= 0:
        return "0s"
    whole = int(seconds)
    if whole != seconds or whole < 60:
        return f"{seconds:g}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{value}{unit}" for value, unit in parts if value)


def proto_seconds(duration: Any) -> float:
    return float(duration.seconds) + float(duration.nanos) / 1e9


def _local_activity_field(marker: Any, key: str) -> str:
    """``activity_type`` or ``activity_id`` of a local activity's marker (empty: unknown)."""
    for payload in marker.details["data"].payloads if "data" in marker.details else ():
        try:
            data = json.loads(payload.data)
        except (ValueError, UnicodeDecodeError):
            continue  # encoded by a payload codec: the name stays unknown
        if isinstance(data, dict) and isinstance(data.get(key), str):
            return str(data[key])
    return ""


def _marker(event: HistoryEvent) -> tuple[str, str, bool] | None:
    marker = event.marker_recorded_event_attributes
    if marker.marker_name == "core_patch":
        patch_id, deprecated = decode_patch(marker)
        return "patch", patch_id, deprecated
    if marker.marker_name == "core_local_activity":
        return "local-activity", _local_activity_field(marker, "activity_type"), False
    return "marker", marker.marker_name, False


def _upsert(event: HistoryEvent) -> tuple[str, str, bool] | None:
    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
    keys = sorted(fields.indexed_fields)
    if keys == [CORE_SEARCH_ATTRIBUTE]:
        return None
    return "search-attributes", ", ".join(keys), False


def sets_text(fields: Any) -> str:
    """What an upsert sets: ``key=<payload data, hex>`` of each of its payloads, sorted."""
    return ";".join(f"{key}={fields[key].data.hex()}" for key in sorted(fields))


def event_sets(event: HistoryEvent, kind: str) -> str:
    """What a memo or search attribute upsert of the history set ('' for other commands)."""
    if kind == "properties":
        return sets_text(event.workflow_properties_modified_event_attributes.upserted_memo.fields)
    if kind == "search-attributes":
        attributes = event.upsert_workflow_search_attributes_event_attributes
        return sets_text(attributes.search_attributes.indexed_fields)
    return ""


_EVENT_INPUTS = {
    "activity": "activity_task_scheduled_event_attributes.input.payloads",
    "child": "start_child_workflow_execution_initiated_event_attributes.input.payloads",
    "nexus": "nexus_operation_scheduled_event_attributes.input",
}
_COMMAND_INPUTS = {
    "activity": "schedule_activity.arguments",
    "child": "start_child_workflow_execution.input",
    "nexus": "schedule_nexus_operation.input",
}
"""Where the events and the commands of activities, children and Nexus operations hold their
input (core does not compare it)."""


def event_inputs(event: HistoryEvent, kind: str) -> str:
    """The input a history's command was given (``data`` of each payload, hex; '' for other
    kinds)."""
    path = _EVENT_INPUTS.get(kind)
    return _inputs_text(operator.attrgetter(path)(event)) if path else ""


def command_inputs(command: Any, kind: str) -> str:
    """The input the code's command gives (as :func:`event_inputs`)."""
    path = _COMMAND_INPUTS.get(kind)
    if path is None or not command.HasField(path.partition(".")[0]):
        return ""
    return _inputs_text(operator.attrgetter(path)(command))


def _inputs_text(payloads: Any) -> str:
    single = hasattr(payloads, "data")  # a Nexus operation's input is one payload
    return ";".join(p.data.hex() for p in ([payloads] if single else payloads))


def command_sets(command: Any, kind: str) -> str:
    """What a memo or search attribute upsert the code commanded sets (as :func:`event_sets`)."""
    if kind == "properties":
        return sets_text(command.modify_workflow_properties.upserted_memo.fields)
    if kind == "search-attributes":
        fields = command.upsert_workflow_search_attributes.search_attributes
        return sets_text(getattr(fields, "indexed_fields", fields))
    return ""


_EventReader = Callable[["HistoryEvent"], "tuple[str, str, bool] | None"]


def _timer(event: HistoryEvent) -> tuple[str, str, bool]:
    timeout = event.timer_started_event_attributes.start_to_fire_timeout
    return "timer", duration_text(proto_seconds(timeout)), False


def _nexus(event: HistoryEvent) -> tuple[str, str, bool]:
    attributes = event.nexus_operation_scheduled_event_attributes
    return "nexus", "/".join(filter(None, (attributes.service, attributes.operation))), False


def _field(kind: str, path: str = "") -> _EventReader:
    """A reader for events whose name is the attribute at ``path`` (dotted) of the event."""
    get = operator.attrgetter(path) if path else None
    return lambda event: (kind, str(get(event)) if get else "", False)


EVENT_READERS: dict[str, _EventReader] = {
    "ActivityTaskScheduled": _field(
        "activity", "activity_task_scheduled_event_attributes.activity_type.name"
    ),
    "ActivityTaskCancelRequested": _field("cancel-activity"),
    "TimerStarted": _timer,
    "TimerCanceled": _field("cancel-timer"),
    "MarkerRecorded": _marker,
    "StartChildWorkflowExecutionInitiated": _field(
        "child", "start_child_workflow_execution_initiated_event_attributes.workflow_type.name"
    ),
    "SignalExternalWorkflowExecutionInitiated": _field(
        "signal-external",
        "signal_external_workflow_execution_initiated_event_attributes.signal_name",
    ),
    "RequestCancelExternalWorkflowExecutionInitiated": _field(
        "cancel-external",
        "request_cancel_external_workflow_execution_initiated_event_attributes"
        ".workflow_execution.workflow_id",
    ),
    "UpsertWorkflowSearchAttributes": _upsert,
    "WorkflowPropertiesModified": _field("properties"),
    "WorkflowExecutionUpdateAccepted": _field("update"),  # named by update_name
    "WorkflowExecutionUpdateCompleted": _field("update-completion"),
    "NexusOperationScheduled": _nexus,
    "NexusOperationCancelRequested": _field("cancel-nexus"),
    "WorkflowExecutionCompleted": _field("complete"),
    "WorkflowExecutionFailed": _field(
        "fail", "workflow_execution_failed_event_attributes.failure.message"
    ),
    "WorkflowExecutionCanceled": _field("cancel"),
    "WorkflowExecutionContinuedAsNew": _field("continue-as-new"),
}


FAILURES = {
    "ActivityTaskFailed": "activity_task_failed_event_attributes.scheduled_event_id",
    "ActivityTaskTimedOut": "activity_task_timed_out_event_attributes.scheduled_event_id",
    "ChildWorkflowExecutionFailed":
        "child_workflow_execution_failed_event_attributes.initiated_event_id",
    "ChildWorkflowExecutionTimedOut":
        "child_workflow_execution_timed_out_event_attributes.initiated_event_id",
}  # fmt: skip
"""Events saying a command's activity or child workflow failed, and where its command is."""


_GIVEN_IDS = {
    "ActivityTaskScheduled": "activity_task_scheduled_event_attributes.activity_id",
    "StartChildWorkflowExecutionInitiated":
        "start_child_workflow_execution_initiated_event_attributes.workflow_id",
}  # fmt: skip
"""Where the command events of activities and child workflows hold the id they gave."""


def given_id(event: HistoryEvent, event_type: str, kind: str) -> str:
    if kind == "local-activity":
        return _local_activity_field(event.marker_recorded_event_attributes, "activity_id")
    path = _GIVEN_IDS.get(event_type)
    return str(operator.attrgetter(path)(event)) if path else ""


def update_name(event: HistoryEvent, event_type: str, names: dict[str, str]) -> str:
    """The name of the update an update event is about, remembering it in ``names`` (update
    id -> name): a completed event names none, and an accepted one may name none when the
    update was admitted first (a reset reapplies it: the admitted event names it)."""
    if event_type == "WorkflowExecutionUpdateAdmitted":
        request = event.workflow_execution_update_admitted_event_attributes.request
    elif event_type == "WorkflowExecutionUpdateAccepted":
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
    else:
        update_id = event.workflow_execution_update_completed_event_attributes.meta.update_id
        return names.get(update_id, "")
    name = request.input.name or names.get(request.meta.update_id, "")
    names[request.meta.update_id] = name
    return name
