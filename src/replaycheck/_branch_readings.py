"""Which branch of an ``if``, a ``match`` or a conditional expression the code took, where the
history's command shows the execution took another: read from the source, for
:mod:`replaycheck._building` (the rest of what the source says is in :mod:`replaycheck._readings`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from replaycheck._commands import NAMED_KINDS, Command
from replaycheck._readings import source_names
from replaycheck._source_flow import (
    conditional_choice,
    count_calls_later,
    other_branch_runs,
    parameters_of,
    parameters_read,
)

if TYPE_CHECKING:
    from replaycheck.diagnose import Diagnosis


def other_branch(
    diagnosis: Diagnosis, h: Command | None, c: Command | None
) -> tuple[str, str, str, tuple[str, ...], bool] | None:
    """Where the code took the other branch of an ``if`` than the history did: the code's
    command in one branch, the recorded one in the other: ``(where, condition, kind,
    parameters, more)``, ``parameters`` being those of its function the condition reads (a
    caller's argument may have changed instead), ``more`` whether it reads anything else."""
    frame = diagnosis.gate_at
    if (
        diagnosis.change not in ("renamed", "replaced") or frame is None or h is None
        or c is None or h.kind not in NAMED_KINDS or not h.name or h.name == c.name
    ):  # fmt: skip
        return None
    raw = c.frames[min(diagnosis.gate_frame, len(c.frames) - 1)]  # the gate_at frame, unshown
    names = source_names(h.name)
    if count_calls_later(raw[0], raw[1], names):  # the code's own path still runs it
        return None
    found = other_branch_runs(raw[0], raw[1], names)
    if found is None:
        choice = conditional_choice(raw[0], raw[1], names)
        found = None if choice is None else (*choice, "conditional expression")
    if found is None:
        return None
    line, condition, kind = found
    params, more = parameters_read(condition, parameters_of(raw[0], raw[1]))
    return f"{os.path.basename(raw[0])}:{line} in {frame.function}", condition, kind, params, more
