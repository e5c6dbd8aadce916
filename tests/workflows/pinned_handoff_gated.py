"""``HandoffSteps`` with its change gated: it audits before it reserves only when
``workflow.patched("audit-first")`` says so (``HandoffUpgrading`` is unchanged).

The recorded first run (``tests.workflows.pinned_handoff``, pinned) passed the gate before it
existed; the run it continued into, of the other type, never reaches the gate.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import VersioningBehavior

from tests.workflows.pinned import TIMEOUT, audit, reserve
from tests.workflows.pinned_handoff import HandoffUpgrading

__all__ = ["HandoffSteps", "HandoffUpgrading"]


@workflow.defn(name="HandoffSteps", versioning_behavior=VersioningBehavior.PINNED)
class HandoffSteps:
    """The change, gated: audit first."""

    @workflow.run
    async def run(self, name: str) -> str:
        if workflow.patched("audit-first"):
            await workflow.execute_activity(audit, name, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(reserve, name, start_to_close_timeout=TIMEOUT)
        workflow.continue_as_new(name, workflow=HandoffUpgrading.run)
