"""GitHub Actions annotations of verdicts: one ``::error`` per change and per error reason, on
the line to gate (else the history file), one ``::warning`` per note of ``ok`` histories.

Split from ``replaycheck._render_ci`` (JUnit XML and the job summary).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from replaycheck._note_groups import NoteGroup, by_note, noted_histories
from replaycheck._render_ci import one_line
from replaycheck._render_summary import render_summary
from replaycheck.report import diagnosis_key, display_path, first_named, plural, printable
from replaycheck.verdict import Verdict


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_target(verdict: Verdict) -> tuple[str, int]:
    """``(file, line)`` to annotate: the workflow line to gate, else the history file (line 0).

    The line is the call the suggested gate wraps (the caller of a helper that issues every
    command; the call passing the argument that decides a helper's branch); for a removed
    command, where the code waits instead (``Diagnosis.waits_at``), else the code's last command
    before it.
    """
    diagnosis = verdict.diagnosis
    if diagnosis is not None:
        frame = diagnosis.placed_at
        if frame is not None:
            return frame.file, frame.line
    return display_path(verdict.path), 0


def workspace_file(file: str, environ: Mapping[str, str] | None = None) -> str:
    """``file`` as GitHub reads an annotation's ``file=``: relative to ``$GITHUB_WORKSPACE``,
    the repository root, when it lies below it. Relative to the working directory, a step run
    in a subdirectory (``working-directory:``) would annotate a file GitHub cannot find."""
    workspace = (os.environ if environ is None else environ).get("GITHUB_WORKSPACE")
    if not workspace:
        return file
    try:
        return Path(file).resolve().relative_to(Path(workspace).resolve()).as_posix()
    except ValueError:  # outside the repository: nothing better to give
        return file


_NAMED = 5
"""How many of the other histories of a change its annotation names."""


def _first_named(verdicts: Sequence[Verdict]) -> str:
    """The files of the first :data:`_NAMED` of ``verdicts``, and how many more."""
    return first_named([printable(display_path(v.path)) for v in verdicts], _NAMED)


def annotation(verdict: Verdict, same: Sequence[Verdict] = ()) -> str:
    """A ``::error`` workflow command for a verdict that is not ``ok``, and for ``same``: the
    failures with its change and fix (the errors with its reason), which it counts and names
    (the first few)."""
    file, line = annotation_target(verdict)
    body = [_headline(verdict, same), f"history: {printable(display_path(verdict.path))}"]
    what: str = verdict.verdict
    if same:
        more = plural(len(same), "more history")
        what += f", and {more}"
        shared = "reason" if verdict.verdict == "error" else "change and fix"
        body.append(f"{more} with the same {shared}: {_first_named(same)}")
    if verdict.diagnosis is not None:
        severities = [v.diagnosis.severity for v in (verdict, *same) if v.diagnosis is not None]
        body.append(f"severity: {'; '.join(dict.fromkeys(severities))}")
        body.extend(verdict.diagnosis.fix())
    return _command("error", verdict, what, file, line, body)


def _headline(verdict: Verdict, same: Sequence[Verdict]) -> str:
    """The annotation's first line: :func:`one_line`; for errors with one reason, that reason
    as :class:`~replaycheck._reasons.Reason` words it for them all."""
    if verdict.verdict != "error" or not same:
        return one_line(verdict)
    from replaycheck._reasons import Reason

    text = Reason(tuple(("", v) for v in (verdict, *same))).text()
    return printable(f"{text} (pinned to {verdict.pinned})" if verdict.pinned else text)


def by_change(failing: Sequence[Verdict]) -> list[tuple[Verdict, list[Verdict]]]:
    """Failures grouped by their change and fix (as the text report's "same change and fix
    as"), the line to annotate and the version they are pinned to (which the first one's
    line says), errors by their reason (as its "same reason as") and that version, in order of
    first appearance: each first one with the others."""
    from replaycheck._reasons import error_key

    groups: list[tuple[Verdict, list[Verdict]]] = []
    first: dict[tuple[object, ...], list[Verdict]] = {}
    for verdict in failing:
        change = diagnosis_key(verdict) or error_key(verdict)
        # an error is annotated on its own history file: the reason alone tells them apart
        place = None if verdict.verdict == "error" else annotation_target(verdict)
        key = None if change is None else (verdict.pinned, place, *change)
        if key is not None and key in first:
            first[key].append(verdict)
            continue
        groups.append((verdict, []))
        if key is not None:
            first[key] = groups[-1][1]
    return groups


def note_annotation(group: NoteGroup) -> str:
    """A ``::warning`` workflow command for a note of ``ok`` verdicts, on the line the note is
    about (the first history's file when it names none): the check passes, the note is still
    seen. The other histories whose note reads the same there it counts and names (the first
    few)."""
    verdict, note = group.first, group.note
    file = note.file or display_path(verdict.path)
    body = [f"ok, but {note.text}", f"history: {printable(display_path(verdict.path))}"]
    what = "ok, with a note"
    if group.same:
        more = plural(len(group.same), "more history")
        what += f", and {more}"
        body.append(f"{more} with the same note: {_first_named(group.same)}")
    return _command("warning", verdict, what, file, note.line, body)


def _command(kind: str, verdict: Verdict, what: str, file: str, line: int, body: list[str]) -> str:
    """``::kind file=F,line=L,title=T::body``; no ``file`` for a live execution's history
    (``live:<workflow-id>/<run-id>`` is no file of the repository: GitHub shows the annotation
    on the run's page, not on a file)."""
    subject = printable(verdict.workflow_type) or "history"
    ident = printable(verdict.workflow_id or Path(verdict.path).name)
    props = [] if file.startswith("live:") else [f"file={_escape_property(workspace_file(file))}"]
    if line and props:
        props.append(f"line={line}")
    props.append(f"title={_escape_property(f'replaycheck: {subject} {ident} {what}')}")
    return f"::{kind} {','.join(props)}::{_escape_data(chr(10).join(body))}"


SHOWN = 10
"""How many ``::error`` annotations GitHub shows a step, and how many ``::warning``; it drops
the rest without a word."""


def _overflow(kind: str, title: str, count: str, firsts: Sequence[Verdict]) -> str:
    """The first ``::kind`` annotation, when there are more of them (``firsts``: the first
    history of each) than GitHub shows a step: ``title``, ``count`` (how many), which of them
    it will not show, and where each is told. All the annotations still follow (another CI may
    show them all)."""
    hidden = firsts[SHOWN - 1 :]
    body = [
        f"{count}; GitHub shows {SHOWN} {kind} annotations a step, this one and the next "
        f"{SHOWN - 1}: the job summary and the text report of `replaycheck check` tell each one",
        f"not shown: the {len(hidden)} from {_first_named(hidden)}",
    ]
    return f"::{kind} title={_escape_property(title)}::{_escape_data(chr(10).join(body))}"


def _error_overflow(groups: Sequence[tuple[Verdict, list[Verdict]]]) -> str:
    """The first ``::error`` annotation when more changes and reasons failed than GitHub shows."""
    count = sum(1 + len(same) for _, same in groups)
    failed = f"{len(groups)} changes or reasons failed"
    firsts = [v for v, _ in groups]
    return _overflow(
        "error", f"replaycheck: {failed}", f"{failed} {plural(count, 'history')}", firsts
    )


def _warning_overflow(groups: Sequence[NoteGroup]) -> str:
    """The first ``::warning`` annotation when there are more notes than GitHub shows."""
    notes = plural(len(groups), "note")
    histories = noted_histories(groups)
    count = f"{notes} on {plural(histories, 'history')} that replay{'s' * (histories == 1)}"
    title = f"replaycheck: {notes} on histories that replay"
    return _overflow("warning", title, count, [g.first for g in groups])


def render_github(verdicts: Sequence[Verdict]) -> str:
    """One ``::error`` annotation per change and per error reason (GitHub shows 10 a step: one
    per history would hide a second change behind ten executions of the first), one
    ``::warning`` per note of ``ok`` histories (each once for all that read it on one line),
    then the summary line."""
    groups = by_change([v for v in verdicts if not v.ok])
    lines = [_error_overflow(groups)] if len(groups) > SHOWN else []
    lines += [annotation(v, same) for v, same in groups]
    notes = by_note(verdicts)
    lines += [_warning_overflow(notes)] if len(notes) > SHOWN else []
    lines += [note_annotation(group) for group in notes]
    lines.append(render_summary(verdicts, annotated=True))
    return "\n".join(lines) + "\n"
