"""Which ``if`` (``match``, conditional expression) around a statement the code took, where
what runs when it does not take that branch matches what the history recorded: read from a
function's source, for
:mod:`replaycheck._branch_readings` (the other branch readings of the source are
:mod:`replaycheck._source_branches`').
"""

from __future__ import annotations

import ast
import itertools
import linecache
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from replaycheck._source import end_line, function_at
from replaycheck._source_flow import calls_one, code_of, covers, later_lines
from replaycheck._source_nodes import source_segment, walked

if TYPE_CHECKING:
    from replaycheck._commands import Site

Span = tuple[int, int, int, int]
"""``(line, end line, column, end column)`` of the expression a frame was running (columns
as :mod:`ast` counts them, in UTF-8 bytes)."""


def site_span(sites: Sequence[Site | None], at: int, line: int) -> Span | None:
    """The :data:`Span` of the ``at``-th of ``sites`` (a command's frames'), when its frame was
    on ``line``; ``None`` where Python does not keep columns (3.10) or they are not known."""
    site = sites[at] if 0 <= at < len(sites) else None
    positions = getattr(site[0], "co_positions", None) if site is not None else None
    if site is None or positions is None or site[1] < 0:  # < 0: a frame not started
        return None
    found = next(itertools.islice(positions(), site[1] // 2, None), None)
    if found is None:
        return None
    start, end, column, end_column = found
    if start is None or end is None or column is None or end_column is None:
        return None
    return (start, end, column, end_column) if start <= line <= end else None


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
    span: Span | None = None,
) -> Taken | None:
    """The innermost ``if`` (with ``matches``, or ``match``, or conditional expression) with
    the statement at ``line`` in a branch (a case, an arm), when what runs if that branch is
    not taken (the other branches, what follows the ``if``, the next iteration of a loop around
    it; with ``then``, what runs after the function returns, which does) matches the regex
    ``instead`` (``None``: anything, as a completion does), and with ``alone``, the rest of
    that branch does not. ``span``: the expression running on ``line``, which tells the arms of
    a conditional expression on one line apart."""
    held, later = _branch_of(path, line, matches, span), later_lines(path, line)
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


def _branch_of(path: str, line: int, matches: bool, span: Span | None) -> _Branches | None:
    """The innermost ``if`` (with ``matches``, or ``match``, or conditional expression with
    ``line`` in one arm only, or ``span`` in one) of the function holding ``line`` with
    ``line`` in one of its branches (cases, arms), that branch, and its other branches."""
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
            arm = _arm_holding(node, line, span)
            if arm is not None:  # an arm is an expression, held as a one-statement branch
                other = node.orelse if arm is node.body else node.body
                found.append((node, [arm], [[other]]))  # type: ignore[list-item]
            continue
        else:
            continue
        found += [
            (node, branch, [b for b in branches if b is not branch])
            for branch in branches if covers(branch, line)
        ]  # fmt: skip
    return min(found, key=_size, default=None)


def _size(found: _Branches) -> tuple[int, int]:
    """How many lines the node of ``found`` spans; of two on the same lines, the one that
    starts later on its line (a conditional expression in another's arm) is the smaller."""
    node = found[0]
    return end_line(node) - node.lineno, -node.col_offset if isinstance(node, ast.IfExp) else 0


def _arm_holding(node: ast.IfExp, line: int, span: Span | None) -> ast.expr | None:
    """The arm of ``node`` that runs the expression ``span`` (on ``line``), or that alone
    covers ``line`` when no span is known (arms on one line: neither, it cannot tell)."""
    arms = (node.body, node.orelse)
    if span is not None:
        return next((arm for arm in arms if _holds(arm, span)), None)
    held = [arm for arm in arms if arm.lineno <= line <= end_line(arm)]
    return held[0] if len(held) == 1 else None


def _holds(node: ast.expr, span: Span) -> bool:
    start, end = (node.lineno, node.col_offset), (end_line(node), node.end_col_offset or 0)
    return start <= (span[0], span[2]) and (span[1], span[3]) <= end


def other_arm(path: str, line: int, span: Span | None, names: set[str]) -> tuple[int, str] | None:
    """The innermost conditional expression of the function holding ``line`` that runs the
    code on ``line`` (``span``: the expression there, which tells arms on one line apart) in
    one arm and a call of one of ``names`` in the other: ``(its line, its condition)``. The
    code took the arm the history did not: the condition (or what it reads) changed."""
    function = function_at(path, line)
    if function is None:
        return None
    found = []
    for node in walked(function):
        arm = _arm_holding(node, line, span) if isinstance(node, ast.IfExp) else None
        if arm is None:
            continue
        other = node.orelse if arm is node.body else node.body
        if any(isinstance(n, ast.Call) and calls_one(n, names) for n in ast.walk(other)):
            found.append(node)
    node = min(found, key=lambda n: (end_line(n) - n.lineno, -n.col_offset), default=None)
    if node is None:
        return None
    return node.lineno, source_segment("".join(linecache.getlines(path)), node.test) or ""


def _lines_of(block: list[ast.stmt]) -> set[int]:
    return set(range(block[0].lineno, end_line(block[-1]) + 1)) if block else set()
