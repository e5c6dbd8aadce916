"""Capturing histories from a Temporal cluster into history files.

Executions are selected by a visibility query or by workflow ids; their histories are fetched
concurrently (at most ``concurrency`` at a time, never more than that ahead of whoever consumes
them) and written atomically as ``DIR/<WorkflowType>/<workflow-id>.json`` with provenance.
Payloads are written exactly as the server stores them (still encoded, e.g. encrypted).
``dedupe`` keeps one history per shape (:mod:`replaycheck.shapes`).
"""

from __future__ import annotations

import asyncio
import datetime
import gzip
import hashlib
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replaycheck.connection import RPC_TIMEOUT, Connection, cluster_error, connect
from replaycheck.errors import ClusterConnectionError, ConfigError, ReplaycheckError
from replaycheck.histories import Provenance, atomic_write, history_message_json_bytes
from replaycheck.shapes import Shape, history_shape

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History
    from temporalio.client import Client

SUFFIXES = {"json": ".json", "gzip": ".json.gz", "binpb": ".binpb"}
"""File suffix of each output format."""
DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True)
class Selection:
    """Which executions: a visibility query, or workflow ids (their latest runs)."""

    query: str = ""
    workflow_ids: tuple[str, ...] = ()
    limit: int | None = None
    """At most this many executions."""

    def check(self) -> None:
        """Raises ConfigError unless exactly one way of selecting is used."""
        if self.query and self.workflow_ids:
            raise ConfigError("give either --query or --workflow-id, not both.")
        if not self.query and not self.workflow_ids:
            raise ConfigError(
                "select executions with --query \"WorkflowType='MyWorkflow'\" or --workflow-id ID."
            )


@dataclass(frozen=True)
class Execution:
    """One selected execution, as the server listed or described it."""

    workflow_id: str
    run_id: str
    workflow_type: str
    status: str
    """``RUNNING``, ``COMPLETED``, ... as visibility reported it."""


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
    """Skipped: the file was already there (no ``overwrite``)."""
    not_started: int = 0
    """Skipped: no workflow task completed yet, so there is nothing to replay."""
    missing: list[str] = field(default_factory=list)
    """Workflow ids (or ``id/run``) the server did not have."""
    shapes: int | None = None
    """Distinct shapes, with ``dedupe``."""
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


def history_path(out_dir: Path, execution: Execution, fmt: str) -> Path:
    """``out_dir/<WorkflowType>/<workflow-id><suffix>``."""
    return (
        out_dir
        / safe_name(execution.workflow_type)
        / (safe_name(execution.workflow_id) + SUFFIXES[fmt])
    )


def render(history: History, provenance: Provenance | None, fmt: str) -> bytes:
    """The file content of a history in ``fmt`` (``binpb`` cannot hold provenance)."""
    if fmt == "binpb":
        return history.SerializeToString(deterministic=True)
    data = history_message_json_bytes(history, provenance)
    return gzip.compress(data, mtime=0) if fmt == "gzip" else data


# --------------------------------------------------------------------------- selecting


async def iter_executions(
    client: Client, connection: Connection, selection: Selection
) -> AsyncIterator[Execution]:
    """The selected executions, in the server's order (a query) or the given order (ids).

    Workflow ids the server does not know are yielded with an empty run id.

    Raises:
        ClusterConnectionError / ConfigError: the server failed or rejected the query.
    """
    if selection.workflow_ids:
        for workflow_id in selection.workflow_ids[: selection.limit]:
            yield await _describe(client, connection, workflow_id)
        return
    from datetime import timedelta

    from temporalio.service import RPCError

    listing = client.list_workflows(
        selection.query, limit=selection.limit, rpc_timeout=timedelta(seconds=RPC_TIMEOUT)
    )
    try:
        async for info in listing:
            status = info.status.name if info.status is not None else ""
            yield Execution(info.id, info.run_id, info.workflow_type, status)
    except RPCError as exc:
        raise _listing_error(exc, connection, selection.query) from None


async def count_executions(client: Client, selection: Selection) -> int | None:
    """How many executions the selection matches (``None`` if the server cannot tell)."""
    if selection.workflow_ids:
        return len(selection.workflow_ids[: selection.limit])
    from datetime import timedelta

    from temporalio.service import RPCError

    try:
        count = await client.count_workflows(
            selection.query, rpc_timeout=timedelta(seconds=RPC_TIMEOUT)
        )
    except RPCError:
        return None  # listing will report a real problem with a better message
    total = count.count
    return total if selection.limit is None else min(total, selection.limit)


