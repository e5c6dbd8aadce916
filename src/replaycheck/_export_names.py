"""File names that stay apart where case does not count (macOS, Windows): two workflow ids (or
types) that differ only in case, ``Order-A`` and ``order-a``, are one file there. The first name
a directory holds keeps its spelling; one that differs from it only in case gets the mark of its
exact spelling, ``order-a~a817cf28``, for :mod:`replaycheck.export`."""

from __future__ import annotations

import contextlib
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
        self.renamed: list[Path] = []
        """Files already there whose name differed only in case from another's (an earlier
        version wrote them on Linux), renamed to their marked name."""

    def name(self, directory: Path, stem: str, *, is_file: bool = True) -> str:
        """The name to give ``stem`` in ``directory`` (the same every time it is asked for);
        a file's ``stem`` is its name without its format's suffix."""
        with self._lock:
            given = self._given.get((directory, stem))
            if given is None:
                taken = self._taken.get(directory)
                if taken is None:
                    taken = self._taken[directory] = self._listed(directory, is_file=is_file)
                given = choose(stem, taken)
                taken.setdefault(given.lower(), set()).add(given)
                self._given[(directory, stem)] = given
            return given

    def _listed(self, directory: Path, *, is_file: bool) -> dict[str, set[str]]:
        """The names in ``directory`` (files without their history suffix) by lower-case
        form; files whose names differ only in case are renamed first, all but the first."""
        try:
            entries = sorted(entry.name for entry in os.scandir(directory))
        except OSError:  # not there yet (or unreadable: writing will say so)
            entries = []
        taken: dict[str, set[str]] = {}
        for entry in entries:
            name = history_stem(entry) if is_file else entry
            taken.setdefault(name.lower(), set()).add(name)
        if is_file:
            for stems in list(taken.values()):
                for stem in sorted(stems)[1:]:
                    stems.discard(stem)
                    marked = self._rename(directory, stem, entries)
                    taken.setdefault(marked.lower(), set()).add(marked)
        return taken

    def _rename(self, directory: Path, stem: str, entries: list[str]) -> str:
        """Give the files of ``stem`` their marked name (a file already there under it is
        kept, and so is the one that would have replaced it)."""
        from replaycheck._export_files import move_if_absent  # it imports this module

        marked = case_marked(stem)
        for entry in entries:
            if entry != stem and history_stem(entry) == stem:
                target = directory / (marked + entry[len(stem) :])
                with contextlib.suppress(OSError):  # unwritable: writing will say so
                    if move_if_absent(directory / entry, target):
                        self.renamed.append(target)
        return marked
