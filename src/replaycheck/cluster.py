"""Reading a Temporal cluster: which executions a selection matches, and their histories.

Shared by ``replaycheck export`` (:mod:`replaycheck.export`) and ``check --live``
(:mod:`replaycheck.live`). Histories are fetched concurrently, at most ``concurrency`` at a time
and never more than that ahead of whoever consumes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from replaycheck.connection import RPC_TIMEOUT, Connection, cluster_error
from replaycheck.errors import ConfigError, ReplaycheckError

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History
    from temporalio.client import Client

DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True)
class Selection:
    """Which executions: a visibility query, or workflow ids (their latest runs)."""

    query: str = ""
    workflow_ids: tuple[str, ...] = ()
    limit: int | None = None
    """At most this many executions."""

    def __post_init__(self) -> None:
        # The same id twice is one execution.
        object.__setattr__(self, "workflow_ids", tuple(dict.fromkeys(self.workflow_ids)))

    def check(self, *, cli: bool = False) -> None:
        """Raises ConfigError unless exactly one way of selecting is used, naming the
        arguments of ``Selection`` (``cli``: the command's ``--query`` and ``--workflow-id``)."""
        words = _CLI_WORDS if cli else _PYTHON_WORDS
        if any(not i.strip() for i in self.workflow_ids):
            raise ConfigError(words["blank"])
        if self.query and self.workflow_ids:
            raise ConfigError(words["both"])
        if not self.query and not self.workflow_ids:
            raise ConfigError(words["none"])


_CLI_WORDS = {
    "blank": "--workflow-id needs a workflow id; an empty or blank one selects nothing.",
    "both": "give either --query or --workflow-id, not both.",
    "none": "select executions with --query \"WorkflowType='MyWorkflow'\" or --workflow-id ID.",
}
_PYTHON_WORDS = {
    "blank": "Selection(workflow_ids=...) holds an empty or blank workflow id, which selects "
    "nothing; pass only workflow ids.",
    "both": "give Selection(query=...) or Selection(workflow_ids=...), not both: a selection "
    "is by query or by workflow ids.",
    # Only export() checks a Selection from Python (configured_selection() fills in an empty one).
    "none": "export() was given no query and no workflow ids: pass "
    "Selection(query=\"WorkflowType='MyWorkflow'\") or Selection(workflow_ids=(ID, ...)), or "
    "configured_selection(load_settings(), Selection()) for every execution of the configured "
    "workflows' types.",
}


@dataclass(frozen=True)
class Execution:
    """One selected execution, as the server listed or described it."""

    workflow_id: str
    run_id: str
    workflow_type: str
    status: str
    """``RUNNING``, ``COMPLETED``, ... as visibility reported it."""


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


async def count_of_type(client: Client, workflow_type: str) -> tuple[int | None, str]:
    """How many executions of ``workflow_type`` the server keeps (running, or closed within the
    retention), by a visibility count; ``None`` if the server cannot tell, with its reason
    (:func:`refusal_reason`)."""
    from datetime import timedelta

    from temporalio.service import RPCError

    from replaycheck.live import query_literal

    query = f"WorkflowType = {query_literal(workflow_type)}"
    try:
        count = await client.count_workflows(query, rpc_timeout=timedelta(seconds=RPC_TIMEOUT))
    except RPCError as exc:
        return None, refusal_reason(exc.message)
    return count.count, ""


def refusal_reason(message: str, limit: int = 160) -> str:
    """The server's reason for a refusal, on one line: its message's first line, without a
    final period ('' when it gave none, or a line longer than ``limit``, a dump to leave out)."""
    line = next((x.strip() for x in message.splitlines() if x.strip()), "").rstrip(".")
    return line if len(line) <= limit else ""


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


# --------------------------------------------------------------------------- reading histories


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
