"""Readings of a divergence from the workflow source: what the change most likely was.

One history cannot always tell an addition from a replacement, a move from a removal, or a
loop that runs once more from a new call. These heuristics read the code around the diverging
command (``replaycheck._source``) and the history's commands to tell the likelier reading;
``replaycheck.diagnose`` turns them into the diagnosis and its fix. Each says why it decides as
it does; none is trusted further than the fix text it changes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from replaycheck._commands import (
    NAMED_KINDS,
    TERMINAL_KINDS,
    UPDATE_KINDS,
    Command,
    HistoryCommands,
    RawFrame,
)
from replaycheck._divergence import Divergence
from replaycheck._places import place_file
from replaycheck._source import (
    SourceFrame,
    block_until,
    handlers_only,
    loop_around,
    next_statement,
    runs_outside_handler,
    statement_source,
    statement_span,
)
from replaycheck._source_flow import (
    bound_parameters,
    count_calls_later,
    count_later,
    decided_by,
    mentioned_later,
    parameters_of,
    reraises_after,
    runs_later,
)
from replaycheck._source_helpers import count_in_helpers_later, named_in_helpers_later

TIMER_IN_SOURCE = r"\bsleep\(|\btimer\("
"""How a timer shows in workflow source (it has no name to look for)."""
CANCEL_IN_SOURCE = r"\.cancel\(\s*\)"
"""A cancel of an activity's or a child's handle, or of the task awaiting it, in source."""
_KINDS_IN_SOURCE = {
    "timer": TIMER_IN_SOURCE,
    "continue-as-new": r"\bcontinue_as_new\(",
}
"""How commands without a name to look for show in workflow source."""
_NAMED_IN_SOURCE = NAMED_KINDS | {"signal-external"}
_COUNTED_IN_SOURCE = {
    "timer": TIMER_IN_SOURCE,
    "properties": r"\bupsert_memo\(",
    "search-attributes": r"\bupsert_search_attributes\(",
}
"""How the commands :func:`called_again` counts without a name show in workflow source (the
upserts only there: the readings of ``_KINDS_IN_SOURCE`` do not look for them)."""
_RANGE_LITERAL = re.compile(r"\brange\(\s*\d+\s*\)")


def slug(text: str) -> str:
    """``GiftWrapOrder`` -> ``gift-wrap-order``; ``send_email`` -> ``send-email``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def source_names(name: str) -> set[str]:
    """The registered name, and the Python names it usually comes from (ChargeCard:
    charge_card; a workflow type NotifyTenant: its class NotifyTenantWorkflow, registered
    with ``@workflow.defn(name="NotifyTenant")``); of a Nexus operation
    (``Service/operation``), the operation's, as the source names it (``Service.operation``)."""
    name = name.rpartition("/")[2]
    names = {name, slug(name).replace("-", "_")}
    if name[:1].isupper() and not name.endswith("Workflow"):
        names.add(f"{name}Workflow")
    return names


def name_pattern(name: str) -> str:
    """:func:`source_names` as a regex."""
    return r"\b(" + "|".join(sorted(map(re.escape, source_names(name)))) + r")\b"


def recorded_from(h: Command, history: HistoryCommands) -> str:
    """A regex for any statement running what the history recorded from ``h`` on: the names
    of its activities, children and signals, and a sleep or continue-as-new when it has one."""
    later = [x for x in history.commands if x.event_id >= h.event_id]
    names = sorted({x.name for x in later if x.kind in _NAMED_IN_SOURCE and x.name})
    parts = [name_pattern(n) for n in names]
    parts += [
        pattern for kind, pattern in _KINDS_IN_SOURCE.items() if any(x.kind == kind for x in later)
    ]
    return "|".join(parts)


