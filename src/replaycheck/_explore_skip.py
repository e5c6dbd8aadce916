"""Skipping the time-skipping test server's clock under a running execution: when it and its
children wait for nothing but timers and activity retry backoffs, how far to move it on."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from replaycheck._scenario import close_status, open_work, retry_due

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle

POLL_SECONDS = 0.01
"""How often the driver looks at a running execution's history."""
MAX_CHILD_DEPTH = 3
"""Child workflows below this depth are not looked into for timers to skip."""
OVERDUE_SKIP = 1.0
"""Seconds skipped when what the execution waits for is already due by our reckoning."""
SKIP_MARGIN = 0.05
"""Seconds skipped past a timer's due time, so the server fires it within the skip."""


async def time_to_skip(
    env: Any, client: Client, handle: WorkflowHandle[Any, Any], state: dict[str, list[Any]]
) -> float:
    """Seconds to the next timer or retry when nothing else is in progress, else 0."""
    wakeup = await next_wakeup(client, handle, state, depth=0)
    if wakeup is None:
        return 0.0
    now = (await env.get_current_time()).replace(tzinfo=None)
    due = (wakeup - now).total_seconds()
    return due + SKIP_MARGIN if due > 0 else OVERDUE_SKIP


async def next_wakeup(
    client: Client, handle: WorkflowHandle[Any, Any], state: dict[str, list[Any]], depth: int
) -> datetime | None:
    """The earliest timer or retry due in this execution and its children, ``None`` while
    anything runs (a workflow task, an activity, a child's work)."""
    if state["workflow task"] or depth > MAX_CHILD_DEPTH:
        return None
    wakeups = [
        e.event_time.ToDatetime()
        + e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for e in state["timer"]
    ]
    if state["activity"]:
        pending = (await handle.describe()).raw_description.pending_activities
        for info in pending:
            retry_at = retry_due(info)
            if retry_at is None:
                return None  # running (or about to): its stand-in answers in real time
            wakeups.append(retry_at)
    for event in state["child"]:
        attributes = event.start_child_workflow_execution_initiated_event_attributes
        found = await _child_wakeups(client, attributes.workflow_id, depth)
        if found is None:
            return None
        wakeups += found
    return min(wakeups, default=None)


async def _child_wakeups(client: Client, workflow_id: str, depth: int) -> list[datetime] | None:
    """When child ``workflow_id`` is next due (nothing when it waits for nothing), ``None``
    while anything in it runs, or when it closed or has not started."""
    from temporalio.service import RPCError, RPCStatusCode

    child = client.get_workflow_handle(workflow_id)
    try:
        events = (await child.fetch_history()).events
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None  # its start is initiated, not done yet
        raise  # the server failed: the run ends there (``_server_failure``)
    child_state = open_work(events)
    if close_status(events) != "RUNNING":
        return None
    if not any(child_state.values()):
        return []
    found = await next_wakeup(client, child, child_state, depth + 1)
    return None if found is None else [found]
