"""Data passed to and from the provisioning workflows and activities, and shared constants."""

from __future__ import annotations

from dataclasses import dataclass

TASK_QUEUE = "provisioning"
"""Task queue the provisioning workers poll."""

AWAITING_APPROVAL = "awaiting approval"
"""What the ``status`` query returns while the workflow waits for the ``approve`` signal."""


@dataclass
class ProvisioningInput:
    """A request to provision one tenant."""

    tenant_id: str
    plan: str = "standard"
    """One of ``activities.PLANS``; any other plan fails ``create_schema`` without retrying."""
    fail_schema_attempts: int = 0
    """Failure injection: ``create_schema`` fails its first this-many attempts."""


@dataclass
class Notification:
    """Input of the ``NotifyTenant`` child workflow."""

    tenant_id: str
    approver: str
    schema: str


@dataclass
class ProvisioningResult:
    """What a completed ``TenantProvisioning`` execution returns."""

    tenant_id: str
    schema: str
    approver: str
    notification: str
