"""Find patch call sites in workflow source without importing it.

Reads the configured workflow modules, and the modules they import from the same top-level
package (the user's code, not libraries), for ``workflow.patched(id)``,
``workflow.deprecate_patch(id)`` and ``replaycheck.versioning.get_version(change_id, min, max)``
calls. Only calls in code the registered workflow classes can run count: the classes the specs
resolve to (as ``config.import_workflows`` imports them), their base classes, and the functions
and classes they refer to, transitively; another ``@workflow.defn`` class in an imported module
(an old version with the same workflow name, say) is not theirs. An id given as a string
literal, or as a module-level string constant (also one imported from a scanned module), is
read; anything else is reported as non-literal with its source text.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from replaycheck._patch_modules import Module, bound_to, dotted_name, load_modules
from replaycheck._patch_nesting import Reference, nested_sites
from replaycheck.patches import CallKind, CallSite

_WORKFLOW_CALLS = {"patched": "patched", "deprecate_patch": "deprecate_patch"}
_VERSIONING = ("replaycheck.versioning", "replaycheck")
"""Where ``get_version`` and ``DEFAULT_VERSION`` come from: their module, or the package's
top level, which re-exports them."""


Unit = tuple[str, str]
"""``(module, name)`` of a module-level function or class."""


@dataclass(frozen=True)
class Scan:
    """The call sites found, and the workflow types the specs name."""

    sites: tuple[CallSite, ...]
    workflow_types: tuple[str, ...]
    types_unknown: bool = False
    """Some registered class's workflow type the source does not tell (computed, dynamic)."""
    continues_into: tuple[tuple[str, str], ...] = ()
    """``(type, other type)`` for each ``workflow.continue_as_new(workflow=...)`` into another
    workflow type: its run's next run is of the other type. ``""`` as the first: in a helper or
    a base class (any registered type's); as the second: a target the source does not tell."""


def scan(specs: Sequence[str], import_paths: Sequence[str] = ()) -> Scan:
    """Scan the modules of ``specs`` (``pkg.module`` or ``pkg.module:Class``) and their imports."""
    modules = load_modules(specs, import_paths)
    registered = _registered(specs, modules)
    reachable = _reachable(registered, modules)
    code = _Code(modules, registered, reachable, _owners(registered, modules))
    visitors = [_visited(m, code) for m in modules.values()]
    types = {_workflow_type(unit, code) for unit in registered}
    sites = nested_sites(
        [pair for v in visitors for pair in zip(v.sites, v.site_functions, strict=True)],
        [ref for v in visitors for ref in v.references],
    )
    return Scan(
        tuple(sites),
        tuple(sorted(t for t in types if t)),
        "" in types,
        tuple(sorted({pair for v in visitors for pair in v.continues_into})),
    )


@dataclass(frozen=True)
class _Code:
    """The scanned modules and which of their units the registered workflows may run."""

    modules: dict[str, Module]
    registered: set[Unit]
    """The ``@workflow.defn`` classes the specs resolve to."""
    reachable: set[Unit]
    owners: dict[Unit, set[Unit]]
    """The registered classes that run each reachable unit."""


def _resolve(module: Module, name: str, modules: dict[str, Module], depth: int = 0) -> Unit | None:
    """The module-level function or class ``name`` (``f``, ``mod.f``) means in ``module``."""
    if name in module.defs:
        return module.name, name
    source, attr = module.names.get(name, ("", ""))
    if "." in name:
        head, _, attr = name.rpartition(".")
        source = module.modules.get(head, head)
    other = modules.get(source)
    if other is None or depth > 10:  # a library, or a cycle of re-exports
        return None
    return _resolve(other, attr, modules, depth + 1)


def _workflow_type(unit: Unit, code: _Code) -> str:
    """The workflow type of a registered class (``""`` for anything else, and when the source
    does not tell it: a dynamic workflow, a name no constant of the modules gives)."""
    module = code.modules[unit[0]]
    node = module.defs[unit[1]]
    if not isinstance(node, ast.ClassDef) or unit not in code.registered:
        return ""
    decorator = _defn_decorator(node)
    if isinstance(decorator, ast.Call):
        if _constant(module, _argument(decorator, 99, "dynamic"), code.modules) is True:
            return ""
        name = _argument(decorator, 0, "name")
        if name is not None:
            value = _constant(module, name, code.modules)
            return value if isinstance(value, str) else ""
    return _defn_name(node)


