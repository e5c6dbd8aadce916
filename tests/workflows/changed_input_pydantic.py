"""``SayHelloWorkflow`` whose input became a pydantic model with a new required field, replayed
with ``pydantic_data_converter``: the recorded input no longer validates."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow


class SayHelloInput(BaseModel):
    name: str
    locale: str
    """New and required: executions started before the change have no value for it."""


@workflow.defn(name="SayHelloWorkflow")
class PydanticInputSayHello:
    @workflow.run
    async def run(self, params: SayHelloInput) -> str:
        return params.locale
