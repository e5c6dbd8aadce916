"""The history files ``export`` writes: their names and formats, rendering a history into one,
and what a file already in the output directory holds (one cheap look: broken, a running capture,
or whose namespace and run), for :mod:`replaycheck.export`."""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import os
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from replaycheck._export_names import CaseNames
from replaycheck.cluster import Execution
from replaycheck.errors import HistoryError, ReplaycheckError
from replaycheck.histories import (
    RUN_SUFFIX,
    Provenance,
    history_message_json_bytes,
    parse_history_bytes,
    read_history,
)

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

SUFFIXES = {"json": ".json", "gzip": ".json.gz", "binpb": ".binpb"}
"""File suffix of each output format."""


# --------------------------------------------------------------------------- file names

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=,~-]")
_MAX_NAME = 180


_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?", re.IGNORECASE)
"""Names Windows gives its devices, whatever follows a dot: no file can have them there."""


def safe_name(text: str, *, directory: bool = False) -> str:
    """A file name for a workflow id or type that every system can hold (a fixtures directory
    committed on one checks out on the others): characters outside ``A-Z a-z 0-9 . _ @ + = ,
    ~ -`` %-encoded (those Windows refuses among them), never hidden, never a Windows device
    name (``CON``, ``nul.v2``: its first letter %-encoded); a ``directory`` never ends in a
    dot, which Windows drops (a file's name goes on with its suffix)."""
    name = _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)
    if name.startswith(".") or _RESERVED.fullmatch(name):
        name = f"%{ord(name[0]):02X}" + name[1:]
    if directory and name.endswith("."):
        name = name[:-1] + "%2E"
    if len(name) > _MAX_NAME:
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        name = name[: _MAX_NAME - 13] + "-" + digest
    return name or "_"


def history_path(
    out_dir: Path,
    execution: Execution,
    fmt: str,
    *,
    own_run: bool = False,
    names: CaseNames | None,
) -> Path:
    """``out_dir/<WorkflowType>/<workflow-id><suffix>``; ``<workflow-id>@<run-id><suffix>`` for a
    run that is not its workflow id's latest (one that continued as new, or ``own_run``), so
    it never takes the name of the run the id stands for. With ``names`` (the export's), a type
    or id that differs only in case from one already there is marked (``order-a~a817cf28``);
    ``None`` gives the name alone, which may clash where case does not count. ``names`` has
    no default: a caller that writes files says which it wants."""
    name = safe_name(execution.workflow_id)
    if execution.run_id and (own_run or execution.status == "CONTINUED_AS_NEW"):
        name = safe_name(f"{execution.workflow_id}@{execution.run_id}")
    elif found := RUN_SUFFIX.search(name):  # an id ending like that: its own '@' %-encoded
        name = f"{name[: found.start()]}%40{name[found.start() + 1 :]}"
    directory = safe_name(execution.workflow_type, directory=True)
    if names is not None:
        directory = names.name(out_dir, directory, is_file=False)
        name = names.name(out_dir / directory, name)
    return out_dir / directory / (name + SUFFIXES[fmt])


def render(history: History, provenance: Provenance | None, fmt: str) -> bytes:
    """The file content of a history in ``fmt`` (``binpb`` cannot hold provenance)."""
    if fmt == "binpb":
        return history.SerializeToString(deterministic=True)
    data = history_message_json_bytes(history, provenance)
    return gzip.compress(data, mtime=0) if fmt == "gzip" else data


_CHECKED_WHOLE = 4096
"""Files already there up to this size are validated whole; larger JSON only by its end."""


_RUNNING = re.compile(rb'"status":\s*"RUNNING"')
_PROVENANCE = re.compile(rb'\n\s*"replaycheck":\s*\{')
_TAIL = 1024
"""Bytes at the end of a JSON history that hold its provenance (keys sorted: after events),
unless its workflow id or type is long."""
_LONGEST_TAIL = 64 * 1024
"""Bytes that hold it whatever the id and type (each at most 1,000 characters, 12 bytes a
character escaped)."""


class Look(NamedTuple):
    state: str
    """``broken``, ``running`` or ``ok``."""
    namespace: str = ""
    run_id: str = ""
    """What the provenance names, or a binary file's events (empty: nothing)."""


def run_of(path: Path, look: Look) -> str:
    """The run a history file already there holds: its provenance says, and a binary one
    (which has none) is read."""
    if look.run_id or format_of(path) != "binpb":
        return look.run_id
    return captured(path)[0]


