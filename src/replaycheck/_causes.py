"""Failures grouped by cause (one change and one fix, as the text report's "same change and fix
as") for the pytest plugin's terminal: its summary names each cause once, with how many items it
failed and its fix, and a failure whose cause one above shows in full points to that one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from replaycheck.report import diagnosis_key, first_named, plural, printable, render_same
from replaycheck.verdict import Verdict

SHOWN_IDS = 3
"""How many of a cause's test ids the summary names."""


@dataclass(frozen=True)
class Cause:
    """The failures of one change and fix, in the order pytest reported them."""

    failures: tuple[tuple[str, Verdict], ...]
    """``(test id, verdict)`` of each; the terminal shows the first one in full."""
    linked: Verdict | None = None
    """The first one's verdict as the whole run reads it (``_run_fixes.reconcile``: a history
    of a removed gate's old branch is told the gate), which the summary's fix follows, as
    ``check``'s does; none: the first one's own."""

    @property
    def first(self) -> tuple[str, Verdict]:
        return self.failures[0]


def group_causes(
    failed: Sequence[tuple[str, Verdict]], linked: Sequence[Verdict] = ()
) -> list[Cause]:
    """``(test id, verdict)`` of each failure, grouped by :func:`~replaycheck.report.diagnosis_key`
    in the order of their first failure; a failure with no key is a cause of its own.
    ``linked``: the same verdicts as the whole run reads them (:attr:`Cause.linked`)."""
    groups: list[list[int]] = []
    seen: dict[tuple[str, ...], list[int]] = {}
    for index, (_, verdict) in enumerate(failed):
        key = diagnosis_key(verdict)
        if key is not None and key in seen:
            seen[key].append(index)
            continue
        groups.append([index])
        if key is not None:
            seen[key] = groups[-1]
    return [
        Cause(tuple(failed[i] for i in group), linked[group[0]] if linked else None)
        for group in groups
    ]


def cause_lines(causes: Sequence[Cause], *, shown: str = "") -> list[str]:
    """Each cause once: how many items it failed, a few of their ids, what changed and its fix,
    after a line that counts them and then says ``shown`` (where the failures are in full).
    None when no two failures share a cause: each failure is its own."""
    if all(len(cause.failures) == 1 for cause in causes):
        return []
    total = sum(len(cause.failures) for cause in causes)
    lines = [f"{plural(total, 'failure')} from {plural(len(causes), 'cause')}{shown}:"]
    for number, cause in enumerate(causes, 1):
        lines += _cause(cause, f"cause {number} of {len(causes)}")
    return lines


def _cause(cause: Cause, title: str) -> list[str]:
    from replaycheck._reasons import for_many

    ids = [printable(test_id) for test_id, _ in cause.failures]
    verdict = cause.linked or cause.first[1]
    diagnosis = verdict.diagnosis
    worded = for_many if len(ids) > 1 else str  # the text stands for each of them
    lines = [
        f"{title}, {plural(len(ids), 'history')}: {printable(worded(_what(verdict)))}",
        f"  failed: {first_named(ids, SHOWN_IDS)}",
    ]
    if diagnosis is None:
        return lines
    severities = [v.diagnosis.severity for _, v in cause.failures if v.diagnosis is not None]
    fix = [worded(line) for line in diagnosis.fix()]
    lines.append(f"  severity: {worded('; '.join(dict.fromkeys(severities)))}")
    return [*lines, f"  fix: {fix[0]}", *(f"  {line}" for line in fix[1:])]


def _what(verdict: Verdict) -> str:
    """What changed, and where, in one line."""
    diagnosis = verdict.diagnosis
    if diagnosis is None or not diagnosis.located:
        return verdict.message
    explanation = diagnosis.explanation()
    if not explanation:
        return diagnosis.headline()
    where = diagnosis.where(diagnosis.gate_frame + 1)
    return f"{explanation} (at {where})" if where else explanation


def repeated_text(
    verdict: Verdict, first: tuple[str, Verdict], *, full_flag: str = "-v (or --tb=long)"
) -> str:
    """The terminal's text of a failure whose cause ``first`` (shown above) shows in full: its
    own execution, event and severity, then where the rest is."""
    test_id, shown = first
    pointer = (
        f"same change and fix as {printable(test_id)}, whose failure above shows them; "
        f"{full_flag} shows this one in full, as --junitxml does"
    )
    return render_same(verdict, shown, pointer=pointer)


def repeated_error(verdict: Verdict, first: str, *, full_flag: str = "-v (or --tb=long)") -> str:
    """The terminal's text of an error whose reason the error of test id ``first`` (shown
    above) shows in full: its own file, then where the rest is."""
    from replaycheck._reasons import repeated_error_text

    pointer = (
        f"same reason as {printable(first)}, whose error above shows it; {full_flag} shows "
        "this one in full, as --junitxml does"
    )
    return repeated_error_text(verdict, first, pointer=pointer)
