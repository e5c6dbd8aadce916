"""One export run, :class:`Exporter` (select, fetch, keep the best of each shape, write), and
what it is given and gives back, :class:`ExportOptions` and :class:`ExportResult` (re-exported
from :mod:`replaycheck.export`)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from replaycheck._export_files import (
    Look,
    WriteError,
    captured,
    format_of,
    formats,
    history_path,
    move_if_absent,
    render,
    run_of,
    start,
    state_of,
)
from replaycheck._export_names import CaseNames
from replaycheck.cluster import (
    DEFAULT_CONCURRENCY,
    Execution,
    Selection,
    close_status,
    fetch_histories,
    has_completed_task,
    iter_executions,
)
from replaycheck.connection import Connection
from replaycheck.histories import Provenance, atomic_write
from replaycheck.shapes import Shape, history_shape, shapes_in

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History
    from temporalio.client import Client


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
    marked: list[Path] = field(default_factory=list)
    """Files already there whose name differed only in case from another's: renamed with the
    mark of their exact spelling."""
    done: int = 0
    """Executions dealt with so far (for progress)."""


OnProgress = Callable[[ExportResult], None]


class Exporter:
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
        self.names = CaseNames()
        """The names given, apart where case does not count (macOS, Windows)."""
        self.result.marked = self.names.renamed
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
        out, fmt = self.options.out_dir, self.options.fmt
        return history_path(out, execution, fmt, own_run=own, names=self.names)

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
        there = [twin for twin in formats(path, self.options.fmt) if twin.name in names]
        looks = {twin: state_of(twin) for twin in there}  # one look at each file
        states = {twin: look.state for twin, look in looks.items()}
        if not all(self._ours(look) for look in looks.values()):
            self.foreign.add(path)  # the same type and id, in another namespace
            return False
        if self.options.overwrite:
            return True
        earlier = [
            (twin, run) for twin, look in looks.items()
            if look.state == "ok" and (run := run_of(twin, look)) not in ("", run_id)
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
            directory = self._path(execution).parent
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
            occupied = [t for t in formats(path, self.options.fmt) if t.exists()]
            if all(state_of(t).run_id == execution.run_id for t in occupied):
                occupied = []  # this run, as its provenance says: no need to read it whole
        run, events, since = captured(occupied[0]) if occupied else ("", 0, 0)
        if earlier and run == execution.run_id and len(history.events) <= events:
            return "existing", path  # the same run, no further than when captured: leave it
        if occupied and run and run != execution.run_id:
            if since >= start(history):
                # The file holds a later run of the id (this one was selected alone, by its
                # status say), or one as old (a reset run keeps its base run's start): this
                # one goes under a name of its own.
                path = self._own_run_path(execution, execution.run_id, self.options.fmt)
                if any(twin.exists() for twin in formats(path, self.options.fmt)):
                    return "existing", path
                earlier, superseded = [], []
            elif not superseded:  # an earlier run holds it (a capture too): kept, under its name
                superseded = [(t, run_of(t, state_of(t)) or run) for t in occupied]
                earlier = []
        try:
            for old, old_run in superseded:
                target = self._own_run_path(execution, old_run, format_of(old))
                if not move_if_absent(old, target):
                    old.unlink(missing_ok=True)  # that run is there already: a copy
                else:
                    listed = self.listed.get(target.parent)
                    if listed is not None:  # a later selection of that run finds it there
                        self.listed[target.parent] = listed | {target.name}
            atomic_write(path, render(history, provenance, self.options.fmt))
        except OSError as exc:
            raise WriteError(path, exc) from None
        twins = formats(path, self.options.fmt)
        stale: list[Path] = []
        if self.options.overwrite:  # its other formats, and its shape's (never another
            stale += [*twins, *(p for p in replaced if self._ours(state_of(p)))]  # namespace's)
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

    def _ours(self, look: Look) -> bool:
        """Whether a file already there is of this export's namespace (or names none)."""
        return look.namespace in ("", self.connection.namespace)

    def _own_run_path(self, execution: Execution, run_id: str, fmt: str) -> Path:
        """Where run ``run_id`` of the execution's workflow id goes when it is not the latest."""
        run = Execution(execution.workflow_id, run_id, execution.workflow_type, "")
        return history_path(self.options.out_dir, run, fmt, own_run=True, names=self.names)
