"""A workflow that names its child after its own workflow id, as many do."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="PackChild")
class PackChild:
    @workflow.run
    async def run(self, order: str) -> str:
        return f"packed {order}"


@workflow.defn(name="ShipWithChild")
class ShipWithChild:
    @workflow.run
    async def run(self, order: str) -> str:
        child_id = f"{workflow.info().workflow_id}-pack"
        return await workflow.execute_child_workflow(PackChild.run, order, id=child_id)
