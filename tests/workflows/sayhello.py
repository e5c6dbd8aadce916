"""SayHelloWorkflow as in temporalio/sdk-python's tests/worker/test_replayer.py.

It replays the shared public histories ``worker__test_replayer_*_history.json``.
"""

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow


@dataclass
class SayHelloParams:
    name: str
    should_wait: bool = False
    should_error: bool = False
    should_cause_nondeterminism: bool = False


@workflow.defn
class SayHelloWorkflow:
    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        result = await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )
        if params.should_cause_nondeterminism and workflow.unsafe.is_replaying():
            await workflow.sleep(0.1)
        if params.should_wait:
            await workflow.wait_condition(lambda: False)
        if params.should_error:
            raise workflow.ApplicationError("Intentional error")
        return result
