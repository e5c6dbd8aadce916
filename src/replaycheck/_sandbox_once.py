"""temporalio's sandbox, validating each workflow module once per ``Replayer``, not once per class.

A worker validates every registered workflow class before it replays anything, by importing the
class's module again in a fresh sandbox. With many classes in one module that import runs once
per class: 130 classes of one 2,000-line module took 12 s before the first history, where one
took 0.3 s. Whatever the sandbox refuses at import time, it refuses for the module, so one class
per module finds it; a class its module does not name (deleted, or bound to another name) is
validated on its own, as temporalio does. Each replay still imports its
module in its own sandbox, as a worker does.

Imported by the replay worker and by `generate`'s worker only (it loads temporalio).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

if TYPE_CHECKING:
    from temporalio.worker import WorkflowRunner
    from temporalio.workflow import _Definition


@dataclass(frozen=True)
class ModuleValidatingRunner(SandboxedWorkflowRunner):
    """``SandboxedWorkflowRunner`` whose validation imports each workflow module once.

    A plugin that copies the runner (``dataclasses.replace`` with more passthrough modules)
    keeps its type, and the copy validates afresh."""

    _validated: set[str] = field(default_factory=set, init=False, compare=False, repr=False)

    def prepare_workflow(self, defn: _Definition) -> None:
        """Validate ``defn`` unless a class of its module, importable by name, already was."""
        cls = defn.cls
        importable = getattr(sys.modules.get(cls.__module__), cls.__name__, None) is cls
        if importable and cls.__module__ in self._validated:
            return
        super().prepare_workflow(defn)
        if importable:
            self._validated.add(cls.__module__)


def validating_once_per_module(runner: WorkflowRunner | None) -> WorkflowRunner:
    """``runner`` (``None``: temporalio's default sandbox) as a :class:`ModuleValidatingRunner`
    with the same restrictions; any other runner (unsandboxed, a subclass of the user's) as it
    is."""
    if runner is None:
        return ModuleValidatingRunner()
    if type(runner) is SandboxedWorkflowRunner:
        return ModuleValidatingRunner(
            restrictions=runner.restrictions, runner_class=runner.runner_class
        )
    return runner
