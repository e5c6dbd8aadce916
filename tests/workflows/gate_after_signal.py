"""``GateAfterSignal``: waits for a ``go`` signal, then reaches a patch gate.

``GateAfterSignalV1`` is the code before the change, ``GateAfterSignalV2`` gates the change with
``workflow.patched(PATCH_ID)``. An execution still waiting for ``go`` has not reached the gate:
whichever code started it, it takes the new branch when it gets there, so ``replaycheck
patches`` must report it as "not reached yet", not as an old-branch execution.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

PATCH_ID = "nap-after-go"
TASK_QUEUE_V1 = "gate-after-signal-v1"
TASK_QUEUE_V2 = "gate-after-signal-v2"


class _Waiting:
    def __init__(self) -> None:
        self.go = False

    @workflow.signal
    def proceed(self) -> None:
        """Let the execution go on to the gate."""
        self.go = True


@workflow.defn(name="GateAfterSignal")
class GateAfterSignalV1(_Waiting):
    """Before the change: finish as soon as ``proceed`` arrives."""

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.go)
        return "done"


@workflow.defn(name="GateAfterSignal")
class GateAfterSignalV2(_Waiting):
    """The change, gated: take a short nap before finishing."""

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.go)
        if workflow.patched(PATCH_ID):
            await workflow.sleep(timedelta(milliseconds=10))
            return "done after a nap"
        return "done"
