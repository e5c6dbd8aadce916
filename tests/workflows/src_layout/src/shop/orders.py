"""A workflow that starts ``shop.shipping``'s child, imported as the project's code imports it:
``shop.shipping``, not ``src.shop.shipping``."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from shop.shipping import Shipment


@workflow.defn
class Order:
    @workflow.run
    async def run(self, order_id: str) -> str:
        return await workflow.execute_child_workflow(Shipment.run, order_id, id=f"ship-{order_id}")
