"""``replaycheck check --live``: histories stream from a cluster straight into the replay worker.

Nothing is written to disk. A thread fetches histories with asyncio (``cluster.fetch_histories``)
while this thread feeds them to one :class:`~replaycheck.replay.WorkerSession` and collects the
verdicts. Memory stays bounded whatever the number of matching executions: a history takes one
of ``concurrency`` slots from the moment its fetch starts until its verdict is back, so at most
``concurrency`` histories are held at any time, fetching, waiting or in the replay worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from replaycheck._pinning import pinned_version
from replaycheck.cluster import (
    Execution,
    Selection,
    close_status,
    count_of_type,
    fetch_histories,
    has_completed_task,
    iter_executions,
)
from replaycheck.connection import Connection, connect_reading_retention
from replaycheck.errors import ConfigError, NoHistoriesError, ReplaycheckError
from replaycheck.replay import ReplayJob, WorkerSession
from replaycheck.verdict import Verdict

WINDOW = 2
"""Histories queued in the replay worker at once (one replaying, one ready to go)."""


@dataclass
class LiveStats:
    """What a live check saw besides the verdicts."""

    query: str = ""
    """The visibility query used (the default one when none was given)."""
    matched: int = 0
    not_started: int = 0
    """Executions skipped: no workflow task completed yet, nothing to replay."""
    not_found: int = 0
    """Selected workflow ids the cluster does not know (each an ``error`` verdict)."""
    pinned: int = 0
    """Executions left out as pinned (``skip_pinned``)."""
    pinned_types: set[str] = field(default_factory=set)
    """The workflow types of those."""
    pinned_runs: set[str] = field(default_factory=set)
    """Their run ids (a run continued as new from one of them does not miss it)."""
    most_held: int = 0
    """The most histories held in memory at once (never above ``concurrency``)."""
    retention_days: float | None = None
    """The namespace's retention, as the server said it (``None``: not said)."""
    read_types: dict[str, int] = field(default_factory=dict)
    """How many of the executions that matched are of each workflow type (ids the server does
    not know have none)."""
    kept_types: dict[str, int | None] = field(default_factory=dict)
    """With ``count_kept``: how many executions of each type in :attr:`read_types` the server
    keeps (``None``: it did not say), so a narrowed selection tells what it left out."""
    count_refused: str = ""
    """The server's reason for the first count of :attr:`kept_types` it did not give ('')."""
    plugin_workflows: tuple[str, ...] = ()
    """``module:qualname`` of each workflow class the job's plugins add, as the replay worker
    registered them."""


def default_query(types: Sequence[str], *, running: bool = True) -> str:
    """Running executions (``running=False``: every execution the server keeps) of the
    registered workflow types (of any type for a dynamic one)."""
    status = "ExecutionStatus = 'Running'" if running else ""
    if not types or "*" in types:
        return status
    quoted = ", ".join(query_literal(name) for name in sorted(types))
    of_types = f"WorkflowType IN ({quoted})"
    return f"{status} AND {of_types}" if status else of_types


def default_selection(
    types: Sequence[str], selection: Selection, *, running: bool = True, cli: bool = False
) -> Selection:
    """``selection``; when it has no query and no workflow ids, :func:`default_query` of
    ``types`` (the registered workflow types) with its limit.

    Raises:
        ConfigError: ``running=False`` and a dynamic workflow (``*``), which may serve any
            workflow type, is registered: only a query can say which executions to read
            (``Selection(query=...)``; ``cli``: the command's ``--query``).
    """
    if selection.query or selection.workflow_ids:
        return selection
    if "*" in types and not running:
        query = "WorkflowType='MyWorkflow'"
        raise ConfigError(
            "the code registers a dynamic workflow, which may serve any workflow type: "
            "select the executions to read with "
            + (f'--query "{query}".' if cli else f'Selection(query="{query}").')
        )
    return Selection(default_query(types, running=running), (), selection.limit)


def registered_types(job: ReplayJob) -> tuple[str, ...]:
    """The workflow type names ``job``'s code registers, as the replay worker names them
    (``@workflow.defn(name=...)`` may be any expression; a plugin may add workflows): a replay
    worker is started for it and stopped. ``*`` stands for a dynamic workflow.

    Raises:
        WorkflowImportError / ConfigError: the workflow code or its setup cannot be loaded.
    """
    with WorkerSession(job) as session:
        return session.workflow_types()


def query_literal(name: str) -> str:
    """``name`` as a visibility-query string literal."""
    return f'"{name}"' if "'" in name else f"'{name}'"


