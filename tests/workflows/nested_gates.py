"""``NestedGates``: a patch gate inside the new branch of an older one, and one after both.

Each class is the workflow type ``NestedGates`` as deployed at one time: ``NestedGatesV1``
before any gate, ``NestedGatesV2`` with the gate ``OUTER`` (a new step), ``NestedGatesV3`` with
``INNER`` inside ``OUTER``'s new branch (a newer step, reached only from ``prepare``, which only
that branch calls) and ``LATER`` after both (a step added before the wait). An execution that
took ``OUTER``'s old branch never meets ``INNER``, running or not, and passes ``LATER``'s place
once it is past the first step. Every step is an activity of its own, so replaying down the
wrong branch is a nondeterminism error.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

from replaycheck.versioning import DEFAULT_VERSION, get_version

OUTER = "nested-outer"
INNER = "nested-inner"
LATER = "nested-later"
VERSION = "nested-version"
TIMEOUT = timedelta(seconds=10)


@activity.defn
async def old_step() -> str:
    """The step before any change."""
    return "old"


@activity.defn
async def new_step() -> str:
    """The step of ``OUTER``'s new branch."""
    return "new"


@activity.defn
async def newer_step() -> str:
    """The step of ``INNER``'s new branch."""
    return "newer"


@activity.defn
async def later_step() -> str:
    """The step ``LATER`` adds."""
    return "later"


ACTIVITIES = [old_step, new_step, newer_step, later_step]


class _Waiting:
    def __init__(self) -> None:
        self.go = False

    @workflow.signal
    def proceed(self) -> None:
        """Let the execution finish."""
        self.go = True


@workflow.defn(name="NestedGates")
class NestedGatesV1(_Waiting):
    """Before any gate: the old step, then wait for ``proceed``."""

    @workflow.run
    async def run(self) -> str:
        await workflow.execute_activity(old_step, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"


@workflow.defn(name="NestedGates")
class NestedGatesV2(_Waiting):
    """``OUTER`` gates the new step."""

    @workflow.run
    async def run(self) -> str:
        if workflow.patched(OUTER):
            await workflow.execute_activity(new_step, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(old_step, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"


@workflow.defn(name="NestedGates")
class NestedGatesV3(_Waiting):
    """``INNER`` inside ``OUTER``'s new branch (in ``prepare``), ``LATER`` after both."""

    @workflow.run
    async def run(self) -> str:
        if workflow.patched(OUTER):
            await self.prepare()
        else:
            await workflow.execute_activity(old_step, start_to_close_timeout=TIMEOUT)
        if workflow.patched(LATER):
            await workflow.execute_activity(later_step, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"

    async def prepare(self) -> None:
        """The new branch of ``OUTER``."""
        if workflow.patched(INNER):
            await workflow.execute_activity(newer_step, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(new_step, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="NestedGates")
class NestedGatesV3Inline(_Waiting):
    """``NestedGatesV3`` with ``INNER`` written inside ``OUTER``'s ``if`` itself."""

    @workflow.run
    async def run(self) -> str:
        if workflow.patched(OUTER):
            if workflow.patched(INNER):
                await workflow.execute_activity(newer_step, start_to_close_timeout=TIMEOUT)
            else:
                await workflow.execute_activity(new_step, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(old_step, start_to_close_timeout=TIMEOUT)
        if workflow.patched(LATER):
            await workflow.execute_activity(later_step, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"


@workflow.defn(name="NestedGates")
class NestedGatesV3Version(_Waiting):
    """``NestedGatesV2`` with a ``get_version`` change (``VERSION``) in ``OUTER``'s new branch;
    replays the ``v1`` and ``v2`` executions (no history is recorded by it)."""

    @workflow.run
    async def run(self) -> str:
        if workflow.patched(OUTER):
            if get_version(VERSION, DEFAULT_VERSION, 1) == DEFAULT_VERSION:
                await workflow.execute_activity(new_step, start_to_close_timeout=TIMEOUT)
            else:
                await workflow.execute_activity(newer_step, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(old_step, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.go)
        return "done"


RECORDED_AT = {"v1": NestedGatesV1, "v2": NestedGatesV2, "v3": NestedGatesV3}
"""The code each recorded execution was started by (its task queue is ``nested-<name>``)."""
