"""Histories ``replaycheck generate --save`` wrote, as ``replaycheck patches`` treats them.

They were recorded by the baseline code on the time-skipping test server: fixtures, not
executions. No server runs them, so none holds a gate back (one paused mid-flight reads as
running, and would hold it forever), none is of the new branch, and no retention deletes them.
They are left out of every verdict and listed apart: those that took a gate's old branch are
the files to delete with that branch, and those that recorded an older version of a
``get_version`` change the files to delete when ``min_supported`` is raised past it, or
``check`` fails them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck.patches import SHOWN, more_listed
from replaycheck.report import display_path, plural

if TYPE_CHECKING:
    from replaycheck.patches import CallSite, ExecutionRef, VersionReport
    from replaycheck.verdict import Verdict


def split_generated(verdicts: Sequence[Verdict]) -> tuple[list[Verdict], list[Verdict]]:
    """``(executions, generated)``: the histories of executions and the generated ones."""
    executions: list[Verdict] = []
    generated: list[Verdict] = []
    for verdict in verdicts:
        is_generated = verdict.patches is not None and verdict.patches.generated
        (generated if is_generated else executions).append(verdict)
    return executions, generated


def generated_old_branch(
    patch_id: str, sites: Sequence[CallSite], generated: Sequence[Verdict]
) -> tuple[ExecutionRef, ...]:
    """The generated histories whose replay reached the gate of ``patch_id`` and got False."""
    from replaycheck._patch_rules import branches_of, relevant_histories

    if not generated:
        return ()
    relevant = relevant_histories(generated, sites, [patch_id])
    return tuple(branches_of(patch_id, relevant, sites).old)


def with_generated_versions(change: VersionReport, generated: Sequence[Verdict]) -> VersionReport:
    """``change`` with the generated histories that recorded a version below its newest.

    The newest is ``max_supported``, what a new execution records; when the range is not
    literal, the newest version any history read recorded. Each of those fails ``check`` once
    ``min_supported`` is raised past its version, as an execution's would.
    """
    from replaycheck._patch_versions import version_report
    from replaycheck.patches import DEFAULT_VERSION

    if not generated:
        return change
    found = version_report(change.change_id, change.call_sites, generated).versions
    newest = change.max_supported
    if newest is None:
        newest = max((n for n, _ in (*change.versions, *found)), default=DEFAULT_VERSION)
    return replace(change, generated_old_versions=tuple((n, r) for n, r in found if n < newest))


def generated_versions_text(change: VersionReport) -> list[str]:
    """The text report's group of generated histories on older versions (none: no lines)."""
    from replaycheck._patch_versions import version_text

    refs = [(n, r) for n, group in change.generated_old_versions for r in group]
    if not refs:
        return []
    lines = [
        f"  generated histories on older versions: {len(refs)} (generate --save fixtures, not "
        "executions: they hold nothing back); delete each when you raise min_supported past "
        "its version, or `check` fails it"
    ]
    width = max(len(version_text(n)) for n, _ in refs[:SHOWN])
    low = change.min_supported
    for n, ref in refs[:SHOWN]:
        note = f"replay: {ref.replay}" if ref.replay != "ok" else ""
        if low is not None and n < low:  # its replay fails with UnsupportedVersionError
            note = "below min_supported: `check` fails it now"
        extra = f"  ({note})" if note else ""
        lines.append(f"    version {version_text(n):{width}}  {display_path(ref.path)}{extra}")
    return lines + more_listed(len(refs), "    ")


def generated_old_text(refs: Sequence[ExecutionRef]) -> list[str]:
    """The text report's group of generated histories on a gate's old branch (none: no lines)."""
    if not refs:
        return []
    lines = [
        f"  generated histories on the old branch: {len(refs)} (generate --save fixtures, not "
        "executions: they hold nothing back); delete them when you delete the old branch, or "
        "`check` fails them"
    ]
    lines += [f"    {display_path(r.path)}" for r in refs[:SHOWN]]
    return lines + more_listed(len(refs), "    ")


def generated_summary(paths: Sequence[str]) -> str:
    """The summary line's note on the generated histories read ('' when none)."""
    if not paths:
        return ""
    count = plural(len(paths), "generated history")
    return f"; {count} (generate --save) counted as fixtures, not executions"
