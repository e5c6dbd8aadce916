"""The patch verdict rules: which histories count for a patch id, where their executions went
(:class:`Branches`), and the verdict with the reason it gives (:func:`patch_verdict`); what holds
a ``ready`` verdict back when the histories read may not cover every execution is in
``_patch_coverage``.
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


def executions_text(refs: Sequence[ExecutionRef]) -> str:
    from replaycheck.report import plural

    running = sum(1 for r in refs if r.running)
    return f"{plural(len(refs), 'execution')} ({running} running, {len(refs) - running} closed)"


def closed_before_text(refs: Sequence[ExecutionRef], gate: str = "the gate") -> str:
    """Closed executions that ended before the gate: replaying them (a query, the stack trace)
    stops where their history ends, and a reset runs the rest live, so they hold nothing back."""
    from replaycheck.report import plural

    return f"{plural(len(refs), 'closed execution')} ended before reaching {gate}"


def until_gone(count: int) -> str:
    """``until it is gone`` or ``until they are gone``, as ``count`` executions are."""
    return "until it is gone" if count == 1 else "until they are gone"


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
    blocked = [*branches.old, *branches.unchecked]
    if "patched" in kinds:
        if blocked:
            return "keep-both-branches", _keep_text(
                branches,
                "took the old branch",
                f"keep the old branch {until_gone(len(blocked))} (closed ones until the "
                "retention deletes them: queries and resets replay them too)",
            )
        bare = all(s.no_else for s in sites if s.kind == "patched")
        return "ready-to-deprecate", _deprecate_text(branches, no_else=bare)
    if blocked:
        from replaycheck._patch_too_early import old_branch_gone

        return "keep-both-branches", "deprecate_patch() came too early: " + _keep_text(
            branches, old_branch_gone(branches.old),
            f"go back to patched() with the old branch {until_gone(len(blocked))}",
        )  # fmt: skip
    if live:
        return "keep-deprecate-patch", (
            f"{executions_text(live)} recorded the marker with patched(), and replaying them "
            f"needs a call with this id: keep deprecate_patch() {until_gone(len(live))}"
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
        f"where the gate was {until_gone(len(live))}"
    )
    if unchecked:
        text += (
            f"; {unchecked_text(unchecked)}: if they did, put the whole gate back instead "
            f'(workflow.patched("{patch_id}") around the new code, and an else with the old '
            "code only if the gate had one: a gate that only added code had none)"
        )
    return text


def _keep_text(branches: Branches, what: str, then: str) -> str:
    parts = []
    if branches.old:
        parts.append(f"{executions_text(branches.old)} {what}")
    if branches.unchecked:
        parts.append(unchecked_text(branches.unchecked))
    return "; ".join([*parts, then])


def _deprecate_text(branches: Branches, *, no_else: bool = False) -> str:
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
    step = (
        "replace the if with deprecate_patch() and the statements it held, out of the if (it "
        "has no else: there is no old branch to delete)"
        if no_else
        else "replace patched() with deprecate_patch() and delete the old branch"
    )
    return f"no execution that may still be replayed took the old branch ({seen}): {step}"