def still_runs_later(
    h: Command | None, after: Sequence[Command], frames: Sequence[SourceFrame],
    history: HistoryCommands,
) -> bool:  # fmt: skip
    """Whether the code still issues ``h`` after the diverging command: it did while replaying,
    or the source runs it later (``frames``: the gated call, then its callers). A timer: when
    as many sleeps follow in the source as the history recorded timers from ``h`` on."""
    if h is None:
        return False
    if after and after[0].matches(h):
        return True
    if h.kind == "timer":
        timers = sum(1 for x in history.commands if x.event_id >= h.event_id and x.kind == "timer")
        found = sum(
            count_later(f.file, f.line, TIMER_IN_SOURCE)
            + count_in_helpers_later(f.file, f.line, TIMER_IN_SOURCE)
            for f in frames
        )
        return found >= max(1, timers)
    if h.kind == "continue-as-new":
        return any(mentioned_later(f.file, f.line, r"\bcontinue_as_new\(") for f in frames)
    if h.kind in ("cancel-activity", "cancel-external"):  # a handle's or a task's cancel()
        return cancel_called_later(frames)
    if h.kind in ("cancel", "fail"):  # a cleanup added in an except block that re-raises
        bare = h.kind == "cancel"  # a cancellation re-raised as it came
        return any(reraises_after(f.file, f.line, bare=bare) for f in frames[:1])
    if not h.name:
        return False
    pattern = name_pattern(h.name)
    return any(
        mentioned_later(f.file, f.line, pattern) or runs_outside_handler(f.file, f.line, pattern)
        or named_in_helpers_later(f.file, f.line, pattern)
        for f in frames
    ) or passed_on_later(frames, source_names(h.name))  # fmt: skip


def cancel_called_later(frames: Sequence[SourceFrame]) -> bool:
    """Whether the source calls ``cancel()`` (on a handle, or the task awaiting one) after the
    statement of any of ``frames``, in its function."""
    return any(mentioned_later(f.file, f.line, CANCEL_IN_SOURCE) for f in frames)


def passed_on_later(frames: Sequence[SourceFrame], names: set[str]) -> bool:
    """Whether a helper of the gated call (``async def _step(self, act, ...)``) runs later what
    its caller passed it as one of ``names``: the caller's ``self._step(charge, ...)``, then
    the helper's ``execute_activity(act, ...)`` after the gated statement. Not when a
    parameter of the helper decides whether the gated statement runs (``if audited:``): the
    caller's argument changed, not the helper."""
    for callee, caller in itertools.pairwise(frames):
        bound = bound_parameters(callee, caller, names)
        if bound and runs_later(callee.file, callee.line, bound):
            every = parameters_of(callee.file, callee.line)
            return not decided_by(callee.file, callee.line, every)
    return False


def added_block(frame: SourceFrame, h: Command, history: HistoryCommands) -> tuple[int, str] | None:
    """Statements added in a row from ``frame``'s, up to the first that runs anything the
    history recorded from ``h`` on (a statement moved up is not an addition).

    Only when the history went on after ``h`` (another command, or the workflow completed or
    continued as new): one that failed or stopped right after it cannot tell a statement new to
    the code from one its execution would have run after ``h``.
    """
    pattern = recorded_from(h, history)
    later = [x.kind for x in history.commands if x.event_id > h.event_id]
    if not pattern or not any(kind not in ("fail", "cancel") for kind in later):
        return None
    return block_until(frame.file, frame.line, pattern)


def moved_too(frame: SourceFrame, h: Command, history: HistoryCommands) -> str:
    """What the statement after ``frame``'s runs, when the history recorded it after ``h`` and
    ``h`` still runs after that statement: it moved up too (``activity 'x' at wf.py:80``)."""
    following = next_statement(frame.file, frame.line)
    if following is None or not h.name:
        return ""
    line, code = following
    if not mentioned_later(frame.file, line, name_pattern(h.name)):
        return ""  # what the history recorded runs before it (in the gated statement): no move
    later = [
        x
        for x in history.commands
        if x.event_id > h.event_id and x.kind in _NAMED_IN_SOURCE and x.name and x.name != h.name
    ]
    for x in later:
        if re.search(name_pattern(x.name), code):
            return f"{x.describe()} at {place_file(frame.file)}:{line}"
    return ""


