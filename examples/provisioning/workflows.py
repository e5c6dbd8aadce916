"""``TenantProvisioning`` as deployed now: version 2 behind a patch gate.

New executions take the version 2 path (bounded schema retries, ``verify_schema``, seed before
migrating). Executions started by version 1 replay without the patch marker in their history, so
``workflow.patched`` returns ``False`` for them and they keep taking the version 1 path.

Once no version 1 execution is left running, replace ``workflow.patched`` with
``workflow.deprecate_patch(PATCH_ID)`` and delete the ``else`` branch.
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
    """Provision a tenant: version 2 for new executions, version 1 for old ones."""

    @workflow.run
    async def run(self, request: ProvisioningInput) -> ProvisioningResult:
        if workflow.patched(PATCH_ID):
            schema = await self.prepare_v2(request)
        else:
            schema = await self.prepare_v1(request)
        return await self.approve_and_notify(request, schema)
