"""What may run after a statement of workflow code, and what decides whether it does.

The rest of its function, a loop around it, the branch it is in, and what the command calls there
run; :mod:`replaycheck._source` reads the statements themselves.
"""

from __future__ import annotations

import ast
import linecache
import re
from collections.abc import Callable

from replaycheck._source import (
    COMPREHENSIONS,
    LOOPS,
    PATCH_CALL,
    SourceFrame,
    end_line,
    function_at,
    function_line,
    innermost,
    parsed,
    statement_span,
    without_comments,
)
from replaycheck._source_nodes import walked


def mentioned_later(path: str, line: int, pattern: str) -> bool:
    """Whether ``pattern`` (a regex) occurs in the function holding ``line`` of ``path``,
    after the statement at ``line`` (e.g. whether a replaced activity still runs after it)."""
    return count_later(path, line, pattern) > 0


def count_later(path: str, line: int, pattern: str) -> int:
    """How often ``pattern`` occurs in what the function holding ``line`` of ``path`` may run
    after the statement at ``line``: the rest of the function, and the whole of a loop around
    it (its next iteration), but not the other branch of an ``if`` the statement is in;
    comments and patch ids left out."""
    found = later_lines(path, line)
    return 0 if found is None else len(re.findall(pattern, code_of(path, found[1])))


def code_of(path: str, lines: set[int]) -> str:
    """The source of ``lines`` of ``path``, comments and patch ids cut (a patch id naming a
    command is no call of it)."""
    text = without_comments(tuple(linecache.getlines(path)))
    return re.sub(PATCH_CALL, "", "".join(t for n, t in enumerate(text, 1) if n in lines))


_RUN_KEYWORDS = frozenset({"activity", "workflow"})
"""The keyword arguments naming what ``execute_activity`` / ``execute_child_workflow`` run."""


def what_it_runs(call: ast.Call) -> list[ast.expr]:
    """What a command call runs: its first argument (``execute_activity(step, ...)``), or the
    one it names (``activity=step``)."""
    return [*call.args[:1], *(k.value for k in call.keywords if k.arg in _RUN_KEYWORDS)]


