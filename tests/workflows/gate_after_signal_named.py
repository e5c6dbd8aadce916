"""``GateAfterSignalV2`` registered under a name the source does not spell out
(``@workflow.defn(name=TYPE_NAME)``): ``replaycheck patches --live`` must select its executions
by the registered name, as the replay worker reads it, not by the class name."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from tests.workflows.gate_after_signal import PATCH_ID, _Waiting

TYPE_NAME = "".join(("GateAfter", "Signal"))


@workflow.defn(name=TYPE_NAME)
class NamedGate(_Waiting):
    """``GateAfterSignalV2``, under a computed name."""

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.go)
        if workflow.patched(PATCH_ID):
            await workflow.sleep(timedelta(milliseconds=10))
            return "done after a nap"
        return "done"
