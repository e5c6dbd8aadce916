"""A patch id renamed: the history recorded the marker of a ``patched()`` id the code no longer
asks for, and right there the code asks for another id, which the history never recorded, so
the execution takes that gate's old branch. Putting the old call back as ``deprecate_patch()``
does not help then: the recorded id must stay the gate's."""

from __future__ import annotations

import linecache
from collections.abc import Sequence
from dataclasses import replace

from replaycheck._commands import Command, HistoryCommands
from replaycheck._divergence import Divergence
from replaycheck._user_frames import RawFrame
from replaycheck.diagnose import Diagnosis

UnmatchedPatch = tuple[str, str, int, "RawFrame | None"]
"""``(patch id, where (``wf.py:31 in run``), commands issued before it, its frame)`` of a
``patched()`` call that found no marker of its id in the history."""


def with_renamed_patch(
    diagnosis: Diagnosis,
    found: Divergence | None,
    history: HistoryCommands,
    issued: Sequence[Command] | None,
    unmatched: Sequence[UnmatchedPatch],
) -> Diagnosis:
    """``diagnosis`` of a patch the code no longer calls, read as its id renamed when the code
    called ``patched()`` with an id the history lacks right where it recorded the marker (no
    command issued in between)."""
    if diagnosis.change != "patch-removed" or diagnosis.marker_deprecated:
        return diagnosis
    if found is None or issued is None:
        return diagnosis
    if found.commanded is None:
        position: int | None = len(issued)
    else:
        position = next((i for i, x in enumerate(issued) if x is found.commanded), None)
    markers = {x.name for x in history.commands if x.kind == "patch"}
    for patch_id, at, before, frame in unmatched:
        if patch_id not in markers and before == position and frame is not None:
            kept = _with_id(frame, patch_id, diagnosis.recorded_name)
            return replace(diagnosis, renamed_patch=(patch_id, at, kept))
    return diagnosis


def _with_id(frame: RawFrame, new: str, old: str) -> str:
    """The line of the ``patched()`` call at ``frame`` with the id ``old`` back in place of
    ``new`` (when the line spells ``new`` out), else the call alone."""
    text = linecache.getline(frame[0], frame[1]).strip()
    for quote in ('"', "'"):
        if f"{quote}{new}{quote}" in text:
            return text.replace(f"{quote}{new}{quote}", f'"{old}"')
    return f'workflow.patched("{old}")'
