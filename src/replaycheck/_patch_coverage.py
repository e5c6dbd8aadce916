"""What holds a ``ready`` patch verdict back when the histories read may not cover every
execution (:class:`Coverage`), and the reason each such hold gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from replaycheck._patch_rules import relevant_histories

if TYPE_CHECKING:
    from replaycheck.patches import CallSite, PatchVerdict
    from replaycheck.verdict import Verdict


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
    generated: frozenset[str] = frozenset()
    """The workflow types of the histories ``generate --save`` wrote (not in :attr:`seen`: they
    are fixtures, not executions)."""

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
            return _unseen(verdict, unseen, helper, [t for t in unseen if t in self.generated])
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


def _unseen(
    verdict: PatchVerdict, types: Sequence[str], helper: bool, generated: Sequence[str] = ()
) -> tuple[PatchVerdict, str]:
    """Not ready after all: no history of a workflow type whose code calls the patch
    (``generated``: those of them only histories ``generate --save`` wrote hold)."""
    from replaycheck.report import plural

    names = ", ".join(repr(t) for t in types)
    held, step = _held(verdict)
    calls = "that may call it (from a helper or a base class)" if helper else "whose code calls it"
    fixtures = ", ".join(repr(t) for t in generated)
    only = f" (the generated ones of {fixtures} are fixtures, not executions)" if generated else ""
    return held, (
        f"no history of {plural(len(types), 'workflow type')} {calls} ({names}) is among "
        f"those read{only}, so nothing shows where its executions went: export them (or run "
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
