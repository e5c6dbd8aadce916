"""A cancel of an activity or a child workflow that the history recorded and the code no
longer requests.

Either the cancel was removed (what the code commands there instead is only its next command,
which differs from one branch to the next: the gate goes where the cancel was, after the last
matching command), or the code still calls ``cancel()`` on the handle (or the task awaiting the
child) but started the activity or the child with cancellation type ``ABANDON``, for which core
sends no command: the gate goes on the ``cancellation_type`` argument.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from replaycheck._commands import (
    TERMINAL_KINDS,
    Command,
    RawFrame,
)
from replaycheck._places import display_file
from replaycheck._readings import cancel_called_later, slug
from replaycheck._source import SourceFrame, innermost, parsed, source_frames

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

    from replaycheck._commands import HistoryCommands
    from replaycheck.diagnose import Diagnosis

CANCELLATION_TYPE = "workflow.ActivityCancellationType"
"""How the fix names the enum when the source does not spell it out."""
CHILD_CANCELLATION_TYPE = "workflow.ChildWorkflowCancellationType"
"""The same, for a child workflow."""
CANCELS = frozenset({"cancel-activity", "cancel-external"})
"""The kinds of a cancel the code may no longer request (``cancel-external``: a child's)."""


def cancel_removed(h: Command | None, c: Command | None, rest: Sequence[Command]) -> bool:
    """The history recorded a cancel of an activity or of a child workflow it started where
    the code went on to another command (or none), and the code requests no such cancel later
    either: the cancel is gone (not moved), and the code's next command only shows where the
    code went from there."""
    if h is None or h.kind not in CANCELS or (c is not None and c.kind in TERMINAL_KINDS):
        return False
    if h.kind == "cancel-external" and not (h.name and h.child_type):
        return False
    later = (c, *rest) if c is not None else tuple(rest)
    if any(x.kind == h.kind and x.name == h.name for x in later):
        return False
    # The source still cancels after the code's next command: the cancel may have moved after
    # it rather than gone (replay stops before the code gets there).
    return c is None or not cancel_called_later(source_frames(c.frames))


def child_of(command: Command | None) -> str:
    """The workflow type of the child a cancel command is for ('' for any other command)."""
    return command.child_type if command is not None and command.kind == "cancel-external" else ""


_TARGETS = {
    "cancel-activity": ("activity", "scheduled_event_id", ("ActivityTaskCompleted",
                        "ActivityTaskFailed", "ActivityTaskTimedOut", "ActivityTaskCanceled")),
    "cancel-nexus": ("nexus", "scheduled_event_id", ("NexusOperationCompleted",
                     "NexusOperationFailed", "NexusOperationTimedOut", "NexusOperationCanceled")),
    "cancel-external": ("child", "initiated_event_id", ("ChildWorkflowExecutionCompleted",
                        "ChildWorkflowExecutionFailed", "ChildWorkflowExecutionTimedOut",
                        "ChildWorkflowExecutionCanceled", "ChildWorkflowExecutionTerminated")),
}  # fmt: skip
"""What each cancel command cancels: the kind of command that started it, the field of its
closing events naming that command's event, and those events."""


def cancelled_target_closed(
    c: Command | None, h: Command | None, history: History, commands: HistoryCommands
) -> bool:
    """Whether the code's cancel ``c`` is for an activity, Nexus operation or child the history
    shows closed before ``h``: the execution awaited it to its end, so the statements awaiting
    it after the cancel are not new."""
    target = _TARGETS.get(c.kind) if c is not None and c.name else None
    if c is None or h is None or target is None:
        return False
    from replaycheck.histories import event_type_name

    kind, field, closing = target
    started = {
        x.event_id for x in commands.commands
        if x.kind == kind and c.name in (x.name, x.given_id) and x.event_id < h.event_id
    }  # fmt: skip
    for event in history.events:
        if event.event_id >= h.event_id:
            return False
        name = event_type_name(event.event_type)
        if name in closing:
            attributes = getattr(event, event.WhichOneof("attributes") or "", None)
            if getattr(attributes, field, 0) in started:
                return True
    return False


def removed_cancel(
    diagnosis: Diagnosis,
    h: Command,
    history: History,
    abandoned: Sequence[tuple[Command, Command]],
    taken: Collection[str],
    *,
    commands: HistoryCommands,
) -> Diagnosis:
    """The diagnosis of a cancel the code no longer requests: gated where it was, after the
    last matching command (:attr:`Diagnosis.previous`), or at the ``cancellation_type``
    argument when the code cancels an activity it now abandons. ``taken``: the patch ids in
    use; ``commands``: the history's (:func:`~replaycheck._commands.history_commands`)."""
    from replaycheck._building_names import slug_of, unused  # the worker's, not the report's

    child = child_of(h)
    removed = replace(
        diagnosis, change="removed", location=(), gate_frame=0, other_patch_id="",
        patch_id=unused(f"remove-cancel-{slug(child)}" if child else f"remove-{slug_of(h)}", taken),
        still_runs_later=False, seen_later=False, old_order=(), swapped="", added_block="",
        added_to=0, moved_too="", shares_statement=False, cancelled_child=child,
    )  # fmt: skip
    pair = next(((x, y) for x, y in abandoned if x.name == h.name and h.name), None)
    if pair is None:
        return removed
    cancel, started = pair
    where = source_frames(cancel.frames[:1])
    argument = _argument(started.frames[0]) if started.frames else None
    if argument is None:
        return removed
    at, new = argument
    enum = CHILD_CANCELLATION_TYPE if child else CANCELLATION_TYPE
    old_type = _old_child_type if child else _old_type
    base = new.rsplit(".", 1)[0] if new.endswith(".ABANDON") else enum
    return replace(
        removed,
        patch_id=unused(f"abandon-{slug(child or h.name)}", taken),
        abandoned_at=at,
        abandoned_by=f"{where[0].code} at {where[0].short()}" if where else "",
        abandoned_types=(new, f"{base}.{old_type(history, commands, diagnosis.event_id)}"),
    )


def _argument(frame: RawFrame) -> tuple[SourceFrame, str] | None:
    """The ``cancellation_type=`` argument of the call at ``frame`` (its line as a frame, and
    its source); ``None`` when the call has none (ABANDON came from elsewhere)."""
    path, line, function = frame
    tree = parsed(path)
    if tree is None:
        return None
    call = innermost(tree, line, (ast.Call,))
    while call is not None:
        for keyword in call.keywords:
            if keyword.arg == "cancellation_type":
                at = SourceFrame(display_file(path), keyword.value.lineno, function,
                                 ast.unparse(keyword))  # fmt: skip
                return at, ast.unparse(keyword.value)
        # the frame's line may be an outer call's (asyncio.ensure_future(execute_activity(...)))
        inner = [n for n in ast.walk(call) if isinstance(n, ast.Call) and n is not call]
        call = next((n for n in inner if any(k.arg == "cancellation_type" for k in n.keywords)),
                    None)  # fmt: skip
    return None


def _old_type(history: History, commands: HistoryCommands, cancel_event: int) -> str:
    """How the history's activity was cancelled: ``WAIT_CANCELLATION_COMPLETED`` when its
    ``ActivityTaskCanceled`` came before the code's next command (the code waited for it),
    else ``TRY_CANCEL``."""
    scheduled = 0
    for event, event_type in _until_next_command(history, commands, cancel_event):
        if event.event_id == cancel_event:
            scheduled = event.activity_task_cancel_requested_event_attributes.scheduled_event_id
        elif (
            event_type == "ActivityTaskCanceled"
            and event.activity_task_canceled_event_attributes.scheduled_event_id == scheduled
        ):
            return "WAIT_CANCELLATION_COMPLETED"
    return "TRY_CANCEL"


def _old_child_type(history: History, commands: HistoryCommands, cancel_event: int) -> str:
    """How the history's child was cancelled: ``WAIT_CANCELLATION_COMPLETED`` when its
    ``ChildWorkflowExecutionCanceled`` came before the code's next command (the code waited for
    it; a child started with ``WAIT_CANCELLATION_REQUESTED`` records the same), else
    ``TRY_CANCEL``."""
    workflow_id = ""
    for event, event_type in _until_next_command(history, commands, cancel_event):
        if event.event_id == cancel_event:
            attributes = event.request_cancel_external_workflow_execution_initiated_event_attributes
            workflow_id = attributes.workflow_execution.workflow_id
        elif event_type == "ChildWorkflowExecutionCanceled":
            child = event.child_workflow_execution_canceled_event_attributes.workflow_execution
            if workflow_id and child.workflow_id == workflow_id:
                return "WAIT_CANCELLATION_COMPLETED"
    return "TRY_CANCEL"


def _until_next_command(
    history: History, commands: HistoryCommands, cancel_event: int
) -> Iterator[tuple[Any, str]]:
    """The history's events from ``cancel_event`` to the code's next command, with their
    types."""
    from replaycheck.histories import event_type_name

    after = [x for x in commands.commands if x.event_id > cancel_event]
    next_command = after[0].event_id if after else 1 << 62
    for event in history.events:
        if cancel_event <= event.event_id < next_command:
            yield event, event_type_name(event.event_type)


def cancel_explanation(d: Diagnosis) -> str:
    """What a diagnosis of a cancel the code no longer requests says ('' for other changes)."""
    if d.change != "removed" or d.recorded_kind not in CANCELS:
        return ""
    if d.recorded_kind == "cancel-external" and not d.cancelled_child:
        return ""
    what = cancelled(d)
    if d.abandoned_at is not None and d.abandoned_types:
        went = f", and the code went on to {d.commanded}" if d.commanded_kind else ""
        return (
            f"the code no longer requests cancellation of {what}: "
            f"{d.abandoned_by or 'its cancel()'} issues no command because its cancellation_type "
            f"is {d.abandoned_types[0]} ({d.abandoned_at.short()}){went}"
        )
    if not d.commanded_kind:
        return ""
    return (
        f"the code no longer requests cancellation of {what}; it went on to {d.commanded} "
        "(its next command, which may differ from one branch to the next)"
    )


def cancelled(d: Diagnosis) -> str:
    """What the cancel was for: ``activity 'slow'``, ``child workflow 'Sink' (id 'order-7')``."""
    if d.cancelled_child:
        return f"child workflow {d.cancelled_child!r} (id {d.recorded_name!r})"
    return f"activity {d.recorded_name!r}" if d.recorded_name else "an activity"


def abandoned_fix(d: Diagnosis) -> list[str]:
    """Gate the ``cancellation_type`` argument: executions recorded before requested the
    cancel, as the old type does."""
    at = d.abandoned_at
    new, old = d.abandoned_types
    where = f" at {at.short()}" if at is not None else ""
    return [
        f"gate the cancellation_type of {cancelled(d)}{where} (executions "
        "recorded before requested its cancel, as the old type does; ABANDON requests none):",
        f'    cancellation_type={new} if workflow.patched("{d.patch_id or "<change-id>"}") '
        f"else {old},",
    ]
