"""What a name in a module of the workflow's own code refers to, read from source without
importing anything: a function of the module, what ``from module import name`` binds (followed
through a package's re-export to where it is defined), the module ``import pkg.helpers`` names,
the class or function a dotted name (``Helpers.Inner``, ``shared.Helpers``) names, and a
module's file, for :mod:`replaycheck._source_helpers`.
"""

from __future__ import annotations

import ast
import functools
import inspect
import os
import sys
from pathlib import Path
from typing import Any

from replaycheck._source import parsed
from replaycheck._source_nodes import nodes_of
from replaycheck._workflow_scan import module_file

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def defined(body: list[ast.stmt], name: str) -> Any:
    return next((s for s in body if isinstance(s, _DEFS) and s.name == name), None)


def module_function(tree: ast.Module, name: str) -> Any:
    return defined(tree.body, name)


def function_in(module: str, name: str) -> tuple[str, Any] | None:
    """The file and definition of the function ``name`` (``Helpers.step``: a method of a
    class of the module) of the module whose file is ``module``, where it is defined."""
    found = definition(*defining(module, name))
    return found if found is not None and isinstance(found[1], _DEFS) else None


def named(path: str, dotted: str) -> tuple[str, Any] | None:
    """The file and definition of the class or function ``dotted`` names in ``path``: one of
    the module (``Helpers``, a class nested in it: ``Helpers.Inner``), one it imports from a
    module of the workflow's own code (``from .shared import Helpers``, through a package's
    re-export too), or one of a module it imports (``shared.Helpers.Inner``)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = module_named(path, ".".join(parts[:cut]))
        if module is not None:
            return definition(*defining(module, ".".join(parts[cut:])))
    tree = parsed(path)
    if tree is None:
        return None
    if _top_level(tree, parts[0]) is None:
        source = imported_name(path, parts[0])  # a name bound otherwise is none of ours
        if source is None:
            return None
        path, dotted = source[0], ".".join((source[1], *parts[1:]))
    return definition(*defining(path, dotted))


def definition(file: str, qualname: str) -> tuple[str, Any] | None:
    """``file`` and the definition of the class or function ``qualname`` in it (``Outer.Inner``:
    a class nested in a class), as ``__qualname__`` names it."""
    found = within(parsed(file), qualname)
    return None if found is None else (file, found)


def within(holder: ast.Module | ast.ClassDef | None, dotted: str) -> Any:
    """The class or function ``dotted`` (``A``, ``A.Inner``) names in the body of ``holder``
    (a module or a class), else ``None``."""
    found: Any = holder
    for part in dotted.split("."):
        holds = isinstance(found, ast.Module | ast.ClassDef)
        found = _top_level(found, part) if holds else None
    return found


def _top_level(tree: ast.Module | ast.ClassDef, name: str) -> Any:
    """The first class or function ``name`` defined in the body of ``tree``."""
    return next((s for s in tree.body if isinstance(s, (*_DEFS, ast.ClassDef))
                 and s.name == name), None)  # fmt: skip


def defining(module: str, name: str) -> tuple[str, str]:
    """Where ``name`` (a qualified name: ``Helpers.step``) of the module whose file is
    ``module`` is defined: ``(file, qualified name)``. A name the module imports (a package's
    ``__init__.py`` re-exporting ``from .shared import Approvals``) is followed: to the module
    and qualified name its object tells (``__module__``, ``__qualname__``: ``step =
    Helpers.step`` too), when the module is loaded (the worker imported the workflow's
    modules), else by its import in source (a few at most)."""
    for _ in range(_HOPS):
        tree = parsed(module)
        head, dot, rest = name.partition(".")
        if tree is None or _top_level(tree, head) is not None:
            break
        found = _where_loaded(module, head) or imported_name(module, head)
        if found is None:
            break
        module, name = found[0], found[1] + dot + rest
    return module, name


_HOPS = 3
"""How many re-exports of a name are followed, read from source."""


def _where_loaded(module: str, name: str) -> tuple[str, str] | None:
    """``(file, name)`` where the object bound to ``name`` in the loaded module whose file is
    ``module`` was defined; ``None`` when that module is not loaded or the object tells not."""
    loaded = next((m for m in list(sys.modules.values())
                   if _file_of(m) == module), None)  # fmt: skip
    bound = getattr(loaded, name, None) if loaded is not None else None
    bound = inspect.unwrap(bound) if inspect.isfunction(bound) else bound
    there, qualname = getattr(bound, "__module__", None), getattr(bound, "__qualname__", None)
    if not isinstance(there, str) or not isinstance(qualname, str) or "<" in qualname:
        return None  # a function's local (<locals>), a lambda: no name to look up
    file = module_path("", 0, there)
    return None if file is None or file == module else (file, qualname)


def _file_of(module: Any) -> str | None:
    file = getattr(module, "__file__", None)
    return os.path.abspath(file) if isinstance(file, str) else None


@functools.lru_cache(maxsize=256)
def imported_name(path: str, local: str) -> tuple[str, str] | None:
    """What ``from module import name [as local]`` in ``path`` binds ``local`` to: ``(the
    module's file, name)``, for a module of the workflow's own code."""
    for node in _imports(path):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if local == (alias.asname or alias.name):
                    module = module_path(path, node.level, node.module or "")
                    return None if module is None else (module, alias.name)
    return None


@functools.lru_cache(maxsize=256)
def module_named(path: str, dotted: str) -> str | None:
    """The file of the module that ``dotted`` (``helpers``, ``pkg.helpers``) names in
    ``path``: ``import pkg.helpers [as helpers]`` or ``from pkg import helpers``."""
    for node in _imports(path):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if dotted in (alias.asname, None if alias.asname else alias.name):
                    return module_path(path, 0, alias.name)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if dotted == (alias.asname or alias.name):
                    parent = node.module or ""
                    module = f"{parent}.{alias.name}" if parent else alias.name
                    return module_path(path, node.level, module)
    return None


def _imports(path: str) -> list[Any]:
    """The ``import`` and ``from ... import`` statements of ``path``, in :func:`ast.walk`'s
    order, listed once per file: not a walk of the module per name asked about."""
    tree = parsed(path)
    return [] if tree is None else [n for n, _, _ in nodes_of(tree, _IMPORTS)]


_IMPORTS = (ast.Import, ast.ImportFrom)


def module_path(path: str, level: int, module: str) -> str | None:
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
        files = [base.joinpath(*parts).with_suffix(".py")] if parts else []
        files.append(base.joinpath(*parts, "__init__.py"))  # from . import name: the package's
        found = next((str(c) for c in files if c.is_file()), None)
    if found is None or not is_user_file(found) or found.startswith(SITE_PACKAGES):
        return None
    return found
