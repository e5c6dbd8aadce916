"""temporalio's workflow sandbox as the worker sets it up (its runner or restrictions, the modules
it passes through), and the one-line error for workflow code the sandbox refuses to load.

A worker validates each workflow by loading its module in a fresh sandbox; a module whose
top-level code makes a call the sandbox forbids (``Path.resolve()`` in a settings module, say)
fails that validation. Workers avoid it by passing such modules through, so a replay must be
told which ones: ``passthrough_modules``, or the worker's own object in ``workflow_runner``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Collection
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from replaycheck._config_values import described, given_with, other_then
from replaycheck.config import import_object
from replaycheck.errors import ConfigError, SandboxImportError

if TYPE_CHECKING:
    from temporalio.worker import WorkflowRunner

    from replaycheck._job import ReplayJob


def workflow_runner(job: ReplayJob) -> WorkflowRunner | None:
    """The runner of ``job``'s workflows: unsandboxed for ``--no-sandbox``, else the configured
    ``workflow_runner`` with the ``passthrough_modules`` passed through as well; ``None`` for
    temporalio's default sandbox."""
    from temporalio.worker import UnsandboxedWorkflowRunner
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    if not job.sandbox:
        return UnsandboxedWorkflowRunner()
    runner = None
    if job.workflow_runner:
        python = job.python_name("workflow_runner")
        spec = job.workflow_runner
        found = import_object(spec, job.import_paths, "workflow_runner", python=python)
        runner = as_workflow_runner(found, spec, python)
    if job.passthrough_modules:
        runner = runner or SandboxedWorkflowRunner()
        if isinstance(runner, SandboxedWorkflowRunner):  # another runner has no passthrough
            restrictions = runner.restrictions.with_passthrough_modules(*job.passthrough_modules)
            runner = dataclasses.replace(runner, restrictions=restrictions)
    return runner


def as_workflow_runner(obj: Any, spec: str, python: str | None = None) -> WorkflowRunner:
    """Accept a ``WorkflowRunner`` (``SandboxedWorkflowRunner(...)``), ``SandboxRestrictions``
    or a zero-argument factory of either (``spec``: where it came from, ``python``: how the
    caller gave it, for the error)."""
    from temporalio.worker import WorkflowRunner
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    if callable(obj) and not isinstance(obj, (WorkflowRunner, SandboxRestrictions)):
        obj = obj()
    if isinstance(obj, SandboxRestrictions):
        return SandboxedWorkflowRunner(restrictions=obj)
    if not isinstance(obj, WorkflowRunner):
        raise ConfigError(
            f"workflow_runner {spec} must name a temporalio SandboxedWorkflowRunner or "
            f"SandboxRestrictions (or a function returning one), got {described(obj)}; fix "
            f"{other_then('workflow_runner', python, ', or ')}workflow_runner in "
            "[tool.replaycheck]."
        )
    return obj


_VALIDATING = re.compile(r"Failed validating workflow (.+)")
_RESTRICTED = "RestrictedWorkflowAccessError"
RUNNER = 'name your worker\'s runner or restrictions with workflow_runner = "module:object"'
PASS_IT = (
    "set passthrough_modules = [{0}] under [tool.replaycheck] (or --passthrough-module {1}; "
    "in pytest, --replaycheck-passthrough-module {1}), or " + RUNNER
)
"""The fix of a module the sandbox refuses, as the command line names it."""


def pass_it(listed: str, module: str, python: str | None = None) -> str:
    """How to pass ``module`` through (``listed``: as an item of ``passthrough_modules``),
    naming where the caller gives it (``python``, ``ReplayJob.python_name``): :data:`PASS_IT`
    for the command line, else ``[tool.replaycheck]`` and the caller's own place, if any."""
    if python is None:
        return PASS_IT.format(listed, module)
    other = f" (or {given_with(python, module, listed)})" if python else ""
    return f"set passthrough_modules = [{listed}] under [tool.replaycheck]{other}, or {RUNNER}"


def sandbox_refusal(
    exc: BaseException, workflow_modules: Collection[str], python: str | None = None
) -> SandboxImportError | None:
    """The error for temporalio's ``Failed validating workflow X`` (raised as a ``Replayer``
    starts): what the sandbox refused, in which module, and the setting that passes it through
    (``python``: how the caller gives ``passthrough_modules``, see :func:`pass_it`); ``None``
    for any other exception."""
    match = _VALIDATING.fullmatch(str(exc))
    if not isinstance(exc, RuntimeError) or match is None or exc.__cause__ is None:
        return None
    name = "the dynamic workflow" if match.group(1) == "None" else f"workflow {match.group(1)}"
    cause = _restricted_in(exc.__cause__) or exc.__cause__
    frames = _code_frames(cause.__traceback__)
    if not frames:
        return SandboxImportError(
            f"temporalio's sandbox refused {name} while loading its module: it "
            f"{_what_it_did(cause)}; a worker fails the same way unless it passes the module "
            f"that does so through: if yours does, {pass_it('...', 'MODULE', python)}."
        )
    module, where = _module_and_place(frames)
    said = f"temporalio's sandbox refused {name}: loading it, {module} ({where}) "
    said += _what_it_did(cause)
    if module in workflow_modules:
        return SandboxImportError(
            f"{said}; move that code out of the workflow module's top level (into an activity, "
            "or a module your worker passes through)."
        )
    passed = _passthrough_name(module, frames[-1][0])
    return SandboxImportError(
        f"{said}; a worker fails the same way unless it passes {passed} through: if yours does "
        f"(it is deterministic: settings, models, a library), "
        f"{pass_it(json.dumps(passed), passed, python)}."
    )


def _what_it_did(cause: BaseException) -> str:
    """``makes a call workflow code may not make (Cannot access ...)``, or ``raises E: ...``."""
    if type(cause).__name__ == _RESTRICTED:
        return f"makes a call workflow code may not make ({str(cause).split('. ')[0]})"
    return f"raises {type(cause).__name__}: {_first_line(cause)}"


def _restricted_in(exc: BaseException) -> BaseException | None:
    """The sandbox's own ``RestrictedWorkflowAccessError`` in ``exc``'s chain, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if type(current).__name__ == _RESTRICTED:
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _code_frames(tb: TracebackType | None) -> list[tuple[FrameType, int]]:
    """The frames of ``tb`` (outermost first) in the user's code or installed libraries: not
    temporalio's, replaycheck's, the standard library's, nor importlib's frozen ones."""
    from replaycheck._user_frames import is_user_file

    frames = []
    while tb is not None:
        if is_user_file(tb.tb_frame.f_code.co_filename):
            frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _module_and_place(frames: list[tuple[FrameType, int]]) -> tuple[str, str]:
    """The module of the innermost frame, and its ``file:line`` (``, imported from file:line``
    when an outer frame imported it)."""
    from replaycheck._places import display_file

    def place(entry: tuple[FrameType, int]) -> str:
        return f"{display_file(entry[0].f_code.co_filename)}:{entry[1]}"

    frame, _ = frames[-1]
    module = str(frame.f_globals.get("__name__", "?"))
    where = place(frames[-1])
    if len(frames) > 1:
        how = "imported" if frame.f_code.co_name == "<module>" else "called"
        where += f", {how} from {place(frames[-2])}"
    return module, where


def _passthrough_name(module: str, frame: FrameType) -> str:
    """What to pass through: an installed library as a whole (its top-level package), a module
    of the project itself alone."""
    from replaycheck._user_frames import SITE_PACKAGES

    installed = frame.f_code.co_filename.startswith(SITE_PACKAGES)
    return module.split(".")[0] if installed else module


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"
