"""Turning temporalio's replay failures into something a person can act on."""

from __future__ import annotations

import re

_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')


def core_message(text: str) -> str:
    """Core's own message, unwrapped from the Rust debug dump temporalio puts around it.

    ``Workflow activation completion failed: Failure { failure: Some(Failure { message: "[TMPRL1100]
    Nondeterminism error: ..." ...`` becomes ``[TMPRL1100] Nondeterminism error: ...``. Text in any
    other shape comes back as its first non-empty line.
    """
    match = _MESSAGE.search(text)
    if match:
        return match.group(1).replace('\\"', '"').replace("\\\\", "\\")
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return text.strip() or "unknown failure"
