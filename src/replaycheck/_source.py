"""Where a command came from: recorded frames as files, lines and the statements they run."""

from __future__ import annotations

import ast
import functools
import linecache
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from replaycheck._commands import RawFrame


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
        """``shared.py:104 in _step`` (``full_path``: the path as stored)."""
        name = self.file if full_path else os.path.basename(self.file)
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
statement whole, so that it can be pasted, or not at all (:func:`replaycheck._fix_text._statement`
checks that it parses)."""


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
    return textwrap.dedent("".join(lines[first - 1 : last])).rstrip()


@functools.lru_cache(maxsize=32)
def _parsed(path: str) -> ast.Module | None:
    """The syntax tree of ``path`` (``None`` if it does not parse)."""
    try:
        return ast.parse("".join(linecache.getlines(path)))
    except (SyntaxError, ValueError):
        return None


@functools.lru_cache(maxsize=32)
def _statement_spans(path: str) -> dict[int, tuple[int, int]]:
    """For each line of ``path``, the span of the innermost simple statement covering it; the
    header lines of an ``async with asyncio.timeout(...)`` block, the whole block."""
    tree = _parsed(path)
    if tree is None:
        return {}
    spans: dict[int, tuple[int, int]] = {}
    withs = []
    for node in ast.walk(tree):
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
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def mentioned_later(path: str, line: int, pattern: str) -> bool:
    """Whether ``pattern`` (a regex) occurs in the function holding ``line`` of ``path``,
    after the statement at ``line`` (e.g. whether a replaced activity still runs after it)."""
    return count_later(path, line, pattern) > 0


def count_later(path: str, line: int, pattern: str) -> int:
    """How often ``pattern`` occurs in what the function holding ``line`` of ``path`` may run
    after the statement at ``line``: the rest of the function, and the whole of a loop around
    it (its next iteration), but not the other branch of an ``if`` the statement is in;
    comments and patch ids left out."""
    import re

    found = _later_lines(path, line)
    if found is None:
        return 0
    lines = linecache.getlines(path)
    wanted = found[1]
    code = "".join(text for n, text in enumerate(_without_comments(tuple(lines)), 1) if n in wanted)
    code = re.sub(_PATCH_CALL, "", code)  # a patch id naming a command is not a call either
    return len(re.findall(pattern, code))


def other_branch_runs(path: str, line: int, names: set[str]) -> tuple[int, str, str] | None:
    """The innermost ``if`` (or ``match``) with ``line`` in one branch and a call of one of
    ``names`` in another: ``(its line, the source of its condition ('' for a match), "if" or
    "match")``, else ``None``. The code took another branch than the history did: the
    condition (or what it reads) changed."""
    tree = _parsed(path)
    if tree is None:
        return None
    source = "".join(linecache.getlines(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            branches = [node.body, node.orelse]
        elif isinstance(node, ast.Match):
            branches = [case.body for case in node.cases]
        else:
            continue
        mine = [b for b in branches if _covers(b, line)]
        if not mine:
            continue
        others = [stmt for b in branches if b is not mine[0] for stmt in b]
        calls = [n for stmt in others for n in ast.walk(stmt) if isinstance(n, ast.Call)]
        if any(_calls_one(call, names) for call in calls):
            found.append(node)
    if not found:
        return None
    node = min(found, key=lambda n: _end(n) - n.lineno)
    if not isinstance(node, ast.If):
        return node.lineno, "", "match"
    return node.lineno, ast.get_source_segment(source, node.test) or "", "if"


_RUN_KEYWORDS = frozenset({"activity", "workflow"})
"""The keyword arguments naming what ``execute_activity`` / ``execute_child_workflow`` run."""


def _what_it_runs(call: ast.Call) -> list[ast.expr]:
    """What a command call runs: its first argument (``execute_activity(step, ...)``), or the
    one it names (``activity=step``)."""
    return [*call.args[:1], *(k.value for k in call.keywords if k.arg in _RUN_KEYWORDS)]


def conditional_choice(path: str, line: int, names: set[str]) -> tuple[int, str] | None:
    """A conditional expression choosing what the call at ``line`` runs, with one of
    ``names`` in an arm: ``execute_activity(bill if vip else charge, ...)``, or through a
    variable assigned one (``step = bill if vip else charge``). ``(its line, its condition)``."""
    function = _function_at(path, line)
    if function is None:
        return None
    source = "".join(linecache.getlines(path))
    first, last = statement_span(path, line)
    args = [
        arg
        for call in ast.walk(function)
        if isinstance(call, ast.Call) and first <= call.lineno <= last
        for arg in _what_it_runs(call)
    ]
    choices = [a for a in args if isinstance(a, ast.IfExp)]
    variables = {a.id for a in args if isinstance(a, ast.Name)}
    latest: dict[str, ast.expr | None] = {}  # each variable's last assignment before the call
    assigns = (ast.Assign, ast.AnnAssign, ast.AugAssign)
    found = [n for n in ast.walk(function) if isinstance(n, assigns) and n.lineno < first]
    for node in sorted(found, key=lambda n: n.lineno):  # step = ..., step: Any = ...
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id in variables:
                latest[target.id] = None if isinstance(node, ast.AugAssign) else node.value
    choices += [value for value in latest.values() if isinstance(value, ast.IfExp)]
    for choice in choices:
        if _names(choice.body) & names or _names(choice.orelse) & names:
            return choice.lineno, ast.get_source_segment(source, choice.test) or ""
    return None


_COMMAND_CALLS = frozenset({
    "execute_activity", "start_activity", "execute_local_activity", "start_local_activity",
    "execute_activity_method", "start_activity_method", "execute_local_activity_method",
    "start_local_activity_method", "execute_activity_class", "start_activity_class",
    "execute_child_workflow", "start_child_workflow",
})  # fmt: skip
"""temporalio's calls that take an activity or workflow by name as their first argument."""


