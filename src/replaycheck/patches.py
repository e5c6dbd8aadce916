"""Patch lifecycle: may a ``workflow.patched()`` gate be deprecated, or its call removed, yet?

For every patch id found in the code (a static scan, ``replaycheck._patch_scan``) or in the
histories (``core_patch`` markers, ``TemporalChangeVersion`` upserts), the histories are replayed
with the current code while every ``patched()`` / ``deprecate_patch()`` call and its result is
recorded (``replaycheck._patch_record``). Each execution then either took the new branch (its
history holds the marker), took the old branch (the replay reached the gate and ``patched()``
returned False), has not reached the gate yet (running), or could not be checked; the verdict
rules are in :func:`patch_verdict` (``_patch_rules``) and ``docs/versioning.md``. ``get_version``
changes (``replaycheck.versioning``) are reported per change, by version (``_patch_versions``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from replaycheck._patch_coverage import Coverage
from replaycheck._patch_facts import PatchCall, PatchFacts
from replaycheck._patch_rules import branches_of, holding, patch_verdict, relevant_histories

if TYPE_CHECKING:
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
SHOWN = 10
"""Files listed per group in the text report (JSON lists all)."""


def more_listed(count: int, indent: str, shown: int = SHOWN) -> list[str]:
    """The text report's line after the first ``shown`` of a group of ``count`` files (none
    when it lists them all)."""
    if count <= shown:
        return []
    return [f"{indent}… and {count - shown} more (--format json lists them all)"]


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
    """The ``@workflow.defn`` class the call is in, or the one registered class that runs the
    helper or base class it is in (empty: several may)."""
    min_supported: int | None = None
    max_supported: int | None = None
    """``get_version`` only: the literal range."""
    observed: bool = False
    """Found only by replay (a non-literal id, or a module the scan did not reach)."""
    type_unknown: bool = False
    """In a ``@workflow.defn`` class whose type the source does not tell (a computed name, a
    dynamic workflow): ``workflow_type`` is empty, as for a helper."""
    no_else: bool = False
    """A ``patched()`` call that is the test of an ``if`` with no ``else``: the gate only
    added code, so its old branch ran nothing."""
    within: tuple[tuple[str, bool], ...] = ()
    """The gates the call is inside, as ``(patch id, branch)`` (True: the body of ``if
    workflow.patched(id):``, False: its ``else``): written there, or in a function that only
    such a branch calls (``replaycheck._patch_nesting``). An execution whose history decided
    the other branch of one of them never meets the call."""


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
    pinned: str = ""
    """The Worker Deployment Version it is pinned to (``Verdict.pinned``; empty: not pinned)."""
    closed_at: str = ""
    """When it closed (ISO 8601, UTC; empty: running, or the history does not say)."""

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
    closed_before: tuple[ExecutionRef, ...] = ()
    """Closed executions that ended before reaching the gate: they never will, and hold
    nothing back (a query replays only what they recorded; a reset runs the gate live)."""
    never_meets: tuple[ExecutionRef, ...] = ()
    """Executions that took a branch of an older gate which holds no call of this id (see
    :attr:`CallSite.within`): running or closed, they never meet it, and hold nothing back."""
    took_instead: tuple[str, ...] = ()
    """Those branches: ``the old branch of 'a'``."""
    change_version: int = 0
    """Executions whose ``TemporalChangeVersion`` search attribute lists the id."""
    held_until: str = ""
    """When the retention has deleted every execution holding the verdict back (ISO 8601,
    UTC), all of them closed; empty when one runs or the retention is not known."""
    last_to_go: ExecutionRef | None = None
    """The execution of those that closed last."""
    generated_old_branch: tuple[ExecutionRef, ...] = ()
    """Histories ``generate --save`` wrote that took the old branch: fixtures, holding nothing
    back, to delete with the old branch (``replaycheck._patch_generated``)."""


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
    closed_before: tuple[ExecutionRef, ...] = ()
    """Closed executions that ended before reaching ``get_version``."""
    never_meets: tuple[ExecutionRef, ...] = ()
    """Executions that took a branch of an older gate which holds no ``get_version`` call of
    this change (see :attr:`CallSite.within`): running or closed, they never meet it."""
    took_instead: tuple[str, ...] = ()
    """Those branches: ``the old branch of 'a'``."""
    generated_old_versions: tuple[tuple[int, tuple[ExecutionRef, ...]], ...] = ()
    """Histories ``generate --save`` wrote that recorded a version below the newest, by version,
    lowest first: fixtures, holding nothing back; ``check`` fails each once ``min_supported``
    is raised past its version (``replaycheck._patch_generated``)."""


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
    gate is deprecated). Every copy of such a run is listed, right after its most complete
    copy (an export taken while it ran too: :attr:`expired_copies`)."""

    @property
    def expired(self) -> int:
        """How many closed executions were left out (:attr:`expired_paths`, each run once)."""
        copies = {path for path, _ in self.expired_copies}
        return sum(1 for path in self.expired_paths if path not in copies)

    pinned_left_out: int = 0
    """Executions pinned to a deployment version that ``--skip-pinned`` left out."""
    namespace_retention_days: float | None = None
    """The namespace's retention as the server said it (``--live``)."""
    errors: tuple[tuple[str, str], ...] = ()
    """``(path, message)`` of each history whose replay ended in ``error``: the patches it
    holds, and the branches it took, may be missing from the report (``check`` says why)."""
    copies: tuple[tuple[str, str], ...] = ()
    """``(path, kept)`` of each history left out as a copy of a run another history holds (the
    same workflow id and run id): ``kept`` is that run's most complete copy, which counts
    (``replaycheck._patch_copies``). :attr:`histories` and :attr:`replay` count both. A run
    the retention left out is not here: its copies are in :attr:`expired_copies`."""
    expired_copies: tuple[tuple[str, str], ...] = ()
    """``(path, kept)`` of each copy of a run the retention left out (in :attr:`expired_paths`,
    after ``kept``, that run's most complete copy, also there)."""
    generated: tuple[str, ...] = ()
    """Paths of the histories ``generate --save`` wrote, left out of every verdict."""


