"""``generate --save`` and ``export`` into one directory: each takes the other's lock.

Without it, a ``generate --save`` listed the shapes stored in the directory while an export
(or another ``generate --save``) wrote into it, and ran on. The one that comes second stops
at once, writing nothing (exit status 2, one sentence naming what holds the directory and
what chooses another).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from replaycheck._export_lock import LOCK_NAME
from tests.conftest import REPO
from tests.test_check import as_from_a_terminal
from tests.test_export_concurrent import HOLD

GENERATE = [sys.executable, "-m", "replaycheck", "generate",
            "--baseline", "examples.provisioning.workflows_v1", "--save"]  # fmt: skip
EXPORT = [sys.executable, "-m", "replaycheck", "export", "--workflow-id", "x",
          "--address", "127.0.0.1:1"]  # fmt: skip
"""An export that is refused before it connects, or fails to connect (nothing listens)."""


def project(tmp_path: Path) -> Path:
    """A project whose ``generate --save`` writes into ``out`` (its ``export_dir``)."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.replaycheck]\n"
        'workflows = ["examples.provisioning.workflows"]\n'
        'histories = ["fixtures/histories"]\n'
        'export_dir = "out"\n'
        f"pythonpath = [{str(REPO)!r}]\n"
    )
    return tmp_path


def last_line(stderr: str) -> list[str]:
    return stderr.splitlines()[-1:]


def test_generate_save_into_a_directory_an_export_holds_stops_at_once(tmp_path: Path) -> None:
    root = project(tmp_path)
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, "out"], cwd=root, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as holder:  # fmt: skip
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        done = subprocess.run(GENERATE, cwd=root, capture_output=True, text=True, timeout=120)
        assert [p.name for p in (root / "out").iterdir()] == [LOCK_NAME]  # nothing written
        holder.communicate(b"")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert last_line(done.stderr) == [
        f"replaycheck: error: another export is writing to out (pid {holder.pid}); wait for it "
        "or choose another export_dir in [tool.replaycheck] (save= in Python)."
    ]
    assert not (root / "out").exists()  # the holder made it and wrote nothing: gone again


def wait_for_lock(out: Path, proc: subprocess.Popen[bytes]) -> str:
    """The lock file's text once ``proc`` holds it (it runs on; it is not expected to end)."""
    lock = out / LOCK_NAME
    for _ in range(1200):
        text = lock.read_text() if lock.exists() else ""
        if text.endswith("\n"):
            return text
        assert proc.poll() is None, "generate --save ended before the export ran"
        time.sleep(0.05)
    raise AssertionError("generate --save never took the lock")


def test_an_export_while_generate_saves_into_its_directory_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path)
    # Enough examples to run for minutes: it is stopped once the export has been refused.
    generate = subprocess.Popen(
        [*GENERATE, "--max-examples", "10000"], cwd=root,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=as_from_a_terminal,
    )  # fmt: skip (SIGINT below stops it even where the suite runs with SIGINT ignored)
    try:
        assert wait_for_lock(root / "out", generate) == f"{generate.pid} generate --save\n"
        export = subprocess.run(
            [*EXPORT, "-o", "out"], cwd=root, capture_output=True, text=True, timeout=60
        )
        assert export.returncode == 2, export.stderr
        assert last_line(export.stderr) == [
            f"replaycheck: error: another generate --save is writing to out (pid {generate.pid}); "
            "wait for it or choose another -o."
        ]
        again = subprocess.run(GENERATE, cwd=root, capture_output=True, text=True, timeout=120)
        assert again.returncode == 2, again.stdout + again.stderr
        assert "another generate --save is writing to out" in last_line(again.stderr)[0]
    finally:
        generate.send_signal(signal.SIGINT)  # stops it as Ctrl-C does, its servers with it
        generate.wait(timeout=120)
    assert not (root / "out" / LOCK_NAME).exists()  # released on the way out
