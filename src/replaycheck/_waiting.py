"""Where the workflow code waits when replay stops (captured in the replay worker at eviction).

When the code commands nothing where the history went on (a ``wait_condition`` whose timeout
was removed, a wait added), core names only the event it found no command for. The workflow's
tasks are still suspended where the code waits: the eviction that follows a failed replay sees
them before it cancels them, and :func:`waiting_stacks` reads each task's chain of awaits.
"""

from __future__ import annotations

import ast
import linecache
import re
import textwrap
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from replaycheck._commands import RawFrame
from replaycheck._source import char_column, name_of

if TYPE_CHECKING:
    from replaycheck._commands import HistoryCommands
    from replaycheck._source import SourceFrame
    from replaycheck.diagnose import Diagnosis

Waiting = tuple[tuple[RawFrame, ...], str]
"""A suspended task: its user-code frames (innermost first) and the library function it waits
in just below them (``wait_condition``, ``wait``; empty when it waits on a future itself)."""

MAX_TASKS = 20
"""Tasks read per workflow instance (the primary task first)."""
WAITS = frozenset({"wait_condition", "wait"})
"""Calls that wait on a condition or on tasks started before (``workflow.wait``,
``asyncio.wait``): no command of their own, but a ``timeout`` starts a timer."""
_WAITS = WAITS | {"wait_for"}
"""Calls that wait and whose ``timeout`` starts a timer (``asyncio.wait_for`` too, which
wraps what it awaits)."""


def waiting_stacks(instance: Any, is_user_file: Any) -> tuple[Waiting, ...]:
    """The suspended tasks of a temporalio workflow instance, the primary task first; never
    raises (a temporalio without these attributes gives ``()``)."""
    try:
        primary = getattr(instance, "_primary_task", None)
        tasks = [primary] if primary is not None else []
        tasks += [t for t in list(getattr(instance, "_tasks", ())) if t is not primary]
        found = []
        for task in tasks[:MAX_TASKS]:
            if task.done():
                continue
            stack = _stack_of(task.get_coro(), is_user_file)
            if stack[0]:
                found.append(stack)
        return tuple(found)
    except Exception:  # a courtesy: the diagnosis goes on without it
        return ()


def _stack_of(coro: Any, is_user_file: Any) -> Waiting:
    """The user frames of a coroutine's chain of awaits, innermost first, and the first
    library function awaited below the innermost of them."""
    user: list[RawFrame] = []
    below = ""
    depth = 0
    while coro is not None and depth < 100:
        depth += 1
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        code = frame.f_code
        if is_user_file(code.co_filename):
            user.append((code.co_filename, frame.f_lineno, code.co_name))
            below = ""
        elif user and not below:
            below = code.co_name
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return tuple(reversed(user)), below


def waits_past(
    waiting: Iterable[tuple[Sequence[Any], str]], previous: Sequence[Any]
) -> tuple[int, str] | None:
    """The index of the wait (``(frames, awaited)``, frames with ``file``, ``line`` and
    ``function``, innermost first) at a statement past the code's last matching command
    (``previous``, the same): the function both run in has it on a later line. With no
    command before, the first wait. ``None`` when no wait is past it."""
    for i, (frames, awaited) in enumerate(waiting):
        if not frames:
            continue
        if not previous:
            return i, awaited
        for frame in frames:
            same = next(
                (p for p in previous if (p.file, p.function) == (frame.file, frame.function)),
                None,
            )
            if same is not None:
                if frame.line > same.line:
                    return i, awaited
                break
    return None


def wait_call(code: str) -> ast.Call | None:
    """The waiting call a statement awaits (``workflow.wait_condition(...)``, ``asyncio.wait``,
    ``workflow.wait``, ``asyncio.wait_for``), if it awaits one."""
    try:
        tree = ast.parse(textwrap.dedent(code).strip("\n"))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            name = name_of(node.value.func)
            if name in _WAITS:
                return node.value
    return None


def has_timeout(call: ast.Call) -> bool:
    """Whether a waiting call passes a timeout (``wait_for``'s second argument counts)."""
    if any(k.arg == "timeout" for k in call.keywords):
        return True
    return name_of(call.func) == "wait_for" and len(call.args) > 1


def wait_subject(call: ast.Call) -> str:
    """What a ``wait_condition`` waits for, when its lambda reads one name or attribute
    (``approved`` of ``lambda: self.approved``); empty otherwise."""
    if name_of(call.func) != "wait_condition" or not call.args:
        return ""
    condition = call.args[0]
    if not isinstance(condition, ast.Lambda):
        return ""
    names = {
        node.attr if isinstance(node, ast.Attribute) else node.id
        for node in ast.walk(condition.body)
        if isinstance(node, ast.Attribute) or (isinstance(node, ast.Name) and node.id != "self")
    }
    names.discard("self")
    return names.pop() if len(names) == 1 else ""


