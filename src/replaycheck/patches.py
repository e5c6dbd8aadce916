"""Patch lifecycle: may a ``workflow.patched()`` gate be deprecated, or its call removed, yet?

For every patch id found in the code (a static scan, ``replaycheck._patch_scan``) or in the
histories (``core_patch`` markers, ``TemporalChangeVersion`` upserts), the histories are replayed
with the current code while every ``patched()`` / ``deprecate_patch()`` call and its result is
recorded (``replaycheck._patch_record``). Each execution then either took the new branch (its
history holds the marker), took the old branch (the replay reached the gate and ``patched()``
returned False), has not reached the gate yet (running), or could not be checked; the verdict
rules are in :func:`patch_verdict` and ``docs/versioning.md``. ``get_version`` changes
(``replaycheck.versioning``) are reported per change, by version, in :func:`version_verdict`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

    from replaycheck.config import Settings
    from replaycheck.verdict import Verdict

CHANGE_VERSION_ATTRIBUTE = "TemporalChangeVersion"
"""The search attribute core updates with the patch ids an execution recorded."""

PatchVerdict = Literal[
    "keep-both-branches",
    "ready-to-deprecate",
    "keep-deprecate-patch",
    "ready-to-remove",
    "removed",
    "orphaned",
]
VersionVerdict = Literal["keep-versions", "raise-min-supported", "unsupported-version"]
VERDICT_TEXT: Mapping[str, str] = {
    "keep-both-branches": "keep both branches",
    "ready-to-deprecate": "ready to deprecate",
    "keep-deprecate-patch": "keep deprecate_patch()",
    "ready-to-remove": "ready to remove",
    "removed": "removed",
    "orphaned": "orphaned",
    "keep-versions": "keep every supported version",
    "raise-min-supported": "min_supported can be raised",
    "unsupported-version": "unsupported version in use",
}
"""How each verdict reads in the text report."""

CallKind = Literal["patched", "deprecate_patch", "get_version"]
DEFAULT_VERSION = -1


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class CallSite:
    """A ``patched()`` / ``deprecate_patch()`` / ``get_version()`` call in the workflow code."""

    file: str
    line: int
    kind: CallKind
    patch_id: str | None
    """The id (the change id for ``get_version``); ``None`` when it is not a literal."""
    expression: str = ""
    """Source text of the id argument."""
    workflow_type: str = ""
    """The ``@workflow.defn`` class the call is in (empty: a helper or base class)."""
    min_supported: int | None = None
    max_supported: int | None = None
    """``get_version`` only: the literal range."""
    observed: bool = False
    """Found only by replay (a non-literal id, or a module the scan did not reach)."""


@dataclass(frozen=True)
class ExecutionRef:
    """One execution, as a patch report lists it."""

    path: str
    workflow_id: str
    run_id: str
    workflow_type: str
    status: str
    event_id: int = 0
    """Where the marker is, or the workflow task where the gate was reached."""
    deprecated: bool = False
    """Its marker was recorded by ``deprecate_patch()``."""
    replay: str = "ok"
    """Its replay verdict under the current code."""

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"


@dataclass(frozen=True)
class PatchReport:
    """The lifecycle of one patch id."""

    patch_id: str
    verdict: PatchVerdict
    reason: str
    call_sites: tuple[CallSite, ...] = ()
    new_branch: tuple[ExecutionRef, ...] = ()
    """Executions whose history holds the marker."""
    old_branch: tuple[ExecutionRef, ...] = ()
    """Executions that reached the gate during replay and got False."""
    not_reached: tuple[ExecutionRef, ...] = ()
    """Running executions that have not reached the gate in their history."""
    unchecked: tuple[ExecutionRef, ...] = ()
    """Executions whose replay stopped before the gate (or never ran the code)."""
    change_version: int = 0
    """Executions whose ``TemporalChangeVersion`` search attribute lists the id."""


@dataclass(frozen=True)
class VersionReport:
    """The versions of one ``get_version`` change in use."""

    change_id: str
    verdict: VersionVerdict
    reason: str
    call_sites: tuple[CallSite, ...] = ()
    min_supported: int | None = None
    max_supported: int | None = None
    versions: tuple[tuple[int, tuple[ExecutionRef, ...]], ...] = ()
    """Executions by recorded version (``-1``: ``DEFAULT_VERSION``), lowest first."""
    not_reached: tuple[ExecutionRef, ...] = ()
    unchecked: tuple[ExecutionRef, ...] = ()


@dataclass(frozen=True)
class PatchesReport:
    """Everything ``replaycheck patches`` prints."""

    patches: tuple[PatchReport, ...]
    changes: tuple[VersionReport, ...] = ()
    non_literal: tuple[CallSite, ...] = ()
    """Call sites whose id the scan could not read; ids seen during replay are still reported."""
    histories: int = 0
    replay: Mapping[str, int] = field(default_factory=dict)
    """Replay verdicts by kind."""
    expired: int = 0
    """Closed executions left out: closed longer ago than the retention."""
    retention_days: float | None = None


# --------------------------------------------------------------------------- analysis


def analyze(
    verdicts: Sequence[Verdict],
    sites: Sequence[CallSite],
    *,
    retention_days: float | None = None,
    now: datetime | None = None,
) -> PatchesReport:
    """Build the report from replay verdicts (with ``patches`` facts) and the scanned call sites."""
    from replaycheck.verdict import summarize

    kept, expired = _within_retention(verdicts, retention_days, now)
    observed = _observed_sites(kept)
    all_sites = _merge_sites(sites, observed)
    changes = _change_ids(all_sites)
    by_id = _sites_by_id(all_sites, changes)
    ids = set(by_id) | _history_ids(kept)
    plain = sorted(i for i in ids if _change_of(i, changes) is None)
    return PatchesReport(
        patches=tuple(patch_report(i, by_id.get(i, ()), kept) for i in plain),
        changes=tuple(
            version_report(c, [s for s in all_sites if s.kind == "get_version" and
                               s.patch_id == c], kept)
            for c in sorted(changes)
        ),  # fmt: skip
        non_literal=tuple(s for s in sites if s.patch_id is None),
        histories=len(verdicts),
        replay=summarize(list(verdicts)),
        expired=expired,
        retention_days=retention_days,
    )


def _within_retention(
    verdicts: Sequence[Verdict], days: float | None, now: datetime | None
) -> tuple[list[Verdict], int]:
    if days is None:
        return list(verdicts), 0
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    kept = []
    for verdict in verdicts:
        closed = verdict.patches.closed_at if verdict.patches else ""
        if closed and datetime.fromisoformat(closed) < cutoff:
            continue
        kept.append(verdict)
    return kept, len(verdicts) - len(kept)


def _observed_sites(verdicts: Iterable[Verdict]) -> list[CallSite]:
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


def _merge_sites(static: Sequence[CallSite], observed: Sequence[CallSite]) -> list[CallSite]:
    """Static sites, plus observed ones at a line the scan missed or could not read the id of."""
    out = [s for s in static if s.patch_id is not None]
    known = {(s.file, s.line, s.patch_id) for s in out}
    for site in observed:
        if (site.file, site.line, site.patch_id) not in known:
            static_twin = next((s for s in static if (s.file, s.line) == (site.file, site.line)),
                               None)  # fmt: skip
            out.append(replace(site, expression=static_twin.expression) if static_twin else site)
    return out


def _change_ids(sites: Iterable[CallSite]) -> set[str]:
    return {s.patch_id for s in sites if s.kind == "get_version" and s.patch_id}


def _change_of(patch_id: str, changes: set[str]) -> str | None:
    split = split_version_id(patch_id)
    return split[0] if split and split[0] in changes else None


def _sites_by_id(sites: Iterable[CallSite], changes: set[str]) -> dict[str, tuple[CallSite, ...]]:
    by_id: dict[str, list[CallSite]] = {}
    for site in sites:
        if site.kind != "get_version" and site.patch_id:
            by_id.setdefault(site.patch_id, []).append(site)
    return {k: tuple(sorted(v, key=lambda s: (s.file, s.line))) for k, v in by_id.items()}


def _history_ids(verdicts: Iterable[Verdict]) -> set[str]:
    ids: set[str] = set()
    for verdict in verdicts:
        if verdict.patches:
            ids.update(m.removeprefix("~") for m in verdict.patches.markers)
            ids.update(verdict.patches.change_versions)
            ids.update(c.patch_id for c in verdict.patches.calls if not c.get_version)
    return ids


def _ref(verdict: Verdict, event_id: int = 0, deprecated: bool = False) -> ExecutionRef:
    return ExecutionRef(
        path=verdict.path,
        workflow_id=verdict.workflow_id,
        run_id=verdict.run_id,
        workflow_type=verdict.workflow_type,
        status=verdict.status,
        event_id=event_id,
        deprecated=deprecated,
        replay=verdict.verdict,
    )


def _relevant(
    verdicts: Sequence[Verdict], sites: Sequence[CallSite], ids: Sequence[str]
) -> list[Verdict]:
    """Histories of the workflow types that may reach the call sites (all, if one is unknown)."""
    types = {s.workflow_type for s in sites}
    for verdict in verdicts:
        facts = verdict.patches
        if facts and any(
            facts.marker(i) or i in facts.change_versions or facts.call(i) for i in ids
        ):
            types.add(verdict.workflow_type)
    if "" in types or not sites:
        return list(verdicts)
    return [v for v in verdicts if v.workflow_type in types]


@dataclass
class _Branches:
    new: list[ExecutionRef] = field(default_factory=list)
    old: list[ExecutionRef] = field(default_factory=list)
    not_reached: list[ExecutionRef] = field(default_factory=list)
    unchecked: list[ExecutionRef] = field(default_factory=list)


def _branches(patch_id: str, verdicts: Sequence[Verdict]) -> _Branches:
    out = _Branches()
    for verdict in verdicts:
        facts = verdict.patches
        if facts is None:
            out.unchecked.append(_ref(verdict))
            continue
        marker = facts.marker(patch_id)
        call = facts.call(patch_id)
        if marker:
            out.new.append(_ref(verdict, _marker_event(call), deprecated=marker == "deprecated"))
        elif call is not None and call.replaying:
            (out.new if call.result else out.old).append(_ref(verdict, call.event_id))
        elif verdict.verdict != "ok" or not facts.observed:
            out.unchecked.append(_ref(verdict))
        elif not verdict.closed:
            out.not_reached.append(_ref(verdict, call.event_id if call else 0))
    return out


def _marker_event(call: PatchCall | None) -> int:
    return call.event_id if call is not None else 0


def patch_report(
    patch_id: str, sites: Sequence[CallSite], verdicts: Sequence[Verdict]
) -> PatchReport:
    """The lifecycle report of one patch id."""
    relevant = _relevant(verdicts, sites, [patch_id])
    branches = _branches(patch_id, relevant)
    verdict, reason = patch_verdict(patch_id, sites, branches)
    return PatchReport(
        patch_id=patch_id,
        verdict=verdict,
        reason=reason,
        call_sites=tuple(sites),
        new_branch=tuple(branches.new),
        old_branch=tuple(branches.old),
        not_reached=tuple(branches.not_reached),
        unchecked=tuple(branches.unchecked),
        change_version=sum(
            1 for v in verdicts if v.patches and patch_id in v.patches.change_versions
        ),
    )


def _executions(refs: Sequence[ExecutionRef]) -> str:
    from replaycheck.report import plural

    running = sum(1 for r in refs if r.running)
    return f"{plural(len(refs), 'execution')} ({running} running, {len(refs) - running} closed)"


def _unchecked_text(refs: Sequence[ExecutionRef]) -> str:
    return (
        f"{_executions(refs)} could not be replayed up to the gate, so may have taken the old "
        "branch (`replaycheck check` shows why)"
    )


def patch_verdict(
    patch_id: str, sites: Sequence[CallSite], branches: Any
) -> tuple[PatchVerdict, str]:
    """The verdict and its reason, from the call sites and where each execution went.

    The histories stand for every execution that may still be replayed: running ones, and
    closed ones until the namespace's retention deletes them (queries, resets and stack traces
    replay those too).
    """
    kinds = {s.kind for s in sites}
    live = [e for e in branches.new if not e.deprecated]
    if not sites:
        if live:
            return "orphaned", (
                f"{_executions(live)} recorded the marker with patched(), but no code calls "
                "patched() or deprecate_patch() with this id: their replay fails (Non-deprecated "
                f'patch marker encountered); put workflow.deprecate_patch("{patch_id}") back '
                "where the gate was until they are gone"
            )
        held = "every marker left in the histories is deprecated, which replay skips"
        return "removed", (
            f"no code calls it and {held if branches.new else 'no history holds its marker'}: "
            "nothing left to do"
        )
    blocked = branches.old or branches.unchecked
    if "patched" in kinds:
        if blocked:
            return "keep-both-branches", _keep_text(branches, "took the old branch")
        return "ready-to-deprecate", _deprecate_text(branches)
    if blocked:
        return "keep-both-branches", "deprecate_patch() came too early: " + _keep_text(
            branches, "took the old branch, which this code no longer has (their replay fails)"
        ) + "; go back to patched() with the old branch"
    if live:
        return "keep-deprecate-patch", (
            f"{_executions(live)} recorded the marker with patched(), and replaying them needs "
            "a call with this id: keep deprecate_patch() until they are gone"
        )
    return "ready-to-remove", (
        "no execution that may still be replayed recorded the marker with patched() "
        f"({len(branches.new)} recorded it deprecated, which replay skips without a call): "
        "delete the deprecate_patch() call"
    )


def _keep_text(branches: Any, what: str) -> str:
    parts = []
    if branches.old:
        parts.append(f"{_executions(branches.old)} {what}")
    if branches.unchecked:
        parts.append(_unchecked_text(branches.unchecked))
    return "; ".join(parts) + (
        "; keep the old branch until they are gone (closed ones until the retention deletes "
        "them, as queries and resets replay them)"
        if "patched()" not in what and "no longer" not in what
        else ""
    )


def _deprecate_text(branches: Any) -> str:
    from replaycheck.report import plural

    if not branches.new and not branches.not_reached:
        seen = "no recorded execution reached the gate (do the histories cover every execution "
        seen += "that may still be replayed?)"
    else:
        seen = f"{plural(len(branches.new), 'execution')} took the new branch"
        if branches.not_reached:
            seen += (
                f", {plural(len(branches.not_reached), 'running execution')} will take it when "
                "it reaches the gate"
            )
    return (
        f"no execution that may still be replayed took the old branch ({seen}): replace "
        "patched() with deprecate_patch() and delete the old branch"
    )


