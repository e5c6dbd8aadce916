"""Notes of ``ok`` verdicts grouped as errors are by reason: the notes that read the same on
the same workflow line (300 running executions past one changed timer), so ``--format github``
warns once for them, its job summary lists them once, and the text report and the pytest
plugin's summary show each once with how many histories have it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from replaycheck.verdict import Note, Verdict


@dataclass(frozen=True)
class NoteGroup:
    """One note, as the first history that has it reads it, and the others that have it."""

    first: Verdict
    note: Note
    """The first history's note: its text, and the line it is about."""
    same: tuple[Verdict, ...] = ()
    """The other histories with a note that reads the same on that line, in order."""


def _key(verdict: Verdict, note: Note) -> tuple[object, ...]:
    """What the notes that read the same on one line share: a note about no line is about its
    own history file, so its text alone tells them apart."""
    from replaycheck._reasons import note_key

    place = (note.file, note.line) if note.file else None
    return (place, *note_key(verdict, note))


def by_note(verdicts: Sequence[Verdict]) -> list[NoteGroup]:
    """The notes of ``verdicts`` grouped by :func:`~replaycheck._reasons.note_key` and the line
    they are about, in order of first appearance. A history counts once in a group."""
    groups: dict[tuple[object, ...], tuple[Verdict, Note, list[Verdict]]] = {}
    for verdict in verdicts:
        for note in verdict.notes:
            key = _key(verdict, note)
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


def note_lines(
    groups: Sequence[NoteGroup], name: Callable[[Verdict], str], *, shown: str = ""
) -> list[str]:
    """Each note of ``groups`` once, as :func:`~replaycheck._reasons.reason_lines` lists the
    reasons of errors: how many histories have it, its first history's text in full, and the
    first few histories (``name`` names each), after a line that counts them and then says
    ``shown``. None when no two histories have a note that reads the same."""
    from replaycheck._reasons import group_lines
    from replaycheck.report import plural

    total = sum(1 + len(group.same) for group in groups)
    histories = plural(noted_histories(groups), "history")
    head = f"{plural(total, 'note')} on {histories} that replay, "
    head += f"{plural(len(groups), 'different note')}{shown}:"
    listed = [([name(v) for v in (g.first, *g.same)], g.note.text) for g in groups]
    return group_lines(head, listed, group="note", verb="noted")


def pointing(verdicts: Sequence[Verdict], name: Callable[[Verdict], str]) -> dict[int, Verdict]:
    """Each verdict (by ``id``) with a note that one before it has: its message with that
    note's text replaced by a pointer to the first history that has it (``name`` names it)."""
    first: dict[tuple[object, ...], Verdict] = {}
    pointed: dict[int, Verdict] = {}
    for verdict in verdicts:
        message = verdict.message
        for note in verdict.notes:
            shown = first.setdefault(_key(verdict, note), verdict)
            if shown is not verdict:
                same = f"; but the same note as {name(shown)}, above"
                message = message.replace(f"; but {note.text}", same, 1)
        if message != verdict.message:
            pointed[id(verdict)] = replace(verdict, message=message)
    return pointed
