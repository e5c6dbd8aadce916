"""The workflow modules as the patch scan reads them, without importing them: each module's
tree, what its names are bound to (imports, module-level functions, classes and constants), and
the modules of the same top-level package it imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaycheck.config import module_file


@dataclass
class Module:
    """One module read: its tree and bindings."""

    name: str
    path: Path
    tree: ast.Module
    modules: dict[str, str] = field(default_factory=dict)
    """Local name -> module it is bound to (``workflow`` -> ``temporalio.workflow``)."""
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Local name -> (module, attribute) it was imported as."""
    constants: dict[str, Any] = field(default_factory=dict)
    """Module-level ``NAME = "literal"`` / ``NAME = 3`` assignments."""
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = field(
        default_factory=dict
    )
    """Module-level functions and classes by name."""


def load_modules(specs: Sequence[str], import_paths: Sequence[str]) -> dict[str, Module]:
    todo = [spec.partition(":")[0] for spec in specs]
    found: dict[str, Module] = {}
    while todo:
        name = todo.pop()
        if name in found:
            continue
        path = module_file(name, import_paths)
        tree = _parse(path) if path is not None else None
        if path is None or tree is None:
            continue
        module = Module(name, path, tree)
        _read_bindings(module)
        found[name] = module
        top = name.split(".")[0]
        todo += [m for m in _imported(module) if m.split(".")[0] == top and m not in found]
    return found


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    parts = package.split(".")
    base = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join([*base, *([node.module] if node.module else [])])


def _imported(module: Module) -> Iterator[str]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            yield source
            yield from (f"{source}.{alias.name}" for alias in node.names)  # maybe submodules


def _read_bindings(module: Module) -> None:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.modules[alias.asname] = alias.name
                else:
                    module.modules[alias.name] = alias.name  # dotted: used as written
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                local = alias.asname or alias.name
                module.modules[local] = f"{source}.{alias.name}"
                module.names[local] = (source, alias.name)
    for stmt in module.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            module.defs[stmt.name] = stmt
        target, value = _assignment(stmt)
        if target and isinstance(value, ast.Constant) and isinstance(value.value, (str, int)):
            module.constants[target] = value.value


def _assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        return (target.id, stmt.value) if isinstance(target, ast.Name) else (None, None)
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
        return stmt.target.id, stmt.value
    return None, None


def dotted_name(node: ast.AST) -> str | None:
    """``self.total`` for that attribute, ``paid`` for a name (``None`` for anything else)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def bound_to(module: Module, func: ast.expr) -> str:
    """What a called name is bound to, as a dotted path (``wf.continue_as_new`` ->
    ``temporalio.workflow.continue_as_new``; ``""`` when it is no name)."""
    if isinstance(func, ast.Name):
        source, attr = module.names.get(func.id, ("", ""))
        return f"{source}.{attr}" if source else func.id
    if not isinstance(func, ast.Attribute):
        return ""
    base = dotted_name(func.value)
    if base is None:
        return ""
    head, _, rest = base.partition(".")
    return module.modules.get(head, head) + (f".{rest}" if rest else "") + f".{func.attr}"
