"""What the replay recorded of one workflow instance (:class:`Recording`, filled by the hooks
of ``replaycheck._capture``), and the call site of each command it issued."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from replaycheck._user_frames import RawFrame, Site, is_user_file
from replaycheck._waiting import Waiting

if TYPE_CHECKING:
    from temporalio.bridge.proto.workflow_commands import WorkflowCommand


_CANCEL_SEQ = {"request_cancel_activity": "seq", "cancel_child_workflow_execution":
               "child_workflow_seq", "cancel_timer": "seq",
               "request_cancel_nexus_operation": "seq"}  # fmt: skip
"""Cancel commands of handles and timers, and the field holding the sequence number."""


@dataclass
class Recording:
    """Commands one workflow instance issued during replay, in the order core received them."""

    entries: list[tuple[WorkflowCommand, int, tuple[RawFrame, ...]]] = field(default_factory=list)
    """``(command, activation history length, user stack)``; commands are read once complete."""
    entry_sites: list[tuple[Site | None, ...]] = field(default_factory=list)
    """Each entry's user stack's sites (``replaycheck._user_frames.user_stack``), in turn."""
    continue_as_new_stack: tuple[RawFrame, ...] = ()
    """Where ``workflow.continue_as_new`` was called (its command comes after the stack unwound)."""
    last_activation: int = 0
    """History length of the last activation (eviction aside): the workflow task replay reached."""
    early_deprecations: list[tuple[str, tuple[RawFrame, ...], int]] = field(default_factory=list)
    """``(patch id, user stack, len(entries) then)`` of each ``deprecate_patch()`` call that
    found no marker of its patch in the history: the execution started before the patch."""
    unmatched_patches: list[tuple[str, tuple[RawFrame, ...], int]] = field(default_factory=list)
    """The same of each ``patched()`` call that found no marker: the execution took its old
    branch (it started before the patch, or the code asks for an id it never recorded)."""
    draws: list[tuple[tuple[RawFrame, ...], int, int]] = field(default_factory=list)
    """Where the code took ``workflow.random()`` (``uuid4()`` too), with the activation's history
    length and ``len(entries)`` then, each place once per activation: a draw added or removed
    changes every later value."""
    cancels: dict[tuple[str, int], tuple[RawFrame, ...]] = field(default_factory=dict)
    """Where the code called ``cancel()`` on an activity, child workflow or Nexus operation
    handle, or on a task sleeping on a timer, by the cancel command's ``(field, seq)``: the
    command itself is issued later, from the handle's task or the sleep's cleanup."""
    sleep_future: Any = None
    """The future of the sleep (``workflow.sleep``, ``asyncio.sleep``) whose timer comes next."""
    signal_handlers: Any = None
    """The instance's signal handlers by name (``None`` for a dynamic one), kept live: the
    names a history's signals may find no handler for."""
    undecoded: list[tuple[str, str]] = field(default_factory=list)
    """``(signal or update name, the decoder's error)`` of each input the code's handler could
    not decode: temporalio drops such a signal and rejects such an update."""
    update_handlers: Any = None
    """The instance's update handlers by name (``None`` for a dynamic one), kept live."""
    update_names: dict[str, str] = field(default_factory=dict)
    """The name of each update the instance was given, by its protocol instance id: the
    commands that accept and complete it carry only that id."""
    waiting: tuple[Waiting, ...] = ()
    """Where the instance's tasks waited when it was evicted (``replaycheck._waiting``)."""
    definition: Any = None
    """The workflow's definition: its class, and its run method (whose code tells where it
    starts)."""

    def command_entries(self) -> list[tuple[WorkflowCommand, int, tuple[RawFrame, ...]]]:
        """:attr:`entries`, a cancel command taking the frames of the ``cancel()`` call, and a
        workflow failure those of the ``raise`` (its stack unwound before the command)."""
        found = []
        for command, task, frames in self.entries:
            kind = str(command.WhichOneof("variant"))
            seq = _CANCEL_SEQ.get(kind)
            if seq is not None:
                frames = self.cancels.get((kind, getattr(getattr(command, kind), seq))) or frames
            elif kind == "fail_workflow_execution" and not frames:
                workflow_code = {(f[0], f[2]) for _, _, stack in self.entries for f in stack}
                failure = command.fail_workflow_execution.failure
                timed_out = failure.application_failure_info.type == "TimeoutError"
                frames = raised_at(failure.stack_trace, workflow_code, timed_out=timed_out)
            found.append((command, task, frames))
        return found

    def command_sites(
        self, entries: list[tuple[WorkflowCommand, int, tuple[RawFrame, ...]]]
    ) -> list[tuple[Site | None, ...]]:
        """The sites of ``entries`` (:meth:`command_entries`), in turn: those recorded with
        each command, where its frames are the ones recorded with it (else none)."""
        pairs = zip(self.entries, entries, self.entry_sites, strict=False)
        return [sites if mine[2] is given[2] else () for mine, given, sites in pairs]


def raised_at(
    stack_trace: str, workflow_code: Collection[tuple[str, str]], *, timed_out: bool = False
) -> tuple[RawFrame, ...]:
    """The user frames of a failure's Python stack trace (as temporalio's failure converter
    writes it, outermost first), innermost first, when the workflow code raised it: the trace
    passes through a function that issued commands (``workflow_code``: ``(file, function)``), and
    its innermost frame is a ``raise`` statement, or the failure is an ``asyncio.TimeoutError``
    (``timed_out``: a wait with a timeout, ``wait_condition`` or ``wait_for``, gave up, which
    fails the workflow). ``()`` otherwise: a failure that came up through an ``await`` (that line
    issued no new command), or one raised in an activity (a local activity's failure reaches
    the workflow with the activity's own trace)."""
    from replaycheck._code_failure import traceback_frames
    from replaycheck._source import statement_source

    frames = [(f.path, f.line, f.function) for f in traceback_frames(stack_trace)]
    user = tuple(f for f in reversed(frames) if is_user_file(f[0]))
    if not any((f[0], f[2]) in workflow_code for f in user):
        return ()
    if not timed_out and not re.match(r"raise\b", statement_source(user[0][0], user[0][1])):
        return ()
    return user
