"""Which ``if`` around a statement the code took, where what runs when it does not take that
branch matches what the history recorded: read from a function's source, for
:mod:`replaycheck._branch_readings` (the other branch readings of the source are
:mod:`replaycheck._source_branches`').
"""

from __future__ import annotations

import ast
import linecache
import re

from replaycheck._source import end_line, function_at
from replaycheck._source_flow import code_of, covers, later_lines
from replaycheck._source_nodes import source_segment, walked


def branch_taken(
    path: str, line: int, instead: str | None, *, alone: bool = False, then: bool = False
) -> tuple[int, str, bool] | None:
    """The innermost ``if`` with the statement at ``line`` in a branch, when what runs if that
    branch is not taken (the other branch, what follows the ``if``, the next iteration of a
    loop around it; with ``then``, what runs after the function returns, which does) matches
    the regex ``instead`` (``None``: anything, as a completion does), and with ``alone``, the
    rest of that branch does not: ``(its line, the source of its condition, whether the
    branch is its body)``."""
    held, later = _branch_of(path, line), later_lines(path, line)
    if held is None or later is None:
        return None
    node, branch = held
    if instead is not None:
        other = node.orelse if branch is node.body else node.body
        lines = (later[1] | _lines_of(other)) - _lines_of(branch)
        if not then and not re.search(instead, code_of(path, lines)):
            return None
        if alone and re.search(instead, code_of(path, later[1] & _lines_of(branch))):
            return None
    return node.lineno, _condition(path, node), branch is node.body


def _branch_of(path: str, line: int) -> tuple[ast.If, list[ast.stmt]] | None:
    """The innermost ``if`` of the function holding ``line`` with ``line`` in one of its
    branches, and that branch."""
    function = function_at(path, line)
    if function is None:
        return None
    found = [
        (node, branch)
        for node in walked(function) if isinstance(node, ast.If)
        for branch in (node.body, node.orelse) if covers(branch, line)
    ]  # fmt: skip
    return min(found, key=lambda p: end_line(p[0]) - p[0].lineno, default=None)


def _lines_of(block: list[ast.stmt]) -> set[int]:
    return set(range(block[0].lineno, end_line(block[-1]) + 1)) if block else set()


def _condition(path: str, node: ast.If) -> str:
    return source_segment("".join(linecache.getlines(path)), node.test) or ""