def live_name(execution: Execution) -> str:
    """How a live history is named in reports: ``live:<workflow-id>/<run-id>``."""
    return f"live:{execution.workflow_id}/{execution.run_id}"


def check_live(
    job: ReplayJob,
    connection: Connection,
    selection: Selection,
    *,
    concurrency: int = 16,
    on_result: Callable[[Verdict], None] | None = None,
    running: bool = True,
    skip_pinned: bool = False,
    count_kept: bool = False,
    cli: bool = False,
) -> tuple[list[Verdict], LiveStats]:
    """Replay the selected executions' histories as they arrive from the cluster.

    Without a query or workflow ids, selects :func:`default_query` of the workflow types the
    replay worker registered (``running``: only running executions). ``skip_pinned``: leave
    out executions whose history says they are pinned to a deployment version (counted in
    :attr:`LiveStats.pinned`). ``count_kept``: also count the executions the server keeps of
    each workflow type read (:attr:`LiveStats.kept_types`). Verdicts come back in selection
    order. ``cli``: messages name the command's options (``--query``, ``--namespace``,
    ``--skip-pinned``), not ``Selection(query=...)``, ``ConnectionOptions(namespace=...)`` and
    ``skip_pinned=True``.

    Raises:
        WorkflowImportError / ConfigError: the workflow code or converter cannot be loaded.
        ClusterConnectionError: the cluster cannot be reached, refuses us, or goes away.
        NoHistoriesError: nothing matched, so nothing was checked.
    """
    stats = LiveStats()
    with WorkerSession(job) as session:
        types = session.workflow_types()  # fails fast on import errors; names the types
        stats.plugin_workflows = session.plugin_workflows
        selection = default_selection(types, selection, running=running, cli=cli)
        stats.query = selection.query
        fetcher = _Fetcher(connection, selection, concurrency, stats, skip_pinned=skip_pinned,
                           count_kept=count_kept)  # fmt: skip
        fetcher.start()
        try:
            verdicts = _replay_stream(session, fetcher, on_result, cli)
        finally:
            fetcher.stop()
    if not verdicts:
        raise _nothing_checked(connection, stats, cli)
    return [verdicts[k] for k in sorted(verdicts)], stats


NAMESPACE = {True: "--namespace", False: "ConnectionOptions(namespace=...)"}
"""The namespace as the caller gives it (``cli``: the command's option)."""


def _nothing_checked(connection: Connection, stats: LiveStats, cli: bool) -> NoHistoriesError:
    from replaycheck.report import plural

    what = f"the query {stats.query!r}" if stats.query else "the workflow ids"
    where = f"in namespace {connection.namespace!r}"
    if stats.pinned and not stats.not_started:
        one = stats.pinned == 1
        skip, drop = ("--skip-pinned", "drop --skip-pinned") if cli else (
            "skip_pinned=True", "call again without skip_pinned=True")  # fmt: skip
        return NoHistoriesError(
            f"{plural(stats.pinned, 'execution')} {where} matched {what}, but "
            f"{'it is' if one else 'every one is'} pinned to a deployment version and "
            f"{skip} left it out, so nothing was checked; {drop} to check "
            f"{'it' if one else 'them'}."
        )
    if stats.not_started:  # every execution that matched is waiting for its first task
        one = stats.not_started == 1
        subject, them = ("it has not", "it") if one else ("none of them has", "them")
        return NoHistoriesError(
            f"{plural(stats.not_started, 'execution')} {where} matched {what}, but {subject} "
            f"completed a workflow task yet (no worker has picked {them} up), so there is "
            "nothing to check; check again once a worker has run the first workflow task."
        )
    widen = "widen --query" if cli else "widen the query (Selection(query=...))"
    namespace = NAMESPACE[cli] if cli else f"the namespace ({NAMESPACE[cli]})"
    return NoHistoriesError(
        f"no execution {where} matched {what}, so nothing was checked; {widen} or "
        f"check {namespace}."
    )


