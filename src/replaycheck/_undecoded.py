"""A signal or an update whose input the code's handler can no longer decode.

temporalio decodes a signal's or an update's input into the handler's parameter types before any
workflow code runs; when it cannot (a parameter's type changed: ``str`` to ``int``, a dataclass
field added without a default), it drops the signal, or rejects the update, and the code does
not go on where the history went on. A ``workflow.patched()`` gate cannot help there: the fix
is a handler that takes the input executions recorded before sent.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

    from replaycheck.diagnose import Diagnosis

_EVENTS = {
    "WorkflowExecutionSignaled": (
        "signal", operator.attrgetter("workflow_execution_signaled_event_attributes.signal_name")
    ),
    "WorkflowExecutionUpdateAccepted": ("update", operator.attrgetter(
        "workflow_execution_update_accepted_event_attributes.accepted_request.input.name")),
}  # fmt: skip
"""How a history names the signals it received and the updates it accepted, by event type."""


def with_undecoded(
    diagnosis: Diagnosis, history: History, undecoded: Sequence[tuple[str, str]]
) -> Diagnosis:
    """The first signal or update (by history order) the code could not decode, when the
    history received it before the event where replay diverged, or accepted it there (an
    update's acceptance is a command's event: a rejected update diverges at it; ``undecoded``:
    ``(name, the decoder's error)`` as the replay recorded them)."""
    if not undecoded:
        return diagnosis
    from replaycheck.histories import event_type_name

    errors = dict(reversed(undecoded))  # the first error of each name
    for event in history.events:
        if diagnosis.event_id and event.event_id > diagnosis.event_id:
            break
        reading = _EVENTS.get(event_type_name(event.event_type))
        if reading is None:
            continue
        kind, name_of = reading
        if kind == "signal" and event.event_id == diagnosis.event_id:
            continue
        name = str(name_of(event))
        if name in errors:
            return replace(
                diagnosis,
                undecoded=f"{kind} {name!r} (event {event.event_id})",
                undecoded_error=errors[name],
            )
    return diagnosis


def undecoded_explanation(d: Diagnosis) -> str:
    """What a diagnosis of an input the handler cannot decode says ('' for other changes)."""
    if not d.undecoded:
        return ""
    if d.undecoded.startswith("update"):
        outcome = "rejected it where the history accepted it"
    else:
        went = f" with {d.recorded}" if d.recorded_kind else ""
        outcome = f"dropped it, so the code did not go on where the history went on{went}"
    return (
        f"the code's handler cannot take the input of {d.undecoded} any more "
        f"({d.undecoded_error}): temporalio {outcome}; the handler's parameter types changed"
    )


def undecoded_fix(d: Diagnosis) -> list[str]:
    """Make the handler take both inputs: a ``patched()`` gate runs too late to help."""
    kind, name = d.undecoded.split(" (event")[0].split(" ", 1)
    returns = "None" if kind == "signal" else "ReturnType"
    return [
        f"make the handler of {kind} {name} take the input executions recorded before sent "
        "as well as the new one (a workflow.patched() gate cannot help: temporalio decodes "
        "the input before the handler runs):",
        f'    @workflow.{kind}(name="{name[1:-1]}")',
        f"    async def handler(self, arg: OldType | NewType) -> {returns}:",
        "        ...  # tell the two apart here (or take a RawValue and decode it yourself)",
    ]
