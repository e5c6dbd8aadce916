"""``TenantProvisioning`` whose ``approve`` signal now needs two approvals: a signal handler
change. Old histories carry one ``approve``; the code waits where they went on."""

from __future__ import annotations

from temporalio import workflow

from examples.provisioning.models import ProvisioningInput, ProvisioningResult
from examples.provisioning.workflows import TenantProvisioningWorkflow


@workflow.defn(name="TenantProvisioning")
class FourEyesProvisioning(TenantProvisioningWorkflow):
    def __init__(self) -> None:
        super().__init__()
        self._approvals: list[str] = []

    @workflow.run
    async def run(self, request: ProvisioningInput) -> ProvisioningResult:
        return await super().run(request)

    @workflow.signal
    def approve(self, approver: str) -> None:
        """Two different approvers now."""
        if approver not in self._approvals:
            self._approvals.append(approver)
        if len(self._approvals) >= 2:
            self._approver = approver
