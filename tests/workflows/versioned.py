"""``Versioned``: one change made in three steps with ``replaycheck.versioning.get_version``.

Each class is the workflow type ``Versioned`` as deployed at one time (pick one with
``tests.workflows.versioned:ClassName``): ``VersionedPre`` before the change, ``VersionedMax1``,
``VersionedMax2`` and ``VersionedMax3`` after each step. Every version runs a different activity,
so replaying a history down the wrong branch is a nondeterminism error. ``VersionedMin2`` drops
the branches of ``DEFAULT_VERSION`` and version 1; ``VersionedBadRange`` calls ``get_version``
with min > max.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

from replaycheck.versioning import DEFAULT_VERSION, get_version

CHANGE_ID = "steps"
STEP_TIMEOUT = timedelta(seconds=10)


@activity.defn
async def step(name: str) -> str:
    """The work before the change."""
    return f"ran {name}"


@activity.defn(name="step_v1")
async def step_v1() -> str:
    """The work of version 1; each version has its own activity type."""
    return "ran v1"


@activity.defn(name="step_v2")
async def step_v2() -> str:
    return "ran v2"


@activity.defn(name="step_v3")
async def step_v3() -> str:
    return "ran v3"


async def _run_step(name: str) -> str:
    return await workflow.execute_activity(step, name, start_to_close_timeout=STEP_TIMEOUT)


@workflow.defn(name="Versioned")
class VersionedPre:
    """Before the change."""

    @workflow.run
    async def run(self) -> str:
        return await _run_step("pre")


@workflow.defn(name="Versioned")
class VersionedMax1:
    """The change, version 1."""

    @workflow.run
    async def run(self) -> str:
        version = get_version(CHANGE_ID, DEFAULT_VERSION, 1)
        if version == DEFAULT_VERSION:
            return await _run_step("pre")
        return await workflow.execute_activity("step_v1", start_to_close_timeout=STEP_TIMEOUT)


@workflow.defn(name="Versioned")
class VersionedMax2:
    """Version 2 on top of version 1."""

    @workflow.run
    async def run(self) -> str:
        version = get_version(CHANGE_ID, DEFAULT_VERSION, 2)
        if version == DEFAULT_VERSION:
            return await _run_step("pre")
        if version == 1:
            return await workflow.execute_activity("step_v1", start_to_close_timeout=STEP_TIMEOUT)
        return await workflow.execute_activity("step_v2", start_to_close_timeout=STEP_TIMEOUT)


@workflow.defn(name="Versioned")
class VersionedMax3:
    """Version 3 on top of versions 1 and 2."""

    @workflow.run
    async def run(self) -> str:
        version = get_version(CHANGE_ID, DEFAULT_VERSION, 3)
        if version == DEFAULT_VERSION:
            return await _run_step("pre")
        if version == 1:
            return await workflow.execute_activity("step_v1", start_to_close_timeout=STEP_TIMEOUT)
        if version == 2:
            return await workflow.execute_activity("step_v2", start_to_close_timeout=STEP_TIMEOUT)
        return await workflow.execute_activity("step_v3", start_to_close_timeout=STEP_TIMEOUT)


@workflow.defn(name="Versioned")
class VersionedMin2:
    """Version 3 code that dropped ``DEFAULT_VERSION`` and version 1."""

    @workflow.run
    async def run(self) -> str:
        version = get_version(CHANGE_ID, 2, 3)
        if version == 2:
            return await workflow.execute_activity("step_v2", start_to_close_timeout=STEP_TIMEOUT)
        return await workflow.execute_activity("step_v3", start_to_close_timeout=STEP_TIMEOUT)


@workflow.defn(name="Versioned")
class VersionedBadRange:
    """Misuse: min_supported above max_supported."""

    @workflow.run
    async def run(self) -> str:
        get_version(CHANGE_ID, 3, 2)
        return await _run_step("never")


ACTIVITIES = (step, step_v1, step_v2, step_v3)
RECORDED_AT = {
    "pre": VersionedPre,
    "max1": VersionedMax1,
    "max2": VersionedMax2,
    "max3": VersionedMax3,
}
"""The code each recorded history was made with, by name."""
