"""``NarrowedGate``: ``GateAfterSignalV2`` under a workflow type of its own, whose executions
``tests/test_patches.py`` starts on the session's dev server (all waiting before the gate), so
a live selection of some or all of them is the test's alone."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from tests.workflows.gate_after_signal import PATCH_ID, _Waiting

TYPE_NAME = "NarrowedGate"
TASK_QUEUE = "narrowed-gate"


@workflow.defn(name=TYPE_NAME)
class NarrowedGate(_Waiting):
    """Waits for ``proceed``, then takes the gated nap."""

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.go)
        if workflow.patched(PATCH_ID):
            await workflow.sleep(timedelta(milliseconds=10))
            return "done after a nap"
        return "done"
