"""The versioning guide's next change to ``TenantProvisioning``: a step added after ``prepare_v2``.

``SeedAgainGated`` runs ``seed_data`` once more after ``prepare_v2`` behind
``workflow.patched(PATCH_ID)``, with no else: the settle timer that ``approve_and_notify``
starts still runs after it, so the gate only adds a step. ``SeedAgainRemoved`` is the same
step with the gate gone. ``record_lifecycle`` records ``SeedAgainGated`` executions; replayed
against ``SeedAgainRemoved`` with version 2 histories (``prov-v2-…``, which ran the timer where
the step now is), the fix puts the gate back with no else.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from examples.provisioning.activities import seed_data
    from examples.provisioning.models import ProvisioningInput, ProvisioningResult

from examples.provisioning.shared import ProvisioningWorkflowBase
from examples.provisioning.workflows import PATCH_ID as SCHEMA_PATCH_ID

PATCH_ID = "seed-again"
TASK_QUEUE = "provisioning-seed-again"


@workflow.defn(name="TenantProvisioning")
class SeedAgainGated(ProvisioningWorkflowBase):
    """Version 2, and behind ``PATCH_ID`` the tenant seeded again after its migrations."""

    @workflow.run
    async def run(self, request: ProvisioningInput) -> ProvisioningResult:
        if workflow.patched(SCHEMA_PATCH_ID):
            schema = await self.prepare_v2(request)
            if workflow.patched(PATCH_ID):
                await self._step(seed_data, request)
        else:
            schema = await self.prepare_v1(request)
        return await self.approve_and_notify(request, schema)


@workflow.defn(name="TenantProvisioning")
class SeedAgainRemoved(ProvisioningWorkflowBase):
    """``SeedAgainGated`` with the gate of ``PATCH_ID`` removed too early."""

    @workflow.run
    async def run(self, request: ProvisioningInput) -> ProvisioningResult:
        if workflow.patched(SCHEMA_PATCH_ID):
            schema = await self.prepare_v2(request)
            await self._step(seed_data, request)
        else:
            schema = await self.prepare_v1(request)
        return await self.approve_and_notify(request, schema)
