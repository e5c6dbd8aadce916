"""``SecretGreeting``: a workflow whose payloads the tests encrypt with ``codec.py``."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def greet(name: str) -> str:
    """Say hello (the name and the greeting travel encrypted)."""
    return f"Hello, {name}!"


@workflow.defn(name="SecretGreeting")
class SecretGreetingWorkflow:
    """Greets someone through an activity."""

    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=10)
        )
