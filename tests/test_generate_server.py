"""generate when the time-skipping test server fails under it (a real server, stopped or killed
mid-run): one sentence and exit code 2, with what was found and saved kept."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
from pathlib import Path

import pytest

from replaycheck._explore_example import Example, Message
from replaycheck._explore_send import IDLE, send
from replaycheck._progress import Progress
from replaycheck._server_failure import ServerFailed
from replaycheck.generate import Exploration, GenerationSpec, run

V1 = "tests.workflows.changes_v1"


class ServerKiller(Progress):
    """Counts examples, and sends the test server ``signum`` as example ``at`` starts."""

    def __init__(self, at: int, signum: int) -> None:
        super().__init__("examples", stream=io.StringIO(), tty=False)
        self.at, self.signum = at, signum

    def advance(self, count: int = 1, note: str = "") -> None:
        super().advance(count, note)
        if self.done == self.at:
            _signal_test_server(self.signum)


def _signal_test_server(signum: int) -> None:
    found = subprocess.run(
        ["pgrep", "-P", str(os.getpid()), "-f", "temporal-test-server"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    for pid in found.stdout.split():
        os.kill(int(pid), signum)


def _run(new: str, workflow_type: str, save: Path | None = None) -> Exploration:
    spec = GenerationSpec(
        baseline=V1, new=[new], workflow_type=workflow_type, max_examples=50, save=save
    )
    return run(spec, progress=ServerKiller(3, signal.SIGKILL))


def test_a_server_gone_mid_run_ends_it_in_one_sentence_keeping_the_saved_histories(
    tmp_path: Path,
) -> None:
    result = _run(V1, "AddTimer", save=tmp_path)
    assert result.exit_code == 2 and not result.counterexamples
    (error,) = result.errors
    assert error.startswith("AddTimer: generate stopped: the time-skipping test server failed")
    assert "example generated-AddTimer-3 of workflow type AddTimer" in error
    assert "lower --max-examples" in error
    assert result.examples == 3  # not shrunk as a failing example, nor run on
    assert result.saved and all(path.exists() for path in result.saved)
    assert "does not replay" not in result.render()


def test_a_nondeterminism_found_before_the_server_failed_is_still_reported() -> None:
    result = _run("tests.workflows.changes_v2", "Reorder")
    assert result.exit_code == 2
    (found,) = result.counterexamples
    assert found.verdict.verdict == "nondeterministic"
    (error,) = result.errors
    assert "generate stopped: the time-skipping test server failed" in error


@pytest.mark.parametrize("kind", ["signal", "update"])
def test_a_signal_or_update_the_server_does_not_answer_ends_the_run(kind: str) -> None:
    # Not taken for a signal or update to an execution that closed first (left unsent).
    example = asyncio.run(_send_to_a_killed_server(kind))
    assert isinstance(example.abort, ServerFailed)
    text = str(example.abort)
    assert (
        f"while sending a{'n' if kind == 'update' else ''} {kind} to example generated-Odd-Type-7"
        in text
    )
    assert "workflow type Odd-Type;" in text and not example.sent and not example.updates


async def _send_to_a_killed_server(kind: str) -> Example:
    from replaycheck.testing import time_skipping_server

    async with time_skipping_server() as env:
        # No worker polls this queue: the execution waits, open, for what is sent.
        handle = await env.client.start_workflow(
            "Odd-Type", id="generated-Odd-Type-7", task_queue="no-worker"
        )
        example = Example(None, handle.id, handle=handle)
        _signal_test_server(signal.SIGKILL)
        await send(example, [Message(kind, "go", (), 0)], IDLE, 30.0)
    return example
