"""Error verdicts grouped by reason, as failures are by cause: a report names each reason once
(how many histories it stopped, a few of them, the message with its fix), and an error whose
reason one above shows in full points to it. Also the wording of a text that stands for several
histories (``this execution started`` as ``these executions started``)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from replaycheck.report import display_path, first_named, plural, printable, render_verdict
from replaycheck.verdict import Note, Verdict

SHOWN_IDS = 3
"""How many of a reason's histories the reason's line names."""
OTHER = "…"
"""What a reason's text shows in place of a part each history has its own of."""
_OWN = "\0"
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?!\w)")
"""A number standing alone (a time, a count, an event id), not one in a name (``OrderV2``)."""


def _own_parts(verdict: Verdict) -> list[str]:
    """What the message may quote of its history alone: its file, workflow id and run id."""
    from replaycheck._history_names import history_stem

    name = os.path.basename(verdict.path)
    parts = {verdict.path, display_path(verdict.path), name, history_stem(name)}
    parts |= {verdict.workflow_id, verdict.run_id}
    return sorted((part for part in parts if len(part) >= 3), key=len, reverse=True)


def _general(verdict: Verdict, text: str | None = None) -> str:
    """``text`` (by default the message) with the parts quoting its history alone marked."""
    text = verdict.message if text is None else text
    for part in _own_parts(verdict):
        text = re.sub(rf"(?<![\w.-]){re.escape(part)}(?![\w-])", _OWN, text)
    return text


def error_key(verdict: Verdict) -> tuple[str, ...] | None:
    """What two errors with the same reason share (``None``: not an error): the message with
    each history's own parts (file, ids, numbers) taken out."""
    if verdict.verdict != "error":
        return None
    return ("error", _NUMBER.sub("#", _general(verdict)))


def note_key(verdict: Verdict, note: Note) -> tuple[str, ...]:
    """What two notes that read the same share, as :func:`error_key` has it for errors: the
    note's kind and text with its history's own parts (file, ids, numbers) taken out."""
    return ("note", note.kind, _NUMBER.sub("#", _general(verdict, note.text)))


@dataclass(frozen=True)
class Reason:
    """The errors of one reason, in the order they came."""

    errors: tuple[tuple[str, Verdict], ...]
    """``(name, verdict)`` of each, the name as the report names it (a test id, a file)."""

    @property
    def first(self) -> tuple[str, Verdict]:
        return self.errors[0]

    def text(self) -> str:
        """The first one's message, the parts its histories do not share as :data:`OTHER`,
        worded for them all (:func:`for_many`)."""
        if len(self.errors) == 1:
            return self.first[1].message
        pieces = [_NUMBER.split(_general(verdict)) for _, verdict in self.errors]
        shown = [
            OTHER if index % 2 and any(p[index] != piece for p in pieces) else piece
            for index, piece in enumerate(pieces[0])
        ]
        return for_many("".join(shown).replace(_OWN, OTHER))


def group_reasons(errors: Sequence[tuple[str, Verdict]]) -> list[Reason]:
    """``(name, verdict)`` of each error, grouped by :func:`error_key` in the order of each
    reason's first error."""
    groups: dict[tuple[str, ...] | None, list[tuple[str, Verdict]]] = {}
    for name, verdict in errors:
        groups.setdefault(error_key(verdict), []).append((name, verdict))
    return [Reason(tuple(group)) for group in groups.values()]


def reason_lines(reasons: Sequence[Reason], *, shown: str = "") -> list[str]:
    """Each reason once: how many histories it stopped, a few of them, its message (which says
    the fix), after a line that counts them and then says ``shown``. None when no two errors
    share a reason: each error is its own."""
    total = sum(len(reason.errors) for reason in reasons)
    head = f"{plural(total, 'error')} from {plural(len(reasons), 'reason')}{shown}:"
    listed = [([name for name, _ in reason.errors], reason.text()) for reason in reasons]
    return group_lines(head, listed, group="reason", verb="errored")


def group_lines(
    head: str, groups: Sequence[tuple[Sequence[str], str]], *, group: str, verb: str
) -> list[str]:
    """``head``, then each of ``groups`` (the names of its histories, its text) once: how many
    histories it has, its text, and the first :data:`SHOWN_IDS` names after ``verb``. None
    when every group has one history."""
    if all(len(names) == 1 for names, _ in groups):
        return []
    lines = [head]
    for number, (names, text) in enumerate(groups, 1):
        shown = [printable(name) for name in names]
        title = f"{group} {number} of {len(groups)}, {plural(len(shown), 'history')}"
        lines += [f"{title}: {printable(text)}"]
        lines += [f"  {verb}: {first_named(shown, SHOWN_IDS)}"]
    return lines


def repeated_error_text(verdict: Verdict, first: str, *, pointer: str = "") -> str:
    """An error whose reason the error of ``first`` (shown above) shows in full: its own file
    (which says the history: its execution's ids change nothing), then ``pointer`` (by
    default: to ``first``, above)."""
    told = pointer or f"same reason as {printable(first)}, above"
    return render_verdict(replace(verdict, message=told, workflow_type="", pinned=""))


_MANY = (
    ("this execution is ", "these executions are "),
    ("this execution has ", "these executions have "),
    ("this execution ", "these executions "),
    (
        "this history still fails with the gate back, another change broke it: run the check "
        "again for its own fix",
        "these histories still fail with the gate back, another change broke them: run the "
        "check again for their own fix",
    ),
    ("this history was ", "these histories were "),
    ("this history is ", "these histories are "),
    ("this history ", "these histories "),
    ("(its history has no marker", "(their histories have no marker"),
    ("but the history recorded its marker", "but these histories recorded its marker"),
)
"""Singular phrases of a diagnosis or an error message, and how they read for several."""


def for_many(text: str) -> str:
    """``text``, written of one history, as it reads of several (past tenses stay)."""
    for one, many in _MANY:
        text = text.replace(one, many)
    return text
