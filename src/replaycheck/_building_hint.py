"""A :class:`~replaycheck.diagnose.Diagnosis` from core's message alone, where the code's
commands are unknown or do not line up with the history's (for :mod:`replaycheck._building`).
"""

from __future__ import annotations

from dataclasses import replace

from replaycheck._building_names import with_patch_id
from replaycheck._commands import NAMED_KINDS, Command, HistoryCommands
from replaycheck._divergence import CoreHint
from replaycheck.diagnose import Diagnosis


def hint_with_history(hint: CoreHint, history: HistoryCommands) -> CoreHint:
    """Fill in what the history recorded at the event core names."""
    target = next((x for x in history.commands if x.event_id == hint.event_id), None)
    if target is None or not hint.event_id:
        return hint
    return replace(hint, recorded=(target.kind, target.name))


def from_hint(message: str, hint: CoreHint, severity: str) -> Diagnosis:
    """What core's message names: the event, both commands, and the change their kinds tell
    (a patch marker: its call removed; one kind, two names: a rename)."""
    recorded = hint.recorded or ("", "")
    commanded = hint.commanded or ("", "")
    change = "unknown"
    if hint.recorded and hint.recorded[0] == "patch":
        change = "patch-removed"
    elif (
        hint.recorded
        and hint.commanded
        and hint.recorded[0] == hint.commanded[0]
        and (hint.recorded[0] in NAMED_KINDS)
    ):
        change = "renamed"
    diagnosis = Diagnosis(
        message=message,
        change=change,
        event_id=hint.event_id,
        event_type=hint.event_type,
        recorded_kind=recorded[0],
        recorded_name=recorded[1],
        commanded_kind=commanded[0],
        commanded_name=commanded[1],
        severity=severity,
    )
    h = Command(*recorded) if recorded[0] else None
    c = Command(*commanded) if commanded[0] else None
    return with_patch_id(diagnosis, h, c)
