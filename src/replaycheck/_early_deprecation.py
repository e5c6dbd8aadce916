"""The ``deprecate_patch()`` that came too early for a divergence: a call whose marker the
history lacks (the execution started before the patch and took the old branch), followed by
the new code that diverged from what that branch ran."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from replaycheck._commands import Command, HistoryCommands
from replaycheck._divergence import Divergence
from replaycheck._user_frames import RawFrame
from replaycheck.diagnose import Diagnosis

EarlyDeprecation = tuple[str, str, int, "RawFrame | None"]
"""``(patch id, where (``wf.py:31 in run``), commands issued before it, its frame)``."""


def with_early_deprecation(
    diagnosis: Diagnosis,
    found: Divergence | None,
    history: HistoryCommands,
    issued: Sequence[Command] | None,
    early: Sequence[EarlyDeprecation],
) -> Diagnosis:
    """``diagnosis`` read as a ``deprecate_patch()`` that came too early, when one did: called
    right before the diverging command (no command in between), or before the statement that
    issued it and every command since, which ran as the old branch did until it diverged (the
    new and the old code both began with the same step): the gate goes around that
    statement, with the old code in its else."""
    if found is None or found.commanded is None or issued is None:
        return diagnosis
    if diagnosis.change in ("patch-removed", "id-changed", "unknown"):
        return diagnosis
    position = next((i for i, x in enumerate(issued) if x is found.commanded), None)
    if position is None:
        return diagnosis
    markers = {x.name for x in history.commands if x.kind == "patch"}
    for patch_id, at, before, frame in reversed(early):
        if patch_id in markers or before > position:
            continue
        named = replace(
            diagnosis, deprecated_early=patch_id, deprecated_at=at, patch_id=patch_id,
            other_patch_id="",
        )  # fmt: skip
        if before == position:
            return named
        depth = _statement_after(frame, issued[before : position + 1])
        if depth is not None and depth < len(diagnosis.location):
            ran = tuple(x.describe() for x in issued[before:position])
            return replace(
                named, gate_frame=depth, deprecated_ran=ran, still_runs_later=False,
                moved_too="", change="replaced",
            )  # fmt: skip
    return diagnosis


def _statement_after(frame: RawFrame | None, commands: Sequence[Command]) -> int | None:
    """The depth, in the last of ``commands``, of the frame of the function that called
    ``deprecate_patch()`` at ``frame``, when each of ``commands`` was issued from one statement
    of that function after the call (``None`` otherwise)."""
    if frame is None:
        return None
    file, line, function = frame
    lines = set()
    depth = None
    for command in commands:
        depth = next(
            (i for i, (f, n, fn) in enumerate(command.frames)
             if f == file and fn == function and n > line),
            None,
        )  # fmt: skip
        if depth is None:
            return None
        lines.add(command.frames[depth][1])
    return depth if len(lines) == 1 else None
