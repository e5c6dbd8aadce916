"""The *shape* of a history: the sequence of commands its workflow made.

Two executions with the same shape took the same path through the workflow code, so replaying
one of them checks what replaying the other would: ``replaycheck export --dedupe`` keeps one
history per shape. A command is a ``(kind, name)`` pair read from the events the commands
produced; ids, timestamps, attempts, timeouts and payloads are left out::

    ("activity", "create_schema")   ("local-activity", "lookup")   ("timer", "")
    ("child", "NotifyTenant")       ("signal-external", "approve")  ("cancel-external", "")
    ("patch", "my-change")          ("marker", "my-marker")         ("search-attributes", "A, B")
    ("complete", "")  ("fail", "")  ("cancel", "")  ("continue-as-new", "")
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from replaycheck._commands import history_commands

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

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
        "marker",
        "search-attributes",
        "nexus",
    }
)
"""Kinds whose name is part of the path; other names (timer durations, failure messages, the
ids of cancelled workflows) vary between executions of the same path."""


def history_shape(history: History) -> Shape:
    """The commands of ``history``, in order (read by ``replaycheck._commands``)."""
    return tuple(
        (c.kind, c.name if c.kind in _NAMED_KINDS else "")
        for c in history_commands(history).commands
    )


def shape_id(shape: Shape) -> str:
    """A short, stable name for a shape (12 hex digits of a SHA-256)."""
    text = json.dumps(shape, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def describe_shape(shape: Shape) -> str:
    """``activity create_schema > timer > complete``."""
    return " > ".join(f"{kind} {name}" if name else kind for kind, name in shape) or "(none)"
