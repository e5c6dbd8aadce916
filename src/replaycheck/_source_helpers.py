"""The helpers a workflow function calls, read from source without importing anything (a
method of its class or of a base class, a function of its module or of a module it imports,
and the helpers those call in turn), the branch of one that the code passed without taking,
for :mod:`replaycheck._branch_readings`, and whether one called later names a command, for
:func:`replaycheck._readings.still_runs_later`.
"""

from __future__ import annotations

import ast
import functools
import linecache
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from replaycheck._patch_modules import dotted_name
from replaycheck._source import end_line, function_at, parsed, statement_span
from replaycheck._source_branches import Passed, held_in, returned_before
from replaycheck._source_flow import code_of, later_lines, lines_on_its_path
from replaycheck._workflow_scan import module_file

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
                                for n in ast.walk(function)):  # fmt: skip
        return None  # it runs the command after `to`: moved, not skipped
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call) and n.lineno in between]
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
    found = later_lines(path, line)
    if found is None:
        return False
    function, later = found
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call) and n.lineno in later]
    helpers = (called(path, function, call) for call in calls)
    return any(_names(*h, pattern, DEPTH - 1, frozenset()) for h in helpers if h is not None)


def _names(
    path: str, function: Any, pattern: str, depth: int, seen: frozenset[tuple[str, int]]
) -> bool:
    """Whether the body of ``function`` of ``path`` (its docstring left out) names
    ``pattern``, or a helper it calls does (``depth`` calls deeper at most)."""
    key = (path, function.lineno)
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    if key in seen or not body:
        return False
    if re.search(pattern, code_of(path, set(range(body[0].lineno, end_line(function) + 1)))):
        return True
    seen = seen | {key}
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)] if depth > 0 else []
    helpers = (called(path, function, call) for call in calls)
    return any(_names(*h, pattern, depth - 1, seen) for h in helpers if h is not None)


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
    nodes = [n for n in ast.walk(function) if isinstance(n, ast.stmt | ast.expr)]
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
    or of a base class of it (``self.name(...)``, ``super().name(...)``; see :func:`_method`),
    a function of the module (``name(...)``), or one of a module it imports (``name(...)``
    from ``from pkg.helpers import name``, ``helpers.name(...)``)."""
    tree = parsed(path)
    if tree is None or not isinstance(call, ast.Call):
        return None
    func = call.func
    if isinstance(func, ast.Name):
        local = _module_function(tree, func.id)
        if local is not None:
            return None if local is function else (path, local)
        source = _imported_name(path, func.id)
        return None if source is None else _function_in(*source)
    if not isinstance(func, ast.Attribute):
        return None
    value = func.value
    on_super = isinstance(value, ast.Call) and getattr(value.func, "id", "") == "super"
    if on_super or (isinstance(value, ast.Name) and value.id == "self"):
        owner = next((c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
                      and any(s is function for s in c.body)), None)  # fmt: skip
        seen: frozenset[tuple[str, int]] = frozenset()
        method = None if owner is None else _method(path, owner, func.attr, seen, not on_super)
        return None if method is None or method[1] is function else method
    dotted = dotted_name(func.value)
    module = None if dotted is None else _module_named(path, dotted)
    return None if module is None else _function_in(module, func.attr)


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _defined(body: list[ast.stmt], name: str) -> Any:
    return next((s for s in body if isinstance(s, _DEFS) and s.name == name), None)


def _module_function(tree: ast.Module, name: str) -> Any:
    return _defined(tree.body, name)


def _method(
    path: str, owner: ast.ClassDef, name: str, seen: frozenset[tuple[str, int]], own: bool = True
) -> tuple[str, Any] | None:
    """The file and definition of method ``name`` of class ``owner`` (in ``path``): its own
    (unless not ``own``: ``super().name(...)``), or the first of its base classes' (left to
    right, depth first, as Python's order mostly is) that defines it, a base of the module or
    of a module it imports (``from .shared import Approvals``, ``shared.Approvals``). Each
    class is read once (a cycle of names ends)."""
    found = _defined(owner.body, name) if own else None
    if found is not None:
        return path, found
    seen = seen | {(path, owner.lineno)}
    for base in owner.bases:
        located = _base_class(path, base)
        if located is not None and (located[0], located[1].lineno) not in seen:
            inherited = _method(*located, name, seen)
            if inherited is not None:
                return inherited
    return None


def _base_class(path: str, base: ast.expr) -> tuple[str, ast.ClassDef] | None:
    """The file and definition of the class ``base`` (a base of a class of ``path``) names: one
    of that module, or of a module of the workflow's own code it imports."""
    tree = parsed(path)
    if isinstance(base, ast.Name):
        local = None if tree is None else _class_in(tree, base.id)
        if local is not None:
            return path, local
        source = _imported_name(path, base.id)
    elif isinstance(base, ast.Attribute):
        dotted = dotted_name(base.value)
        module = None if dotted is None else _module_named(path, dotted)
        source = None if module is None else (module, base.attr)
    else:
        return None
    if source is None:
        return None
    other = parsed(source[0])
    found = None if other is None else _class_in(other, source[1])
    return None if found is None else (source[0], found)


