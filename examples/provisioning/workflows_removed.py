"""``TenantProvisioning`` after the patch was removed: version 2 only, no patch call left.

The last step after ``workflows_deprecated``, taken when ``replaycheck patches`` says *ready to
remove*: no execution that may still be replayed recorded a non-deprecated marker. The code is
the same as ``workflows_unsafe``; what makes it safe is the histories it meets, which is what
``replaycheck patches`` and ``replaycheck check`` prove.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from examples.provisioning.models import ProvisioningInput, ProvisioningResult

from examples.provisioning.shared import NotifyTenantWorkflow, ProvisioningWorkflowBase

__all__ = ["NotifyTenantWorkflow", "TenantProvisioningWorkflow"]


@workflow.defn(name="TenantProvisioning")
class TenantProvisioningWorkflow(ProvisioningWorkflowBase):
    """Provision a tenant the version 2 way, with no patch call."""

    @workflow.run
    async def run(self, request: ProvisioningInput) -> ProvisioningResult:
        schema = await self.prepare_v2(request)
        return await self.approve_and_notify(request, schema)