# --------------------------------------------------------------------------- analysis


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
        pinned=verdict.pinned,
        closed_at=verdict.patches.closed_at if verdict.patches else "",
    )


def patch_report(
    patch_id: str,
    sites: Sequence[CallSite],
    verdicts: Sequence[Verdict],
    coverage: Coverage | None = None,
    *,
    retention_days: float | None = None,
) -> PatchReport:
    """The lifecycle report of one patch id (``coverage``: what the histories read may leave
    out; ``None``: every execution the server keeps was read; ``retention_days``: known, it
    dates when the executions holding the verdict back are deleted)."""
    from replaycheck._patch_dates import deleted_by

    relevant = relevant_histories(verdicts, sites, [patch_id])
    branches = branches_of(patch_id, relevant, sites)
    verdict, reason = patch_verdict(patch_id, sites, branches)
    held_until, last = deleted_by(holding(verdict, branches), retention_days)
    if coverage is not None:
        first = verdict
        verdict, reason = coverage.held_back(verdict, reason, patch_id, sites)
        if verdict != first:
            held_until, last = "", None
    return PatchReport(
        patch_id=patch_id,
        verdict=verdict,
        reason=reason,
        call_sites=tuple(sites),
        new_branch=tuple(branches.new),
        old_branch=tuple(branches.old),
        not_reached=tuple(branches.not_reached),
        unchecked=tuple(branches.unchecked),
        closed_before=tuple(branches.closed_before),
        never_meets=tuple(branches.elsewhere),
        took_instead=tuple(branches.took),
        change_version=sum(
            1 for v in verdicts if v.patches and patch_id in v.patches.change_versions
        ),
        held_until=held_until,
        last_to_go=last,
    )


# analyze() builds the report from these (_patch_analyze); collect() and collect_live(), which
# replay and then analyze, live in _patch_collect.
from replaycheck._patch_analyze import analyze  # noqa: E402
from replaycheck._patch_collect import collect, collect_live  # noqa: E402
