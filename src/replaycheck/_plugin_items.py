"""The pytest items of the plugin: one per stored history, its failure text and JUnit XML
classname, and the run's closing lines on its failures."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from replaycheck._plugin_config import failure_told_key, ran_key, runner_key, within
from replaycheck.errors import ReplaycheckError

if TYPE_CHECKING:
    from replaycheck.verdict import Verdict

VERDICT_PROPERTY = "replaycheck_verdict"
STATUS_PROPERTY = "replaycheck_status"
MESSAGE_PROPERTY = "replaycheck_message"
SECONDS_PROPERTY = "replaycheck_seconds"
NOTE_PROPERTY = "replaycheck_note"
"""One per note of an ``ok`` verdict (``Verdict.notes``): its item passes, so the run's closing
lines repeat it."""
PROPERTIES = frozenset(
    {VERDICT_PROPERTY, STATUS_PROPERTY, MESSAGE_PROPERTY, SECONDS_PROPERTY, NOTE_PROPERTY}
)
FAILURE_ATTRIBUTE = "replaycheck_failure"
"""A nondeterministic item's call report carries its verdict here, as JSON, for the run's
closing lines: it reaches the xdist controller with the report, and JUnit XML leaves it out
(it writes user properties)."""
ERROR_ATTRIBUTE = "replaycheck_error"
"""An error item's call report carries its verdict here, as JSON (``failure_json``), so the
run's closing lines can group the errors by reason, on the xdist controller too."""
NOTES_ATTRIBUTE = "replaycheck_notes"
"""A history item's call report carries here the replay worker's notes that came with its
verdict (e.g. that pydantic models go through temporalio's default converter), for the run's
closing lines, on the xdist controller too."""
NOTED_ATTRIBUTE = "replaycheck_noted"
"""An ``ok`` item's call report carries here its verdict, as JSON (:func:`noted_json`), when it
has notes, so the run's closing lines can show the notes that read the same once, on the xdist
controller too (JUnit XML leaves it out, as it does ``FAILURE_ATTRIBUTE``)."""
noted_key = pytest.StashKey[str]()
"""An item's :func:`noted_json` of its ``ok`` verdict with notes (else ``""``), for its report."""
CLASSNAME_ATTRIBUTE = "replaycheck_classname"
"""Every report of a history item carries its JUnit XML classname here (:func:`junit_classname`):
it reaches the xdist controller, which writes the XML, with the report."""
MARKER = "replaycheck"
"""Every history item carries it: ``-m replaycheck`` selects them, ``-m "not replaycheck"`` not."""


class HistoryFile(pytest.File):
    """A stored history; it holds one item, ``replay``."""

    def collect(self) -> Iterator[ReplayItem]:
        item = ReplayItem.from_parent(self, name="replay")
        item.add_marker(MARKER)
        yield item


class ReplayFailed(Exception):
    """The history's verdict is not ``ok``."""

    def __init__(self, verdict: Verdict, *, run_wide: bool = False) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict
        self.run_wide = run_wide
        """The workflows did not load: every item says so, each after the first in short
        already, so the summary does not group them by reason."""


class ReplayItem(pytest.Item):
    """Replays one history against the configured workflow code."""

    def runtest(self) -> None:
        runner = self.config.stash[runner_key]
        if self.stash.get(ran_key, False):  # run again (pytest-rerunfailures): replay again
            runner.forget(str(self.path))
        self.stash[ran_key] = True
        run_wide = False
        try:
            verdict = runner.verdict(str(self.path))
        except ReplaycheckError as exc:
            from replaycheck.verdict import Verdict

            # The workflows did not load: the first item says why in full, the rest in short.
            message = str(exc)
            if self.config.stash.get(failure_told_key, False):
                message = f"not replayed: {message.split(';')[0]} (the first history item says why)"
            self.config.stash[failure_told_key] = True
            verdict = Verdict(path=str(self.path), verdict="error", message=message)
            run_wide = True
        self.stash[noted_key] = noted_json(verdict) if verdict.ok and verdict.notes else ""
        if verdict.output:  # shown as the item's "Captured stderr", as for any test
            self.add_report_section("call", "stderr", verdict.output)
        # Reach the xdist controller and JUnit XML: e.g. how much of a running one was checked.
        # A run again replaces what the run before said.
        self.user_properties[:] = [p for p in self.user_properties if p[0] not in PROPERTIES]
        self.user_properties.extend(
            [
                (VERDICT_PROPERTY, verdict.verdict),
                (STATUS_PROPERTY, verdict.status),
                (MESSAGE_PROPERTY, verdict.message),
                # Items replay ahead of their turn: the item's own time is mostly waiting.
                (SECONDS_PROPERTY, verdict.seconds),
                *[(NOTE_PROPERTY, note.text) for note in verdict.notes],
            ]
        )
        if not verdict.ok:
            raise ReplayFailed(verdict, run_wide=run_wide)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        if isinstance(excinfo.value, ReplayFailed):
            line_only = self.config.getoption("tbstyle", "auto") == "line"
            return verdict_repr(excinfo.value.verdict, line_only=line_only)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int, str]:
        # The failure's title: two type directories may hold files of the same name.
        shown = (
            self.path.relative_to(self.config.rootpath)
            if within(self.path, [self.config.rootpath])
            else self.path
        )
        # A line number, though a history has none: pytest asserts one for a skip mark.
        return self.path, 0, f"replay {shown}"


