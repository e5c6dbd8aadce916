"""``SayHelloWorkflow`` whose activity now gets an id of its own (``"greeting"``), where the
history recorded the default id (the sequence number ``"1"``).

The shared public history ``worker__test_replayer_complete_history.json`` (2022) predates
core's flag 1, so core replays it against this code without comparing the activity's id.
"""

from datetime import timedelta

from temporalio import workflow

from tests.workflows.sayhello import SayHelloParams


@workflow.defn(name="SayHelloWorkflow")
class SayHelloNewId:
    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        # change: activity id (the next line)
        result: str = await workflow.execute_activity(
            "say_hello",
            params.name,
            schedule_to_close_timeout=timedelta(seconds=10),
            activity_id="greeting",
        )
        return result