def _listing_error(exc: Any, connection: Connection, query: str) -> ReplaycheckError:
    if exc.status.name == "INVALID_ARGUMENT":
        return ConfigError(f"the server rejected the query {query!r}: {exc.message}; fix --query.")
    return cluster_error(exc, connection, "listing executions")


async def _describe(client: Client, connection: Connection, workflow_id: str) -> Execution:
    from datetime import timedelta

    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError

    request = DescribeWorkflowExecutionRequest(
        namespace=connection.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
    )
    try:
        response = await client.workflow_service.describe_workflow_execution(
            request, retry=True, timeout=timedelta(seconds=RPC_TIMEOUT)
        )
    except RPCError as exc:
        if exc.status.name == "NOT_FOUND":
            return Execution(workflow_id, "", "", "")
        raise cluster_error(exc, connection, f"describing workflow {workflow_id!r}") from None
    info = response.workflow_execution_info
    status = WorkflowExecutionStatus(info.status).name if info.status else ""
    return Execution(workflow_id, info.execution.run_id, info.type.name, status)


# --------------------------------------------------------------------------- fetching


async def fetch_history(
    client: Client, connection: Connection, execution: Execution
) -> History | None:
    """The whole history of one run, every page; ``None`` if the server no longer has it."""
    from datetime import timedelta

    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.history.v1 import History
    from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
    from temporalio.service import RPCError

    request = GetWorkflowExecutionHistoryRequest(
        namespace=connection.namespace,
        execution=WorkflowExecution(workflow_id=execution.workflow_id, run_id=execution.run_id),
    )
    history: History | None = None
    while True:
        try:
            response = await client.workflow_service.get_workflow_execution_history(
                request, retry=True, timeout=timedelta(seconds=RPC_TIMEOUT)
            )
        except RPCError as exc:
            if exc.status.name == "NOT_FOUND":
                return None
            doing = f"fetching the history of {execution.workflow_id!r}"
            raise cluster_error(exc, connection, doing) from None
        if history is None:
            history = response.history
        else:
            history.events.extend(response.history.events)
        if not response.next_page_token:
            return history if history is not None else History()
        request.next_page_token = response.next_page_token


Fetched = tuple[int, Execution, "History | None"]
"""``(position in the selection, execution, history or None if gone)``."""


