"""What a name in a module of the workflow's own code refers to, read from source without
importing anything: a function of the module, what ``from module import name`` binds (followed
through a package's re-export to where it is defined), the module ``import pkg.helpers`` names,
and a module's file, for :mod:`replaycheck._source_helpers`.
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
from replaycheck._workflow_scan import module_file

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def defined(body: list[ast.stmt], name: str) -> Any:
    return next((s for s in body if isinstance(s, _DEFS) and s.name == name), None)


def module_function(tree: ast.Module, name: str) -> Any:
    return defined(tree.body, name)


def function_in(module: str, name: str) -> tuple[str, Any] | None:
    module, name = defining(module, name)
    tree = parsed(module)
    found = None if tree is None else module_function(tree, name)
    return None if found is None else (module, found)


def defining(module: str, name: str) -> tuple[str, str]:
    """Where ``name`` of the module whose file is ``module`` is defined: ``(file, name)``.
    A name the module imports (a package's ``__init__.py`` re-exporting ``from .shared import
    Approvals``) is followed: to the module its object names (``__module__``), when the module
    is loaded (the worker imported the workflow's modules), else by its import in source (a
    few at most)."""
    for _ in range(_HOPS):
        tree = parsed(module)
        if tree is None or any(getattr(s, "name", None) == name for s in tree.body
                               if isinstance(s, (*_DEFS, ast.ClassDef))):  # fmt: skip
            break
        found = _where_loaded(module, name) or imported_name(module, name)
        if found is None:
            break
        module, name = found
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
    if not isinstance(there, str) or not isinstance(qualname, str) or "." in qualname:
        return None
    file = module_path("", 0, there)
    return None if file is None or file == module else (file, qualname)


def _file_of(module: Any) -> str | None:
    file = getattr(module, "__file__", None)
    return os.path.abspath(file) if isinstance(file, str) else None


@functools.lru_cache(maxsize=256)
def imported_name(path: str, local: str) -> tuple[str, str] | None:
    """What ``from module import name [as local]`` in ``path`` binds ``local`` to: ``(the
    module's file, name)``, for a module of the workflow's own code."""
    tree = parsed(path)
    for node in ast.walk(tree) if tree is not None else ():
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
    tree = parsed(path)
    for node in ast.walk(tree) if tree is not None else ():
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
