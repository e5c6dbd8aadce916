"""Readings of the workflow task a command was scheduled in: commands the history started
together in one task that the code now starts one after the other (``asyncio.gather`` became
sequential awaits), and a command added to a statement that started others in one task (a
third call in an ``asyncio.gather``), which core reports only at the history's next command.
For :mod:`replaycheck._building`; the text is in :mod:`replaycheck._fix_cases`.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from replaycheck._building_names import patch_ids_in_use, slug_of, unused
from replaycheck._commands import Command, HistoryCommands, RawFrame
from replaycheck._divergence import Divergence, timeline
from replaycheck._limits import now_limited
from replaycheck._places import place_file
from replaycheck._readings import source_pattern, starting_pattern
from replaycheck._source import (
    LOOPS,
    end_line,
    function_at,
    innermost,
    lines_source,
    name_of,
    next_statement,
    statement_source,
    statement_span,
)
from replaycheck._source_flow import count_later, covers
from replaycheck._source_nodes import source_segment
from replaycheck._waiting import WAITS

if TYPE_CHECKING:
    from replaycheck._source import SourceFrame
    from replaycheck.diagnose import Diagnosis


@dataclass(frozen=True)
class Sequential:
    """Commands the history started in one workflow task, which the code now starts one after
    the other, each statement awaiting the one before (maybe with new commands between)."""

    first: Command
    """The history's command the code still started in that task (the first statement's)."""
    lines_at: str
    """Where the statements are, from the first to the last (``wf.py:51-53 in run``)."""
    then_at: str
    """Where the statement now starting the history's diverging command is."""
    between_at: str
    """Where the new statements run before that one are (``wf.py:52``), or ''."""
    block: str
    """The statements, from the first to the last one starting a command of that task
    (dedented, comments kept): what the gate's new branch holds."""
    concurrent: str
    """The statements starting that task's commands as one ``asyncio.gather`` (the old form,
    for the ``else``), or '' when they are not all ``[target =] await call(...)``."""
    depth: int
    """The index of the first statement's frame in the first command's frames (a helper
    issuing every command: its caller's)."""
    loop: str = ""
    """The header of the loop that now awaits each call in turn (``for item in items:``), when
    one statement started the commands (:func:`in_turn`); ''."""


Span = tuple[int, int]
"""The first and last line of a statement."""

_STARTS_COMMAND = re.compile(
    r"\b(?:execute|start)_(?:local_)?activity\w*\(|\b(?:execute|start)_child_workflow\(|\bsleep\("
)

"""A call that starts an activity, a child or a timer (a statement that runs a command)."""
_WAITS = re.compile("|".join(rf"\b{name}\(" for name in sorted(WAITS)))
"""A wait with no command (:data:`~replaycheck._waiting.WAITS`): the history cannot tell
whether the old code waited there."""


def now_sequential(found: Divergence, history: HistoryCommands) -> Sequential | None:
    """The history started ``found.recorded`` in the workflow task of the code's last matching
    command, where the code commanded nothing more; a later statement of the same block starts
    it instead (and the ones after, the rest of that task's commands), with nothing between
    but new commands: the code now awaits the first before it starts the others."""
    h = found.recorded
    if h is None or found.commanded is not None or not found.matched:
        return None
    first, code = found.matched[-1]
    if first is None or code is None or first.task != h.task or not source_pattern(h):
        return None
    todo = [x for x in history.commands if x.task == h.task and x.event_id >= h.event_id]
    recorded = Counter(starting_pattern(x) for x in history.commands if x.event_id >= h.event_id)
    for depth, (file, line, function) in enumerate(code.frames):  # a helper's caller, maybe
        start, end = statement_span(file, line)
        if re.search(source_pattern(h), statement_source(file, line)):
            break  # the statement still starts it, in another task: in a loop, or another change
        spans, new = _started_after(file, end, todo, recorded)
        if spans:
            last = spans[-1][1]
            where = f"{place_file(file)}:{{}} in {function}"
            before = [x for x in new if x[0] < spans[0][0]]
            return Sequential(
                first=first,
                lines_at=where.format(f"{start}-{last}"),
                then_at=where.format(spans[0][0]),
                between_at=_lines(file, before[0][0], before[-1][1]) if before else "",
                block=lines_source(file, start, last),
                concurrent=_as_gather(file, [(start, end), *spans]),
                depth=depth,
            )
    return in_turn(first, h, code.frames)


