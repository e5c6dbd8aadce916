"""Workflows that cancel a Nexus operation, and the Nexus service they call.

``record_nexus_cancels`` creates the endpoint :data:`ENDPOINT` on its dev server, targeting its
task queue, and runs :class:`ShelfHandler` in its worker. Each case's history holds a Nexus
operation's cancel events (NexusOperationCancelRequested, its answer, the operation's close).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import nexusrpc
import nexusrpc.handler
from temporalio import nexus, workflow
from temporalio.exceptions import NexusOperationError
from temporalio.nexus._operation_handlers import WorkflowRunOperationHandler

ENDPOINT = "replaycheck-nexus-cancels"
"""The Nexus endpoint the recording's dev server routes to the recording's worker."""

PAUSE = timedelta(seconds=1)
"""How long a caller waits before it cancels an operation that has not started yet."""


@nexusrpc.service
class Shelf:
    """``stock`` runs until cancelled, ``restock`` starts after two seconds and then runs until
    cancelled, ``audit`` ends after two seconds and refuses to be cancelled, ``weigh`` is
    synchronous: its handler answers after two seconds (it never starts an operation)."""

    stock: nexusrpc.Operation[str, str]
    restock: nexusrpc.Operation[str, str]
    audit: nexusrpc.Operation[str, str]
    weigh: nexusrpc.Operation[str, str]


@workflow.defn(name="Stocking")
class Stocking:
    """What ``stock`` and ``restock`` run: it waits a minute (a cancel ends it first)."""

    @workflow.run
    async def run(self, item: str) -> str:
        await workflow.sleep(timedelta(minutes=1))
        return f"stocked {item}"


@workflow.defn(name="Auditing")
class Auditing:
    """What ``audit`` runs: it ends after two seconds."""

    @workflow.run
    async def run(self, item: str) -> str:
        await workflow.sleep(timedelta(seconds=2))
        return f"audited {item}"


class _Refusing(WorkflowRunOperationHandler[str, str]):
    """A workflow run operation whose handler refuses every cancel request."""

    async def cancel(self, ctx: nexusrpc.handler.CancelOperationContext, token: str) -> None:
        raise nexusrpc.HandlerError(
            "an audit is never cancelled", type=nexusrpc.HandlerErrorType.BAD_REQUEST
        )


@nexusrpc.handler.service_handler(service=Shelf)
class ShelfHandler:
    """Runs :class:`Stocking` for ``stock`` and ``restock``, :class:`Auditing` for ``audit``."""

    @nexus.workflow_run_operation
    async def stock(
        self, ctx: nexus.WorkflowRunOperationContext, item: str
    ) -> nexus.WorkflowHandle[str]:
        return await ctx.start_workflow(Stocking.run, item, id=f"{item}-stock")

    @nexus.workflow_run_operation
    async def restock(
        self, ctx: nexus.WorkflowRunOperationContext, item: str
    ) -> nexus.WorkflowHandle[str]:
        await asyncio.sleep(2)  # the caller cancels before the operation has started
        return await ctx.start_workflow(Stocking.run, item, id=f"{item}-restock")

    @nexusrpc.handler.operation_handler
    def audit(self) -> nexusrpc.handler.OperationHandler[str, str]:
        async def start(
            ctx: nexusrpc.handler.StartOperationContext, item: str
        ) -> nexus.WorkflowHandle[str]:
            context = nexus.WorkflowRunOperationContext._from_start_operation_context(ctx)
            return await context.start_workflow(Auditing.run, item, id=f"{item}-audit")

        return _Refusing(start)

    @nexusrpc.handler.sync_operation
    async def weigh(self, ctx: nexusrpc.handler.StartOperationContext, item: str) -> str:
        await asyncio.sleep(2)  # the caller cancels while the handler runs
        return f"weighed {item}"


def _client() -> workflow.NexusClient[Shelf]:
    return workflow.create_nexus_client(service=Shelf, endpoint=ENDPOINT)


async def _cancelled(handle: workflow.NexusOperationHandle[str]) -> str:
    """Cancel a started operation and say how it ended."""
    handle.cancel()
    try:
        return await handle
    except NexusOperationError as err:
        return f"cancelled: {type(err.cause).__name__}"


@workflow.defn(name="CancelStartedNexus")
class CancelStartedNexus:
    """Cancels a started operation and waits for it to end cancelled (the default type)."""

    @workflow.run
    async def run(self, item: str) -> str:
        return await _cancelled(await _client().start_operation(Shelf.stock, item))


@workflow.defn(name="CancelNexusWaitRequested")
class CancelNexusWaitRequested:
    """Cancels a started operation and waits only for the handler to take the request."""

    @workflow.run
    async def run(self, item: str) -> str:
        handle = await _client().start_operation(
            Shelf.stock, item,
            cancellation_type=workflow.NexusOperationCancellationType.WAIT_REQUESTED,
        )  # fmt: skip
        outcome = await _cancelled(handle)
        await workflow.sleep(PAUSE)  # the operation's close comes meanwhile
        return outcome


@workflow.defn(name="CancelNexusTried")
class CancelNexusTried:
    """Cancels a started operation and goes on at once (TRY_CANCEL)."""

    @workflow.run
    async def run(self, item: str) -> str:
        handle = await _client().start_operation(
            Shelf.stock, item,
            cancellation_type=workflow.NexusOperationCancellationType.TRY_CANCEL,
        )  # fmt: skip
        outcome = await _cancelled(handle)
        await workflow.sleep(PAUSE)  # the server answers the request meanwhile
        return outcome


@workflow.defn(name="CancelNexusBeforeStart")
class CancelNexusBeforeStart:
    """Cancels an operation whose handler has not started it yet."""

    @workflow.run
    async def run(self, item: str) -> str:
        call = asyncio.ensure_future(_client().execute_operation(Shelf.restock, item))
        await workflow.sleep(PAUSE)
        call.cancel()
        try:
            return await call
        except (NexusOperationError, asyncio.CancelledError) as err:
            return f"cancelled: {type(err).__name__}"


@workflow.defn(name="CancelNexusRefused")
class CancelNexusRefused:
    """Asks to cancel an operation whose handler refuses; the operation then completes."""

    @workflow.run
    async def run(self, item: str) -> str:
        return await _cancelled(await _client().start_operation(Shelf.audit, item))


@workflow.defn(name="CancelNexusRefusedWaitRequested")
class CancelNexusRefusedWaitRequested:
    """As :class:`CancelNexusRefused`, waiting only for the answer to the request."""

    @workflow.run
    async def run(self, item: str) -> str:
        handle = await _client().start_operation(
            Shelf.audit, item,
            cancellation_type=workflow.NexusOperationCancellationType.WAIT_REQUESTED,
        )  # fmt: skip
        return await _cancelled(handle)


async def _sync_cancelled(cancellation_type: workflow.NexusOperationCancellationType) -> str:
    """Cancel a call of the synchronous ``weigh`` while its handler runs; say how it ended."""
    call = asyncio.ensure_future(
        _client().execute_operation(Shelf.weigh, "shelf", cancellation_type=cancellation_type)
    )
    await workflow.sleep(PAUSE)
    call.cancel()
    try:
        return await call
    except (NexusOperationError, asyncio.CancelledError) as err:
        return f"cancelled: {type(err).__name__}"
    finally:
        await workflow.sleep(PAUSE * 3)  # the handler's answer comes meanwhile


@workflow.defn(name="CancelSyncNexus")
class CancelSyncNexus:
    """Cancels a synchronous operation while its handler runs (the default type). TRY_CANCEL
    is not recorded: temporalio 1.35 fails every workflow task after its cancel ("Failed to
    find nexus operation handle")."""

    @workflow.run
    async def run(self, item: str) -> str:
        return await _sync_cancelled(workflow.NexusOperationCancellationType.WAIT_COMPLETED)


@workflow.defn(name="CancelSyncNexusWaitRequested")
class CancelSyncNexusWaitRequested:
    """As :class:`CancelSyncNexus`, waiting only for the answer to the request."""

    @workflow.run
    async def run(self, item: str) -> str:
        return await _sync_cancelled(workflow.NexusOperationCancellationType.WAIT_REQUESTED)


CASES = (CancelStartedNexus, CancelNexusWaitRequested, CancelNexusTried, CancelNexusBeforeStart,
         CancelNexusRefused, CancelNexusRefusedWaitRequested, CancelSyncNexus,
         CancelSyncNexusWaitRequested)  # fmt: skip
"""The callers, one recorded history each."""