def wait_label(code: str) -> str:
    """``wait_condition, no timeout`` for the wait a statement awaits; empty for another."""
    call = wait_call(code)
    if call is None:
        return ""
    return name_of(call.func) + ("" if has_timeout(call) else ", no timeout")


def with_timeout(
    code: str, seconds: float, timedelta_known: bool, call: ast.Call | None = None
) -> str:
    """A ``wait_condition`` statement without a timeout, given one of ``seconds`` (the old
    statement as far as replay needs it); empty when that cannot be written. ``call``: the
    :func:`wait_call` of ``code``, when the caller has read it."""
    call = call or wait_call(code)
    if call is None or has_timeout(call) or name_of(call.func) != "wait_condition":
        return ""
    lines = textwrap.dedent(code).strip("\n").splitlines()
    end_line, end_col = call.end_lineno, call.end_col_offset
    if end_line is None or end_col is None:
        return ""
    line = lines[end_line - 1]
    end_col = char_column(line, end_col)  # of the call's `)`
    before = line[: end_col - 1].rstrip()
    timeout = f"timeout={_duration(seconds, timedelta_known)}"
    if not before.strip() and end_line > 1:  # `)` on a line of its own: a line before it
        last = lines[end_line - 2]
        lines[end_line - 2] = last if last.rstrip().endswith((",", "(")) else last.rstrip() + ","
        indent = last[: len(last) - len(last.lstrip())]
        lines.insert(end_line - 1, f"{indent}{timeout},")
        return "\n".join(lines)
    comma = "" if before.endswith(("(", ",")) else ", "
    lines[end_line - 1] = f"{before}{comma}{timeout}{line[end_col - 1 :]}"
    return "\n".join(lines)


def _duration(seconds: float, timedelta_known: bool) -> str:
    if not timedelta_known:
        return f"{seconds:g}"
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return f"timedelta({unit}={int(seconds // size)})"
    return f"timedelta(seconds={seconds:g})"


def seconds_of(duration: str) -> float:
    """The seconds of a timer's duration as ``_commands.duration_text`` writes it (``1h30m``);
    0 when it does not read."""
    parts = re.findall(r"(\d+(?:\.\d+)?(?:e-?\d+)?)([hms])", duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        return 0.0
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def with_wait(
    diagnosis: Diagnosis,
    history: HistoryCommands,
    waiting: Sequence[tuple[tuple[SourceFrame, ...], str]],
    issued_at: Collection[tuple[str, int]] = frozenset(),
) -> Diagnosis:
    """A removal where the code commanded nothing, located at the statement where the code
    waits past its last matching command (:func:`waits_past`), with the patch ids of that
    reading; unchanged without one, when that statement issued a command (``issued_at``: the
    ``(file, line)`` of every frame of the code's commands), or when it awaits no waiting call
    (:func:`wait_call`) where the history went on with another command than a timer (it
    awaits a command issued before, whose removal is not the change)."""
    from replaycheck._building_names import patch_ids_in_use, unused
    from replaycheck._commands import TASK_END_CANCELS, Command
    from replaycheck._readings import slug, still_runs_later

    d = diagnosis
    if d.change != "removed" or d.commanded_kind or d.location or d.signals:
        return d
    if d.recorded_kind in TASK_END_CANCELS:  # recorded at its task's end: no wait took its place
        return d
    found = waits_past(waiting, d.previous)
    if found is None:
        return d
    frames = waiting[found[0]][0]
    if (frames[0].file, frames[0].line) in issued_at:
        return d
    call = wait_call(frames[0].code)
    if call is None and d.recorded_kind != "timer":  # awaiting a command issued before
        return d
    d = replace(d, waits_at=frames)
    subject = slug(wait_subject(call)) if call is not None else ""
    taken = patch_ids_in_use(history, d)
    if d.recorded_kind == "timer":
        old = ""
        seconds = seconds_of(d.recorded_name)
        if call is not None and seconds:
            source = "".join(linecache.getlines(frames[0].file))
            old = with_timeout(frames[0].code, seconds, "timedelta" in source, call)
        what = subject or slug(d.recorded_name)
        patch_id = f"remove-{what}-timeout" if call is not None else f"remove-timer-{what}"
        return replace(d, wait_old=old, patch_id=unused(patch_id, taken))
    added = unused(f"add-{subject}-wait" if subject else "add-wait", taken)
    # A wait added there is a reading only if the code still runs what the history went on
    # with after it: else that was removed (a gate of the wait alone would leave it missing).
    recorded = Command(d.recorded_kind, d.recorded_name)
    if not still_runs_later(recorded, (), frames, history):
        return replace(d, other_patch_id=added)
    return replace(d, patch_id=added, other_patch_id=d.patch_id, still_runs_later=True)