async def fetch_histories(
    client: Client,
    connection: Connection,
    executions: AsyncIterable[Execution],
    concurrency: int,
    *,
    slots: asyncio.Semaphore | None = None,
    on_slot: Callable[[], None] | None = None,
) -> AsyncIterator[Fetched]:
    """Fetch the histories of ``executions``, ``concurrency`` at a time, as they arrive.

    At most ``concurrency`` histories are being fetched or waiting for the consumer at once,
    whatever the number of executions: the next fetch starts only when the consumer has taken
    a finished one. With ``slots``, each fetch first takes a slot (then calls ``on_slot``) that
    the consumer gives back when it is done with the history, which bounds what the consumer
    holds too. Executions with an empty run id (unknown ids) come back with ``None``.
    """
    source = aiter(executions)
    pending: set[asyncio.Task[Fetched]] = set()
    position = 0
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < concurrency:
                if slots is not None:
                    if pending and slots.locked():
                        break  # wait for a fetch to finish rather than for a slot
                    await slots.acquire()
                try:
                    execution = await anext(source)
                except StopAsyncIteration:
                    exhausted = True
                    if slots is not None:
                        slots.release()
                    break
                if on_slot is not None:
                    on_slot()
                task = asyncio.ensure_future(_fetch_one(client, connection, position, execution))
                pending.add(task)
                position += 1
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            failed = [task for task in done if task.exception() is not None]
            finished = sorted(task.result() for task in done if task.exception() is None)
            for item in finished:  # hand over what arrived before reporting a failure
                yield item
            if failed:
                raise failed[0].exception()  # type: ignore[misc]
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _fetch_one(
    client: Client, connection: Connection, position: int, execution: Execution
) -> Fetched:
    if not execution.run_id:
        return position, execution, None
    return position, execution, await fetch_history(client, connection, execution)


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
        ReplaycheckError: a file cannot be written.
    """
    selection.check()
    return asyncio.run(_export(connection, selection, options, on_start, on_progress))


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
        self.best: dict[Shape, tuple[tuple[bool, int], Execution, History]] = {}
        self.writes: set[asyncio.Future[tuple[str, Path]]] = set()

    async def run(self, client: Client, pool: Executor) -> None:
        """Fetch and write everything; files in the works are finished even on failure."""
        try:
            await self._fetch_all(client, pool)
            if self.options.dedupe:
                self.result.shapes = len(self.best)
                for _, execution, history in self.best.values():
                    await self._write(pool, execution, history)
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
                self._consider(execution, history)
                self._done()
            else:
                await self._write(pool, execution, history)

    async def _to_fetch(self, client: Client) -> AsyncIterator[Execution]:
        """Selected executions that need fetching: not on disk yet, first run of each id."""
        async for execution in iter_executions(client, self.connection, self.selection):
            self.result.matched += 1
            key = (execution.workflow_type, execution.workflow_id)
            if execution.run_id and key in self.seen:
                self._done()  # an older run of an id already selected
                continue
            self.seen.add(key)
            path = history_path(self.options.out_dir, execution, self.options.fmt)
            if execution.run_id and not self.options.dedupe and not self._wanted(path):
                self.result.existing += 1
                self._done()
                continue
            yield execution

    def _wanted(self, path: Path) -> bool:
        return self.options.overwrite or not path.exists()

    def _done(self) -> None:
        self.result.done += 1
        self.on_progress(self.result)

    def _consider(self, execution: Execution, history: History) -> None:
        if not has_completed_task(history):
            self.result.not_started += 1
            return
        shape = history_shape(history)
        running = close_status(history) == "RUNNING"
        rank = (running, history.events[0].event_time.ToNanoseconds())
        current = self.best.get(shape)
        if current is None or rank > current[0]:
            self.best[shape] = (rank, execution, history)

    async def _write(self, pool: Executor, execution: Execution, history: History) -> None:
        """Write in a thread (rendering, fsync), at most ``concurrency`` writes pending."""
        while len(self.writes) >= self.options.concurrency:
            done, self.writes = await asyncio.wait(self.writes, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                future.result()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(pool, self._write_file, execution, history)
        future.add_done_callback(self._count)
        self.writes.add(future)

    def _count(self, future: asyncio.Future[tuple[str, Path]]) -> None:
        """Count a finished write (in the event loop's thread, never in a writer thread)."""
        if future.cancelled() or future.exception() is not None:
            return
        outcome, path = future.result()
        if outcome == "written":
            self.result.written.append(path)
        elif outcome == "existing":
            self.result.existing += 1
        else:
            self.result.not_started += 1
        self._done()

    def _write_file(self, execution: Execution, history: History) -> tuple[str, Path]:
        """Render and write one history (runs in a writer thread); returns what happened."""
        path = history_path(self.options.out_dir, execution, self.options.fmt)
        if not has_completed_task(history):
            return "not_started", path
        if self.options.dedupe and not self._wanted(path):
            return "existing", path
        started = history.events[0].workflow_execution_started_event_attributes
        provenance = Provenance(
            workflow_id=execution.workflow_id,
            workflow_type=started.workflow_type.name or execution.workflow_type,
            namespace=self.connection.namespace,
            address=self.connection.display_address,
            query=self.selection.query,
            captured_at=self.captured_at,
            status=close_status(history),
        )
        try:
            atomic_write(path, render(history, provenance, self.options.fmt))
        except OSError as exc:
            raise ReplaycheckError(
                f"cannot write {path} ({exc.strerror or exc}); check the output directory (-o)."
            ) from None
        return "written", path


def has_completed_task(history: History) -> bool:
    """Whether a workflow task completed: without one, replay has nothing to check."""
    from temporalio.api.enums.v1 import EventType

    completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    return any(event.event_type == completed for event in history.events)


_CLOSE_EVENTS = {
    f"workflow_execution_{name.lower()}_event_attributes": name
    for name in ("COMPLETED", "FAILED", "CANCELED", "TERMINATED", "TIMED_OUT", "CONTINUED_AS_NEW")
}


def close_status(history: History) -> str:
    """``RUNNING``, or the status the history's last event closed the execution with."""
    if not history.events:
        return "RUNNING"
    return _CLOSE_EVENTS.get(history.events[-1].WhichOneof("attributes") or "", "RUNNING")
