"""What differs on Windows and macOS, simulated on Linux: the calls a platform lacks, and a
console that cannot encode every character."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    err = tmp_path / "stderr.txt"
    with err.open("w+b") as handle:  # a file it can read, as the worker's stderr is
        done = subprocess.run(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=handle,
            text=True,
            env={**os.environ, **env},
            check=False,
        )
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout, err.read_text())


def test_the_worker_captures_output_without_pread(tmp_path: Path) -> None:
    # os.pread is POSIX only: the pytest plugin's worker failed at its first verdict on Windows.
    code = (
        "import os, sys\n"
        "del os.pread\n"
        "from replaycheck._worker import OutputCapture\n"
        "capture = OutputCapture()\n"
        "sys.stderr.write('printed by the workflow\\n')\n"
        "print(repr(capture.take()))\n"
    )
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == repr(("", len("printed by the workflow\n"))) + "\n"


def test_the_worker_captures_output_with_pread(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from replaycheck._worker import OutputCapture\n"
        "capture = OutputCapture()\n"
        "sys.stderr.write('printed by the workflow\\n')\n"
        "print(repr(capture.take()))\n"
    )
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    expected = ("printed by the workflow\n", len("printed by the workflow\n"))
    assert done.stdout == repr(expected) + "\n"
