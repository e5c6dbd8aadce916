"""``TenantProvisioning`` version 1: the original code, kept so its histories can be recorded.

create_schema → run_migrations → seed_data → 1 s timer → ``approve`` signal → ``NotifyTenant``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from examples.provisioning.models import ProvisioningInput, ProvisioningResult

from examples.provisioning.shared import NotifyTenantWorkflow, ProvisioningWorkflowBase

__all__ = ["NotifyTenantWorkflow", "TenantProvisioningWorkflow"]


@workflow.defn(name="TenantProvisioning")
class TenantProvisioningWorkflow(ProvisioningWorkflowBase):
    """Provision a tenant the version 1 way."""

    @workflow.run
    async def run(self, request: ProvisioningInput) -> ProvisioningResult:
        schema = await self.prepare_v1(request)
        return await self.approve_and_notify(request, schema)
