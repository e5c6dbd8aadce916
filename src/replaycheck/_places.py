"""How a report names the file of a source place: a short name that no other file shares."""

from __future__ import annotations

import functools
import os

_SKIPPED = frozenset({"__pycache__", "node_modules", "site-packages"})
"""Directories never walked for same-named files (besides hidden ones such as ``.venv``)."""


def display_file(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def place_file(path: str) -> str:
    """The file of a ``file:line`` place in a report: its base name (``orders.py``) when that
    names it alone, else its path relative to the working directory
    (``myapp/billing/workflows.py``).

    The base name is ambiguous when it is ``__init__.py``, or when another Python file of that
    name lies in the same top-level directory of the working directory or at its top; so two
    subpackages' ``workflows.py`` read apart, and a single-module project keeps short lines.
    A file outside the working directory keeps its base name (its package's for
    ``__init__.py``).
    """
    shown = display_file(path)
    base = os.path.basename(shown)
    if os.path.isabs(shown):
        return base if base != "__init__.py" else os.path.join(_parent(shown), base)
    if base == "__init__.py" or (shown != base and _shared(shown, base)):
        return shown
    return base


def _parent(path: str) -> str:
    return os.path.basename(os.path.dirname(path))


def _shared(shown: str, base: str) -> bool:
    """Whether another file than ``shown`` (relative, in a directory) is named ``base``."""
    top = shown.split(os.sep, 1)[0]
    return os.path.isfile(base) or base in _repeated_names(os.path.abspath(top))


@functools.lru_cache(maxsize=64)
def _repeated_names(top: str) -> frozenset[str]:
    """The names of the Python files that occur more than once below ``top``."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for _, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED]
        for name in files:
            if name.endswith(".py"):
                (repeated if name in seen else seen).add(name)
    return frozenset(repeated)
