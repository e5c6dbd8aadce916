"""Inputs that became pydantic models, replayed with ``pydantic_data_converter``: the recorded
input no longer validates. ``PydanticInputSayHello``'s input gained a required field;
``PydanticNoteUpdate``'s update ``set_note`` takes a model where the history sent a string;
``PydanticResultSayHello`` takes a model for an activity's result the history recorded as a
string."""

from __future__ import annotations

from datetime import timedelta

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


class NoteModel(BaseModel):
    text: str


@workflow.defn(name="ChangeUpdateType")
class PydanticNoteUpdate:
    """``changes_v2.ChangeUpdateType`` with a pydantic model for the update's parameter."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(
            "charge", order, start_to_close_timeout=timedelta(seconds=10)
        )

    @workflow.update
    async def set_note(self, note: NoteModel) -> str:
        self.note = note.text
        return note.text


class HelloParams(BaseModel):
    name: str


class Greeting(BaseModel):
    text: str


@workflow.defn(name="SayHelloWorkflow")
class PydanticResultSayHello:
    @workflow.run
    async def run(self, params: HelloParams) -> str:
        greeting = await workflow.execute_activity(
            "say_hello", params.name, result_type=Greeting,
            schedule_to_close_timeout=timedelta(seconds=10),
        )  # fmt: skip
        return greeting.text
