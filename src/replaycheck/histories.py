"""History files: reading every dialect, validation and metadata.

Decoding the bytes lives in ``replaycheck._decoding``; discovery (``replaycheck._discovery``),
writing (``replaycheck._writing``) and what a file's name says (``replaycheck._history_names``)
are re-exported here.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replaycheck._config_values import access_fix
from replaycheck._decoding import decode, shorthand_reason
from replaycheck._discovery import (
    as_paths,
    broken_symlink,
    check_paths,
    check_report_path,
    discover,
    is_history_name,
    unlisted_reason,
)
from replaycheck._history_names import RUN_SUFFIX, history_stem, workflow_id_from_name
from replaycheck._task_links import broken_task_link
from replaycheck._writing import (
    GENERATED_ADDRESS,
    PROVENANCE_KEY,
    Provenance,
    atomic_write,
    history_binpb_bytes,
    history_json_bytes,
    history_message_json_bytes,
    write_history,
)
from replaycheck.errors import HistoryError

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

__all__ = [
    "PROVENANCE_KEY",
    "RUN_SUFFIX",
    "HistoryInfo",
    "LoadedHistory",
    "Provenance",
    "as_paths",
    "atomic_write",
    "broken_symlink",
    "check_paths",
    "check_report_path",
    "describe",
    "discover",
    "history_binpb_bytes",
    "history_json_bytes",
    "history_message_json_bytes",
    "history_stem",
    "is_history_name",
    "parse_history_bytes",
    "patch_ids",
    "read_history",
    "unlisted_reason",
    "workflow_id_from_name",
    "write_history",
]

# --------------------------------------------------------------------------- reading

_CLOSE_STATUS = {
    "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED": "COMPLETED",
    "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED": "FAILED",
    "EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED": "CANCELED",
    "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED": "TERMINATED",
    "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW": "CONTINUED_AS_NEW",
    "EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT": "TIMED_OUT",
}

_CLOSE_EVENTS = frozenset(key.removeprefix("EVENT_TYPE_") for key in _CLOSE_STATUS)

COMMAND_EVENTS = frozenset(
    {
        "ACTIVITY_TASK_SCHEDULED",
        "ACTIVITY_TASK_CANCEL_REQUESTED",
        "TIMER_STARTED",
        "TIMER_CANCELED",
        "MARKER_RECORDED",
        "START_CHILD_WORKFLOW_EXECUTION_INITIATED",
        "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
        "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
        "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",
        "WORKFLOW_PROPERTIES_MODIFIED",
        "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "WORKFLOW_EXECUTION_UPDATE_REJECTED",
        "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
        "NEXUS_OPERATION_SCHEDULED",
        "NEXUS_OPERATION_CANCEL_REQUESTED",
        "WORKFLOW_EXECUTION_COMPLETED",
        "WORKFLOW_EXECUTION_FAILED",
        "WORKFLOW_EXECUTION_CANCELED",
        "WORKFLOW_EXECUTION_CONTINUED_AS_NEW",
    }
)
"""Event types (without ``EVENT_TYPE_``) that a workflow task's commands produce."""


@dataclass(frozen=True)
class HistoryInfo:
    """What a history says about itself, known without replaying it."""

    path: str
    """The file, as given or discovered."""
    workflow_id: str
    """From provenance metadata, else the started event (newer servers record it), else the
    file name."""
    workflow_type: str
    run_id: str
    events: int
    """Number of events."""
    status: str
    """``RUNNING`` or the close status (``COMPLETED``, ``FAILED``, ``CANCELED``, ...)."""
    verified_through: int
    """Last event id a replay checks: the last completed workflow task and its commands."""
    patches: tuple[str, ...] = ()
    """Patch ids of ``core_patch`` markers, in history order (``~`` prefix: deprecated)."""
    task_queue: str = ""
    generated: bool = False
    """Written by ``replaycheck generate --save`` (its provenance says so): a fixture."""

    @property
    def closed(self) -> bool:
        """Whether the execution had finished when the history was captured."""
        return self.status != "RUNNING"


@dataclass(frozen=True)
class LoadedHistory:
    """A validated history, ready to replay."""

    info: HistoryInfo
    history: History
    """The ``temporal.api.history.v1.History`` message."""