COMMAND_CALLS = frozenset({
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
    tree = parsed(path)
    if tree is None:
        return False
    handler = innermost(tree, line, (ast.ExceptHandler,))
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
    :func:`count_later` reads it) pass or call one of ``names`` (see :func:`calls_one`): a
    call inside a loop counts as many (:data:`MANY`); a string that only mentions the name
    (``f"charge: {x}"``, ``done.append("charge")``) is no call."""
    found = later_lines(path, line)
    if found is None:
        return 0
    function, wanted = found
    loops = [n for n in walked(function) if isinstance(n, (*LOOPS, *COMPREHENSIONS))]
    count = 0
    for node in walked(function):
        if (
            not isinstance(node, ast.Call)
            or node.lineno not in wanted
            or not calls_one(node, names)
        ):
            continue
        inside = any(loop.lineno <= node.lineno <= end_line(loop) for loop in loops)
        count += MANY if inside else 1
    return count


MANY = 1 << 20
"""How many times a call in a loop may run, as far as a count goes."""


def bound_parameters(callee: SourceFrame, caller: SourceFrame, names: set[str]) -> set[str]:
    """The parameters of the function holding ``callee``'s line that the call at ``caller``'s
    line passes one of ``names``: ``act`` of ``async def _step(self, act, order)`` for
    ``await self._step(charge, order)``, so a helper's ``execute_activity(act, ...)`` runs
    ``charge`` for this caller."""
    function = function_at(callee.file, callee.line)
    tree = parsed(caller.file)
    if function is None or tree is None:
        return set()
    first, last = statement_span(caller.file, caller.line)
    calls = [
        node for node in walked(tree)
        if isinstance(node, ast.Call) and first <= node.lineno <= last
        and function.name in names_in(node.func)
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
            if names_in(value) & names:
                bound.add(param)
        bound.update(k.arg for k in call.keywords if k.arg and names_in(k.value) & names)
    return bound


def runs_later(path: str, line: int, params: set[str]) -> bool:
    """Whether a command call that may run after the statement at ``line`` runs one of
    ``params`` (``execute_activity(act, ...)``, ``activity=act``), other than in an ``except``
    handler (which runs only if something failed) and other than in the other branch of an
    ``if`` the line is in. A call that merely passes it on (``done.append(act)``) is none."""
    found = later_lines(path, line)
    if found is None:
        return False
    function, wanted = found
    handlers = [
        n for n in walked(function)
        if isinstance(n, ast.ExceptHandler) and not n.lineno <= line <= end_line(n)
    ]  # fmt: skip
    for node in walked(function):
        if not isinstance(node, ast.Call) or node.lineno not in wanted:
            continue
        if not names_in(node.func) & COMMAND_CALLS:
            continue
        if not any(isinstance(a, ast.Name) and a.id in params for a in what_it_runs(node)):
            continue
        if not any(h.lineno <= node.lineno <= end_line(h) for h in handlers):
            return True
    return False


def parameters_of(path: str, line: int) -> set[str]:
    """The parameter names of the function holding ``line`` (``self`` and ``cls`` left out)."""
    function = function_at(path, line)
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
    function = function_at(path, line)
    if function is None:
        return False
    for node in walked(function):
        if isinstance(node, ast.If) and covers([*node.body, *node.orelse], line):
            test = node.test
        elif isinstance(node, ast.Match) and node.lineno < line <= end_line(node):
            test = node.subject
        else:
            continue
        if any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(test)):
            return True
    return False


def calls_one(call: ast.Call, names: set[str] | frozenset[str]) -> bool:
    """Whether ``call`` itself (not its arguments' calls) passes or calls one of ``names``."""
    callee = names_in(call.func)
    refs = [*call.args, *(k.value for k in call.keywords)]
    by_object = any(not isinstance(a, ast.Constant) and names_in(a) & names for a in refs)
    by_name = (
        bool(callee & COMMAND_CALLS) and bool(call.args) and bool(names_in(call.args[0]) & names)
    )
    return bool(callee & names) or by_object or by_name


def statement_calls(path: str, line: int, names: set[str]) -> bool:
    """Whether the statement holding ``line`` itself passes or calls one of ``names`` (see
    :func:`calls_one`): ``execute_activity(charge, ...)`` for ``charge``."""
    function = function_at(path, line)
    if function is None:
        return False
    first, last = statement_span(path, line)
    return any(
        isinstance(node, ast.Call) and first <= node.lineno <= last and calls_one(node, names)
        for node in walked(function)
    )


def names_in(node: ast.AST) -> set[str]:
    """The name an argument or callee refers to: ``charge``, ``acts.charge``, ``"charge"``."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):  # acts.charge, and PackOrder of PackOrder.run
        return {node.attr, *(names_in(node.value) if isinstance(node.value, ast.Name) else ())}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    return set()


def lines_on_its_path(path: str, line: int) -> tuple[ast.AST, set[int]] | None:
    """The function holding ``line``, and the lines of its body that may run in a pass that
    reaches ``line``: all but the other branches of an ``if`` (the other cases of a
    ``match``) holding it."""
    function = function_at(path, line)
    if function is None or not function.body:
        return None
    lines = set(range(function.body[0].lineno, end_line(function) + 1))
    return function, lines - _other_branches(function, line)


def later_lines(path: str, line: int) -> tuple[ast.AST, set[int]] | None:
    """The function holding ``line``, and the lines that may run after its statement."""
    function = function_at(path, line)
    if function is None:
        return None
    first, after = statement_span(path, line)
    wanted = set(range(after + 1, end_line(function) + 1)) - _other_branches(function, line)
    loop = innermost(function, line, LOOPS)
    if loop is not None:  # the next iteration may run any of it, but the statement itself
        wanted |= set(range(loop.lineno, end_line(loop) + 1)) - set(range(first, after + 1))
    return function, wanted


def covers(nodes: list[ast.stmt], line: int) -> bool:
    return bool(nodes) and nodes[0].lineno <= line <= end_line(nodes[-1])


def _other_branches(function: ast.AST, line: int) -> set[int]:
    """Lines of the branches that cannot run in the same pass as ``line``: the ``else`` of an
    ``if`` branch holding it, the other cases of a ``match``."""
    lines: set[int] = set()
    for node in walked(function):
        if isinstance(node, ast.If) and covers(node.body, line) and node.orelse:
            lines |= set(range(node.orelse[0].lineno, end_line(node.orelse[-1]) + 1))
        elif isinstance(node, ast.Match) and any(covers(c.body, line) for c in node.cases):
            for case in node.cases:  # the other cases of the match holding it
                if not covers(case.body, line):
                    lines |= set(range(case.pattern.lineno, end_line(case.body[-1]) + 1))
    return lines


def function_start(path: str, name: str, near: int) -> int:
    """The line of the first statement (a docstring skipped) of ``def name`` in ``path``, in
    the class holding line ``near`` when there is one there; 0 when not found."""
    function = function_at(path, function_line(path, name, near) or -1)
    if function is None or not function.body:
        return 0
    body, first = function.body, function.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return int(body[1].lineno if docstring and len(body) > 1 else first.lineno)


def in_body_of(path: str, if_line: int, line: int) -> bool:
    """Whether ``line`` of ``path`` is in the body of the ``if`` at ``if_line``."""
    function = function_at(path, line)
    return function is not None and any(
        isinstance(node, ast.If) and node.lineno == if_line and covers(node.body, line)
        for node in walked(function)
    )


def branch_holding(path: str, if_line: int, picks: Callable[[ast.AST], bool]) -> str:
    """Which branch of the ``if`` at ``if_line`` of ``path`` holds what ``picks`` picks (a
    ``raise``, a ``continue_as_new()``): ``body`` or ``else``; '' when neither or both do, or
    when the ``if`` is in a loop (passed on each iteration, an execution may have passed it
    before)."""
    function = function_at(path, if_line)
    if function is None or innermost(function, if_line, LOOPS) is not None:
        return ""
    ifs = [n for n in walked(function) if isinstance(n, ast.If) and n.lineno == if_line]
    if not ifs:
        return ""
    node = ifs[0]
    held = [any(picks(n) for s in part for n in ast.walk(s)) for part in (node.body, node.orelse)]
    return {(True, False): "body", (False, True): "else"}.get((held[0], held[1]), "")
