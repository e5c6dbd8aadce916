"""Where a command came from: recorded frames as files, lines and the statements they run."""

from __future__ import annotations

import ast
import functools
import linecache
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from replaycheck._commands import RawFrame
from replaycheck._places import display_file, place_file
from replaycheck._source_nodes import end_line as end_line
from replaycheck._source_nodes import nodes_of, walked


@dataclass(frozen=True)
class SourceFrame:
    """One frame of workflow code."""

    file: str
    """Relative to the working directory when below it, else absolute."""
    line: int
    function: str
    code: str = ""
    """The statement at ``line``, dedented, possibly several lines (empty if unreadable; its
    first line and ``...  (N lines in all)``, which does not parse, when it is longer than
    ``MAX_STATEMENT_LINES``)."""

    def short(self, *, full_path: bool = False) -> str:
        """``shared.py:104 in _step`` (``full_path``: the path as stored; else the name of
        :func:`~replaycheck._places.place_file`)."""
        name = self.file if full_path else place_file(self.file)
        return f"{name}:{self.line} in {self.function}"


def source_frames(frames: Sequence[RawFrame]) -> tuple[SourceFrame, ...]:
    """Recorded frames with paths relative to the working directory and their statements."""
    return tuple(
        SourceFrame(file=display_file(file), line=line, function=function,
                    code=statement_source(file, line))
        for file, line, function in frames
    )  # fmt: skip


MAX_STATEMENT_LINES = 40
"""Longer statements (a literal table, say) are kept as their first line: a fix quotes the
statement whole, so that it can be pasted, or not at all
(:func:`replaycheck._fix_cases.statement_at` checks that it parses)."""


@functools.lru_cache(maxsize=256)
def statement_source(path: str, line: int) -> str:
    """The innermost simple statement covering ``line`` of ``path``, dedented ('' if unknown;
    its first line and ``...  (N lines in all)`` when it is longer than
    ``MAX_STATEMENT_LINES``)."""
    lines = linecache.getlines(path)
    if not 0 < line <= len(lines):
        return ""
    first, last = statement_span(path, line)
    if last - first >= MAX_STATEMENT_LINES:
        cut = f"\n...  ({last - first + 1} lines in all)"
        return textwrap.dedent(lines[first - 1]).rstrip() + cut
    return lines_source(path, first, last)


def lines_source(path: str, first: int, last: int) -> str:
    """Lines ``first`` to ``last`` of ``path`` as written (comments kept, however many),
    dedented."""
    return textwrap.dedent("".join(linecache.getlines(path)[first - 1 : last])).rstrip()


FILES_KEPT = 128
"""Files whose tree, statement spans and lines without comments are kept, the least recently
used dropped first: a project's workflow modules, their helpers and shared modules are read
once per process, not again for each history once more than a few dozen were asked about;
bounded, since a tree costs about 1.5 KB a line (3.1 MB for a 2,122-line module)."""


@functools.lru_cache(maxsize=FILES_KEPT)
def parsed(path: str) -> ast.Module | None:
    """The syntax tree of ``path`` (``None`` if it does not parse)."""
    try:
        return ast.parse("".join(linecache.getlines(path)))
    except (SyntaxError, ValueError):
        return None


@functools.lru_cache(maxsize=FILES_KEPT)
def _statement_spans(path: str) -> dict[int, tuple[int, int]]:
    """For each line of ``path``, the span of the innermost simple statement covering it; the
    header lines of an ``async with asyncio.timeout(...)`` block, the whole block."""
    tree = parsed(path)
    if tree is None:
        return {}
    spans: dict[int, tuple[int, int]] = {}
    withs = []
    for node in walked(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            withs.append(node)
        if not isinstance(node, ast.stmt) or isinstance(node, _COMPOUND):
            continue
        end = node.end_lineno or node.lineno
        for line in range(node.lineno, end + 1):
            best = spans.get(line)
            if best is None or end - node.lineno < best[1] - best[0]:
                spans[line] = (node.lineno, end)
    for node in withs:  # the header of `async with asyncio.timeout(...)`: the whole block
        if not any(_is_timeout(item.context_expr) for item in node.items):
            continue
        end = node.end_lineno or node.lineno
        for line in range(node.lineno, node.body[0].lineno):
            spans.setdefault(line, (node.lineno, end))
    return spans


def _is_timeout(expr: ast.expr) -> bool:
    """``asyncio.timeout(...)`` / ``timeout_at(...)`` (or ``async_timeout``'s): the block is
    one timed statement."""
    func = expr.func if isinstance(expr, ast.Call) else None
    return (
        isinstance(func, ast.Attribute) and func.attr in ("timeout", "timeout_at")
        and isinstance(func.value, ast.Name) and func.value.id in ("asyncio", "async_timeout")
    )  # fmt: skip


_COMPOUND: tuple[type, ...] = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
    ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match,
    *((ast.TryStar,) if hasattr(ast, "TryStar") else ()),
)  # fmt: skip
LOOPS = (ast.For, ast.AsyncFor, ast.While)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def char_column(line: str, column: int) -> int:
    """The string index in ``line`` of ast's ``column`` there (ast counts UTF-8 bytes)."""
    return len(line.encode()[:column].decode(errors="ignore"))


