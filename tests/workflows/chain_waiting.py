"""Each run waits for the signal ``go``, then continues as new once (two runs, both waiting)."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="ChainWaiting")
class ChainWaiting:
    def __init__(self) -> None:
        self.going = False

    @workflow.signal
    def go(self) -> None:
        self.going = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: self.going)
        if not order.endswith("-next"):
            workflow.continue_as_new(f"{order}-next")
        return order
