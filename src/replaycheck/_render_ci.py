"""CI renderings of verdicts: JUnit XML and GitHub Actions annotations plus job summary.

Split from ``replaycheck.report``, whose ``render`` dispatches here; the text rendering of one
verdict, which every format here embeds, stays there.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from xml.etree import ElementTree as ET

from replaycheck._render_summary import count_running, counted, running_line
from replaycheck.errors import ConfigError
from replaycheck.report import display_path, first_named, plural, printable, render_verdict
from replaycheck.verdict import Verdict, summarize

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """``text`` as XML 1.0 allows it: control characters escaped as the text report escapes
    them, the noncharacters XML forbids besides replaced."""
    return _XML_ILLEGAL.sub("?", printable(text))


def one_line(verdict: Verdict) -> str:
    """The verdict in one line: the diagnosis headline, else the message (and the version a
    pinned execution is pinned to), control characters escaped as the text report does."""
    text = verdict.diagnosis.headline() if verdict.diagnosis is not None else verdict.message
    return printable(f"{text} (pinned to {verdict.pinned})" if verdict.pinned else text)


# --------------------------------------------------------------------------- JUnit XML


def render_junit(verdicts: Sequence[Verdict], *, timestamp: datetime | None = None) -> str:
    """One ``<testsuite>`` in ``<testsuites>``, one ``<testcase>`` per history, valid against
    the JUnit schema of Jenkins' xunit plugin, which pytest checks its own XML against.

    ``classname`` is the workflow type and ``name`` the history file; a ``nondeterministic``
    verdict is a ``<failure>`` (message: the diagnosis in one line, body: the full text report),
    an ``error`` verdict an ``<error>``.
    """
    counts = summarize(list(verdicts))
    totals = {
        "tests": str(len(verdicts)),
        "failures": str(counts["nondeterministic"]),
        "errors": str(counts["error"]),
        "time": f"{sum(v.seconds for v in verdicts):.3f}",
    }
    # No ``skipped`` on <testsuites>: the JUnit schema of Jenkins' xunit plugin and pytest
    # (junit-10.xsd) allows it on <testsuite> only, and readers take it from there.
    root = ET.Element("testsuites", {"name": "replaycheck", **totals})
    stamp = (timestamp or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    suite_attributes = {"name": "replaycheck", **totals, "skipped": "0", "timestamp": stamp}
    suite = ET.SubElement(root, "testsuite", suite_attributes)
    for verdict in verdicts:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_xml_text(verdict.workflow_type) or "replaycheck",
            name=_xml_text(display_path(verdict.path)),
            time=f"{verdict.seconds:.3f}",
        )
        if verdict.verdict == "ok":
            pinned = f" (pinned to {verdict.pinned})" if verdict.pinned else ""
            ET.SubElement(case, "system-out").text = _xml_text(verdict.message + pinned)
            continue
        tag = "failure" if verdict.verdict == "nondeterministic" else "error"
        element = ET.SubElement(
            case, tag, message=_xml_text(one_line(verdict)), type=verdict.verdict
        )
        # the report's line breaks stay: the body is read as the text report reads
        element.text = "\n".join(map(_xml_text, render_verdict(verdict).split("\n")))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- GitHub Actions


_MARKDOWN = re.compile(r"\\(?=[!-/:-@[-`{-~])|[`*_\[\]~|]|[<>&]")
"""What Markdown reads in text: a backslash before ASCII punctuation (an escape), the
characters of code spans, emphasis, links, strikethrough and table cells, and HTML's."""