def innermost(tree: ast.AST, line: int, kinds: tuple[type, ...]) -> Any:
    """The smallest node of one of ``kinds`` whose lines hold ``line`` (``None``: none; the
    first in :func:`ast.walk`'s order of those as small)."""
    found = [n for n, first, last in nodes_of(tree, kinds) if first <= line <= last]
    return min(found, key=lambda n: end_line(n) - int(getattr(n, "lineno", 0)), default=None)


def function_at(path: str, line: int) -> Any:
    """The innermost function (``def`` / ``async def``) of ``path`` holding ``line``, or
    ``None``."""
    tree = parsed(path)
    return None if tree is None else innermost(tree, line, (ast.FunctionDef,
                                                             ast.AsyncFunctionDef))  # fmt: skip


def loop_around(path: str, line: int) -> tuple[int, str] | None:
    """The first line and the header (``for i in range(3):``) of the innermost loop holding
    ``line`` of ``path`` inside its function, a comprehension (``for i in range(3)`` of an
    ``asyncio.gather(*[...])``) included; ``None`` when there is none."""
    function = function_at(path, line)
    if function is None:
        return None
    loop = innermost(function, line, (*LOOPS, *COMPREHENSIONS))
    if loop is None:
        return None
    if isinstance(loop, COMPREHENSIONS):
        generator = loop.generators[0]
        header = f"for {ast.unparse(generator.target)} in {ast.unparse(generator.iter)}"
        return loop.lineno, header
    header = linecache.getline(path, loop.lineno).strip()
    return loop.lineno, header


def block_until(path: str, line: int, pattern: str) -> tuple[int, str] | None:
    """The statements added in a row from the one at ``line``: ``(last line, their source,
    dedented)``, or ``None`` when that is the statement alone.

    The block runs up to the first later statement of the same block that matches ``pattern``
    (a regex: what the history recorded next), and holds only statements that await something
    (a command) or use what the block assigned (``if not ok: return``); a wait
    (``wait_condition``) or anything else ends it, and so does reaching the end of the block
    without a match (nothing says where the addition ends).
    """
    import re

    found = _block_of(path, line)
    if found is None:
        return None
    block, at = found
    lines = without_comments(tuple(linecache.getlines(path)))
    assigned = _stored(block[at])
    for end in range(at + 1, len(block)):
        statement = block[end]
        text = "".join(lines[statement.lineno - 1 : end_line(statement)])
        if re.search(pattern, re.sub(PATCH_CALL, "", text)):
            if end == at + 1:
                return None
            last = end_line(block[end - 1])
            return last, lines_source(path, block[at].lineno, last)
        awaits = any(isinstance(n, ast.Await) for n in ast.walk(statement))
        if "wait_condition" in text or not (awaits or _loaded(statement) & assigned):
            return None
        assigned |= _stored(statement)
    return None