def read_history(path: str | Path) -> LoadedHistory:
    """Read, parse and validate one history file of any supported dialect.

    Raises:
        HistoryError: with a one-line reason, for anything that cannot be replayed safely.
    """
    name = str(path)
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):  # one that cannot be listed is given as one (``discover``)
            reason = unlisted_reason(path) or "is a directory, not a history file"
            raise HistoryError(name, reason)
        if not stat.S_ISREG(mode):
            raise HistoryError(
                name, "is not a regular file (a fifo, socket or device); history files are "
                "regular files: remove it or give another path"
            )  # fmt: skip
        data = Path(path).read_bytes()
    except OSError as exc:
        broken = broken_symlink(path)
        if broken is not None:
            raise HistoryError(name, broken) from None
        reason = f"cannot read the file ({exc.strerror or exc}); {access_fix(exc)}"
        raise HistoryError(name, reason) from None
    return parse_history_bytes(data, name)


def parse_history_bytes(data: bytes, name: str) -> LoadedHistory:
    """Parse and validate history bytes; ``name`` picks the dialect and the fallback id."""
    provenance: Provenance | None = None
    if not data.strip():
        raise HistoryError(name, "is empty; export the history again")
    history = decode(data, name)
    if isinstance(history, dict):
        provenance = _provenance_of(history)
        history = _history_from_doc(history, name)
    info = describe(history, name, provenance)
    return LoadedHistory(info=info, history=history)


def _provenance_of(doc: dict[str, Any]) -> Provenance | None:
    meta = doc.get(PROVENANCE_KEY)
    return Provenance.from_json_dict(meta) if isinstance(meta, dict) else None


def _history_from_doc(doc: dict[str, Any], name: str) -> History:
    from google.protobuf.json_format import ParseError

    from replaycheck._protojson import history_from_dict

    body = {k: v for k, v in doc.items() if k != PROVENANCE_KEY}
    try:
        history = history_from_dict(body)
    except (ValueError, ParseError) as exc:
        reason = shorthand_reason(body) or f"is not a valid Temporal history: {exc}"
        raise HistoryError(name, reason) from None
    _check_event_type_names(history, body["events"], name)
    return history


def _check_event_type_names(history: History, raw: list[Any], name: str) -> None:
    """Name the ``eventType`` as written when the parser left it unset (an unknown name, as
    protobuf's JSON parser does); :func:`describe` rejects such events in every dialect."""
    for event, js in zip(history.events, raw, strict=False):
        if event.event_type == 0 and isinstance(js, dict):
            given = js.get("eventType", js.get("event_type"))
            if isinstance(given, str) and given:
                raise _unknown_event_type(name, event.event_id, given)


# --------------------------------------------------------------------------- validation


def describe(history: History, name: str, provenance: Provenance | None = None) -> HistoryInfo:
    """Validate a parsed history and collect its metadata.

    Raises:
        HistoryError: the history cannot be replayed (see ``docs/fixtures.md`` for the rules).
    """
    events = history.events
    _validate(history, name)
    claimed = provenance.status if provenance is not None else ""
    if claimed not in ("", "RUNNING") and _status(history) == "RUNNING":
        raise HistoryError(
            name,
            f"ends at event {len(events)} without the workflow's close event, though it was "
            f"captured as {claimed}: the file is cut off; export it again",
        )
    started = events[0].workflow_execution_started_event_attributes
    return HistoryInfo(
        path=name,
        workflow_id=(
            provenance.workflow_id
            if provenance
            else started.workflow_id or workflow_id_from_name(name)
        ),
        workflow_type=started.workflow_type.name,
        # A reset run keeps its base run's original_execution_run_id in its started event:
        # export's provenance says which run it is, and so does the reset's own event.
        run_id=(provenance.run_id if provenance else "")
        or _reset_run_id(history)
        or started.original_execution_run_id
        or started.first_execution_run_id,
        events=len(events),
        status=_status(history),
        verified_through=_verified_through(history),
        patches=patch_ids(history),
        task_queue=started.task_queue.name,
        generated=provenance is not None and provenance.address == GENERATED_ADDRESS,
    )


