"""What a name in a module of the workflow's own code refers to, read from source without
importing anything: a function of the module, what ``from module import name`` binds, the
module ``import pkg.helpers`` names, and a module's file, for :mod:`replaycheck._source_helpers`.
"""

from __future__ import annotations

import ast
import functools
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
    tree = parsed(module)
    found = None if tree is None else module_function(tree, name)
    return None if found is None else (module, found)


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
        files = (base.joinpath(*parts).with_suffix(".py"), base.joinpath(*parts, "__init__.py"))
        found = next((str(c) for c in files if parts and c.is_file()), None)
    if found is None or not is_user_file(found) or found.startswith(SITE_PACKAGES):
        return None
    return found