def _block_of(path: str, line: int) -> tuple[list[ast.stmt], int] | None:
    """The statement list holding the simple statement at ``line`` of ``path``, and its index
    there (``None`` when ``line`` is in no simple statement of a block)."""
    tree = parsed(path)
    if tree is None:
        return None
    for node in walked(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            at = next((i for i, b in enumerate(block) if b.lineno <= line <= end_line(b)), None)
            if at is not None and not isinstance(block[at], _COMPOUND):
                return block, at
    return None


def _stored(node: ast.AST) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def next_statement(path: str, line: int) -> tuple[int, str] | None:
    """The first line and source (comments cut) of the statement after the one at ``line`` in
    the same block (``None`` at the end of a block)."""
    found = _block_of(path, line)
    if found is None or found[1] + 1 >= len(found[0]):
        return None
    following = found[0][found[1] + 1]
    lines = without_comments(tuple(linecache.getlines(path)))
    return following.lineno, "".join(lines[following.lineno - 1 : end_line(following)])


def function_line(path: str, name: str, near: int = 0) -> int:
    """The line of ``def name`` (or ``async def``) in ``path``: in the class holding line
    ``near`` when there is one there (0 when there is none)."""
    tree = parsed(path)
    if tree is None:
        return 0
    scope = innermost(tree, near, (ast.ClassDef,)) if near else None
    for node in ast.walk(scope or tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node.lineno
    return 0


def runs_outside_handler(path: str, line: int, pattern: str) -> bool:
    """Whether ``line`` of ``path`` is in a signal or update handler (a method decorated
    ``@workflow.signal`` / ``@workflow.update``) and ``pattern`` occurs in its class outside
    that handler: a command issued from a handler interleaves with ``run``'s, so one the class
    issues elsewhere may still run after it."""
    import re

    tree = parsed(path)
    function = _handler_at(path, line)
    cls = None if tree is None else innermost(tree, line, (ast.ClassDef,))
    if function is None or cls is None:
        return False
    inside = set(range(function.lineno, end_line(function) + 1))
    lines = without_comments(tuple(linecache.getlines(path)))
    code = "".join(lines[n - 1] for n in range(cls.lineno, end_line(cls) + 1) if n not in inside)
    return re.search(pattern, re.sub(PATCH_CALL, "", code)) is not None


def handlers_only(path: str, line: int, pattern: str) -> bool:
    """Whether ``pattern`` occurs in the class holding ``line`` of ``path`` only inside its
    signal and update handlers: what matches it runs in a handler's coroutine, not ``run``'s
    (a helper method a handler calls counts as outside: ``run`` may call it too)."""
    import re

    tree = parsed(path)
    cls = None if tree is None else innermost(tree, line, (ast.ClassDef,))
    if cls is None:
        return False
    handlers = {
        n for node in cls.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and any(map(_is_handler, node.decorator_list))
        for n in range(node.lineno, end_line(node) + 1)
    }  # fmt: skip
    docstrings = {
        n for node in ast.walk(cls)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        for n in range(node.lineno, end_line(node) + 1)
    }  # fmt: skip
    lines = without_comments(tuple(linecache.getlines(path)))
    span = [n for n in range(cls.lineno, end_line(cls) + 1) if n not in docstrings]
    inside, outside = (
        re.sub(PATCH_CALL, "", "".join(lines[n - 1] for n in span if (n in handlers) == side))
        for side in (True, False)
    )
    return bool(re.search(pattern, inside)) and not re.search(pattern, outside)


def in_handler(path: str, line: int) -> bool:
    """Whether ``line`` of ``path`` is in a signal or update handler."""
    return _handler_at(path, line) is not None


def in_update_handler(frames: Sequence[tuple[str, int, str]], update: str) -> bool:
    """Whether a frame of ``frames`` (file, line, function) is in the handler of the update
    ``update``: a method decorated ``@workflow.update`` named so, or registered under that
    name (``@workflow.update(name="set_note")``)."""
    for path, line, _ in frames:
        function = _handler_at(path, line)
        for decorator in function.decorator_list if function is not None else ():
            node = decorator.func if isinstance(decorator, ast.Call) else decorator
            if name_of(node) != "update":
                continue
            named = [k.value for k in getattr(decorator, "keywords", ()) if k.arg == "name"]
            given = named[0].value if named and isinstance(named[0], ast.Constant) else None
            if (given or function.name) == update:
                return True
    return False


def _handler_at(path: str, line: int) -> Any:
    """The ``@workflow.signal`` / ``@workflow.update`` method holding ``line``, if any."""
    function = function_at(path, line)
    if function is None or not any(map(_is_handler, function.decorator_list)):
        return None
    return function


def _is_handler(decorator: ast.expr) -> bool:
    """``@workflow.signal`` / ``@workflow.update`` (with or without arguments)."""
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    return name_of(node) in ("signal", "update")


def name_of(node: ast.expr) -> str:
    """The name ``node`` ends in: ``execute_activity`` of ``workflow.execute_activity``,
    ``sleep`` of ``sleep``; '' for another expression."""
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def statement_span(path: str, line: int) -> tuple[int, int]:
    """The first and last line of the statement holding ``line`` of ``path``."""
    return _statement_spans(path).get(line, (line, line))


PATCH_CALL = r"(?:patched|deprecate_patch)\(\s*[\"']([^\"']+)[\"']"


@functools.lru_cache(maxsize=FILES_KEPT)
def without_comments(lines: tuple[str, ...]) -> list[str]:
    """``lines`` with their ``#`` comments cut (a comment naming a command is not a call)."""
    import io
    import tokenize

    out = list(lines)
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                out[row - 1] = out[row - 1][:col] + "\n"
    except (tokenize.TokenError, SyntaxError):
        return list(lines)
    return out


def patch_ids_in_source(path: str) -> set[str]:
    """The literal ids ``path`` passes to ``patched()`` / ``deprecate_patch()``."""
    import re

    text = "".join(linecache.getlines(path))
    return set(re.findall(PATCH_CALL, text))


def issued_place(frames: Sequence[RawFrame]) -> str:
    """`` at wf.py:40`` for the innermost of ``frames`` (empty without one): where a note's
    command was issued."""
    return f" at {display_file(frames[0][0])}:{frames[0][1]}" if frames else ""


def issued_at(frames: Sequence[RawFrame]) -> dict[str, Any]:
    """``{"file": "wf.py", "line": 40}`` for the innermost of ``frames`` (empty without one):
    the place fields of a ``Note``."""
    return {"file": display_file(frames[0][0]), "line": frames[0][1]} if frames else {}
