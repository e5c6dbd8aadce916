"""``NotifyTenant`` as in the example, printing while it runs (the output a replay produces)."""

from __future__ import annotations

import sys

from temporalio import workflow

from examples.provisioning.models import Notification
from examples.provisioning.shared import NotifyTenantWorkflow


@workflow.defn(name="NotifyTenant")
class NoisyNotifyTenant(NotifyTenantWorkflow):
    @workflow.run
    async def run(self, notification: Notification) -> str:
        print(f"notifying {notification.tenant_id}", file=sys.stderr)
        return await super().run(notification)
