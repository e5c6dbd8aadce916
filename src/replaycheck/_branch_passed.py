"""The ``if`` (``match``, conditional expression) the code passed between its last matching
command and its diverging one (or its completion), across both commands' frames and the helpers
called in between, for :mod:`replaycheck._branch_readings`."""

from __future__ import annotations

import ast
import linecache
import os
import re
from collections.abc import Callable

from replaycheck._commands import Command, RawFrame
from replaycheck._source import SourceFrame, function_at, parsed
from replaycheck._source_branches import Passed, passed_branch
from replaycheck._source_flow import calls_one
from replaycheck._source_helpers import passed_in_helper, through_helpers
from replaycheck._source_nodes import source_segment

_Passed = tuple[tuple[str, int, str], int, Passed] | None
_Key = tuple[tuple[RawFrame, ...], tuple[RawFrame, ...] | None, frozenset[str], str,
             SourceFrame | None, tuple[ast.Module | None, ...]]  # fmt: skip
_PASSED: dict[_Key, _Passed] = {}
_KEPT = 256
"""Answers of :func:`passed_running` kept, the oldest dropped first."""


def passed_running(
    c: Command, last: Command | None, names: frozenset[str], pattern: str,
    start: SourceFrame | None,
) -> _Passed:  # fmt: skip
    """:func:`passed_between` for a branch with a call of one of ``names`` (with none, a call
    whose source matches ``pattern``), directly or through a helper, asked once per run for
    each pair of call stacks: the histories that one change breaks at the same code ask the
    same of the source, and the source does not change while a process replays."""
    frames = (*c.frames, *(last.frames if last is not None else ()))
    trees = tuple(parsed(f) for f in sorted({f for f, _, _ in frames}))  # a file parsed again
    key = (c.frames, None if last is None else last.frames, names, pattern, start, trees)
    if key not in _PASSED:
        if len(_PASSED) >= _KEPT:
            del _PASSED[next(iter(_PASSED))]

        def runs(file: str) -> Callable[[ast.AST], bool]:
            if names:
                return lambda node: isinstance(node, ast.Call) and calls_one(node, names)
            source = "".join(linecache.getlines(file))  # once per file, not once per call
            return lambda node: (
                isinstance(node, ast.Call)
                and bool(re.search(pattern, source_segment(source, node) or ""))
            )

        _PASSED[key] = passed_between(c, last, through_helpers(runs), start)
    return _PASSED[key]


def passed_between(
    c: Command,
    last: Command | None,
    runs: Callable[[str], Callable[[ast.AST], bool]],
    start: SourceFrame | None = None,
) -> tuple[tuple[str, int, str], int, Passed] | None:
    """The ``if`` (``match``, conditional expression) the code passed from ``last`` on to ``c`` (or
    to its completion) without taking a branch with a call that ``runs(file)`` says runs what is
    looked for: the frame of the function holding it, the index of that function's frame in
    ``c``'s (-1: none), and what :func:`passed_branch` gives.

    Looked for, innermost first: from the start of each function ``c`` entered since ``last``
    (all of them when there is no ``last``: ``c`` is the code's first command); then in each
    function of ``last``'s frames, from its line to ``c``'s in that function (to its end when
    ``c`` is not in it: the code ran the rest of it and returned). Where both called a helper
    from one line, they part in a caller; one line in the innermost only is a loop's next
    iteration. Last, in a helper one of those functions called on that way (on neither stack:
    :func:`~replaycheck._source_helpers.passed_in_helper`), its frame ``(file, the if's line,
    its name)``. The code issued no command at all and completed: from ``start``, the run
    method's first statement, to its end, and in a helper it called."""
    before = [function_at(f, n) for f, n, _ in last.frames] if last is not None else []
    for at, frame in enumerate(c.frames):  # the functions entered since last, from their start
        if function_at(frame[0], frame[1]) not in before:
            found = passed_branch(frame[0], None, frame[1], runs(frame[0]))
            if found is not None:
                return frame, at, found
    if last is None:
        return None if c.frames or start is None else _from_start(start, runs)
    pairs = []  # each of last's frames, and the index of c's frame in its function (-1: none)
    for frame, here in zip(last.frames, before, strict=True):
        mine = [i for i, (f, n, _) in enumerate(c.frames) if here and function_at(f, n) is here]
        pairs.append((frame, mine[0] if mine else -1))
    apart = [(f, at) for f, at in pairs if at < 0 or c.frames[at][1] != f[1]]
    for frame, at in apart or pairs[:1]:
        to = c.frames[at][1] if at >= 0 else None
        found = passed_branch(frame[0], frame[1], to, runs(frame[0]))
        if found is not None:
            return frame, at, found
    for frame, at in apart or pairs[:1]:  # an if in a helper called in between
        to = c.frames[at][1] if at >= 0 else None
        helper = passed_in_helper(frame[0], frame[1], to, runs)
        if helper is not None:
            return (helper.path, helper.passed.line, helper.function), -1, helper.passed
    return None


def _from_start(
    start: SourceFrame, runs: Callable[[str], Callable[[ast.AST], bool]]
) -> tuple[tuple[str, int, str], int, Passed] | None:
    """As :func:`passed_between` gives it, the ``if`` passed in the run method from ``start``
    (its first statement) to its end, or in a helper it called, where the code completed at
    once."""
    path = os.path.abspath(start.file)
    found = passed_branch(path, None, None, runs(path), start=start.line)
    if found is not None:
        return (path, found.line, start.function), -1, found
    helper = passed_in_helper(path, None, None, runs, start=start.line)
    if helper is None:
        return None
    return (helper.path, helper.passed.line, helper.function), -1, helper.passed
