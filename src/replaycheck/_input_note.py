"""The note on an ``ok`` replay whose code passed other input than the history recorded.

Core compares no input: an activity or a child workflow the code now calls with other arguments
replays, and the call gets the result recorded for it (a continue-as-new too: the run it
started has the recorded input). Most often that is a change of the code,
to review for the executions in flight. But when the calls got the recorded inputs in another
order, the code's order may change from one worker process to the next (it iterates a ``set``
of strings, whose hashes change with ``PYTHONHASHSEED``): a bug that no deploy is needed for,
which scrambles the results whenever an execution replays on another worker.

Runs in the replay worker; compares the payloads the code's commands carry with those of the
history's events (``replaycheck._input_values``): the JSON ones by value, others of temporalio's
default encodings by their bytes, each after the replay's payload codec decoded it when one is
configured. A payload that is still of no default encoding (no codec, or another one), or that
the codec cannot decode, leaves the note out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from replaycheck._input_values import decoded, raw_equal, values
from replaycheck._user_frames import RawFrame

if TYPE_CHECKING:
    from replaycheck._recording import Recording
    from replaycheck.histories import LoadedHistory
    from replaycheck.verdict import Note

SHOWN = 60
"""Characters of an input shown in the note."""

CONTINUED = "the continue-as-new"
"""What the note calls the code's ``workflow.continue_as_new(...)``, whose arguments are the
next run's input (the history's ``WorkflowExecutionContinuedAsNew`` event records them)."""


@dataclass(frozen=True)
class _Paired:
    what: str
    """``activity 'charge'`` or ``child workflow 'Ship'``."""
    event_id: int
    recorded: Sequence[Any]
    """The payloads of the history's event."""
    passed: Sequence[Any]
    """The payloads of the code's command."""
    frames: tuple[RawFrame, ...]


@dataclass(frozen=True)
class _Call:
    what: str
    """``activity 'charge'`` or ``child workflow 'Ship'``."""
    event_id: int
    recorded: tuple[Any, ...]
    passed: tuple[Any, ...]
    frames: tuple[RawFrame, ...]


async def input_note(
    loaded: LoadedHistory, recording: Recording | None, codec: Any = None
) -> Note | None:
    """``the code now passes other input ...`` for an ``ok`` replay (``None`` when every call
    the history recorded got the input it recorded, or nothing can be compared); ``codec``: the
    replay's payload codec, ``None`` without one."""
    if recording is None:
        return None
    return _note(await _compared_calls(_paired_calls(loaded, recording), codec))


def _note(calls: list[_Call]) -> Note | None:
    changed = [c for c in calls if c.recorded != c.passed]
    if not changed:
        return None
    from replaycheck._source import issued_at, issued_place
    from replaycheck.verdict import Note

    first = changed[0]
    of_kind = [c for c in calls if c.what == first.what]
    differ = sum(c.recorded != c.passed for c in of_kind)
    calls_text = (
        first.what if len(of_kind) == 1 else f"{differ} of the {len(of_kind)} calls of {first.what}"
    )
    gave = f"with the result{'s' if len(of_kind) > 1 else ''} the recorded input gave"
    if first.what == CONTINUED:
        gave = "and the run it continued as new started with the recorded input"
    text = (
        f"the code now passes other input to {calls_text} (event {first.event_id} "
        f"recorded {_shown(first.recorded)}, the code passes {_shown(first.passed)}"
        f"{issued_place(first.frames)}): core does not compare input, so this replays {gave}"
    )
    recorded = sorted(_key(c.recorded) for c in of_kind)
    passed = [_key(c.passed) for c in of_kind]
    if len(of_kind) > 1 and recorded == sorted(passed):
        text += _REORDERED[passed == recorded and _sorts(first.frames)]
    else:
        go_on = "executions in flight can go on with the results of the old input"
        if first.what == CONTINUED:
            go_on = "the new code can take the input of runs continued as new with the old one"
        text += (
            f". If the change is on purpose, check that {go_on}; if not, the input depends on "
            "something outside the history (hash() of a string, the environment)"
        )
    return Note("input", text, **issued_at(first.frames))


