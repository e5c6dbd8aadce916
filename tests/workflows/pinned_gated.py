"""``PinnedSteps`` with its change gated: it audits before it reserves only when
``workflow.patched("audit-first")`` says so (``UpgradingSteps`` is unchanged).

Every execution recorded under ``tests.workflows.pinned`` (``record_pinned``) passed the gate
before it existed, so replays take the old branch: ``replaycheck patches`` keeps both branches
for the ones that are not pinned, and says when only pinned ones hold the verdict.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import VersioningBehavior

from tests.workflows.pinned import TIMEOUT, UpgradingSteps, Waits, audit, reserve

__all__ = ["PinnedSteps", "UpgradingSteps"]


@workflow.defn(name="PinnedSteps", versioning_behavior=VersioningBehavior.PINNED)
class PinnedSteps(Waits):
    """The change, gated: audit first."""

    @workflow.run
    async def run(self, name: str) -> str:
        if workflow.patched("audit-first"):
            await workflow.execute_activity(audit, name, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(reserve, name, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"
