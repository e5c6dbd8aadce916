"""The whole ``replaycheck patches`` report built from replay verdicts and the call sites:
:func:`analyze` (re-exported from :mod:`replaycheck.patches`), which picks the executions that
count (no copies, within the retention, no generated fixtures, pinned ones left out when asked)
and reports each patch id and ``get_version`` change over them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from replaycheck._patch_coverage import Coverage
from replaycheck.patches import CallSite, PatchesReport, patch_report

if TYPE_CHECKING:
    from replaycheck.verdict import Verdict


def analyze(
    verdicts: Sequence[Verdict],
    sites: Sequence[CallSite],
    *,
    retention_days: float | None = None,
    now: datetime | None = None,
    complete: bool = False,
    types: Sequence[str] = (),
    types_unknown: bool = False,
    continues_into: Sequence[tuple[str, str]] = (),
    live: bool = False,
    skip_pinned: bool = False,
    pinned_types: Sequence[str] = (),
    namespace_retention_days: float | None = None,
    pinned_runs: Sequence[str] = (),
    limit: int = 0,
    unread: Mapping[str, int | None] | None = None,
    uncounted_reason: str = "",
) -> PatchesReport:
    """Build the report from replay verdicts (with ``patches`` facts) and the scanned call sites.

    Histories of one run (the same workflow id and run id) count as one execution, by the most
    complete of them (``replaycheck._patch_copies``; :attr:`PatchesReport.copies`).

    ``complete``: the verdicts are of every execution the server keeps of the code's workflow
    types (``--live`` without a selection): a type without any has no execution left. Else
    what the histories may not cover holds a ``ready`` verdict back (see :class:`Coverage`).
    ``types``: the workflow types the code registers, as far as its source tells;
    ``types_unknown``: it also registers a class whose type its source does not tell;
    ``continues_into``: which types continue as new into which others (a run of the other type
    whose earlier run was not read may hide one of the first);
    ``live``: the verdicts are of a live selection (advice names a wider one, not an export);
    ``skip_pinned``: leave out executions pinned to a deployment version (``--skip-pinned``;
    their workflow types still count as read, as do ``pinned_types``: those of the pinned
    executions a live selection left out, whose run ids ``pinned_runs`` are: a run continued as
    new from one of them does not miss it); ``namespace_retention_days``: the retention the
    server said (``--live``), which dates when the executions holding a verdict are deleted
    (as ``retention_days`` does for files, which also leaves out those already past it);
    ``limit``: ``--limit N`` stopped a live listing at N executions (0: it did not), so more
    may match unread; ``unread``: how many executions of each workflow type a live selection
    narrowed by a query or workflow ids read none of, though the server keeps them (``None``:
    the server did not count them; ``uncounted_reason``: why, as it said).

    Raises:
        NoHistoriesError: ``skip_pinned`` left out every history.
    """
    from replaycheck import _patch_sites as scope
    from replaycheck._patch_copies import distinct_runs, past_retention, with_copies
    from replaycheck._patch_generated import (
        generated_old_branch,
        split_generated,
        with_generated_versions,
    )
    from replaycheck._patch_versions import version_report
    from replaycheck._pinning import split_pinned
    from replaycheck.verdict import summarize

    read, left_out = split_pinned(verdicts) if skip_pinned else (list(verdicts), [])
    executions, generated = split_generated(read)  # fixtures: no server runs them
    verdicts, copies = distinct_runs(executions)
    kept, expired = scope.within_retention(verdicts, retention_days, now)
    copies, expired_copies = past_retention(copies, expired)
    retention = retention_days if namespace_retention_days is None else namespace_retention_days
    observed = scope.observed_sites(kept)
    all_sites = scope.merge_sites(sites, observed)
    changes = scope.change_ids(all_sites)
    by_id = scope.sites_by_id(all_sites)
    ids = set(by_id) | scope.history_ids(kept)
    plain = sorted(i for i in ids if scope.change_of(i, changes) is None)
    version_sites = [s for s in all_sites if s.kind == "get_version"]
    coverage = None
    if not complete:
        pinned, _ = scope.within_retention(left_out, retention_days, now)
        runs = (*pinned_runs, *(v.run_id for v in left_out))  # read, though left out
        missing = scope.missing_earlier_runs(verdicts, retention_days, now, read=runs)
        coverage = Coverage(  # what the server still keeps
            seen=frozenset(v.workflow_type for v in (*kept, *pinned)) | frozenset(pinned_types),
            missing_runs=tuple(missing),
            registered=tuple(types),
            types_unknown=types_unknown,
            continues_into=tuple(continues_into),
            live=live,
            limit=limit,
            unread=tuple(sorted((unread or {}).items())),
            uncounted_reason=uncounted_reason,
            generated=frozenset(v.workflow_type for v in generated),
        )
    return PatchesReport(
        patches=tuple(
            replace(
                patch_report(i, by_id.get(i, ()), kept, coverage, retention_days=retention),
                generated_old_branch=generated_old_branch(i, by_id.get(i, ()), generated),
            )
            for i in plain
        ),
        changes=tuple(
            with_generated_versions(
                version_report(c, [s for s in version_sites if s.patch_id == c], kept), generated
            )
            for c in sorted(changes)
        ),
        non_literal=tuple(s for s in sites if s.patch_id is None),
        histories=len(read),
        replay=summarize(read),
        retention_days=retention_days,
        expired_paths=tuple(with_copies(expired, expired_copies)),
        pinned_left_out=len(left_out),
        namespace_retention_days=namespace_retention_days,
        errors=tuple((v.path, v.message) for v in (*kept, *generated) if v.verdict == "error"),
        copies=tuple(copies),
        expired_copies=tuple(expired_copies),
        generated=tuple(v.path for v in generated),
    )
