"""Which ``if`` (``match``, conditional expression) around a statement the code took, where
what runs when it does not take that branch matches what the history recorded: read from a
function's source, for
:mod:`replaycheck._branch_readings` (the other branch readings of the source are
:mod:`replaycheck._source_branches`').
"""

from __future__ import annotations

import ast
import linecache
import re
from typing import NamedTuple

from replaycheck._source import end_line, function_at
from replaycheck._source_flow import code_of, covers, later_lines
from replaycheck._source_nodes import source_segment, walked


class Taken(NamedTuple):
    """The branch of an ``if`` (a case of a ``match``) around a statement, as
    :func:`branch_taken` finds it."""

    line: int
    condition: str
    """The source of its condition (a ``match``'s: of its subject)."""
    branch: str
    """``body``, ``else`` or (a ``match``) ``case``."""
    case: str = ""
    """A ``match``: the pattern of its case, and its guard (``"gold" if vip``)."""
    kind: str = "if"
    """``if``, ``match`` or ``conditional expression``."""


def branch_taken(
    path: str,
    line: int,
    instead: str | None,
    *,
    alone: bool = False,
    then: bool = False,
    matches: bool = False,
) -> Taken | None:
    """The innermost ``if`` (with ``matches``, or ``match``, or conditional expression) with
    the statement at ``line`` in a branch (a case, an arm), when what runs if that branch is
    not taken (the other branches, what follows the ``if``, the next iteration of a loop around
    it; with ``then``, what runs after the function returns, which does) matches the regex
    ``instead`` (``None``: anything, as a completion does), and with ``alone``, the rest of
    that branch does not."""
    held, later = _branch_of(path, line, matches), later_lines(path, line)
    if held is None or later is None:
        return None
    node, branch, others = held
    if instead is not None:
        lines = (later[1] | {n for other in others for n in _lines_of(other)}) - _lines_of(branch)
        if not then and not re.search(instead, code_of(path, lines)):
            return None
        if alone and re.search(instead, code_of(path, later[1] & _lines_of(branch))):
            return None
    source = "".join(linecache.getlines(path))
    if not isinstance(node, ast.Match):
        condition = source_segment(source, node.test) or ""
        kind = "if" if isinstance(node, ast.If) else "conditional expression"
        taken = "body" if branch in (node.body, [node.body]) else "else"
        return Taken(node.lineno, condition, taken, "", kind)
    case = next(c for c in node.cases if c.body is branch)
    pattern = source_segment(source, case.pattern) or ""
    if case.guard is not None:
        pattern += f" if {source_segment(source, case.guard) or ''}"
    return Taken(node.lineno, source_segment(source, node.subject) or "", "case", pattern, "match")


_Branches = tuple[ast.If | ast.Match | ast.IfExp, list[ast.stmt], list[list[ast.stmt]]]


def _branch_of(path: str, line: int, matches: bool) -> _Branches | None:
    """The innermost ``if`` (with ``matches``, or ``match``, or conditional expression with
    ``line`` in one arm only) of the function holding ``line`` with ``line`` in one of its
    branches (cases, arms), that branch, and its other branches."""
    function = function_at(path, line)
    if function is None:
        return None
    found: list[_Branches] = []
    for node in walked(function):
        if isinstance(node, ast.If):
            branches = [node.body, node.orelse]
        elif isinstance(node, ast.Match) and matches:
            branches = [case.body for case in node.cases]
        elif isinstance(node, ast.IfExp) and matches:
            branches = [[node.body], [node.orelse]]  # type: ignore[list-item]
            if all(covers(b, line) for b in branches):  # both arms on the line: neither
                continue
        else:
            continue
        found += [
            (node, branch, [b for b in branches if b is not branch])
            for branch in branches if covers(branch, line)
        ]  # fmt: skip
    return min(found, key=lambda p: end_line(p[0]) - p[0].lineno, default=None)


def _lines_of(block: list[ast.stmt]) -> set[int]:
    return set(range(block[0].lineno, end_line(block[-1]) + 1)) if block else set()
