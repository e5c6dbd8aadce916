"""SayHelloWorkflow passing a pydantic model to its activity, as a pydantic project's workflow
does: temporalio's default converter encodes it, with a warning; ``pydantic_data_converter``
(what such a project's worker uses) encodes it without one."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow

from tests.workflows.sayhello import SayHelloParams


class Greeting(BaseModel):
    name: str


@workflow.defn(name="SayHelloWorkflow")
class PydanticSayHello:
    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        return await workflow.execute_activity(
            "say_hello", Greeting(name=params.name), schedule_to_close_timeout=timedelta(seconds=10)
        )
