"""The method a call on ``self`` (or ``super()``) runs, read from source without importing
anything: on the class holding the caller and its bases, for
:mod:`replaycheck._source_helpers`."""

from __future__ import annotations

import ast
from typing import Any

from replaycheck._patch_modules import dotted_name
from replaycheck._source import parsed
from replaycheck._source_imports import defined, imported_name, module_named


def method(
    path: str, owner: ast.ClassDef, name: str, seen: frozenset[tuple[str, int]], own: bool = True
) -> tuple[str, Any] | None:
    """The file and definition of method ``name`` of class ``owner`` (in ``path``): its own
    (unless not ``own``: ``super().name(...)``), or the first of its base classes' (left to
    right, depth first, as Python's order mostly is) that defines it, a base of the module or
    of a module it imports (``from .shared import Approvals``, ``shared.Approvals``). Each
    class is read once (a cycle of names ends)."""
    found = defined(owner.body, name) if own else None
    if found is not None:
        return path, found
    seen = seen | {(path, owner.lineno)}
    for base in owner.bases:
        located = _base_class(path, base)
        if located is not None and (located[0], located[1].lineno) not in seen:
            inherited = method(*located, name, seen)
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
        source = imported_name(path, base.id)
    elif isinstance(base, ast.Attribute):
        dotted = dotted_name(base.value)
        module = None if dotted is None else module_named(path, dotted)
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
