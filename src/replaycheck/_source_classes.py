"""The method a call on ``self`` (or ``super()``) runs, read from source: on the method
resolution order of the workflow class being diagnosed, as Python looks it up, else on the
class holding the caller and its bases, for :mod:`replaycheck._source_helpers`."""

from __future__ import annotations

import ast
import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from replaycheck._patch_modules import dotted_name
from replaycheck._source import parsed
from replaycheck._source_imports import defined, definition, module_path, named, within
from replaycheck._source_nodes import class_of

_INSTANCE: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("instance_of", default=())
"""``(file, qualified name)`` of each class of the workflow's own code in the method resolution
order of the workflow class whose history is diagnosed (in this context)."""


@contextlib.contextmanager
def instance_of(cls: Any) -> Iterator[None]:
    """Read ``self`` as an instance of ``cls`` (the registered workflow class whose history is
    replayed) while the ``with`` block runs: ``self.hook()`` in a method of a base class finds
    ``hook`` where ``cls.__mro__`` does, in a subclass too."""
    classes = []
    for each in getattr(cls, "__mro__", ()):
        name, module = getattr(each, "__qualname__", ""), getattr(each, "__module__", "")
        file = module_path("", 0, module) if module and "<" not in name else None
        if file is not None:
            classes.append((file, name))
    token = _INSTANCE.set(tuple(classes))
    try:
        yield
    finally:
        _INSTANCE.reset(token)


def method_of_self(
    path: str, owner: ast.ClassDef, name: str, on_super: bool
) -> tuple[str, Any] | None:
    """The file and definition of the method ``self.name(...)`` (``super().name(...)``) in a
    method of ``owner`` (in ``path``) runs: the first class defining it in the workflow class's
    method resolution order (after ``owner``, for ``super()``) when ``owner`` is in it, else
    as :func:`method` finds it from ``owner``."""
    classes = [(f, c) for f, c in (_class_at(*x) for x in _INSTANCE.get()) if c is not None]
    at = [i for i, (f, c) in enumerate(classes) if c is owner and f == os.path.abspath(path)]
    if not at:
        return method(path, owner, name, frozenset(), not on_super)
    for file, cls in classes[at[0] + 1 if on_super else 0 :]:
        found = defined(cls.body, name)
        if found is not None:
            return file, found
    return None


def _class_at(file: str, qualname: str) -> tuple[str, ast.ClassDef | None]:
    """``file`` and the definition of the class ``qualname`` (``Outer.Inner``) in it."""
    found = definition(file, qualname)
    return file, found[1] if found is not None and isinstance(found[1], ast.ClassDef) else None


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
        located = _base_class(path, owner, base)
        if located is not None and (located[0], located[1].lineno) not in seen:
            inherited = method(*located, name, seen)
            if inherited is not None:
                return inherited
    return None


def _base_class(path: str, owner: ast.ClassDef, base: ast.expr) -> tuple[str, ast.ClassDef] | None:
    """The file and definition of the class ``base`` (a base of ``owner``, a class of ``path``)
    names: a class defined before ``owner`` in the class holding it (``class B(A)`` beside
    ``class A`` in ``class Outer``), as Python looks it up there first; else one of the module
    (a class nested in one: ``Rules.Base``), or of a module of the workflow's own code it
    imports (``Approvals``, ``shared.Approvals``, re-exported by a package too)."""
    dotted = dotted_name(base)
    if dotted is None:
        return None
    tree = parsed(path)
    holder = None if tree is None else class_of(tree, owner)
    sibling = None if holder is None else within(holder, dotted)
    if isinstance(sibling, ast.ClassDef) and sibling.lineno < owner.lineno:
        return path, sibling
    found = named(path, dotted)
    return found if found is not None and isinstance(found[1], ast.ClassDef) else None
