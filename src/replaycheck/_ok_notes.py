"""Notes on an ``ok`` verdict of a running execution: what core accepted in the replay that a
deploy still changes (a pending timer the code now starts for another duration, a command the
code now makes where the execution waits). ``replaycheck._worker_verdict.ok_verdict`` adds them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaycheck.verdict import Note

if TYPE_CHECKING:
    from replaycheck._recording import Recording
    from replaycheck.histories import LoadedHistory


def pending_timer_note(loaded: LoadedHistory, recording: Recording | None) -> Note | None:
    """For a running execution: a timer still pending in its history that the code now starts
    for another duration. Core does not compare durations, so the replay passes, but after a
    deploy the execution keeps the timer it started, and the code sees it fire then."""
    if recording is None or loaded.info.closed:
        return None
    timers = [(c, f) for c, _, f in recording.entries if c.HasField("start_timer")]
    if not timers:  # no timer of the code's: the history need not be read
        return None
    from temporalio.api.enums.v1 import EventType

    from replaycheck._commands import duration_text, proto_seconds
    from replaycheck._source import issued_at, issued_place

    pending: dict[str, tuple[int, float]] = {}
    for event in loaded.history.events:
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            started = event.timer_started_event_attributes
            pending[started.timer_id] = (
                event.event_id,
                proto_seconds(started.start_to_fire_timeout),
            )
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            pending.pop(event.timer_fired_event_attributes.timer_id, None)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            pending.pop(event.timer_canceled_event_attributes.timer_id, None)
    for command, frames in timers if pending else ():
        found = pending.get(str(command.start_timer.seq))
        wanted = proto_seconds(command.start_timer.start_to_fire_timeout)
        if found is None or found[1] == wanted:
            continue
        text = (
            f"its timer started at event {found[0]} for {duration_text(found[1])} is still "
            f"pending, and the code now asks for {duration_text(wanted)}{issued_place(frames)}: "
            "core does not compare durations, so after a deploy this execution keeps the "
            f"{duration_text(found[1])} timer"
        )
        return Note("timer", text, **issued_at(frames))
    return None


def went_on_note(loaded: LoadedHistory, recording: Recording | None) -> Note | None:
    """For a running execution captured at rest (waiting: its last workflow task completed,
    nothing came after its commands): a command the code now makes in that task, past the end of
    the history. Core takes commands after a history's last one for new ones, so the replay
    passes, but the old code made none there: it waited (for a signal, a condition, an update)
    and the new code goes on at once after a deploy."""
    info = loaded.info
    if recording is None or info.closed or info.verified_through != info.events:
        return None
    from replaycheck._code_commands import code_commands
    from replaycheck._commands import history_commands
    from replaycheck._divergence import align
    from replaycheck._readings import naming_frames
    from replaycheck._source import issued_at, issued_place

    history = history_commands(loaded.history)
    issued = code_commands(
        recording.command_entries(), recording.continue_as_new_stack, None, recording.update_names
    )
    found = align(history, issued, max(history.tasks, default=0))
    if found is None or found.recorded is not None or found.commanded is None:
        return None
    command = found.commanded
    frames = naming_frames(command.name, command.frames)
    text = (
        f"the code now makes {command.describe()}{issued_place(frames)} where this "
        "execution waits, past the end of its history: core takes it for a new command, so "
        "after a deploy the execution makes it at once (if a wait was removed or changed, gate "
        "that: "
        'if not workflow.patched("<change-id>"): <the wait as it was>)'
    )
    return Note("wait", text, **issued_at(frames))


def deprecated_early_note(loaded: LoadedHistory, recording: Recording | None) -> Note | None:
    """For a running execution: a ``deprecate_patch()`` that found no marker of its patch in
    the history. The execution passed that point before the patch (it took the old branch,
    which the code no longer has); its replay passes because its history ends before the new
    code does anything the old branch did not, and it fails once it goes on past there."""
    if recording is None or loaded.info.closed or not recording.early_deprecations:
        return None
    from replaycheck._source import issued_at, issued_place

    patch_id, frames, _ = recording.early_deprecations[0]
    text = (
        f"deprecate_patch({patch_id!r}){issued_place(frames)} found no marker of its patch: "
        "this execution took the old branch, which the code no longer has, and replays only "
        "because its history ends before the branches differ; it fails once it goes on "
        "(`replaycheck patches` says when to deprecate)"
    )
    return Note("deprecated", text, **issued_at(frames))
