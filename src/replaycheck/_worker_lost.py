"""What a history's verdict says when the replay worker was too slow on it or lost it: the
timeout it exceeded, where it hung, the crash that ended the worker, and where to raise the
timeout (for :class:`~replaycheck._worker_session.WorkerSession`)."""

from __future__ import annotations

import subprocess
from dataclasses import replace

from replaycheck._job import ReplayJob
from replaycheck.verdict import Verdict

RAISE_TIMEOUT = (
    "raise the timeout (--timeout, --replaycheck-timeout, or timeout in [tool.replaycheck])"
)


def raise_timeout(job: ReplayJob) -> str:
    """The fix of a timeout, naming where ``job``'s caller sets it: :data:`RAISE_TIMEOUT` for
    the command line, else its own place (``override(timeout=...)``, ``--replaycheck-timeout``)
    and ``[tool.replaycheck]``."""
    given = job.python_name("timeout")
    if given is None:
        return RAISE_TIMEOUT
    return f"raise the timeout ({given + ', or ' if given else ''}timeout in [tool.replaycheck])"


def crash_reason(proc: subprocess.Popen[bytes]) -> str:
    """Why the worker ended mid-history: its signal or exit code."""
    code = proc.wait()
    if code < 0:
        return f"crashed the replay worker (signal {-code})"
    return f"crashed the replay worker (exit code {code})"


def timed_out_late(verdict: Verdict, job: ReplayJob) -> Verdict:
    """``verdict``, or an error when its replay took longer than ``job`` allows (it finished,
    but while nobody was waiting)."""
    limit = job.limit_for(verdict.events)
    if verdict.seconds <= limit:
        return verdict
    return replace(
        verdict,
        verdict="error",
        message=f"replay timed out after {limit:g} s (it took "
        f"{verdict.seconds:.3g} s for {verdict.events} events); this history was not "
        f"checked; {raise_timeout(job)} for histories this long",
        diagnosis=None,
        verified_through=0,
    )


def timeout_size(job: ReplayJob, replaying: bool, events: int) -> str:
    """`` in a history of N events; ...`` for a timeout while replaying a long history,
    `` while reading the history; ...`` before the worker had read it (``events``: 0), and
    nothing when no history was ``replaying``."""
    if not replaying:
        return ""
    if not events:
        return (
            " while reading the history; if it is that large rather than stuck, "
            f"{raise_timeout(job)}"
        )
    return (
        f" in a history of {events} events; if it is that long rather than "
        f"stuck, {raise_timeout(job)}"
    )