def reraises_after(path: str, line: int, *, bare: bool) -> bool:
    """Whether the ``except`` block holding ``line`` raises after it, in its own statements
    (not in a nested function or a nested ``try``'s handlers): a cleanup added before the
    execution fails as before. ``bare``: only a bare ``raise`` (the cancellation re-raised)."""
    tree = _parsed(path)
    if tree is None:
        return False
    handler = _innermost(tree, line, (ast.ExceptHandler,))
    if handler is None:
        return False
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Try)
    todo: list[ast.AST] = list(handler.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Raise) and node.lineno > line and (node.exc is None or not bare):
            return True
        if not isinstance(node, scopes):
            todo.extend(ast.iter_child_nodes(node))
    return False


def count_calls_later(path: str, line: int, names: set[str]) -> int:
    """How many times calls that may run after the statement at ``line`` (as
    :func:`count_later` reads it) pass or call one of ``names`` (see :func:`_calls_one`): a
    call inside a loop counts as many (:data:`MANY`); a string that only mentions the name
    (``f"charge: {x}"``, ``done.append("charge")``) is no call."""
    found = _later_lines(path, line)
    if found is None:
        return 0
    function, wanted = found
    loops = [n for n in ast.walk(function) if isinstance(n, (*_LOOPS, *_COMPREHENSIONS))]
    count = 0
    for node in ast.walk(function):
        if (
            not isinstance(node, ast.Call)
            or node.lineno not in wanted
            or not _calls_one(node, names)
        ):
            continue
        inside = any(loop.lineno <= node.lineno <= _end(loop) for loop in loops)
        count += MANY if inside else 1
    return count


MANY = 1 << 20
"""How many times a call in a loop may run, as far as a count goes."""


def bound_parameters(callee: SourceFrame, caller: SourceFrame, names: set[str]) -> set[str]:
    """The parameters of the function holding ``callee``'s line that the call at ``caller``'s
    line passes one of ``names``: ``act`` of ``async def _step(self, act, order)`` for
    ``await self._step(charge, order)``, so a helper's ``execute_activity(act, ...)`` runs
    ``charge`` for this caller."""
    function = _function_at(callee.file, callee.line)
    tree = _parsed(caller.file)
    if function is None or tree is None:
        return set()
    first, last = statement_span(caller.file, caller.line)
    calls = [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call) and first <= node.lineno <= last
        and function.name in _names(node.func)
    ]  # fmt: skip
    arguments = function.args
    positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    bound: set[str] = set()
    for call in calls:
        # A method called on an object (self._step(...)) gets that object as its first one;
        # called on its class (Base._step(self, ...)) it is given it.
        func = call.func
        on_class = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and (
            func.value.id[:1].isupper())  # fmt: skip
        bound_method = isinstance(func, ast.Attribute) and not on_class
        given = positional[1:] if bound_method and positional[:1] in (["self"], ["cls"]) else (
            positional)  # fmt: skip
        for param, value in zip(given, call.args, strict=False):
            if isinstance(value, ast.Starred):
                break
            if _names(value) & names:
                bound.add(param)
        bound.update(k.arg for k in call.keywords if k.arg and _names(k.value) & names)
    return bound


