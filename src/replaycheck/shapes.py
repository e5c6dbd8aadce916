"""The *shape* of a history: the sequence of commands its workflow made, and what it received.

Two executions with the same shape took the same path through the workflow code, so replaying
one of them checks what replaying the other would: ``replaycheck export --dedupe`` keeps one
history per shape. A command is a ``(kind, name)`` pair read from the events the commands
produced; ids, timestamps, attempts, timeouts and payloads are left out::

    ("activity", "create_schema")   ("local-activity", "lookup")   ("timer", "")
    ("child", "NotifyTenant")       ("signal-external", "approve")  ("cancel-external", "")
    ("patch", "my-change")          ("deprecated-patch", "my-change")
    ("marker", "my-marker")         ("search-attributes", "A, B")
    ("complete", "")  ("fail", "")  ("cancel", "")  ("continue-as-new", "")

A marker recorded by ``patched()`` and one recorded by ``deprecate_patch()`` are different
commands: replay needs a call for the first and skips the second, so code that removed the call
passes one and fails the other.

After the commands come the names of the signals and updates the execution received and
whether it was asked to cancel, each once, sorted (none: nothing follows the commands)::

    ("received-cancel", "")  ("received-signal", "approve")  ("received-update", "expedite")

Replay calls the handler of each of those, so two executions that made the same commands but
received different signals run different code: a renamed handler fails only the one that
received its signal. A cancel request reaches the code too, which may catch it and go on to
the commands of an execution never asked to cancel. What a handler did (and so when it ran)
shows in the commands already; how many times it ran does not change which code runs, and would
make a shape per count.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from replaycheck._commands import history_commands

if TYPE_CHECKING:
    from pathlib import Path

    from temporalio.api.history.v1 import History, HistoryEvent

    from replaycheck._commands import Command as HistoryCommand

Command = tuple[str, str]
"""``(kind, name)``; ``name`` is empty for commands without one."""
Shape = tuple[Command, ...]

_NAMED_KINDS = frozenset(
    {
        "activity",
        "local-activity",
        "child",
        "signal-external",
        "patch",
        "deprecated-patch",
        "marker",
        "search-attributes",
        "nexus",
    }
)
"""Kinds whose name is part of the path; other names (timer durations, failure messages, the
ids of cancelled workflows) vary between executions of the same path."""


_RECEIVED = {
    "WORKFLOW_EXECUTION_SIGNALED":
        ("received-signal", "workflow_execution_signaled_event_attributes.signal_name"),
    "WORKFLOW_EXECUTION_UPDATE_ACCEPTED": ("received-update",
        "workflow_execution_update_accepted_event_attributes.accepted_request.input.name"),
    "WORKFLOW_EXECUTION_UPDATE_ADMITTED": ("received-update",
        "workflow_execution_update_admitted_event_attributes.request.input.name"),
    "WORKFLOW_EXECUTION_CANCEL_REQUESTED": ("received-cancel", ""),
}  # fmt: skip
"""Events that deliver something to the workflow's code: what it is, and where its name is. A
rejected update never reaches the history (the server writes no event for it, and replay runs
no validator); an update admitted before it was accepted (a reset reapplies it) names it in its
admitted event, and its accepted event may not."""


def history_shape(history: History) -> Shape:
    """The commands of ``history``, in order (read by ``replaycheck._commands``), then what it
    received (:func:`received`)."""
    return tuple(_command(c) for c in history_commands(history).commands) + received(history)


def received(history: History) -> Shape:
    """The signals and updates ``history`` received, by name, and its cancel request: each
    once, sorted."""
    readers = _received_readers()
    found: set[Command] = set()
    for event in history.events:
        reader = readers.get(event.event_type)
        if reader is None:
            continue
        kind, get = reader
        name = str(get(event)) if get else ""
        if name or get is None:  # an accepted event without its request: admitted names it
            found.add((kind, name))
    return tuple(sorted(found))


@functools.cache
def _received_readers() -> dict[int, tuple[str, Callable[[HistoryEvent], object] | None]]:
    """:data:`_RECEIVED` by event type number (comparing numbers keeps this as cheap as reading
    the commands)."""
    from temporalio.api.enums.v1 import EventType

    return {
        EventType.Value(f"EVENT_TYPE_{name}"): (kind, operator.attrgetter(path) if path else None)
        for name, (kind, path) in _RECEIVED.items()
    }


def _command(command: HistoryCommand) -> Command:
    kind = "deprecated-patch" if command.kind == "patch" and command.deprecated else command.kind
    kind = "update" if kind == "update-completion" else kind  # shape ids as they were
    return kind, command.name if kind in _NAMED_KINDS else ""


def shape_id(shape: Shape) -> str:
    """A short, stable name for a shape (12 hex digits of a SHA-256)."""
    text = json.dumps(shape, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def describe_shape(shape: Shape) -> str:
    """``activity create_schema > timer > complete (received: signal approve, cancel)``."""
    commands = [c for c in shape if not c[0].startswith(_RECEIVED_PREFIX)]
    inputs = [(k[len(_RECEIVED_PREFIX) :], n) for k, n in shape if k.startswith(_RECEIVED_PREFIX)]
    text = " > ".join(_text(*command) for command in commands) or "(none)"
    return f"{text} (received: {', '.join(_text(*i) for i in inputs)})" if inputs else text


_RECEIVED_PREFIX = "received-"


def _text(kind: str, name: str) -> str:
    return f"{kind} {name}" if name else kind


def shapes_in(directory: Path) -> dict[Shape, list[Path]]:
    """The history files directly in ``directory``, by shape.

    Shapes are read from the events every time, never stored: files written by an earlier
    version, whose shapes were commands alone, count by the shape they have now. A file that
    cannot be read or fails validation holds no shape (``replaycheck check`` reports it); a
    missing directory holds none.
    """
    from replaycheck.errors import HistoryError
    from replaycheck.histories import is_history_name, read_history

    try:
        names = sorted(entry.name for entry in os.scandir(directory) if entry.is_file())
    except OSError:
        return {}
    found: dict[Shape, list[Path]] = {}
    for name in filter(is_history_name, names):
        try:
            shape = history_shape(read_history(directory / name).history)
        except HistoryError:
            continue
        found.setdefault(shape, []).append(directory / name)
    return found
