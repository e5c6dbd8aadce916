"""Building a :class:`~replaycheck.diagnose.Diagnosis` from a failed replay.

Lines the history's commands up with the ones the code issued (``replaycheck._divergence``),
reads the likelier change from the source (``replaycheck._readings``), adds what the history's
ids and signals say (``replaycheck._history_readings``) and names a patch id the history and the
source do not use yet (``replaycheck._building_names``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._branch_readings import (
    as_branch,
    continue_branch,
    other_branch,
    returned_then_changed,
    skipped_before_wait,
    skipped_branch,
    taken_branch,
)
from replaycheck._building_hint import from_hint, hint_with_history
from replaycheck._building_names import (
    branch_ids,
    classify,
    patch_ids_in_use,
    slug_of,
    unused,
    with_patch_id,
)
from replaycheck._cancel_readings import (
    cancel_removed,
    cancelled_target_closed,
    child_of,
    removed_cancel,
)
from replaycheck._commands import (
    TASK_END_CANCELS,
    UPDATE_KINDS,
    Command,
    HistoryCommands,
    durations_differ,
    history_commands,
)
from replaycheck._divergence import (
    Divergence,
    at_event,
    divergence_of,
    event_of,
    gate_frame,
    parse_core_message,
    timeline,
)
from replaycheck._draws import Draw, draws_that_matter
from replaycheck._early_deprecation import EarlyDeprecation, with_early_deprecation
from replaycheck._failure_readings import with_recorded_failure
from replaycheck._handler_readings import moved_into_handler, update_handler
from replaycheck._history_readings import (
    ID_EVENTS,
    given_ids,
    ids_swapped,
    types_differ,
    with_signals,
    with_unhandled,
    with_unhandled_update,
)
from replaycheck._nexus_readings import with_old_nexus_call
from replaycheck._places import display_file
from replaycheck._readings import (
    added_block,
    called_again,
    loop_change,
    moved_too,
    naming_frame,
    run_order,
    shares_statement,
    slug,
    still_runs_later,
)
from replaycheck._renamed_patch import UnmatchedPatch, with_renamed_patch
from replaycheck._renamed_readings import with_old_registered_call
from replaycheck._signal_readings import with_relevant_signals
from replaycheck._source import SourceFrame, source_frames
from replaycheck._swap_readings import inputs_changed, swapped_next, swapped_within
from replaycheck._task_readings import sequential_diagnosis, with_same_task
from replaycheck._uncaught_readings import uncaught_reading
from replaycheck._undecoded import with_undecoded
from replaycheck._waiting import with_wait
from replaycheck.diagnose import Diagnosis, severity_of

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History


def diagnose(
    message: str,
    history: History,
    *,
    status: str,
    issued: Sequence[Command] | None = None,
    last_task: int = 0,
    early_deprecations: Sequence[EarlyDeprecation] = (),
    unmatched_patches: Sequence[UnmatchedPatch] = (),
    draws: Sequence[Draw] = (),
    signal_handlers: Mapping[str | None, SourceFrame] | None = None,
    update_handlers: Collection[str | None] | None = None,
    abandoned: Sequence[tuple[Command, Command]] = (),
    waiting: Sequence[tuple[tuple[SourceFrame, ...], str]] = (),
    undecoded: Sequence[tuple[str, str]] = (),
    run_at: SourceFrame | None = None,
) -> Diagnosis:
    """Explain a nondeterminism failure; never raises.

    Args:
        message: core's message (:func:`core_message`).
        history: the history that failed to replay.
        status: the execution's status when captured (``RUNNING`` or a close status).
        issued: the commands the code issued during replay, with call sites (``None``: unknown).
        last_task: history length of the code's last activation.
        early_deprecations: ``(patch id, where, commands issued before it, its frame)`` of each
            ``deprecate_patch()`` call that found no marker in this history while it replayed.
        unmatched_patches: the same of each ``patched()`` call (a patch id renamed).
        draws: ``(where, activation history length, commands issued before)`` of each place
            the code took ``workflow.random()`` / ``uuid4()`` while it replayed; those of the
            activation that diverged are named when one can matter (``replaycheck._draws``).
        signal_handlers: the names the code has signal handlers for, each with its method
            (its name, and its file and first line where known; ``None`` among the names: a
            dynamic handler); ``None``: unknown.
        update_handlers: the same for update handlers (their names only).
        abandoned: ``(cancel, activity)`` of each cancel the code asked for of an activity it
            scheduled with ``ABANDON`` (``abandoned`` of ``_code_commands.code_commands``).
        waiting: where the code's tasks waited when replay stopped (``replaycheck._waiting``).
        run_at: the first statement of the workflow's run method (``None``: unknown).
    """
    severity = severity_of(status)
    try:
        hint = parse_core_message(message)
        commands = history_commands(history)
        found = divergence_of(hint, commands, issued, last_task)
        swapped = ids_swapped(hint.ids, history) if hint.ids is not None else 0
        if swapped and issued is not None:  # where the history gave the old id
            found = at_event(commands, issued, swapped) or found
        if hint.ids is not None and not types_differ(found) and not swapped:
            diagnosis = _id_change(hint.ids, message, history, commands, issued, severity)
        elif found is None:
            diagnosis = from_hint(message, hint_with_history(hint, commands), severity)
        else:
            diagnosis = _from_divergence(
                message, found, commands, severity, (history, abandoned), waiting, run_at
            )
        diagnosis = with_early_deprecation(diagnosis, found, commands, issued, early_deprecations)
        diagnosis = with_renamed_patch(diagnosis, found, commands, issued, unmatched_patches)
        if found is not None and hint.event_id and hint.event_id != event_of(found):
            stopped = f"event {hint.event_id} ({hint.event_type})" if hint.event_type else ""
            if durations_differ(found.recorded, found.commanded) and stopped:
                diagnosis = replace(diagnosis, core_stopped_at=stopped)
        task = found.commanded.task if found is not None and found.commanded else last_task
        drawn = draws_that_matter(draws, found, issued, task)
        if swapped and hint.ids is not None and diagnosis.change == "reordered":
            diagnosis = replace(diagnosis, ids=hint.ids[1:])  # the ids tell the two apart
        markers = tuple(("~" if x.deprecated else "") + x.name for x in commands.commands
                        if x.kind == "patch")  # fmt: skip
        diagnosis = replace(with_signals(diagnosis, history), draws=drawn, markers=markers)
        issued_at = {(display_file(f[0]), f[1]) for x in issued or () for f in x.frames}
        diagnosis = with_wait(diagnosis, commands, waiting, issued_at)
        diagnosis = skipped_before_wait(diagnosis, found, commands)
        diagnosis = with_unhandled_update(diagnosis, update_handlers)
        diagnosis = with_old_nexus_call(with_old_registered_call(diagnosis), history)
        diagnosis = with_undecoded(diagnosis, history, undecoded)
        diagnosis = with_recorded_failure(diagnosis, history)
        diagnosis = with_unhandled(diagnosis, history, signal_handlers)
        return with_relevant_signals(diagnosis, signal_handlers)
    except Exception:  # a diagnosis is a courtesy: any surprise degrades to core's message
        return Diagnosis(message=message, severity=severity)


def _id_change(
    ids: tuple[str, str, str],
    message: str,
    history: History,
    commands: HistoryCommands,
    issued: Sequence[Command] | None,
    severity: str,
) -> Diagnosis:
    """An activity's or a child workflow's id changed (``ids``: kind, recorded id, commanded
    id): the event that recorded the old id, the code that gave the new one."""
    kind, old, new = ids
    event_type = ID_EVENTS[kind][0]
    event_id = next((at for at, given in given_ids(kind, history) if given == old), 0)
    found = at_event(commands, issued, event_id) if event_id and issued is not None else None
    if found is not None:
        diagnosis = _located(message, found, commands, severity)
    else:
        target = next((x for x in commands.commands if x.event_id == event_id), None)
        diagnosis = Diagnosis(
            message=message,
            event_id=event_id,
            event_type=event_type if event_id else "",
            recorded_kind=kind,
            recorded_name=target.name if target else "",
            commanded_kind=kind,
            commanded_name=target.name if target else "",
            severity=severity,
        )
    name = diagnosis.recorded_name or kind
    taken = patch_ids_in_use(commands, diagnosis)
    return replace(
        diagnosis, change="id-changed", ids=(old, new), patch_id=unused(f"{slug(name)}-id", taken)
    )


def _located(message: str, found: Divergence, history: HistoryCommands, severity: str) -> Diagnosis:
    """What diverged and where, with the change as the pair of commands names it (no reading
    of the source yet)."""
    h, c = found.recorded, found.commanded
    matched = [p for p in found.matched if p[1] is not None]
    if h is not None and c is None and h.kind in TASK_END_CANCELS:
        # A cancel is recorded at the end of its workflow task, after the commands the code
        # issued later in that task: it came after the task before's last command.
        matched = [p for p in matched if p[0] is None or p[0].task < h.task] or matched
    previous = matched[-1][1] if matched else None
    # The innermost frame not shared with the command before it; a helper that issues any
    # activity it is given (an added self._step(seed_data) after a timer) is gated at the
    # statement naming it, its caller, as it is without a command before it.
    depth = naming_frame(c) if previous is None else max(gate_frame(c, previous), naming_frame(c))
    return Diagnosis(
        message=message,
        change=classify(h, c, history),
        event_id=h.event_id if h is not None else 0,
        event_type=h.event_type if h is not None else "",
        recorded_kind=h.kind if h is not None else "",
        recorded_name=h.name if h is not None else "",
        commanded_kind=c.kind if c is not None else "",
        commanded_name=c.name if c is not None else "",
        cancelled_child=child_of(h),
        commanded_child=child_of(c),
        location=source_frames(c.frames) if c is not None else (),
        previous=_previous_frames(matched),
        gate_frame=depth,
        timeline=timeline(found, depth),
        severity=severity,
    )


def _previous_frames(
    matched: Sequence[tuple[Command | None, Command | None]],
) -> tuple[SourceFrame, ...]:
    """Where the code issued its last matching command. A cancel of a timer or an activity
    with no line of its own (a workflow cancel cancelled it) stands for the command it
    cancelled, when that came right before it (else the command before may be another
    coroutine's)."""
    issued = [x for _, x in matched if x is not None]
    if not issued:
        return ()
    last, before = issued[-1], issued[-2] if len(issued) > 1 else None
    if before is not None and not last.frames and before.kind == _CANCELLED.get(last.kind):
        return source_frames(before.frames)
    return source_frames(last.frames)


_CANCELLED = {"cancel-timer": "timer", "cancel-activity": "activity"}
"""The kind of command each cancel cancels."""


def _from_divergence(
    message: str,
    found: Divergence,
    history: HistoryCommands,
    severity: str,
    cancels: tuple[History, Sequence[tuple[Command, Command]]],
    waiting: Sequence[tuple[tuple[SourceFrame, ...], str]] = (),
    run_at: SourceFrame | None = None,
) -> Diagnosis:
    h, c = found.recorded, found.commanded
    diagnosis = _located(message, found, history, severity)
    if not diagnosis.previous and not diagnosis.location:  # nothing the code ran points there
        diagnosis = replace(diagnosis, run_starts_at=run_at)
    if h is not None and cancel_removed(h, c, found.commanded_rest):  # c: the next command
        taken = patch_ids_in_use(history, diagnosis)  # differs by branch: gate where it was
        return removed_cancel(diagnosis, h, *cancels, taken, commands=history)
    sequential = sequential_diagnosis(diagnosis, found, history, waiting)
    if sequential is not None:  # started together in the history, one after the other now
        return sequential
    uncaught = uncaught_reading(diagnosis, h, c, history)
    if uncaught is not None:  # a cancel or a failure no longer caught came up
        return uncaught
    depth = diagnosis.gate_frame
    if diagnosis.change == "patch-removed" and h is not None:
        diagnosis = replace(diagnosis, marker_deprecated=h.deprecated)
    if diagnosis.change == "reordered" and h is not None and c is not None:
        # The else replays everything run did from here on, in the history's order.
        rest = [x.describe() for x in run_order(h, c, history)]
        shown = rest[:OLD_ORDER_SHOWN] + (["…"] if len(rest) > OLD_ORDER_SHOWN else [])
        diagnosis = replace(diagnosis, old_order=tuple(shown))
    frames = diagnosis.location[depth:]  # the gated call, then its callers
    later = still_runs_later(h, found.commanded_rest, frames, history)
    diagnosis = replace(
        diagnosis,
        still_runs_later=later,
        seen_later=h is not None and any(x.matches(h) for x in found.commanded_rest[:1]),
        shares_statement=shares_statement(c, depth, found),
    )
    diagnosis = with_same_task(diagnosis, found, history)
    if diagnosis.change == "reordered" and called_again(c, h, frames, history):
        # c runs again where the history ran it later: new, before h or (h gone) in its place
        diagnosis = replace(diagnosis, change="added" if later else "replaced", seen_later=False,
                            old_order=())  # fmt: skip
    frame = diagnosis.gate_at
    if later and frame is not None and h is not None and not diagnosis.shares_statement:
        # A cancel added for something the execution awaited to its end: the await was there.
        awaited = cancelled_target_closed(c, h, cancels[0], history)
        block = None if awaited else added_block(frame, h, history)
        if block is not None:
            diagnosis = replace(diagnosis, added_to=block[0], added_block=block[1])
        else:
            diagnosis = replace(diagnosis, moved_too=moved_too(frame, h, history))
    if diagnosis.change == "reordered" and frame is not None and h is not None and c is not None:
        if diagnosis.shares_statement:  # two calls of one statement that traded places?
            diagnosis = replace(diagnosis, swapped_within=swapped_within(c, depth, found, history))
        else:  # two statements that traded places?
            diagnosis = replace(diagnosis, swapped=swapped_next(frame, h, c, history))
        changed = inputs_changed(found, history, frame.code, diagnosis.swapped)
        diagnosis = replace(diagnosis, inputs_changed=changed)
    taken = patch_ids_in_use(history, diagnosis)
    if diagnosis.change == "added" and h is not None and c is not None:  # moved from run?
        moved = moved_into_handler(h, c, found, history, waiting)
        if moved is not None:
            diagnosis = replace(diagnosis, moved_from_run=moved.event, moved_run_at=moved.after,
                                moved_handler_names=moved.handler_names)  # fmt: skip
    if c is not None and c.kind in UPDATE_KINDS and h is not None and h.kind not in UPDATE_KINDS:
        handler, handler_at = update_handler(h, found, history)
        if handler:
            return replace(
                diagnosis,
                change="removed",
                handler=handler,
                handler_at=handler_at,
                patch_id=unused(f"remove-{slug_of(h)}", taken),
                still_runs_later=False,
            )
    next_is_h = bool(found.commanded_rest) and h is not None and found.commanded_rest[0].matches(h)
    matched = next((x for _, x in reversed(found.matched) if x is not None and x.frames), None)
    branch = None if next_is_h else (
        other_branch(diagnosis, h, c) or continue_branch(diagnosis, h, c, matched))  # fmt: skip
    skipped = None if next_is_h or branch else skipped_branch(diagnosis, h, c, matched)
    ended = history.commands[-1].kind if history.commands else ""
    returned = (
        None if next_is_h or branch or skipped else returned_then_changed(h, c, matched, ended)
    )
    if returned is not None:  # an early return, and what follows it changed too
        ids = branch_ids(h, c, skipped=True)
        return replace(as_branch(diagnosis, returned[0], ids, taken), branch_after_runs=returned[1])
    found_branch = branch or skipped
    if found_branch is not None:
        patch_ids = branch_ids(h, c, skipped=skipped is not None)
        return as_branch(diagnosis, found_branch, patch_ids, taken)
    took = None if next_is_h else taken_branch(diagnosis, h, c)
    if took is not None:  # the code took an if's branch this execution went past
        patch_ids = branch_ids(h, c, skipped=False, added=True)
        return as_branch(diagnosis, took[0], patch_ids, taken, took=took[1])
    loop = loop_change(h, c, found, history)
    if loop is not None:
        return replace(
            diagnosis,
            change="loop",
            loop=loop.where,
            loop_runs=loop.runs,
            loop_more=loop.more,
            loop_literal=loop.literal,
            patch_id=unused(f"{slug(loop.name)}-runs", taken),
        )
    return with_patch_id(diagnosis, h, c, taken=taken)


OLD_ORDER_SHOWN = 6
"""Commands listed in a reorder's ``else`` comment before ``…``."""
