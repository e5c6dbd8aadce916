"""The helpers a workflow function calls, read from source without importing anything (a
method of its class or of a base class, a function of its module or of a module it imports,
and the helpers those call in turn), the branch of one that the code passed without taking,
for :mod:`replaycheck._branch_readings`, and whether one called later names a command, for
:func:`replaycheck._readings.still_runs_later`.
"""

from __future__ import annotations

import ast
import linecache
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from replaycheck._patch_modules import dotted_name
from replaycheck._source import end_line, function_at, parsed, statement_span
from replaycheck._source_branches import Passed, held_in, returned_before
from replaycheck._source_classes import method, method_of_self
from replaycheck._source_flow import code_of, later_lines, lines_on_its_path
from replaycheck._source_imports import (
    function_in,
    imported_name,
    module_function,
    module_named,
    named,
)
from replaycheck._source_nodes import class_of, walked

Runs = Callable[[str], Callable[[ast.AST], bool]]
"""Given a file, picks its nodes that run the command looked for."""

DEPTH = 3
"""How many calls deep below the function the code returned to a helper is read."""


class InHelper(NamedTuple):
    """A branch of a helper that the code passed without taking."""

    path: str
    """The helper's file (another module's, when imported)."""
    function: str
    passed: Passed

    def called_at(self, path: str, line: int, function: str) -> InHelper:
        """This one, reached by the call at ``line`` of ``function`` in ``path``."""
        calls = (*self.passed.called_from, (path, line, function))
        return self._replace(passed=self.passed._replace(called_from=calls))


def passed_in_helper(
    path: str, after: int | None, to: int | None, runs: Runs, start: int = 0
) -> InHelper | None:
    """The ``if`` (``match``, conditional expression; ``if ...: return`` before it) of a
    helper that a statement of the function holding ``after`` calls on its way from ``after``
    to ``to`` (``None``: its end; ``after`` ``None``: from its statement at ``start`` on), with
    what ``runs`` picks in a branch not taken:
    ``self._audit(order)`` whose ``_audit`` audits under an ``if``. The code called it and issued
    nothing in between: it passed that branch without taking it. The helper may call others
    (up to :data:`DEPTH` calls deep); the innermost branch is given. Only helpers called where
    no ``if`` passed in between decides whether they run are read; ``None`` when the function
    runs the command itself after ``to``."""
    found = later_lines(path, after) if after is not None else lines_on_its_path(path, start)
    tree = parsed(path)
    if tree is None or found is None:
        return None
    function, later = found
    upto = statement_span(path, to)[0] if to is not None else end_line(function) + 1
    between = {n for n in later if n < upto}
    rest = later_lines(path, to) if to is not None else None
    here = runs(path)
    if rest is not None and any(getattr(n, "lineno", 0) in rest[1] and here(n)
                                for n in walked(function)):  # fmt: skip
        return None  # it runs the command after `to`: moved, not skipped
    calls = [n for n in walked(function) if isinstance(n, ast.Call) and n.lineno in between]
    for call in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        held = held_in(function, call)
        if held is not None and held.node.lineno in between:
            continue  # the code may not have called it
        helper = called(path, function, call)
        if helper is not None:
            inside = _search(*helper, runs, DEPTH - 1, frozenset())
            if isinstance(inside, InHelper):
                return inside.called_at(path, call.lineno, getattr(function, "name", ""))
    return None


def through_helpers(runs: Runs) -> Runs:
    """``runs``, picking too a call of a helper (read as :func:`called` reads it) that runs
    what ``runs`` picks with nothing deciding whether (``await self._audit(order)`` whose
    ``_audit`` audits every order, up to :data:`DEPTH` calls deep): an ``if`` around that call
    decides whether the command runs."""

    def picks(path: str) -> Callable[[ast.AST], bool]:
        here = runs(path)

        def pick(node: ast.AST) -> bool:
            if here(node):
                return True
            function = function_at(path, node.lineno) if isinstance(node, ast.Call) else None
            helper = None if function is None else called(path, function, node)
            return helper is not None and _search(*helper, runs, DEPTH - 1, frozenset()) is True

        return pick

    return picks


def named_in_helpers_later(path: str, line: int, pattern: str) -> bool:
    """Whether a helper called after the statement at ``line`` of ``path`` (where
    :func:`~replaycheck._source_flow.mentioned_later` looks), read as :func:`called` reads it,
    names ``pattern`` (a regex) in its code, or one it calls does, up to :data:`DEPTH` calls
    deep: ``return await self.charge_order(order)``, whose ``charge_order`` (of a base class
    in another module, say) runs activity 'charge'."""
    return count_in_helpers_later(path, line, pattern) > 0


