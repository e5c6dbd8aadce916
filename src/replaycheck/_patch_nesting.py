"""Patch gates inside the branch of another gate: which branch of which older gate a call site
lies in, and so which executions never meet it (they took that gate's other branch).

The scan (``replaycheck._patch_scan``) notes, for each call site and each reference to a name,
the gates it is written inside and the function it is in. A call in a function (``prepare``)
is inside a gate's branch too when every reference to that function's name in the code the
workflows run is: ``if workflow.patched("a"): await self.prepare()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replaycheck._patch_facts import PatchCall, PatchFacts
    from replaycheck.patches import CallSite, ExecutionRef

Gates = tuple[tuple[str, bool], ...]
"""``(patch id, branch)`` of each gate a place is written inside, outermost first."""
Reference = tuple[str, str, Gates]
"""A name referred to, the function the reference is in (``""``: none) and its gates."""
DEPTH = 3
"""How many calls out a function's gates are looked for."""


def nested_sites(
    sites: Sequence[tuple[CallSite, str]], references: Iterable[Reference]
) -> list[CallSite]:
    """The sites (each with the function it is in) with :attr:`CallSite.within` filled in: the
    gates written around them and those around every reference to their function."""
    by_name: dict[str, list[tuple[str, Gates]]] = {}
    for name, function, gates in references:
        by_name.setdefault(name, []).append((function, gates))
    out = []
    for site, function in sites:
        around = dict.fromkeys(site.within)
        around.update(dict.fromkeys(sorted(_gates_of(function, by_name, 0))))
        out.append(replace(site, within=tuple(around)))
    return out


def _gates_of(
    function: str, by_name: Mapping[str, Sequence[tuple[str, Gates]]], depth: int
) -> frozenset[tuple[str, bool]]:
    """The gates every reference to ``function`` is inside (none: unreferenced, or too deep)."""
    found = by_name.get(function) if function and depth < DEPTH else None
    if not found:
        return frozenset()
    common: frozenset[tuple[str, bool]] | None = None
    for caller, gates in found:
        here = frozenset(gates) | _gates_of(caller, by_name, depth + 1)
        common = here if common is None else common & here
    return common or frozenset()


def took_elsewhere(facts: PatchFacts, sites: Sequence[CallSite]) -> PatchCall | None:
    """The call of an older gate whose branch, as the history decided it, holds none of
    ``sites`` (the call sites of one patch id): the execution never meets them. ``None`` when
    it may (a site outside any gate, or a gate it has not passed)."""
    taken = None
    for site in sites:
        hit = next(
            (
                call
                for patch_id, branch in site.within
                if (call := facts.call(patch_id)) is not None
                and call.replaying
                and call.result != branch
            ),
            None,
        )
        if hit is None:
            return None
        taken = taken or hit
    return taken


def branch_text(call: PatchCall) -> str:
    """``the old branch of 'a'``: the branch ``call``'s gate took."""
    return f"the {'new' if call.result else 'old'} branch of {call.patch_id!r}"


def never_meets_text(refs: Sequence[ExecutionRef], took: Sequence[str]) -> str:
    """``2 executions (1 running, 1 closed) took the old branch of 'a', which holds no call of
    it: they never meet it``."""
    from replaycheck._patch_rules import executions_text

    return (
        f"{executions_text(refs)} took {' or '.join(took)}, which holds no call of it: "
        f"{'it never meets' if len(refs) == 1 else 'they never meet'} it"
    )