def junit_classname(nodeid: str) -> str:
    """A history item's JUnit XML classname: its file's path, dotted, with the file as the class.

    pytest's own is the path with its ``/`` as dots, a module's ``.py`` left out; CI viewers
    split it at its last dot into package and class, which for a history would be ``json``.
    The history's ending goes too, and the dots left in its name become ``_``.
    """
    from replaycheck._history_names import history_stem

    directory, _, name = nodeid.rpartition("::")[0].rpartition("/")
    stem = (history_stem(name) or name).replace(".", "_")
    return f"{directory.replace('/', '.')}.{stem}" if directory else stem


class JunitClassnames:
    """Gives each history item its classname in the JUnit XML that this process writes (the
    xdist controller's under xdist: the XML of a worker's reports is written there)."""

    def __init__(self, xml: Any) -> None:
        self.xml = xml

    @pytest.hookimpl(tryfirst=True)  # before junitxml records the report
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        classname = getattr(report, CLASSNAME_ATTRIBUTE, None)
        if not isinstance(classname, str):
            return
        prefix = getattr(self.xml, "prefix", None)  # --junitprefix
        try:
            # What the record_xml_attribute fixture does, without its warning: junitxml keeps
            # an attribute set before it records a report over its own.
            reporter = self.xml.node_reporter(report)
            reporter.add_attribute("classname", f"{prefix}.{classname}" if prefix else classname)
        except (AttributeError, TypeError):  # pytest changed its internals: its own classname
            return


def junit_xml(config: pytest.Config) -> Any:
    """pytest's JUnit XML writer of this process (``--junitxml``), or ``None``; ``None`` too
    if pytest's internals differ."""
    try:
        from _pytest.junitxml import xml_key
    except ImportError:
        return None
    xml = config.stash.get(xml_key, None)
    return xml if callable(getattr(xml, "node_reporter", None)) else None


def verdict_repr(verdict: Verdict, *, line_only: bool = False) -> Any:
    """The failure text, with the verdict in one line as its "crash" message.

    The short summary (``-r``, in full on CI), ``--tb=line`` (``line_only``: that line alone)
    and JUnit XML's ``message`` attribute show that line instead of the whole report; it is
    built from pytest's own report parts, so xdist ships it to the controller intact. Falls
    back to the text alone.
    """
    from replaycheck._render_ci import one_line
    from replaycheck.report import display_path, render_verdict

    text = render_verdict(verdict)
    try:
        from _pytest._code.code import ReprFileLocation

        crash = f"{verdict.verdict}: {one_line(verdict)}"
        location = ReprFileLocation(display_path(verdict.path), 1, crash)
        return text_repr(None if line_only else text, location)
    except (ImportError, TypeError):  # pytest changed its internals: the text still says it all
        return text


def text_repr(text: str | None, crash: Any) -> Any:
    """A failure's report part that shows ``text`` (none: nothing but ``crash``, its one line)."""
    from _pytest._code.code import ReprEntryNative, ReprExceptionInfo, ReprTraceback

    entries = [] if text is None else [ReprEntryNative([text + "\n"])]
    return ReprExceptionInfo(reprtraceback=ReprTraceback(entries, None, "native"), reprcrash=crash)


def failure_json(verdict: Verdict) -> str:
    """What the run's closing lines need of a nondeterministic verdict (its diagnosis), and
    the terminal's shortened text of a failure with the cause of one above (its execution)."""
    import json

    diagnosis = verdict.diagnosis.to_json_dict() if verdict.diagnosis is not None else None
    return json.dumps(
        {"path": verdict.path, "verdict": verdict.verdict, "message": verdict.message,
         "workflow_type": verdict.workflow_type, "workflow_id": verdict.workflow_id,
         "run_id": verdict.run_id, "events": verdict.events, "status": verdict.status,
         "diagnosis": diagnosis, "pinned": verdict.pinned}
    )  # fmt: skip


def noted_json(verdict: Verdict) -> str:
    """What the run's closing lines need of an ``ok`` verdict with notes: its notes and what
    tells its own parts apart in them (file, ids); read back by :func:`failed_verdicts`."""
    import json

    left_out = ("output", "detail", "patches")
    return json.dumps({k: v for k, v in verdict.to_json_dict().items() if k not in left_out})


def failed_verdicts(failures: Sequence[str]) -> list[Verdict]:
    """The run's nondeterministic verdicts, from their :func:`failure_json` (or the ``ok`` ones
    with notes, from their :func:`noted_json`)."""
    import json

    from replaycheck.verdict import Verdict

    return [Verdict.from_json_dict(json.loads(text)) for text in failures]


def next_step_line(failed: Sequence[Verdict], *, by_cause: bool = False) -> str:
    """What to do about the run's failures (:func:`failed_verdicts`): gate the change, go back
    to a gate ``deprecate_patch()`` replaced too early, or fix each as its failure shows (its
    cause, ``by_cause``: the lines above list the causes)."""
    from replaycheck._render_summary import what_to_do

    if by_cause:
        what = what_to_do(failed, shown="under each cause above", own="under its cause above")
    else:
        what = what_to_do(failed, shown="in each failure", own="in its failure")
    return f"Fix the histories that failed above, then run again: {what}."


def failure_summary(failed: Sequence[Verdict]) -> list[str]:
    """The run's closing lines on its failures (:func:`failed_verdicts`): what to do about each
    removed patch gate, over all of them (an item's own failure text is its history's alone:
    xdist replays them apart), then the failures of pinned executions."""
    from replaycheck._pinning import pinned_summary
    from replaycheck._run_fixes import reconcile
    from replaycheck.report import removed_patch_lines

    pinned = [v.pinned for v in failed if v.pinned]
    lines = removed_patch_lines(reconcile(failed))
    return [*lines, pinned_summary(pinned, pytest=True)] if pinned else lines