def move_if_absent(path: Path, target: Path) -> bool:
    """Rename ``path`` to ``target`` unless ``target`` exists, in one step (a writer thread
    may be writing that run's history there meanwhile); False when it exists."""
    try:
        os.link(path, target)
    except FileExistsError:
        return False
    except OSError:  # no hard links here: the check and the rename are two steps
        if target.exists():
            return False
        os.replace(path, target)
        return True
    path.unlink(missing_ok=True)
    return True


def format_of(path: Path) -> str:
    """The export format of a history file, from its suffix."""
    return next(fmt for fmt, suffix in sorted(SUFFIXES.items(), key=lambda x: -len(x[1]))
                if path.name.endswith(suffix))  # fmt: skip


def state_of(path: Path) -> Look:
    """What a file already there is, from one look (a big JSON file only by its end; a gzip
    file is decompressed, in bounded memory, to reach its provenance at the end):
    ``broken`` (empty, a small file that fails validation, or JSON cut off), ``running`` (JSON
    captured while its execution ran: its provenance, at the end, says so; binary protobuf,
    which has no provenance: its events say so) or ``ok``; and the namespace and run its
    provenance names (a binary file: the run its events hold; empty: none)."""
    try:
        size = path.stat().st_size
        if size == 0:
            return Look("broken")
        small = size <= _CHECKED_WHOLE
        binpb = path.name.endswith(".binpb")
        if binpb:  # no provenance: read whole (compact, and parsed by protobuf's own code)
            info = read_history(path).info  # once: its run id too, for run_of
            return Look("running" if info.status == "RUNNING" else "ok", run_id=info.run_id)
        with path.open("rb") as handle:
            if small or not path.name.endswith(".json"):
                tail = handle.read()
            else:
                tail = _json_tail(handle, size)
        if small:
            parse_history_bytes(tail, path.name)  # validated whole
        if path.name.endswith(".gz"):
            tail = _gunzipped_tail(tail)
    except HistoryError:
        return Look("broken")
    except (EOFError, zlib.error, gzip.BadGzipFile):
        return Look("broken")  # gzip cut off or corrupt
    except OSError:
        return Look("ok")  # unreadable: leave it alone, writing would fail the same way
    if not tail.rstrip().endswith(b"}"):
        return Look("broken")
    found = list(_PROVENANCE.finditer(tail))  # the last one is the file's own
    provenance = tail[found[-1].start() :] if found else b""
    state = "running" if _RUNNING.search(provenance) is not None else "ok"
    return Look(state, _field_in(provenance, "namespace"), _field_in(provenance, "runId"))


def _field_in(provenance: bytes, key: str) -> str:
    """A string field of the provenance (empty if it has none)."""
    found = re.search(rb'"' + key.encode() + rb'":\s*("(?:[^"\\]|\\.)*")', provenance)
    try:
        return str(json.loads(found.group(1))) if found else ""
    except ValueError:
        return ""


def _json_tail(handle: BinaryIO, size: int) -> bytes:
    """The end of a JSON file, from its provenance on when it has one."""
    for want in (_TAIL, _LONGEST_TAIL):
        handle.seek(max(0, size - want))
        tail = handle.read()
        if _PROVENANCE.search(tail) or want >= size:
            break
    return tail


def _gunzipped_tail(data: bytes) -> bytes:
    """The last :data:`_LONGEST_TAIL` bytes of gzip ``data`` once decompressed (in bounded
    memory)."""
    tail = b""
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        while chunk := stream.read(1 << 20):
            tail = (tail + chunk)[-_LONGEST_TAIL:]
    return tail


def captured(path: Path) -> tuple[str, int, int]:
    """The run id, number of events and start time (ns) of a history file already there (a
    later run of the workflow id, one continued as new, replaces it whatever its length)."""
    try:
        loaded = read_history(path)
    except HistoryError:
        return "", 0, 0
    return loaded.info.run_id, loaded.info.events, start(loaded.history)


def start(history: History) -> int:
    """When the run started (ns since the epoch)."""
    return int(history.events[0].event_time.ToNanoseconds())


def formats(path: Path, fmt: str) -> list[Path]:
    """``path`` (a history of format ``fmt``) in every format ``export`` writes."""
    base = path.name[: -len(SUFFIXES[fmt])]
    return [path.with_name(base + suffix) for suffix in SUFFIXES.values()]


class WriteError(ReplaycheckError):
    """A history file could not be written; :func:`replaycheck.export.export` says how many
    were written before it."""

    def __init__(self, path: Path, exc: OSError) -> None:
        self.where = f"cannot write {exc.filename or path} ({exc.strerror or exc})"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            self.fix = "make room for them (free space, or raise the quota or file size limit)"
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            self.fix = "make the output directory (-o) writable"
        else:
            self.fix = "check the output directory (-o)"
        super().__init__(f"{self.where}; {self.fix}.")
