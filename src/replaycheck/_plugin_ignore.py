"""Whether the user left a path out of pytest's collection (``--ignore``, ``--ignore-glob``,
``collect_ignore``, ``collect_ignore_glob``), read as pytest reads them: the plugin walks the
directories ``norecursedirs`` skips under a history path, but not those the user left out."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from types import ModuleType

import pytest


def ignored_by_user(path: Path, config: pytest.Config) -> bool:
    """``path`` matches ``--ignore`` / ``--ignore-glob`` (absolute, symlinks kept) or the
    ``collect_ignore`` / ``collect_ignore_glob`` of the nearest ``conftest.py`` defining it."""
    here = config.invocation_params.dir
    ignored = [Path(os.path.abspath(here / p)) for p in config.getoption("ignore", None) or []]
    ignored += _conftest_paths(config, "collect_ignore", path.parent)
    globs = [os.path.abspath(here / g) for g in config.getoption("ignore_glob", None) or []]
    globs += map(str, _conftest_paths(config, "collect_ignore_glob", path.parent))
    return path in ignored or any(fnmatch.fnmatch(str(path), g) for g in globs)


def _conftest_paths(config: pytest.Config, name: str, directory: Path) -> list[Path]:
    """The paths the deepest ``conftest.py`` at or above ``directory`` gives ``name``, made
    absolute from its own directory (pytest reads the nearest one that defines it)."""
    for module, where in _conftests_above(config, directory):
        values = getattr(module, name, None)
        if values is not None:
            return [Path(os.path.abspath(where / v)) for v in values]
    return []


def _conftests_above(config: pytest.Config, directory: Path) -> list[tuple[ModuleType, Path]]:
    """The loaded ``conftest.py`` modules of ``directory`` and the directories above it,
    deepest first."""
    found = []
    for plugin in config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None)
        if isinstance(plugin, ModuleType) and file and Path(file).name == "conftest.py":
            where = Path(os.path.abspath(file)).parent
            if where == directory or where in directory.parents:
                found.append((plugin, where))
    return sorted(found, key=lambda found: len(found[1].parts), reverse=True)
