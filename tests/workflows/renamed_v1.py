"""A gated workflow whose histories ``tests/fixtures/renamed`` holds (recorded by
``python -m tests.workflows.record_renamed``); ``renamed_v2`` registers one of its activities
under another name, the workflow code unchanged."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from tests.workflows.changes_common import TIMEOUT, charge, fetch


@workflow.defn(name="RenameRegisteredInGate")
class RenameRegisteredInGate:
    @workflow.run
    async def run(self, order: str) -> str:
        if workflow.patched("charge-first"):
            await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
            return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


WORKFLOWS = (RenameRegisteredInGate,)
