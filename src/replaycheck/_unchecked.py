"""What core does not compare on histories recorded before its flag 1: the types and ids of
activities, local activities and child workflows.

Core (sdk-core) compares them with the history's on replay only from the first workflow task
whose completion carries its internal flag 1 (``IdAndTypeDeterminismChecks``, 2023;
temporalio/sdk-rust#443) on, and in a history's last workflow task, which it takes for new work.
A history recorded before the flag (by an older SDK, or through a server without SDK metadata)
replays against code that renamed, reordered or re-identified such commands, and a worker
running that code hands each result the history recorded to the command now in its place.
``replaycheck._worker_verdict`` turns what is found here into a ``nondeterministic`` verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from replaycheck._commands import Command, history_commands
from replaycheck._divergence import matched_pairs

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

ID_AND_TYPE_FLAG = 1
"""Core's internal flag ``IdAndTypeDeterminismChecks``, in the ``coreUsedFlags`` of a
``WorkflowTaskCompleted`` event's ``sdkMetadata``."""

UNCHECKED_KINDS = frozenset({"activity", "local-activity", "child"})
"""Kinds whose type and id core compares only on histories recorded since its flag 1."""

_WORDS = {
    "activity": ("Activity", "scheduled event", "activity command"),
    "local-activity": ("Activity", "recorded marker", "local activity command"),
    "child": ("Child workflow", "scheduled event", "command"),
}
"""How core's message names each kind, its event and its command."""


def unchecked_end(history: History) -> int:
    """The event before which the history recorded commands whose type and id core did not
    compare (the first ``WorkflowTaskCompleted`` carrying flag 1, else past the last event);
    0: none. Histories recorded since the flag carry it from their first workflow task, so
    this returns there."""
    from temporalio.api.enums.v1 import EventType

    completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    commands = {
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_MARKER_RECORDED,
    }
    seen = False
    for event in history.events:
        if event.event_type == completed:
            flags = event.workflow_task_completed_event_attributes.sdk_metadata.core_used_flags
            if ID_AND_TYPE_FLAG in flags:
                return int(event.event_id) if seen else 0
        seen = seen or event.event_type in commands
    return int(history.events[-1].event_id) + 1 if seen and history.events else 0


def unchecked_change(
    history: History, issued: Sequence[Command], end: int, failed_at: int = 0
) -> str:
    """Core's message, in its words on histories recorded since its flag 1, for the first
    command of ``history`` before event ``end`` (:func:`unchecked_end`) whose type or id the
    code's command in its place does not share; empty when there is none.

    Args:
        history: the history replayed.
        issued: the code's commands during the replay.
        end: :func:`unchecked_end` of ``history``.
        failed_at: the event where core failed the replay; 0: the replay passed.
    """
    commands = history_commands(history)
    pairs, parted = matched_pairs(commands, issued, max(commands.tasks, default=0), UNCHECKED_KINDS)
    if parted is not None and not failed_at:  # core matched them all, so these are not its
        return ""
    for h, c in pairs:
        if h.event_id >= min(end, failed_at or end):
            break
        if h.kind in UNCHECKED_KINDS and (message := _mismatch(h, c)):
            return message
    return ""


def _mismatch(h: Command, c: Command) -> str:
    """Core's message for ``c`` in the place of ``h`` (it compares the id first), or empty."""
    kind, event, command = _WORDS[h.kind]
    if h.given_id and h.given_id != c.given_id:
        field, old, new = "id", h.given_id, c.given_id
    elif h.name and h.name != c.name:
        field, old, new = "type", h.name, c.name
    else:
        return ""
    return (
        f"{kind} {field} of {event} '{old}' does not match {kind.lower()} {field} of "
        f"{command} '{new}'"
    )
