"""Killing the server in the middle of an export: exit 2 with one sentence, only complete files
on disk, and running the export again (against the restarted server) finishes the job.

The server is a private ``temporal server start-dev --db-filename FILE``, so its executions
outlive it and the restarted server still has them.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from replaycheck.histories import read_history
from replaycheck.testing import find_temporal_cli
from tests.conftest import REPO

pytestmark = pytest.mark.server

EXECUTIONS = 150
KILL_AFTER = 10
"""Files written before the server is killed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def private_server(db: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A dev server on 127.0.0.1:``port`` keeping its state in ``db``; killed on exit."""
    command = [
        find_temporal_cli(), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
        "--port", str(port), "--db-filename", str(db), "--log-level", "error",
        "--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "synchronous=OFF",
    ]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        asyncio.run(wait_until_up(f"127.0.0.1:{port}", proc))
        yield proc
    finally:
        proc.kill()
        proc.wait()


async def wait_until_up(address: str, proc: subprocess.Popen[bytes]) -> None:
    from temporalio.client import Client

    deadline = time.monotonic() + 60
    while True:
        try:
            await asyncio.wait_for(Client.connect(address), 5)
            return
        except (RuntimeError, asyncio.TimeoutError):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dev server at {address} did not start") from None
            await asyncio.sleep(0.2)


async def run_steps(address: str, count: int) -> None:
    """``count`` short ``Steps`` executions, completed."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows.steps import TASK_QUEUE, StepsWorkflow, step

    client = await Client.connect(address)
    async with Worker(client, task_queue=TASK_QUEUE, workflows=[StepsWorkflow], activities=[step]):
        await asyncio.gather(
            *(
                client.execute_workflow(
                    StepsWorkflow.run, 2, id=f"s-{i:03d}", task_queue=TASK_QUEUE
                )
                for i in range(count)
            )
        )


def export_command(address: str, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "replaycheck", "export", "-q", "WorkflowType='Steps'",
        "--address", address, "-o", str(out), "--concurrency", "1",
    ]  # fmt: skip


def test_killed_server_mid_export_then_resume(tmp_path: Path) -> None:
    db, log, out = tmp_path / "temporal.db", tmp_path / "server.log", tmp_path / "out"
    port = free_port()
    address = f"127.0.0.1:{port}"
    with private_server(db, port, log) as server:
        asyncio.run(run_steps(address, EXECUTIONS))
        export = subprocess.Popen(
            export_command(address, out), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        while len(list(out.rglob("*.json"))) < KILL_AFTER and export.poll() is None:
            time.sleep(0.005)
        server.kill()
        server.wait()
        killed = time.monotonic()
        stdout, stderr = export.communicate(timeout=120)
        elapsed = time.monotonic() - killed
    message = stderr.decode()
    assert export.returncode == 2, message
    assert stdout == b"", stdout.decode()[:3000]
    assert message.splitlines()[-1].startswith("replaycheck: error: lost the connection to ")
    assert address in message.splitlines()[-1]
    assert message.splitlines()[-1].endswith("run the same command again to export the rest.")
    assert "Traceback" not in message
    assert elapsed < 30  # the client retries for about 10 s, then gives up
    written = sorted(out.rglob("*"))
    files = [p for p in written if p.is_file()]
    assert KILL_AFTER <= len(files) < EXECUTIONS
    assert not [p for p in files if p.name.startswith(".")]  # no temp file left behind
    for path in files:
        assert read_history(path).info.status == "COMPLETED"

    with private_server(db, port, log):
        again = subprocess.run(export_command(address, out), cwd=REPO, capture_output=True)
    assert again.returncode == 0, again.stderr.decode()
    summary = again.stderr.decode().splitlines()[-1]
    assert summary == (
        f"exported {EXECUTIONS - len(files)} histories to {out}; {len(files)} already there "
        "(--overwrite replaces them)"
    )
    final = [p for p in out.rglob("*") if p.is_file()]
    assert len(final) == EXECUTIONS
    # Whole histories, up to the close event (on a loaded machine, a first workflow task that
    # timed out makes some longer than the usual 17 events).
    assert all(read_history(p).info.status == "COMPLETED" for p in final)
