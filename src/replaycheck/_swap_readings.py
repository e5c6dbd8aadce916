"""Readings of a reorder as two statements that traded places.

A reorder's general fix keeps the whole old order in the ``else`` ("the old code from here on").
When the code's command and the one the history recorded simply traded places, the fix can
quote the code instead: the two statements in each order (:func:`swapped_next`).
"""

from __future__ import annotations

import ast
import re
import textwrap

from replaycheck._commands import Command, HistoryCommands
from replaycheck._readings import name_pattern
from replaycheck._source import SourceFrame, next_statement


def swapped_next(frame: SourceFrame, h: Command, c: Command, history: HistoryCommands) -> str:
    """The statement after ``frame``'s (dedented), when it runs ``h``, the history ran ``c``
    right after ``h``, and neither statement leaves the block (``return``, ``raise``, ...): the
    two statements traded places, and gating the pair with the old order in the ``else`` is
    the whole fix."""
    after = [x for x in history.commands if x.event_id > h.event_id and x.kind != "patch"]
    following = next_statement(frame.file, frame.line)
    if not after or not after[0].matches(c) or not h.name or following is None:
        return ""
    code = textwrap.dedent(following[1]).strip("\n")
    if not re.search(name_pattern(h.name), code) or (
        c.name and re.search(name_pattern(c.name), code)
    ):
        return ""
    return code if _stays_in_block(frame.code) and _stays_in_block(code) else ""


def _stays_in_block(code: str) -> bool:
    """Whether ``code`` parses and does not leave its block (``return``, ``raise``, ...)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    leaves = (ast.Return, ast.Raise, ast.Break, ast.Continue)
    return bool(tree.body) and not any(isinstance(n, leaves) for n in tree.body)
