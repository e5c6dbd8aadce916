"""SayHelloWorkflow in a module whose own top-level code makes a call the sandbox forbids."""

from datetime import timedelta
from pathlib import Path

from temporalio import workflow

from tests.workflows.sayhello import SayHelloParams

HERE = Path(__file__).resolve().parent


@workflow.defn(name="SayHelloWorkflow")
class ResolvingSayHello:
    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        return await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )
