"""A Nexus service for the change cases that call Nexus operations, and its handler.

``record_changes`` creates the endpoint :data:`ENDPOINT` on its dev server, targeting its task
queue, and runs :class:`StockHandler` in its worker.
"""

from __future__ import annotations

import nexusrpc
import nexusrpc.handler

ENDPOINT = "replaycheck-changes"
"""The Nexus endpoint the recording's dev server routes to the recording's worker."""


@nexusrpc.service
class Stock:
    """Two operations, so a case can call them in either order."""

    quote: nexusrpc.Operation[str, str]
    reserve: nexusrpc.Operation[str, str]


@nexusrpc.handler.service_handler(service=Stock)
class StockHandler:
    """Answers at once (synchronous operations: no workflow of their own)."""

    @nexusrpc.handler.sync_operation
    async def quote(self, ctx: nexusrpc.handler.StartOperationContext, order: str) -> str:
        return f"quoted {order}"

    @nexusrpc.handler.sync_operation
    async def reserve(self, ctx: nexusrpc.handler.StartOperationContext, order: str) -> str:
        return f"reserved {order}"


@nexusrpc.service(name="StockV2")
class StockV2:
    """:class:`Stock` under another service name (what ``RenameNexusService`` calls)."""

    quote: nexusrpc.Operation[str, str]
    reserve: nexusrpc.Operation[str, str]