def count_in_helpers_later(path: str, line: int, pattern: str) -> int:
    """How often the helpers called after the statement at ``line`` of ``path`` name
    ``pattern``, as :func:`named_in_helpers_later` reads them, each call of one counted:
    ``return await self.approve_and_notify(...)``, whose ``approve_and_notify`` sleeps once
    (a timer has no name: how many there are tells an added one from a replaced one)."""
    found = later_lines(path, line)
    if found is None:
        return 0
    function, later = found
    calls = [n for n in walked(function) if isinstance(n, ast.Call) and n.lineno in later]
    helpers = (called(path, function, call) for call in calls)
    return sum(_count(*h, pattern, DEPTH - 1, frozenset()) for h in helpers if h is not None)


def _count(
    path: str, function: Any, pattern: str, depth: int, seen: frozenset[tuple[str, int]]
) -> int:
    """How often the body of ``function`` of ``path`` (its docstring left out) names
    ``pattern``, with the helpers it calls (``depth`` calls deeper at most)."""
    key = (path, function.lineno)
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    if key in seen or not body:
        return 0
    code = code_of(path, set(range(body[0].lineno, end_line(function) + 1)))
    seen = seen | {key}
    calls = [n for n in walked(function) if isinstance(n, ast.Call)] if depth > 0 else []
    helpers = (called(path, function, call) for call in calls)
    inner = sum(_count(*h, pattern, depth - 1, seen) for h in helpers if h is not None)
    return len(re.findall(pattern, code)) + inner


def _search(
    path: str, function: Any, runs: Runs, depth: int, seen: frozenset[tuple[str, int]]
) -> InHelper | bool:
    """In ``function`` of ``path``, a helper the code returned from having issued nothing: the
    innermost branch not taken with what ``runs`` picks (directly, or through a helper it
    calls), or an ``if ...: return`` before that; ``True`` when it runs that with nothing
    deciding, ``False`` when it never does."""
    key = (path, function.lineno)
    if key in seen:
        return False
    seen, here, reached = seen | {key}, runs(path), False
    nodes = [n for n in walked(function) if isinstance(n, ast.stmt | ast.expr)]
    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset)):
        found: InHelper | bool = here(node)
        helper = called(path, function, node) if not found and depth > 0 else None
        if helper is not None:
            found = _search(*helper, runs, depth - 1, seen)
        if isinstance(found, InHelper):
            return found.called_at(path, node.lineno, function.name)
        if not found:
            continue
        held = held_in(function, node) or returned_before(function, node)
        if held is not None:
            source = "".join(linecache.getlines(path))
            return InHelper(path, function.name, held.passed(source, 0))
        reached = True
    return reached


def called(path: str, function: Any, call: ast.AST) -> tuple[str, Any] | None:
    """The file and the definition of the function that ``call`` (in ``function`` of
    ``path``) calls, when it is read from source: a method of the class holding ``function``
    or of a base class of it (``self.name(...)``, ``super().name(...)``, looked up as
    Python does on the workflow class being diagnosed: a base class's method calling a
    hook only the workflow class defines; see
    :func:`~replaycheck._source_classes.method_of_self`), a function of the module (``name(...)``),
    or one of a module it imports (``name(...)`` from ``from pkg.helpers import name``,
    ``helpers.name(...)``), or a method called on a class it names (``Helpers.step(...)``,
    ``Helpers.Inner.step(...)``, ``shared.Helpers.step(...)``; imported, or re-exported by a
    package, as a function is)."""
    tree = parsed(path)
    if tree is None or not isinstance(call, ast.Call):
        return None
    func = call.func
    if isinstance(func, ast.Name):
        local = module_function(tree, func.id)
        if local is not None:
            return None if local is function else (path, local)
        source = imported_name(path, func.id)
        return None if source is None else function_in(*source)
    if not isinstance(func, ast.Attribute):
        return None
    value = func.value
    on_super = isinstance(value, ast.Call) and getattr(value.func, "id", "") == "super"
    if on_super or (isinstance(value, ast.Name) and value.id == "self"):
        owner = class_of(tree, function)
        found = None if owner is None else method_of_self(path, owner, func.attr, on_super)
        return None if found is None or found[1] is function else found
    dotted = dotted_name(func.value)
    module = None if dotted is None else module_named(path, dotted)
    if module is not None:
        return function_in(module, func.attr)
    cls = None if dotted is None else named(path, dotted)  # Helpers.step(...): on a class
    if cls is None or not isinstance(cls[1], ast.ClassDef):
        return None
    found = method(*cls, func.attr, frozenset())
    return None if found is None or found[1] is function else found
