"""``Approval``: one command path, reached with or without a handler having run.

A preapproved execution goes straight on; the others wait until the ``approve`` signal or one
of the ``approve_now`` / ``expedite`` updates arrives. Either way the workflow makes the same
commands (a short timer, then completion; an update adds its acceptance and completion), so
only what the execution received tells the executions apart. ``ApprovalRenamed`` renames the
signal handler (``approve`` -> ``approve_order``) and ``ApprovalRushed`` the ``expedite`` update
handler (-> ``rush``): unsafe changes that only the executions that received those show.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

TASK_QUEUE = "approvals"


class _Approval:
    def __init__(self) -> None:
        self.approved = False

    async def _run(self, preapproved: bool) -> str:
        if not preapproved:
            await workflow.wait_condition(lambda: self.approved)
        await workflow.sleep(timedelta(milliseconds=10))
        return "shipped"

    @workflow.update
    def approve_now(self) -> None:
        """Approve and wait for no one."""
        self.approved = True


class _Signal:
    approved: bool

    @workflow.signal
    def approve(self) -> None:
        self.approved = True


class _Expedite:
    approved: bool

    @workflow.update
    def expedite(self) -> None:
        """Approve, the express way (the same effect, another handler)."""
        self.approved = True


@workflow.defn(name="Approval")
class Approval(_Approval, _Signal, _Expedite):
    @workflow.run
    async def run(self, preapproved: bool) -> str:
        return await self._run(preapproved)


@workflow.defn(name="Approval")
class ApprovalRenamed(_Approval, _Expedite):
    @workflow.run
    async def run(self, preapproved: bool) -> str:
        return await self._run(preapproved)

    @workflow.signal
    def approve_order(self) -> None:
        """Renamed: histories that received ``approve`` no longer find their handler."""
        self.approved = True


@workflow.defn(name="Approval")
class ApprovalRushed(_Approval, _Signal):
    @workflow.run
    async def run(self, preapproved: bool) -> str:
        return await self._run(preapproved)

    @workflow.update
    def rush(self) -> None:
        """Renamed: histories that accepted ``expedite`` no longer find their handler."""
        self.approved = True
