"""Readings of a reorder as two that traded places: two statements in a row, or two calls in one.

A reorder's general fix keeps the whole old order in the ``else`` ("the old code from here on").
When the code's command and the one the history recorded simply traded places, the fix can
quote the code instead: the two statements in each order (:func:`swapped_next`), or the one
statement that runs both, as it was in the ``else`` (:func:`swapped_within`, the two calls of
an ``asyncio.gather`` in the other order).
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence

from replaycheck._commands import Command, HistoryCommands
from replaycheck._divergence import Divergence
from replaycheck._patch_modules import dotted_name
from replaycheck._readings import called_again, name_pattern, source_pattern
from replaycheck._source import (
    SourceFrame,
    char_column,
    lines_source,
    next_statement,
    statement_span,
)


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


def inputs_changed(
    found: Divergence, history: HistoryCommands, first: str = "", second: str = ""
) -> tuple[str, ...]:
    """Of two commands that traded places, those the code gives other input than the history
    recorded for them (described): the code's first (``found.commanded``) against the
    history's later one, and the recorded one against the code's next, when the code issued
    it (calls of one statement). Of two statements (``first``, the gated one, and ``second``,
    the next, which runs the recorded one), the code never issued the second's command: it
    gets other input when its arguments read what ``first`` sets (the history ran it before
    that). The old order in the fix's ``else`` keeps the new code's arguments, which are then
    not the recorded code's."""
    h, c = found.recorded, found.commanded
    if h is None or c is None:
        return ()
    recorded = next((x for x in history.commands if x.event_id > h.event_id and x.matches(c)), None)
    issued = next(iter(found.commanded_rest), None)
    pairs = [(recorded, c), (h, issued if issued is not None and issued.matches(h) else None)]
    changed = [
        new.describe() for old, new in pairs
        if old is not None and new is not None and old.inputs and old.inputs != new.inputs
    ]  # fmt: skip
    if h.inputs and h.describe() not in changed and _reads_what_it_sets(first, second):
        changed.append(h.describe())
    return tuple(changed)


_INPUT_KEYWORDS = frozenset({"arg", "args", "input"})
"""Keyword arguments that carry a command's input (``execute_activity(..., args=[...])``)."""
_MUTATORS = frozenset({"append", "extend", "insert", "update", "add", "pop", "remove",
                       "clear", "setdefault", "discard", "popitem"})  # fmt: skip
"""Methods that change the object they are called on (``self.items.append(x)``)."""


def _reads_what_it_sets(first: str, second: str) -> bool:
    """Whether a call of ``second`` (a statement's source) takes as input a name or attribute
    that ``first`` assigns or changes (``paid = await ...`` then ``... (fetch, paid, ...)``)."""
    try:
        one, two = ast.parse(first), ast.parse(second)
    except SyntaxError:
        return False
    sets = {name for node in ast.walk(one) for name in _set_by(node)}
    reads = {
        name
        for call in ast.walk(two) if isinstance(call, ast.Call)
        for arg in [*call.args, *(k.value for k in call.keywords if k.arg in _INPUT_KEYWORDS)]
        for node in ast.walk(arg)
        if (name := dotted_name(node))
    }  # fmt: skip
    return any(r == s or f"{s}.".startswith(f"{r}.") or r.startswith(f"{s}.")
               for r in reads for s in sets)  # fmt: skip


def _set_by(node: ast.AST) -> list[str]:
    """The names and attributes ``node`` assigns or changes (``self.total``)."""
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        targets = [node.func.value] if node.func.attr in _MUTATORS else []
    else:
        return []
    found = []
    for target in targets:
        for part in ast.walk(target):
            if isinstance(part, ast.Subscript):
                part = part.value
            if isinstance(part, (ast.Name, ast.Attribute)) and (name := dotted_name(part)):
                found.append(name)
    return found


