"""Writing history files: provenance, deterministic proto3 JSON, binary protobuf, atomic writes."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replaycheck.errors import ConfigError

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History, HistoryEvent

PROVENANCE_KEY = "replaycheck"
"""Top-level key holding provenance; Temporal's readers ignore unknown keys."""

GENERATED_ADDRESS = "replaycheck generate"
"""The provenance ``address`` of the histories ``replaycheck generate --save`` writes: recorded
on the test server, they are fixtures, not executions any server runs."""

HISTORY_SUFFIXES = (".json", ".json.gz", ".binpb", ".binpb.gz")
"""File name endings of history files."""

STALE_TEMP_SECONDS = 3600.0
"""A temp file of :func:`atomic_write` this old belongs to a killed run, never to a live one."""

_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")
"""The names :func:`_open_temp` creates (and ``tempfile.mkstemp`` did, in earlier versions)."""


@dataclass(frozen=True)
class Provenance:
    """Where a stored history came from. Never holds secrets."""

    workflow_id: str
    """The workflow id (histories themselves do not carry it)."""
    workflow_type: str = ""
    namespace: str = ""
    address: str = ""
    query: str = ""
    captured_at: str = ""
    status: str = ""
    """Execution status when captured, e.g. ``RUNNING`` or ``COMPLETED``."""
    run_id: str = ""
    """The run captured (a later export tells a new run of the workflow id by it)."""

    def to_json_dict(self) -> dict[str, Any]:
        """Camel-case dict with empty fields left out, versioned."""
        out: dict[str, Any] = {"version": 1}
        for key, value in asdict(self).items():
            if value:
                head, *rest = key.split("_")
                out[head + "".join(p.title() for p in rest)] = value
        return out

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Provenance | None:
        """Read the dict written by :meth:`to_json_dict`; ``None`` if it is unusable."""
        wid = data.get("workflowId")
        if not isinstance(wid, str) or not wid:
            return None

        def get(key: str) -> str:
            value = data.get(key, "")
            return value if isinstance(value, str) else ""

        return cls(
            workflow_id=wid,
            workflow_type=get("workflowType"),
            namespace=get("namespace"),
            address=get("address"),
            query=get("query"),
            captured_at=get("capturedAt"),
            status=get("status"),
            run_id=get("runId"),
        )


def history_json_bytes(
    events: Sequence[HistoryEvent], provenance: Provenance | None = None
) -> bytes:
    """Render events as the proto3 JSON that ``temporal workflow show -o json`` prints."""
    from temporalio.api.history.v1 import History

    return history_message_json_bytes(History(events=events), provenance)


def history_message_json_bytes(history: History, provenance: Provenance | None = None) -> bytes:
    """:func:`history_json_bytes` of a ``History`` message.

    Byte for byte ``json.dumps(MessageToDict(history) | {"replaycheck": ...}, indent=2,
    sort_keys=True, ensure_ascii=False) + "\\n"``, written ~5x faster by ``_protojson_dump``.
    """
    from replaycheck._protojson_dump import message_json

    text = message_json(history)
    if provenance is not None:  # "replaycheck" sorts after "events", History's only field
        meta = json.dumps(provenance.to_json_dict(), indent=2, sort_keys=True, ensure_ascii=False)
        member = f'"{PROVENANCE_KEY}": ' + meta.replace("\n", "\n  ")
        text = "{\n  " + member + "\n}" if text == "{}" else text[:-2] + ",\n  " + member + "\n}"
    return (text + "\n").encode()


def history_binpb_bytes(events: Sequence[HistoryEvent]) -> bytes:
    """Render events as a binary ``temporal.api.history.v1.History``."""
    from temporalio.api.history.v1 import History

    return History(events=events).SerializeToString(deterministic=True)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file and rename: never a half-written file.

    The file gets the mode of the file it replaces, else the usual mode of a new file
    (``0o666`` less the umask). The first write into a directory also removes the temp files
    of history files that a killed run left there (see :data:`STALE_TEMP_SECONDS`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale_temps(path.parent)
    try:
        replaced_mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        replaced_mode = None
    fd, tmp = _open_temp(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replaced_mode is not None:
            os.chmod(tmp, replaced_mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _open_temp(directory: Path, name: str) -> tuple[int, Path]:
    """A new ``.NAME.XXXXXXXX.tmp`` file in ``directory``, open for writing, created with mode
    ``0o666`` so that the system applies the umask, as for any new file (``tempfile.mkstemp``
    makes it ``0o600``)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = directory / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def remove_temps(directory: Path, lock_name: str) -> None:
    """Remove every temp file of a history (``.NAME.XXXXXXXX.tmp``) under ``directory``,
    whatever its age: for a writer that holds the directory's export lock, whose earlier
    holders, the only writers of such files there, are gone (killed mid-write). A directory
    below holding a lock file of its own (``lock_name``) is another writer's: left alone."""
    for root, dirs, names in os.walk(directory):
        if lock_name in names and Path(root) != directory:
            dirs[:] = []  # generate -o SUB beside export -o DIR: its temp files may be live
            continue
        for name in names:
            match = _TEMP_NAME.fullmatch(name)
            if match is not None and match["name"].endswith(HISTORY_SUFFIXES):
                with contextlib.suppress(OSError):  # gone already: nothing to do
                    os.unlink(os.path.join(root, name))


_swept: set[str] = set()
_swept_lock = threading.Lock()


def _sweep_stale_temps(directory: Path) -> None:
    """Remove ``.NAME.XXXXXXXX.tmp`` of history files older than :data:`STALE_TEMP_SECONDS`,
    once per directory and process: a run killed while writing cannot remove its own."""
    key = os.path.realpath(directory)
    with _swept_lock:
        if key in _swept:
            return
        _swept.add(key)
    cutoff = time.time() - STALE_TEMP_SECONDS
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None or not match["name"].endswith(HISTORY_SUFFIXES):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:  # gone already, or not ours to remove: leave it
            continue


def check_writable(path: Path, what: str, fix: str) -> None:
    """Fail before any work is done when :func:`write_output` could not write ``path``.

    Args:
        path: The file to be written later.
        what: What will be written, for the message (``"the report"``).
        fix: The end of the message: what to do instead.

    Raises:
        ConfigError: the nearest existing parent of ``path`` is not a directory, or no file
            can be created in it.
    """
    existing = Path(os.path.abspath(path)).parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"cannot write {what} to {path}: {existing} is not a directory; {fix}.")
    try:
        fd, probe = _open_temp(existing, path.name)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {what} to {path}: cannot create a file in {existing} "
            f"({exc.strerror or exc}); {fix}."
        ) from None
    os.close(fd)
    os.unlink(probe)


def write_output(path: Path, data: bytes, what: str, fix: str) -> None:
    """:func:`atomic_write`, with a failure as one sentence.

    Raises:
        ConfigError: the file cannot be written (``what`` and ``fix`` as for
            :func:`check_writable`).
    """
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {what} to {path} ({exc.strerror or exc}); {fix}."
        ) from None


def write_history(
    path: Path,
    events: Sequence[HistoryEvent],
    *,
    provenance: Provenance | None = None,
) -> Path:
    """Write a history file; the format follows the suffix (``.json``, ``.json.gz``, ``.binpb``).

    Returns:
        The path written.
    """
    name = path.name
    if name.endswith(".binpb"):
        data = history_binpb_bytes(events)
    elif name.endswith(".json.gz"):
        data = gzip.compress(history_json_bytes(events, provenance), mtime=0)
    else:
        data = history_json_bytes(events, provenance)
    atomic_write(path, data)
    return path
