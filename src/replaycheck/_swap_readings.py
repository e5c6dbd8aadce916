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
from replaycheck._readings import called_again, name_pattern, source_pattern
from replaycheck._source import SourceFrame, next_statement


def swapped_next(frame: SourceFrame, h: Command, c: Command, history: HistoryCommands) -> str:
    """The statement after ``frame``'s (dedented), when the two traded places: it runs ``h``,
    the history ran ``c`` right after it (right after ``h``, or after more that statement runs
    too: the other calls of an ``asyncio.gather``), the code runs ``c`` no more after it, and
    neither statement leaves the block (``return``, ``raise``, ...). Gating the pair with the
    old order in the ``else`` is then the whole fix."""
    following = next_statement(frame.file, frame.line)
    if not h.name or following is None:
        return ""
    code = textwrap.dedent(following[1]).strip("\n")
    if not re.search(name_pattern(h.name), code) or (
        c.name and re.search(name_pattern(c.name), code)
    ):
        return ""
    after = [x for x in history.commands if x.event_id > h.event_id and x.kind != "patch"]
    while after and not after[0].matches(c):  # what the next statement runs besides h
        pattern = source_pattern(after[0])
        if not pattern or not re.search(pattern, code):
            return ""
        after.pop(0)
    if not after or called_again(c, h, [SourceFrame(frame.file, following[0], "")], history):
        return ""  # a like command follows the next statement: the code's was added
    return code if _stays_in_block(frame.code) and _stays_in_block(code) else ""


def _stays_in_block(code: str) -> bool:
    """Whether ``code`` parses and does not leave its block (``return``, ``raise``, ...)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    leaves = (ast.Return, ast.Raise, ast.Break, ast.Continue)
    return bool(tree.body) and not any(isinstance(n, leaves) for n in tree.body)
