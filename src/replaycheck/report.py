"""Rendering verdicts for people (text) and machines (JSON, JUnit XML, GitHub)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from replaycheck.verdict import Verdict, exit_code, summarize

FORMATS = ("text", "json")
"""Values accepted by ``--format``."""

_STYLE = {"ok": ("ok", "green"), "nondeterministic": ("FAIL", "red"), "error": ("ERROR", "yellow")}


def display_path(path: str) -> str:
    """A path relative to the working directory when it lies below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def plural(count: int, word: str) -> str:
    """``1 history``, ``2 histories``, ``0 errors``."""
    if count == 1:
        return f"{count} {word}"
    if word.endswith("y"):
        return f"{count} {word[:-1]}ies"
    return f"{count} {word}es" if word.endswith("s") else f"{count} {word}s"


def severity(verdict: Verdict) -> str:
    """What a divergence in this history means for a deploy."""
    if verdict.status == "RUNNING":
        return "breaks in-flight executions"
    return "breaks queries and resets of closed executions"


def _paint(text: str, colour: str, enabled: bool) -> str:
    if not enabled:
        return text
    import click

    return click.style(text, fg=colour, bold=True)


def render_verdict(verdict: Verdict, *, color: bool = False) -> str:
    """One history as text: a verdict line, then indented context for failures."""
    label, colour = _STYLE[verdict.verdict]
    head = f"{_paint(f'{label:5}', colour, color)} {display_path(verdict.path)}"
    if verdict.ok:
        return f"{head}  {verdict.message}"
    lines = [head]
    if verdict.workflow_type:
        lines.append(
            f"      workflow {verdict.workflow_type}, id {verdict.workflow_id}, "
            f"run {verdict.run_id}, {verdict.events} events, {verdict.status.lower()}"
        )
    lines.append(f"      {verdict.message}")
    if verdict.verdict == "nondeterministic":
        lines.append(f"      severity: {severity(verdict)}")
        lines.append(
            "      fix: gate the change with `if workflow.patched(\"<change-id>\"):` "
            "(new code) / `else:` (old code)"
        )
    return "\n".join(lines)


def render_summary(verdicts: Sequence[Verdict]) -> str:
    """The closing line(s): counts, then what to do next when something failed."""
    counts = summarize(list(verdicts))
    line = (
        f"{plural(len(verdicts), 'history')}: {counts['ok']} ok, "
        f"{counts['nondeterministic']} nondeterministic, {plural(counts['error'], 'error')}"
    )
    if counts["nondeterministic"]:
        line += (
            "\nThe new code would break the histories marked FAIL: gate the change with "
            "workflow.patched() (see docs/versioning.md)."
        )
    if counts["error"]:
        line += "\nHistories marked ERROR were not checked: fix the reason shown and run again."
    return line


def render_text(verdicts: Sequence[Verdict], *, color: bool = False) -> str:
    """The default report."""
    body = "\n".join(render_verdict(v, color=color) for v in verdicts)
    return f"{body}\n\n{render_summary(verdicts)}\n"


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
    """Render in one of :data:`FORMATS`."""
    if fmt == "json":
        return render_json(verdicts)
    return render_text(verdicts, color=color)
