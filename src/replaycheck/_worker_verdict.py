"""The verdict of one replayed history, as the replay worker (``replaycheck._worker``) gives it.

An ``ok`` says how much of the history was checked (with the notes of ``replaycheck._ok_notes``
on what a deploy still changes); a failure becomes ``nondeterministic``, with its diagnosis,
or ``error``, with a message that says what to fix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from replaycheck.verdict import Note, Verdict, status_words

if TYPE_CHECKING:
    from replaycheck._converter_failure import ConfiguredConverter
    from replaycheck._early_deprecation import EarlyDeprecation
    from replaycheck._recording import Recording
    from replaycheck._renamed_patch import UnmatchedPatch
    from replaycheck._source import SourceFrame
    from replaycheck.diagnose import Diagnosis
    from replaycheck.histories import LoadedHistory


def failure_verdict(
    loaded: LoadedHistory,
    failure: BaseException,
    seconds: float,
    recording: Recording | None = None,
    converter: ConfiguredConverter | None = None,
    failure_types: str | None = None,
) -> Verdict:
    """Map a replay failure to ``nondeterministic`` (with its diagnosis) or ``error``
    (``converter``: the ``data_converter`` the replay used, if one is configured;
    ``failure_types``: how the caller gives ``workflow_failure_exception_types``, as
    ``ReplayJob.python_name`` says)."""
    from temporalio.workflow import NondeterminismError

    from replaycheck.diagnose import Diagnosis, core_message, severity_of

    text = str(failure)
    if isinstance(failure, NondeterminismError) or INVALID_TRANSITION in text:
        message = core_message(text)
        try:
            diagnosis = unchecked_diagnosis(loaded, message, recording) or diagnose_failure(
                loaded, message, recording
            )
        except Exception:  # a bug of ours: the verdict stands, the traceback says where
            traceback.print_exc()
            diagnosis = Diagnosis(message=message, severity=severity_of(loaded.info.status))
        return verdict_for(
            loaded, "nondeterministic", message, seconds, detail=text, diagnosis=diagnosis
        )
    from replaycheck._code_failure import RETRIED

    message = error_message(text, converter)
    if message.endswith(RETRIED):  # the code raised: was it a worker's failure type?
        from replaycheck._failure_types import failed_workflow_hint

        hint = failed_workflow_hint(loaded, text, failure_types)
        message = message.removesuffix(RETRIED) + hint if hint else message
    return verdict_for(loaded, "error", message, seconds, detail=text)


INVALID_TRANSITION = "says the transition is invalid"
"""Core's "Fatal error in workflow machines" when the code's commands take a machine somewhere
the history does not go (e.g. a cancel the history never requested): nondeterminism that core
does not call so (Cadence's Go client reports an illegal state transition as nondeterminism too)."""

_UNKNOWN_ENCODING = re.compile(r"Unknown payload encoding ([^\s'\"\\]+)")
_CAUSE = re.compile(r'cause: Some\(Failure \{ message: "((?:[^"\\]|\\.)*)"')
_CAUSE_TYPE = re.compile(r'r#type: "(\w+)"')


def error_message(text: str, converter: ConfiguredConverter | None = None) -> str:
    """The message of an ``error`` verdict; payloads that cannot be decoded (encrypted, or in a
    custom format) point at the ``data_converter`` setting, recorded arguments that no longer
    fit the code's parameter types at the signature change, an exception the workflow code
    raised at its line."""
    from replaycheck._code_failure import code_failure_message
    from replaycheck._converter_failure import undecodable
    from replaycheck._core_message import joined_lines
    from replaycheck.diagnose import core_message

    if "Failed decoding" not in text and "Unknown payload encoding" not in text:
        return code_failure_message(text, converter) or f"replay failed: {core_message(text)}"
    cause = _CAUSE.search(text)
    kind = _CAUSE_TYPE.search(text, cause.end()) if cause is not None else None
    # decoded, but does not fit the type: temporalio's value_to_type, or pydantic's validation
    if cause is not None and ("value_to_type" in text or _validation_error(kind)):
        reason = joined_lines(cause.group(1).replace('\\"', '"'), "\\n")
        return (
            f"replay failed: {_not_fitting(text)} ({kind.group(1) + ': ' if kind else ''}"
            f"{reason}); "
            "executions recorded with the old types would fail the same way: keep the old "
            "form accepted (new fields need defaults)"
        )
    encoding = _UNKNOWN_ENCODING.search(text)
    what = f"unknown payload encoding {encoding.group(1)}" if encoding else core_message(text)
    return undecodable(what, converter)


_RESULTS = {
    "_apply_resolve_activity": "an activity's result",
    "_apply_resolve_child_workflow_execution": "a child workflow's result",
    "_apply_resolve_nexus_operation": "a Nexus operation's result",
}
"""What temporalio was decoding, by the function of its stack that failed ("Failed decoding
arguments" is its message for every payload)."""


def _not_fitting(text: str) -> str:
    """What no longer fits the code's types: a result the history recorded, named by the
    function temporalio decoded it in, else the arguments."""
    result = next((what for name, what in _RESULTS.items() if f"in {name}\\n" in text), "")
    if result:
        return f"{result} recorded in the history no longer fits the type the code declares for it"
    if "Failed decoding arguments" in text:
        return (
            "the arguments recorded in the history (the workflow's input or a signal's) no "
            "longer fit the code's parameter types"
        )
    return (
        "a value recorded in the history (e.g. an activity's or a child workflow's result) no "
        "longer fits the type the code declares for it"
    )


def _validation_error(kind: re.Match[str] | None) -> bool:
    """The cause is pydantic's ``ValidationError`` (``pydantic_data_converter`` validating)."""
    return kind is not None and kind.group(1) == "ValidationError"


def diagnose_failure(loaded: LoadedHistory, message: str, recording: Recording | None) -> Diagnosis:
    """The diagnosis of a nondeterministic history from what the replay recorded."""
    from replaycheck._building import diagnose
    from replaycheck._code_commands import code_commands
    from replaycheck._commands import Command
    from replaycheck._source import source_frames
    from replaycheck._source_classes import instance_of

    issued = None
    last = 0
    early: list[EarlyDeprecation] = []
    unmatched: list[UnmatchedPatch] = []
    draws: list[tuple[SourceFrame, int, int]] = []
    handlers = updates = None
    abandoned: list[tuple[Command, Command]] = []
    waiting: list[tuple[tuple[SourceFrame, ...], str]] = []
    if recording is not None:
        waiting = [(source_frames(stack), awaited) for stack, awaited in recording.waiting]
        if isinstance(recording.signal_handlers, dict):
            signals = recording.signal_handlers.items()  # the method: a trace of the old name
            handlers = {name: _handler_frame(defn.fn) for name, defn in signals}
        if isinstance(recording.update_handlers, dict):
            updates = frozenset(recording.update_handlers)
        entries = recording.command_entries()
        for stack, task, count in recording.draws:
            frames = source_frames(stack)
            if frames:  # with the commands issued before it
                draws.append((frames[0], task, _issued_before(entries, count)))
        issued = code_commands(
            entries,
            recording.continue_as_new_stack,
            abandoned,
            recording.update_names,
            recording.command_sites(entries),
        )
        last = recording.last_activation
        for calls, found in ((recording.early_deprecations, early),
                             (recording.unmatched_patches, unmatched)):  # fmt: skip
            for patch_id, stack, count in calls:
                frames = source_frames(stack)
                before = _issued_before(entries, count)
                at = frames[0].short() if frames else ""
                found.append((patch_id, at, before, stack[0] if stack else None))
    definition = recording.definition if recording is not None else None
    with instance_of(getattr(definition, "cls", None)):
        return diagnose(
            message,
            loaded.history,
            status=loaded.info.status,
            issued=issued,
            last_task=last,
            early_deprecations=early,
            unmatched_patches=unmatched,
            draws=draws,
            signal_handlers=handlers,
            update_handlers=updates,
            abandoned=abandoned,
            waiting=waiting,
            undecoded=recording.undecoded if recording is not None else (),
            run_at=_run_start(getattr(definition, "run_fn", None)),
        )


def _handler_frame(fn: Any) -> SourceFrame:
    """A handler's method: its name, and its file and first line (decorators included) where
    its code tells them (none for a callable without code)."""
    from replaycheck._places import display_file
    from replaycheck._source import SourceFrame

    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__name__", "")
    if code is None:
        return SourceFrame(file="", line=0, function=name)
    return SourceFrame(file=display_file(code.co_filename), line=code.co_firstlineno, function=name)


def _run_start(fn: Any) -> SourceFrame | None:
    """Where the workflow's run method ``fn`` starts: its first statement; ``None`` when its
    code or its source cannot tell."""
    import inspect

    from replaycheck._source import source_frames
    from replaycheck._source_flow import function_start

    fn = inspect.unwrap(fn) if callable(fn) else fn  # a decorator's wrapper: the method itself
    code, name = getattr(fn, "__code__", None), getattr(fn, "__name__", "")
    line = function_start(code.co_filename, name, code.co_firstlineno) if code and name else 0
    return source_frames(((code.co_filename, line, name),))[0] if code and line else None


def _issued_before(entries: Sequence[Any], count: int) -> int:
    """How many commands the code had issued when ``count`` capture entries were recorded."""
    from replaycheck._code_commands import code_commands

    return len(code_commands(entries[:count]))


def verdict_for(
    loaded: LoadedHistory,
    kind: Any,
    message: str,
    seconds: float,
    detail: str = "",
    diagnosis: Diagnosis | None = None,
) -> Verdict:
    """The verdict of ``kind`` on a loaded history, with what its metadata tells."""
    from replaycheck._pinning import pinned_severity, pinned_version

    info = loaded.info
    pinned = pinned_version(loaded.history)
    if pinned and diagnosis is not None:
        diagnosis = dataclasses.replace(
            diagnosis, severity=pinned_severity(diagnosis.severity, pinned)
        )
    return Verdict(
        path=info.path,
        verdict=kind,
        message=message,
        workflow_id=info.workflow_id,
        workflow_type=info.workflow_type,
        run_id=info.run_id,
        events=info.events,
        verified_through=info.verified_through if kind == "ok" else 0,
        status=info.status,
        detail=detail,
        diagnosis=diagnosis,
        seconds=round(seconds, 4),
        pinned=pinned,
    )


def ok_message(loaded: LoadedHistory) -> str:
    """Say how much of the history the replay really checked."""
    info = loaded.info
    if info.closed:
        return f"replayed all {info.events} events; execution {status_words(info.status)}"
    return (
        f"verified events 1-{info.verified_through} of {info.events}; execution still running, "
        "later commands are not checked until it makes them"
    )


async def ok_verdict(
    loaded: LoadedHistory, recording: Recording | None, seconds: float, codec: Any = None
) -> Verdict:
    """The ``ok`` verdict, with notes on what core accepted that a deploy, or another worker,
    still changes (``replaycheck._input_note``: other input than recorded, compared after
    ``codec``, the replay's payload codec, decoded it)."""
    from replaycheck._input_note import input_note
    from replaycheck._ok_notes import deprecated_early_note, pending_timer_note, went_on_note

    notes: list[Note | None] = []
    with contextlib.suppress(Exception):
        notes.append(deprecated_early_note(loaded, recording))
    with contextlib.suppress(Exception):  # a note, not a verdict: a surprise must not cost the ok
        notes.append(pending_timer_note(loaded, recording) or went_on_note(loaded, recording))
    with contextlib.suppress(Exception):
        notes.append(await input_note(loaded, recording, codec))
    found = tuple(n for n in notes if n is not None)
    message = ok_message(loaded) + "".join(f"; but {n.text}" for n in found)
    return dataclasses.replace(verdict_for(loaded, "ok", message, seconds), notes=found)


def unchecked_verdict(
    loaded: LoadedHistory, recording: Recording | None, seconds: float
) -> Verdict | None:
    """For a history that replayed: ``nondeterministic`` when the code renamed, reordered or
    re-identified an activity or a child workflow the history recorded before core's flag 1,
    or a Nexus operation it recorded before core's flag 4 (``replaycheck._unchecked``); ``None``
    otherwise, and at once for a history recorded since the flags."""
    from replaycheck._unchecked import NEXUS_FLAG, core_compares_nexus, flag_of, temporalio_version

    change = _unchecked_change(loaded, recording)
    if not change:
        return None
    flag = flag_of(change)
    message = (
        f"{change} (found by replaycheck: core does not compare them on this history, "
        f"recorded before its flag {flag})"
        if flag != NEXUS_FLAG or core_compares_nexus()
        else f"{change} (found by replaycheck: the core of temporalio {temporalio_version()} "
        "does not compare them; 1.35 and later do)"
    )
    diagnosis = diagnose_failure(loaded, change, recording)
    diagnosis = dataclasses.replace(diagnosis, message=message, core_skipped=True)
    return verdict_for(loaded, "nondeterministic", message, seconds, diagnosis=diagnosis)


def unchecked_diagnosis(
    loaded: LoadedHistory, message: str, recording: Recording | None
) -> Diagnosis | None:
    """For a history recorded before core's flag 1 (or 4) that core failed at a later event:
    the diagnosis of the earlier activity or child workflow whose type or id changed (or Nexus
    operation whose service or name changed), which core did not compare
    (``replaycheck._unchecked``), with where core stopped; ``None`` otherwise."""
    from replaycheck.diagnose import parse_core_message

    hint = parse_core_message(message)
    if not hint.event_id:
        return None
    change = _unchecked_change(loaded, recording, failed_at=hint.event_id)
    if not change:
        return None
    stopped = f"event {hint.event_id} ({hint.event_type})"
    diagnosis = diagnose_failure(loaded, change, recording)
    return dataclasses.replace(
        diagnosis, message=message, core_skipped=True, core_stopped_at=stopped
    )


def _unchecked_change(
    loaded: LoadedHistory, recording: Recording | None, failed_at: int = 0
) -> str:
    """Core's words for the first activity or child workflow whose type or id the code
    changed, on a history recorded before core's flag 1, or Nexus operation whose service or
    name it changed, before its flag 4 (before event ``failed_at``, where core failed it);
    empty when there is none, and at once for a history recorded since the flags."""
    from replaycheck._unchecked import unchecked_ends

    ends = unchecked_ends(loaded.history)
    if recording is None or not ends:
        return ""
    from replaycheck._code_commands import code_commands
    from replaycheck._unchecked import unchecked_change

    issued = code_commands(
        recording.command_entries(), recording.continue_as_new_stack, None, recording.update_names
    )
    return unchecked_change(loaded.history, issued, ends, failed_at=failed_at)
