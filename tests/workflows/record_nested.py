"""Record the ``NestedGates`` histories (``tests.workflows.nested_gates``) from a real dev server.

Usage (from the repository root)::

    python -m tests.workflows.record_nested OUT

The tests call :func:`record` with the session's dev server (``tests/conftest.py``). For each
code version (``v1``, ``v2``, ``v3``) it writes ``OUT/nested-<version>-waiting.json``, an
execution past its first step and still waiting for ``proceed`` (running), and for ``v1`` also
``OUT/nested-v1-completed.json``, one that got ``proceed`` and completed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from tests.workflows import nested_gates  # noqa: E402
from tests.workflows.record_lifecycle import WAIT, _task_completed, _write  # noqa: E402


async def _execution(client: Client, out: Path, version: str, end: str) -> Path:
    """One execution started by ``version``'s code: ``end`` is ``waiting`` or ``completed``."""
    handle = await client.start_workflow(
        "NestedGates", id=f"nested-{version}-{end}", task_queue=f"nested-{version}"
    )
    await _task_completed(handle, 3 if version == "v3" else 2)  # its steps done: waiting
    if end == "completed":
        await handle.signal("proceed")
        await asyncio.wait_for(handle.result(), WAIT)
    return await _write(handle, "NestedGates", out)


async def record(client: Client, out: Path) -> list[Path]:
    """Run every ``NestedGates`` execution on ``client``'s server and write the histories under
    ``out``; the waiting ones stay running (the server is the caller's)."""
    runs = [(v, "waiting") for v in nested_gates.RECORDED_AT] + [("v1", "completed")]
    async with AsyncExitStack() as stack:
        for version, cls in nested_gates.RECORDED_AT.items():
            worker = Worker(
                client,
                task_queue=f"nested-{version}",
                workflows=[cls],
                activities=nested_gates.ACTIVITIES,
                disable_eager_activity_execution=True,  # histories must not depend on free slots
            )
            await stack.enter_async_context(worker)
        return list(await asyncio.gather(*(_execution(client, out, v, e) for v, e in runs)))


async def main(argv: Sequence[str]) -> None:
    """Start a dev server, record into ``argv[0]``, print the files written."""
    from replaycheck.testing import dev_server

    async with dev_server() as env:
        for path in await record(env.client, Path(argv[0])):
            print(path)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
