"""Reading workflow modules without importing them: where a module's source file is on the
import paths, how many ``@workflow.defn`` classes the workflow specs name, and which modules of
a package define some."""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def module_file(module_name: str, import_paths: Sequence[str] = ()) -> Path | None:
    """The source file of a module, found on the import paths without importing anything."""
    parts = module_name.split(".")
    for entry in (*import_paths, *sys.path):
        base = Path(entry or ".", *parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def missing_modules(specs: Sequence[str], import_paths: Sequence[str] = ()) -> list[str]:
    """The modules the specs name that are nowhere to be found (a typo), told without importing
    them: not on the import paths, nor below where a finder (an editable install's) puts their
    top-level package. One only a finder could tell of is not counted missing."""
    names = dict.fromkeys(spec.partition(":")[0] for spec in specs)
    return [name for name in names if not _findable(name, import_paths)]


def _findable(module_name: str, import_paths: Sequence[str]) -> bool:
    import importlib.machinery
    import importlib.util

    if module_name in sys.modules or module_file(module_name, import_paths) is not None:
        return True
    top, *rest = module_name.split(".")
    try:  # a top-level name: finding its spec imports nothing
        spec = importlib.machinery.PathFinder.find_spec(
            top, list(import_paths)
        ) or importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return True  # a finder that cannot tell: not known to be missing
    if spec is None or not rest:
        return spec is not None
    return any(_below(Path(d), rest) for d in spec.submodule_search_locations or ())


def _below(directory: Path, parts: Sequence[str]) -> bool:
    """Whether the submodule ``parts`` of the package in ``directory`` has a file (or a
    directory: a namespace package)."""
    import importlib.machinery

    base = directory.joinpath(*parts)
    if base.is_dir():
        return True
    return any(base.with_name(base.name + s).is_file() for s in importlib.machinery.all_suffixes())


def installed_copy_notes(
    specs: Sequence[str], import_paths: Sequence[str], root: Path
) -> list[str]:
    """A warning for each workflow module that imports from an installed copy (site-packages)
    while the project holds its source: edits to that source would not be checked."""
    notes = []
    for module_name in dict.fromkeys(spec.partition(":")[0] for spec in specs):
        used = module_file(module_name, import_paths)
        if used is None or not {"site-packages", "dist-packages"} & set(used.parts):
            continue  # an editable install's finder, or the project itself
        tail = used.parts[-(module_name.count(".") + 1 + (used.name == "__init__.py")) :]
        here = [root / "src" / Path(*tail), root / Path(*tail)]
        source = next((path for path in here if path.is_file()), None)
        if source is None:
            continue
        fix = "install the project with pip install -e ."
        if source == here[0]:
            fix += ' or set pythonpath = ["src"] under [tool.replaycheck]'
        notes.append(
            f"{module_name} is imported from an installed copy ({used}), not from "
            f"{source.relative_to(root)} in this project, so changes made there are not "
            f"checked; {fix}"
        )
    return notes


def count_workflow_classes(specs: Sequence[str], import_paths: Sequence[str] = ()) -> int:
    """How many ``@workflow.defn`` classes the specs name, read from source (nothing imported).

    Counts classes defined in each module and those it imports from other modules of the same
    package that define them (by name, relatively or with ``*``), as
    :func:`replaycheck.config.import_workflows` would find them. A ``module:Class`` spec counts
    when that class is found.
    """
    found: set[tuple[str, str, str]] = set()
    for spec in specs:
        module_name, _, cls_name = spec.partition(":")
        inside = _static_workflows(module_name, import_paths, depth=2)
        found.update(item for item in inside if not cls_name or item[2] == cls_name)
    return len({item[:2] for item in found})


def _static_workflows(
    module_name: str, import_paths: Sequence[str], depth: int
) -> set[tuple[str, str, str]]:
    """``(defining module, class, name seen in module_name)`` of each workflow class visible."""
    import ast

    path = module_file(module_name, import_paths)
    if path is None:
        return set()
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return set()
    found = {
        (module_name, node.name, node.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and any(_is_defn(d) for d in node.decorator_list)
    }
    if depth <= 0:
        return found
    package = module_name if path.name == "__init__.py" else module_name.rpartition(".")[0]
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = _absolute_module(node, package)
        if source is None or source.split(".")[0] != module_name.split(".")[0]:
            continue  # the user's code only, not libraries
        names = {alias.name: alias.asname or alias.name for alias in node.names}
        for origin, cls, seen in _static_workflows(source, import_paths, depth - 1):
            if "*" in names:
                found.add((origin, cls, seen))
            elif seen in names:
                found.add((origin, cls, names[seen]))
    return found


def _absolute_module(node: Any, package: str) -> str | None:
    """The module an ``ImportFrom`` node imports from (resolving ``from . import``)."""
    if node.level == 0:
        return str(node.module)
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])]) or None


def _is_defn(decorator: Any) -> bool:
    import ast

    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Attribute) and target.attr == "defn") or (
        isinstance(target, ast.Name) and target.id == "defn"
    )


def defining_modules(package: str, directories: Sequence[str]) -> list[str]:
    """The modules below ``package`` (whose ``__path__`` is ``directories``) that define a
    ``@workflow.defn`` class, read from source, by name: importing them could run anything."""
    found = {name for name, names in _package_workflows(package, tuple(directories)) if names}
    return sorted(found - {package})


def modules_registering(workflow_type: str, specs: Sequence[str]) -> list[str]:
    """The modules whose source defines a workflow registered as ``workflow_type``, searched
    below the top-level packages of the workflow specs' modules (imported already), none
    imported."""
    found: set[str] = set()
    for top in dict.fromkeys(spec.partition(":")[0].split(".")[0] for spec in specs):
        directories = getattr(sys.modules.get(top), "__path__", None)
        for name, names in _package_workflows(top, tuple(directories or ())):
            if workflow_type in names:
                found.add(name)
    return sorted(found)


@functools.lru_cache(maxsize=8)  # once per run, however many histories of the type
def _package_workflows(
    package: str, directories: tuple[str, ...]
) -> list[tuple[str, frozenset[str]]]:
    """Each module below ``package``, with the workflow types its source registers (a class's
    ``name=``, else its own name; a dynamic workflow as ``*``)."""
    import ast
    import os

    modules = []
    for directory in directories:
        for root, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if d.isidentifier())  # importable names only
            parts = Path(root).relative_to(directory).parts
            for file in sorted(f for f in files if f.endswith(".py") and f[:-3].isidentifier()):
                try:
                    tree = ast.parse(Path(root, file).read_text(encoding="utf-8"))
                except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                    continue
                names = frozenset(
                    _registered_name(node, decorator)
                    for node in ast.walk(tree)
                    if isinstance(node, ast.ClassDef)
                    for decorator in node.decorator_list
                    if _is_defn(decorator)
                )
                tail = parts if file == "__init__.py" else (*parts, file[:-3])
                modules.append((".".join((package, *tail)), names))
    return modules


def _registered_name(node: Any, decorator: Any) -> str:
    """The workflow type a ``@workflow.defn`` class registers, as the decorator reads."""
    import ast

    for keyword in decorator.keywords if isinstance(decorator, ast.Call) else ():
        if keyword.arg == "dynamic" and getattr(keyword.value, "value", False) is True:
            return "*"
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return str(node.name)
