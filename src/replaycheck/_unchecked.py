"""What core does not compare on histories recorded before its flags 1 and 4: the types and ids
of activities, local activities and child workflows (flag 1), and the service and operation
of Nexus operations (flag 4).

Core (sdk-core) compares them with the history's on replay only from the first workflow task
whose completion carries its internal flag (1: ``IdAndTypeDeterminismChecks``, 2023;
temporalio/sdk-rust#443; 4: ``NexusOperationDeterminismChecks``, new in the core of temporalio
1.35, ``crates/sdk-core/src/internal_flags.rs``) on, and in a history's last workflow task,
which it takes for new work. A history recorded before the flag (by an older SDK, or through a
server without SDK metadata) replays against code that renamed, reordered or re-identified
such commands, and a worker running that code hands each result the history recorded to the
command now in its place. ``replaycheck._worker_verdict`` turns what is found here into a
``nondeterministic`` verdict.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from replaycheck._commands import Command, history_commands
from replaycheck._divergence import matched_pairs

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

ID_AND_TYPE_FLAG = 1
"""Core's internal flag ``IdAndTypeDeterminismChecks``, in the ``coreUsedFlags`` of a
``WorkflowTaskCompleted`` event's ``sdkMetadata``."""
NEXUS_FLAG = 4
"""Core's internal flag ``NexusOperationDeterminismChecks`` (the number is that of the core
temporalio 1.35 bundles)."""

NEXUS_CHECKS_SINCE = (1, 35)
"""The first temporalio whose core compares a Nexus operation's service and name on replay (with
an older one, core compares them on no history)."""


@functools.cache
def temporalio_version() -> str:
    """The installed temporalio's version ("" when its metadata cannot be read)."""
    try:
        return importlib.metadata.version("temporalio")
    except importlib.metadata.PackageNotFoundError:
        return ""


@functools.cache
def core_compares_nexus() -> bool:
    """Whether the installed temporalio's core compares the service and name of Nexus
    operations on histories recorded since its flag 4; an unreadable version counts as new."""
    found = re.match(r"(\d+)\.(\d+)", temporalio_version())
    return found is None or (int(found[1]), int(found[2])) >= NEXUS_CHECKS_SINCE


FLAGS = {"activity": ID_AND_TYPE_FLAG, "local-activity": ID_AND_TYPE_FLAG,
         "child": ID_AND_TYPE_FLAG, "nexus": NEXUS_FLAG}  # fmt: skip
"""The flag since which core compares each kind's names (and ids): the kinds it does not
compare on a history recorded before."""

_WORDS = {
    "activity": ("Activity", "scheduled event", "activity command"),
    "local-activity": ("Activity", "recorded marker", "local activity command"),
    "child": ("Child workflow", "scheduled event", "command"),
}
"""How core's message names each kind, its event and its command."""


def unchecked_end(history: History, flag: int = ID_AND_TYPE_FLAG) -> int:
    """The event before which the history recorded commands whose names core did not compare
    (the first ``WorkflowTaskCompleted`` carrying ``flag``, else past the last event); 0:
    none. Histories recorded since the flag carry it from their first workflow task, so this
    returns there. With a temporalio older than 1.35, whose core compares no Nexus operation,
    the end of flag 4 is past the last event of every history that scheduled one."""
    from temporalio.api.enums.v1 import EventType

    completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    commands = (
        {
            EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
            EventType.EVENT_TYPE_MARKER_RECORDED,
        }
        if flag == ID_AND_TYPE_FLAG
        else {EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED}
    )
    seen = False
    compared = flag != NEXUS_FLAG or core_compares_nexus()  # else on no history: flags aside
    for event in history.events:
        if compared and event.event_type == completed:
            flags = event.workflow_task_completed_event_attributes.sdk_metadata.core_used_flags
            if flag in flags:
                return int(event.event_id) if seen else 0
        seen = seen or event.event_type in commands
    return int(history.events[-1].event_id) + 1 if seen and history.events else 0


def unchecked_ends(history: History) -> dict[int, int]:
    """:func:`unchecked_end` of each flag, for the flags whose end is not 0."""
    ends = {flag: unchecked_end(history, flag) for flag in set(FLAGS.values())}
    return {flag: end for flag, end in ends.items() if end}


def unchecked_change(
    history: History, issued: Sequence[Command], ends: Mapping[int, int], failed_at: int = 0
) -> str:
    """Core's message, in its words on histories recorded since the flag, for the first
    command of ``history`` before the end of its flag (:func:`unchecked_ends`) whose names (or
    id) the code's command in its place does not share; empty when there is none.

    Args:
        history: the history replayed.
        issued: the code's commands during the replay.
        ends: :func:`unchecked_ends` of ``history``.
        failed_at: the event where core failed the replay; 0: the replay passed.
    """
    commands = history_commands(history)
    loose = frozenset(kind for kind, flag in FLAGS.items() if ends.get(flag))
    pairs, parted = matched_pairs(commands, issued, max(commands.tasks, default=0), loose)
    if parted is not None and not failed_at:  # core matched them all, so these are not its
        return ""
    for h, c in pairs:
        if failed_at and h.event_id >= failed_at:
            break
        if h.kind in loose and h.event_id < ends[FLAGS[h.kind]] and (message := _mismatch(h, c)):
            return message
    return ""


def flag_of(change: str) -> int:
    """The flag since which core compares what :func:`unchecked_change` found changed."""
    return NEXUS_FLAG if change.startswith("Nexus operation") else ID_AND_TYPE_FLAG


def why_unchecked(nexus: bool, history: str = "this history") -> str:
    """Why core did not compare what replaycheck found changed, as a clause: ``history`` (how
    the sentence names it) was recorded before the flag, or the installed temporalio's core
    compares no Nexus operation."""
    if nexus and not core_compares_nexus():
        return (
            f"the core of the installed temporalio {temporalio_version()} does not compare "
            "the service and name of Nexus operations (from temporalio 1.35 on, core compares "
            "them on histories recorded since its flag 4, NexusOperationDeterminismChecks)"
        )
    if nexus:
        return (
            f"{history} was recorded before core's flag 4 (NexusOperationDeterminismChecks, "
            "new in the core of temporalio 1.35), and core compares the service and name of "
            "Nexus operations only on histories recorded since"
        )
    return (
        f"{history} was recorded before core's flag 1 (IdAndTypeDeterminismChecks, SDKs "
        "from before 2023), and core compares the types and ids of activities and child "
        "workflows only on histories recorded since"
    )


def _mismatch(h: Command, c: Command) -> str:
    """Core's message for ``c`` in the place of ``h`` (it compares the id first, and a Nexus
    operation's service before its name), or empty."""
    if h.kind == "nexus":
        (service, _, operation), (new_service, _, new_operation) = (
            h.name.partition("/"),
            c.name.partition("/"),
        )
        if service != new_service:
            return (
                f"Nexus operation service of scheduled event '{service}' does not match "
                f"service of command '{new_service}'"
            )
        if operation != new_operation:
            return (
                f"Nexus operation of scheduled event '{operation}' does not match operation "
                f"of command '{new_operation}'"
            )
        return ""
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
