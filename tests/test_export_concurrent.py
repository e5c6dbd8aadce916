"""Two ``replaycheck export`` processes into one directory at once, against the real dev server.

Each export lists the directory before the other has written anything: without the lock, one
writing JSON and one gzip left both files of every execution (so ``check`` replayed each
twice), and two with ``--overwrite`` could remove each other's files. The second is refused
(exit status 2, one sentence); a lock left by a killed export is taken over.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from subprocess import PIPE
from typing import TYPE_CHECKING

import pytest

from replaycheck._export_lock import LOCK_NAME
from replaycheck.histories import read_history
from tests.conftest import REPO
from tests.test_export import fresh_namespace

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.server

EXECUTIONS = 120

HOLD = (
    "import sys; from pathlib import Path; from replaycheck._export_lock import export_lock\n"
    "with export_lock(Path(sys.argv[1])):\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.read()\n"
)
"""A process that holds the export lock of a directory until its stdin closes."""


async def run_steps(address: str, namespace: str, count: int) -> None:
    """``count`` short ``Steps`` executions in ``namespace``, completed."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows.steps import TASK_QUEUE, StepsWorkflow, step

    client = await Client.connect(address, namespace=namespace)
    async with Worker(client, task_queue=TASK_QUEUE, workflows=[StepsWorkflow], activities=[step]):
        await asyncio.gather(
            *(
                client.execute_workflow(StepsWorkflow.run, 1, id=f"s-{i}", task_queue=TASK_QUEUE)
                for i in range(count)
            )
        )


@pytest.fixture(scope="module")
def steps(dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop) -> list[str]:
    """``--address`` and ``--namespace`` of a namespace holding :data:`EXECUTIONS` executions."""
    namespace = fresh_namespace(dev_server, server_loop, "concurrent")
    address = dev_server.client.service_client.config.target_host
    server_loop.run_until_complete(run_steps(address, namespace, EXECUTIONS))
    return ["--address", address, "--namespace", namespace]


def export_command(steps: list[str], out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "replaycheck", "export", "-q", "WorkflowType='Steps'",
        *steps, "-o", str(out), *extra,
    ]  # fmt: skip


def files_by_execution(out: Path) -> Counter[str]:
    """How many history files each execution has (any format), each checked complete."""
    files = [p for p in out.rglob("*") if p.is_file()]
    for path in files:
        assert read_history(path).info.status == "COMPLETED"
    return Counter(p.name.split(".")[0] for p in files)


def refused(stderr: bytes, out: Path, pid: int) -> bool:
    return stderr.decode().splitlines()[-1:] == [
        f"replaycheck: error: another export is writing to {out} (pid {pid}); "
        "wait for it or choose another -o."
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [((), ("--gzip",)), (("--overwrite",), ("--gzip", "--overwrite"))],
    ids=["json-and-gzip", "both-overwrite"],
)
def test_two_exports_at_once_leave_one_file_per_execution(
    steps: list[str], tmp_path: Path, first: tuple[str, ...], second: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    if "--overwrite" in first:
        subprocess.run(export_command(steps, out), cwd=REPO, capture_output=True, check=True)
    procs = [
        subprocess.Popen(export_command(steps, out, *extra), cwd=REPO, stdout=PIPE, stderr=PIPE)
        for extra in (first, second)
    ]
    results = [(proc, *proc.communicate(timeout=300)) for proc in procs]
    # Whichever ran first wrote; the other was refused while it ran, or (started once it had
    # finished) found every execution there already, in one format or the other.
    for proc, stdout, stderr in results:
        other = next(p for p in procs if p is not proc)
        assert stdout == b""
        assert proc.returncode == 0 or (proc.returncode == 2 and refused(stderr, out, other.pid))
    assert any(proc.returncode == 0 for proc, _, _ in results)
    counts = files_by_execution(out)
    assert len(counts) == EXECUTIONS
    assert set(counts.values()) == {1}
    assert not (out / LOCK_NAME).exists()


def test_an_export_while_another_holds_the_directory_is_refused_until_it_ends(
    steps: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], cwd=REPO,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        second = subprocess.run(export_command(steps, out, "--gzip"), cwd=REPO, capture_output=True)
        assert second.returncode == 2
        assert refused(second.stderr, out, holder.pid), second.stderr.decode()
        assert "Traceback" not in second.stderr.decode()
        assert [p.name for p in out.iterdir()] == [LOCK_NAME]  # nothing written
    finally:
        holder.communicate(b"")
    assert not out.exists()  # the holder created it; nothing was written, so it is gone again
    again = subprocess.run(export_command(steps, out, "--gzip"), cwd=REPO, capture_output=True)
    assert again.returncode == 0, again.stderr.decode()
    assert again.stderr.decode().splitlines()[-1] == f"exported {EXECUTIONS} histories to {out}"


def test_the_lock_of_a_killed_export_is_taken_over(steps: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], cwd=REPO,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    ) as holder:  # fmt: skip
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        holder.send_signal(signal.SIGKILL)  # no chance to remove its lock file
        holder.wait()
    assert (out / LOCK_NAME).read_text() == f"{holder.pid} export\n"  # naming a dead process
    export = subprocess.run(export_command(steps, out), cwd=REPO, capture_output=True)
    assert export.returncode == 0, export.stderr.decode()
    assert export.stderr.decode().splitlines()[-1] == f"exported {EXECUTIONS} histories to {out}"
    assert set(files_by_execution(out).values()) == {1}
    assert not (out / LOCK_NAME).exists()