def _text(text: str) -> str:
    """``text`` (already :func:`printable`) as Markdown shows it literally, in a paragraph or
    a table cell: its Markdown escaped with backslashes, its HTML as entities."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return html.escape(char) if char in "<>&" else "\\" + char

    return _MARKDOWN.sub(escape, text)


def _code(text: str, *, cell: bool = False) -> str:
    """``text`` (already :func:`printable`) in a code span that shows it as it is: fenced by
    more backticks than its longest run, padded where it begins or ends with a backtick or a
    space (which the span would strip); in a table ``cell``, ``|`` escaped, which GitHub reads
    before the span and removes."""
    fence = "`" * (1 + max(map(len, re.findall("`+", text)), default=0))
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if cell else span


SUMMARY_BUDGET = 1000 * 1024
"""Bytes of job summary a step may hold as far as replaycheck writes: GitHub drops a step's
whole summary past 1024 KiB, so a run with many failures leaves out its last reports (and
table rows) rather than losing everything."""

_CLOSING_ROOM = 300
"""Bytes of the budget kept for the closing line saying what was left out (about 130 at
most), so that line always fits."""


def step_summary(verdicts: Sequence[Verdict], *, budget: int = SUMMARY_BUDGET) -> str:
    """The Markdown job summary: counts, a table of failures, and each failure's full report,
    in at most ``budget`` bytes (of UTF-8) but for the counts."""
    counts = summarize(list(verdicts))
    lines = [
        f"### replaycheck: {counted(verdicts)}, {counts['ok']} ok, "
        f"{counts['nondeterministic']} nondeterministic, {plural(counts['error'], 'error')}",
        "",
    ]
    running = count_running(verdicts)
    if running:
        lines += [running_line(running), ""]
    bad = [v for v in verdicts if not v.ok]
    if any(v.pinned for v in bad):
        from replaycheck._pinning import pinned_summary

        lines += [pinned_summary([_text(printable(v.pinned)) for v in bad if v.pinned]), ""]
    notes = _note_lines(verdicts)
    if notes:
        lines += ["Notes on histories that replay:", "", *notes, ""]
    if not bad:
        return "\n".join([*lines, "Every history replays against the new code.", ""])
    lines += ["| verdict | history | workflow | diagnosis |", "|---|---|---|---|"]
    rows, reports = [], []
    for v in bad:
        label = "FAIL" if v.verdict == "nondeterministic" else "ERROR"
        path = printable(display_path(v.path))
        cells = [_code(path, cell=True), _text(printable(v.workflow_type)), _text(one_line(v))]
        rows.append("| " + " | ".join([label, *cells]) + " |")
        report = ["", f"<details><summary><code>{html.escape(path)}</code></summary>", ""]
        reports.append("\n".join([*report, "```text", render_verdict(v), "```", "", "</details>"]))
    return _within("\n".join(lines), rows, reports, budget)


_NAMED = 5
"""How many of the other histories with a note its line names."""


def _note_lines(verdicts: Sequence[Verdict]) -> list[str]:
    """One list item per note of ``ok`` histories, as ``--format github`` warns of it: the
    notes that read the same on one line once, with how many more histories have it and the
    first few of them."""
    from replaycheck._note_groups import by_note

    lines = []
    for group in by_note(verdicts):
        path = _code(printable(display_path(group.first.path)))
        line = f"- {path}: ok, but {_text(printable(group.note.text))}"
        if group.same:
            names = [_code(printable(display_path(v.path))) for v in group.same]
            line += f" ({plural(len(group.same), 'more history')} with the same note: "
            line += f"{first_named(names, _NAMED)})"
        lines.append(line)
    return lines


def _utf8(text: str) -> bytes:
    """``text`` as the summary file gets it: a file name that is not UTF-8 (undecodable bytes
    kept as surrogates) escaped, as in a report written with ``-o``."""
    return text.encode("utf-8", "backslashreplace")


def _within(head: str, rows: list[str], reports: list[str], budget: int) -> str:
    """The summary's table rows, then its reports, as many as ``budget`` holds, and a line
    saying what was left out."""
    room = budget - len(_utf8(head)) - _CLOSING_ROOM
    kept: list[str] = []
    for part in [*rows, *reports]:
        room -= len(_utf8(part)) + 1
        if room < 0:
            break
        kept.append(part)
    text = "\n".join([head, *kept]) + "\n"
    if len(kept) == len(rows) + len(reports):
        return text
    if len(kept) < len(rows):
        left = f"{plural(len(rows) - len(kept), 'more failure')} and every report are"
    else:
        left = f"the reports of {plural(len(rows) + len(reports) - len(kept), 'more failure')} are"
    return (
        f"{text}\n{left[0].upper()}{left[1:]} left out: GitHub drops a job summary past 1 MiB; "
        "`replaycheck check` prints each one.\n"
    )


def write_step_summary(
    verdicts: Sequence[Verdict], environ: Mapping[str, str] | None = None
) -> Path | None:
    """Append :func:`step_summary` to ``$GITHUB_STEP_SUMMARY`` when it is set.

    Raises:
        ConfigError: the file cannot be appended to.
    """
    target = _summary_file(environ)
    if not target:
        return None
    try:  # what the step wrote there before counts towards GitHub's limit too
        taken = os.path.getsize(target)
    except OSError:
        taken = 0
    return _append_summary(step_summary(verdicts, budget=SUMMARY_BUDGET - taken), target)


def check_step_summary(environ: Mapping[str, str] | None = None) -> None:
    """Fail before any work when ``$GITHUB_STEP_SUMMARY`` is set but cannot be appended to.

    Raises:
        ConfigError: the file cannot be opened for appending.
    """
    target = _summary_file(environ)
    if target:
        _append_summary("", target)


def _summary_file(environ: Mapping[str, str] | None) -> str:
    """``$GITHUB_STEP_SUMMARY`` (``""`` when unset)."""
    return (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY", "")


def _append_summary(text: str, target: str) -> Path:
    path = Path(target)
    try:
        # Non-blocking: a fifo nobody reads fails at once instead of hanging the run. Windows
        # (a windows-latest runner) has no fifos and no O_NONBLOCK, and needs O_BINARY.
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "ab") as handle:
            handle.write(_utf8(text))
    except OSError as exc:
        raise ConfigError(
            f"cannot append the job summary to GITHUB_STEP_SUMMARY={target} "
            f"({exc.strerror or exc}); point it at a writable file or unset it."
        ) from None
    return path
