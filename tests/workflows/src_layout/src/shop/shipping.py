"""The child workflow of ``shop.orders``, in a module of its own (a second task queue's)."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn
class Shipment:
    @workflow.run
    async def run(self, order_id: str) -> str:
        return f"shipped {order_id}"