def in_turn(first: Command, h: Command, frames: Sequence[RawFrame]) -> Sequential | None:
    """The statement that started ``first`` (or its caller's) awaits one call in the body of a
    loop, whose next round starts ``h``: the loop now awaits each call in turn, where the
    history started them together (``asyncio.gather`` or ``workflow.as_completed`` of one
    helper's calls became ``for ...: await ...``). The loop is the innermost one holding the
    statement, which it holds directly; ``h`` is named by the loop or by the innermost
    statement (a helper run for each item)."""
    pattern = source_pattern(h)
    if not pattern or not frames:
        return None
    called = statement_source(frames[0][0], frames[0][1])
    for depth, (file, line, function) in enumerate(frames):
        found = _loop_awaiting(file, line)
        if found is None:
            continue
        loop, statement = found
        last = end_line(loop)
        source = lines_source(file, loop.lineno, last)
        if not (re.search(pattern, source) or re.search(pattern, called)):
            return None
        where = f"{place_file(file)}:{{}} in {function}"
        return Sequential(
            first=first,
            lines_at=where.format(f"{loop.lineno}-{last}"),
            then_at=where.format(statement.lineno),
            between_at="",
            block=source,
            concurrent=_loop_as_gather(source),
            depth=depth,
            loop=source.splitlines()[0].strip(),
        )
    return None


def _loop_awaiting(file: str, line: int) -> tuple[ast.stmt, ast.stmt] | None:
    """The innermost loop of its function holding ``line`` of ``file`` and the statement of its
    body there, when that statement awaits (``await self._ship(item)``,
    ``done.append(await ...)``)."""
    function = function_at(file, line)
    loop = None if function is None else innermost(function, line, LOOPS)
    if loop is None or not covers(loop.body, line):
        return None
    statement = next(x for x in loop.body if x.lineno <= line <= end_line(x))
    if not any(isinstance(node, ast.Await) for node in ast.walk(statement)):
        return None
    return loop, statement


