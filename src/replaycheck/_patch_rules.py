"""The patch verdict rules: which histories count for a patch id, where their executions went
(:class:`Branches`), the verdict with the reason it gives (:func:`patch_verdict`), and what holds a
``ready`` verdict back when the histories read may not cover every execution (:class:`Coverage`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replaycheck._patch_facts import PatchCall
    from replaycheck.patches import CallSite, ExecutionRef, PatchVerdict
    from replaycheck.verdict import Verdict


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
    """Where the executions of one patch id went (see :class:`~replaycheck.patches.PatchReport`)."""

    new: list[ExecutionRef] = field(default_factory=list)
    old: list[ExecutionRef] = field(default_factory=list)
    not_reached: list[ExecutionRef] = field(default_factory=list)
    unchecked: list[ExecutionRef] = field(default_factory=list)
    closed_before: list[ExecutionRef] = field(default_factory=list)
    elsewhere: list[ExecutionRef] = field(default_factory=list)
    """Executions that took a branch of an older gate that holds none of the call sites."""
    took: dict[str, None] = field(default_factory=dict)
    """Those branches, as :func:`~replaycheck._patch_nesting.branch_text` says them."""


def branches_of(
    patch_id: str, verdicts: Sequence[Verdict], sites: Sequence[CallSite] = ()
) -> Branches:
    """Where each execution of ``verdicts`` went at the gate of ``patch_id`` (``sites``: its
    call sites, whose enclosing gates tell which executions never meet it)."""
    from replaycheck._patch_nesting import branch_text, took_elsewhere
    from replaycheck.patches import ref

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
        elif (other := took_elsewhere(facts, sites)) is not None:
            out.elsewhere.append(ref(verdict, other.event_id))
            out.took[branch_text(other)] = None
        elif verdict.verdict != "ok" or not facts.observed:
            out.unchecked.append(ref(verdict))
        elif not verdict.closed:
            out.not_reached.append(ref(verdict, call.event_id if call else 0))
        else:  # closed before the gate (or past its last task): it never reaches it
            out.closed_before.append(ref(verdict))
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
    helper or a base class that several classes run (of no one type) may be reached from any
    of them."""
    types_unknown: bool = False
    """The code also registers a class whose type its source does not tell."""
    continues_into: tuple[tuple[str, str], ...] = ()
    """``(type, other type)``: a run of the one may continue as new into the other (see
    :attr:`replaycheck._patch_scan.Scan.continues_into`)."""
    live: bool = False
    """The histories are a live selection (``patches --live`` with ``--query`` or
    ``--workflow-id``): advice names a wider selection, not an export."""
    limit: int = 0
    """``--limit N`` stopped the live listing at N executions: more may match, unread."""
    unread: tuple[tuple[str, int | None], ...] = ()
    """``(type, count)``: executions of the type the server keeps that a live selection narrowed
    by ``--query`` or ``--workflow-id`` did not read (``None``: the server did not count them)."""
    uncounted_reason: str = ""
    """Why the server did not count them, as it said ('': it did not say)."""

    def held_back(
        self, verdict: PatchVerdict, reason: str, patch_id: str, sites: Sequence[CallSite]
    ) -> tuple[PatchVerdict, str]:
        """A ``ready`` verdict held back by what the histories may not cover (else as is)."""
        if verdict not in ("ready-to-deprecate", "ready-to-remove"):
            return verdict, reason
        if self.limit:
            return _limited(verdict, self.limit)
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
            return _earlier_runs_missing(verdict, missing, live=self.live)
        left = [(t, n) for t, n in self.unread if t in callers and n != 0]
        if left:
            from replaycheck._patch_narrowed import narrowed

            return narrowed(*_held(verdict), left, self.uncounted_reason)
        return verdict, reason


def executions_text(refs: Sequence[ExecutionRef]) -> str:
    from replaycheck.report import plural

    running = sum(1 for r in refs if r.running)
    return f"{plural(len(refs), 'execution')} ({running} running, {len(refs) - running} closed)"


