"""Replay histories with temporalio's plain ``Replayer``: the reference replaycheck must match.

Usage: python tests/raw_replay.py [--failure-types MOD:CLASS,...] MODULE[,MODULE...] HISTORY...

For each MODULE, imports its ``@workflow.defn`` classes (the repository root is put on
``sys.path``) into a ``Replayer`` of their own, loads each history with
``WorkflowHistory.from_json`` and replays it with
``Replayer.replay_workflow(history, raise_on_replay_failure=False)`` (with
``workflow_failure_exception_types`` the classes ``--failure-types`` names, if given). Prints
one line to stdout, ``RESULT <json>``, mapping each module to a map of each history path to
``{"verdict": ..., "message": ...}``: ``ok`` when there is no replay failure,
``nondeterministic`` for a ``NondeterminismError``, ``error`` for any other failure. Core's log
lines go to stderr.

The process ends with ``os._exit`` once the result is printed: letting the interpreter finalize
while the SDK's native threads are still about sometimes aborts it ("PyGILState_Release: thread
state ... must be current", temporalio/sdk-python#300), which would turn a good run into a crash.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import sys
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "RESULT "


async def replay_module(
    module_name: str, paths: list[str], failure_types: list[type[BaseException]]
) -> dict[str, dict[str, str]]:
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer
    from temporalio.workflow import NondeterminismError

    module = import_module(module_name)
    workflows = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if hasattr(cls, "__temporal_workflow_definition")
    ]
    replayer = Replayer(workflows=workflows, workflow_failure_exception_types=failure_types)
    results: dict[str, dict[str, str]] = {}
    for path in paths:
        history = WorkflowHistory.from_json(Path(path).stem, Path(path).read_text())
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        failure = result.replay_failure
        if failure is None:
            verdict = "ok"
        elif isinstance(failure, NondeterminismError):
            verdict = "nondeterministic"
        else:
            verdict = "error"
        results[path] = {"verdict": verdict, "message": "" if failure is None else str(failure)}
    return results


async def replay_all(
    modules: list[str], paths: list[str], failure_types: list[type[BaseException]]
) -> dict[str, dict[str, dict[str, str]]]:
    return {module: await replay_module(module, paths, failure_types) for module in modules}


def _classes(specs: str) -> list[type[BaseException]]:
    """``module:Class,...`` imported."""
    found = []
    for spec in specs.split(","):
        module, _, name = spec.partition(":")
        found.append(getattr(import_module(module), name))
    return found


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    failure_types = []
    if argv[:1] == ["--failure-types"] and len(argv) > 1:
        failure_types, argv = _classes(argv[1]), argv[2:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    results = asyncio.run(replay_all(argv[0].split(","), argv[1:], failure_types))
    print(MARK + json.dumps(results), flush=True)
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