def _validate(history: History, name: str) -> None:
    from temporalio.api.enums.v1 import EventType

    events = history.events
    if not events:
        raise HistoryError(name, "has no events; export the whole history again")
    first = events[0]
    if first.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        raise HistoryError(
            name,
            f"starts with {event_type_name(first.event_type)} (event id {first.event_id}), "
            "not WorkflowExecutionStarted: the history is incomplete or reordered; export it again",
        )
    if not first.workflow_execution_started_event_attributes.workflow_type.name:
        raise HistoryError(
            name,
            "is not a valid Temporal history: its WorkflowExecutionStarted event carries no "
            "workflow type; export it again",
        )
    for position, event in enumerate(events, start=1):
        if event.event_id != position:
            raise HistoryError(
                name,
                f"event ids must ascend by one from 1, but event #{position} has id "
                f"{event.event_id}: the history is reordered or has gaps; export it again",
            )
        kind = _raw_type(event.event_type)
        if kind in ("", "UNSPECIFIED"):
            raise _unknown_event_type(name, event.event_id, event.event_type)
        if event.event_id < len(events) and kind in _CLOSE_EVENTS:
            raise HistoryError(
                name,
                f"has events after the workflow's close event (event {event.event_id}, "
                f"{event_type_name(event.event_type)}): it is damaged, or joined from several "
                "runs; export it again",
            )
    broken = broken_task_link(history)  # temporalio's Replayer would wait on it forever
    if broken is not None:
        raise HistoryError(name, broken)
    completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    if not any(e.event_type == completed for e in events):
        raise HistoryError(
            name,
            "has no completed workflow task, so replay would check nothing; "
            "capture it again after the workflow's first task has run",
        )


def _unknown_event_type(name: str, event_id: int, given: str | int) -> HistoryError:
    """``given``: the event type as written (a name from JSON) or as parsed (a number)."""
    text = str(given)
    if given in (0, "") or text.upper().replace("_", "").endswith("UNSPECIFIED"):
        shown = "no event type" + (f" ({text})" if given not in (0, "") else "")
        fix = "export it again"
    else:
        shown = f"the unknown event type {given!r}"
        fix = "export it again, or upgrade temporalio if a newer Temporal server wrote it"
    return HistoryError(
        name, f"is not a valid Temporal history: event {event_id} has {shown}; {fix}"
    )


def event_type_name(value: int) -> str:
    """``EVENT_TYPE_TIMER_STARTED`` -> ``TimerStarted``."""
    from temporalio.api.enums.v1 import EventType

    try:
        raw = EventType.Name(value)  # type: ignore[arg-type]
    except ValueError:
        return f"EventType({value})"
    return "".join(p.title() for p in raw.removeprefix("EVENT_TYPE_").split("_"))


def _raw_type(value: int) -> str:
    from temporalio.api.enums.v1 import EventType

    try:
        return EventType.Name(value).removeprefix("EVENT_TYPE_")  # type: ignore[arg-type]
    except ValueError:
        return ""


def _reset_run_id(history: History) -> str:
    """The run a reset made, from the ``WorkflowTaskFailed`` event the reset put at its reset
    point (``new_run_id``; the last one, for a run reset again); ``""`` for another run."""
    for event in reversed(history.events):
        if _raw_type(event.event_type) == "WORKFLOW_TASK_FAILED":
            new_run = event.workflow_task_failed_event_attributes.new_run_id
            if new_run:
                return str(new_run)
    return ""


def _status(history: History) -> str:
    return _CLOSE_STATUS.get("EVENT_TYPE_" + _raw_type(history.events[-1].event_type), "RUNNING")


def _verified_through(history: History) -> int:
    last = 0
    in_commands = False
    for event in history.events:
        kind = _raw_type(event.event_type)
        if kind == "WORKFLOW_TASK_COMPLETED":
            last, in_commands = event.event_id, True
        elif in_commands and kind in COMMAND_EVENTS:
            last = event.event_id
        else:
            in_commands = False
    return last


def patch_ids(history: History) -> tuple[str, ...]:
    """Patch ids recorded by ``workflow.patched()`` / ``deprecate_patch()`` (``core_patch``)."""
    found: list[str] = []
    for event in history.events:
        if not event.HasField("marker_recorded_event_attributes"):
            continue
        marker = event.marker_recorded_event_attributes
        if marker.marker_name != "core_patch":
            continue
        patch_id, deprecated = decode_patch(marker)
        if patch_id:
            found.append(("~" if deprecated else "") + patch_id)
    return tuple(found)


def decode_patch(marker: Any) -> tuple[str, bool]:
    """``(patch id, deprecated)`` of a ``core_patch`` marker (``("", False)`` if unreadable)."""
    for payloads in marker.details.values():
        for payload in payloads.payloads:
            try:
                data = json.loads(payload.data)
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                return data["id"], bool(data.get("deprecated"))
    return "", False
