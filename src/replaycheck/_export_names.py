"""File names that stay apart where case does not count (macOS, Windows): two workflow ids (or
types) that differ only in case, ``Order-A`` and ``order-a``, are one file there. The first name
a directory holds keeps its spelling; one that differs from it only in case gets the mark of its
exact spelling, ``order-a~a817cf28``, for :mod:`replaycheck.export`."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from replaycheck._history_names import case_marked, history_stem


def choose(stem: str, taken: dict[str, set[str]]) -> str:
    """The name for ``stem`` in a directory whose names are ``taken`` (exact names by their
    lower-case form): its own if a file of it is there (an earlier run's, a resumed export's)
    or none differs from it only in case; else the marked one (also if that is there)."""
    marked = case_marked(stem)
    if stem in taken.get(stem.lower(), ()):
        return stem
    if marked in taken.get(marked.lower(), ()) or taken.get(stem.lower()):
        return marked
    return stem


class CaseNames:
    """The names one export gives, by directory: unique under case folding among the names
    there when it began and those it gave (safe to call from writer threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: dict[Path, dict[str, set[str]]] = {}
        self._given: dict[tuple[Path, str], str] = {}

    def name(self, directory: Path, stem: str, *, is_file: bool = True) -> str:
        """The name to give ``stem`` in ``directory`` (the same every time it is asked for);
        a file's ``stem`` is its name without its format's suffix."""
        with self._lock:
            given = self._given.get((directory, stem))
            if given is None:
                taken = self._taken.get(directory)
                if taken is None:
                    taken = self._taken[directory] = _listed(directory, is_file=is_file)
                given = choose(stem, taken)
                taken.setdefault(given.lower(), set()).add(given)
                self._given[(directory, stem)] = given
            return given


def _listed(directory: Path, *, is_file: bool) -> dict[str, set[str]]:
    """The names in ``directory`` (files without their history suffix) by lower-case form."""
    taken: dict[str, set[str]] = {}
    try:
        entries = [entry.name for entry in os.scandir(directory)]
    except OSError:  # not there yet (or unreadable: writing will say so)
        entries = []
    for entry in entries:
        name = history_stem(entry) if is_file else entry
        taken.setdefault(name.lower(), set()).add(name)
    return taken
