"""One export at a time into a directory: :func:`export_lock`, for :mod:`replaycheck.export`.

Two exports writing into one directory at once each list it before the other has written
anything: one writing JSON and one gzip would leave both files of every execution (``check``
replays each twice), and two with ``--overwrite`` each remove the other's file in the other
format, so that an execution can end up with none. The second export is refused instead.

The lock is an operating-system lock (``flock``; ``msvcrt.locking`` on Windows) on
``DIR/.replaycheck-export.lock``, which holds the pid of the process holding it and what it
is (an export, or ``generate --save``, which takes the same lock). The system
releases it when that process ends, however it ends, so a lock left by a killed export (its
file still there, naming a dead pid) is taken over by the next export, and a pid used again by
another program never holds the directory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from replaycheck._writing import remove_temps
from replaycheck.errors import ReplaycheckError

LOCK_NAME = ".replaycheck-export.lock"
"""The lock file, in the output directory (never read as a history)."""

_HOLDER_WAITS = 50
"""Times (0.02 s apart) a refused process reads the lock file again when it names no holder
yet: its holder has locked it and is about to write its pid (two exports started at once)."""
_WINDOWS_LOCK_OFFSET = 1 << 20
"""Windows locks are mandatory: the byte locked lies past the pid, so that it can be read."""


@contextlib.contextmanager
def export_lock(out_dir: Path, *, writer: str = "export", option: str = "-o") -> Iterator[None]:
    """Hold the export lock of ``out_dir`` (created if need be) while the block runs.

    A directory created here is removed again if nothing was written into it.

    Args:
        out_dir: the directory written into.
        writer: what writes into it, as a process refused the lock is told ("export").
        option: what chooses the directory, in the refusal's fix ("-o").

    Raises:
        ReplaycheckError: another export holds it, or the directory cannot be written.
    """
    created = _missing_parents(out_dir)
    path = out_dir / LOCK_NAME
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = _acquire(path, out_dir, writer, option)
    except (FileExistsError, NotADirectoryError):  # a file (or a device) where a directory goes
        _remove_empty(created)
        taken = next(d for d in (out_dir, *out_dir.parents) if d.exists())
        raise ReplaycheckError(
            f"{option} {out_dir}: {taken} is a file, not a directory; give {option} a directory "
            "(one that does not exist yet is made)."
        ) from None
    except OSError as exc:
        _remove_empty(created)
        raise ReplaycheckError(
            f"cannot write {exc.filename or path} ({exc.strerror or exc}); "
            f"{_write_fix(exc, out_dir, option)}."
        ) from None
    except BaseException:
        _remove_empty(created)
        raise
    try:
        remove_temps(out_dir, LOCK_NAME)  # half-written by a killed export
        yield
    finally:
        _release(fd, path)
        _remove_empty(created)


def _write_fix(exc: OSError, out_dir: Path, option: str) -> str:
    """What to do when ``out_dir`` cannot be made or written into."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        there = next((d for d in (out_dir, *out_dir.parents) if d.is_dir()), out_dir)
        return (
            f"make {there} writable (fix its permissions), run as a user who can write to it, "
            f"or give {option} another directory"
        )
    if exc.errno == errno.EROFS:
        return f"give {option} a directory on a writable file system"
    return f"check the output directory ({option})"


def _acquire(path: Path, out_dir: Path, writer: str, option: str) -> int:
    """Lock ``path``; returns its open descriptor. A lock file removed by the export that held
    it, between our opening and locking it, is not the lock any more: open it again."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
        try:
            if not _try_lock(fd):
                from replaycheck.report import display_path

                pid, holder = _holder(fd)
                held = f" (pid {pid})" if pid else ""
                raise ReplaycheckError(
                    f"another {holder} is writing to {display_path(str(out_dir))}{held}; "
                    f"wait for it or choose another {option}."
                )
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()} {writer}\n".encode())
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _release(fd: int, path: Path) -> None:
    """Remove the lock file while it is still locked (POSIX), then unlock it."""
    if sys.platform != "win32":
        with contextlib.suppress(OSError):
            path.unlink()
    os.close(fd)  # releases the lock
    if sys.platform == "win32":  # an open file cannot be removed there: now, unless taken
        with contextlib.suppress(OSError):
            path.unlink()


def _holder(fd: int) -> tuple[str, str]:
    """The pid the lock file names and what holds it (an export where it names none, as the
    lock files of earlier builds). A file that names no pid yet is read again for up to a
    second: its holder has locked it and is about to write (two writers started at once); the
    pid is empty if it never comes."""
    pid, writer = "", ""
    for attempt in range(_HOLDER_WAITS + 1):
        if attempt:
            time.sleep(0.02)
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            pid, _, writer = os.read(fd, 128).decode("ascii", "replace").strip().partition(" ")
        if pid.isdigit():
            return pid, writer or "export"
    return "", writer or "export"


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def _missing_parents(directory: Path) -> list[Path]:
    """``directory`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    return missing


def _remove_empty(directories: list[Path]) -> None:
    """Remove the directories this export created, deepest first, where they are empty."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:  # something was written into it (or by another process): it stays
            return