def _stays_in_block(code: str) -> bool:
    """Whether ``code`` parses and does not leave its block (``return``, ``raise``, ...)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    leaves = (ast.Return, ast.Raise, ast.Break, ast.Continue)
    return bool(tree.body) and not any(isinstance(n, leaves) for n in tree.body)


def swapped_within(c: Command, depth: int, found: Divergence, history: HistoryCommands) -> str:
    """The statement the gate wraps (``c``'s frame ``depth``) as it was, dedented, when ``c``
    and the history's command traded places in it: two arguments of one call
    (``asyncio.gather``), the history's command the code's next, and ``c`` the history's right
    after it. The old statement has the two arguments in the other order, and so the names a
    tuple assigns their results to ('' when the statement cannot be told so)."""
    h = found.recorded
    issued = found.commanded_rest[:1]
    after = [x for x in history.commands if h is not None and x.event_id > h.event_id
             and x.kind != "patch"]  # fmt: skip
    if h is None or not issued or not issued[0].matches(h) or not after or not after[0].matches(c):
        return ""
    if not c.frames:
        return ""
    path, line, _ = c.frames[min(depth, len(c.frames) - 1)]
    first, last = statement_span(path, line)
    h_lines = [n for file, n, _ in issued[0].frames if file == path and first <= n <= last]
    if not h_lines:
        return ""
    code = lines_source(path, first, last)
    return _reordered(code, (line - first + 1, c), (h_lines[0] - first + 1, h))


def _reordered(code: str, one: tuple[int, Command], other: tuple[int, Command]) -> str:
    """``code`` (one statement) with the two arguments of a call that issued ``one`` and
    ``other`` (each: its line in ``code``, and the command) in each other's places."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    if len(tree.body) != 1:
        return ""
    statement = tree.body[0]
    for call in sorted(
        (n for n in ast.walk(statement) if isinstance(n, ast.Call)),
        key=lambda n: (n.end_lineno or n.lineno) - n.lineno,
    ):  # the innermost call first
        i, j = _argument(code, call.args, *one), _argument(code, call.args, *other)
        if i is None or j is None or i == j:
            continue
        swaps = [(call.args[i], call.args[j])]
        if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            target = _results(statement, call)
            if target is None:
                return ""  # the results are bound some other way: their order would change
            swaps.append((target.elts[i], target.elts[j]))
        elif not isinstance(statement, (ast.Expr, ast.Return)):
            return ""
        return _swap_text(code, swaps)
    return ""


def _argument(code: str, args: Sequence[ast.expr], line: int, command: Command) -> int | None:
    """The index of the one argument in ``args`` that issued ``command`` at ``line``: the one
    whose lines hold it, or of those the one naming it."""
    if any(isinstance(arg, ast.Starred) for arg in args):
        return None
    found = [i for i, arg in enumerate(args) if arg.lineno <= line <= (arg.end_lineno or line)]
    if len(found) > 1:
        pattern = source_pattern(command)
        found = [i for i in found if pattern and re.search(pattern, _segment(code, args[i]))]
    return found[0] if len(found) == 1 else None


def _results(statement: ast.stmt, call: ast.Call) -> ast.Tuple | ast.List | None:
    """The tuple ``statement`` unpacks the results of ``call`` into, one name a result
    (``a, b = await asyncio.gather(x, y)``), else ``None``."""
    if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        return None
    target, value = statement.targets[0], statement.value
    if isinstance(value, ast.Await):
        value = value.value
    if value is not call or not isinstance(target, (ast.Tuple, ast.List)):
        return None
    if len(target.elts) != len(call.args) or any(isinstance(e, ast.Starred) for e in target.elts):
        return None
    return target


def _swap_text(code: str, swaps: Sequence[tuple[ast.expr, ast.expr]]) -> str:
    """``code`` with the source of each pair of nodes in ``swaps`` exchanged."""
    edits = []
    for a, b in swaps:
        edits += [(_span(code, a), _segment(code, b)), (_span(code, b), _segment(code, a))]
    for (start, end), text in sorted(edits, reverse=True):
        code = code[:start] + text + code[end:]
    return code


def _segment(code: str, node: ast.expr) -> str:
    start, end = _span(code, node)
    return code[start:end]


def _span(code: str, node: ast.expr) -> tuple[int, int]:
    """Where ``node`` is in ``code``, as string offsets (ast's columns count UTF-8 bytes)."""
    lines = code.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        before = sum(len(text) for text in lines[: line - 1])
        return before + char_column(lines[line - 1], column)

    end_line = node.end_lineno or node.lineno
    end_column = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return offset(node.lineno, node.col_offset), offset(end_line, end_column)
