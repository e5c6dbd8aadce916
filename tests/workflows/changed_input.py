"""``NotifyTenant`` whose input type gained a required field: old histories no longer decode."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow


@dataclass
class NotificationV2:
    tenant_id: str
    message: str
    channel: str
    """New and required: executions started before the change have no value for it."""


@workflow.defn(name="NotifyTenant")
class NotifyTenantWorkflow:
    @workflow.run
    async def run(self, notification: NotificationV2) -> str:
        return notification.channel
