"""A Nexus service for the change cases that call Nexus operations, and its handler.

``record_changes`` creates the endpoint :data:`ENDPOINT` on its dev server, targeting its task
queue, and runs :class:`StockHandler` in its worker.
"""

from __future__ import annotations

from datetime import timedelta

import nexusrpc
import nexusrpc.handler
from temporalio import nexus, workflow

ENDPOINT = "replaycheck-changes"
"""The Nexus endpoint the recording's dev server routes to the recording's worker."""


@nexusrpc.service
class Stock:
    """Two operations, so a case can call them in either order, and one that takes a while."""

    quote: nexusrpc.Operation[str, str]
    reserve: nexusrpc.Operation[str, str]
    hold: nexusrpc.Operation[str, str]


@workflow.defn(name="Holding")
class Holding:
    """What ``hold`` runs: it ends after two seconds (a caller's one-second timer fires first)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.sleep(timedelta(seconds=2))
        return f"held {order}"


@nexusrpc.handler.service_handler(service=Stock)
class StockHandler:
    """``quote`` and ``reserve`` answer at once; ``hold`` runs :class:`Holding`."""

    @nexusrpc.handler.sync_operation
    async def quote(self, ctx: nexusrpc.handler.StartOperationContext, order: str) -> str:
        return f"quoted {order}"

    @nexusrpc.handler.sync_operation
    async def reserve(self, ctx: nexusrpc.handler.StartOperationContext, order: str) -> str:
        return f"reserved {order}"

    @nexus.workflow_run_operation
    async def hold(
        self, ctx: nexus.WorkflowRunOperationContext, order: str
    ) -> nexus.WorkflowHandle[str]:
        return await ctx.start_workflow(Holding.run, order, id=f"{order}-hold")


@nexusrpc.service(name="StockV2")
class StockV2:
    """:class:`Stock` under another service name (what ``RenameNexusService`` calls)."""

    quote: nexusrpc.Operation[str, str]
    reserve: nexusrpc.Operation[str, str]
