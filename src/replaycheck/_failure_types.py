"""Exceptions that fail the workflow rather than its workflow task, as a worker's
``workflow_failure_exception_types`` (or ``@workflow.defn(failure_exception_types=...)``)
names them: the classes the replay worker gives its ``Replayer``, and the words for a replay that
fails the workflow task where the history failed the workflow.

A worker made with ``workflow_failure_exception_types=[ValueError]`` fails an execution whose
code raises ``ValueError`` (``WorkflowExecutionFailed``); a replay without the setting fails the
workflow task on the same exception instead, an ``error`` (as temporalio's ``Replayer`` says)
whose cause is the setting, not the code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from replaycheck.errors import ConfigError

if TYPE_CHECKING:
    from replaycheck._job import ReplayJob
    from replaycheck.histories import LoadedHistory

KEY = "workflow_failure_exception_types"


def failure_exception_types(job: ReplayJob) -> tuple[type[BaseException], ...]:
    """The job's exception classes, imported (a bare name is a built-in's)."""
    specs = job.workflow_failure_exception_types
    python = job.python_name(KEY)
    return tuple(_exception_class(spec, job.import_paths, python) for spec in specs)


def _exception_class(
    spec: str, import_paths: Sequence[str], python: str | None
) -> type[BaseException]:
    from replaycheck._config_values import other_place
    from replaycheck.config import import_object

    builtin = spec if ":" in spec else f"builtins:{spec}"
    found = import_object(builtin, import_paths, KEY, python=python)
    if not isinstance(found, type) or not issubclass(found, BaseException):
        other = other_place(KEY, python)
        fix = f"fix {KEY} in [tool.replaycheck]{f' (or {other})' if other else ''}"
        raise ConfigError(
            f"{KEY}: {spec!r} is a {type(found).__name__}, not an exception class; {fix}."
        )
    return found


def history_failure_type(loaded: LoadedHistory) -> tuple[str, int]:
    """The type of the failure the history's ``WorkflowExecutionFailed`` recorded (an
    exception's class name, for one a worker's failure types caught), and its event id;
    ``("", 0)`` when the history did not end so."""
    from temporalio.api.enums.v1 import EventType

    events = loaded.history.events
    last = events[-1] if events else None
    if last is None or last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        return "", 0
    failure = last.workflow_execution_failed_event_attributes.failure
    if not failure.HasField("application_failure_info"):
        return "", 0
    return failure.application_failure_info.type, last.event_id


def failed_workflow_hint(loaded: LoadedHistory, text: str, python: str | None = None) -> str:
    """For a replay whose workflow code raised (``text``: the replay failure) where the history
    failed the workflow on an exception of the same type: what happened and the setting that
    fixes it (``python``: how the caller gives it, ``ReplayJob.python_name``; ``None``: the
    command line's options); empty otherwise."""
    from replaycheck._code_failure import raised_by

    raised, path = raised_by(text)
    recorded, event = history_failure_type(loaded)
    if not raised or recorded != raised:
        return ""
    spec = _spec_of(raised, path)
    return (
        f"; the history failed the workflow on this {raised} (event {event}), so the worker that "
        f"ran it fails workflows on {raised} and this replay does not: set "
        f'{KEY} = ["{spec}"] under [tool.replaycheck] as your worker has it{_or_pass(spec, python)}'
        f", or declare it with @workflow.defn(failure_exception_types=[{raised}])"
    )


def _or_pass(spec: str, python: str | None) -> str:
    """`` (or pass --failure-exception-type SPEC; ...)``, naming the caller's own place when
    ``python`` says it (empty when only ``[tool.replaycheck]`` gives the setting)."""
    from replaycheck._config_values import given_with

    if python is None:
        return (
            f" (or pass --failure-exception-type {spec}; in pytest, "
            f"--replaycheck-failure-exception-type {spec})"
        )
    return f" (or {given_with(python, spec, json.dumps(spec))})" if python else ""


def _spec_of(name: str, path: str) -> str:
    """How to name the exception class ``name`` raised in the file ``path``: its bare name for a
    built-in, else ``module:Class`` of the class that name has in the module of ``path``."""
    import builtins

    found = getattr(builtins, name, None)
    if isinstance(found, type) and issubclass(found, BaseException):
        return name
    for module in list(sys.modules.values()):
        if path and getattr(module, "__file__", None) == path:
            found = getattr(module, name, None)
            if isinstance(found, type) and issubclass(found, BaseException):
                return f"{found.__module__}:{found.__qualname__}"
    return f"package.module:{name}"
