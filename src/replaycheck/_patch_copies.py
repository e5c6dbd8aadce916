"""Copies of one run among the histories ``replaycheck patches`` reads.

Two histories of the same workflow id and run id (one exported while the execution ran and
again after it closed, the same file under two folders, a run a live listing returned twice)
are one execution: the report counts it once, by its most complete copy. ``check`` still
replays every file, copies included (each is a history a deploy must replay).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replaycheck.verdict import Verdict


def distinct_runs(verdicts: Sequence[Verdict]) -> tuple[list[Verdict], list[tuple[str, str]]]:
    """Each run once, by its most complete copy (:func:`completeness`), in the order read; and
    ``(path, kept)`` for each copy left out, ``kept`` being the path of the copy counted.

    A history whose run id is unknown (unreadable) is never taken for a copy.
    """
    best: dict[tuple[str, str], int] = {}
    for index, verdict in enumerate(verdicts):
        if not verdict.run_id:
            continue
        key = (verdict.workflow_id, verdict.run_id)
        if key not in best or completeness(verdict) > completeness(verdicts[best[key]]):
            best[key] = index
    kept: list[Verdict] = []
    copies: list[tuple[str, str]] = []
    for index, verdict in enumerate(verdicts):
        chosen = best.get((verdict.workflow_id, verdict.run_id), index)
        if not verdict.run_id or chosen == index:
            kept.append(verdict)
        else:
            copies.append((verdict.path, verdicts[chosen].path))
    return kept, copies


def past_retention(
    copies: Sequence[tuple[str, str]], expired: Sequence[str]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``copies`` split into those of runs counted and those of runs the retention left out
    (``expired``: the paths of the copies counted of those): the summary names the first as
    copies left out, the list of files to delete the others as copies."""
    gone = set(expired)
    return [c for c in copies if c[1] not in gone], [c for c in copies if c[1] in gone]


def with_copies(paths: Sequence[str], copies: Sequence[tuple[str, str]]) -> list[str]:
    """``paths`` (of the copies counted), each followed by the paths of its run's other copies:
    a run the retention has deleted leaves every copy of it to delete, the stale ones too."""
    others: dict[str, list[str]] = {}
    for path, kept in copies:
        others.setdefault(kept, []).append(path)
    return [p for path in paths for p in (path, *others.get(path, ()))]


def completeness(verdict: Verdict) -> tuple[bool, int]:
    """How far a copy of a run got: a closed one first, then the longer history (on a tie, the
    copy read first is kept)."""
    return verdict.closed, verdict.events


def copies_text(copies: Sequence[tuple[str, str]], shown: int) -> str:
    """The summary's lines naming the copies left out (at most ``shown`` of them)."""
    from replaycheck.patches import more_listed
    from replaycheck.report import display_path, plural, printable

    live = all(path.startswith("live:") for path, _ in copies)
    if live:  # both copies have the same name: the listing returned the run twice
        head = (
            f"{plural(len(copies), 'execution')} listed twice by the server, counted once "
            "(by its most complete history: closed, else the longest):"
        )
        lines = [f"  {printable(path.removeprefix('live:'))}" for path, _ in copies[:shown]]
    else:
        were = "was a copy of a run" if len(copies) == 1 else "were copies of runs"
        head = (
            f"{plural(len(copies), 'file')} {were} already counted (the same workflow id and "
            "run id), left out: each run counts once, by its most complete copy (closed, else "
            "the longest history):"
        )
        lines = [
            f"  {display_path(path)}  (counted: {display_path(kept)})"
            for path, kept in copies[:shown]
        ]
    return "\n".join([head, *lines, *more_listed(len(copies), "  ", shown)])