_REORDERED = {
    False: (
        ". They are the recorded inputs in another order: unless the code reorders them on "
        "purpose, its order changes from one worker process to the next (iterating a set "
        "of strings does: string hashes change with PYTHONHASHSEED), so an execution "
        "replayed on another worker pairs results with the wrong calls; iterate over "
        "sorted(...) instead"
    ),
    True: (  # in a loop over sorted(...): the fix above is in, the history older than it
        ". They are the recorded inputs in another order, and the code now passes them "
        "sorted: this execution ran them in its worker's order (a set of strings iterates in "
        "another order in each worker process, as string hashes change with PYTHONHASHSEED), "
        "so replayed on a worker with this code it pairs results with the wrong calls; gate "
        "the sorting, with the old iteration in the else, or let such executions finish on "
        "workers with the old code"
    ),
}
"""The end of the note when the calls got the recorded inputs in another order, by whether
the code now passes them sorted, in a loop over ``sorted(...)``."""


def _sorts(frames: Sequence[RawFrame]) -> bool:
    """The loop the call is made in iterates something ``sorted(...)``: the code's order is the
    same in every process, not a set's that happened to come out sorted here."""
    from replaycheck._source import loop_around

    loop = loop_around(frames[0][0], frames[0][1]) if frames else None
    return loop is not None and "sorted(" in loop[1]


def _paired_calls(loaded: LoadedHistory, recording: Recording) -> list[_Paired]:
    """Each activity and child workflow the code called, and its continue-as-new, with the
    event that recorded it."""
    from temporalio.api.enums.v1 import EventType

    from replaycheck._readings import naming_frames

    scheduled: dict[str, tuple[int, Sequence[Any]]] = {}
    started: dict[str, list[tuple[int, Sequence[Any]]]] = defaultdict(list)
    for event in loaded.history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            continued = event.workflow_execution_continued_as_new_event_attributes
            started[""].append((event.event_id, continued.input.payloads))  # no child's id
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            scheduled[attrs.activity_id] = (event.event_id, attrs.input.payloads)
        elif event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            child = event.start_child_workflow_execution_initiated_event_attributes
            started[child.workflow_id].append((event.event_id, child.input.payloads))
    paired = []
    for command, _, frames in recording.entries:
        variant = command.WhichOneof("variant")
        if variant == "schedule_activity":
            activity = command.schedule_activity
            found = scheduled.pop(activity.activity_id, None)
            name = activity.activity_type
            what = f"activity {name!r}"
            passed: Sequence[Any] = activity.arguments
        elif variant == "continue_as_new_workflow_execution":
            runs = started.get("")
            found = runs.pop(0) if runs else None
            name, what = "", CONTINUED
            passed = command.continue_as_new_workflow_execution.arguments
            frames = frames or recording.continue_as_new_stack  # its call's: the stack unwound
        elif variant == "start_child_workflow_execution":
            start = command.start_child_workflow_execution
            runs = started.get(start.workflow_id)
            found = runs.pop(0) if runs else None
            name = start.workflow_type
            what = f"child workflow {name!r}"
            passed = start.input
        else:
            continue
        if found is None:  # past the end of the history, or never sent
            continue
        # a helper that issues any activity it is given: the note points at its caller
        paired.append(_Paired(what, found[0], found[1], passed, naming_frames(name, frames)))
    return paired


async def _compared_calls(paired: list[_Paired], codec: Any) -> list[_Call]:
    """The calls with their input values, decoded by ``codec`` where encoded; none when a
    payload cannot be read (no codec, another one): a note must not rest on half the calls."""
    if all(raw_equal(p.recorded, p.passed) for p in paired):
        return []  # the same bytes: nothing changed, and nothing need be decoded
    plain = await decoded([s for p in paired for s in (p.recorded, p.passed)], codec)
    if plain is None:
        return []
    calls = []
    for i, p in enumerate(paired):
        recorded, passed = values(plain[2 * i]), values(plain[2 * i + 1])
        if recorded is None or passed is None:
            return []
        calls.append(_Call(p.what, p.event_id, recorded, passed, p.frames))
    return calls


def _key(value: tuple[Any, ...]) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _shown(value: tuple[Any, ...]) -> str:
    parts = [repr(v) if not isinstance(v, tuple) else f"<{v[0].decode()} payload>" for v in value]
    text = parts[0] if len(parts) == 1 else f"({', '.join(parts)})"
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."
