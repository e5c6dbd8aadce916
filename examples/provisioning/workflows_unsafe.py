"""``TenantProvisioning`` version 2 WITHOUT a patch gate: deliberately unsafe, do not deploy.

It issues ``verify_schema`` where version 1 issued ``run_migrations``, so a version 1 execution
that already got past ``create_schema`` fails replay with a nondeterminism error. Executions
still inside their first ``create_schema`` (for example retrying it) replay fine: the first
command, scheduling ``create_schema``, did not change. replaycheck exists to catch this.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from examples.provisioning.models import ProvisioningInput, ProvisioningResult

from examples.provisioning.shared import NotifyTenantWorkflow, ProvisioningWorkflowBase

__all__ = ["NotifyTenantWorkflow", "TenantProvisioningWorkflow"]


@workflow.defn(name="TenantProvisioning")
class TenantProvisioningWorkflow(ProvisioningWorkflowBase):
    """Provision a tenant the version 2 way, even when replaying a version 1 execution."""

    @workflow.run
    async def run(self, request: ProvisioningInput) -> ProvisioningResult:
        schema = await self.prepare_v2(request)
        return await self.approve_and_notify(request, schema)
