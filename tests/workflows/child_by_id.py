"""A workflow that names its child after its own workflow id, as many do."""

from __future__ import annotations

from temporalio import workflow

from tests.workflows.changes_common import PackOrder

__all__ = ["PackOrder", "ShipWithChild"]  # both are registered: the module is the spec


@workflow.defn(name="ShipWithChild")
class ShipWithChild:
    @workflow.run
    async def run(self, order: str) -> str:
        child_id = f"{workflow.info().workflow_id}-pack"
        return await workflow.execute_child_workflow(PackOrder.run, order, id=child_id)