def _class_in(tree: ast.Module, name: str) -> ast.ClassDef | None:
    return next((s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == name), None)


def _function_in(module: str, name: str) -> tuple[str, Any] | None:
    tree = parsed(module)
    found = None if tree is None else _module_function(tree, name)
    return None if found is None else (module, found)


@functools.lru_cache(maxsize=256)
def _imported_name(path: str, local: str) -> tuple[str, str] | None:
    """What ``from module import name [as local]`` in ``path`` binds ``local`` to: ``(the
    module's file, name)``, for a module of the workflow's own code."""
    tree = parsed(path)
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if local == (alias.asname or alias.name):
                    module = _module_path(path, node.level, node.module or "")
                    return None if module is None else (module, alias.name)
    return None


@functools.lru_cache(maxsize=256)
def _module_named(path: str, dotted: str) -> str | None:
    """The file of the module that ``dotted`` (``helpers``, ``pkg.helpers``) names in
    ``path``: ``import pkg.helpers [as helpers]`` or ``from pkg import helpers``."""
    tree = parsed(path)
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            for alias in node.names:
                if dotted in (alias.asname, None if alias.asname else alias.name):
                    return _module_path(path, 0, alias.name)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if dotted == (alias.asname or alias.name):
                    parent = node.module or ""
                    module = f"{parent}.{alias.name}" if parent else alias.name
                    return _module_path(path, node.level, module)
    return None


def _module_path(path: str, level: int, module: str) -> str | None:
    """The source file of ``module`` imported from ``path`` (``level``: the dots of a relative
    import): the file of the module as imported, else found on ``sys.path``, never importing
    it; ``None`` for a module not of the workflow's own code
    (temporalio, the standard library, an installed package)."""
    from replaycheck._user_frames import SITE_PACKAGES, is_user_file

    parts = module.split(".") if module else []
    found: str | None = None
    if level == 0:
        # Imported already (the worker imported the workflow's modules), maybe by a finder
        # that no entry of sys.path shows (an editable install's): its file; else looked for.
        loaded = getattr(sys.modules.get(module), "__file__", None) if module else None
        source = isinstance(loaded, str) and loaded.endswith(".py")
        file = loaded if source else module_file(module) if module else None
        found = None if file is None else os.path.abspath(file)
    else:
        base = Path(path).parent
        for _ in range(level - 1):
            base = base.parent
        files = (base.joinpath(*parts).with_suffix(".py"), base.joinpath(*parts, "__init__.py"))
        found = next((str(c) for c in files if parts and c.is_file()), None)
    if found is None or not is_user_file(found) or found.startswith(SITE_PACKAGES):
        return None
    return found
