"""A workflow that asks to cancel its child once the child has closed, unseen: the child is
cancelled (by the recorder) while the parent's workflow task, a signal's, runs, and that task
asks to cancel it too. The server holds the child's ChildWorkflowExecutionCanceled back until
the task completes, and the dev server then answers the request
(ExternalWorkflowExecutionCancelRequested) after the child's close; the time-skipping test
server does not answer it at all.

The workflow runs without the sandbox (``UnsandboxedWorkflowRunner``), so that ``IN_TASK`` and
``CHILD_CLOSED`` are the recorder's own: the signal handler sets ``IN_TASK`` and holds the task
until the recorder has cancelled the child (``tests/workflows/record_cancel_closed_child.py``)."""

import asyncio
import contextlib
import threading
import time

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

IN_TASK = threading.Event()
"""Set by the signal handler, while its workflow task runs."""
CHILD_CLOSED = threading.Event()
"""Set by the recorder once the child it cancelled has closed."""


@workflow.defn
class Forever:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


@workflow.defn
class CancelClosedChild:
    def __init__(self) -> None:
        self.cancelling = False

    @workflow.signal
    def cancel_child(self) -> None:
        if not workflow.unsafe.is_replaying():
            IN_TASK.set()
            CHILD_CLOSED.wait(30)  # the child is cancelled meanwhile
            time.sleep(1)  # and the server records its close
        self.cancelling = True

    @workflow.run
    async def run(self) -> str:
        child = await workflow.start_child_workflow(
            Forever.run,
            id=f"{workflow.info().workflow_id}-child",
            task_queue=f"{workflow.info().task_queue}-children",
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_REQUESTED,
        )
        await workflow.wait_condition(lambda: self.cancelling)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
            await child
        return "done"
