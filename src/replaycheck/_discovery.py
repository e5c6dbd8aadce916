"""Finding history files: paths and directories in, history files out; the checks on paths
(broken symlinks, fifos, unreadable directories, a report path among the histories)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from replaycheck._config_values import access_fix, described
from replaycheck._writing import HISTORY_SUFFIXES
from replaycheck.errors import ConfigError, NoHistoriesError


def broken_symlink(path: str | Path) -> str | None:
    """Why ``path`` cannot be followed, if it is a symlink to nothing; else ``None``."""
    try:
        target = os.readlink(path)
    except OSError:
        return None
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"is a symlink loop (it points to {target}, which leads back); fix or remove it"
        what = f"it points to {target}, which does not exist"
        return f"is a broken symlink ({what}); fix or remove it"
    return None


def is_history_name(name: str) -> bool:
    """Whether a file name is one ``discover`` claims (hidden and temp files are not)."""
    return not name.startswith(".") and name.lower().endswith(HISTORY_SUFFIXES)


def as_paths(paths: object, where: str = "check(paths=...)") -> list[Path]:
    """The ``paths`` argument of a Python call (``where``, for the message), one path (a ``str``
    or a ``Path``) or several, as a list.

    Raises:
        ConfigError: something else (a number, ``bytes``, a module) where a path was due, or
            an empty string (an unset variable, where it would read the whole directory).
    """
    values = [paths] if isinstance(paths, (str, os.PathLike)) else paths
    if not isinstance(values, (list, tuple, set, frozenset)):
        values = [values]
    found: list[Path] = []
    for value in values:
        if not isinstance(value, (str, os.PathLike)):
            raise ConfigError(
                f"{where}: expected a history file or directory (a str or a Path) or a list of "
                f"them, got {described(value)}."
            )
        if value == "":
            raise ConfigError(
                f"{where}: a path is empty (an unset variable?), where it would read the whole "
                "directory; give a history file or directory, or . for the current one."
            )
        found.append(Path(value))
    return found


def discover(paths: Iterable[str | Path], *, given: str = "") -> list[Path]:
    """Expand files and directories into history files, sorted, without duplicates.

    ``given`` says where the paths were given, for a path that does not exist ("in
    --replaycheck-histories, ..."); by default every place that gives paths is named.

    Raises:
        NoHistoriesError: a path does not exist, or a directory holds no history file.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        try:
            kind = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            kind = 0
        except OSError as exc:
            broken = broken_symlink(path)
            reason = broken or f"cannot be read ({exc.strerror or exc}); {access_fix(exc)}"
            raise NoHistoriesError(f"{path} {reason}.") from None
        if stat.S_ISREG(kind):
            found[path] = None
        elif kind and not stat.S_ISDIR(kind):
            raise NoHistoriesError(
                f"{path} is not a regular file (a fifo, socket or device); give a history file "
                "or a directory of them."
            )
        elif kind:
            inside = _files_under(path)
            if not inside:
                raise NoHistoriesError(
                    f"no history files (*.json, *.json.gz, *.binpb, *.binpb.gz) under {path}; "
                    "export some with `replaycheck export` or point at another directory."
                )
            found.update(dict.fromkeys(inside))
        else:
            check_paths([raw])
            meant = _missing_hint(path)
            export = "" if meant or is_history_name(path.name) else _EXPORT_INTO
            raise NoHistoriesError(
                f"{path} does not exist{meant}; check the path given {given or _ANY_PLACE}{export}."
            )
    return list(found)


_ANY_PLACE = (
    "(on the command line, in --replaycheck-histories, to check() in Python, or in histories "
    "under [tool.replaycheck], where it is relative to that pyproject.toml)"
)
"""Where a path that does not exist may have come from, when the caller does not say."""

FROM_TABLE = "in histories under [tool.replaycheck], where it is relative to that pyproject.toml"
"""Where a path ``[tool.replaycheck]`` gave came from, as :func:`discover`'s ``given`` says it."""

_GIVEN_BY = {
    "PATH": "on the command line (PATH), where it is relative to the working directory",
    "": FROM_TABLE,
}
"""Where ``Settings.histories`` came from, by its ``python_names`` entry, as :func:`discover`'s
``given`` says it: the command's PATH arguments, or ``[tool.replaycheck]`` alone."""


def histories_given(python_names: Mapping[str, str]) -> str:
    """:func:`discover`'s ``given`` for the paths of ``Settings.histories``, by where its
    ``python_names`` say they came from; ``""`` (every place) when they do not say."""
    source = python_names.get("histories")
    return "" if source is None else _GIVEN_BY.get(source, "")


_EXPORT_INTO = (
    ", or, if it is where your histories go, export some into it with `replaycheck export`"
)
"""A directory not made yet: the first export makes it (its default ``-o`` is this path)."""


def history_file(raw: str) -> Path:
    """The one history file ``raw`` names (``inspect``'s argument).

    Raises:
        NoHistoriesError: it does not exist (naming a close name, for a typo), or it is a
            directory (naming a history file in it, and ``check`` for them all).
    """
    path = Path(raw)
    if path.is_dir():
        inside = [p for p in _files_under(path) if not p.is_dir()]  # nor one it cannot list
        such = f" (such as {str(inside[0])!r})" if inside else ""
        raise NoHistoriesError(
            f"{raw} is a directory; inspect reads one history file: give the path of one{such}, "
            f"or run `replaycheck check {raw}` for them all."
        )
    if not path.exists() and broken_symlink(path) is None:
        raise NoHistoriesError(
            f"{raw} does not exist{_missing_hint(path)}; give inspect the path of a history "
            "file (`replaycheck check` lists them)."
        )
    return path


def _missing_hint(path: Path) -> str:
    """`` (did you mean 'fixtures/histories'?)`` when a part of ``path`` is missing and its
    directory holds an entry of a close name (a typo, not another number or id: ``order-9.json``
    is not ``order-4.json``), else the histories beside a missing history file, else empty."""
    from replaycheck._close_names import typo_of

    missing = path
    while not missing.parent.exists() and missing.parent != missing:
        missing = missing.parent
    try:
        siblings = [entry.name for entry in missing.parent.iterdir()]
    except OSError:
        return ""
    close = typo_of(missing.name, siblings)
    meant = None if close is None else missing.parent / close / path.relative_to(missing)
    if meant is not None and meant.exists():
        return f" (did you mean {str(meant)!r}?)"
    beside = sorted(s for s in siblings if is_history_name(s))
    if missing != path or not is_history_name(path.name) or not beside:
        return ""
    more = f" and {len(beside) - 3} more" if len(beside) > 3 else ""
    names = ", ".join(map(repr, beside[:3])) + more
    return f" (no history of that name in {missing.parent}, which holds {names})"


def check_report_path(output: str | None, histories: Iterable[Path]) -> None:
    """Refuse a report file (``-o``) that is a history being read, or that a later run would
    read as one (a history name under a history directory): it would lose or break a history.

    Raises:
        ConfigError: naming the conflict.
    """
    if output is None:
        return
    out = Path(output).resolve()
    for root in (Path(h).resolve() for h in histories):
        among = root in out.parents and is_history_name(out.name)
        if out == root or (among and out.is_file()):
            raise ConfigError(f"-o {output} is a history being read; write the report elsewhere.")
        if among:
            raise ConfigError(
                f"-o {output} lies among the histories under {root}, and a later run would read "
                "the report as a history; write it elsewhere."
            )


def check_paths(paths: Iterable[str | Path]) -> None:
    """Reject a path that is a broken symlink, by the name given (before it is resolved).

    Raises:
        NoHistoriesError: naming the first broken symlink.
    """
    for path in paths:
        broken = broken_symlink(path)
        if broken is not None:
            raise NoHistoriesError(f"{path} {broken}.")


_UNLISTED = "cannot read the directory ("
"""How the error of a directory that cannot be listed begins (:func:`unlisted_reason`)."""


def unlisted_reason(path: str | Path) -> str | None:
    """Why the directory ``path`` cannot be listed (its histories left out) and what to do, if
    it cannot; else ``None``."""
    try:
        os.scandir(path).close()
    except OSError as exc:
        fix = access_fix(exc, "list it", also="leave it out of the paths")
        return f"{_UNLISTED}{exc.strerror or exc}); its histories are left out: {fix}"
    return None


def is_unlisted(verdict: str, message: str) -> bool:
    """Whether an entry with ``verdict`` and ``message`` is a directory that could not be
    listed (:func:`unlisted_reason`): an ``error`` entry, but no history."""
    return verdict == "error" and message.startswith(_UNLISTED)


def _files_under(directory: Path) -> list[Path]:
    """History files under ``directory``, following symlinked directories (as pytest does),
    each real directory once; a directory that cannot be listed is among them, in its place."""
    files: list[Path] = []
    seen = {os.path.realpath(directory)}

    def unreadable(exc: OSError) -> None:
        # Kept as an entry: reading it gives it the error verdict that says why and the fix
        # (``read_history``), while the rest of the run goes on.
        files.append(Path(exc.filename or directory))

    for root, dirs, names in os.walk(directory, followlinks=True, onerror=unreadable):
        kept = []
        for d in sorted(dirs):
            real = os.path.realpath(os.path.join(root, d))
            if not _never_histories(root, d) and real not in seen:
                seen.add(real)
                kept.append(d)
        dirs[:] = kept
        files.extend(Path(root) / n for n in sorted(names) if is_history_name(n))
    return files


_NOT_HISTORIES = frozenset({"__pycache__", "node_modules", "site-packages"})
"""Directories under a history directory that hold other tools' files, never histories (some
thousands of ``.json`` files in a ``node_modules``), as pytest's ``norecursedirs`` skips them."""


def _never_histories(root: str, name: str) -> bool:
    """Whether directory ``name`` under ``root`` is hidden, or another tool's (a virtualenv, by
    its ``pyvenv.cfg``), so not searched for histories."""
    if name.startswith(".") or name in _NOT_HISTORIES:
        return True
    return os.path.isfile(os.path.join(root, name, "pyvenv.cfg"))
