"""The *shape* of a history: the sequence of commands its workflow made.

Two executions with the same shape took the same path through the workflow code, so replaying
one of them checks what replaying the other would: ``replaycheck export --dedupe`` keeps one
history per shape. A command is a ``(kind, name)`` pair read from the events the commands
produced; ids, timestamps, attempts, timeouts and payloads are left out::

    ("activity", "create_schema")   ("local-activity", "lookup")   ("timer", "")
    ("child", "NotifyTenant")       ("signal-external", "approve")  ("cancel-external", "")
    ("patch", "my-change")          ("marker", "my-marker")         ("search-attributes", "A,B")
    ("complete", "")  ("fail", "")  ("cancel", "")  ("continue-as-new", "NextType")
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History, HistoryEvent

Command = tuple[str, str]
"""``(kind, name)``; ``name`` is empty for commands without one."""
Shape = tuple[Command, ...]

_NAMED = {  # event attributes (without "_event_attributes") -> (kind, field holding the name)
    "activity_task_scheduled": ("activity", "activity_type.name"),
    "start_child_workflow_execution_initiated": ("child", "workflow_type.name"),
    "signal_external_workflow_execution_initiated": ("signal-external", "signal_name"),
    "nexus_operation_scheduled": ("nexus", "operation"),
    "workflow_execution_continued_as_new": ("continue-as-new", "workflow_type.name"),
}
_UNNAMED = {
    "timer_started": "timer",
    "timer_canceled": "cancel-timer",
    "activity_task_cancel_requested": "cancel-activity",
    "request_cancel_external_workflow_execution_initiated": "cancel-external",
    "nexus_operation_cancel_requested": "cancel-nexus",
    "workflow_properties_modified": "modify-properties",
    "workflow_execution_completed": "complete",
    "workflow_execution_failed": "fail",
    "workflow_execution_canceled": "cancel",
}
_SUFFIX = "_event_attributes"


def command_of(event: HistoryEvent) -> Command | None:
    """The command that produced ``event``, or ``None`` for events no command produces."""
    field = event.WhichOneof("attributes")
    if field is None:
        return None
    which = field.removesuffix(_SUFFIX)
    if which in _UNNAMED:
        return (_UNNAMED[which], "")
    attributes = getattr(event, field)
    if which in _NAMED:
        kind, path = _NAMED[which]
        value: Any = attributes
        for part in path.split("."):
            value = getattr(value, part)
        return (kind, str(value))
    if which == "marker_recorded":
        return _marker_command(attributes)
    if which == "upsert_workflow_search_attributes":
        keys = sorted(attributes.search_attributes.indexed_fields)
        return ("search-attributes", ",".join(keys))
    return None


def _marker_command(marker: Any) -> Command:
    name = marker.marker_name
    if name == "core_patch":
        return ("patch", _detail(marker, "id"))
    if name == "core_local_activity":
        return ("local-activity", _detail(marker, "activity_type"))
    return ("marker", name)


def _detail(marker: Any, key: str) -> str:
    """A string field of the JSON payloads core writes into its own markers ("" if encoded)."""
    for payloads in marker.details.values():
        for payload in payloads.payloads:
            try:
                data = json.loads(payload.data)
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(data, dict) and isinstance(data.get(key), str):
                return str(data[key])
    return ""


def history_shape(history: History) -> Shape:
    """The commands of ``history``, in order."""
    commands = (command_of(event) for event in history.events)
    return tuple(command for command in commands if command is not None)


def shape_id(shape: Shape) -> str:
    """A short, stable name for a shape (12 hex digits of a SHA-256)."""
    text = json.dumps(shape, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def describe_shape(shape: Shape) -> str:
    """``activity create_schema > timer > complete``."""
    return " > ".join(f"{kind} {name}" if name else kind for kind, name in shape) or "(none)"
