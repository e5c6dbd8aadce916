"""A semaphore or a lock that now holds a command back: the history started it in the workflow
task of the code's last matching command, which the code issued inside an ``async with``
(``async with self.limit:``) that lets fewer calls through at once than the old code did.
For :mod:`replaycheck._task_readings`; the text is in :mod:`replaycheck._fix_tasks`.
"""

from __future__ import annotations

import ast
import linecache
import re
from collections.abc import Sequence
from dataclasses import dataclass

from replaycheck._commands import Command
from replaycheck._divergence import Divergence
from replaycheck._places import place_file
from replaycheck._readings import source_names
from replaycheck._source import SourceFrame, end_line, function_at, parsed

LIMITED_KINDS = frozenset({"activity", "local-activity", "child"})
"""Commands a workflow runs under a semaphore (a timer is no work to limit)."""


@dataclass(frozen=True)
class Limit:
    """The ``async with`` around the call that issued the code's last matching command."""

    first: Command
    """The history's command the code still started in that task."""
    held: str
    """What the ``async with`` holds (``self.limit``)."""
    at: str
    """Where the ``async with`` is (``wf.py:88 in _step``)."""
    made: str
    """The statement making :attr:`held` (``self.limit = asyncio.Semaphore(1)``), or ''."""
    made_at: str
    """Where that statement is (``wf.py:80 in __init__``), or ''."""


def now_limited(
    found: Divergence, waiting: Sequence[tuple[tuple[SourceFrame, ...], str]]
) -> Limit | None:
    """The history started ``found.recorded`` in the workflow task of the code's last matching
    command, where the code commanded nothing more, and that command's call (or a caller's)
    runs inside an ``async with`` of a semaphore or lock (not of a call such as
    ``asyncio.timeout(...)``), which another task of the code waits to enter (``waiting``:
    where the code's tasks waited when replay stopped); the source still names the recorded
    command's activity or workflow: it waits for room under the limit now."""
    h = found.recorded
    if h is None or found.commanded is not None or not found.matched:
        return None
    first, code = found.matched[-1]
    if first is None or code is None or first.task != h.task or h.kind not in LIMITED_KINDS:
        return None
    for file, line, function in code.frames:
        held = _held_around(file, line)
        if held is None:
            continue
        entering = (place_file(file), held[0], function)
        if not any(_at(frames[0]) == entering for frames, _ in waiting if frames):
            return None  # nothing waits for room: the code awaits the calls in turn
        if not _names_any(file, source_names(h.name)):
            return None
        where = f"{place_file(file)}:{{}} in {{}}"
        made = _made(file, held[1])
        return Limit(
            first=first,
            held=held[1],
            at=where.format(held[0], function),
            made=made[2] if made else "",
            made_at=where.format(made[0], made[1]) if made else "",
        )
    return None


def _at(frame: SourceFrame) -> tuple[str, int, str]:
    return place_file(frame.file), frame.line, frame.function


def _held_around(path: str, line: int) -> tuple[int, str] | None:
    """The innermost ``async with NAME:`` (a name or an attribute, not a call) of the function
    holding ``line`` with ``line`` in its body: ``(its line, NAME)``."""
    function = function_at(path, line)
    if function is None:
        return None
    found = [
        node for node in ast.walk(function)
        if isinstance(node, ast.AsyncWith) and node.body
        and node.body[0].lineno <= line <= end_line(node.body[-1])
        and isinstance(node.items[0].context_expr, ast.Name | ast.Attribute)
    ]  # fmt: skip
    if not found:
        return None
    node = max(found, key=lambda n: n.lineno)
    return node.lineno, ast.unparse(node.items[0].context_expr)


def _made(path: str, held: str) -> tuple[int, str, str] | None:
    """The first assignment of ``held`` in ``path``: ``(its line, its function, its source)``."""
    tree = parsed(path)
    if tree is None:
        return None
    for node in sorted(ast.walk(tree), key=lambda n: getattr(n, "lineno", 0)):
        if isinstance(node, ast.Assign) and any(ast.unparse(t) == held for t in node.targets):
            function = function_at(path, node.lineno)
            name = function.name if function is not None else "<module>"
            return node.lineno, name, ast.unparse(node)
    return None


def _names_any(path: str, names: set[str]) -> bool:
    """Whether the code of ``path`` (comments left out) names one of ``names``."""
    code = "".join(line.split("#", 1)[0] + "\n" for line in linecache.getlines(path))
    return any(re.search(rf"\b{re.escape(name)}\b", code) for name in names)
