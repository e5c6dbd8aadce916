"""Readings of a divergence at an update handler: a command removed from the handler, or one
added to it that ``run`` ran after the update before (moved into the handler), and where
``run``'s side of that move is gated; for :mod:`replaycheck._building`.
"""

from __future__ import annotations

import ast
import os
import textwrap
from collections.abc import Sequence
from typing import NamedTuple

from replaycheck._commands import Command, HistoryCommands
from replaycheck._divergence import Divergence
from replaycheck._places import place_file
from replaycheck._readings import name_pattern
from replaycheck._source import (
    SourceFrame,
    function_line,
    handlers_only,
    in_handler,
    source_frames,
)
from replaycheck._source_flow import mentioned_later, parameters_of
from replaycheck._waiting import waits_past


def update_handler(h: Command, found: Divergence, history: HistoryCommands) -> tuple[str, str]:
    """The update being handled when the history ran ``h`` (the last accepted before it), and
    where its handler is defined when a workflow file of the replay defines it (``wf.py:53``).
    """
    accepted = [x for x in history.commands if x.kind == "update" and x.name
                and x.event_id < h.event_id]  # fmt: skip
    if not accepted:
        return "", ""
    name = accepted[-1].name
    issued = [x for _, x in found.matched if x is not None] + list(found.commanded_rest)
    for file, near, _ in (frame for x in issued for frame in x.frames):
        line = function_line(file, name, near)
        if line:
            return name, f"{place_file(file)}:{line}"
    return name, ""


class MovedFromRun(NamedTuple):
    """A command added to an update handler that ``run`` ran after the update before."""

    event: int
    """The event of the history's later command of its name."""
    after: SourceFrame | None
    """Where ``run`` waited when the update came (else its last command before it): its
    gate of the removal goes after that statement."""
    handler_names: tuple[str, ...]
    """The handler's parameters that the handler's statement reads, which ``run`` has not:
    ``run``'s side passes its own values there."""


_Stacks = Sequence[tuple[tuple[SourceFrame, ...], str]]
"""Where the code's tasks waited when replay stopped (``replaycheck._waiting``)."""


def moved_into_handler(
    h: Command, c: Command, found: Divergence, history: HistoryCommands, waiting: _Stacks = ()
) -> MovedFromRun | None:
    """An addition ``c`` to the handler of the update completed at ``h``, when the history
    runs a command of its name later and the code outside handlers no longer runs one after
    its last command before (it may have moved into the handler); else ``None``. ``waiting``:
    where the code's tasks waited when replay stopped."""
    later = next((x for x in history.commands if x.event_id > h.event_id
                  and x.kind == c.kind and x.name == c.name), None)  # fmt: skip
    if h.kind != "update-completion" or later is None:
        return None
    if any(x.matches(later) and _outside_handlers(x) for x in found.commanded_rest):
        return None  # run issued it after the update while replaying
    issued = [x for _, x in found.matched if x is not None and _outside_handlers(x)]
    pattern = name_pattern(c.name)
    if issued:  # run's last command before the update: does run issue one after it?
        runs = any(mentioned_later(f, n, pattern) for f, n, _ in issued[-1].frames)
    else:
        runs = not c.frames or not handlers_only(*c.frames[0][:2], pattern)
    if runs:
        return None
    before = source_frames(issued[-1].frames) if issued else ()
    after = _run_waits(waiting, before)
    return MovedFromRun(later.event_id, after, _handler_names(c, after))


def _run_waits(waiting: _Stacks, before: tuple[SourceFrame, ...]) -> SourceFrame | None:
    """Where the code outside handlers waited past its last command ``before``, innermost
    frame; else that command's statement (``None``: neither is known)."""
    outside = [(frames, awaited) for frames, awaited in waiting if frames and not any(
        in_handler(os.path.abspath(f.file), f.line) for f in frames)]  # fmt: skip
    found = waits_past(outside, before)
    if found is not None:
        return outside[found[0]][0][0]
    return before[0] if before else None


def _handler_names(c: Command, after: SourceFrame | None) -> tuple[str, ...]:
    """The parameters of the handler issuing ``c`` that its statement reads, and the function
    at ``after`` has not."""
    if not c.frames:
        return ()
    file, line, _ = c.frames[0]
    try:
        tree = ast.parse(textwrap.dedent(source_frames(c.frames[:1])[0].code))
    except SyntaxError:
        return ()
    params = parameters_of(file, line)
    if after is not None:
        params -= parameters_of(os.path.abspath(after.file), after.line)
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in params]
    return tuple(dict.fromkeys(n.id for n in sorted(found, key=lambda n: (n.lineno, n.col_offset))))


def _outside_handlers(x: Command) -> bool:
    return bool(x.frames) and not any(in_handler(f, n) for f, n, _ in x.frames)
