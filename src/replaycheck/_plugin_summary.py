"""The plugin's counts of verdicts and its part of pytest's terminal summary."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from replaycheck._plugin_items import (
    ERROR_ATTRIBUTE,
    FAILURE_ATTRIBUTE,
    MESSAGE_PROPERTY,
    NOTE_PROPERTY,
    NOTED_ATTRIBUTE,
    NOTES_ATTRIBUTE,
    STATUS_PROPERTY,
    VERDICT_PROPERTY,
    failed_verdicts,
    failure_summary,
    next_step_line,
    text_repr,
)

if TYPE_CHECKING:
    from replaycheck._causes import Cause
    from replaycheck._reasons import Reason
    from replaycheck.verdict import Verdict


class VerdictCounter:
    """Counts verdicts from reports (so it works on the xdist controller too) and sums up."""

    def __init__(self) -> None:
        from replaycheck.verdict import VERDICTS

        self.counts = dict.fromkeys(VERDICTS, 0)
        self.xfailed: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        """Of the counts, the items an ``xfail`` mark expected to fail: pytest shows no failure
        for them, so the closing lines do not ask to fix them."""
        self.folders = 0
        """Of the errors, the folders of histories that could not be listed: no histories."""
        self.running = 0
        """``ok`` histories of executions still running: checked only as far as they got."""
        self.failures: list[tuple[str, str]] = []
        """The test id and nondeterministic verdict of each failure, as its report carries it
        (``failure_json``)."""
        self._failed: list[tuple[str, Verdict]] | None = None
        self._causes: list[Cause] | None = None
        self.errors: list[tuple[str, str]] = []
        """The test id and verdict of each error, as its report carries it."""
        self._reasons: list[Reason] | None = None
        self.notes: dict[str, None] = {}
        """The replay workers' notes, each once, in the order they came."""
        self.ok_notes: list[tuple[str, str]] = []
        """``(file, note)`` of each note of an ``ok`` verdict: its item passes, so the note is
        shown here."""
        self.noted: list[tuple[str, str]] = []
        """The file and verdict of each ``ok`` item with notes, as its report carries it
        (``noted_json``), to show the notes that read the same once."""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" or str(report.outcome) == "rerun":  # counted once, by the last
            return
        properties = dict(report.user_properties)
        kind = properties.get(VERDICT_PROPERTY)
        expected = report.skipped and hasattr(report, "wasxfail")  # xfailed, not failed
        if kind in self.counts:
            self.counts[kind] += 1
            self.xfailed[kind] += expected
            self.running += kind == "ok" and properties.get(STATUS_PROPERTY) == "RUNNING"
            self.folders += _unlisted(kind, properties.get(MESSAGE_PROPERTY))
        path = report.nodeid.split("::")[0]
        self.ok_notes += [(path, str(v)) for k, v in report.user_properties if k == NOTE_PROPERTY]
        self.notes.update(dict.fromkeys(getattr(report, NOTES_ATTRIBUTE, None) or ()))
        noted = getattr(report, NOTED_ATTRIBUTE, None)
        if isinstance(noted, str):
            self.noted.append((path, noted))
        failure = getattr(report, FAILURE_ATTRIBUTE, None)
        if isinstance(failure, str) and not expected:
            self.failures.append((report.nodeid, failure))
        error = getattr(report, ERROR_ATTRIBUTE, None)
        if isinstance(error, str) and not expected:
            self.errors.append((report.nodeid, error))

    @pytest.hookimpl(wrapper=True, tryfirst=True, specname="pytest_terminal_summary")
    def pytest_terminal_summary_shorten(
        self, terminalreporter: Any, config: pytest.Config
    ) -> Generator[None]:
        """Before pytest shows the failures (the JUnit XML already holds each one's full text):
        a failure whose cause one shown before it shows in full points to that one instead.
        (pytest registers only hooks named ``pytest_*``: hence the name and ``specname``.)"""
        if (self.failures or self.errors) and _shortens(config):
            _shorten(terminalreporter.stats.get("failed", []), self.causes(), self.reasons())
        return (yield)

    def failed(self) -> list[tuple[str, Verdict]]:
        """The test id and verdict of each failure (read from their reports once)."""
        if self._failed is None:
            verdicts = failed_verdicts([failure for _, failure in self.failures])
            ids = [test_id for test_id, _ in self.failures]
            self._failed = list(zip(ids, verdicts, strict=True))
        return self._failed

    def causes(self) -> list[Cause]:
        """The failures grouped by cause, each fix as the whole run reads it, as ``check``
        (grouped once: the failures' shortening and the summary both ask)."""
        from replaycheck._causes import group_causes
        from replaycheck._run_fixes import reconcile

        if self._causes is None:
            failed = self.failed()
            self._causes = group_causes(failed, reconcile([verdict for _, verdict in failed]))
        return self._causes

    def reasons(self) -> list[Reason]:
        """The errors grouped by reason (grouped once, as :meth:`causes`)."""
        from replaycheck._reasons import group_reasons

        if self._reasons is None:
            verdicts = failed_verdicts([error for _, error in self.errors])
            ids = [test_id for test_id, _ in self.errors]
            self._reasons = group_reasons(list(zip(ids, verdicts, strict=True)))
        return self._reasons

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        from replaycheck._render_summary import counted_entries, running_line
        from replaycheck.report import plural

        ok, bad, err = (self.counts[k] for k in ("ok", "nondeterministic", "error"))
        warnings = _hidden_header_warnings(config)
        if not ok + bad + err + len(warnings):
            return
        terminalreporter.write_sep("=", "replaycheck")
        if ok + bad + err:
            terminalreporter.write_line(
                f"{counted_entries(ok + bad + err, self.folders)}: {ok} ok, {bad} nondeterministic"
                f"{self._marked('nondeterministic')}, {plural(err, 'error')}{self._marked('error')}"
            )
        for line in warnings:
            terminalreporter.write_line(line)
        if self.running:
            terminalreporter.write_line(running_line(self.running))
        grouped = self._note_lines(config)
        for line in grouped or [f"{path}: ok, but {note}" for path, note in self.ok_notes]:
            terminalreporter.write_line(line)
        for note in self.notes:
            terminalreporter.write_line(f"note: {note}")
        for line in self._next_steps(config):
            terminalreporter.write_line(line)

    def _note_lines(self, config: pytest.Config) -> list[str]:
        """The notes of ``ok`` items that read the same, each once with how many have it (as
        ``check`` lists them); none under ``-v``, or when no two items have one note: then
        each item's notes are shown as they are."""
        from replaycheck._note_groups import by_note, note_lines

        if config.get_verbosity() > 0 or len(self.noted) < 2:
            return []
        noted = sorted(self.noted)  # by file: under xdist, reports come in any order
        verdicts = failed_verdicts([verdict for _, verdict in noted])
        paths = {id(verdict): path for (path, _), verdict in zip(noted, verdicts, strict=True)}
        groups = by_note(verdicts)
        return note_lines(groups, lambda verdict: paths[id(verdict)], shown=" (-v: each in full)")

    def _next_steps(self, config: pytest.Config) -> list[str]:
        """What to do about the failures pytest showed (not those an ``xfail`` expected)."""
        from replaycheck._causes import cause_lines
        from replaycheck._reasons import reason_lines
        from replaycheck._render_summary import errors_hint

        lines = cause_lines(self.causes(), shown=_where_in_full(config, "cause", "failure"))
        if self.failures:
            failed = [verdict for _, verdict in self.failed()]
            lines += [next_step_line(failed, by_cause=bool(lines)), *failure_summary(failed)]
        if self.counts["error"] > self.xfailed["error"]:
            lines += reason_lines(self.reasons(), shown=_where_in_full(config, "reason", "error"))
            histories = self.counts["error"] - self.xfailed["error"] - self.folders
            lines.append(
                errors_hint(max(histories, 0), self.folders, "with errors", ", then run again")
            )
        hidden = _hidden_failures_line(config)
        return [*lines, hidden] if lines and hidden else lines

    def _marked(self, kind: str) -> str:
        """`` (1 marked xfail)`` after a count some of whose items xfail expected, else ``""``."""
        return f" ({self.xfailed[kind]} marked xfail)" if self.xfailed[kind] else ""


