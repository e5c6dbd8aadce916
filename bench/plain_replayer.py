"""The baseline: what people write by hand. Load every file with ``WorkflowHistory.from_json``
and replay them all through one batched ``Replayer`` (``workflow_replay_iterator``).

Usage: python bench/plain_replayer.py MODULE DIR
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer


async def main(module_name: str, directory: str) -> int:
    sys.path.insert(0, str(Path.cwd()))
    module = importlib.import_module(module_name)
    workflows = [
        c for _, c in inspect.getmembers(module, inspect.isclass)
        if hasattr(c, "__temporal_workflow_definition")
    ]
    files = sorted(Path(directory).rglob("*.json"))

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for path in files:
            yield WorkflowHistory.from_json(path.stem, path.read_text())

    failures = 0
    async with Replayer(workflows=workflows).workflow_replay_iterator(histories()) as results:
        async for result in results:
            failures += result.replay_failure is not None
    print(f"{len(files)} histories, {failures} failures", flush=True)
    return 0


if __name__ == "__main__":
    code = asyncio.run(main(sys.argv[1], sys.argv[2]))
    # temporalio can abort at interpreter shutdown (sdk-python#300); the work is done by now.
    os._exit(code)
