"""An activity or child workflow registered under a new name (``@activity.defn(name=...)``)
while the statement calling it is as it was: the recorded command written as a call by its
old name, for the fix's ``else``. ``replaycheck._building`` adds it to a diagnosis."""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._readings import source_names
from replaycheck._source_flow import names_in
from replaycheck._source_nodes import source_segment

if TYPE_CHECKING:
    from replaycheck.diagnose import Diagnosis

BY_NAME_CALLS = frozenset({
    "execute_activity", "start_activity", "execute_local_activity", "start_local_activity",
    "execute_child_workflow", "start_child_workflow",
})  # fmt: skip
"""temporalio's calls that take an activity or workflow by its registered name as a string."""

KINDS = frozenset({"activity", "local-activity", "child"})


def with_old_registered_call(diagnosis: Diagnosis) -> Diagnosis:
    """``diagnosis`` with :attr:`~replaycheck.diagnose.Diagnosis.old_call` when the gated
    statement still passes what the history recorded by its Python name (``charge`` for
    activity 'charge'), which the code now registers as the name it commanded."""
    d = diagnosis
    frame = d.gate_at
    if (
        d.change != "renamed" or d.recorded_kind != d.commanded_kind
        or d.recorded_kind not in KINDS or frame is None or d.old_call
    ):  # fmt: skip
        return d
    old = called_by_old_name(frame.code, d.recorded_name)
    return replace(d, old_call=old) if old else d


def registered_anew(d: Diagnosis) -> bool:
    """Whether the gated statement passes what the history recorded, registered anew (and
    :attr:`~replaycheck.diagnose.Diagnosis.old_call` calls it by its old name)."""
    return bool(d.old_call) and d.recorded_kind != "nexus"


def renamed_note(d: Diagnosis) -> str:
    """What a rename's explanation adds when :func:`registered_anew` ('' otherwise)."""
    if not registered_anew(d):
        return ""
    return " (the call is as it was: what it passes is registered under the new name)"


def _beside_a_call(tree: ast.AST, call: ast.Call) -> bool:
    """Whether ``call`` is in an arm of a conditional expression whose other arm calls too."""
    for node in ast.walk(tree):
        if isinstance(node, ast.IfExp):
            for arm, other in ((node.body, node.orelse), (node.orelse, node.body)):
                held = any(n is call for n in ast.walk(arm))
                if held and any(isinstance(n, ast.Call) for n in ast.walk(other)):
                    return True
    return False


def called_by_old_name(code: str, name: str) -> str:
    """``code`` (one statement) with the first argument of its one call that passes ``name``'s
    Python object (:func:`~replaycheck._readings.source_names`) replaced by ``name`` as a
    string; '' when it has no such call, or several, or that call is in an arm of a
    conditional expression whose other arm calls too (the other arm's call may be the one
    that ran: ``a() if vip else b()`` on one line, where Python 3.10 keeps no columns)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    names = source_names(name)
    calls = [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call) and names_in(node.func) & BY_NAME_CALLS and node.args
        and not isinstance(node.args[0], ast.Constant) and names_in(node.args[0]) & names
    ]  # fmt: skip
    args = [call.args[0] for call in calls]
    if len(args) != 1 or source_segment(code, args[0]) is None or _beside_a_call(tree, calls[0]):
        return ""
    arg = args[0]
    lines = code.encode().splitlines(keepends=True)
    start = sum(map(len, lines[: arg.lineno - 1])) + arg.col_offset
    end = sum(map(len, lines[: (arg.end_lineno or arg.lineno) - 1])) + (arg.end_col_offset or 0)
    data = code.encode()
    return (data[:start] + json.dumps(name, ensure_ascii=False).encode() + data[end:]).decode()
