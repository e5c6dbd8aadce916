"""Fixes that only a whole run can see: the histories one removed patch gate breaks.

When the code no longer has ``if workflow.patched("x"): new else: old``, a history recorded
with the marker fails at it (``patch-removed``: put the call back), and a history of an
execution that started before the patch fails later, inside the new code, where on its own it
reads like a new change wanting a new gate. In one run they are one change: the gate ``x`` goes
back with the old code in its ``else`` (none when they ran nothing there: an addition). No
single history can tell (which patch ids the others carry is not in it), so :func:`reconcile`
links them once every verdict is in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._fix_patches import held

if TYPE_CHECKING:
    from replaycheck._source import SourceFrame
    from replaycheck.diagnose import Diagnosis
    from replaycheck.verdict import Verdict

Gate = tuple[str, str]
"""A removed gate: (workflow type, patch id)."""


def reconcile(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts, with each old-branch failure of a removed gate given that gate's patch id
    and fix, and each ``patch-removed`` failure told how many such histories the run has."""
    gates = removed_gates(verdicts)
    if not gates:
        return list(verdicts)
    linked = {i: gate for i, v in enumerate(verdicts) if (gate := _gate_passed(v, gates))}
    counts = Counter(linked.values())
    filled = {gate for i, gate in linked.items() if not _ran_nothing(verdicts[i])}
    passed: dict[int, Diagnosis] = {}  # each old-branch failure, told the gate it passed
    blocks: dict[Gate, Diagnosis] = {}  # the first of those that shows what the gate held
    for i, gate in linked.items():
        d = verdicts[i].diagnosis
        assert d is not None  # _gate_passed links none without
        passed[i] = replace(d, removed_gate=gate[1], removed_gate_at=gates[gate].gate_at,
                            patch_id=gate[1], other_patch_id="")  # fmt: skip
        if held(passed[i]):
            blocks.setdefault(gate, passed[i])
    out = []
    for i, verdict in enumerate(verdicts):
        d, gate = verdict.diagnosis, _removed(verdict)
        if i in passed:
            d = passed[i]
        elif d is not None and gate is not None and gate in counts:
            d = replace(d, old_branch_failures=counts[gate], old_branch_empty=gate not in filled)
            if gate not in filled and gate in blocks:  # the statements the gate held
                d = replace(d, added_block=blocks[gate].added_block, added_to=blocks[gate].added_to)
        out.append(verdict if d is verdict.diagnosis else replace(verdict, diagnosis=d))
    return out


def _ran_nothing(verdict: Verdict) -> bool:
    """This execution, started before the patch, ran nothing where the gate was: the code now
    runs the new code where it went on with what still runs after the gate."""
    from replaycheck._fix_cases import is_addition

    return verdict.diagnosis is not None and is_addition(verdict.diagnosis)


def removed_gates(verdicts: Sequence[Verdict]) -> dict[Gate, Diagnosis]:
    """Each gate whose ``patched()`` marker a history recorded and the code no longer calls,
    with the first such failure (it tells where the gate was)."""
    gates: dict[Gate, Diagnosis] = {}
    for verdict in verdicts:
        gate = _removed(verdict)
        if gate and verdict.diagnosis is not None and verdict.diagnosis.gate_at is not None:
            gates.setdefault(gate, verdict.diagnosis)
    return gates


def _removed(verdict: Verdict) -> Gate | None:
    d = verdict.diagnosis
    if verdict.verdict != "nondeterministic" or d is None or d.change != "patch-removed":
        return None
    if d.marker_deprecated:  # replay skips those when no call matches: not this failure
        return None
    return verdict.workflow_type, d.recorded_name


def _gate_passed(verdict: Verdict, gates: dict[Gate, Diagnosis]) -> Gate | None:
    """The removed gate this failure is the old branch of: an execution of the same type with
    no marker of it (started before the patch) that diverged in the code after the gate."""
    d = verdict.diagnosis
    if verdict.verdict != "nondeterministic" or d is None or not d.location:
        return None
    if d.change in ("patch-removed", "unknown") or d.deprecated_early:
        return None  # a failure with a cause of its own
    found = [
        (depth, gate)
        for gate, removed in gates.items()
        if gate[0] == verdict.workflow_type
        and gate[1] not in d.markers
        and "~" + gate[1] not in d.markers  # recorded by deprecate_patch(): the new branch
        and (depth := _after(removed, d)) is not None
    ]
    return max(found)[1] if found else None


def _after(removed: Diagnosis, d: Diagnosis) -> int | None:
    """Whether ``d`` diverged in code that runs after the removed gate: both came through the
    same calls down to the function the gate was in, and ``d`` at or after the gate's line
    there (or further in, within the gated call). The depth of the calls they share (the
    closest gate wins); ``None``: elsewhere."""
    gate = _outward(removed)
    here = _outward(d)
    shared = 0
    while shared < min(len(gate), len(here)) and _same(gate[-1 - shared], here[-1 - shared]):
        shared += 1
    if shared == min(len(gate), len(here)):  # one call chain holds the other
        return shared
    at, seen = gate[-1 - shared], here[-1 - shared]
    if (at.file, at.function) == (seen.file, seen.function) and seen.line >= at.line:
        return shared
    return None


def _outward(d: Diagnosis) -> tuple[SourceFrame, ...]:
    """The gated frame, then its callers."""
    return d.location[d.gate_frame :]


def _same(a: SourceFrame, b: SourceFrame) -> bool:
    return (a.file, a.line, a.function) == (b.file, b.line, b.function)
