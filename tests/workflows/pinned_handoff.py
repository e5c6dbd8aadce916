"""``HandoffSteps`` continues as new into ``HandoffUpgrading``: run by a versioned worker.

``HandoffSteps`` is ``VersioningBehavior.PINNED``: it reserves, then continues as new into
``HandoffUpgrading`` (``AUTO_UPGRADE``), which reserves and waits for ``proceed``. So the first
run of an execution is pinned to ``DEPLOYMENT:BUILD_ID`` and the run it continued into is not
(``record_pinned.record_handoff`` records them); ``pinned_handoff_gated`` is the new code.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import VersioningBehavior

from tests.workflows.pinned import TIMEOUT, Waits, reserve

DEPLOYMENT = "replaycheck-handoff"
BUILD_ID = "v1"
TASK_QUEUE = "pinned-handoff"


@workflow.defn(name="HandoffUpgrading", versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
class HandoffUpgrading(Waits):
    """Reserve, wait, done."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.execute_activity(reserve, name, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"


@workflow.defn(name="HandoffSteps", versioning_behavior=VersioningBehavior.PINNED)
class HandoffSteps:
    """Reserve, then hand over to a run of ``HandoffUpgrading``."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.execute_activity(reserve, name, start_to_close_timeout=TIMEOUT)
        workflow.continue_as_new(name, workflow=HandoffUpgrading.run)
