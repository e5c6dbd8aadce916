"""The workflow failure a history recorded where the code now goes on: the failure as the old
code raised it, and the ``raise`` statement its stack trace quotes, for the fix's ``else`` (a
``raise`` removed; the old code's source is not at hand, the history's trace is).
``replaycheck._building`` adds them to a diagnosis."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._source import SourceFrame

if TYPE_CHECKING:
    from temporalio.api.failure.v1 import Failure
    from temporalio.api.history.v1 import History

    from replaycheck.diagnose import Diagnosis

ERRORS = {
    "application_failure_info": "ApplicationError",
    "canceled_failure_info": "CancelledError",
    "timeout_failure_info": "TimeoutError",
    "terminated_failure_info": "TerminatedError",
    "server_failure_info": "ServerError",
    "activity_failure_info": "ActivityError",
    "child_workflow_execution_failure_info": "ChildWorkflowError",
    "nexus_operation_execution_failure_info": "NexusOperationError",
}
"""The ``temporalio.exceptions`` class of each kind of failure."""

_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)\s*$')


def with_recorded_failure(diagnosis: Diagnosis, history: History) -> Diagnosis:
    """``diagnosis`` with :attr:`~replaycheck.diagnose.Diagnosis.failure_recorded` and
    :attr:`~replaycheck.diagnose.Diagnosis.failure_raised_at` when the history recorded the
    workflow failing where replay diverged."""
    d = diagnosis
    if d.recorded_kind != "fail":
        return d
    event = next((e for e in history.events if e.event_id == d.event_id), None)
    if event is None or not event.HasField("workflow_execution_failed_event_attributes"):
        return d
    failure = event.workflow_execution_failed_event_attributes.failure
    return replace(
        d,
        failure_recorded=describe_failure(failure),
        failure_raised_at=raised_at(failure.stack_trace),
    )


def describe_failure(failure: Failure) -> str:
    """``ApplicationError: order rejected of type Rejected``, as the code raised it."""
    info = failure.WhichOneof("failure_info")
    error = ERRORS.get(info or "", "an error")
    kind = failure.application_failure_info.type if info == "application_failure_info" else ""
    return f"{error}: {failure.message}" + (f" of type {kind}" if kind else "")


def raised_at(stack_trace: str) -> SourceFrame | None:
    """The last frame of a Python stack trace as temporalio records it, its statement kept
    when it is a whole ``raise`` (``None``: no Python frame)."""
    lines = stack_trace.splitlines()
    starts = [i for i, line in enumerate(lines) if _FRAME.match(line)]
    if not starts:
        return None
    match = _FRAME.match(lines[starts[-1]])
    assert match is not None
    body = [x for x in lines[starts[-1] + 1 :] if x.strip() and set(x.strip()) - set("^~")]
    code = _dedented(body)
    try:
        statements = ast.parse(code).body
    except SyntaxError:
        statements = []
    if len(statements) != 1 or not isinstance(statements[0], ast.Raise):
        code = ""
    return SourceFrame(match["file"], int(match["line"]), match["function"], code)


def _dedented(lines: list[str]) -> str:
    indent = min((len(x) - len(x.lstrip()) for x in lines), default=0)
    return "\n".join(x[indent:] for x in lines)