def _loop_as_gather(source: str) -> str:
    """``for target in iterable: await call(...)`` (``source``, dedented) as one
    ``asyncio.gather`` of the calls: the old concurrent form; '' for another loop."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return ""
    loop = body[0] if len(body) == 1 else None
    if not isinstance(loop, ast.For) or loop.orelse or len(loop.body) != 1:
        return ""
    statement = loop.body[0]
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Await)):
        return ""
    call = source_segment(source, statement.value.value) or ""
    target = source_segment(source, loop.target) or ""
    iterable = source_segment(source, loop.iter) or ""
    if not (call and target and iterable) or "\n" in call:
        return ""
    return f"await asyncio.gather(*({call} for {target} in {iterable}))"


def _lines(file: str, first: int, last: int) -> str:
    """``wf.py:52`` or ``wf.py:52-53``."""
    return f"{place_file(file)}:{first if first == last else f'{first}-{last}'}"


def _started_after(
    file: str, end: int, todo: Sequence[Command], recorded: Counter[str]
) -> tuple[list[Span], list[Span]]:
    """The statements after the one ending at ``end`` that start, in order, the commands of
    ``todo`` (at least its first), each one or more of them, and the new statements between
    them (:func:`_new_command`); none when a statement of neither kind comes first."""
    left = list(todo)
    spans: list[Span] = []
    new: list[Span] = []
    pending: list[Span] = []
    following = next_statement(file, end)
    while following is not None and left:
        line, code = following
        last = statement_span(file, line)[1]
        if last == line:  # a compound statement: its span is its first line's
            last = line + code.count("\n") - 1
        taken = 0
        while taken < len(left) and re.search(source_pattern(left[taken]) or "$^", code):
            taken += 1
        if taken:
            left, new, pending = left[taken:], new + pending, []
            spans.append((line, last))
        elif _new_command(file, line, code, recorded):
            pending.append((line, last))  # kept when a statement of ``todo`` follows
        else:
            break
        following = next_statement(file, last)
    return spans, new


def _new_command(file: str, line: int, code: str, recorded: Counter[str]) -> bool:
    """Whether the statement ``code`` at ``line`` starts a command the old code did not run
    after the gather: an expression (it binds no name the old form would lack) that starts an
    activity, a child or a timer and waits on nothing else, after which the code still runs
    each command like it as often as the history recorded from the diverging command on
    (``recorded``: how often, by source pattern): one added, not one moved up."""
    try:
        body = ast.parse(textwrap.dedent(code)).body
    except SyntaxError:
        return False
    if len(body) != 1 or not isinstance(body[0], ast.Expr) or _WAITS.search(code):
        return False
    return bool(_STARTS_COMMAND.search(code)) and all(
        count_later(file, line, pattern) >= times
        for pattern, times in recorded.items() if pattern and re.search(pattern, code)
    )  # fmt: skip


def _as_gather(file: str, spans: Sequence[Span]) -> str:
    """The statements of ``file`` at ``spans`` as one ``asyncio.gather`` of their calls, each
    result to its target (``_`` for none); '' when one is not ``[target =] await call(...)``
    (or awaits a gather already)."""
    targets, calls = [], []
    for start, last in spans:
        source = lines_source(file, start, last)
        try:
            body = ast.parse(source).body
        except SyntaxError:
            return ""
        if len(body) != 1:
            return ""
        target, value = _awaited(body[0])
        call = value.value if isinstance(value, ast.Await) else None
        if not isinstance(call, ast.Call) or _gathers(call):
            return ""
        targets.append(source_segment(source, target) or "" if target else "_")
        calls.append(source_segment(source, call) or "")
    if len(calls) < 2 or not all(calls) or not all(targets):
        return ""
    assigned = "" if set(targets) == {"_"} else f"{', '.join(targets)} = "
    items = [textwrap.indent(call, "    ") + "," for call in calls]
    return "\n".join([f"{assigned}await asyncio.gather(", *items, ")"])


def _awaited(node: ast.stmt) -> tuple[ast.expr | None, ast.expr | None]:
    """``(target, value)`` of ``target = value``, ``target: T = value`` or ``value``; a
    target that is not one name or attribute gives no value."""
    if isinstance(node, ast.Expr):
        return None, node.value
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target: ast.expr = node.targets[0]
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target = node.target
    else:
        return None, None
    if not isinstance(target, (ast.Name, ast.Attribute)):
        return None, None
    return target, node.value


def _gathers(call: ast.Call) -> bool:
    """``asyncio.gather(...)``, ``asyncio.wait(...)`` and the like: several commands at once."""
    return name_of(call.func) in ("gather", "wait", "wait_for", "as_completed")


def same_task(found: Divergence, history: HistoryCommands, frame: RawFrame) -> str:
    """What the statement at ``frame`` (that issued ``found.commanded``) started in one workflow
    task that the history recorded whole before ``found.recorded``, and where it starts
    (``activity 'fetch' and activity 'charge' (events 5-6) at wf.py:222 in run``): the
    code's command was added to that statement, and core reports it only at the history's next
    command; '' when it is not so."""
    h, c = found.recorded, found.commanded
    if h is None or c is None:
        return ""
    task = history.task_for(c.task)
    if not task or h.task <= task:
        return ""
    file, line, function = frame
    start, end = statement_span(file, line)
    started = [
        x for x, y in found.matched
        if x is not None and y is not None and x.task == task
        and any(f == file and start <= n <= end for f, n, _ in y.frames)
    ]  # fmt: skip
    if not started:
        return ""
    events = [x.event_id for x in started]
    ids = f"event {events[0]}" if len(events) == 1 else f"events {events[0]}-{events[-1]}"
    what = " and ".join(x.describe() for x in started)
    return f"{what} ({ids}) at {place_file(file)}:{start} in {function}"


def sequential_diagnosis(
    diagnosis: Diagnosis,
    found: Divergence,
    history: HistoryCommands,
    waiting: Sequence[tuple[tuple[SourceFrame, ...], str]] = (),
) -> Diagnosis | None:
    """``diagnosis`` read as ``sequential`` (:func:`now_sequential`, or
    :func:`~replaycheck._limits.now_limited` when a task of the code waits to enter an
    ``async with``: ``waiting``), or ``None``."""
    h, sequential = found.recorded, now_sequential(found, history)
    if h is None:
        return None
    if sequential is None:
        limit = now_limited(found, waiting)
        if limit is None:
            return None
        first = limit.first
        return replace(
            diagnosis,
            change="sequential",
            started_with=first.describe(),
            started_with_event=first.event_id,
            limited_by=limit.held,
            limited_at=limit.at,
            limit_made=limit.made,
            limit_made_at=limit.made_at,
            patch_id=unused(f"{slug_of(h)}-after-{slug_of(first)}",
                            patch_ids_in_use(history, diagnosis)),
        )  # fmt: skip
    first, depth = sequential.first, sequential.depth
    patch_id = f"{slug_of(h)}-after-{slug_of(first)}"
    if sequential.loop and slug_of(h) == slug_of(first):
        patch_id = f"{slug_of(h)}-in-turn"
    return replace(
        diagnosis,
        change="sequential",
        previous=diagnosis.previous[depth:] or diagnosis.previous,  # the first statement's
        timeline=timeline(found, depth),
        started_with=first.describe(),
        started_with_event=first.event_id,
        sequential_from=sequential.lines_at,
        sequential_at=sequential.then_at,
        sequential_between=sequential.between_at,
        sequential_block=sequential.block,
        concurrent_form=sequential.concurrent,
        sequential_loop=sequential.loop,
        patch_id=unused(patch_id, patch_ids_in_use(history, diagnosis)),
    )


def with_same_task(diagnosis: Diagnosis, found: Divergence, history: HistoryCommands) -> Diagnosis:
    """``diagnosis`` read as ``added``, with :attr:`~replaycheck.diagnose.Diagnosis.same_task`
    set, when the code's command was added to a statement the history started others with in
    one task and what the history recorded still runs after it (not a replacement)."""
    c = found.commanded
    if c is None or not c.frames or not diagnosis.shares_statement:
        return diagnosis
    if not diagnosis.still_runs_later or diagnosis.change not in ("renamed", "replaced"):
        return diagnosis
    frame = c.frames[min(diagnosis.gate_frame, len(c.frames) - 1)]
    started = same_task(found, history, frame)
    return replace(diagnosis, change="added", same_task=started) if started else diagnosis