def _sole_type(unit: Unit, code: _Code) -> str:
    """The workflow type of the one registered class that runs ``unit`` (a base class of one
    workflow, a helper only it calls); ``""`` when several types (or one the source does not
    tell) may reach it."""
    types = {_workflow_type(owner, code) for owner in code.owners.get(unit, ())}
    return next(iter(types)) if len(types) == 1 else ""


def _is_workflow(unit: Unit, modules: dict[str, Module]) -> bool:
    node = modules[unit[0]].defs[unit[1]]
    return isinstance(node, ast.ClassDef) and bool(_defn_name(node))


def _registered(specs: Sequence[str], modules: dict[str, Module]) -> set[Unit]:
    """The workflow classes of the specs: the named class, else every one the module holds
    (defined there or imported into it)."""
    found: set[Unit] = set()
    for spec in specs:
        name, _, cls = spec.partition(":")
        module = modules.get(name)
        if module is None:
            continue
        for local in [cls] if cls else [*module.defs, *module.names]:
            unit = _resolve(module, local, modules)
            if unit is not None and _is_workflow(unit, modules):
                found.add(unit)
    return found


def _reachable(
    registered: set[Unit], modules: dict[str, Module], start: Unit | None = None
) -> set[Unit]:
    """The registered classes and, transitively, the bases and the functions and classes they
    refer to; another workflow class is followed only as a base (a child workflow's class is
    not run by its parent). From ``start`` alone: what that one class runs (another registered
    class only as its base)."""
    seen: set[Unit] = set()
    todo = [start] if start else list(registered)
    followed = set() if start else registered
    while todo:
        unit = todo.pop()
        if unit in seen:
            continue
        seen.add(unit)
        module = modules[unit[0]]
        node = module.defs[unit[1]]
        bases = set(map(id, node.bases)) if isinstance(node, ast.ClassDef) else set()
        for ref in ast.walk(node):
            name = dotted_name(ref) if isinstance(ref, (ast.Name, ast.Attribute)) else None
            target = _resolve(module, name, modules) if name else None
            if target is None or target in seen:
                continue
            if id(ref) in bases or target in followed or not _is_workflow(target, modules):
                todo.append(target)
    return seen


def _owners(registered: set[Unit], modules: dict[str, Module]) -> dict[Unit, set[Unit]]:
    """For each unit, the registered classes that run it (as theirs, or through a base)."""
    owners: dict[Unit, set[Unit]] = {}
    for unit in registered:
        for reached in _reachable(registered, modules, start=unit):
            owners.setdefault(reached, set()).add(unit)
    return owners


