"""Which call sites and patch ids a patch report covers, and which histories it counts.

Merges the statically scanned call sites with those the replay observed (non-literal ids, modules
the scan did not reach), groups ``get_version`` ids under their change and leaves out executions
closed longer ago than the retention.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from replaycheck._patch_facts import split_version_id
from replaycheck.patches import CallKind, CallSite

if TYPE_CHECKING:
    from replaycheck.verdict import Verdict


def within_retention(
    verdicts: Sequence[Verdict], days: float | None, now: datetime | None
) -> tuple[list[Verdict], list[str]]:
    """The verdicts of executions the server still keeps, and the paths of the others."""
    if days is None:
        return list(verdicts), []
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    kept, expired = [], []
    for verdict in verdicts:
        closed = verdict.patches.closed_at if verdict.patches else ""
        if closed and datetime.fromisoformat(closed) < cutoff:
            expired.append(verdict.path)
            continue
        kept.append(verdict)
    return kept, expired


def missing_earlier_runs(
    verdicts: Sequence[Verdict],
    days: float | None,
    now: datetime | None,
    *,
    read: Iterable[str] = (),
) -> list[Verdict]:
    """The verdicts of runs that continued as new from a run no history read holds, which the
    server still keeps (``days``: the retention; ``None``: unknown, so it may; ``read``: the
    run ids of histories read but left out: the pinned ones, of files or a live selection)."""
    runs = {v.run_id for v in verdicts} | set(read)
    cutoff = None if days is None else (now or datetime.now(timezone.utc)) - timedelta(days=days)
    missing = []
    for verdict in verdicts:
        facts = verdict.patches
        if facts is None or not facts.continued_from or facts.continued_from in runs:
            continue
        closed = facts.started_at  # the earlier run closed as this one started
        if cutoff is not None and closed and datetime.fromisoformat(closed) < cutoff:
            continue
        missing.append(verdict)
    return missing


def observed_sites(verdicts: Iterable[Verdict]) -> list[CallSite]:
    found: dict[tuple[str, int, str], CallSite] = {}
    for verdict in verdicts:
        for call in verdict.patches.calls if verdict.patches else ():
            if call.get_version:
                change, _ = split_version_id(call.patch_id) or (call.patch_id, 0)
                kind: CallKind = "get_version"
                pid = change
            else:
                kind = "deprecate_patch" if call.deprecated else "patched"
                pid = call.patch_id
            key = (call.file, call.line, pid)
            found.setdefault(
                key,
                CallSite(call.file, call.line, kind, pid, workflow_type=verdict.workflow_type,
                         observed=True),
            )  # fmt: skip
    return list(found.values())


def merge_sites(static: Sequence[CallSite], observed: Sequence[CallSite]) -> list[CallSite]:
    """Static sites, plus observed ones at a line the scan missed or could not read the id of."""
    out = [s for s in static if s.patch_id is not None]
    known = {(s.file, s.line, s.patch_id) for s in out}
    for site in observed:
        if (site.file, site.line, site.patch_id) not in known:
            static_twin = next((s for s in static if (s.file, s.line) == (site.file, site.line)),
                               None)  # fmt: skip
            out.append(replace(site, expression=static_twin.expression) if static_twin else site)
    return out


def change_ids(sites: Iterable[CallSite]) -> set[str]:
    return {s.patch_id for s in sites if s.kind == "get_version" and s.patch_id}


def change_of(patch_id: str, changes: set[str]) -> str | None:
    split = split_version_id(patch_id)
    return split[0] if split and split[0] in changes else None


def sites_by_id(sites: Iterable[CallSite]) -> dict[str, tuple[CallSite, ...]]:
    by_id: dict[str, list[CallSite]] = {}
    for site in sites:
        if site.kind != "get_version" and site.patch_id:
            by_id.setdefault(site.patch_id, []).append(site)
    return {k: tuple(sorted(v, key=lambda s: (s.file, s.line))) for k, v in by_id.items()}


def history_ids(verdicts: Iterable[Verdict]) -> set[str]:
    ids: set[str] = set()
    for verdict in verdicts:
        if verdict.patches:
            ids.update(m.removeprefix("~") for m in verdict.patches.markers)
            ids.update(verdict.patches.change_versions)
            ids.update(c.patch_id for c in verdict.patches.calls if not c.get_version)
    return ids
