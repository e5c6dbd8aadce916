"""Record one completed execution of each workflow class of a module, as ``record_package`` and
``record_renamed`` do: sequential executions with fixed inputs (the change cases' activities of
``changes_common``), so recording again gives the same events. Each history is written to
``<out>/<WorkflowType>/change-<WorkflowType>.json``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from replaycheck.histories import Provenance, write_history
from tests.workflows import changes_common


def case_name(cls: type) -> str:
    """The workflow type ``cls`` registers: its case's name."""
    return cls.__temporal_workflow_definition.name  # type: ignore[attr-defined,no-any-return]


async def record_each(
    client: Client, out: Path, classes: Sequence[type], task_queue: str, cases: Sequence[str] = ()
) -> list[Path]:
    """Run each of ``classes`` (those named in ``cases``, when given) once to completion on a
    worker of ``task_queue`` and write its history under ``out``."""
    paths = []
    async with Worker(
        client, task_queue=task_queue, workflows=list(classes),
        activities=list(changes_common.ACTIVITIES),
    ):  # fmt: skip
        for case in map(case_name, classes):
            if cases and case not in cases:
                continue
            wid = f"change-{case}"
            handle = await client.start_workflow(case, wid, id=wid, task_queue=task_queue)
            await handle.result()
            provenance = Provenance(
                workflow_id=wid, workflow_type=case, namespace="default", status="COMPLETED"
            )
            path = out / case / f"{wid}.json"
            write_history(path, (await handle.fetch_history()).events, provenance=provenance)
            paths.append(path)
    return paths
