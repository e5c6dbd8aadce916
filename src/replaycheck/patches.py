"""Patch lifecycle: may a ``workflow.patched()`` gate be deprecated, or its call removed, yet?

For every patch id found in the code (a static scan, ``replaycheck._patch_scan``) or in the
histories (``core_patch`` markers, ``TemporalChangeVersion`` upserts), the histories are replayed
with the current code while every ``patched()`` / ``deprecate_patch()`` call and its result is
recorded (``replaycheck._patch_record``). Each execution then either took the new branch (its
history holds the marker), took the old branch (the replay reached the gate and ``patched()``
returned False), has not reached the gate yet (running), or could not be checked; the verdict
rules are in :func:`patch_verdict` and ``docs/versioning.md``. ``get_version`` changes
(``replaycheck.versioning``) are reported per change, by version (``_patch_versions``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from replaycheck._patch_facts import PatchCall, PatchFacts

if TYPE_CHECKING:
    from pathlib import Path

    from replaycheck.config import Settings
    from replaycheck.connection import Connection
    from replaycheck.export import Selection
    from replaycheck.live import LiveStats
    from replaycheck.verdict import Verdict

__all__ = [
    "CallSite",
    "ExecutionRef",
    "PatchCall",
    "PatchFacts",
    "PatchReport",
    "PatchesReport",
    "VersionReport",
    "analyze",
    "collect",
    "collect_live",
    "patch_verdict",
]

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
    type_unknown: bool = False
    """In a ``@workflow.defn`` class whose type the source does not tell (a computed name, a
    dynamic workflow): ``workflow_type`` is empty, as for a helper."""


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
    retention_days: float | None = None
    expired_paths: tuple[str, ...] = ()
    """History files of closed executions left out, closed longer ago than the retention: the
    server deleted them, so they can go (``check`` still replays them, and fails them once a
    gate is deprecated)."""

    @property
    def expired(self) -> int:
        """How many closed executions were left out (:attr:`expired_paths`)."""
        return len(self.expired_paths)


# --------------------------------------------------------------------------- analysis


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
) -> PatchesReport:
    """Build the report from replay verdicts (with ``patches`` facts) and the scanned call sites.

    ``complete``: the verdicts are of every execution the server keeps of the code's workflow
    types (``--live`` without a selection): a type without any has no execution left. Else
    what the histories may not cover holds a ``ready`` verdict back (see :class:`Coverage`).
    ``types``: the workflow types the code registers, as far as its source tells;
    ``types_unknown``: it also registers a class whose type its source does not tell;
    ``continues_into``: which types continue as new into which others (a run of the other type
    whose earlier run was not read may hide one of the first).
    """
    from replaycheck import _patch_sites as scope
    from replaycheck._patch_versions import version_report
    from replaycheck.verdict import summarize

    kept, expired = scope.within_retention(verdicts, retention_days, now)
    observed = scope.observed_sites(kept)
    all_sites = scope.merge_sites(sites, observed)
    changes = scope.change_ids(all_sites)
    by_id = scope.sites_by_id(all_sites)
    ids = set(by_id) | scope.history_ids(kept)
    plain = sorted(i for i in ids if scope.change_of(i, changes) is None)
    version_sites = [s for s in all_sites if s.kind == "get_version"]
    coverage = None
    if not complete:
        coverage = Coverage(
            seen=frozenset(v.workflow_type for v in kept),  # the server still keeps
            missing_runs=tuple(scope.missing_earlier_runs(verdicts, retention_days, now)),
            registered=tuple(types),
            types_unknown=types_unknown,
            continues_into=tuple(continues_into),
        )
    return PatchesReport(
        patches=tuple(patch_report(i, by_id.get(i, ()), kept, coverage) for i in plain),
        changes=tuple(
            version_report(c, [s for s in version_sites if s.patch_id == c], kept)
            for c in sorted(changes)
        ),
        non_literal=tuple(s for s in sites if s.patch_id is None),
        histories=len(verdicts),
        replay=summarize(list(verdicts)),
        retention_days=retention_days,
        expired_paths=tuple(expired),
    )


def ref(verdict: Verdict, event_id: int = 0, deprecated: bool = False) -> ExecutionRef:
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


def relevant_histories(
    verdicts: Sequence[Verdict], sites: Sequence[CallSite], ids: Sequence[str]
) -> list[Verdict]:
    """Histories of the workflow types that may reach the call sites or recorded the patch (all,
    if a site's type is unknown, or nothing tells)."""
    types = {s.workflow_type for s in sites}
    for verdict in verdicts:
        facts = verdict.patches
        if facts and any(
            facts.marker(i) or i in facts.change_versions or facts.call(i) for i in ids
        ):
            types.add(verdict.workflow_type)
    if "" in types or not types:
        return list(verdicts)
    return [v for v in verdicts if v.workflow_type in types]


@dataclass
class Branches:
    """Where the executions of one patch id went (see :class:`PatchReport`)."""

    new: list[ExecutionRef] = field(default_factory=list)
    old: list[ExecutionRef] = field(default_factory=list)
    not_reached: list[ExecutionRef] = field(default_factory=list)
    unchecked: list[ExecutionRef] = field(default_factory=list)


def _branches(patch_id: str, verdicts: Sequence[Verdict]) -> Branches:
    out = Branches()
    for verdict in verdicts:
        facts = verdict.patches
        if facts is None:
            out.unchecked.append(ref(verdict))
            continue
        marker = facts.marker(patch_id)
        call = facts.call(patch_id)
        if marker:
            out.new.append(ref(verdict, _marker_event(call), deprecated=marker == "deprecated"))
        elif call is not None and call.replaying:
            (out.new if call.result else out.old).append(ref(verdict, call.event_id))
        elif verdict.verdict != "ok" or not facts.observed:
            out.unchecked.append(ref(verdict))
        elif not verdict.closed:
            out.not_reached.append(ref(verdict, call.event_id if call else 0))
    return out


def _marker_event(call: PatchCall | None) -> int:
    return call.event_id if call is not None else 0


@dataclass(frozen=True)
class Coverage:
    """What histories read from files, or a partial live selection, may leave out."""

    seen: frozenset[str]
    """The workflow types the histories hold."""
    missing_runs: tuple[Verdict, ...] = ()
    """Histories of runs whose earlier run (continued as new, retried) was not read."""
    registered: tuple[str, ...] = ()
    """The workflow types the code registers, as far as its source tells: a call site in a
    helper or a base class (of no one type) may be reached from any of them."""
    types_unknown: bool = False
    """The code also registers a class whose type its source does not tell."""
    continues_into: tuple[tuple[str, str], ...] = ()
    """``(type, other type)``: a run of the one may continue as new into the other (see
    :attr:`replaycheck._patch_scan.Scan.continues_into`)."""

    def held_back(
        self, verdict: PatchVerdict, reason: str, patch_id: str, sites: Sequence[CallSite]
    ) -> tuple[PatchVerdict, str]:
        """A ``ready`` verdict held back by what the histories may not cover (else as is)."""
        if verdict not in ("ready-to-deprecate", "ready-to-remove"):
            return verdict, reason
        callers = {s.workflow_type for s in sites if s.workflow_type}
        helper = any(not s.workflow_type and not s.type_unknown for s in sites)
        if helper:  # a helper or a base class: any type's
            callers |= set(self.registered)
        unseen = sorted(callers - self.seen)
        if unseen:
            return _unseen(verdict, unseen, helper)
        if any(s.type_unknown for s in sites) or (helper and self.types_unknown):
            return _type_unknown(verdict)
        missing = relevant_histories(self.missing_runs, sites, [patch_id])
        # A run of a type the gate's types continue as new into: its missing earlier run may
        # be one of theirs.
        into = {to for start, to in self.continues_into if start in callers or not start}
        listed = {id(v) for v in missing}  # the same objects: no deep comparison of verdicts
        missing += [
            v for v in self.missing_runs
            if id(v) not in listed and ("" in into or v.workflow_type in into)
        ]  # fmt: skip
        if missing:
            return _earlier_runs_missing(verdict, missing)
        return verdict, reason


def patch_report(
    patch_id: str,
    sites: Sequence[CallSite],
    verdicts: Sequence[Verdict],
    coverage: Coverage | None = None,
) -> PatchReport:
    """The lifecycle report of one patch id (``coverage``: what the histories read may leave
    out; ``None``: every execution the server keeps was read)."""
    relevant = relevant_histories(verdicts, sites, [patch_id])
    branches = _branches(patch_id, relevant)
    verdict, reason = patch_verdict(patch_id, sites, branches)
    if coverage is not None:
        verdict, reason = coverage.held_back(verdict, reason, patch_id, sites)
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


def executions_text(refs: Sequence[ExecutionRef]) -> str:
    from replaycheck.report import plural

    running = sum(1 for r in refs if r.running)
    return f"{plural(len(refs), 'execution')} ({running} running, {len(refs) - running} closed)"


def unchecked_text(refs: Sequence[ExecutionRef]) -> str:
    return (
        f"{executions_text(refs)} could not be replayed up to the gate, so may have taken the old "
        "branch (`replaycheck check` shows why)"
    )


def patch_verdict(
    patch_id: str, sites: Sequence[CallSite], branches: Branches
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
                f"{executions_text(live)} recorded the marker with patched(), but no code calls "
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
            return "keep-both-branches", _keep_text(
                branches,
                "took the old branch",
                "keep the old branch until they are gone (closed ones until the retention "
                "deletes them: queries and resets replay them too)",
            )
        return "ready-to-deprecate", _deprecate_text(branches)
    if blocked:
        return "keep-both-branches", "deprecate_patch() came too early: " + _keep_text(
            branches,
            "took the old branch, which this code no longer has (their replay fails)",
            "go back to patched() with the old branch until they are gone",
        )
    if live:
        return "keep-deprecate-patch", (
            f"{executions_text(live)} recorded the marker with patched(), and replaying them "
            "needs a call with this id: keep deprecate_patch() until they are gone"
        )
    return "ready-to-remove", (
        "no execution that may still be replayed recorded the marker with patched() "
        f"({len(branches.new)} recorded it deprecated, which replay skips without a call): "
        "delete the deprecate_patch() call"
    )


def _held(verdict: PatchVerdict) -> tuple[PatchVerdict, str]:
    """The verdict a ``ready`` one falls back to, and the step it holds back."""
    if verdict == "ready-to-deprecate":
        return "keep-both-branches", "deprecating"
    return "keep-deprecate-patch", "removing the call"


def _earlier_runs_missing(
    verdict: PatchVerdict, later: Sequence[Verdict]
) -> tuple[PatchVerdict, str]:
    """Not ready after all: runs that continued as new from runs no history read holds."""
    from replaycheck.report import plural

    held, step = _held(verdict)
    ids = list(dict.fromkeys(v.workflow_id for v in later))
    shown = ", ".join(repr(i) for i in ids[:3]) + (", ..." if len(ids) > 3 else "")
    from replaycheck.live import query_literal

    query = " OR ".join(f"WorkflowId={query_literal(i)}" for i in ids[:3])
    return held, (
        f"the earlier runs of {plural(len(ids), 'workflow id')} ({shown}: a run continued as "
        "new, retried or started again from one) are not among the histories read, and may "
        "have taken the old branch: export every run of them (`replaycheck export --query "
        f"{_shell(query)}`, into the same directory, from the same namespace), or run `replaycheck "
        f"patches --live` without a selection, before {step} (`--retention` leaves out runs "
        "the server has deleted)"
    )


def _shell(text: str) -> str:
    """``text`` as one shell word: in double quotes when nothing in it is special there."""
    import shlex

    return f'"{text}"' if not any(c in text for c in '"$`\\!') else shlex.quote(text)


def _unseen(verdict: PatchVerdict, types: Sequence[str], helper: bool) -> tuple[PatchVerdict, str]:
    """Not ready after all: no history of a workflow type whose code calls the patch."""
    from replaycheck.report import plural

    names = ", ".join(repr(t) for t in types)
    held, step = _held(verdict)
    calls = "that may call it (from a helper or a base class)" if helper else "whose code calls it"
    return held, (
        f"no history of {plural(len(types), 'workflow type')} {calls} ({names}) is among "
        "those read, so nothing shows where its executions went: export them (or run "
        f"`replaycheck patches --live` without a selection, which reads every execution the "
        f"server keeps) before {step}"
    )


def _type_unknown(verdict: PatchVerdict) -> tuple[PatchVerdict, str]:
    """Not ready after all: a calling class whose workflow type the source does not tell."""
    held, step = _held(verdict)
    return held, (
        "it is called in a workflow class whose type the source does not tell (a computed "
        "name, or a dynamic workflow), so the histories read cannot show they cover its "
        "executions: run `replaycheck patches --live` (with --query for a dynamic workflow) "
        f"before {step}"
    )


def _keep_text(branches: Branches, what: str, then: str) -> str:
    parts = []
    if branches.old:
        parts.append(f"{executions_text(branches.old)} {what}")
    if branches.unchecked:
        parts.append(unchecked_text(branches.unchecked))
    return "; ".join([*parts, then])


def _deprecate_text(branches: Branches) -> str:
    from replaycheck.report import plural

    if not branches.new and not branches.not_reached:
        seen = "no recorded execution reached the gate (do the histories cover every execution "
        seen += "that may still be replayed?)"
    else:
        seen = f"{plural(len(branches.new), 'execution')} took the new branch"
        if branches.not_reached:
            count = len(branches.not_reached)
            they = "it reaches" if count == 1 else "they reach"
            seen += f", {plural(count, 'running execution')} will take it when {they} the gate"
    return (
        f"no execution that may still be replayed took the old branch ({seen}): replace "
        "patched() with deprecate_patch() and delete the old branch"
    )


# --------------------------------------------------------------------------- running it


def collect(
    settings: Settings,
    paths: Sequence[str | Path] = (),
    *,
    jobs: int = 1,
    sandbox: bool = True,
    retention_days: float | None = None,
    now: datetime | None = None,
) -> PatchesReport:
    """Replay the history files (``paths``, else the configured ones) recording patch calls.

    Raises:
        ConfigError: no histories or workflows configured, or the workflows do not import.
        NoHistoriesError: a path holds no history file.
    """
    from replaycheck._patch_scan import scan
    from replaycheck.errors import ConfigError
    from replaycheck.histories import discover
    from replaycheck.replay import ReplayJob, replay

    roots = list(paths) or list(settings.histories)
    if not roots:
        raise ConfigError(
            'no histories to read; pass paths or set histories = ["fixtures/histories"] '
            "under [tool.replaycheck] in pyproject.toml."
        )
    job = ReplayJob.from_settings(settings, discover(roots))
    job = replace(job, sandbox=sandbox, record_patches=True)
    verdicts = replay(job, jobs=jobs)
    found = scan(settings.workflows, settings.import_paths)
    return analyze(
        verdicts,
        found.sites,
        retention_days=retention_days,
        now=now,
        types=found.workflow_types,
        types_unknown=found.types_unknown,
        continues_into=found.continues_into,
    )


def collect_live(
    settings: Settings,
    connection: Connection,
    selection: Selection,
    *,
    concurrency: int = 16,
    sandbox: bool = True,
) -> tuple[PatchesReport, LiveStats]:
    """The report over executions fetched from a cluster (nothing is written).

    Without a query or workflow ids, selects every execution the server still keeps (running,
    or closed within the namespace's retention) of the workflow types the code registers (as
    the replay worker names them: ``@workflow.defn(name=...)`` may be any expression).

    Raises:
        ClusterConnectionError / NoHistoriesError: as ``replaycheck check --live``.
    """
    from replaycheck._patch_scan import scan
    from replaycheck.live import check_live
    from replaycheck.replay import ReplayJob

    found = scan(settings.workflows, settings.import_paths)
    everything = not selection.query and not selection.workflow_ids and not selection.limit
    job = replace(ReplayJob.from_settings(settings, []), sandbox=sandbox, record_patches=True)
    verdicts, stats = check_live(job, connection, selection, concurrency=concurrency, running=False)
    report = analyze(
        verdicts,
        found.sites,
        complete=everything,
        types=found.workflow_types,
        types_unknown=found.types_unknown,
        continues_into=found.continues_into,
    )
    return report, stats
