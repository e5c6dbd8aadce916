"""The plugin's counts of verdicts and its part of pytest's terminal summary."""

from __future__ import annotations

from typing import Any

import pytest

from replaycheck._plugin_items import (
    FAILURE_ATTRIBUTE,
    NOTE_PROPERTY,
    NOTES_ATTRIBUTE,
    STATUS_PROPERTY,
    VERDICT_PROPERTY,
    failed_verdicts,
    failure_summary,
    next_step_line,
)


class VerdictCounter:
    """Counts verdicts from reports (so it works on the xdist controller too) and sums up."""

    def __init__(self) -> None:
        from replaycheck.verdict import VERDICTS

        self.counts = dict.fromkeys(VERDICTS, 0)
        self.xfailed: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        """Of the counts, the items an ``xfail`` mark expected to fail: pytest shows no failure
        for them, so the closing lines do not ask to fix them."""
        self.running = 0
        """``ok`` histories of executions still running: checked only as far as they got."""
        self.failures: list[str] = []
        """The nondeterministic verdicts, as their reports carry them (``failure_json``)."""
        self.notes: dict[str, None] = {}
        """The replay workers' notes, each once, in the order they came."""
        self.ok_notes: list[tuple[str, str]] = []
        """``(file, note)`` of each note of an ``ok`` verdict: its item passes, so the note is
        shown here."""

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
        path = report.nodeid.split("::")[0]
        self.ok_notes += [(path, str(v)) for k, v in report.user_properties if k == NOTE_PROPERTY]
        self.notes.update(dict.fromkeys(getattr(report, NOTES_ATTRIBUTE, None) or ()))
        failure = getattr(report, FAILURE_ATTRIBUTE, None)
        if isinstance(failure, str) and not expected:
            self.failures.append(failure)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        from replaycheck.report import plural, running_line

        ok, bad, err = (self.counts[k] for k in ("ok", "nondeterministic", "error"))
        warnings = _hidden_header_warnings(config)
        if not ok + bad + err + len(warnings):
            return
        terminalreporter.write_sep("=", "replaycheck")
        if ok + bad + err:
            terminalreporter.write_line(
                f"{plural(ok + bad + err, 'history')}: {ok} ok, {bad} nondeterministic"
                f"{self._marked('nondeterministic')}, {plural(err, 'error')}{self._marked('error')}"
            )
        for line in warnings:
            terminalreporter.write_line(line)
        if self.running:
            terminalreporter.write_line(running_line(self.running))
        for path, note in self.ok_notes:
            terminalreporter.write_line(f"{path}: ok, but {note}")
        for note in self.notes:
            terminalreporter.write_line(f"note: {note}")
        for line in self._next_steps(config):
            terminalreporter.write_line(line)

    def _next_steps(self, config: pytest.Config) -> list[str]:
        """What to do about the failures pytest showed (not those an ``xfail`` expected)."""
        lines = []
        if self.failures:
            failed = failed_verdicts(self.failures)
            lines += [next_step_line(failed), *failure_summary(failed)]
        if self.counts["error"] > self.xfailed["error"]:
            lines.append(
                "Histories with errors could not be replayed to the end: fix the reason "
                "shown, then run again."
            )
        hidden = _hidden_failures_line(config)
        return [*lines, hidden] if lines and hidden else lines

    def _marked(self, kind: str) -> str:
        """`` (1 marked xfail)`` after a count some of whose items xfail expected, else ``""``."""
        return f" ({self.xfailed[kind]} marked xfail)" if self.xfailed[kind] else ""


def _hidden_failures_line(config: pytest.Config) -> str | None:
    """What to do when ``--tb=no`` or ``--tb=line`` left out the diagnosis and the fix that
    the lines above point to, else ``None``."""
    style = config.getoption("tbstyle", "auto")
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
