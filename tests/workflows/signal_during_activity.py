"""A workflow whose one activity completes while a workflow task (a signal's) runs: the server
holds the activity's events back until that task completes, and the time-skipping test server
then names, as the activity's started event, the id the task's completion took.

The workflow runs without the sandbox (``UnsandboxedWorkflowRunner``), so that ``IN_TASK`` is
the test's own: the signal handler sets it and holds the task for three seconds, in which the
test starts the activity's worker (its own task queue), and the activity completes."""

import threading
import time
from datetime import timedelta

from temporalio import workflow

IN_TASK = threading.Event()
"""Set by the signal handler, while its workflow task runs."""


@workflow.defn
class SignalDuringActivity:
    @workflow.signal
    def ping(self) -> None:
        if not workflow.unsafe.is_replaying():
            IN_TASK.set()
            time.sleep(3)  # the activity starts and completes meanwhile

    @workflow.run
    async def run(self) -> str:
        result: str = await workflow.execute_activity(
            "released",
            task_queue=f"{workflow.info().task_queue}-activities",
            start_to_close_timeout=timedelta(seconds=60),
        )
        return result