def run_order(h: Command, c: Command, history: HistoryCommands) -> list[Command]:
    """What the history ran from ``h`` on, as ``run``'s order: without the completion, the
    updates it accepted, and the commands that the class issuing ``c`` runs only in its signal
    and update handlers (their coroutines interleave with ``run``'s; the old order has none)."""
    frames = [(file, line) for file, line, _ in c.frames]

    def from_handler(x: Command) -> bool:
        pattern = source_pattern(x)
        return bool(pattern) and any(handlers_only(f, n, pattern) for f, n in frames)

    return [
        x for x in history.commands
        if x.event_id >= h.event_id and x.kind != "complete" and x.kind not in UPDATE_KINDS
        and (x is h or not from_handler(x))
    ]  # fmt: skip


def naming_frame(command: Command | None) -> int:
    """The innermost frame of ``command`` whose statement names it: a helper that issues any
    activity it is given (``return await workflow.execute_activity(activity, ...)``) points at
    its caller (``await self._step(create_schema, ...)``); 0 when none names it."""
    if command is None or not command.name:
        return 0
    return _naming_index(command.name, command.frames)


def naming_frames(name: str, frames: Sequence[RawFrame]) -> tuple[RawFrame, ...]:
    """``frames`` from the innermost whose statement names ``name`` on (all of them when none
    does): where a note about a call points, the caller of a helper that issues any activity it
    is given rather than the helper's line, which every step shares."""
    return tuple(frames[_naming_index(name, frames) :] if name else frames)


def _naming_index(name: str, frames: Sequence[RawFrame]) -> int:
    pattern = name_pattern(name)
    for index, (file, line, _) in enumerate(frames):
        if re.search(pattern, statement_source(file, line)):
            return index
    return 0


def site(command: Command) -> tuple[str, int]:
    """The file and line that issued ``command`` (it must have frames)."""
    file, line, _ = command.frames[0]
    return file, line


@dataclass(frozen=True)
class LoopChange:
    """A loop that runs its command more or fewer times than the history recorded."""

    where: str
    """``wf.py:26 (for i in range(3):)``."""
    runs: int
    """How often the history ran the loop's command there, in a row."""
    name: str
    more: bool
    literal: bool
    """The loop runs over ``range(<number>)``: its bound can be gated as a number."""


def loop_change(
    h: Command | None, c: Command | None, found: Divergence, history: HistoryCommands
) -> LoopChange | None:
    """The loop change this divergence is, if it is one.

    More runs: the code repeats, from the line that issued them, the commands the history ran
    in a row just before ``h``. Fewer runs: the code left the loop (``c`` comes from outside
    it) where the history ran ``h`` once more from that loop's line, and what the history did
    right after its run of ``h`` is what the code does now.
    """
    before = [x for _, x in found.matched if x is not None and x.frames]
    if h is None:
        return None
    at = next((i for i, x in enumerate(history.commands) if x.event_id == h.event_id), None)
    if at is None:
        return None
    repeated: Command | None = None
    more = False
    if c is not None and c.frames and c.name:
        same_site = [x for x in before if x.matches(c) and site(x) == site(c)]
        if same_site and at > 0 and history.commands[at - 1].matches(c):
            repeated, more = c, True
    if repeated is None and h.name and c is not None:
        sites = {site(x) for x in before if x.matches(h)}
        end = at
        while end < len(history.commands) and history.commands[end].matches(h):
            end += 1
        after_run = history.commands[end] if end < len(history.commands) else None
        if len(sites) == 1 and after_run is not None and after_run.matches(c):
            inside = loop_around(*next(iter(sites)))
            outside = not c.frames or loop_around(*site(c)) != inside
            if inside is not None and outside:
                repeated = next(x for x in reversed(before) if x.matches(h))
    if repeated is None:
        return None
    file, line = site(repeated)
    around = loop_around(file, line)
    if around is None:
        return None
    runs = _run_length(history.commands, at - 1 if more else at, repeated)
    where = f"{place_file(file)}:{around[0]} ({around[1]})"
    literal = _RANGE_LITERAL.search(around[1]) is not None
    return LoopChange(where, runs, repeated.name, more, literal)


