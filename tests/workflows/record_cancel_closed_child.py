"""Record ``CancelClosedChild`` on the dev server: a history in which the server answers a
request to cancel a child (ExternalWorkflowExecutionCancelRequested) after the child's close
(ChildWorkflowExecutionCanceled), which a history check must read, not call reordered.

Usage (from the repository root)::

    python -m tests.workflows.record_cancel_closed_child [--out tests/fixtures/cancel-race]

The child runs on a worker of its own, in a thread with its own event loop and client: the
parent's worker runs its workflow tasks inline (``debug_mode``), so its loop stops while the
signal's task holds, in which the thread cancels the child and waits for it to close.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.workflows.cancel_closed_child import (  # noqa: E402
    CHILD_CLOSED,
    IN_TASK,
    CancelClosedChild,
    Forever,
)

if TYPE_CHECKING:
    from temporalio.api.history.v1 import HistoryEvent
    from temporalio.client import Client

OUT = ROOT / "tests" / "fixtures" / "cancel-race"
WORKFLOW_ID = "cancel-closed-child"


def _cancel_child(target: str, queue: str, workflow_id: str) -> None:
    """Run the child's worker; once the parent's signal task holds, cancel the child and wait
    for it to close."""
    from temporalio.client import Client, WorkflowFailureError
    from temporalio.worker import Worker

    async def run() -> None:
        client = await Client.connect(target)
        async with Worker(client, task_queue=f"{queue}-children", workflows=[Forever]):
            while not IN_TASK.is_set():
                await asyncio.sleep(0.01)
            child = client.get_workflow_handle(f"{workflow_id}-child")
            await child.cancel()
            try:
                await child.result()
            except WorkflowFailureError:
                CHILD_CLOSED.set()

    asyncio.run(run())


async def cancelled_after_close(client: Client) -> list[HistoryEvent]:
    """The events of a ``CancelClosedChild`` execution whose child is cancelled while the
    parent's signal task, which asks to cancel it, runs."""
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    IN_TASK.clear()
    CHILD_CLOSED.clear()
    queue = f"cancel-race-{uuid.uuid4()}"
    canceller = threading.Thread(
        target=_cancel_child, args=(client.service_client.config.target_host, queue, WORKFLOW_ID)
    )
    canceller.start()
    try:
        runner = UnsandboxedWorkflowRunner()
        async with Worker(client, task_queue=queue, workflows=[CancelClosedChild],
                          workflow_runner=runner, debug_mode=True):  # fmt: skip
            handle = await client.start_workflow(
                CancelClosedChild.run, id=WORKFLOW_ID, task_queue=queue
            )
            while not (await handle.describe()).raw_description.pending_children:
                await asyncio.sleep(0.05)
            await handle.signal(CancelClosedChild.cancel_child)
            assert await handle.result() == "done"
            return list((await handle.fetch_history()).events)
    finally:
        IN_TASK.set()  # the thread ends even when the execution failed to start
        canceller.join()


async def record(out: Path) -> Path:
    from replaycheck.histories import Provenance, write_history
    from replaycheck.testing import dev_server

    async with dev_server() as env:
        events = await cancelled_after_close(env.client)
    provenance = Provenance(workflow_id=WORKFLOW_ID, workflow_type="CancelClosedChild",
                            namespace="default", status="COMPLETED")  # fmt: skip
    return write_history(out / "CancelClosedChild" / f"{WORKFLOW_ID}.json", events,
                         provenance=provenance)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    print(asyncio.run(record(parser.parse_args().out)))


if __name__ == "__main__":
    main()
