"""Activities of the provisioning workflows.

They only pretend to touch a database, and their failures are injected deterministically (from
the input and the attempt number), so recording the fixtures again reproduces the same histories.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from examples.provisioning.models import Notification, ProvisioningInput

PLANS = ("free", "standard", "enterprise")


@activity.defn
async def create_schema(request: ProvisioningInput) -> str:
    """Create the tenant's schema; returns its name.

    Fails (and is retried) while the attempt number is at most ``request.fail_schema_attempts``;
    fails for good on an unknown plan.
    """
    if request.plan not in PLANS:
        raise ApplicationError(
            f"unknown plan {request.plan!r}", type="UnknownPlan", non_retryable=True
        )
    attempt = activity.info().attempt
    if attempt <= request.fail_schema_attempts:
        raise ApplicationError(
            f"database not ready (injected failure, attempt {attempt})", type="DatabaseNotReady"
        )
    return f"tenant_{request.tenant_id}"


@activity.defn
async def verify_schema(request: ProvisioningInput) -> str:
    """Check the schema exists (version 2 only)."""
    return f"tenant_{request.tenant_id} verified"


@activity.defn
async def run_migrations(request: ProvisioningInput) -> str:
    """Bring the tenant's schema to the latest migration."""
    return f"tenant_{request.tenant_id} migrated"


@activity.defn
async def seed_data(request: ProvisioningInput) -> str:
    """Insert the plan's starter data."""
    return f"tenant_{request.tenant_id} seeded for {request.plan}"


@activity.defn
async def send_notification(notification: Notification) -> str:
    """Tell the tenant their workspace is ready."""
    return f"notified {notification.tenant_id} (approved by {notification.approver})"


ALL_ACTIVITIES = (create_schema, verify_schema, run_migrations, seed_data, send_notification)
"""Every activity, for registering with a worker."""
