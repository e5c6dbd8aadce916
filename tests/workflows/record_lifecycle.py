"""Record the histories of the patch lifecycle tests from a real Temporal dev server.

Usage (from the repository root)::

    python -m tests.workflows.record_lifecycle OUT

The tests call :func:`record` with the session's dev server (``tests/conftest.py``). It writes:

``OUT/deprecated/``
    ``TenantProvisioning`` executions run by ``examples.provisioning.workflows_deprecated``
    (deprecated marker): one completed (with its ``NotifyTenant`` child), one awaiting approval.
``OUT/gate/``
    ``GateAfterSignal`` executions of ``tests.workflows.gate_after_signal``: on each code version,
    one that got ``proceed`` and completed and one still waiting for it (before the gate); and
    one started by the old code that was terminated while waiting (closed before the gate).
``OUT/gate-mid-task/``
    ``gate-v2-mid-task``: a ``GateAfterSignal`` execution of the gated code captured while the
    workflow task that got ``proceed`` was started and not yet completed, so the gate lies
    past its history's end (a run of its own, not a copy of ``gate-v2-passed``).
``OUT/copies/``
    Two copies of one run of version 1 of ``TenantProvisioning``
    (``examples.provisioning.workflows_v1``), ``prov-v1-copied``: ``running/`` captured while
    it awaited approval, ``closed/`` after it was approved and completed.
``OUT/next/``
    ``prov-seed-again-completed``: a completed ``TenantProvisioning`` execution (with its
    ``NotifyTenant`` child) of ``tests.workflows.provisioning_next.SeedAgainGated``, which
    recorded the markers of both its gates.
``OUT/versioned/``
    One completed ``Versioned`` execution per code version of ``tests.workflows.versioned``
    (``pre``, ``max1``, ``max2``, ``max3``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client, WorkflowHandle  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from examples.provisioning import workflows_deprecated, workflows_v1  # noqa: E402
from examples.provisioning.activities import ALL_ACTIVITIES  # noqa: E402
from examples.provisioning.models import AWAITING_APPROVAL, ProvisioningInput  # noqa: E402
from replaycheck.histories import Provenance, write_history  # noqa: E402
from tests.workflows import gate_after_signal, provisioning_next, versioned  # noqa: E402

WAIT = 30.0
"""Seconds any wait for a state may take."""
DEPRECATED_QUEUE = "provisioning-deprecated"
COPIES_QUEUE = "provisioning-v1-copies"


async def _task_completed(handle: WorkflowHandle[Any, Any], count: int = 1) -> None:
    """Wait (long polls) until ``count`` workflow tasks have completed."""

    async def follow() -> None:
        seen = 0
        async for event in handle.fetch_history_events(wait_new_event=True):
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                seen += 1
                if seen >= count:
                    return

    await asyncio.wait_for(follow(), WAIT)


async def _write(handle: WorkflowHandle[Any, Any], workflow_type: str, out: Path) -> Path:
    history = await handle.fetch_history()
    status = (await handle.describe()).status
    provenance = Provenance(
        workflow_id=handle.id,
        workflow_type=workflow_type,
        namespace="default",
        status=status.name if status else "",
    )
    return write_history(out / f"{handle.id}.json", history.events, provenance=provenance)


async def _awaiting_approval(
    client: Client, wid: str, tenant: str, queue: str, steps: int
) -> WorkflowHandle[Any, Any]:
    """Start ``TenantProvisioning`` ``wid`` for ``tenant`` on ``queue`` and wait until it awaits
    approval (``steps``: the activities its code runs before)."""
    handle = await client.start_workflow(
        "TenantProvisioning", ProvisioningInput(tenant), id=wid, task_queue=queue
    )
    await _task_completed(handle, steps + 2)  # the first task, each step, the timer
    if await handle.query("status") != AWAITING_APPROVAL:
        raise RuntimeError(f"{wid} is not awaiting approval")
    return handle


async def _approve(handle: WorkflowHandle[Any, Any]) -> None:
    await handle.signal("approve", "ops@example.com")
    await asyncio.wait_for(handle.result(), WAIT)


async def _deprecated(client: Client, out: Path, *, complete: bool) -> list[Path]:
    name = "completed" if complete else "awaiting-approval"
    wid = f"prov-deprecated-{name}"
    handle = await _awaiting_approval(client, wid, f"dep-{name}", DEPRECATED_QUEUE, 4)
    if not complete:
        return [await _write(handle, "TenantProvisioning", out)]
    await _approve(handle)
    child = client.get_workflow_handle(f"{wid}-notify")
    return [
        await _write(handle, "TenantProvisioning", out),
        await _write(child, "NotifyTenant", out),
    ]


async def _next(client: Client, out: Path) -> list[Path]:
    """``prov-seed-again-completed``, run by ``provisioning_next.SeedAgainGated``."""
    wid = "prov-seed-again-completed"
    handle = await _awaiting_approval(client, wid, "seed-again", provisioning_next.TASK_QUEUE, 5)
    await _approve(handle)
    child = client.get_workflow_handle(f"{wid}-notify")
    return [
        await _write(handle, "TenantProvisioning", out),
        await _write(child, "NotifyTenant", out),
    ]


async def _copies(client: Client, out: Path) -> list[Path]:
    """Version 1's ``prov-v1-copied``, written while it awaits approval and once completed."""
    handle = await _awaiting_approval(client, "prov-v1-copied", "copied", COPIES_QUEUE, 3)
    running = await _write(handle, "TenantProvisioning", out / "running")
    await _approve(handle)
    return [running, await _write(handle, "TenantProvisioning", out / "closed")]