def test_files_half_written_by_a_killed_export_are_removed_by_the_next(
    steps: list[str], tmp_path: Path
) -> None:
    """A SIGKILLed export leaves its temp files (``.s-3.json.XXXXXXXX.tmp``, cut off): hidden,
    never read as histories, and kept an hour (a live writer's could be among them), so running
    it again left them beside the whole files. Holding the lock, nothing else writes there."""
    out = tmp_path / "out"
    first = subprocess.run(export_command(steps, out, "--limit", "5"), cwd=REPO)
    assert first.returncode == 0
    [done] = {p.parent for p in out.rglob("*.json")}
    whole = next(done.glob("*.json")).read_bytes()
    left = [done / ".s-3.json.0a1b2c3d.tmp", done / "sub" / ".s-7.json.gz.deadbeef.tmp"]
    for path in left:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(whole[: len(whole) // 2])  # as a write cut off by SIGKILL
    other = done / ".notes.txt.0a1b2c3d.tmp"  # not a history's: not export's to remove
    other.write_text("mine")
    # A directory below with a lock of its own is another writer's (generate -o out/generated
    # while this export runs): its temp files may be being written.
    generating = out / "generated"
    generating.mkdir()
    (generating / LOCK_NAME).write_text(f"{os.getpid()} generate --save\n")
    live = generating / ".g-1.json.0a1b2c3d.tmp"
    live.write_bytes(whole[: len(whole) // 2])
    export = subprocess.run(export_command(steps, out), cwd=REPO, capture_output=True)
    assert export.returncode == 0, export.stderr.decode()
    assert not any(p.exists() for p in left)
    assert other.read_text() == "mine"
    assert live.exists()
    live.unlink()
    (generating / LOCK_NAME).unlink()
    other.unlink()
    assert set(files_by_execution(out).values()) == {1}
    assert sum(files_by_execution(out).values()) == EXECUTIONS


LATE_HOLDER = (
    "import fcntl, os, sys, time\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o666)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"
    "print('locked', flush=True)\n"
    "time.sleep(0.3)\n"
    "os.write(fd, f'{os.getpid()} generate --save\\n'.encode())\n"
    "sys.stdin.read()\n"
)
"""A holder caught between locking the file and writing who it is, as when two writers start
at once: it locks, then names itself 0.3 s later."""


@pytest.mark.skipif(sys.platform == "win32", reason="the late holder locks with flock")
def test_a_writer_refused_while_the_holder_is_starting_still_names_it(tmp_path: Path) -> None:
    from replaycheck._export_lock import export_lock
    from replaycheck.errors import ReplaycheckError

    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", LATE_HOLDER, str(out / LOCK_NAME)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"locked\n"
        with pytest.raises(ReplaycheckError) as refusal, export_lock(out):
            pass
    finally:
        holder.communicate(b"")
    assert str(refusal.value) == (
        f"another generate --save is writing to {out} (pid {holder.pid}); wait for it or "
        "choose another -o."
    )


LIMITED = (
    "import resource, runpy, signal, sys\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv.pop(1)), resource.RLIM_INFINITY))\n"
    "runpy.run_module('replaycheck', run_name='__main__')\n"
)
"""``python -m replaycheck`` where no file may grow past ``argv[1]`` bytes, as on a full disk
(a write past it fails with EFBIG, "File too large")."""


async def run_sized(address: str, namespace: str) -> None:
    """12 ``Steps`` executions of one step (about 7 KB of JSON) and 3 of twelve (about 25 KB)."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows.steps import TASK_QUEUE, StepsWorkflow, step

    client = await Client.connect(address, namespace=namespace)
    sizes = {f"small-{i}": 1 for i in range(12)} | {f"big-{i}": 12 for i in range(3)}
    async with Worker(client, task_queue=TASK_QUEUE, workflows=[StepsWorkflow], activities=[step]):
        await asyncio.gather(
            *(
                client.execute_workflow(StepsWorkflow.run, n, id=wid, task_queue=TASK_QUEUE)
                for wid, n in sizes.items()
            )
        )


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_stops_the_export_with_whole_files_and_running_it_again_finishes(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The message said only "cannot write F (...); check the output directory (-o)": not
    what was kept, nor that running the export again picks up where it stopped."""
    namespace = fresh_namespace(dev_server, server_loop, "full")
    address = dev_server.client.service_client.config.target_host
    server_loop.run_until_complete(run_sized(address, namespace))
    out = tmp_path / "out"
    command = export_command(["--address", address, "--namespace", namespace], out)
    limited = [sys.executable, "-c", LIMITED, "12000", *command[3:]]
    first = subprocess.run(limited, cwd=REPO, capture_output=True)
    assert first.returncode == 2, first.stderr.decode()
    last = first.stderr.decode().splitlines()[-1]
    kept = files_by_execution(out)  # each one complete
    match = re.fullmatch(
        rf"replaycheck: error: cannot write {re.escape(str(out / 'Steps'))}/big-\d\.json "
        r"\(File too large\); (\d+) histor(?:y|ies) written before that, each complete: make "
        r"room for them \(free space, or raise the quota or file size limit\), then run the "
        r"same command again to export the rest\.",
        last,
    )
    assert match is not None, last
    assert int(match[1]) <= len(kept) < 15
    assert not any(p.name.startswith("big-") for p in out.rglob("*"))  # nothing half-written
    assert not list(out.rglob(".*"))  # no temp file, no lock left
    again = subprocess.run(command, cwd=REPO, capture_output=True)
    assert again.returncode == 0, again.stderr.decode()
    assert len(files_by_execution(out)) == 15
    assert set(files_by_execution(out).values()) == {1}
