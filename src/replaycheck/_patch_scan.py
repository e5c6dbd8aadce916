"""Find patch call sites in workflow source without importing it.

Reads the configured workflow modules, and the modules they import from the same top-level
package (the user's code, not libraries), for ``workflow.patched(id)``,
``workflow.deprecate_patch(id)`` and ``replaycheck.versioning.get_version(change_id, min, max)``
calls. An id given as a string literal, or as a module-level string constant (also one imported
from a scanned module), is read; anything else is reported as non-literal with its source text.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replaycheck.config import module_file
from replaycheck.patches import CallKind, CallSite

_WORKFLOW_CALLS = {"patched": "patched", "deprecate_patch": "deprecate_patch"}
_VERSIONING = "replaycheck.versioning"


@dataclass
class _Module:
    name: str
    path: Path
    tree: ast.Module
    modules: dict[str, str] = field(default_factory=dict)
    """Local name -> module it is bound to (``workflow`` -> ``temporalio.workflow``)."""
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Local name -> (module, attribute) it was imported as."""
    constants: dict[str, Any] = field(default_factory=dict)
    """Module-level ``NAME = "literal"`` / ``NAME = 3`` assignments."""


@dataclass(frozen=True)
class Scan:
    """The call sites found, and the workflow types the specs name."""

    sites: tuple[CallSite, ...]
    workflow_types: tuple[str, ...]


def scan(specs: Sequence[str], import_paths: Sequence[str] = ()) -> Scan:
    """Scan the modules of ``specs`` (``pkg.module`` or ``pkg.module:Class``) and their imports."""
    modules = _load(specs, import_paths)
    only = _class_filter(specs)
    sites = [site for m in modules.values() for site in _sites(m, modules, only.get(m.name))]
    return Scan(tuple(sites), _workflow_types(specs, modules))


def _class_filter(specs: Sequence[str]) -> dict[str, set[str] | None]:
    """Per spec module, the workflow classes to keep call sites of (``None``: all)."""
    out: dict[str, set[str] | None] = {}
    for spec in specs:
        module, _, cls = spec.partition(":")
        if not cls or (module in out and out[module] is None):
            out[module] = None
        else:
            out.setdefault(module, set()).add(cls)  # type: ignore[union-attr]
    return out


def _load(specs: Sequence[str], import_paths: Sequence[str]) -> dict[str, _Module]:
    todo = [spec.partition(":")[0] for spec in specs]
    found: dict[str, _Module] = {}
    while todo:
        name = todo.pop()
        if name in found:
            continue
        path = module_file(name, import_paths)
        tree = _parse(path) if path is not None else None
        if path is None or tree is None:
            continue
        module = _Module(name, path, tree)
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


def _absolute(module: _Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    parts = package.split(".")
    base = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join([*base, *([node.module] if node.module else [])])


def _imported(module: _Module) -> Iterator[str]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            yield source
            yield from (f"{source}.{alias.name}" for alias in node.names)  # maybe submodules


def _read_bindings(module: _Module) -> None:
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


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _call_kind(module: _Module, func: ast.expr) -> CallKind | None:
    if isinstance(func, ast.Name):
        source, attr = module.names.get(func.id, ("", ""))
        if source == "temporalio.workflow" and attr in _WORKFLOW_CALLS:
            return _WORKFLOW_CALLS[attr]  # type: ignore[return-value]
        return "get_version" if (source, attr) == (_VERSIONING, "get_version") else None
    if not isinstance(func, ast.Attribute):
        return None
    base = _dotted(func.value)
    if base is None:
        return None
    head, _, rest = base.partition(".")
    bound = module.modules.get(head, head) + (f".{rest}" if rest else "")
    if bound == "temporalio.workflow" and func.attr in _WORKFLOW_CALLS:
        return _WORKFLOW_CALLS[func.attr]  # type: ignore[return-value]
    return "get_version" if bound == _VERSIONING and func.attr == "get_version" else None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _constant(module: _Module, node: ast.expr | None, modules: dict[str, _Module]) -> Any:
    """The value of a literal, a (negated) number, or a constant name; ``None`` otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(module, node.operand, modules)
        return -inner if isinstance(inner, int) and not isinstance(inner, bool) else None
    name = _dotted(node) if node is not None else None
    if name is None:
        return None
    if name in module.constants:
        return module.constants[name]
    source, attr = module.names.get(name, ("", ""))
    if "." in name:
        head, _, attr = name.rpartition(".")
        source = module.modules.get(head, head)
    if (source, attr) == (_VERSIONING, "DEFAULT_VERSION"):
        return -1
    other = modules.get(source)
    return other.constants.get(attr) if other is not None else None


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: _Module, modules: dict[str, _Module], only: set[str] | None):
        self.module = module
        self.modules = modules
        self.only = only
        self.classes: list[tuple[str, str]] = []  # (class name, workflow type or "")
        self.sites: list[CallSite] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append((node.name, _defn_name(node)))
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        kind = _call_kind(self.module, node.func)
        cls, wtype = next(((c, t) for c, t in reversed(self.classes) if t), ("", ""))
        if kind is not None and (not wtype or self.only is None or cls in self.only):
            self.sites.append(self._site(node, kind, wtype))
        self.generic_visit(node)

    def _site(self, node: ast.Call, kind: CallKind, wtype: str) -> CallSite:
        arg = _argument(node, 0, "change_id" if kind == "get_version" else "id")
        value = _constant(self.module, arg, self.modules)
        site = CallSite(
            file=os.path.realpath(self.module.path),
            line=node.lineno,
            kind=kind,
            patch_id=value if isinstance(value, str) and value else None,
            expression=ast.unparse(arg) if arg is not None else "",
            workflow_type=wtype,
        )
        if kind != "get_version":
            return site
        low = _constant(self.module, _argument(node, 1, "min_supported"), self.modules)
        high = _constant(self.module, _argument(node, 2, "max_supported"), self.modules)
        ints = [v if isinstance(v, int) and not isinstance(v, bool) else None for v in (low, high)]
        return CallSite(**{**site.__dict__, "min_supported": ints[0], "max_supported": ints[1]})


def _defn_name(node: ast.ClassDef) -> str:
    """The workflow type of a ``@workflow.defn`` class (``""`` for other classes)."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        dotted = _dotted(target) or ""
        if dotted != "defn" and not dotted.endswith(".defn"):
            continue
        if isinstance(decorator, ast.Call):
            name = _argument(decorator, 0, "name")
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return name.value
        return node.name
    return ""


def _sites(module: _Module, modules: dict[str, _Module], only: set[str] | None) -> list[CallSite]:
    visitor = _Visitor(module, modules, only)
    visitor.visit(module.tree)
    return visitor.sites


def _workflow_types(specs: Sequence[str], modules: dict[str, _Module]) -> tuple[str, ...]:
    """Workflow type names the specs register, as ``config.import_workflows`` would find them."""
    types: set[str] = set()
    for spec in specs:
        name, _, cls = spec.partition(":")
        module = modules.get(name)
        if module is None:
            continue
        defined = {
            n.name: _defn_name(n) for n in ast.walk(module.tree) if isinstance(n, ast.ClassDef)
        }
        if cls:
            types.add(defined.get(cls, ""))
            continue
        types.update(defined.values())
        for local, (source, attr) in module.names.items():
            other = modules.get(source)
            if other is not None and local[:1].isupper():
                types.update(
                    _defn_name(n)
                    for n in ast.walk(other.tree)
                    if isinstance(n, ast.ClassDef) and n.name == attr
                )
    return tuple(sorted(t for t in types if t))
