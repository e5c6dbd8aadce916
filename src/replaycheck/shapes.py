"""The *shape* of a history: the sequence of commands its workflow made.

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
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING

from replaycheck._commands import history_commands

if TYPE_CHECKING:
    from pathlib import Path

    from temporalio.api.history.v1 import History

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


def history_shape(history: History) -> Shape:
    """The commands of ``history``, in order (read by ``replaycheck._commands``)."""
    return tuple(_command(c) for c in history_commands(history).commands)


def _command(command: HistoryCommand) -> Command:
    kind = "deprecated-patch" if command.kind == "patch" and command.deprecated else command.kind
    return kind, command.name if kind in _NAMED_KINDS else ""


def shape_id(shape: Shape) -> str:
    """A short, stable name for a shape (12 hex digits of a SHA-256)."""
    text = json.dumps(shape, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def describe_shape(shape: Shape) -> str:
    """``activity create_schema > timer > complete``."""
    return " > ".join(f"{kind} {name}" if name else kind for kind, name in shape) or "(none)"


def shapes_in(directory: Path) -> dict[Shape, list[Path]]:
    """The history files directly in ``directory``, by shape.

    A file that cannot be read or fails validation holds no shape (``replaycheck check``
    reports it); a missing directory holds none.
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
