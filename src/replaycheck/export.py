"""Capturing histories from a Temporal cluster into history files.

Executions are selected by a visibility query or by workflow ids and their histories fetched
concurrently (:mod:`replaycheck.cluster`), then written atomically, with provenance, as
``DIR/<WorkflowType>/<workflow-id>.json``. Payloads are written exactly as the server stores
them (still encoded, e.g. encrypted). An execution is already there when a file of its workflow
id is, in any history format. ``dedupe`` keeps one history per workflow type and shape
(:mod:`replaycheck.shapes`), counting the histories already in ``DIR``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from replaycheck.cluster import (
    DEFAULT_CONCURRENCY,
    Execution,
    Selection,
    close_status,
    count_executions,
    fetch_histories,
    has_completed_task,
    iter_executions,
)
from replaycheck.connection import Connection, connect
from replaycheck.errors import (
    ClusterConnectionError,
    HistoryError,
    NoHistoriesError,
    ReplaycheckError,
)
from replaycheck.histories import (
    RUN_SUFFIX,
    Provenance,
    atomic_write,
    history_message_json_bytes,
    parse_history_bytes,
    read_history,
)
from replaycheck.shapes import Shape, history_shape, shapes_in

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History
    from temporalio.client import Client

__all__ = ["ExportOptions", "ExportResult", "Selection", "export", "history_path", "safe_name"]

SUFFIXES = {"json": ".json", "gzip": ".json.gz", "binpb": ".binpb"}
"""File suffix of each output format."""


@dataclass(frozen=True)
class ExportOptions:
    """Where and how ``export`` writes."""

    out_dir: Path
    fmt: str = "json"
    """``json``, ``gzip`` or ``binpb``."""
    overwrite: bool = False
    dedupe: bool = False
    concurrency: int = DEFAULT_CONCURRENCY


@dataclass
class ExportResult:
    """What an export did."""

    matched: int = 0
    """Executions selected."""
    written: list[Path] = field(default_factory=list)
    existing: int = 0
    """Skipped (no ``overwrite``): a file of the workflow id was already there, in any format;
    with ``dedupe``, also each shape a history already there has."""
    not_started: int = 0
    """Skipped: no workflow task completed yet, so there is nothing to replay."""
    missing: list[str] = field(default_factory=list)
    """Workflow ids (or ``id/run``) the server did not have."""
    shapes: int | None = None
    """Distinct shapes of the selected executions, with ``dedupe``."""
    refreshed: list[Path] = field(default_factory=list)
    """Histories of executions captured while running, written again as they are now."""
    repaired: list[Path] = field(default_factory=list)
    """Broken files (empty, cut off, not a history) that were there and were written again."""
    moved: list[Path] = field(default_factory=list)
    """Files of an earlier, closed run of a workflow id whose latest run was written in their
    place: renamed ``<workflow-id>@<run-id>``."""
    other_namespace: list[Path] = field(default_factory=list)
    """Skipped (no ``overwrite``): the file is there with a history of the same workflow type
    and id from another namespace."""
    done: int = 0
    """Executions dealt with so far (for progress)."""


# --------------------------------------------------------------------------- file names

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=,~-]")
_MAX_NAME = 180


def safe_name(text: str) -> str:
    """A file name for a workflow id or type: unsafe characters %-encoded, never hidden."""
    name = _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)
    if name.startswith("."):
        name = "%2E" + name[1:]
    if len(name) > _MAX_NAME:
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        name = name[: _MAX_NAME - 13] + "-" + digest
    return name or "_"


def history_path(out_dir: Path, execution: Execution, fmt: str, *, own_run: bool = False) -> Path:
    """``out_dir/<WorkflowType>/<workflow-id><suffix>``; ``<workflow-id>@<run-id><suffix>`` for a
    run that is not its workflow id's latest (one that continued as new, or ``own_run``), so
    it never takes the name of the run the id stands for."""
    name = safe_name(execution.workflow_id)
    if execution.run_id and (own_run or execution.status == "CONTINUED_AS_NEW"):
        name = safe_name(f"{execution.workflow_id}@{execution.run_id}")
    elif found := RUN_SUFFIX.search(name):  # an id ending like that: its own '@' %-encoded
        name = f"{name[: found.start()]}%40{name[found.start() + 1 :]}"
    return out_dir / safe_name(execution.workflow_type) / (name + SUFFIXES[fmt])


def render(history: History, provenance: Provenance | None, fmt: str) -> bytes:
    """The file content of a history in ``fmt`` (``binpb`` cannot hold provenance)."""
    if fmt == "binpb":
        return history.SerializeToString(deterministic=True)
    data = history_message_json_bytes(history, provenance)
    return gzip.compress(data, mtime=0) if fmt == "gzip" else data


# --------------------------------------------------------------------------- exporting


OnProgress = Callable[[ExportResult], None]
WRITE_THREADS = 4
"""Threads writing files, so that ``fsync`` waits overlap with fetching."""


def export(
    connection: Connection,
    selection: Selection,
    options: ExportOptions,
    *,
    on_start: Callable[[int | None], None] | None = None,
    on_progress: OnProgress | None = None,
) -> ExportResult:
    """Export the selected histories (see the module docstring).

    Args:
        connection: the cluster.
        selection: which executions.
        options: where and how to write.
        on_start: called with the number of matching executions (``None``: unknown).
        on_progress: called each time an execution has been dealt with.

    Raises:
        ClusterConnectionError: the cluster cannot be reached, refuses us, or goes away; files
            already written stay (each one complete), so running again finishes the job.
        NoHistoriesError: the query matched no execution.
        ReplaycheckError: a file cannot be written.
    """
    selection.check()
    result = asyncio.run(_export(connection, selection, options, on_start, on_progress))
    if not result.matched:
        raise NoHistoriesError(
            f"no execution in namespace {connection.namespace!r} matched the query "
            f"{selection.query!r}, so nothing was exported; check --query and --namespace."
        )
    return result


async def _export(
    connection: Connection,
    selection: Selection,
    options: ExportOptions,
    on_start: Callable[[int | None], None] | None,
    on_progress: OnProgress | None,
) -> ExportResult:
    client = await connect(connection)
    if on_start is not None:
        on_start(await count_executions(client, selection))
    exporter = _Exporter(connection, selection, options, on_progress or (lambda result: None))
    with ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="replaycheck-write") as pool:
        try:
            await exporter.run(client, pool)
        except ClusterConnectionError as exc:
            from replaycheck.report import plural

            written = len(exporter.result.written)
            raise ClusterConnectionError(
                f"{str(exc).rstrip('.')}; {plural(written, 'history')} written before that, "
                "each complete: run the same command again to export the rest."
            ) from None
    return exporter.result


class _Exporter:
    """One export run: selects, fetches, keeps the best of each shape (dedupe), writes."""

    def __init__(
        self,
        connection: Connection,
        selection: Selection,
        options: ExportOptions,
        on_progress: OnProgress,
    ) -> None:
        self.connection = connection
        self.selection = selection
        self.options = options
        self.on_progress = on_progress
        self.result = ExportResult()
        now = datetime.datetime.now(datetime.timezone.utc)
        self.captured_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.seen: set[tuple[str, str]] = set()
        self.older: set[tuple[str, str]] = set()
        """With ``dedupe``: ``(workflow id, run id)`` of runs listed after their id's first."""
        self.listed: dict[Path, frozenset[str]] = {}
        """Names already in each output directory, listed once (not one stat per execution)."""
        self.best: dict[tuple[str, Shape], tuple[tuple[bool, int], Execution, History]] = {}
        """With ``dedupe``: the execution to keep of each workflow type and shape."""
        self.held: dict[str, dict[Shape, list[Path]]] = {}
        """With ``dedupe``: the histories already on disk of each workflow type, by shape."""
        self.held_back: set[tuple[str, Shape]] = set()
        """With ``dedupe``: shapes not exported because a history already there has them."""
        self.writes: set[asyncio.Future[tuple[str, Path]]] = set()
        self.running: dict[Path, list[Path]] = {}
        """Files already there of executions captured while running, by the path to write:
        written again when the execution has got further since."""
        self.broken: set[Path] = set()
        """Files already there that are not histories (empty, cut off): written again."""
        self.foreign: set[Path] = set()
        """Paths to write whose file holds another namespace's history: left alone."""
        self.superseded: dict[Path, list[tuple[Path, str]]] = {}
        """Files (and their run ids) of an earlier, closed run of the workflow id, by the path
        its latest run goes to: renamed ``<workflow-id>@<run-id>`` first."""

    async def run(self, client: Client, pool: Executor) -> None:
        """Fetch and write everything; files in the works are finished even on failure."""
        try:
            await self._fetch_all(client, pool)
            if self.options.dedupe:
                self.result.shapes = len(self.best) + len(self.held_back)
                for key, (_, execution, history) in self.best.items():
                    replaced = self.held[key[0]].get(key[1], [])
                    await self._write(pool, execution, history, replaced)
        finally:
            if self.writes:
                await asyncio.wait(self.writes)
        for future in self.writes:
            future.result()  # a write that failed

    async def _fetch_all(self, client: Client, pool: Executor) -> None:
        fetched = fetch_histories(
            client, self.connection, self._to_fetch(client), self.options.concurrency
        )
        async for _, execution, history in fetched:
            if history is None:
                run = f"/{execution.run_id}" if execution.run_id else ""
                self.result.missing.append(execution.workflow_id + run)
                self._done()
            elif self.options.dedupe:
                await self._read_held(pool, execution)
                self._consider(execution, history)
                self._done()
            else:
                await self._write(pool, execution, history)

    async def _to_fetch(self, client: Client) -> AsyncIterator[Execution]:
        """Selected executions that need fetching: not on disk yet. The first run listed of a
        workflow id takes the id's name; the others (runs that continued as new, retried, or
        an id used again) are named after their run as well."""
        async for execution in iter_executions(client, self.connection, self.selection):
            self.result.matched += 1
            key = (execution.workflow_type, execution.workflow_id)
            if execution.run_id and key in self.seen:
                self.older.add((execution.workflow_id, execution.run_id))
            self.seen.add(key)
            path = self._path(execution)
            if (
                execution.run_id
                and not self.options.dedupe
                and not self._wanted(path, execution.run_id)
            ):
                if path in self.foreign:
                    self.result.other_namespace.append(path)
                else:
                    self.result.existing += 1
                self._done()
                continue
            yield execution

    def _path(self, execution: Execution) -> Path:
        own = (execution.workflow_id, execution.run_id) in self.older
        return history_path(self.options.out_dir, execution, self.options.fmt, own_run=own)

    def _wanted(self, path: Path, run_id: str) -> bool:
        """Whether to write ``path`` (run ``run_id``): ``overwrite``, or no format of it is
        there yet, or only a broken file, a running capture or an earlier closed run; never
        over another namespace's history."""
        names = self.listed.get(path.parent)
        if names is None:
            try:
                names = frozenset(entry.name for entry in os.scandir(path.parent))
            except OSError:  # not there yet (or unreadable: writing will say so)
                names = frozenset()
            self.listed[path.parent] = names
        there = [twin for twin in _formats(path, self.options.fmt) if twin.name in names]
        looks = {twin: _state_of(twin) for twin in there}  # one look at each file
        states = {twin: look.state for twin, look in looks.items()}
        if not all(self._ours(look) for look in looks.values()):
            self.foreign.add(path)  # the same type and id, in another namespace
            return False
        if self.options.overwrite:
            return True
        earlier = [
            (twin, run) for twin, look in looks.items()
            if look.state == "ok" and (run := _run_of(twin, look)) not in ("", run_id)
        ]  # fmt: skip
        if there and run_id and len(earlier) == len(there):  # a new run of the id
            self.superseded[path] = earlier
            return True
        if there and all(state == "broken" for state in states.values()):
            self.broken.update(there)  # written again (and removed in the other formats)
            return True
        running = [t for t, state in states.items() if state == "running"]
        if running:
            self.running[path] = running  # written again if the execution got further
            return True
        return not there

    async def _read_held(self, pool: Executor, execution: Execution) -> None:
        """Read the shapes of the histories already there, once per workflow type."""
        if execution.workflow_type not in self.held:
            directory = history_path(self.options.out_dir, execution, self.options.fmt).parent
            loop = asyncio.get_running_loop()
            held = await loop.run_in_executor(pool, shapes_in, directory)
            self.held[execution.workflow_type] = held

    def _done(self) -> None:
        self.result.done += 1
        self.on_progress(self.result)

    def _consider(self, execution: Execution, history: History) -> None:
        if not has_completed_task(history):
            self.result.not_started += 1
            return
        key = (execution.workflow_type, history_shape(history))
        if not self.options.overwrite and key[1] in self.held[key[0]]:
            if key not in self.held_back:  # one history per shape: that one
                self.held_back.add(key)
                self.result.existing += 1
            return
        running = close_status(history) == "RUNNING"
        rank = (running, history.events[0].event_time.ToNanoseconds())
        current = self.best.get(key)
        if current is None or rank > current[0]:
            self.best[key] = (rank, execution, history)

    async def _write(
        self, pool: Executor, execution: Execution, history: History, replaced: Sequence[Path] = ()
    ) -> None:
        """Write in a thread (rendering, fsync), at most ``concurrency`` writes pending.

        ``replaced``: files of the same shape the new one replaces (``dedupe`` + ``overwrite``).
        """
        while len(self.writes) >= self.options.concurrency:
            done, self.writes = await asyncio.wait(self.writes, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                future.result()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(pool, self._write_file, execution, history, replaced)
        future.add_done_callback(self._count)
        self.writes.add(future)

    def _count(self, future: asyncio.Future[tuple[str, Path]]) -> None:
        """Count a finished write (in the event loop's thread, never in a writer thread)."""
        if future.cancelled() or future.exception() is not None:
            return
        outcome, path = future.result()
        if outcome in ("written", "refreshed", "repaired", "moved"):
            self.result.written.append(path)
            if outcome == "moved":
                self.result.moved.extend(old for old, _ in self.superseded[path])
            if outcome == "refreshed":
                self.result.refreshed.append(path)
            elif outcome == "repaired":
                self.result.repaired.append(path)
        elif outcome == "existing":
            self.result.existing += 1
        elif outcome == "other-namespace":
            self.result.other_namespace.append(path)
        else:
            self.result.not_started += 1
        if self.options.dedupe:  # the execution was counted when it was fetched
            self.on_progress(self.result)
        else:
            self._done()

    def _write_file(
        self, execution: Execution, history: History, replaced: Sequence[Path]
    ) -> tuple[str, Path]:
        """Render and write one history (runs in a writer thread); returns what happened.

        With ``overwrite``, the execution's files in other formats and ``replaced`` are removed
        once it is written, so that ``check`` does not replay one path twice.
        """
        path = self._path(execution)
        if not has_completed_task(history):
            return "not_started", path
        if self.options.dedupe and not self._wanted(path, execution.run_id):
            return ("other-namespace" if path in self.foreign else "existing"), path
        started = history.events[0].workflow_execution_started_event_attributes
        provenance = Provenance(
            workflow_id=execution.workflow_id,
            workflow_type=started.workflow_type.name or execution.workflow_type,
            namespace=self.connection.namespace,
            address=self.connection.display_address,
            query=self.selection.query,
            captured_at=self.captured_at,
            status=close_status(history),
            run_id=execution.run_id,
        )
        earlier = self.running.get(path, [])
        superseded = self.superseded.get(path, [])
        occupied = earlier or [old for old, _ in superseded]
        if self.options.overwrite:  # whatever is there, unless it is another run's
            occupied = [t for t in _formats(path, self.options.fmt) if t.exists()]
            if all(_state_of(t).run_id == execution.run_id for t in occupied):
                occupied = []  # this run, as its provenance says: no need to read it whole
        run, events, since = _captured(occupied[0]) if occupied else ("", 0, 0)
        if earlier and run == execution.run_id and len(history.events) <= events:
            return "existing", path  # the same run, no further than when captured: leave it
        if occupied and run and run != execution.run_id:
            if since >= _start(history):
                # The file holds a later run of the id (this one was selected alone, by its
                # status say), or one as old (a reset run keeps its base run's start): this
                # one goes under a name of its own.
                path = self._own_run_path(execution, execution.run_id, self.options.fmt)
                if any(twin.exists() for twin in _formats(path, self.options.fmt)):
                    return "existing", path
                earlier, superseded = [], []
            elif not superseded:  # an earlier run holds it (a capture too): kept, under its name
                superseded = [(t, _run_of(t, _state_of(t)) or run) for t in occupied]
                earlier = []
        try:
            for old, old_run in superseded:
                target = self._own_run_path(execution, old_run, _format_of(old))
                if not _move_if_absent(old, target):
                    old.unlink(missing_ok=True)  # that run is there already: a copy
                else:
                    listed = self.listed.get(target.parent)
                    if listed is not None:  # a later selection of that run finds it there
                        self.listed[target.parent] = listed | {target.name}
            atomic_write(path, render(history, provenance, self.options.fmt))
        except OSError as exc:
            raise ReplaycheckError(
                f"cannot write {exc.filename or path} ({exc.strerror or exc}); "
                "check the output directory (-o)."
            ) from None
        twins = _formats(path, self.options.fmt)
        stale: list[Path] = []
        if self.options.overwrite:  # its other formats, and its shape's (never another
            stale += [*twins, *(p for p in replaced if self._ours(_state_of(p)))]  # namespace's)
        stale += [t for t in twins if t in self.broken or t in earlier]
        for other in stale:
            if other != path:
                with contextlib.suppress(OSError):  # a copy left over loses nothing
                    other.unlink(missing_ok=True)
        if superseded:
            self.superseded[path] = superseded  # counted by _count, in the event loop's thread
            return "moved", path
        if earlier:
            return "refreshed", path
        if any(twin in self.broken for twin in twins):
            return "repaired", path
        return "written", path

    def _ours(self, look: _Look) -> bool:
        """Whether a file already there is of this export's namespace (or names none)."""
        return look.namespace in ("", self.connection.namespace)

    def _own_run_path(self, execution: Execution, run_id: str, fmt: str) -> Path:
        """Where run ``run_id`` of the execution's workflow id goes when it is not the latest."""
        run = Execution(execution.workflow_id, run_id, execution.workflow_type, "")
        return history_path(self.options.out_dir, run, fmt, own_run=True)


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


class _Look(NamedTuple):
    state: str
    """``broken``, ``running`` or ``ok``."""
    namespace: str = ""
    run_id: str = ""
    """What the provenance names (empty: nothing)."""


def _run_of(path: Path, look: _Look) -> str:
    """The run a history file already there holds: its provenance says, and a binary one
    (which has none) is read."""
    if look.run_id or _format_of(path) != "binpb":
        return look.run_id
    return _captured(path)[0]


def _move_if_absent(path: Path, target: Path) -> bool:
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


def _format_of(path: Path) -> str:
    """The export format of a history file, from its suffix."""
    return next(fmt for fmt, suffix in sorted(SUFFIXES.items(), key=lambda x: -len(x[1]))
                if path.name.endswith(suffix))  # fmt: skip


def _state_of(path: Path) -> _Look:
    """What a file already there is, from one look (a big JSON file only by its end; a gzip
    file is decompressed, in bounded memory, to reach its provenance at the end):
    ``broken`` (empty, a small file that fails validation, or JSON cut off), ``running`` (JSON
    captured while its execution ran: its provenance, at the end, says so) or ``ok``; and the
    namespace and run its provenance names (empty: none)."""
    try:
        size = path.stat().st_size
        if size == 0:
            return _Look("broken")
        small = size <= _CHECKED_WHOLE
        binpb = path.name.endswith(".binpb")
        if not small and binpb:
            return _Look("ok")  # binary protobuf has no provenance
        with path.open("rb") as handle:
            if small or not path.name.endswith(".json"):
                tail = handle.read()
            else:
                tail = _json_tail(handle, size)
        if small:
            parse_history_bytes(tail, path.name)  # validated whole
        if binpb:
            return _Look("ok")
        if path.name.endswith(".gz"):
            tail = _gunzipped_tail(tail)
    except HistoryError:
        return _Look("broken")
    except (EOFError, zlib.error, gzip.BadGzipFile):
        return _Look("broken")  # gzip cut off or corrupt
    except OSError:
        return _Look("ok")  # unreadable: leave it alone, writing would fail the same way
    if not tail.rstrip().endswith(b"}"):
        return _Look("broken")
    found = list(_PROVENANCE.finditer(tail))  # the last one is the file's own
    provenance = tail[found[-1].start() :] if found else b""
    state = "running" if _RUNNING.search(provenance) is not None else "ok"
    return _Look(state, _field_in(provenance, "namespace"), _field_in(provenance, "runId"))


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


def _captured(path: Path) -> tuple[str, int, int]:
    """The run id, number of events and start time (ns) of a history file already there (a
    later run of the workflow id, one continued as new, replaces it whatever its length)."""
    try:
        loaded = read_history(path)
    except HistoryError:
        return "", 0, 0
    return loaded.info.run_id, loaded.info.events, _start(loaded.history)


def _start(history: History) -> int:
    """When the run started (ns since the epoch)."""
    return int(history.events[0].event_time.ToNanoseconds())


def _formats(path: Path, fmt: str) -> list[Path]:
    """``path`` (a history of format ``fmt``) in every format ``export`` writes."""
    base = path.name[: -len(SUFFIXES[fmt])]
    return [path.with_name(base + suffix) for suffix in SUFFIXES.values()]
