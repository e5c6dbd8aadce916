"""``renamed_v1`` with its activity ``charge`` registered as ``charge_card``
(``@activity.defn(name=...)``): every statement is as it was, the name the history recorded
is not."""

from __future__ import annotations

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from tests.workflows.changes_common import TIMEOUT, fetch


@activity.defn(name="charge_card")
async def charge(order: str) -> str:
    """``changes_common.charge``, registered under a new name."""
    return f"charged {order}"


@workflow.defn(name="RenameRegisteredInGate")
class RenameRegisteredInGate:
    @workflow.run
    async def run(self, order: str) -> str:
        if workflow.patched("charge-first"):
            # change: RenameRegisteredInGate (the next line)
            await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
            return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