def _run_length(commands: Sequence[Command], at: int, command: Command) -> int:
    """How many commands in a row around ``commands[at]`` match ``command``."""
    start = at
    while start > 0 and commands[start - 1].matches(command):
        start -= 1
    end = at
    while end < len(commands) and commands[end].matches(command):
        end += 1
    return end - start


def shares_statement(c: Command | None, depth: int, found: Divergence) -> bool:
    """Whether the statement the gate wraps (``c``'s frame ``depth``) also issued commands the
    history recorded: before (``asyncio.gather`` of several), or the recorded one right after
    (``asyncio.wait_for(execute_activity(...))``, ``async with asyncio.timeout(...)``)."""
    if c is None or not c.frames:
        return False
    gated, line, _ = c.frames[min(depth, len(c.frames) - 1)]
    first, last = statement_span(gated, line)
    others = [x for _, x in found.matched if x is not None]
    h = found.recorded
    others += [x for x in found.commanded_rest[:1] if h is not None and x.matches(h)]
    return any(
        file == gated and first <= frame_line <= last
        for x in others
        for file, frame_line, _ in x.frames
    )


def source_pattern(command: Command) -> str:
    """A regex for a statement running ``command`` ('' when it cannot be told from source)."""
    if command.kind in _NAMED_IN_SOURCE and command.name:
        return name_pattern(command.name)
    return _KINDS_IN_SOURCE.get(command.kind, "")


TIMER_STARTS_IN_SOURCE = TIMER_IN_SOURCE + r"|\bwait_condition\((?:[^()]|\([^()]*\))*\btimeout="
"""What may start a timer: a sleep, or a wait with a timeout."""


def starting_pattern(command: Command) -> str:
    """:func:`source_pattern`, a timer's matching the waits with a timeout that start one too."""
    return TIMER_STARTS_IN_SOURCE if command.kind == "timer" else source_pattern(command)


def _sets_other(c: Command, h: Command, history: HistoryCommands) -> bool:
    """Whether the history's next upsert of ``c``'s kind from ``h`` on set other values than
    ``c`` sets (both known): that upsert is not ``c`` moved up."""
    later = (x for x in history.commands if x.event_id >= h.event_id and x.kind == c.kind)
    found = next(later, None)
    return found is not None and bool(found.sets and c.sets) and found.sets != c.sets


def called_again(
    c: Command | None, h: Command | None, frames: Sequence[SourceFrame], history: HistoryCommands
) -> bool:
    """Whether the source, after the gated call, still calls ``c``'s activity or child type
    as often as the history ran it from ``h`` on: then ``c`` was added, not moved up. A timer:
    when as many sleeps follow as the history recorded timers from ``h`` on (one like it
    added before a statement that one already follows). A memo or search attribute upsert:
    when as many ``upsert_memo`` (``upsert_search_attributes``) calls follow as the history,
    if it closed (or its next one of that kind set other values than ``c``), recorded upserts
    of that kind from ``h`` on."""
    if c is None or h is None or not frames:
        return False
    if c.kind in _COUNTED_IN_SOURCE:
        # An upsert only on a history that closed: one still running may not have reached the
        # upserts the code makes later (its count tells an upsert moved up from one added no
        # better), unless its next upsert of the kind sets other values than c: not c moved.
        closed = bool(history.commands) and history.commands[-1].kind in TERMINAL_KINDS
        if c.kind != "timer" and not closed and not _sets_other(c, h, history):
            return False
        found = sum(1 for x in history.commands if x.event_id >= h.event_id and x.kind == c.kind)
        pattern = _COUNTED_IN_SOURCE[c.kind]
        return found > 0 and count_later(frames[0].file, frames[0].line, pattern) >= found
    if not c.name or c.kind not in NAMED_KINDS:
        return False
    recorded = sum(
        1 for x in history.commands if x.event_id >= h.event_id and x.kind == c.kind
        and x.name == c.name
    )  # fmt: skip
    names = source_names(c.name)
    calls = count_calls_later(frames[0].file, frames[0].line, names)
    return recorded > 0 and calls >= recorded
