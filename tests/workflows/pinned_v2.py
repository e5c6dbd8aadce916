"""``PinnedSteps`` and ``UpgradingSteps`` changed: they audit before they reserve (the
executions recorded under ``tests.workflows.pinned`` no longer replay)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import VersioningBehavior

from tests.workflows.pinned import TIMEOUT, Waits, audit, reserve


@workflow.defn(name="PinnedSteps", versioning_behavior=VersioningBehavior.PINNED)
class PinnedSteps(Waits):
    """The change: audit first."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.execute_activity(audit, name, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(reserve, name, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"


@workflow.defn(name="UpgradingSteps", versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
class UpgradingSteps(Waits):
    """The change: audit first."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.execute_activity(audit, name, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(reserve, name, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"
