"""``tests.workflows.intercepted`` changed: the second activity is now ``farewell``."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

from tests.workflows.intercepted import greet


@activity.defn
async def farewell(name: str) -> str:
    return f"Goodbye, {name}!"


@workflow.defn(name="Intercepted")
class InterceptedWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        greeting = await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=10)
        )
        return await workflow.execute_activity(
            farewell, greeting, start_to_close_timeout=timedelta(seconds=10)
        )
