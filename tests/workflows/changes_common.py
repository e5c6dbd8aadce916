"""Activities, child workflows and a signal/cancel target for ``changes_v1`` and ``changes_v2``.

``changes_v1`` is the recorded baseline (histories in ``tests/fixtures/changes``, recorded by
``python -m tests.workflows.record_changes``); ``changes_v2`` changes each workflow type in one
way, so replaying the baseline histories against it shows one kind of diagnosis per type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RawValue, SearchAttributeKey
from temporalio.exceptions import ApplicationError

TIMEOUT = timedelta(seconds=10)
"""Start-to-close timeout of every activity."""
PAUSE = timedelta(seconds=1)
"""The timers of the timer cases."""
STAGE = SearchAttributeKey.for_keyword("ChangeStage")
"""The custom search attribute of ``AddUpsert`` (registered by the recording's dev server)."""


@activity.defn
async def fetch(order: str) -> str:
    """First step of every case."""
    return f"fetched {order}"


@activity.defn
async def charge(order: str) -> str:
    """Second step."""
    return f"charged {order}"


@activity.defn
async def bill(order: str) -> str:
    """What ``charge`` is renamed to."""
    return f"billed {order}"


@activity.defn
async def lookup(order: str) -> str:
    """A local activity."""
    return f"looked up {order}"


@activity.defn
async def find(order: str) -> str:
    """What the local activity ``lookup`` is renamed to."""
    return f"found {order}"


@activity.defn
async def audit(order: str) -> str:
    """An activity only the changed code runs (added by the addition cases)."""
    return f"audited {order}"


@activity.defn
async def slow(order: str) -> str:
    """Runs about 4 s, heartbeating, so the ``PAUSE`` timer fires while it runs."""
    for _ in range(8):
        activity.heartbeat()
        await asyncio.sleep(0.5)
    return f"slowly {order}"


@activity.defn
async def decline(order: str) -> str:
    """Always fails, once (not retried): the failure cases catch it, or not."""
    raise ApplicationError(f"declined {order}", non_retryable=True)


ACTIVITIES = (fetch, charge, bill, lookup, find, slow, audit, decline)


@workflow.defn(name="PackOrder")
class PackOrder:
    """A child workflow."""

    @workflow.run
    async def run(self, order: str) -> str:
        return f"packed {order}"


@workflow.defn(name="GiftWrapOrder")
class GiftWrapOrder:
    """The child workflow type ``PackOrder`` is changed to."""

    @workflow.run
    async def run(self, order: str) -> str:
        return f"wrapped {order}"


@workflow.defn(name="Sink")
class Sink:
    """Target of the signal and cancel cases: waits for any signal (or a cancel request)."""

    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.signal(dynamic=True)
    def any_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Remember the signal's name."""
        self.signals.append(name)

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: bool(self.signals))
        return self.signals


@workflow.defn(name="Lingering")
class Lingering:
    """A child that, once cancelled, takes one ``PAUSE`` before it ends cancelled (so a parent
    waiting for the request only goes on before the child's cancellation)."""

    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.wait_condition(lambda: False)
        except asyncio.CancelledError:
            await workflow.sleep(PAUSE)
            raise
