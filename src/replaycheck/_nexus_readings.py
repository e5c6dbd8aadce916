"""A Nexus operation renamed, or its service: the recorded operation written as a call by its
names, for the fix's ``else`` (the old service's class may be gone, and a call by name makes
the command the history recorded). ``replaycheck._building`` adds it to a diagnosis."""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._source_nodes import source_segment

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

    from replaycheck.diagnose import Diagnosis

NEXUS_CALLS = frozenset({"execute_operation", "start_operation"})
"""The methods of a Nexus client that schedule an operation."""


def with_old_nexus_call(diagnosis: Diagnosis, history: History) -> Diagnosis:
    """``diagnosis`` with :attr:`~replaycheck.diagnose.Diagnosis.old_call` when it reads as a
    Nexus operation or service renamed and the gated statement calls one operation."""
    d = diagnosis
    renamed = d.change in ("renamed", "replaced") and d.recorded_name != d.commanded_name
    frame = d.gate_at
    if not (renamed and d.recorded_kind == d.commanded_kind == "nexus") or frame is None:
        return d
    event = next((e for e in history.events if e.event_id == d.event_id), None)
    if event is None or not event.HasField("nexus_operation_scheduled_event_attributes"):
        return d
    scheduled = event.nexus_operation_scheduled_event_attributes
    old = call_by_name(frame.code, scheduled.service, scheduled.operation, scheduled.endpoint)
    return replace(d, old_call=old) if old else d


def call_by_name(code: str, service: str, operation: str, endpoint: str) -> str:
    """``code`` (one statement) with its one Nexus operation call made through a client of
    ``service`` at ``endpoint``, the operation by name; '' when it has no such call."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    calls = [
        (node, node.func.attr) for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in NEXUS_CALLS and node.args
    ]  # fmt: skip
    if len(calls) != 1:
        return ""
    call, method = calls[0]
    rest = [source_segment(code, x) for x in (*call.args[1:], *call.keywords)]
    if None in rest or call.end_lineno is None or call.end_col_offset is None:
        return ""
    client = (
        f"workflow.create_nexus_client(service={_quoted(service)}, endpoint={_quoted(endpoint)})"
    )
    arguments = ", ".join([_quoted(operation), *(x for x in rest if x is not None)])
    data, lines = code.encode(), code.encode().splitlines(keepends=True)
    start = sum(map(len, lines[: call.lineno - 1])) + call.col_offset
    end = sum(map(len, lines[: call.end_lineno - 1])) + call.end_col_offset
    new = f"{client}.{method}({arguments})".encode()
    return (data[:start] + new + data[end:]).decode()


def _quoted(text: str) -> str:
    """``text`` as a double-quoted Python string, as workflow code writes one."""
    return json.dumps(text, ensure_ascii=False)
