"""The fixes of a patch the code no longer calls (split from ``replaycheck._fix_cases``): put
the call back as ``deprecate_patch()``, or the whole gate with its old branch; and the closing
lines of a run that say it per patch (:func:`removed_patch_lines`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaycheck._places import place_file

if TYPE_CHECKING:
    from collections.abc import Sequence

    from replaycheck._source import SourceFrame
    from replaycheck.diagnose import Diagnosis
    from replaycheck.verdict import Verdict


def patch_removed_fix(diagnosis: Diagnosis) -> list[str]:
    """Put the call back (:func:`_gone_fix`); where the code asks for another, unrecorded id
    right there, first keep the recorded id in that call: a renamed id takes the old branch."""
    lines = _gone_fix(diagnosis)
    if not diagnosis.renamed_patch:
        return lines
    new, at, kept = diagnosis.renamed_patch
    old = diagnosis.recorded_name
    return [
        f"the code asks for patch {new!r} at {at}, right where this history recorded patch "
        f"{old!r}, and no history here recorded {new!r}: executions recorded with {old!r} "
        f"take that gate's old branch now. If it is the same gate under a new id, keep the "
        "recorded one there:",
        f"    {kept}",
        f"  if {new!r} gates another change, {lines[0]}",
        *lines[1:],
    ]


def renamed_reading(d: Diagnosis) -> str:
    """What a ``patch-removed`` explanation adds when the code asks for another id there."""
    if not d.renamed_patch:
        return ""
    return f"; it asks for {d.renamed_patch[0]!r} there instead, an id renamed?"


def _gone_fix(diagnosis: Diagnosis) -> list[str]:
    """Put the call back. Executions recorded with ``patched()``'s marker replay with
    ``deprecate_patch()``, the smallest step back; those that started before the patch need the
    whole gate, old branch and all: first when the run holds such a history
    (:attr:`~replaycheck.diagnose.Diagnosis.old_branch_failures`), else as the other reading."""
    patch_id = diagnosis.recorded_name
    frame = diagnosis.gate_at
    was = gate_place(frame, diagnosis.location)
    at = _before(was)
    if diagnosis.marker_deprecated:
        return [
            f"executions recorded with deprecate_patch({patch_id!r}) still need its marker: put "
            f"the call back where it was{at}:",
            f'    workflow.deprecate_patch("{patch_id}")',
            "    # delete it once no execution recorded with the marker can be replayed "
            "(`replaycheck patches` says when)",
        ]
    gate_back = [
        f'    if workflow.patched("{patch_id}"):',
        "        ...  # the new code",
        "    else:",
        "        ...  # the old code, for executions that started before the patch",
    ]
    old = diagnosis.old_branch_failures
    if old and diagnosis.old_branch_empty:  # they ran nothing there: no else to put back
        return [
            f"executions recorded with patch {patch_id!r} still need its marker, and "
            f"{_histories(old)} here started before the patch and ran nothing where the gate "
            f"was: put the gate back there{_before(frame)}{around(diagnosis)}, one gate for "
            "both, with no "
            "else:",
            *new_code_gated(patch_id, frame, held(diagnosis)),
            "  once none that started before the patch is left (`replaycheck patches` says "
            "when), keep only the new code and call there",
            f'    workflow.deprecate_patch("{patch_id}")',
        ]
    if old:
        return [
            f"executions recorded with patch {patch_id!r} still need its marker, and "
            f"{_histories(old)} here started before the patch and need its old branch: put "
            f"the gate back where it was{at}, one gate for both:",
            *gate_back,
            "  once none that started before the patch is left (`replaycheck patches` says "
            "when), keep only the new code and call there",
            f'    workflow.deprecate_patch("{patch_id}")',
        ]
    return [
        f"executions recorded with patch {patch_id!r} still need a call with its id: put it "
        f"back as deprecate_patch() where the gate was{at}, until none of them can be "
        "replayed (`replaycheck patches` says when):",
        f'    workflow.deprecate_patch("{patch_id}")',
        "  if executions that started before the patch may still run or replay too, they need "
        "its old branch: put the whole gate back instead, as it was. No history here started "
        "before the patch, so none shows where the gate ended or what its old branch ran (the "
        "source no longer has it): take the gate from version control (the file before the "
        "gate went):",
        *_unknown_gate(patch_id, was),
    ]


def _before(frame: SourceFrame | None) -> str:
    return f" (before {frame.short()})" if frame else ""


def gate_place(frame: SourceFrame | None, location: Sequence[SourceFrame]) -> SourceFrame | None:
    """Where a removed gate began, from ``frame``, the first statement it held that the code
    still runs: the call of ``frame``'s function instead (one of ``location``'s, the frames
    of a command of it), again and again, while ``frame`` is the first statement its function
    runs: ``if workflow.patched(...): schema = await self.prepare_v2(request)`` in ``run``
    more likely than a gate at the top of ``prepare_v2``."""
    frames = list(location)
    while frame is not None and _opens_function(frame):
        mine = [
            i for i, f in enumerate(frames) if (f.file, f.function) == (frame.file, frame.function)
        ]
        if not mine or mine[0] + 1 >= len(frames):
            break
        frame, frames = frames[mine[0] + 1], frames[mine[0] + 1 :]
    return frame


def _opens_function(frame: SourceFrame) -> bool:
    """Whether the statement at ``frame`` is the first its function runs (after a docstring,
    as :func:`~replaycheck._source_flow.function_start` reads it)."""
    from replaycheck._source import function_at
    from replaycheck._source_flow import function_start
    from replaycheck._source_nodes import end_line

    function = function_at(frame.file, frame.line)
    if function is None or function.name != frame.function:
        return False
    start = function_start(frame.file, frame.function, frame.line)
    first = next((s for s in function.body if s.lineno == start), None)
    return first is not None and start <= frame.line <= end_line(first)


def _unknown_gate(patch_id: str, frame: SourceFrame | None) -> list[str]:
    """The whole gate, when no history of the run shows what it held: its place, no code."""
    where = f", from {place_file(frame.file)}:{frame.line} on" if frame else ""
    return [
        f'    if workflow.patched("{patch_id}"):',
        f"        ...  # the new code the gate held{where}, up to where the gate ended",
        "    else:  # only if the gate had an else: one that only added code had none",
        "        ...  # the old code as it was, for executions that started before the patch",
    ]


def removed_gate_fix(d: Diagnosis) -> list[str]:
    """An execution that started before a patch whose gate the code no longer has: the gate
    goes back with the old branch, the one fix of the ``patch-removed`` failures of the run."""
    from replaycheck._fix_cases import is_addition

    frame = d.removed_gate_at
    was = gate_place(frame, d.location)
    at = _before(was)
    then = [
        "  if this history still fails with the gate back, another change broke it: run the "
        "check again for its own fix",
    ]
    started = (
        f"this execution started before patch {d.removed_gate!r}, whose gate the code no longer "
        f"has (histories recorded with its marker fail without it too)"
    )
    if is_addition(d):  # it ran nothing there: the old branch was empty
        return [
            f"{started}, and ran nothing where the gate was ({d.recorded} still runs after it): "
            f"put the gate back there{_before(frame)}{around(d)}, with no else:",
            *new_code_gated(d.removed_gate, frame, held(d)),
            *then,
        ]
    return [
        f"{started}: put the gate back where it was{at}, with the old code in the else:",
        f'    if workflow.patched("{d.removed_gate}"):',
        "        ...  # the new code",
        "    else:",
        f"        ...  # the old code ({d.recorded} here), for executions that started before "
        "the patch",
        *then,
    ]


def new_code_gated(patch_id: str, frame: SourceFrame | None, block: str = "") -> list[str]:
    """The gate around the new code, with no else: ``block``, the statements it held, else the
    statement at ``frame`` (where the gate was) when the source shows it."""
    from replaycheck._fix_cases import statement_at

    code = block or statement_at(frame) or "...  # the new code"
    return [
        f'    if workflow.patched("{patch_id}"):',
        *(f"        {line}" for line in code.splitlines()),
    ]


def held(d: Diagnosis) -> str:
    """The statements the removed gate held, added in a row where it was
    (:attr:`~replaycheck.diagnose.Diagnosis.added_block`), or '' (one, or unknown)."""
    frame, gate = d.gate_at, d.removed_gate_at or d.gate_at
    if not d.added_block or frame is None or gate is None or d.added_to <= frame.line:
        return ""
    return d.added_block if (frame.file, frame.line) == (gate.file, gate.line) else ""


def around(d: Diagnosis) -> str:
    """`` around the statements in a row at shared.py:130-132``, those of :func:`held`, or
    ''."""
    frame = d.gate_at
    if not held(d) or frame is None:
        return ""
    return f" around the statements in a row at {place_file(frame.file)}:{frame.line}-{d.added_to}"


def _histories(count: int) -> str:
    return "1 history" if count == 1 else f"{count} histories"


def removed_patch_lines(verdicts: Sequence[Verdict]) -> list[str]:
    """One line per patch whose call the code no longer has while histories recorded its
    ``patched()`` marker: the step to take back, the smallest that replays them all."""
    from replaycheck.report import plural, printable

    recorded: dict[str, int] = {}
    started_before: dict[str, int] = {}
    empty: dict[str, bool] = {}  # those ran nothing where the gate was: no else
    held_at: dict[str, str] = {}  # " around the statements in a row at wf.py:40-42" or ""
    renamed: dict[str, list[tuple[str, ...]]] = {}  # the id the code asks for there, where
    for verdict in verdicts:
        d = verdict.diagnosis
        if verdict.verdict != "nondeterministic" or d is None:
            continue
        if d.change == "patch-removed" and not d.marker_deprecated:
            recorded[d.recorded_name] = recorded.get(d.recorded_name, 0) + 1
            empty[d.recorded_name] = d.old_branch_empty
            held_at[d.recorded_name] = around(d)
            if d.renamed_patch:
                renamed.setdefault(d.recorded_name, []).append(d.renamed_patch[:2])
        elif d.removed_gate:
            started_before[d.removed_gate] = started_before.get(d.removed_gate, 0) + 1
    lines = []
    for patch_id, count in recorded.items():
        quoted = f'"{printable(patch_id)}"'
        head = (
            f"Patch {quoted}: {plural(count, 'history')} recorded its marker with patched(), and "
            "the code no longer calls it"
        )
        before = started_before.get(patch_id, 0)
        if before and empty.get(patch_id):
            lines.append(
                f"{head}; {plural(before, 'history')} started before the patch and ran nothing "
                f"where the gate was: put the whole gate back{held_at[patch_id]}, one "
                f"workflow.patched({quoted}) for both, with no else."
            )
        elif before:
            lines.append(
                f"{head}; {plural(before, 'history')} started before the patch and took its old "
                f"branch: put the whole gate back, one workflow.patched({quoted}) for both, the "
                "old code in its else."
            )
        elif len(renamed.get(patch_id, ())) == count:  # each of them: the id renamed
            new, at = renamed[patch_id][0]
            lines.append(
                f"{head}: it asks for {printable(new)!r} there instead ({at}), which no history "
                f"here recorded. If the id was renamed, keep workflow.patched({quoted})."
            )
        else:
            lines.append(
                f"{head}: the call went too early. Put workflow.deprecate_patch({quoted}) back "
                "where the gate was, until `replaycheck patches` says ready to remove."
            )
    return lines


def late_gate_note(d: Diagnosis) -> list[str]:
    """A note when the statements added in a row call ``workflow.patched()`` with an id the
    history never recorded after the new command (a gate asked too late guards nothing:
    replay stops at the command first), or none."""
    import re

    found = re.search(r"""workflow\.patched\(\s*(["'])(.+?)\1""", d.added_block)
    if found is None or found.group(2) in d.markers:
        return []
    patch_id = found.group(2)
    return [
        f'  note: the new code asks workflow.patched("{patch_id}") only after {d.commanded} '
        "ran: a gate asked after a new command does not guard it (replay stops at the command "
        f'first); the gate above guards it, and may take the id "{patch_id}" instead'
    ]