def closed_before_text(refs: Sequence[ExecutionRef], gate: str = "the gate") -> str:
    """Closed executions that ended before the gate: replaying them (a query, the stack trace)
    stops where their history ends, and a reset runs the rest live, so they hold nothing back."""
    from replaycheck.report import plural

    return f"{plural(len(refs), 'closed execution')} ended before reaching {gate}"


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
    replay those too). Executions pinned to a deployment version count like any other, and the
    reason says when they are what holds the verdict (:func:`pinned_hint`).
    """
    verdict, reason = _patch_verdict(patch_id, sites, branches)
    return verdict, reason + pinned_hint(holding(verdict, branches))


def holding(verdict: str, branches: Branches) -> list[ExecutionRef]:
    """The executions that hold ``verdict`` back (none for a verdict that needs no wait)."""
    live = [e for e in branches.new if not e.deprecated]
    return {
        "keep-both-branches": [*branches.old, *branches.unchecked],
        "keep-deprecate-patch": live,
        "orphaned": [*live, *branches.unchecked],
    }.get(verdict, [])


def pinned_hint(holding: Sequence[ExecutionRef]) -> str:
    """What to add to a verdict's reason when executions pinned to a deployment version are
    among those ``holding`` it (empty when none is).

    New code shipped as a new deployment version never replays them, so they hold nothing back
    then; replaycheck cannot tell how the code ships, so it says so and keeps counting them.
    """
    from replaycheck._pinning import versions_text

    pinned = [r.pinned for r in holding if r.pinned]
    if not pinned:
        return ""
    shown = versions_text(pinned)
    if len(pinned) == len(holding):
        who = "it is" if len(pinned) == 1 else f"all {len(pinned)} of them are"
        return (
            f"; {who} pinned to a deployment version ({shown}): new code shipped as a new "
            f"version never replays {'it' if len(pinned) == 1 else 'them'}, so if this change "
            "ships that way nothing here holds it back: run again with --skip-pinned"
        )
    are = "is" if len(pinned) == 1 else "are"
    return (
        f"; {len(pinned)} of them {are} pinned to a deployment version ({shown}), which new code "
        "shipped as a new version never replays: if this change ships that way, --skip-pinned "
        "leaves them out"
    )


def _patch_verdict(
    patch_id: str, sites: Sequence[CallSite], branches: Branches
) -> tuple[PatchVerdict, str]:
    kinds = {s.kind for s in sites}
    live = [e for e in branches.new if not e.deprecated]
    if not sites:
        if live:
            return "orphaned", _orphaned_text(patch_id, live, branches.unchecked)
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
        from replaycheck._patch_too_early import old_branch_gone

        return "keep-both-branches", "deprecate_patch() came too early: " + _keep_text(
            branches, old_branch_gone(branches.old),
            "go back to patched() with the old branch until they are gone",
        )  # fmt: skip
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


def _orphaned_text(
    patch_id: str, live: Sequence[ExecutionRef], unchecked: Sequence[ExecutionRef]
) -> str:
    """Put the call back as ``deprecate_patch()``; the whole gate if executions that may have
    started before the patch fail too (`check` then says so for both)."""
    text = (
        f"{executions_text(live)} recorded the marker with patched(), but no code calls "
        "patched() or deprecate_patch() with this id: their replay fails (Non-deprecated "
        f'patch marker encountered); put workflow.deprecate_patch("{patch_id}") back '
        "where the gate was until they are gone"
    )
    if unchecked:
        text += (
            f"; {unchecked_text(unchecked)}: if they did, put the whole gate back instead "
            f'(workflow.patched("{patch_id}") around the new code, and an else with the old '
            "code only if the gate had one: a gate that only added code had none)"
        )
    return text


def _held(verdict: PatchVerdict) -> tuple[PatchVerdict, str]:
    """The verdict a ``ready`` one falls back to, and the step it holds back."""
    if verdict == "ready-to-deprecate":
        return "keep-both-branches", "deprecating"
    return "keep-deprecate-patch", "removing the call"


def _earlier_runs_missing(
    verdict: PatchVerdict, later: Sequence[Verdict], *, live: bool = False
) -> tuple[PatchVerdict, str]:
    """Not ready after all: runs that continued as new from runs no history read holds."""
    from replaycheck.report import plural

    held, step = _held(verdict)
    ids = list(dict.fromkeys(v.workflow_id for v in later))
    shown = ", ".join(repr(i) for i in ids[:3]) + (", ..." if len(ids) > 3 else "")
    from replaycheck.live import query_literal

    query = " OR ".join(f"WorkflowId={query_literal(i)}" for i in ids[:3])
    read = (
        f"select them too (`--query {_shell(query)}`: every run of those ids), or run "
        "`replaycheck patches --live` without a selection"
        if live
        else f"export every run of them (`replaycheck export --query {_shell(query)}`, into "
        "the same directory, from the same namespace), or run `replaycheck patches --live` "
        "without a selection"
    )
    return held, (
        f"the earlier runs of {plural(len(ids), 'workflow id')} ({shown}: a run continued as "
        "new, retried or started again from one) are not among the histories read, and may "
        f"have taken the old branch: {read}, before {step} (`--retention` leaves out runs the "
        "server has deleted)"
    )


def _limited(verdict: PatchVerdict, limit: int) -> tuple[PatchVerdict, str]:
    """Not ready after all: ``--limit`` stopped the listing, so executions went unread."""
    from replaycheck._patch_narrowed import unread_went
    from replaycheck.report import plural

    held, step = _held(verdict)
    return held, (
        f"--limit {limit} stopped the listing at {plural(limit, 'execution')}, and the ones "
        f"after them were not read: they may have {unread_went(held)}. Run `replaycheck "
        f"patches --live` without --limit before {step}"
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

    closed = (
        f", {closed_before_text(branches.closed_before, 'it')}" if branches.closed_before else ""
    )
    if not branches.new and not branches.not_reached:
        seen = "no recorded execution reached the gate (do the histories cover every execution "
        seen += f"that may still be replayed?){closed}"
    else:
        seen = f"{plural(len(branches.new), 'execution')} took the new branch"
        if branches.not_reached:
            count = len(branches.not_reached)
            they = "it reaches" if count == 1 else "they reach"
            seen += f", {plural(count, 'running execution')} will take it when {they} the gate"
        seen += closed
    if branches.elsewhere:
        from replaycheck._patch_nesting import never_meets_text

        seen += f", {never_meets_text(branches.elsewhere, list(branches.took))}"
    return (
        f"no execution that may still be replayed took the old branch ({seen}): replace "
        "patched() with deprecate_patch() and delete the old branch"
    )
