"""What an example sends its execution: the drawn signals and updates, when they go out, and
which of them the recorded history holds.

An update is sent with ``wait_for_stage=ACCEPTED``: the driver goes on once the execution has
accepted or rejected it, so a handler that awaits activities holds nothing up. One the execution
cannot take (it closed first, its validator rejected it) is reported, never an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from replaycheck._explore_example import Example, Message
from replaycheck._scenario import SignalDelivery, UpdateDelivery, accepted_updates

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


def plan(example: Example, kind: str, drawn: Sequence[tuple[str, Any, int | None]]) -> None:
    """Queue ``drawn`` messages on the example: at their activity call, or for when it waits."""
    for index, (name, args, point) in enumerate(drawn):
        message = Message(kind, name, tuple(args), index)
        if point is None:
            example.when_idle.append(message)
        else:
            example.at_call.setdefault(point, []).append(message)


async def send(example: Example, messages: Sequence[Message], when: str, timeout: float) -> None:
    """Send ``messages`` in turn; ``when`` is ``call N`` or :data:`IDLE`."""
    text = f"while activity {when} ran" if when.startswith("call") else when
    for message in messages:
        if message.kind == "signal":
            await _signal(example, message, text)
        else:
            await _update(example, message, text, timeout)


async def _signal(example: Example, message: Message, when: str) -> None:
    from temporalio.service import RPCError

    assert example.handle is not None
    try:
        await example.handle.signal(message.name, args=list(message.args))
    except RPCError:
        return  # the execution closed first: the signal is reported as not sent
    example.sent[message.index] = SignalDelivery(message.name, message.args, when)


async def _update(example: Example, message: Message, when: str, timeout: float) -> None:
    from temporalio.client import (
        WorkflowUpdateFailedError,
        WorkflowUpdateRPCTimeoutOrCancelledError,
        WorkflowUpdateStage,
    )
    from temporalio.service import RPCError

    assert example.handle is not None
    update_id = f"{example.workflow_id}-update-{message.index + 1}"
    try:
        await asyncio.wait_for(
            example.handle.start_update(
                message.name,
                args=list(message.args),
                id=update_id,
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            ),
            timeout,
        )
    except (
        RPCError,
        WorkflowUpdateFailedError,
        WorkflowUpdateRPCTimeoutOrCancelledError,
        asyncio.TimeoutError,
    ):
        return  # closed first (or not taken in time): reported as not sent
    # A rejected update comes back too, with its outcome: the history tells it from an accepted
    # one (``recorded_updates``).
    example.updates.append((update_id, UpdateDelivery(message.name, message.args, when)))


def recorded_updates(
    example: Example, recorded: Sequence[Any], full: Sequence[Any], drawn: int
) -> tuple[tuple[UpdateDelivery, ...], str]:
    """The sent updates the ``recorded`` history accepted, in the order they were sent, and a
    note on the drawn ones it does not hold (``""`` if none)."""
    held, ever = accepted_updates(recorded), accepted_updates(full)
    updates = tuple(d for uid, d in example.updates if uid in held)
    left_out = drawn - len(updates)
    if not left_out:
        return updates, ""
    rejected = sum(1 for uid, _ in example.updates if uid not in ever)
    why = f" ({rejected} rejected by its validator)" if rejected else ""
    return updates, f"; {left_out} drawn update(s) not in the history{why}"
