"""Workflow code shared by every version of ``TenantProvisioning``.

The versions differ only in how they prepare the tenant's database: :meth:`prepare_v1` and
:meth:`prepare_v2` below. Everything else (the ``approve`` signal, the ``status`` query, the
approval wait and the ``NotifyTenant`` child workflow) is the same in all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from examples.provisioning.activities import (
        create_schema,
        run_migrations,
        seed_data,
        send_notification,
        verify_schema,
    )
    from examples.provisioning.models import (
        AWAITING_APPROVAL,
        Notification,
        ProvisioningInput,
        ProvisioningResult,
    )

STEP_TIMEOUT = timedelta(seconds=10)
"""Start-to-close timeout of every activity."""

SETTLE_DELAY = timedelta(seconds=1)
"""Timer between preparing the tenant and asking for approval."""

SCHEMA_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=["UnknownPlan"])
"""Version 2 retries ``create_schema`` at most five times (version 1 retried forever)."""


@workflow.defn(name="NotifyTenant")
class NotifyTenantWorkflow:
    """Child workflow: tell the tenant their workspace is ready."""

    @workflow.run
    async def run(self, notification: Notification) -> str:
        return await workflow.execute_activity(
            send_notification, notification, start_to_close_timeout=STEP_TIMEOUT
        )


class ProvisioningWorkflowBase:
    """State, signal, query and steps of ``TenantProvisioning``; each version adds ``run``."""

    def __init__(self) -> None:
        self._status = "starting"
        self._approver: str | None = None

    @workflow.signal
    def approve(self, approver: str) -> None:
        """Let the provisioning finish."""
        self._approver = approver

    @workflow.query
    def status(self) -> str:
        """The current step (queries never affect replay)."""
        return self._status

    async def prepare_v1(self, request: ProvisioningInput) -> str:
        """Version 1: create the schema, run the migrations, seed the data."""
        schema = await self._step(create_schema, request)
        await self._step(run_migrations, request)
        await self._step(seed_data, request)
        return schema

    async def prepare_v2(self, request: ProvisioningInput) -> str:
        """Version 2: bounded schema retries and a verification; seed before migrating."""
        schema = await self._step(create_schema, request, retry_policy=SCHEMA_RETRY)
        await self._step(verify_schema, request)
        await self._step(seed_data, request)
        await self._step(run_migrations, request)
        return schema

    async def approve_and_notify(
        self, request: ProvisioningInput, schema: str
    ) -> ProvisioningResult:
        """Wait a moment, wait for the ``approve`` signal, then run ``NotifyTenant``."""
        self._status = "settling"
        await workflow.sleep(SETTLE_DELAY)
        self._status = AWAITING_APPROVAL
        await workflow.wait_condition(lambda: self._approver is not None)
        approver = self._approver or ""
        self._status = "notifying"
        notification = await workflow.execute_child_workflow(
            NotifyTenantWorkflow.run,
            Notification(request.tenant_id, approver, schema),
            id=f"{workflow.info().workflow_id}-notify",
        )
        self._status = "done"
        return ProvisioningResult(request.tenant_id, schema, approver, notification)

    async def _step(
        self,
        activity: Callable[[ProvisioningInput], Awaitable[str]],
        request: ProvisioningInput,
        retry_policy: RetryPolicy | None = None,
    ) -> str:
        self._status = activity.__name__
        return await workflow.execute_activity(
            activity, request, start_to_close_timeout=STEP_TIMEOUT, retry_policy=retry_policy
        )
