"""The closing lines of a report: the counts, and what to do about the failures."""

from __future__ import annotations

from collections.abc import Sequence

from replaycheck._fix_patches import removed_patch_lines
from replaycheck.report import INDENT, first_named, plural, printable
from replaycheck.verdict import Verdict, summarize

SHOWN_PLACES = 10
"""Places the closing line names before saying how many more: each failure shows its own."""


def count_running(verdicts: Sequence[Verdict]) -> int:
    """How many ``ok`` verdicts are of executions that were still running."""
    return sum(v.ok and v.status == "RUNNING" for v in verdicts)


def running_line(count: int) -> str:
    """Say how many ``ok`` histories were of running executions (checked only so far)."""
    of = "of an execution" if count == 1 else "of executions"
    return (
        f"{plural(count, 'ok history')} {of} still running: checked through the last "
        "recorded event, not the commands still to come."
    )


def counted(verdicts: Sequence[Verdict]) -> str:
    """How many histories ``verdicts`` are of (``3 histories``), and how many folders that could
    not be listed are among their ``error`` entries (``2 histories and 1 folder that could not
    be listed``): such a folder is an error of the run, not a history."""
    return counted_entries(len(verdicts), _unlisted_count(verdicts))


def _unlisted_count(verdicts: Sequence[Verdict]) -> int:
    """How many of ``verdicts`` are of folders that could not be listed."""
    from replaycheck._discovery import is_unlisted

    return sum(is_unlisted(v.verdict, v.message) for v in verdicts)


def counted_entries(entries: int, folders: int) -> str:
    """:func:`counted` of ``entries`` verdicts, ``folders`` of them folders not listed."""
    histories = plural(entries - folders, "history")
    if not folders:
        return histories
    return f"{histories} and {plural(folders, 'folder')} that could not be listed"


def gate_places(verdicts: Sequence[Verdict]) -> list[str]:
    """Where the fixes of the nondeterministic verdicts go (``wf.py:41``), each once."""
    places: dict[str, None] = {}
    for verdict in verdicts:
        frame = verdict.diagnosis.placed_at if verdict.diagnosis is not None else None
        if verdict.verdict == "nondeterministic" and frame is not None:
            places[f"{frame.file}:{frame.line}"] = None  # as shown: relative when below
    return list(places)


def _fix_gates(verdict: Verdict) -> bool:
    """Whether the fix shown first under a failing history is a ``workflow.patched()`` gate
    (or no diagnosis says otherwise): its first line of code."""
    diagnosis = verdict.diagnosis
    if diagnosis is None:
        return True
    code = next((line for line in diagnosis.fix()[1:] if line.startswith(INDENT)), "")
    return "workflow.patched(" in code


def render_summary(verdicts: Sequence[Verdict], *, annotated: bool = False) -> str:
    """The closing line(s): counts, then what to do next when something failed.

    ``annotated``: worded for ``--format github``, which shows each failure as an annotation,
    not as the text report's FAIL or ERROR line with the fix under it."""
    counts = summarize(list(verdicts))
    line = (
        f"{counted(verdicts)}: {counts['ok']} ok, "
        f"{counts['nondeterministic']} nondeterministic, {plural(counts['error'], 'error')}"
    )
    running = count_running(verdicts)
    if running:
        line += "\n" + running_line(running)
    if counts["nondeterministic"]:
        failing = [v for v in verdicts if v.verdict == "nondeterministic"]
        line += "\n" + _failing_line(failing, annotated)
        line += "".join(f"\n{text}" for text in removed_patch_lines(failing))
        places = gate_places(verdicts)
        if len(places) > 1:
            each = "failing history shows the one it needs"
            if annotated:
                each = "annotation shows the one its histories need"
            line += (
                f"\nThe fixes are at {len(places)} places ({first_named(places, SHOWN_PLACES)}): "
                f"each {each}; apply them all."
            )
    pinned = [printable(v.pinned) for v in verdicts if v.pinned and not v.ok]
    if pinned:
        from replaycheck._pinning import pinned_summary

        line += "\n" + pinned_summary(pinned)
    if counts["error"]:
        which = "annotated error above" if annotated else "marked ERROR"
        folders = _unlisted_count(verdicts)
        line += "\n" + errors_hint(counts["error"] - folders, folders, which, " and run again")
    return line


def errors_hint(histories: int, folders: int, which: str, then: str) -> str:
    """What to do about ``histories`` that could not be replayed (``which``: how the report
    marks them) and ``folders`` that could not be listed: such a folder is no history that
    could not be replayed, but its histories went unchecked."""
    said = [f"histories {which} could not be replayed to the end"] if histories else []
    if folders == 1:
        said.append("the folder that could not be listed left its histories unchecked")
    elif folders:
        said.append(
            f"the {folders} folders that could not be listed left their histories unchecked"
        )
    text = ", and ".join(said)
    return f"{text[:1].upper()}{text[1:]}: fix the reason shown{then}."


def _failing_line(failing: list[Verdict], annotated: bool) -> str:
    """What to do about the nondeterministic histories, worded for the text report or for
    ``--format github``'s annotations."""
    what = (
        what_to_do(failing, shown="in each annotation", own="in its annotation")
        if annotated
        else what_to_do(failing, shown="under each one", own="under it")
    )
    which = "annotated nondeterministic above" if annotated else "marked FAIL"
    return f"The new code would break the histories {which}: {what}."


def what_to_do(failing: Sequence[Verdict], *, shown: str, own: str) -> str:
    """What to do about nondeterministic verdicts: the gate every fix shown is, going back to
    the gate where ``deprecate_patch()`` came too early, else each one's own fix.

    Args:
        failing: The nondeterministic verdicts.
        shown: Where the fixes are shown, after "as the fix" (``"under each one"``).
        own: Where one's fix is shown, after "fix each one as shown" (``"under it"``).
    """
    early = sum(v.diagnosis is not None and bool(v.diagnosis.deprecated_early) for v in failing)
    if not all(_fix_gates(v) for v in failing):  # a handler to keep under its old name, ...
        return f"fix each one as shown {own}"
    if failing and early == len(failing):
        return (
            "go back to the workflow.patched() gate that deprecate_patch() replaced too early, "
            f"as the fix {shown} shows"
        )
    if early:
        return (
            "gate the change with workflow.patched(), or go back to the gate where "
            f"deprecate_patch() came too early, as the fix {shown} shows"
        )
    if failing and all(_gate_removed(v) for v in failing):
        return (
            f"put back the workflow.patched() gate the code no longer has, as the fix {shown} shows"
        )
    return f"gate the change with workflow.patched(), as the fix {shown} shows"


def _gate_removed(verdict: Verdict) -> bool:
    """Whether ``verdict`` failed for a gate the code no longer has: its history recorded the
    gate's marker, or started before the patch and took the old branch that went with it."""
    diagnosis = verdict.diagnosis
    return diagnosis is not None and (
        diagnosis.change == "patch-removed" or bool(diagnosis.removed_gate)
    )