def _tb_style(config: pytest.Config) -> str:
    return str(config.getoption("tbstyle", "auto"))


def _shortens(config: pytest.Config) -> bool:
    """Whether a failure whose cause one above shows in full is shown in short: not with
    ``-v`` or ``--tb=long``, which ask for everything."""
    return config.get_verbosity() <= 0 and _tb_style(config) not in ("long", "line", "no")


def _where_in_full(config: pytest.Config, group: str, item: str) -> str:
    """Where the failures (``item``) of the cause (or reason: ``group``) lines are in full,
    after their count."""
    if _tb_style(config) in ("line", "no"):
        return ""
    if _shortens(config):
        return (
            f"; each {group}'s first {item} above shows it in full, the others point to it "
            "(-v or --tb=long: each in full)"
        )
    return f", each {item} above in full"


def _shorten(reports: list[Any], causes: list[Cause], reasons: list[Reason]) -> None:
    """Each failure of a cause after its first, and each error of a reason after its first,
    among ``reports``, in short (see :func:`~replaycheck._causes.repeated_text`)."""
    from replaycheck._causes import repeated_error, repeated_text

    repeated = {
        test_id: repeated_text(verdict, cause.first)
        for cause in causes
        for test_id, verdict in cause.failures[1:]
    }
    repeated |= {
        test_id: repeated_error(verdict, reason.first[0])
        for reason in reasons
        for test_id, verdict in reason.errors[1:]
    }
    for report in reports:
        crash = getattr(report.longrepr, "reprcrash", None)
        if report.when == "call" and report.nodeid in repeated and crash is not None:
            report.longrepr = text_repr(repeated[report.nodeid], crash)