async def _gate(client: Client, out: Path, code: str, end: str) -> Path:
    """One ``GateAfterSignal`` execution: ``end`` is ``passed`` (got ``proceed``, completed),
    ``waiting`` (still waiting for it) or ``terminated`` (terminated while waiting)."""
    wid = f"gate-{code}-{end}"
    queue = {"v1": gate_after_signal.TASK_QUEUE_V1, "v2": gate_after_signal.TASK_QUEUE_V2}[code]
    handle = await client.start_workflow("GateAfterSignal", id=wid, task_queue=queue)
    await _task_completed(handle)
    if end == "passed":
        await handle.signal("proceed")
        await asyncio.wait_for(handle.result(), WAIT)
    elif end == "terminated":
        await handle.terminate("stopped before the gate")
    return await _write(handle, "GateAfterSignal", out)


MID_TASK_QUEUE = "gate-after-signal-v2-mid-task"


async def _gate_mid_task(client: Client, out: Path) -> Path:
    """A gated ``GateAfterSignal`` execution captured mid-task: a worker completes its first
    workflow task and stops; ``proceed`` is sent; a bare poll takes the next workflow task
    (the server records it started) and never answers it."""
    from datetime import timedelta

    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import PollWorkflowTaskQueueRequest

    code = gate_after_signal.GateAfterSignalV2
    # No cache, so no sticky queue: the next task goes to MID_TASK_QUEUE, which the poll reads.
    async with Worker(client, task_queue=MID_TASK_QUEUE, workflows=[code], max_cached_workflows=0):
        handle = await client.start_workflow(
            "GateAfterSignal", id="gate-v2-mid-task", task_queue=MID_TASK_QUEUE
        )
        await _task_completed(handle)
    await handle.signal("proceed")
    request = PollWorkflowTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=MID_TASK_QUEUE),
        identity="record_lifecycle mid-task poll",
    )
    task = await client.workflow_service.poll_workflow_task_queue(
        request, timeout=timedelta(seconds=WAIT)
    )
    if task.workflow_execution.workflow_id != handle.id:
        raise RuntimeError(f"the poll of {MID_TASK_QUEUE} got no task of {handle.id}")
    path = await _write(handle, "GateAfterSignal", out)
    last = (await handle.fetch_history()).events[-1]
    if last.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        raise RuntimeError(f"{handle.id} went on past its started workflow task")
    return path


async def _versioned(client: Client, out: Path, name: str) -> Path:
    handle = await client.start_workflow(
        "Versioned", id=f"versioned-{name}", task_queue=f"versioned-{name}"
    )
    await asyncio.wait_for(handle.result(), WAIT)
    return await _write(handle, "Versioned", out)


def _workers(client: Client) -> list[Worker]:
    def worker(queue: str, workflows: Sequence[type], activities: Sequence[Any]) -> Worker:
        return Worker(
            client,
            task_queue=queue,
            workflows=list(workflows),
            activities=list(activities),
            disable_eager_activity_execution=True,  # histories must not depend on free slots
        )

    dep = workflows_deprecated
    workers = [
        worker(
            DEPRECATED_QUEUE,
            [dep.TenantProvisioningWorkflow, dep.NotifyTenantWorkflow],
            ALL_ACTIVITIES,
        ),
        worker(
            COPIES_QUEUE,
            [workflows_v1.TenantProvisioningWorkflow, workflows_v1.NotifyTenantWorkflow],
            ALL_ACTIVITIES,
        ),
        worker(
            provisioning_next.TASK_QUEUE,
            [provisioning_next.SeedAgainGated, dep.NotifyTenantWorkflow],
            ALL_ACTIVITIES,
        ),
        worker(gate_after_signal.TASK_QUEUE_V1, [gate_after_signal.GateAfterSignalV1], []),
        worker(gate_after_signal.TASK_QUEUE_V2, [gate_after_signal.GateAfterSignalV2], []),
    ]
    for name, cls in versioned.RECORDED_AT.items():
        workers.append(worker(f"versioned-{name}", [cls], versioned.ACTIVITIES))
    return workers


async def record(client: Client, out: Path) -> list[Path]:
    """Run every lifecycle execution on ``client``'s server and write the histories under ``out``.

    Executions left running (waiting for a signal) stay running; the server is the caller's.
    """
    async with AsyncExitStack() as stack:
        for worker in _workers(client):
            await stack.enter_async_context(worker)
        groups = await asyncio.gather(
            _deprecated(client, out / "deprecated", complete=True),
            _deprecated(client, out / "deprecated", complete=False),
            *(
                _gate(client, out / "gate", code, end)
                for code in ("v1", "v2")
                for end in ("passed", "waiting")
            ),
            _gate(client, out / "gate", "v1", "terminated"),
            _gate_mid_task(client, out / "gate-mid-task"),
            _copies(client, out / "copies"),
            _next(client, out / "next"),
            *(_versioned(client, out / "versioned", name) for name in versioned.RECORDED_AT),
        )
    return [p for group in groups for p in (group if isinstance(group, list) else [group])]


async def main(argv: Sequence[str]) -> None:
    """Start a dev server, record into ``argv[0]``, print the files written."""
    from replaycheck.testing import dev_server

    async with dev_server() as env:
        for path in await record(env.client, Path(argv[0])):
            print(path)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
