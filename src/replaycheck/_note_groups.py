"""Notes of ``ok`` verdicts grouped as errors are by reason: the notes that read the same on
the same workflow line (300 running executions past one changed timer), so ``--format github``
warns once for them and its job summary lists them once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from replaycheck.verdict import Note, Verdict


@dataclass(frozen=True)
class NoteGroup:
    """One note, as the first history that has it reads it, and the others that have it."""

    first: Verdict
    note: Note
    """The first history's note: its text, and the line it is about."""
    same: tuple[Verdict, ...] = ()
    """The other histories with a note that reads the same on that line, in order."""


def by_note(verdicts: Sequence[Verdict]) -> list[NoteGroup]:
    """The notes of ``verdicts`` grouped by :func:`~replaycheck._reasons.note_key` and the line
    they are about (a note about no line is about its own history file: its text alone tells
    them apart), in order of first appearance. A history counts once in a group."""
    from replaycheck._reasons import note_key

    groups: dict[tuple[object, ...], tuple[Verdict, Note, list[Verdict]]] = {}
    for verdict in verdicts:
        for note in verdict.notes:
            place = (note.file, note.line) if note.file else None
            key = (place, *note_key(verdict, note))
            if key not in groups:
                groups[key] = (verdict, note, [])
                continue
            first, _, same = groups[key]
            if verdict is not first and (not same or same[-1] is not verdict):
                same.append(verdict)  # a history's own notes come together: once is enough
    return [NoteGroup(first, note, tuple(same)) for first, note, same in groups.values()]


def noted_histories(groups: Sequence[NoteGroup]) -> int:
    """How many histories the notes of ``groups`` are on, each counted once."""
    return len({id(verdict) for group in groups for verdict in (group.first, *group.same)})
