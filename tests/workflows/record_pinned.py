"""Record histories of executions under Worker Versioning from a real Temporal dev server.

Usage (from the repository root)::

    python -m tests.workflows.record_pinned OUT

The tests call :func:`record` with the session's dev server (``tests/conftest.py``). A worker of
deployment version ``replaycheck-pinned:v1`` (made the current version) runs
``tests.workflows.pinned``; it writes ``OUT/<workflow id>.json`` for:

``pinned-running`` / ``pinned-completed``
    ``PinnedSteps`` (pinned) waiting for ``proceed`` / completed.
``upgrading-running``
    ``UpgradingSteps`` (auto-upgrade) waiting.
``pinned-moved``
    ``PinnedSteps`` waiting, then moved by an auto-upgrade override (``temporal workflow
    update-options --versioning-override-behavior auto_upgrade``): no longer pinned.
``upgrading-pinned``
    ``UpgradingSteps`` waiting, then pinned to ``replaycheck-pinned:v1`` by an override.
``pinned-unset``
    ``PinnedSteps`` waiting, moved by an auto-upgrade override, then the override unset
    (``--versioning-override-behavior unspecified``): pinned again, as its workers recorded.

The running ones stay running on the caller's server. :func:`record_handoff` runs one more,
on a deployment version of its own (``tests.workflows.pinned_handoff``), into
``OUT/pinned-handoff-1.json`` and ``-2.json``:

``pinned-handoff``
    ``HandoffSteps`` (pinned) continued as new into ``HandoffUpgrading`` (auto-upgrade), which
    waits: a pinned first run, and a later one that is not pinned.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from google.protobuf.field_mask_pb2 import FieldMask  # noqa: E402
from temporalio.api.deployment.v1 import WorkerDeploymentVersion as VersionMessage  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.api.workflow.v1 import VersioningOverride, WorkflowExecutionOptions  # noqa: E402
from temporalio.api.workflowservice.v1 import (  # noqa: E402
    SetWorkerDeploymentCurrentVersionRequest,
    UpdateWorkflowExecutionOptionsRequest,
)
from temporalio.client import Client, WorkflowHandle  # noqa: E402
from temporalio.common import WorkerDeploymentVersion  # noqa: E402
from temporalio.service import RPCError  # noqa: E402
from temporalio.worker import Worker, WorkerDeploymentConfig  # noqa: E402

from replaycheck.histories import Provenance, write_history  # noqa: E402
from tests.workflows import pinned  # noqa: E402

WAIT = 30.0
"""Seconds any wait for a state may take."""


async def _events(handle: WorkflowHandle[Any, Any], event_type: int, count: int = 1) -> None:
    """Wait (long polls) until the history holds ``count`` events of ``event_type``."""

    async def follow() -> None:
        seen = 0
        async for event in handle.fetch_history_events(wait_new_event=True):
            if event.event_type == event_type:
                seen += 1
                if seen >= count:
                    return

    await asyncio.wait_for(follow(), WAIT)


async def _make_current(
    client: Client, deployment: str = pinned.DEPLOYMENT, build_id: str = pinned.BUILD_ID
) -> None:
    """Make the worker's version current (it is known once the worker has polled)."""
    request = SetWorkerDeploymentCurrentVersionRequest(
        namespace=client.namespace, deployment_name=deployment, build_id=build_id
    )
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        try:
            await client.workflow_service.set_worker_deployment_current_version(request)
            return
        except RPCError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _override(
    client: Client, workflow_id: str, override: VersioningOverride | None
) -> None:
    """What ``temporal workflow update-options --versioning-override-...`` does (``None``:
    unset it)."""
    from temporalio.api.common.v1 import WorkflowExecution

    await client.workflow_service.update_workflow_execution_options(
        UpdateWorkflowExecutionOptionsRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            workflow_execution_options=WorkflowExecutionOptions(versioning_override=override)
            if override is not None
            else WorkflowExecutionOptions(),
            update_mask=FieldMask(paths=["versioning_override"]),
        )
    )


