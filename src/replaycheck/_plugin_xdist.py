"""What xdist has queued for this worker, so the replay worker can replay ahead of it (the
pytest plugin's; reads xdist's worker queue, which is not public API: when it is not found, the
plugin knows only the next item, as pytest tells every plugin)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

PREFETCH_AHEAD = 16
"""Histories queued ahead of the running item under xdist: enough to keep the replay worker
busy, few enough that items another worker steals (``--dist worksteal``) cost little."""

interactor_key = pytest.StashKey[Any]()
"""xdist's worker interactor, or ``None``, once looked for."""


def queued_items(session: pytest.Session) -> list[pytest.Item]:
    """The next items xdist has handed to this worker (after ``nextitem``), from its queue;
    none when xdist keeps them elsewhere (another version): then only ``nextitem`` is known."""
    interactor = _xdist_interactor(session.config)
    if interactor is None:
        return []
    try:
        with interactor.torun.lock() as pending:
            indices = [interactor.nextitem_index, *itertools.islice(pending, PREFETCH_AHEAD)]
        return [session.items[i] for i in indices if isinstance(i, int)]
    except (TypeError, IndexError, AttributeError):
        return []


def _xdist_interactor(config: pytest.Config) -> Any:
    """xdist's object that runs this worker's queue of items (found once), or ``None``."""
    if interactor_key not in config.stash:
        found = [
            plugin
            for plugin in config.pluginmanager.get_plugins()
            if hasattr(getattr(plugin, "torun", None), "lock") and hasattr(plugin, "nextitem_index")
        ]
        config.stash[interactor_key] = found[0] if len(found) == 1 else None
    return config.stash[interactor_key]
