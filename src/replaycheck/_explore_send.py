"""What an example sends its execution: the drawn signals and updates, in which order, when
they go out, and which of them the recorded history holds.

An update is sent with ``wait_for_stage=ACCEPTED``: the driver goes on once the execution has
accepted or rejected it, so a handler that awaits activities holds nothing up. One the execution
cannot take (it closed first, its validator rejected it) is reported, never an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from replaycheck._explore_example import Example, Message
from replaycheck._scenario import SignalDelivery, UpdateDelivery, accepted_updates
from replaycheck.report import plural

IDLE = "when the execution waited"


def draw_messages(
    data: Any,
    kind: str,
    strategies: Mapping[str, st.SearchStrategy[tuple[Any, ...]]],
    max_size: int,
    max_steps: int,
) -> list[tuple[str, Any, int | None]]:
    """Which ``kind`` (``signal``, ``update``) messages go out: (name, args, during activity
    call N or ``None``: once the execution waits)."""
    if not strategies or not max_size:
        return []
    point = st.one_of(st.none(), st.integers(1, max_steps))
    one = st.one_of(*(st.tuples(st.just(n), s, point) for n, s in sorted(strategies.items())))
    return data.draw(  # type: ignore[no-any-return]
        st.lists(one, max_size=max_size),
        label=f"{kind}s (name, args, during activity call N or None: when it waits)",
    )


def interleave(
    data: Any,
    signals: Sequence[tuple[str, Any, int | None]],
    updates: Sequence[tuple[str, Any, int | None]],
) -> list[tuple[Message, int | None]]:
    """The drawn signals and updates in the order they go out, each with its point (during
    activity call N, or ``None``: once the execution waits).

    Where both kinds were drawn, their interleaving is drawn too: one permutation of their
    kinds, which shrinks towards every signal first, so a minimal scenario keeps an update
    ahead of a signal only when the failure needs it there. With one kind alone nothing more
    is drawn."""
    kinds = ["signal"] * len(signals) + ["update"] * len(updates)
    if signals and updates:
        kinds = data.draw(
            st.permutations(kinds),
            label="order of the signals and updates (those sent at one point go in this order)",
        )
    queues = {"signal": iter(enumerate(signals)), "update": iter(enumerate(updates))}
    ordered = []
    for kind in kinds:
        index, (name, args, point) = next(queues[kind])
        ordered.append((Message(kind, name, tuple(args), index), point))
    return ordered


def plan(example: Example, messages: Sequence[tuple[Message, int | None]]) -> None:
    """Queue ``messages`` on the example, in order: at their activity call, or for when it
    waits."""
    for message, point in messages:
        if point is None:
            example.when_idle.append(message)
        else:
            example.at_call.setdefault(point, []).append(message)


async def send(example: Example, messages: Sequence[Message], when: str, timeout: float) -> None:
    """Send ``messages`` in turn; ``when`` is ``call N`` or :data:`IDLE`."""
    text = f"while activity {when} ran" if when.startswith("call") else when
    for message in messages:
        example.sends += 1
        if message.kind == "signal":
            await _signal(example, message, text)
        else:
            await _update(example, message, text, timeout)


async def _signal(example: Example, message: Message, when: str) -> None:
    from temporalio.service import RPCError

    assert example.handle is not None
    try:
        await example.handle.signal(message.name, args=list(message.args))
    except RPCError as exc:
        _server_failed(example, exc)
        return  # the execution closed first: the signal is reported as not sent
    example.sent[message.index] = SignalDelivery(
        message.name, message.args, when, sent=example.sends
    )


async def _update(example: Example, message: Message, when: str, timeout: float) -> None:
    from temporalio.client import (
        WorkflowUpdateFailedError,
        WorkflowUpdateRPCTimeoutOrCancelledError,
        WorkflowUpdateStage,
    )
    from temporalio.service import RPCError

    assert example.handle is not None
    update_id = f"{example.workflow_id}-update-{message.index + 1}"
    delivery = UpdateDelivery(message.name, message.args, when, sent=example.sends)
    start = example.handle.start_update(
        message.name,
        args=list(message.args),
        id=update_id,
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    try:
        if not await _unless_worker_stops(example, start, timeout):
            return  # the driver ends the run, saying the worker stopped
    except (RPCError, WorkflowUpdateFailedError) as exc:
        _server_failed(example, exc)
        return  # the execution closed first: reported as not sent
    except (WorkflowUpdateRPCTimeoutOrCancelledError, asyncio.TimeoutError):
        # Not taken in time: counted as not sent, and said so (``recorded_updates``); the
        # server may still accept it later, which the history then shows.
        example.late.append((update_id, delivery))
        return
    # A rejected update comes back too, with its outcome: the history tells it from an accepted
    # one (``recorded_updates``).
    example.updates.append((update_id, delivery))


async def _unless_worker_stops(example: Example, call: Awaitable[Any], timeout: float) -> bool:
    """Await ``call`` for up to ``timeout`` seconds; ``False`` at once if the baseline worker
    stops first: nothing would take the update then, and waiting out the timeout showed
    nothing."""
    task = asyncio.ensure_future(call)
    worker = example.worker
    try:
        waits = {task} if worker is None else {task, worker}
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():  # not taken in time, the worker gone, or this cancelled
            task.cancel()
            await asyncio.wait({task})
    if not task.cancelled():
        task.result()  # what it raised is the caller's to judge
        return True
    if worker is not None and worker.done():
        return False
    raise asyncio.TimeoutError


def _server_failed(example: Example, exc: BaseException) -> None:
    """A server that did not answer ends the example (and the run), where the stand-in or the
    driver looks next: raised in an activity, it would be the activity's failure."""
    from replaycheck._server_failure import is_server_failure, server_failed

    if example.abort is None and is_server_failure(exc, any_status=False):
        example.abort = server_failed(exc, example.workflow_type, example.workflow_id)


def recorded_updates(
    example: Example, recorded: Sequence[Any], full: Sequence[Any], drawn: int, timeout: float
) -> tuple[tuple[UpdateDelivery, ...], str, int]:
    """The sent updates the ``recorded`` history accepted, in the order they were sent; a note
    on the drawn ones it does not hold (``""`` if none); and how many of those were not
    accepted within ``timeout`` seconds (nor ever after, by the end of the execution)."""
    held, ever = accepted_updates(recorded), accepted_updates(full)
    late_ids = {uid for uid, _ in example.late}
    sent = sorted([*example.updates, *example.late], key=lambda item: item[1].sent)
    updates = tuple(replace(d, late=uid in late_ids) for uid, d in sent if uid in held)
    left_out = drawn - len(updates)
    timed_out = sum(1 for uid in late_ids if uid not in ever)
    if not left_out:
        return updates, "", timed_out
    rejected = sum(1 for uid, _ in example.updates if uid not in ever)
    reasons = [f"{rejected} rejected by its validator"] if rejected else []
    if timed_out:
        reasons.append(
            f"{timed_out} not accepted within the {timeout:g} s example timeout: not sent"
        )
    why = f" ({', '.join(reasons)})" if reasons else ""
    return updates, f"; {plural(left_out, 'drawn update')} not in the history{why}", timed_out
