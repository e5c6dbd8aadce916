"""The replay worker process's own plumbing, apart from replaying: its messages on the original
stdout, what it printed read back, core's and temporalio's logs kept off stdout and quiet, and
leaving when its parent is gone (for :mod:`replaycheck._worker`)."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import IO


def configure_runtime() -> None:
    """Route core's logs through Python logging so its WARN lines never reach stdout."""
    from temporalio.runtime import Runtime

    from replaycheck._runtime import silent_runtime

    # temporalio logs each failed workflow activation (e.g. payloads it cannot decode) with a
    # traceback; the verdict carries the failure, so keep stderr for real problems.
    logging.getLogger("temporalio.worker._workflow_instance").setLevel(logging.CRITICAL)
    logging.getLogger("temporalio.worker._workflow").addFilter(quiet_activation_failures)
    # The sandbox logs each call it stops; the verdict names the call and its line.
    logging.getLogger("temporalio.worker.workflow_sandbox._restrictions").setLevel(logging.ERROR)
    Runtime.set_default(silent_runtime("replaycheck.core"), error_if_already_set=False)


_REPLAYCHECK = os.path.dirname(os.path.abspath(__file__)) + os.sep


_DEADLOCKED: set[object] = set()
"""Run IDs whose deadlock traceback was dropped (the verdict names the deadlock)."""


def quiet_activation_failures(record: logging.LogRecord) -> bool:
    """Drop temporalio's "Failed handling activation" traceback (the verdict names the failure:
    the converter's, the workflow code's, a deadlock's) unless replaycheck's own code raised it: a
    bug of ours must still show. After a deadlock, the "Failed running eviction job" traceback of
    that run (its stalled task still there, evicted again 2 s later) goes too."""
    message = str(record.msg)
    if message.startswith("Failed running eviction job"):
        return not _evicting_deadlocked(record)
    if not message.startswith("Failed handling activation"):
        return True
    tb = record.exc_info[2] if record.exc_info else None
    if record.exc_info and type(record.exc_info[1]).__name__ == "_DeadlockError":
        # Its traceback is the stalled thread's stack, innermost frame first, and replaycheck's
        # activation wrapper is always on it: only the frame that stalled says whose code it is.
        if tb is not None and tb.tb_frame.f_code.co_filename.startswith(_REPLAYCHECK):
            return True
        _DEADLOCKED.add(_run_id(record))
        return False
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(_REPLAYCHECK):
            return True
        tb = tb.tb_next
    return False


def _run_id(record: logging.LogRecord) -> object:
    """The run ID temporalio's message names (its only argument)."""
    return record.args[0] if isinstance(record.args, tuple) and record.args else None


def _evicting_deadlocked(record: logging.LogRecord) -> bool:
    """Whether ``record`` is the failed eviction of a run whose deadlock was dropped, raised
    outside replaycheck's code."""
    run_id = _run_id(record)
    if run_id is None or run_id not in _DEADLOCKED:
        return False
    _DEADLOCKED.discard(run_id)  # temporalio says it once per eviction
    tb = record.exc_info[2] if record.exc_info else None
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is None or not tb.tb_frame.f_code.co_filename.startswith(_REPLAYCHECK)


def protocol_stream() -> IO[str]:
    """Keep the real stdout for messages; send anything else printed to stderr."""
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


class OutputCapture:
    """Reads back what this process wrote to stderr (a file the parent gave it; stdout goes
    there too, see :func:`protocol_stream`)."""

    def __init__(self) -> None:
        self.read = 0

    def take(self) -> tuple[str, int]:
        """What was written since the last call, and the file's size now.

        Without ``os.pread`` (Windows) nothing is read: moving the offset of the descriptor
        this process writes through could put what another thread writes meanwhile over what
        was read, so the size alone is given (what a worker that crashes wrote still is).
        """
        sys.stderr.flush()
        end = os.fstat(2).st_size
        pread = getattr(os, "pread", None)
        data = pread(2, end - self.read, self.read) if end > self.read and pread else b""
        self.read = end
        return data.decode("utf-8", "replace"), end


PARENT_CHECK_SECONDS = 1.0


def leave_with_parent() -> None:
    """Exit when the parent dies without stopping this worker (SIGKILL, ``os._exit`` after a
    pytest-timeout, a cancelled CI job): end of input ends an idle worker, but not one stuck
    in a history. The parent's pid comes from the environment (it may have died before this
    process could ask who its parent is); POSIX only."""
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return
    parent = int(os.environ.get("REPLAYCHECK_PARENT_PID") or os.getppid())

    def alive() -> bool:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return False
        except OSError:  # it exists, under another user
            return True
        return True

    if not alive():
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if not alive():
                os._exit(1)

    threading.Thread(target=watch, name="replaycheck-parent", daemon=True).start()
