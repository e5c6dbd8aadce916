"""Rendering verdicts for people (text) and machines (JSON, JUnit XML, GitHub)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from replaycheck._commands import TASK_END_CANCELS
from replaycheck._fix_patches import removed_patch_lines as removed_patch_lines
from replaycheck._places import display_file
from replaycheck.diagnose import Diagnosis, severity_of
from replaycheck.verdict import Verdict, exit_code, status_words, summarize

if TYPE_CHECKING:
    from replaycheck.histories import LoadedHistory

FORMATS = ("text", "json", "junit", "github")
"""Values accepted by ``--format``."""

_STYLE = {"ok": ("ok", "green"), "nondeterministic": ("FAIL", "red"), "error": ("ERROR", "yellow")}


def display_path(path: str) -> str:
    """A path relative to the working directory when it lies below it."""
    return display_file(path)


def printable(text: str) -> str:
    """``text`` with its control characters and line breaks escaped (``\\n``): ids and names
    come from histories, and a line of their own could fake a line of the report, or a
    workflow command (``::error::``) in a CI log."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Zl", "Zp")
        else char
        for char in text
    )


def plural(count: int, word: str) -> str:
    """``1 history``, ``2 histories``, ``0 errors``."""
    if count == 1:
        return f"{count} {word}"
    if word.endswith("y"):
        return f"{count} {word[:-1]}ies"
    return f"{count} {word}es" if word.endswith("s") else f"{count} {word}s"


