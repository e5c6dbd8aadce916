"""``SayHelloWorkflow`` whose activity was renamed from ``say_hello`` to ``say_goodbye``.

The shared public history ``worker__test_replayer_complete_history.json`` (2022) predates
core's flag 1, so core replays it against this code without comparing the activity's type.
"""

from datetime import timedelta

from temporalio import workflow

from tests.workflows.sayhello import SayHelloParams


@workflow.defn(name="SayHelloWorkflow")
class SayHelloGoodbye:
    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        # change: say_goodbye (the next line)
        result: str = await workflow.execute_activity(
            "say_goodbye", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )
        return result
