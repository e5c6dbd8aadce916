"""A workflow reaching its activities through a module (``acts.fetch``), a common layout."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from tests.workflows import changes_common as acts


@workflow.defn(name="ModuleActivities")
class ModuleActivities:
    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(
            acts.fetch, order, start_to_close_timeout=acts.TIMEOUT
        )
