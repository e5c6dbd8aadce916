"""Core's message, unwrapped from the Rust debug dump temporalio wraps it in, with its dumps
of whole history events shortened to the form core uses elsewhere."""

from __future__ import annotations

import re

_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')
_EVENT_DUMP = re.compile(r"HistoryEvent \{ event_id: (\d+),")
_EVENT_TYPE = re.compile(r"\bevent_type: (\w+)")


def _short_events(text: str) -> str:
    """Core's debug dump of a whole event (``HistoryEvent { event_id: 5, event_time: ...,
    event_type: ActivityTaskScheduled, ... attributes: Some(...) }``, a thousand characters)
    in the form core uses elsewhere: ``HistoryEvent(id: 5, ActivityTaskScheduled)``."""
    out, at = [], 0
    for match in _EVENT_DUMP.finditer(text):
        if match.start() < at:
            continue  # inside a dump already shortened
        end = _closing_brace(text, match.start())
        kind = None if end is None else _EVENT_TYPE.search(text, match.end(), end)
        if end is None or kind is None:
            continue  # not a whole dump: leave the text as it is
        out += [text[at : match.start()], f"HistoryEvent(id: {match.group(1)}, {kind.group(1)})"]
        at = end
    return "".join(out) + text[at:]


def _closing_brace(text: str, start: int) -> int | None:
    """The index after the ``}`` closing the ``{`` first found from ``start``, skipping quoted
    strings (an id or a message may hold braces); ``None`` when it is never closed."""
    depth, quoted, escaped = 0, False, False
    for i in range(start, len(text)):
        char = text[i]
        if quoted:
            escaped, quoted = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            quoted = True
        elif char in "{}":
            depth += 1 if char == "{" else -1
            if depth == 0:
                return i + 1
    return None


def core_message(text: str) -> str:
    """Core's own message, unwrapped from the Rust debug dump temporalio puts around it.

    ``Workflow activation completion failed: Failure { failure: Some(Failure { message: "[TMPRL1100]
    Nondeterminism error: ..." ...`` becomes ``[TMPRL1100] Nondeterminism error: ...``. Text in any
    other shape comes back as its first non-empty line.
    """
    match = _MESSAGE.search(text)
    if match:
        return _short_events(match.group(1).replace('\\"', '"').replace("\\\\", "\\"))
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return text.strip() or "unknown failure"


def joined_lines(text: str, newline: str = "\n") -> str:
    """An error's message on one line (its lines split at ``newline``, ``"\\n"`` in core's
    dump): pydantic's ``ValidationError`` names the model, then the field and why on the
    next lines, then a link to its docs, which is left out."""
    lines = (line.strip() for line in text.split(newline))
    return ": ".join(line for line in lines if line and not line.startswith("For further"))
