"""The explanations and fixes of changes read across workflow tasks: a wait where the history
went on (:attr:`~replaycheck.diagnose.Diagnosis.waits_at`), commands the history started in one
workflow task that the code now starts one after the other, and a call added to a statement of
an earlier workflow task."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._fix_cases import else_block, gate, old_code, statement_at

if TYPE_CHECKING:
    from replaycheck.diagnose import Diagnosis


def wait_explanation(d: Diagnosis) -> str:
    """The code commanded nothing and waits past its last matching command
    (:attr:`~replaycheck.diagnose.Diagnosis.waits_at`): where, and what the history did
    there."""
    from replaycheck._waiting import wait_label

    frame = d.waits_at[0]
    label = wait_label(frame.code)
    at = f"{frame.short()}{f' ({label})' if label else ''}"
    if d.recorded_kind == "timer":
        return f"the code now waits at {at} where the history started {d.recorded}"
    if not d.still_runs_later:  # the code no longer runs it after the wait
        return (
            f"the code now waits at {at} where the history went on with {d.recorded}, which "
            f"the code no longer runs after it: {d.recorded} removed (or a wait added there)"
        )
    return (
        f"the code now waits at {at} where the history went on with {d.recorded}: a wait "
        f"added there (or {d.recorded} removed)"
    )


def wait_fix(d: Diagnosis) -> list[str]:
    """Gate the statement where the code now waits: a timer's wait keeps its timeout in the
    ``else``; another wait is new (no ``else``), or the recorded command was removed."""
    frame = d.waits_at[0]
    code = statement_at(frame) or "...  # the new wait"
    if d.recorded_kind == "timer":
        old = d.wait_old or f"...  # the old wait (it started {d.recorded})"
        return [
            f"gate the wait at {frame.short()} (executions recorded before started "
            f"{d.recorded} there):",
            *gate(d, code),
            *else_block(old),
        ]
    added, removal = (d, replace(d, patch_id=d.other_patch_id))
    if not d.still_runs_later:  # the removal first: the code no longer runs it after the wait
        added, removal = removal, d
    after = f", after {d.previous[0].short()}" if d.previous else ""
    removed = [*gate(removal, f"...  # the new code, without {d.recorded}"), "    else:",
               *old_code(d)]  # fmt: skip
    if not d.still_runs_later:
        return [
            f"gate the change where {d.recorded} was{after} (the code no longer runs it after "
            f"the wait at {frame.short()}):",
            *removed,
            "  if instead the wait is new, no else (executions recorded before did not wait "
            "there):",
            *gate(added, code),
        ]
    return [
        f"gate the wait at {frame.short()}; if it is new, no else (executions recorded before "
        "did not wait there):",
        *gate(d, code),
        f"  if {d.recorded} was removed, gate the change where it was{after}:",
        *removed,
    ]


def sequential_explanation(d: Diagnosis) -> str:
    """Commands the history started in one workflow task, the code now one after the other."""
    named = re.search(r"'.*'$", d.started_with)  # activity 'fetch'; a timer has no name
    first = named.group() if named else d.started_with
    done = "fires" if d.started_with.startswith("timer") else "completes"
    between = f", after new code at {d.sequential_between}" if d.sequential_between else ""
    if d.limited_by:
        return (
            f"{d.recorded} was scheduled in the same workflow task as {d.started_with} (events "
            f"{d.started_with_event} and {d.event_id}); the code now holds it back until "
            f"{first} {done}: it runs under `async with {d.limited_by}` at {d.limited_at}, "
            "which now lets fewer calls through at once (a semaphore's room lowered, or the "
            "lock is new)"
        )
    if d.sequential_loop:
        return (
            f"{d.recorded} (event {d.event_id}) was scheduled in the same workflow task as "
            f"{d.started_with} (event {d.started_with_event}); the code now starts each by "
            f"the call at {d.sequential_at}, awaited in each round of the loop `"
            f"{d.sequential_loop}`, so the next starts only after {first} {done} (it no longer "
            "runs them concurrently, e.g. asyncio.gather or workflow.as_completed of the calls "
            "became a loop awaiting each in turn)"
        )
    return (
        f"{d.recorded} was scheduled in the same workflow task as {d.started_with} (events "
        f"{d.started_with_event} and {d.event_id}); the code now schedules it only after "
        f"{first} {done}, at {d.sequential_at}{between} (it no longer runs them concurrently, "
        "e.g. asyncio.gather became sequential awaits)"
    )


def sequential_fix(d: Diagnosis) -> list[str]:
    """Gate the statements together, the old concurrent form in the ``else``: executions
    recorded before started the commands in one workflow task. Under a limit, gate the limit
    where it is made: gating a call under it would not schedule it any sooner."""
    if d.limited_by:
        target, _, value = d.limit_made.partition(" = ")
        where = f"where {d.limited_by} is made, at {d.limit_made_at}"
        if not value:
            target, value = d.limited_by, "...  # the new limit"
            where = f"where {d.limited_by} (`async with` at {d.limited_at}) is made"
        return [
            f"gate the limit {where}, not the calls under it (executions recorded before "
            f"started {d.started_with} and {d.recorded} in one workflow task, under the old "
            "limit):",
            f'    {target} = {value} if workflow.patched("{d.patch_id or "<change-id>"}") '
            "else ...  # the old limit, for executions recorded before",
        ]
    old = d.concurrent_form or (
        f"...  # the old code, starting {d.started_with} and {d.recorded} together "
        "(asyncio.gather), for executions recorded before"
    )
    if d.sequential_loop:
        old = d.concurrent_form or (
            "...  # the old code, starting the loop's calls together (asyncio.gather), for "
            "executions recorded before"
        )
        same = d.started_with == d.recorded
        started = d.recorded if same else f"{d.started_with} and {d.recorded}"
        return [
            f"gate the loop at {d.sequential_from}, with the concurrent form in the else "
            "(executions recorded before started its calls in one workflow task: "
            f"{started} at events {d.started_with_event} and {d.event_id}):",
            *gate(d, d.sequential_block),
            *else_block(old),
        ]
    return [
        f"gate the statements at {d.sequential_from} together, with the concurrent form in the "
        f"else (executions recorded before started {d.started_with} and {d.recorded} in one "
        "workflow task):",
        *gate(d, d.sequential_block),
        *else_block(old),
    ]


def same_task_note(d: Diagnosis) -> str:
    """Where an addition to a statement that started others in one task was scheduled."""
    return (
        f"  note: {d.commanded} is scheduled in the same workflow task as {d.same_task}, by the "
        f"same statement; core names event {d.event_id} only because the history recorded its "
        "next command there"
    )