async def _run(client: Client, out: Path, workflow_id: str) -> Path:
    workflow_type = "UpgradingSteps" if workflow_id.startswith("upgrading") else "PinnedSteps"
    handle = await client.start_workflow(
        workflow_type, workflow_id, id=workflow_id, task_queue=pinned.TASK_QUEUE
    )
    # Reserve scheduled, done, and the next workflow task completed: waiting for proceed.
    await _events(handle, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 2)
    if workflow_id == "pinned-completed":
        await handle.signal("proceed")
        await asyncio.wait_for(handle.result(), WAIT)
    elif workflow_id in ("pinned-moved", "pinned-unset"):
        await _override(client, workflow_id, VersioningOverride(auto_upgrade=True))
        if workflow_id == "pinned-unset":
            await _events(handle, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED)
            await _override(client, workflow_id, None)
    elif workflow_id == "upgrading-pinned":
        version = VersionMessage(deployment_name=pinned.DEPLOYMENT, build_id=pinned.BUILD_ID)
        behavior = VersioningOverride.PINNED_OVERRIDE_BEHAVIOR_PINNED
        override = VersioningOverride(
            pinned=VersioningOverride.PinnedOverride(behavior=behavior, version=version)
        )
        await _override(client, workflow_id, override)
    if workflow_id in ("pinned-moved", "upgrading-pinned", "pinned-unset"):
        updates = 2 if workflow_id == "pinned-unset" else 1
        await _events(handle, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED, updates)
    history = await handle.fetch_history()
    status = (await handle.describe()).status
    provenance = Provenance(
        workflow_id=workflow_id,
        workflow_type=workflow_type,
        namespace=client.namespace,
        status=status.name if status else "",
    )
    return write_history(out / f"{workflow_id}.json", history.events, provenance=provenance)


IDS = ("pinned-running", "pinned-completed", "upgrading-running", "pinned-moved",
       "upgrading-pinned", "pinned-unset")  # fmt: skip


async def record(client: Client, out: Path) -> list[Path]:
    """Run every execution of :data:`IDS` on ``client``'s server; write their histories."""
    version = WorkerDeploymentVersion(deployment_name=pinned.DEPLOYMENT, build_id=pinned.BUILD_ID)
    async with Worker(
        client,
        task_queue=pinned.TASK_QUEUE,
        workflows=[pinned.PinnedSteps, pinned.UpgradingSteps],
        activities=[pinned.reserve, pinned.audit],
        deployment_config=WorkerDeploymentConfig(version=version, use_worker_versioning=True),
        disable_eager_activity_execution=True,  # histories must not depend on free slots
    ):
        await _make_current(client)
        return list(await asyncio.gather(*(_run(client, out, i) for i in IDS)))


async def record_handoff(client: Client, out: Path) -> list[Path]:
    """Run ``pinned-handoff`` (``tests.workflows.pinned_handoff``) on ``client``'s server, on
    its own deployment version: a pinned first run that continued as new into a run that is
    not pinned, left running; write ``OUT/pinned-handoff-1.json`` and ``-2.json``."""
    from tests.workflows import pinned_handoff as handoff

    version = WorkerDeploymentVersion(deployment_name=handoff.DEPLOYMENT, build_id=handoff.BUILD_ID)
    async with Worker(
        client,
        task_queue=handoff.TASK_QUEUE,
        workflows=[handoff.HandoffSteps, handoff.HandoffUpgrading],
        activities=[pinned.reserve],
        deployment_config=WorkerDeploymentConfig(version=version, use_worker_versioning=True),
        disable_eager_activity_execution=True,
    ):
        await _make_current(client, handoff.DEPLOYMENT, handoff.BUILD_ID)
        started = await client.start_workflow(
            "HandoffSteps", "pinned-handoff", id="pinned-handoff", task_queue=handoff.TASK_QUEUE
        )
        first = client.get_workflow_handle("pinned-handoff", run_id=started.result_run_id)
        await _events(first, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)
        later = client.get_workflow_handle("pinned-handoff")  # the run it continued into
        await _events(later, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 2)  # waiting
        paths = []
        for n, (handle, wtype) in enumerate(
            ((first, "HandoffSteps"), (later, "HandoffUpgrading")), 1
        ):
            history = await handle.fetch_history()
            status = (await handle.describe()).status
            provenance = Provenance(workflow_id="pinned-handoff", workflow_type=wtype,
                                    namespace=client.namespace,
                                    status=status.name if status else "")  # fmt: skip
            path = out / f"pinned-handoff-{n}.json"
            paths.append(write_history(path, history.events, provenance=provenance))
        return paths


async def main(argv: Sequence[str]) -> None:
    """Start a dev server, record into ``argv[0]``, print the files written."""
    from replaycheck.testing import dev_server

    async with dev_server() as env:
        for path in await record(env.client, Path(argv[0])):
            print(path)
        for path in await record_handoff(env.client, Path(argv[0])):
            print(path)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