def _call_kind(module: Module, func: ast.expr) -> CallKind | None:
    bound = bound_to(module, func)
    source, _, attr = bound.rpartition(".")
    if source == "temporalio.workflow" and attr in _WORKFLOW_CALLS:
        return _WORKFLOW_CALLS[attr]  # type: ignore[return-value]
    return "get_version" if source in _VERSIONING and attr == "get_version" else None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _constant(module: Module, node: ast.expr | None, modules: dict[str, Module]) -> Any:
    """The value of a literal, a (negated) number, or a constant name; ``None`` otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(module, node.operand, modules)
        return -inner if isinstance(inner, int) and not isinstance(inner, bool) else None
    name = dotted_name(node) if node is not None else None
    if name is None:
        return None
    if name in module.constants:
        return module.constants[name]
    source, attr = module.names.get(name, ("", ""))
    if "." in name:
        head, _, attr = name.rpartition(".")
        source = module.modules.get(head, head)
    if source in _VERSIONING and attr == "DEFAULT_VERSION":
        return -1
    other = modules.get(source)
    return other.constants.get(attr) if other is not None else None


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: Module, code: _Code):
        self.module = module
        self.modules = code.modules
        self.code = code
        self.wtype = ""
        """The workflow type of the class being visited, or of the one registered class that runs
        the base class or helper being visited (empty: several may)."""
        self.unknown = False
        """The class being visited is a registered one whose type the source does not tell."""
        self.sites: list[CallSite] = []
        self.continues_into: list[tuple[str, str]] = []
        self.within: list[tuple[str, bool]] = []
        """The gates (patch id, branch) around the node being visited, in its function."""
        self.function = ""
        self.site_functions: list[str] = []
        """The function each of :attr:`sites` is in."""
        self.references: list[Reference] = []
        self.bare_gates: set[int] = set()
        """The ``patched()`` calls that test an ``if`` with no ``else`` (by ``id()``)."""

    def visit_Module(self, node: ast.Module) -> None:
        """Visit the module-level functions and classes the registered workflows may run."""
        for stmt in node.body:
            name = getattr(stmt, "name", "")
            unit = (self.module.name, name)
            if self.module.defs.get(name) is stmt and unit in self.code.reachable:
                self.wtype = _workflow_type(unit, self.code)
                self.unknown = not self.wtype and unit in self.code.registered
                if unit not in self.code.registered:
                    self.wtype = _sole_type(unit, self.code)
                self.visit(stmt)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Its body runs where it is called: the gates around it are those of its references."""
        outer = (self.function, self.within)
        self.function, self.within = node.name, []
        self.generic_visit(node)
        self.function, self.within = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        gate = self._gate(node.test)
        if gate is not None and gate[1] and not node.orelse:
            self.bare_gates.add(id(node.test))
        self.visit(node.test)
        for branch, body in ((True, node.body), (False, node.orelse)):
            if gate is not None:
                self.within.append((gate[0], gate[1] == branch))
            for stmt in body:
                self.visit(stmt)
            if gate is not None:
                self.within.pop()

    def _gate(self, test: ast.expr) -> tuple[str, bool] | None:
        """``(id, True)`` for ``workflow.patched(id)``, ``(id, False)`` for ``not ...``."""
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        call = test.operand if isinstance(test, ast.UnaryOp) and negated else test
        if not isinstance(call, ast.Call) or _call_kind(self.module, call.func) != "patched":
            return None
        value = _constant(self.module, _argument(call, 0, "id"), self.modules)
        return (value, not negated) if isinstance(value, str) and value else None

    def visit_Name(self, node: ast.Name) -> None:
        self.references.append((node.id, self.function, tuple(self.within)))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.references.append((node.attr, self.function, tuple(self.within)))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        """A string that may name a function (``getattr(self, "prepare")``) refers to it."""
        if isinstance(node.value, str) and node.value.isidentifier():
            self.references.append((node.value, self.function, tuple(self.within)))

    def visit_Call(self, node: ast.Call) -> None:
        kind = _call_kind(self.module, node.func)
        if kind is not None:
            site = self._site(node, kind, self.wtype)
            no_else = id(node) in self.bare_gates
            self.sites.append(replace(site, within=tuple(self.within), no_else=no_else))
            self.site_functions.append(self.function)
        elif bound_to(self.module, node.func) == "temporalio.workflow.continue_as_new":
            target = next((k.value for k in node.keywords if k.arg == "workflow"), None)
            if target is not None:  # without it, the next run is of the same type
                other = self._target_type(target)
                if other != self.wtype or not other:
                    self.continues_into.append((self.wtype, other))
        self.generic_visit(node)

    def _target_type(self, target: ast.expr) -> str:
        """The workflow type ``workflow=`` names: ``"Other"``, ``OtherWorkflow.run`` or a
        constant (``""``: the source does not tell)."""
        value = _constant(self.module, target, self.modules)
        if isinstance(value, str):
            return value
        dotted = dotted_name(target) or ""
        cls = dotted.rpartition(".")[0] if dotted.endswith(".run") else dotted
        unit = _resolve(self.module, cls, self.modules) if cls else None
        if unit is None or not _is_workflow(unit, self.modules):
            return ""
        if unit in self.code.registered:
            return _workflow_type(unit, self.code)
        node = self.modules[unit[0]].defs[unit[1]]
        return _defn_name(node) if isinstance(node, ast.ClassDef) else ""

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
            type_unknown=self.unknown,
        )
        if kind != "get_version":
            return site
        low = _constant(self.module, _argument(node, 1, "min_supported"), self.modules)
        high = _constant(self.module, _argument(node, 2, "max_supported"), self.modules)
        ints = [v if isinstance(v, int) and not isinstance(v, bool) else None for v in (low, high)]
        return CallSite(**{**site.__dict__, "min_supported": ints[0], "max_supported": ints[1]})


def _defn_decorator(node: ast.ClassDef) -> ast.expr | None:
    """The class's ``@workflow.defn`` decorator (``@defn`` or ``@defn(...)``), if any."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        dotted = dotted_name(target) or ""
        if dotted == "defn" or dotted.endswith(".defn"):
            return decorator
    return None


def _defn_name(node: ast.ClassDef) -> str:
    """The workflow type of a ``@workflow.defn`` class as literally written (its class name
    when it has no literal one; ``""`` for other classes)."""
    decorator = _defn_decorator(node)
    if decorator is None:
        return ""
    if isinstance(decorator, ast.Call):
        name = _argument(decorator, 0, "name")
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            return name.value
    return node.name


def _visited(module: Module, code: _Code) -> _Visitor:
    visitor = _Visitor(module, code)
    visitor.visit(module.tree)
    return visitor
