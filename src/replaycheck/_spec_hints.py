"""Hints for a workflow spec that does not import: the module a file path or a typo meant,
the ``module:Class`` spelling of a class named with a dot, and the modules of a package named
where its modules go (for ``replaycheck.config``)."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from collections.abc import Iterable, Sequence
from types import ModuleType


def as_module_hint(spec: str) -> str:
    """`` (did you mean 'pkg.workflows'?)`` for a file path given as a spec, else empty."""
    path, colon, cls = spec.partition(":")
    path = path[: -len(".py")] if path.endswith(".py") else path
    module = ".".join(part for part in re.split(r"[/\\]", path) if part not in ("", "."))
    dotted = module + colon + cls
    names = module.split(".") + ([cls] if cls else [])
    if dotted == spec or not all(n.isidentifier() for n in names):
        return ""
    return f" (did you mean {dotted!r}?)"


def as_class_spec(module_name: str, exc: Exception) -> str:
    """``pkg.mod:Class`` when ``pkg.mod.Class`` failed to import because ``Class`` is a class
    of the module ``pkg.mod`` (a dot where the colon goes), else empty."""
    parent, _, name = module_name.rpartition(".")
    if not parent or not isinstance(exc, ModuleNotFoundError) or exc.name != module_name:
        return ""
    try:
        module = importlib.import_module(parent)
    except Exception:
        return ""
    return f"{parent}:{name}" if isinstance(getattr(module, name, None), type) else ""


def close_module(spec: str, exc: Exception) -> str:
    """`` (did you mean 'pkg.workflows'?)`` when a part of ``spec``'s module is missing and a
    module of a close name sits where it would be (a typo, not another number), else empty."""
    module_name, colon, cls_name = spec.partition(":")
    from replaycheck._close_names import other_id

    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    if not missing or not (module_name + ".").startswith(missing + "."):
        return ""  # a module the user's module imports is missing, not the one named
    parent, _, name = missing.rpartition(".")
    try:
        search = importlib.import_module(parent).__path__ if parent else None
    except Exception:  # a module, not a package: nothing below it to name
        return ""
    siblings = [m.name for m in pkgutil.iter_modules(search)]
    for close in difflib.get_close_matches(name, siblings, n=3, cutoff=0.8):
        if other_id(name, close):
            continue  # 'workflows_v2' for 'workflows_v3' is another module, not a typo
        meant = ".".join(filter(None, [parent, close])) + module_name[len(missing) :]
        if _module_exists(meant):  # 'tests.x' is not 'test.x' when the stdlib's has no x
            return f" (did you mean {meant + colon + cls_name!r}?)"
    return ""


def _module_exists(module_name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module_name) is not None
    except Exception:  # a parent package is missing, or fails to import
        return False


def package_hint(package: ModuleType) -> str:
    """The end of the message for a spec's module that holds no workflow, when it is a package:
    its modules that define workflows (read from source, none imported) are what to name
    instead. Empty for a plain module, or a package none of whose modules defines one."""
    from replaycheck._workflow_scan import defining_modules

    directories = getattr(package, "__path__", None)
    holding = defining_modules(package.__name__, list(directories or ()))
    if not holding:
        return ""
    names = ", ".join(map(repr, holding[:SHOWN]))
    more = f" and {len(holding) - SHOWN} more" if len(holding) > SHOWN else ""
    return (
        ": it is a package, and a package stands for its __init__.py alone, not for the modules "
        f"in it; name its modules that define workflows instead: {names}{more} (or import the "
        "classes in its __init__.py)."
    )


SHOWN = 6
"""At most this many modules are named: the point is the spelling, not a listing."""


def unregistered_message(
    workflow_type: str, registered: Iterable[str], specs: Sequence[str]
) -> str:
    """Why a history of ``workflow_type`` cannot replay against the ``registered`` types, naming
    the module that defines it when the specs' packages hold one (read from source)."""
    from replaycheck._workflow_scan import modules_registering

    names = ", ".join(sorted(registered)) or "none"
    found = modules_registering(workflow_type, specs)
    where = f" ({found[0]} defines it)" if len(found) == 1 else ""
    if len(found) > 1:
        more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        where = f" (these define it: {', '.join(found[:SHOWN])}{more})"
    return (
        f"workflow type {workflow_type!r} is not registered (registered: {names}); add the "
        f"module that defines it to the workflows setting{where}, or, if you renamed it, keep a "
        f"workflow registered as {workflow_type!r}: executions recorded before run under that name"
    )


def close_attribute(spec: str, exc: Exception) -> str:
    """`` (did you mean 'pkg.mod:data_converter'?)`` when ``spec``'s object is missing from its
    module and the module has a name close to it (a typo), else empty."""
    module_name, _, attr = spec.partition(":")
    missing = getattr(exc, "name", None) if isinstance(exc, AttributeError) else None
    if not missing or "." in attr:  # a nested attribute: its parent is not the module
        return ""
    names = [n for n in dir(getattr(exc, "obj", None)) if not n.startswith("__")]
    close = difflib.get_close_matches(missing, names, n=1, cutoff=0.8)
    return f" (did you mean {module_name + ':' + close[0]!r}?)" if close else ""


def says_all(exc: Exception, module_name: str, imported: bool) -> bool:
    """Whether ``Type: message`` of ``exc`` says all its traceback would, which then only
    shows replaycheck's frames: the module (or a package above it) is not there, or the
    ``imported`` module has no such attribute. An error the module raised as it ran keeps its
    traceback, which shows the line that failed."""
    if isinstance(exc, ModuleNotFoundError):
        return f"{module_name}.".startswith(f"{exc.name}.")
    return imported and isinstance(exc, AttributeError)
