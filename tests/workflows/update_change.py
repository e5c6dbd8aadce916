"""``Expedite``: waits for an ``expedite`` update, whose handler changes between versions.

``ExpediteV1`` is the code before the change: the handler only sets a flag. ``ExpediteUngated``
makes the handler run a ``notify`` activity first, without a gate; ``ExpediteGated`` gates the
same change with ``workflow.patched(PATCH_ID)``. The run method never changes: only an update
can reach the change. The validator rejects the reason ``"no"``. ``NoUpdates`` has no update
handler at all.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

PATCH_ID = "notify-on-expedite"


@activity.defn
async def prepare(order: str) -> str:
    """Stand-in target: what the run method calls before it waits."""
    return order


@activity.defn
async def notify(reason: str) -> None:
    """The activity the new handler runs first."""


class _Waiting:
    def __init__(self) -> None:
        self.expedited = ""

    async def _run(self, order: str) -> str:
        await workflow.execute_activity(
            prepare, order, start_to_close_timeout=timedelta(seconds=10)
        )
        await workflow.wait_condition(lambda: bool(self.expedited))
        return self.expedited


@workflow.defn(name="Expedite")
class ExpediteV1(_Waiting):
    """Before the change: the handler only records the reason."""

    @workflow.run
    async def run(self, order: str) -> str:
        return await self._run(order)

    @workflow.update
    async def expedite(self, reason: str) -> str:
        self.expedited = reason or "expedited"
        return self.expedited

    @expedite.validator
    def check(self, reason: str) -> None:
        if reason == "no":
            raise ValueError("not expediting")


@workflow.defn(name="Expedite")
class ExpediteUngated(_Waiting):
    """The change without a gate: notify before recording the reason."""

    @workflow.run
    async def run(self, order: str) -> str:
        return await self._run(order)

    @workflow.update
    async def expedite(self, reason: str) -> str:
        await workflow.execute_activity(
            notify, reason, start_to_close_timeout=timedelta(seconds=10)
        )
        self.expedited = reason or "expedited"
        return self.expedited

    @expedite.validator
    def check(self, reason: str) -> None:
        if reason == "no":
            raise ValueError("not expediting")


@workflow.defn(name="Expedite")
class ExpediteGated(_Waiting):
    """The same change, gated."""

    @workflow.run
    async def run(self, order: str) -> str:
        return await self._run(order)

    @workflow.update
    async def expedite(self, reason: str) -> str:
        if workflow.patched(PATCH_ID):
            await workflow.execute_activity(
                notify, reason, start_to_close_timeout=timedelta(seconds=10)
            )
        self.expedited = reason or "expedited"
        return self.expedited

    @expedite.validator
    def check(self, reason: str) -> None:
        if reason == "no":
            raise ValueError("not expediting")


@workflow.defn(name="NoUpdates")
class NoUpdates:
    """No update handler: generate draws exactly what it drew before updates were drawn."""

    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(
            prepare, order, start_to_close_timeout=timedelta(seconds=10)
        )