def _replay_stream(
    session: WorkerSession,
    fetcher: _Fetcher,
    on_result: Callable[[Verdict], None] | None,
    cli: bool,
) -> dict[int, Verdict]:
    """Feed the worker at most ``WINDOW`` histories ahead; collect verdicts by position."""
    verdicts: dict[int, Verdict] = {}
    finished = False
    window = min(WINDOW, fetcher.concurrency)
    while True:
        while not finished and session.in_flight < window:
            try:
                item = fetcher.results.get(block=session.in_flight == 0)
            except queue.Empty:
                break
            if item is None:
                finished = True
            elif isinstance(item, BaseException):
                raise item
            else:
                position, execution, data = item
                if data is None:
                    verdicts[position] = _not_found(execution, cli)
                    fetcher.release()
                else:
                    name = live_name(execution)
                    session.submit_history(
                        position, name, data, workflow_id=execution.workflow_id,
                        status=execution.status,
                    )  # fmt: skip
        if session.in_flight == 0:
            if finished:
                return verdicts
            continue
        position, verdict = session.next_verdict()
        fetcher.release()
        verdicts[position] = verdict
        if on_result is not None:
            on_result(verdict)


def _not_found(execution: Execution, cli: bool) -> Verdict:
    return Verdict(
        path=f"live:{execution.workflow_id}",
        verdict="error",
        message=f"workflow {execution.workflow_id!r} was not found; check the id and "
        f"{NAMESPACE[cli]}",
        workflow_id=execution.workflow_id,
    )


Item = tuple[int, Execution, "bytes | None"]


class _Fetcher:
    """The fetching thread: an asyncio loop that puts ``Item``s, then ``None`` (or an error)."""

    def __init__(
        self,
        connection: Connection,
        selection: Selection,
        concurrency: int,
        stats: LiveStats,
        *,
        skip_pinned: bool = False,
        count_kept: bool = False,
    ) -> None:
        self.connection = connection
        self.skip_pinned = skip_pinned
        self.count_kept = count_kept
        self.selection = selection
        self.concurrency = concurrency
        self.stats = stats
        self.results: queue.Queue[Item | BaseException | None] = queue.Queue()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.slots: asyncio.Semaphore | None = None
        self.task: asyncio.Task[None] | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="replaycheck-fetch", daemon=True)
        self.held = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        self.thread.start()
        self.ready.wait()

    def release(self) -> None:
        """A history is done with (its verdict is in): let another fetch start."""
        with self.lock:
            self.held -= 1
        if self.loop is not None and self.slots is not None:
            with contextlib.suppress(RuntimeError):  # fetching is over: the loop is closed
                self.loop.call_soon_threadsafe(self.slots.release)

    def stop(self) -> None:
        """Cancel whatever is still being fetched and wait for the thread."""
        if self.loop is not None and self.task is not None:
            with contextlib.suppress(RuntimeError):  # the loop may have finished already
                self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(timeout=30)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # never leave the replaying thread waiting
            self.results.put(exc)
        finally:
            self.ready.set()

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.slots = asyncio.Semaphore(self.concurrency)
        self.task = asyncio.current_task()
        self.ready.set()
        try:
            await self._produce()
            self.results.put(None)
        except asyncio.CancelledError:
            self.results.put(None)
        except ReplaycheckError as exc:
            self.results.put(exc)
        except BaseException as exc:  # a bug: report it in the main thread, not here
            self.results.put(exc)

    async def _produce(self) -> None:
        client, self.stats.retention_days = await connect_reading_retention(self.connection)
        executions = iter_executions(client, self.connection, self.selection)
        fetched = fetch_histories(
            client, self.connection, executions, self.concurrency, slots=self.slots,
            on_slot=self._took,
        )  # fmt: skip
        read = self.stats.read_types
        async for position, execution, history in fetched:
            self.stats.matched += 1
            if execution.workflow_type:
                read[execution.workflow_type] = read.get(execution.workflow_type, 0) + 1
            if history is not None and not has_completed_task(history):
                self.stats.not_started += 1
                self.release()
                continue
            if history is not None and self.skip_pinned and pinned_version(history):
                self.stats.pinned += 1
                self.stats.pinned_types.add(execution.workflow_type)
                self.stats.pinned_runs.add(execution.run_id)
                self.release()
                continue
            self.stats.not_found += history is None
            data = None if history is None else history.SerializeToString()
            status = close_status(history) if history is not None else execution.status
            execution = Execution(
                execution.workflow_id, execution.run_id, execution.workflow_type, status
            )
            self.results.put((position, execution, data))
        if self.count_kept:
            for workflow_type in sorted(read):
                kept, refused = await count_of_type(client, workflow_type)
                self.stats.kept_types[workflow_type] = kept
                self.stats.count_refused = self.stats.count_refused or refused

    def _took(self) -> None:
        with self.lock:
            self.held += 1
            self.stats.most_held = max(self.stats.most_held, self.held)