def runs_later(path: str, line: int, params: set[str]) -> bool:
    """Whether a command call that may run after the statement at ``line`` runs one of
    ``params`` (``execute_activity(act, ...)``, ``activity=act``), other than in an ``except``
    handler (which runs only if something failed) and other than in the other branch of an
    ``if`` the line is in. A call that merely passes it on (``done.append(act)``) is none."""
    found = _later_lines(path, line)
    if found is None:
        return False
    function, wanted = found
    handlers = [
        n for n in ast.walk(function)
        if isinstance(n, ast.ExceptHandler) and not n.lineno <= line <= _end(n)
    ]  # fmt: skip
    for node in ast.walk(function):
        if not isinstance(node, ast.Call) or node.lineno not in wanted:
            continue
        if not _names(node.func) & _COMMAND_CALLS:
            continue
        if not any(isinstance(a, ast.Name) and a.id in params for a in _what_it_runs(node)):
            continue
        if not any(h.lineno <= node.lineno <= _end(h) for h in handlers):
            return True
    return False


def parameters_of(path: str, line: int) -> set[str]:
    """The parameter names of the function holding ``line`` (``self`` and ``cls`` left out)."""
    function = _function_at(path, line)
    if function is None:
        return set()
    a = function.args
    every = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, (a.vararg, a.kwarg))]
    return {x.arg for x in every} - {"self", "cls"}


def parameters_read(condition: str, params: set[str]) -> tuple[tuple[str, ...], bool]:
    """The ``params`` that ``condition`` (an expression's source) reads, in order (``urgent`` of
    ``if urgent:`` in ``async def _notify(self, order, urgent)``: a caller passes it), and
    whether it reads anything else too (``self``, a global, a function)."""
    try:
        tree = ast.parse(condition.strip(), mode="eval")
    except SyntaxError:
        return (), True
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
    read = tuple(dict.fromkeys(n for n in names if n in params))
    return read, not set(names) <= params


def decided_by(path: str, line: int, params: set[str]) -> bool:
    """Whether the statement at ``line`` is in an ``if`` (or ``match``) of its function whose
    test reads one of ``params``: the caller's argument decides whether it runs."""
    function = _function_at(path, line)
    if function is None:
        return False
    for node in ast.walk(function):
        if isinstance(node, ast.If) and _covers([*node.body, *node.orelse], line):
            test = node.test
        elif isinstance(node, ast.Match) and node.lineno < line <= _end(node):
            test = node.subject
        else:
            continue
        if any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(test)):
            return True
    return False


def _calls_one(call: ast.Call, names: set[str]) -> bool:
    """Whether ``call`` itself (not its arguments' calls) passes or calls one of ``names``."""
    callee = _names(call.func)
    refs = [*call.args, *(k.value for k in call.keywords)]
    by_object = any(not isinstance(a, ast.Constant) and _names(a) & names for a in refs)
    by_name = (
        bool(callee & _COMMAND_CALLS) and bool(call.args) and bool(_names(call.args[0]) & names)
    )
    return bool(callee & names) or by_object or by_name


