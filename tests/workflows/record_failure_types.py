"""Record executions that failed on a plain exception, from a real Temporal dev server.

Usage (from the repository root)::

    python -m tests.workflows.record_failure_types OUT

The tests call :func:`record` with the session's dev server (``tests/conftest.py``). A worker
made with ``workflow_failure_exception_types=[ValueError, OutOfStock]`` runs
``tests.workflows.failure_types``; each execution ends ``WorkflowExecutionFailed``, and it
writes ``OUT/<workflow id>.json`` for:

``value-error``
    ``ReserveOrValueError``: failed on ``ValueError`` (the worker's setting).
``out-of-stock``
    ``ReserveOrOutOfStock``: failed on ``tests.workflows.failure_errors.OutOfStock`` (the
    worker's setting).
``declared``
    ``ReserveDeclared``: failed on ``ValueError`` (``@workflow.defn(failure_exception_types=
    [ValueError])``; the worker's setting is not needed).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.client import Client, WorkflowFailureError  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from replaycheck.histories import Provenance, write_history  # noqa: E402
from tests.workflows import failure_types  # noqa: E402
from tests.workflows.failure_errors import OutOfStock  # noqa: E402

WAIT = 30.0
"""Seconds an execution may take to fail."""
IDS = {
    "value-error": "ReserveOrValueError",
    "out-of-stock": "ReserveOrOutOfStock",
    "declared": "ReserveDeclared",
}
"""Workflow id: workflow type."""


async def _run(client: Client, out: Path, workflow_id: str, workflow_type: str) -> Path:
    handle = await client.start_workflow(
        workflow_type, "sku-42", id=workflow_id, task_queue=failure_types.TASK_QUEUE
    )
    try:
        await asyncio.wait_for(handle.result(), WAIT)
    except WorkflowFailureError:
        pass
    else:
        raise RuntimeError(f"{workflow_id} did not fail its execution")
    history = await handle.fetch_history()
    status = (await handle.describe()).status
    provenance = Provenance(
        workflow_id=workflow_id,
        workflow_type=workflow_type,
        namespace=client.namespace,
        status=status.name if status else "",
    )
    return write_history(out / f"{workflow_id}.json", history.events, provenance=provenance)


async def record(client: Client, out: Path) -> list[Path]:
    """Run every execution of :data:`IDS` on ``client``'s server; write their histories."""
    async with Worker(
        client,
        task_queue=failure_types.TASK_QUEUE,
        workflows=[
            failure_types.ReserveOrValueError,
            failure_types.ReserveOrOutOfStock,
            failure_types.ReserveDeclared,
        ],
        activities=[failure_types.reserve],
        workflow_failure_exception_types=[ValueError, OutOfStock],
        disable_eager_activity_execution=True,  # histories must not depend on free slots
    ):
        runs = (_run(client, out, i, t) for i, t in IDS.items())
        return list(await asyncio.gather(*runs))


async def main(argv: Sequence[str]) -> None:
    """Start a dev server, record into ``argv[0]``, print the files written."""
    from replaycheck.testing import dev_server

    async with dev_server() as env:
        for path in await record(env.client, Path(argv[0])):
            print(path)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
