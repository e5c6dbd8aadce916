"""Starting a replay worker process: its command and environment, SIGINT held while it starts,
and whether coverage.py measures it (for :class:`~replaycheck._worker_session.WorkerSession`)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path


def worker_command() -> list[str]:
    """The command that starts a worker process with this interpreter."""
    return [sys.executable, "-m", "replaycheck._worker"]


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[1])
    # Run from a source tree, the worker finds replaycheck there. Installed, it finds it in
    # site-packages anyway, which must not come before the standard library on PYTHONPATH.
    if package_root not in _site_directories():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    env["REPLAYCHECK_PARENT_PID"] = str(os.getpid())  # the worker leaves when this one dies
    return env


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Start a worker with SIGINT blocked: a Ctrl-C during its interpreter's start-up would
    print a traceback. The worker unblocks it once it handles it (a Ctrl-C that came meanwhile
    then ends it quietly); this process stops it anyway."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _site_directories() -> set[str]:
    import site

    found = [*site.getsitepackages(), site.getusersitepackages()]
    return {str(Path(p).resolve()) for p in found}


COVERAGE_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START", "COV_CORE_SOURCE")
"""Set when coverage.py starts in subprocesses: by ``[run] patch = subprocess``, the older
``COVERAGE_PROCESS_START``, and pytest-cov before 7 (which measured subprocesses itself)."""


def measured_by_coverage() -> bool:
    return any(name in os.environ for name in COVERAGE_VARIABLES)