def _names(node: ast.AST) -> set[str]:
    """The name an argument or callee refers to: ``charge``, ``acts.charge``, ``"charge"``."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):  # acts.charge, and PackOrder of PackOrder.run
        return {node.attr, *(_names(node.value) if isinstance(node.value, ast.Name) else ())}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    return set()


def _later_lines(path: str, line: int) -> tuple[ast.AST, set[int]] | None:
    """The function holding ``line``, and the lines that may run after its statement."""
    function = _function_at(path, line)
    if function is None:
        return None
    first, after = statement_span(path, line)
    wanted = set(range(after + 1, _end(function) + 1)) - _other_branches(function, line)
    loop = _innermost(function, line, _LOOPS)
    if loop is not None:  # the next iteration may run any of it, but the statement itself
        wanted |= set(range(loop.lineno, _end(loop) + 1)) - set(range(first, after + 1))
    return function, wanted


def _end(node: ast.AST) -> int:
    end = getattr(node, "end_lineno", None) or getattr(node, "lineno", 0)
    return end if isinstance(end, int) else 0


def _covers(nodes: list[ast.stmt], line: int) -> bool:
    return bool(nodes) and nodes[0].lineno <= line <= _end(nodes[-1])


def _innermost(tree: ast.AST, line: int, kinds: tuple[type, ...]) -> Any:
    """The smallest node of one of ``kinds`` whose lines hold ``line`` (``None``: none)."""
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.lineno <= line <= _end(node)  # type: ignore[attr-defined]
    ]
    return min(found, key=lambda n: _end(n) - int(getattr(n, "lineno", 0)), default=None)


def _other_branches(function: ast.AST, line: int) -> set[int]:
    """Lines of the branches that cannot run in the same pass as ``line``: the ``else`` of an
    ``if`` branch holding it, the other cases of a ``match``."""
    lines: set[int] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.If) and _covers(node.body, line) and node.orelse:
            lines |= set(range(node.orelse[0].lineno, _end(node.orelse[-1]) + 1))
        elif isinstance(node, ast.Match) and any(_covers(c.body, line) for c in node.cases):
            for case in node.cases:  # the other cases of the match holding it
                if not _covers(case.body, line):
                    lines |= set(range(case.pattern.lineno, _end(case.body[-1]) + 1))
    return lines


def _function_at(path: str, line: int) -> Any:
    """The innermost function (``def`` / ``async def``) of ``path`` holding ``line``, or
    ``None``."""
    tree = _parsed(path)
    return None if tree is None else _innermost(tree, line, (ast.FunctionDef,
                                                             ast.AsyncFunctionDef))  # fmt: skip


def loop_around(path: str, line: int) -> tuple[int, str] | None:
    """The first line and the header (``for i in range(3):``) of the innermost loop holding
    ``line`` of ``path`` inside its function, a comprehension (``for i in range(3)`` of an
    ``asyncio.gather(*[...])``) included; ``None`` when there is none."""
    function = _function_at(path, line)
    if function is None:
        return None
    loop = _innermost(function, line, (*_LOOPS, *_COMPREHENSIONS))
    if loop is None:
        return None
    if isinstance(loop, _COMPREHENSIONS):
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
    lines = _without_comments(tuple(linecache.getlines(path)))
    assigned = _stored(block[at])
    for end in range(at + 1, len(block)):
        statement = block[end]
        text = "".join(lines[statement.lineno - 1 : _end(statement)])
        if re.search(pattern, re.sub(_PATCH_CALL, "", text)):
            if end == at + 1:
                return None
            last = _end(block[end - 1])
            source = linecache.getlines(path)[block[at].lineno - 1 : last]
            return last, textwrap.dedent("".join(source)).rstrip()
        awaits = any(isinstance(n, ast.Await) for n in ast.walk(statement))
        if "wait_condition" in text or not (awaits or _loaded(statement) & assigned):
            return None
        assigned |= _stored(statement)
    return None


def _block_of(path: str, line: int) -> tuple[list[ast.stmt], int] | None:
    """The statement list holding the simple statement at ``line`` of ``path``, and its index
    there (``None`` when ``line`` is in no simple statement of a block)."""
    tree = _parsed(path)
    if tree is None:
        return None
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            at = next((i for i, b in enumerate(block) if b.lineno <= line <= _end(b)), None)
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
    lines = _without_comments(tuple(linecache.getlines(path)))
    return following.lineno, "".join(lines[following.lineno - 1 : _end(following)])


def function_line(path: str, name: str, near: int = 0) -> int:
    """The line of ``def name`` (or ``async def``) in ``path``: in the class holding line
    ``near`` when there is one there (0 when there is none)."""
    tree = _parsed(path)
    if tree is None:
        return 0
    scope = _innermost(tree, near, (ast.ClassDef,)) if near else None
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

    tree = _parsed(path)
    function = _handler_at(path, line)
    cls = None if tree is None else _innermost(tree, line, (ast.ClassDef,))
    if function is None or cls is None:
        return False
    inside = set(range(function.lineno, _end(function) + 1))
    lines = _without_comments(tuple(linecache.getlines(path)))
    code = "".join(lines[n - 1] for n in range(cls.lineno, _end(cls) + 1) if n not in inside)
    return re.search(pattern, re.sub(_PATCH_CALL, "", code)) is not None


def in_handler(path: str, line: int) -> bool:
    """Whether ``line`` of ``path`` is in a signal or update handler."""
    return _handler_at(path, line) is not None


def _handler_at(path: str, line: int) -> Any:
    """The ``@workflow.signal`` / ``@workflow.update`` method holding ``line``, if any."""
    function = _function_at(path, line)
    if function is None or not any(map(_is_handler, function.decorator_list)):
        return None
    return function


def _is_handler(decorator: ast.expr) -> bool:
    """``@workflow.signal`` / ``@workflow.update`` (with or without arguments)."""
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in ("signal", "update")


def statement_span(path: str, line: int) -> tuple[int, int]:
    """The first and last line of the statement holding ``line`` of ``path``."""
    return _statement_spans(path).get(line, (line, line))


_PATCH_CALL = r"(?:patched|deprecate_patch)\(\s*[\"']([^\"']+)[\"']"


@functools.lru_cache(maxsize=32)
def _without_comments(lines: tuple[str, ...]) -> list[str]:
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
    return set(re.findall(_PATCH_CALL, text))


def display_file(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
