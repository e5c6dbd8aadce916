"""A parent that waits for a child which waits for a signal: an execution whose only open
work is its child's."""

from __future__ import annotations

from temporalio import workflow

from tests.workflows.changes_common import Sink

__all__ = ["AwaitSink", "Sink"]


@workflow.defn(name="AwaitSink")
class AwaitSink:
    @workflow.run
    async def run(self) -> list[str]:
        child_id = f"{workflow.info().workflow_id}-sink"
        return await workflow.execute_child_workflow(Sink.run, id=child_id)
