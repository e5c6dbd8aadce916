"""``StepsWorkflow``: a chain of small activities, for histories of a chosen length.

Each step adds six events (activity scheduled, started, completed and a workflow task), so
``steps=31`` gives a completed history of 191 events, the size the export benchmark uses.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

TASK_QUEUE = "steps"
STEPS_FOR_190_EVENTS = 31


@activity.defn
async def step(index: int) -> str:
    """One unit of pretend work."""
    return f"step {index} done"


@workflow.defn(name="Steps")
class StepsWorkflow:
    """Runs ``steps`` activities one after another."""

    @workflow.run
    async def run(self, steps: int) -> int:
        for index in range(steps):
            await workflow.execute_activity(
                step, index, start_to_close_timeout=timedelta(seconds=10)
            )
        return steps
