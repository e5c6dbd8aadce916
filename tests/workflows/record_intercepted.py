"""Record histories of ``tests.workflows.intercepted`` from a real Temporal dev server.

Usage (from the repository root)::

    python -m tests.workflows.record_intercepted OUT

The tests call :func:`record` with the session's dev server (``tests/conftest.py``). It runs
``InterceptedWorkflow`` to completion and writes:

``OUT/audited/intercepted-<name>.json``
    One per name in :data:`NAMES`, run by a worker registered with ``AuditInterceptor`` (as a
    team's worker registers its interceptors): each history holds the interceptor's memo upsert
    (``WorkflowPropertiesModified``) before the workflow's first activity.
``OUT/plain/intercepted-plain.json``
    One run by a worker without it (recorded before the team added the interceptor).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.client import Client  # noqa: E402
from temporalio.worker import Interceptor, Worker  # noqa: E402

from replaycheck.histories import Provenance, write_history  # noqa: E402
from tests.workflows import intercepted  # noqa: E402

WAIT = 30.0
"""Seconds an execution may take."""
NAMES = ("ada", "grace")


async def _run(client: Client, out: Path, name: str, queue: str) -> Path:
    handle = await client.start_workflow(
        intercepted.InterceptedWorkflow.run, name, id=f"intercepted-{name}", task_queue=queue
    )
    await asyncio.wait_for(handle.result(), WAIT)
    history = await handle.fetch_history()
    provenance = Provenance(
        workflow_id=handle.id, workflow_type="Intercepted", namespace="default",
        status="COMPLETED",
    )  # fmt: skip
    return write_history(out / f"{handle.id}.json", history.events, provenance=provenance)


async def record(client: Client, out: Path) -> list[Path]:
    """Run the executions on ``client``'s server and write their histories under ``out``."""

    def worker(queue: str, interceptors: list[Interceptor]) -> Worker:
        return Worker(
            client,
            task_queue=queue,
            workflows=[intercepted.InterceptedWorkflow],
            activities=[intercepted.greet],
            interceptors=interceptors,
            disable_eager_activity_execution=True,  # histories must not depend on free slots
        )

    plain_queue = f"{intercepted.TASK_QUEUE}-plain"
    async with worker(intercepted.TASK_QUEUE, [intercepted.AuditInterceptor()]), worker(
        plain_queue, []
    ):
        audited = [_run(client, out / "audited", n, intercepted.TASK_QUEUE) for n in NAMES]
        plain = _run(client, out / "plain", "plain", plain_queue)
        return list(await asyncio.gather(*audited, plain))


async def main(argv: Sequence[str]) -> None:
    """Start a dev server, record into ``argv[0]``, print the files written."""
    from replaycheck.testing import dev_server

    async with dev_server() as env:
        for path in await record(env.client, Path(argv[0])):
            print(path)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
