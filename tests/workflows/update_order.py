"""``Approval``: waits for an ``approve`` signal and an ``expedite`` update, in either order.

Only an update accepted before the signal arrives makes the run method call an activity once
both have come: ``hold`` in ``ApprovalV1``, ``escalate`` in ``ApprovalUngated`` (no gate). A
history where the signal came first replays under either; one where the update came first
does not.

``LateApprovalV1`` and ``LateApprovalUngated`` make the same change, but take the signal and
the update into account only once they wait, after a child (``Steps``) has made every activity
call a message can be drawn for (at ``max_steps=6``): only a signal and an update that both go
out when the execution waits, the update first, reach it.

``SlowToAccept`` never accepts an update; ``DynamicHandlers`` has only dynamic signal and
update handlers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RawValue


@activity.defn
async def hold() -> None:
    """What the code before the change runs for an update that came before the signal."""


@activity.defn
async def escalate() -> None:
    """What the changed code runs instead."""


@activity.defn
async def step() -> None:
    """One of the steps the child runs before the workflow waits."""


class _Approval:
    def __init__(self) -> None:
        self.approved = False
        self.expedited = False
        self.expedited_first = False

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.update
    def expedite(self) -> None:
        self.expedited_first = not self.approved
        self.expedited = True

    async def _both(self) -> bool:
        await workflow.wait_condition(lambda: self.approved and self.expedited)
        return self.expedited_first


@workflow.defn(name="Approval")
class ApprovalV1(_Approval):
    """Before the change: an update before the signal holds."""

    @workflow.run
    async def run(self) -> None:
        if await self._both():
            await workflow.execute_activity(hold, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="Approval")
class ApprovalUngated(_Approval):
    """The change, without a gate: an update before the signal escalates."""

    @workflow.run
    async def run(self) -> None:
        if await self._both():
            await workflow.execute_activity(escalate, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="DynamicHandlers")
class DynamicHandlers:
    """Only dynamic handlers: their names are unknown, so generate draws nothing for them."""

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.done)

    @workflow.signal(dynamic=True)
    def any_signal(self, name: str, args: Sequence[RawValue]) -> None:
        self.done = True

    @workflow.update(dynamic=True)
    def any_update(self, name: str, args: Sequence[RawValue]) -> None:
        self.done = True


STEPS = 6


@workflow.defn(name="Steps")
class Steps:
    """Makes activity calls 1 to ``STEPS`` at once, in the child's workflow task 1."""

    @workflow.run
    async def run(self) -> None:
        timeout = timedelta(seconds=10)
        await asyncio.gather(
            *(workflow.execute_activity(step, start_to_close_timeout=timeout) for _ in range(STEPS))
        )


class _LateApproval:
    def __init__(self) -> None:
        self.waiting = False
        self.approved = False
        self.expedited = False
        self.expedited_first = False

    @workflow.signal
    def approve(self) -> None:
        if self.waiting:
            self.approved = True

    @workflow.update
    def expedite(self) -> None:
        if self.waiting:
            self.expedited_first = not self.approved
            self.expedited = True

    async def _both(self) -> bool:
        await workflow.execute_child_workflow(Steps.run, id=f"{workflow.info().workflow_id}-steps")
        self.waiting = True
        await workflow.wait_condition(lambda: self.approved and self.expedited)
        return self.expedited_first


@workflow.defn(name="LateApproval")
class LateApprovalV1(_LateApproval):
    """Before the change: an update before the signal, both while it waits, holds."""

    @workflow.run
    async def run(self) -> None:
        if await self._both():
            await workflow.execute_activity(hold, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="LateApproval")
class LateApprovalUngated(_LateApproval):
    """The change, without a gate."""

    @workflow.run
    async def run(self) -> None:
        if await self._both():
            await workflow.execute_activity(escalate, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="SlowToAccept")
class SlowToAccept:
    """Its ``expedite`` handler fails the workflow task (a bug, not an update failure), so the
    execution never accepts an update: every drawn one times out."""

    def __init__(self) -> None:
        self.expedited = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.expedited)

    @workflow.update
    def expedite(self) -> None:
        raise RuntimeError("a bug in the handler fails the workflow task")