def first_named(names: Sequence[str], shown: int) -> str:
    """The first ``shown`` of ``names``, and how many more: ``a, b, c and 297 more``."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{', '.join(names[:shown])}{more}"


def severity(verdict: Verdict) -> str:
    """What a divergence in this history means for a deploy."""
    if verdict.diagnosis is not None:
        return verdict.diagnosis.severity
    from replaycheck._pinning import pinned_severity

    return pinned_severity(severity_of(verdict.status), printable(verdict.pinned))


def paint(text: str, colour: str, enabled: bool, *, bold: bool = True) -> str:
    if not enabled:
        return text
    import click

    return click.style(text, fg=colour, bold=bold)


def render_verdict(verdict: Verdict, *, color: bool = False) -> str:
    """One history as text: a verdict line, then indented context for failures."""
    if verdict.ok:
        pinned = f" (pinned to {printable(verdict.pinned)})" if verdict.pinned else ""
        return f"{_verdict_line(verdict, color)}  {verdict.message}{pinned}"
    lines = _failure_head(verdict, color)
    if verdict.verdict == "nondeterministic":
        diagnosis = verdict.diagnosis or Diagnosis(verdict.message, severity=severity(verdict))
        lines.extend("      " + line for line in render_diagnosis(diagnosis, color=color))
    return "\n".join(lines)


def _verdict_line(verdict: Verdict, color: bool) -> str:
    """``ok    path`` / ``FAIL  path`` / ``ERROR path``."""
    label, colour = _STYLE[verdict.verdict]
    return f"{paint(f'{label:5}', colour, color)} {printable(display_path(verdict.path))}"


def _failure_head(verdict: Verdict, color: bool) -> list[str]:
    """The verdict line of a failure, which execution it is, and its message."""
    lines = [_verdict_line(verdict, color)]
    if verdict.workflow_type:
        lines.append(
            f"      workflow {printable(verdict.workflow_type)}, id "
            f"{printable(verdict.workflow_id)}, run {printable(verdict.run_id)}, "
            f"{verdict.events} events, {status_words(verdict.status)}"
        )
    lines.append(f"      {printable(verdict.message)}")
    if verdict.pinned:
        from replaycheck._pinning import pinned_text

        text = pinned_text(printable(verdict.pinned), closed=verdict.closed)
        lines.append("      " + _field("pinned", paint(text, "yellow", color), color))
    return lines


INDENT = "    "
"""Continuation lines of a diagnosis field."""
SHOWN_STATEMENT_LINES = 6
"""The statement that issued the command is shown up to this many lines."""


def _field(label: str, value: str, color: bool) -> str:
    return f"{paint(label + ':', 'white', color, bold=False)} {value}".rstrip()


def render_diagnosis(diagnosis: Diagnosis, *, color: bool = False) -> list[str]:
    """A diagnosis as ``label: value`` lines (core's message itself is not repeated)."""
    lines = []
    if diagnosis.located:
        if diagnosis.event_id:
            event = f"event {diagnosis.event_id} ({diagnosis.event_type})"
            lines.append(_field("diverged at", event, color))
        recorded, commanded = diagnosis.told_apart
        lines.append(_field("history recorded", paint(recorded, "green", color), color))
        lines.append(_field("code commanded", "  " + paint(commanded, "red", color), color))
        lines.extend(_location_lines(diagnosis, color))
        if diagnosis.explanation():
            lines.append(_field("change", diagnosis.explanation(), color))
        lines.extend(_timeline_lines(diagnosis, color))
    lines.append(_field("severity", diagnosis.severity, color))
    fix = diagnosis.fix()
    lines.append(_field("fix", fix[0], color))
    lines.extend(fix[1:])  # already indented
    return lines


def _location_lines(diagnosis: Diagnosis, color: bool) -> list[str]:
    lines = []
    if not diagnosis.location:
        if diagnosis.previous:
            last = diagnosis.previous[0].short(full_path=True)
            what = (
                "the code's last command before the workflow task that cancelled"
                if diagnosis.recorded_kind in TASK_END_CANCELS
                else "the code's last matching command"
            )
            lines.append(_field("after", f"{last} ({what})", color))
        if not diagnosis.waits_at:
            return lines
    first, *callers = diagnosis.location[:4] or diagnosis.waits_at[:4]
    label = "issued at" if diagnosis.location else "waits at"
    lines.append(_field(label, paint(first.short(full_path=True), "cyan", color), color))
    code = first.code.splitlines()
    if len(code) > SHOWN_STATEMENT_LINES:  # the fix quotes it whole
        more = len(code) - SHOWN_STATEMENT_LINES + 1
        code = [*code[: SHOWN_STATEMENT_LINES - 1], f"...  ({more} more lines)"]
    lines.extend(f"{INDENT}{line}" for line in code)
    lines.extend(f"  called from {frame.short()}" for frame in callers)
    return lines


def _timeline_lines(diagnosis: Diagnosis, color: bool) -> list[str]:
    rows = diagnosis.timeline
    if not rows:
        return []
    width = max(len(r.recorded) for r in rows) + 2
    code_width = max(len(r.commanded) for r in rows) + 2
    lines = [_field("timeline", "", color), f"{INDENT}  {'event':>5}  {'history':{width}}code"]
    for row in rows:
        event = str(row.event_id) if row.event_id else "-"
        code = f"{row.commanded or '-':{code_width}}{row.at}".rstrip()
        text = f"{'>' if row.diverged else ' '} {event:>5}  {row.recorded or '-':{width}}{code}"
        lines.append(INDENT + (paint(text, "red", color) if row.diverged else text))
    return lines


def render_text(verdicts: Sequence[Verdict], *, color: bool = False) -> str:
    """The default report. A failure whose change and fix one above shows gets its identity,
    where it diverged and its severity, then a pointer; an error whose reason one does, one
    line; an ``ok`` whose note one above has, a pointer in place of the note."""
    from replaycheck._note_groups import by_note, note_lines, pointing
    from replaycheck._reasons import error_key, group_reasons, reason_lines
    from replaycheck._render_summary import render_summary

    def shown(verdict: Verdict) -> str:
        return printable(display_path(verdict.path))

    first: dict[tuple[str, ...], Verdict] = {}
    parts = []
    pointed = pointing(verdicts, shown)
    for verdict in verdicts:
        verdict = pointed.get(id(verdict), verdict)
        key = diagnosis_key(verdict) or error_key(verdict)
        if key is not None and key in first and verdict.verdict == "error":
            same = f"same reason as {printable(display_path(first[key].path))}, above"
            parts.append(f"{_verdict_line(verdict, color)}  {same}")
        elif key is not None and key in first:
            parts.append(render_same(verdict, first[key], color=color))
        else:
            first.update({key: verdict} if key is not None else {})
            parts.append(render_verdict(verdict, color=color))
    errors = group_reasons([(display_path(v.path), v) for v in verdicts if v.verdict == "error"])
    lines = [*note_lines(by_note(verdicts), shown), *reason_lines(errors)]
    reasons = "".join(f"{line}\n" for line in lines)
    return f"{chr(10).join(parts)}\n\n{reasons}{render_summary(verdicts)}\n"


def diagnosis_key(verdict: Verdict) -> tuple[str, ...] | None:
    """What two failures with the same change and fix share (``None``: nothing to share): the
    change, what the history recorded, where and the fix, not what the code commanded instead
    (a removal's next command differs from one branch to the next, its fix does not)."""
    diagnosis = verdict.diagnosis
    if verdict.verdict != "nondeterministic" or diagnosis is None or not diagnosis.located:
        return None
    if diagnosis.change == "id-changed":  # the ids are each execution's own: one change
        fix = (_OWN_IDS.sub("", line) for line in diagnosis.fix())
        return ("id-changed", diagnosis.recorded, diagnosis.where(), *fix)
    return (diagnosis.change, diagnosis.recorded, diagnosis.where(), *diagnosis.fix())


_OWN_IDS = re.compile(r"  # (it gave|the default id).*$")
"""The comment of an id-changed fix that quotes the execution's own old id."""


def render_same(verdict: Verdict, shown: Verdict, *, pointer: str = "", color: bool = False) -> str:
    """A failure whose diagnosis is that of ``shown``, above: its own facts (what its code
    commanded, when that differs), then ``pointer`` (by default: to ``shown``, above)."""
    diagnosis, above = verdict.diagnosis, shown.diagnosis
    assert diagnosis is not None and above is not None
    lines = _failure_head(verdict, color)
    if diagnosis.event_id:
        event = f"event {diagnosis.event_id} ({diagnosis.event_type})"
        lines.append("      " + _field("diverged at", event, color))
    if diagnosis.change != "id-changed" and diagnosis.commanded != above.commanded:
        commanded = paint(diagnosis.told_apart[1], "red", color)
        lines.append("      " + _field("code commanded", commanded, color))
    if diagnosis.change == "id-changed":  # its own ids
        lines.append("      " + _field("change", diagnosis.explanation(), color))
    lines.append("      " + _field("severity", diagnosis.severity, color))
    shown_as = f"{printable(display_path(shown.path))}, above"
    lines.append(f"      {pointer or f'same change and fix as {shown_as}'}")
    return "\n".join(lines)


def render_history(loaded: LoadedHistory) -> str:
    """``replaycheck inspect``: what a history holds, without replaying it."""
    from replaycheck._commands import history_commands

    info = loaded.info
    patches = [p[1:] + " (deprecated)" if p.startswith("~") else p for p in info.patches]
    fields = [
        ("workflow type", info.workflow_type),
        ("workflow id", info.workflow_id),
        ("run id", info.run_id),
        ("status", info.status),
        ("events", f"{info.events} (a replay checks events 1-{info.verified_through})"),
        ("task queue", info.task_queue),
        ("patch markers", ", ".join(patches) or "none"),
    ]
    from replaycheck._pinning import pinned_version

    fields += [("pinned to", v) for v in [pinned_version(loaded.history)] if v]
    lines = [printable(display_path(info.path)), *(f"  {k:15}{printable(v)}" for k, v in fields)]
    commands = history_commands(loaded.history).commands
    width = max((len(c.describe()) for c in commands), default=7) + 2
    lines += ["", f"  {'event':>5}  {'command':{width}}workflow task"]
    lines += [f"  {c.event_id:>5}  {c.describe():{width}}{c.task}" for c in commands]
    if not commands:
        lines.append("  (no commands yet)")
    return "\n".join(lines) + "\n"


def render_json(verdicts: Sequence[Verdict]) -> str:
    """``{"version": 1, "results": [...], "summary": {...}, "exit_code": N}``."""
    doc = {
        "version": 1,
        "results": [v.to_json_dict() for v in verdicts],
        "summary": summarize(list(verdicts)),
        "exit_code": exit_code(list(verdicts)),
    }
    return json.dumps(doc, indent=2) + "\n"


def render(verdicts: Sequence[Verdict], fmt: str, *, color: bool = False) -> str:
    """Render in one of :data:`FORMATS`.

    ``github`` also appends the Markdown job summary to ``$GITHUB_STEP_SUMMARY`` when it is set.
    """
    if fmt == "json":
        return render_json(verdicts)
    if fmt in ("junit", "github"):
        from replaycheck import _render_ci, _render_github

        if fmt == "junit":
            return _render_ci.render_junit(verdicts)
        _render_ci.write_step_summary(verdicts)
        return _render_github.render_github(verdicts)
    return render_text(verdicts, color=color)
