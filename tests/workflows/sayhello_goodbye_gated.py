"""``tests/workflows/sayhello_goodbye.py`` with its rename gated as replaycheck's fix says:
executions recorded before run ``say_hello`` as they did."""

from datetime import timedelta

from temporalio import workflow

from tests.workflows.sayhello import SayHelloParams


@workflow.defn(name="SayHelloWorkflow")
class SayHelloGoodbyeGated:
    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        result: str
        if workflow.patched("say-goodbye-instead-of-say-hello"):
            result = await workflow.execute_activity(
                "say_goodbye", params.name, schedule_to_close_timeout=timedelta(seconds=10)
            )
        else:
            result = await workflow.execute_activity(
                "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
            )
        return result
