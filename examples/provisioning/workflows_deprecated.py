"""``TenantProvisioning`` with the patch deprecated: version 2 only, the version 1 branch deleted.

The step after ``workflows``: once ``replaycheck patches`` says the patch is *ready to deprecate*
(no execution that may still be replayed took the version 1 branch), replace
``workflow.patched(PATCH_ID)`` with ``workflow.deprecate_patch(PATCH_ID)`` and delete the ``else``
branch. New executions still record the (now deprecated) marker and executions started by the
gated code keep replaying; the call itself can go once the report says *ready to remove*.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from examples.provisioning.models import ProvisioningInput, ProvisioningResult

from examples.provisioning.shared import NotifyTenantWorkflow, ProvisioningWorkflowBase

__all__ = ["PATCH_ID", "NotifyTenantWorkflow", "TenantProvisioningWorkflow"]

PATCH_ID = "schema-retry-seed-first"


@workflow.defn(name="TenantProvisioning")
class TenantProvisioningWorkflow(ProvisioningWorkflowBase):
    """Provision a tenant the version 2 way; the patch marker is kept, deprecated."""

    @workflow.run
    async def run(self, request: ProvisioningInput) -> ProvisioningResult:
        workflow.deprecate_patch(PATCH_ID)
        schema = await self.prepare_v2(request)
        return await self.approve_and_notify(request, schema)