def _hidden_failures_line(config: pytest.Config) -> str | None:
    """What to do when ``--tb=no`` or ``--tb=line`` left out the diagnosis and the fix that
    the lines above point to, else ``None``."""
    style = _tb_style(config)
    if style not in ("no", "line"):
        return None
    return (
        f"--tb={style} left out each failure's diagnosis and fix: run pytest again without it "
        "(or run 'replaycheck check') to see them."
    )


def _hidden_header_warnings(config: pytest.Config) -> list[str]:
    """The header's warnings (an installed copy imported, histories left out) when pytest did
    not print the header (``-q``, ``--no-header``): else nothing would say them."""
    from replaycheck._plugin_config import header_shown_key, settings_key, setup_warnings

    settings = config.stash.get(settings_key, None)
    if settings is None or config.stash.get(header_shown_key, False):
        return []
    return setup_warnings(config, settings)


class NoHistoriesLine:
    """The header's line that no histories are collected (none configured, none exported
    yet), repeated in the terminal summary when pytest did not print the header (``-q``,
    ``--no-header``): else nothing would say why no history ran."""

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        from replaycheck._plugin_config import header_shown_key, no_histories_line

        lines = [] if config.stash.get(header_shown_key, False) else no_histories_line(config)
        if lines:
            terminalreporter.write_sep("=", "replaycheck")
        for line in lines:
            terminalreporter.write_line(line)


def _unlisted(kind: str, message: object) -> bool:
    """Whether an item's verdict ``kind`` and ``message`` are of a folder that could not be
    listed (one item, which fails, but no history)."""
    if kind != "error" or not isinstance(message, str):
        return False
    from replaycheck._discovery import is_unlisted

    return is_unlisted(kind, message)
