"""Histories ``replaycheck generate --save`` wrote, as ``replaycheck patches`` treats them.

They were recorded by the baseline code on the time-skipping test server: fixtures, not
executions. No server runs them, so none holds a gate back (one paused mid-flight reads as
running, and would hold it forever), none is of the new branch, and no retention deletes them.
They are left out of every verdict and listed apart: those that took a gate's old branch are
the files to delete with that branch, or ``check`` fails them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from replaycheck.report import display_path, plural

if TYPE_CHECKING:
    from replaycheck.patches import CallSite, ExecutionRef
    from replaycheck.verdict import Verdict

SHOWN = 10
"""Files listed per group in the text report (JSON lists all)."""


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
    if len(refs) > SHOWN:
        lines.append(f"    … and {len(refs) - SHOWN} more (--format json lists them all)")
    return lines


def generated_summary(paths: Sequence[str]) -> str:
    """The summary line's note on the generated histories read ('' when none)."""
    if not paths:
        return ""
    count = plural(len(paths), "generated history")
    return f"; {count} (generate --save) counted as fixtures, not executions"
