"""``PinnedSteps`` and ``UpgradingSteps``: run by a versioned worker (Worker Versioning).

``PinnedSteps`` is ``VersioningBehavior.PINNED``, ``UpgradingSteps`` ``AUTO_UPGRADE``; both
reserve, then wait for ``proceed``. This is the code the executions ran on deployment version
``DEPLOYMENT:BUILD_ID`` (``record_pinned`` records them); ``pinned_v2`` audits before it
reserves, which breaks the replay of every recorded execution, pinned or not.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import VersioningBehavior

DEPLOYMENT = "replaycheck-pinned"
BUILD_ID = "v1"
TASK_QUEUE = "pinned-steps"
TIMEOUT = timedelta(seconds=10)


@activity.defn
async def reserve(name: str) -> str:
    """Reserve ``name``."""
    return f"reserved {name}"


@activity.defn
async def audit(name: str) -> str:
    """Audit ``name``."""
    return f"audited {name}"


class Waits:
    def __init__(self) -> None:
        self.go = False

    @workflow.signal
    def proceed(self) -> None:
        """Let the execution finish."""
        self.go = True


@workflow.defn(name="PinnedSteps", versioning_behavior=VersioningBehavior.PINNED)
class PinnedSteps(Waits):
    """Reserve, wait, done."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.execute_activity(reserve, name, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"


@workflow.defn(name="UpgradingSteps", versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
class UpgradingSteps(Waits):
    """Reserve, wait, done."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.execute_activity(reserve, name, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"
