"""Baseline versions of the change cases: the code that recorded ``tests/fixtures/changes``."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    NexusOperationError,
)

with workflow.unsafe.imports_passed_through():
    from tests.workflows.changes_common import (
        PAUSE,
        STAGE,
        TIMEOUT,
        GiftWrapOrder,
        Lingering,
        PackOrder,
        Sink,
        audit,
        bill,
        charge,
        decline,
        fetch,
        lookup,
        slow,
    )
    from tests.workflows.changes_nexus import ENDPOINT, Stock
from tests.workflows.changes_helpers import audit_order

__all__ = ["GiftWrapOrder", "PackOrder", "Sink"]


@workflow.defn(name="Reorder")
class Reorder:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenameActivity")
class RenameActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenameConcurrentActivity")
class RenameConcurrentActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        results = await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
        )
        return " ".join(results)


@workflow.defn(name="AddTimer")
class AddTimer:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveTimer")
class RemoveTimer:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeChildType")
class ChangeChildType:
    @workflow.run
    async def run(self, order: str) -> str:
        child_id = f"{workflow.info().workflow_id}-child"
        return await workflow.execute_child_workflow(PackOrder.run, order, id=child_id)


@workflow.defn(name="RenameLocalActivity")
class RenameLocalActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_local_activity(lookup, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveLocalActivity")
class RemoveLocalActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_local_activity(lookup, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemovePatchCall")
class RemovePatchCall:
    @workflow.run
    async def run(self, order: str) -> str:
        if workflow.patched("charge-first"):
            await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddActivityAtEnd")
class AddActivityAtEnd:
    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveActivityAtEnd")
class RemoveActivityAtEnd:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeSignalExternal")
class ChangeSignalExternal:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.get_external_workflow_handle(f"{order}-sink").signal("packed")
        return order


@workflow.defn(name="RenameSignalExternal")
class RenameSignalExternal:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.get_external_workflow_handle(f"{order}-sink").signal("packed")
        return order


@workflow.defn(name="ChangeCancelExternal")
class ChangeCancelExternal:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.get_external_workflow_handle(f"{order}-sink").cancel()
        return order


@workflow.defn(name="AddContinueAsNew")
class AddContinueAsNew:
    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveContinueAsNew")
class RemoveContinueAsNew:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        if not order.endswith("-next"):
            workflow.continue_as_new(f"{order}-next")
        return order


@workflow.defn(name="LoopMore")
class LoopMore:
    @workflow.run
    async def run(self, order: str) -> str:
        for _ in range(2):
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="LoopFewer")
class LoopFewer:
    @workflow.run
    async def run(self, order: str) -> str:
        for _ in range(3):
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddInLoop")
class AddInLoop:
    @workflow.run
    async def run(self, order: str) -> str:
        for _ in range(2):
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddToGather")
class AddToGather:
    @workflow.run
    async def run(self, order: str) -> str:
        await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
        )
        return await workflow.execute_local_activity(lookup, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddSeveral")
class AddSeveral:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="DeprecateEarly")
class DeprecateEarly:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="InvertBranch")
class InvertBranch:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        if order.endswith("!"):
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        else:
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeChildId")
class ChangeChildId:
    @workflow.run
    async def run(self, order: str) -> str:
        wid = workflow.info().workflow_id
        return await workflow.execute_child_workflow(PackOrder.run, order, id=f"{wid}-pack")


@workflow.defn(name="RemoveFromUpdate")
class RemoveFromUpdate:
    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:
        await workflow.execute_activity(fetch, note, start_to_close_timeout=TIMEOUT)
        self.note = note
        return note


@workflow.defn(name="DeprecateOther")
class DeprecateOther:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReplaceAfterLoop")
class ReplaceAfterLoop:
    @workflow.run
    async def run(self, order: str) -> str:
        for _ in range(2):
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(fetch, order + "-last", start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="FanOutMore")
class FanOutMore:
    @workflow.run
    async def run(self, order: str) -> str:
        await asyncio.gather(
            *[
                workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
                for _ in range(2)
            ]
        )
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddUpsert")
class AddUpsert:
    @workflow.run
    async def run(self, order: str) -> str:
        workflow.upsert_search_attributes([STAGE.value_set("started")])
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddActivityCancel")
class AddActivityCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        handle = workflow.start_activity(
            slow, order, start_to_close_timeout=TIMEOUT, heartbeat_timeout=timedelta(seconds=2)
        )
        await workflow.sleep(PAUSE)
        with contextlib.suppress(ActivityError):
            await handle
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddDraw")
class AddDraw:
    @workflow.run
    async def run(self, order: str) -> str:
        child = f"{workflow.info().workflow_id}-{workflow.uuid4()}"
        return await workflow.execute_child_workflow(PackOrder.run, order, id=child)


@workflow.defn(name="AddInSignalHandler")
class AddInSignalHandler:
    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    async def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveFromSignalHandler")
class RemoveFromSignalHandler:
    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    async def add(self, item: str) -> None:
        await workflow.execute_activity(audit, item, start_to_close_timeout=TIMEOUT)
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveTimerCancel")
class RemoveTimerCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        fetching = asyncio.ensure_future(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        )
        deadline = asyncio.ensure_future(workflow.sleep(timedelta(seconds=30)))
        _, pending = await workflow.wait([fetching, deadline], return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="LocalToActivity")
class LocalToActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_local_activity(lookup, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddBeforeContinueAsNew")
class AddBeforeContinueAsNew:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        if not order.endswith("-next"):
            workflow.continue_as_new(f"{order}-next")
        return order


@workflow.defn(name="AddMemo")
class AddMemo:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddTimerCancel")
class AddTimerCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        fetching = asyncio.ensure_future(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        )
        deadline = asyncio.ensure_future(workflow.sleep(timedelta(seconds=30)))
        await workflow.wait([fetching, deadline], return_when=asyncio.FIRST_COMPLETED)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddReminderCancel")
class AddReminderCancel:
    def __init__(self) -> None:
        self.reminder: asyncio.Task[None] | None = None

    @workflow.run
    async def run(self, order: str) -> str:
        self.reminder = asyncio.create_task(self.remind(order))
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def remind(self, order: str) -> None:
        await asyncio.sleep(30)
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddSleepBeforeWait")
class AddSleepBeforeWait:
    def __init__(self) -> None:
        self.approved = False

    @workflow.signal
    def add(self, item: str) -> None:
        self.approved = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(lambda: self.approved, timeout=timedelta(hours=1))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="DeprecateReorderEarly")
class DeprecateReorderEarly:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddReusedActivity")
class AddReusedActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        await workflow.execute_activity(audit, f"{order}: fetched", start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ShorterNap")
class ShorterNap:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(timedelta(hours=1))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="MoveChargeFirst")
class MoveChargeFirst:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(audit, f"{order}: a", start_to_close_timeout=TIMEOUT)
        receipt = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(audit, f"{order}: b", start_to_close_timeout=TIMEOUT)
        return receipt


@workflow.defn(name="MoveAuditFirst")
class MoveAuditFirst:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(audit, f"{order}: a", start_to_close_timeout=TIMEOUT)
        receipt = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(audit, f"{order}: b", start_to_close_timeout=TIMEOUT)
        return receipt


@workflow.defn(name="DurationThenWait")
class DurationThenWait:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.sleep(PAUSE)
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="WrapInWaitFor")
class WrapInWaitFor:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SwapChildren")
class SwapChildren:
    @workflow.run
    async def run(self, order: str) -> str:
        wid = workflow.info().workflow_id
        packed, wrapped = await asyncio.gather(
            workflow.execute_child_workflow(PackOrder.run, order, id=f"{wid}-pack"),
            workflow.execute_child_workflow(GiftWrapOrder.run, order, id=f"{wid}-wrap"),
        )
        return f"{packed}, {wrapped}"


@workflow.defn(name="RenameSignalHandler")
class RenameSignalHandler:
    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenameSignalWithStart")
class RenameSignalWithStart:
    """Started with signal-with-start: 'add' arrives with the start, before any command."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeUpsertValues")
class ChangeUpsertValues:
    @workflow.run
    async def run(self, order: str) -> str:
        workflow.upsert_search_attributes([STAGE.value_set("started")])
        workflow.upsert_memo({"order": order})
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddMemoUpsert")
class AddMemoUpsert:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        workflow.upsert_memo({"stage": "charged"})
        return charged


@workflow.defn(name="SearchToMemoUpsert")
class SearchToMemoUpsert:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        workflow.upsert_search_attributes([STAGE.value_set("fetched")])
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        workflow.upsert_memo({"stage": "charged"})
        return charged


@workflow.defn(name="AddWaitWithStraySignal")
class AddWaitWithStraySignal:
    """Started with the signal 'add' (signal-with-start), which no version handles."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddMemoUpsertRunning")
class AddMemoUpsertRunning:
    """Recorded while its timer runs, after the memo upsert that follows 'charge'."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        workflow.upsert_memo({"stage": "charged"})
        await workflow.sleep(PAUSE)
        return charged


@workflow.defn(name="AddCleanupOnCancel")
class AddCleanupOnCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        try:
            await workflow.sleep(timedelta(hours=1))
        except asyncio.CancelledError:
            raise
        return order


@workflow.defn(name="AddInBranch")
class AddInBranch:
    @workflow.run
    async def run(self, order: str) -> str:
        if order.startswith("change-"):
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        else:
            return await workflow.execute_activity(charge, "", start_to_close_timeout=TIMEOUT)


@workflow.defn(name="WidenMatchCase")
class WidenMatchCase:
    @workflow.run
    async def run(self, order: str) -> str:
        match order.split("-")[1]:
            case "vip":
                return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
            case _:
                return await workflow.execute_activity(
                    charge, order, start_to_close_timeout=TIMEOUT
                )


@workflow.defn(name="AddBeforeLoop")
class AddBeforeLoop:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        for step in "ab":
            await workflow.execute_activity(audit, step, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="RenameWithStraySignal")
class RenameWithStraySignal:
    """No handler for the signal 'add' it receives (buffered, never handled)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.sleep(PAUSE)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChooseByExpression")
class ChooseByExpression:
    @workflow.run
    async def run(self, order: str) -> str:
        step = bill if order.endswith("!") else charge
        return await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SwapSameChildren")
class SwapSameChildren:
    @workflow.run
    async def run(self, order: str) -> str:
        wid = workflow.info().workflow_id
        first, second = await asyncio.gather(
            workflow.execute_child_workflow(PackOrder.run, "a", id=f"{wid}-a"),
            workflow.execute_child_workflow(PackOrder.run, "b", id=f"{wid}-b"),
        )
        return f"{first}, {second}"


@workflow.defn(name="AddInHelper")
class AddInHelper:
    @workflow.run
    async def run(self, order: str) -> str:
        await self._step(fetch, order)
        return await self._step(charge, order)

    async def _step(self, step: object, order: str) -> str:
        return str(await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT))


@workflow.defn(name="RemoveCleanupOnCancel")
class RemoveCleanupOnCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        try:
            await workflow.sleep(timedelta(hours=1))
        except asyncio.CancelledError:
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
            raise
        return order


@workflow.defn(name="PropagateCancel")
class PropagateCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        with contextlib.suppress(asyncio.CancelledError):
            await workflow.sleep(timedelta(hours=1))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="FlagAtCaller")
class FlagAtCaller:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await self._settle(order, now=False)

    async def _settle(self, order: str, now: bool) -> str:
        if now:
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        else:
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="StopCatching")
class StopCatching:
    @workflow.run
    async def run(self, order: str) -> str:
        try:
            await workflow.execute_activity(decline, order, start_to_close_timeout=TIMEOUT)
        except ActivityError:
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="StopCatchingLocal")
class StopCatchingLocal:
    @workflow.run
    async def run(self, order: str) -> str:
        try:
            await workflow.execute_local_activity(decline, order, start_to_close_timeout=TIMEOUT)
        except ApplicationError:  # a local activity's failure comes as raised
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="SkipApprovalWait")
class SkipApprovalWait:
    """Recorded while it waits for the signal ``approve`` (a running execution)."""

    def __init__(self) -> None:
        self.approved = False

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.approved)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SwapAdjacent")
class SwapAdjacent:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="RenameUpdateHandler")
class RenameUpdateHandler:
    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    def set_note(self, note: str) -> str:
        self.note = note
        return note


@workflow.defn(name="ContinueSooner")
class ContinueSooner:
    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        if len(items) > 2:
            workflow.continue_as_new("-".join(items[1:]))
        return order


@workflow.defn(name="ContinueLater")
class ContinueLater:
    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        if len(items) > 1:
            workflow.continue_as_new("-".join(items[1:]))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ContinueSoonerInLoop")
class ContinueSoonerInLoop:
    @workflow.run
    async def run(self, order: str, done: int = 0) -> str:
        iteration = 0
        while done < 5:
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
            done += 1
            iteration += 1
            if iteration >= 3:
                workflow.continue_as_new(args=[order, done])
        return order


@workflow.defn(name="ContinueLaterInLoop")
class ContinueLaterInLoop:
    @workflow.run
    async def run(self, order: str, done: int = 0) -> str:
        iteration = 0
        while done < 5:
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
            done += 1
            iteration += 1
            if iteration >= 3:
                workflow.continue_as_new(args=[order, done])
        return order


@workflow.defn(name="FailSooner")
class FailSooner:
    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        if order.count("-") >= 2:
            raise ApplicationError(f"order {order} rejected")
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="FailLater")
class FailLater:
    """Fails (its history ends in WorkflowExecutionFailed)."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        if order.count("-") >= 1:
            raise ApplicationError(f"order {order} rejected")
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveRaise")
class RemoveRaise:
    """Fails (its history ends in WorkflowExecutionFailed) with a failure of its own type."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        if order.startswith("change-"):
            raise ApplicationError(f"order {order} rejected", type="Rejected")
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReorderAroundUpdate")
class ReorderAroundUpdate:
    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.note))
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:
        await workflow.execute_activity(audit, note, start_to_close_timeout=TIMEOUT)
        self.note = note
        return note


@workflow.defn(name="AddTimerLikeLater")
class AddTimerLikeLater:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        return order


@workflow.defn(name="SwapInGather")
class SwapInGather:
    @workflow.run
    async def run(self, order: str) -> str:
        fetched, charged = await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
        )
        billed = await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return f"{fetched}, {charged}, {billed}"


@workflow.defn(name="MoveBeforeGather")
class MoveBeforeGather:
    @workflow.run
    async def run(self, order: str) -> str:
        fetched, charged = await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
        )
        found = await workflow.execute_local_activity(lookup, order, start_to_close_timeout=TIMEOUT)
        billed = await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return f"{fetched}, {charged}, {found}, {billed}"


@workflow.defn(name="AbandonCancel")
class AbandonCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        handle = workflow.start_activity(
            slow,
            order,
            start_to_close_timeout=TIMEOUT,
            heartbeat_timeout=timedelta(seconds=2),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.sleep(PAUSE)
        handle.cancel()
        with contextlib.suppress(ActivityError):
            await handle
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveActivityCancel")
class RemoveActivityCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        handle = workflow.start_activity(
            slow,
            order,
            start_to_close_timeout=TIMEOUT,
            heartbeat_timeout=timedelta(seconds=2),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.sleep(PAUSE)
        if not handle.done():
            handle.cancel()
            with contextlib.suppress(ActivityError):
                await handle
        if order.endswith("-rush"):
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveWaitTimeout")
class RemoveWaitTimeout:
    def __init__(self) -> None:
        self.approved = False

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        approved = False
        try:
            await workflow.wait_condition(lambda: self.approved, timeout=PAUSE)
            approved = True
        except asyncio.TimeoutError:
            pass
        return await workflow.execute_activity(
            charge if approved else bill, order, start_to_close_timeout=TIMEOUT
        )


@workflow.defn(name="DrawThenReorder")
class DrawThenReorder:
    @workflow.run
    async def run(self, order: str) -> str:
        token = str(workflow.uuid4())
        await workflow.execute_activity(fetch, token, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GatherToSequential")
class GatherToSequential:
    @workflow.run
    async def run(self, order: str) -> str:
        fetched, charged = await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
        )
        done = f"{fetched}, {charged}"
        return await workflow.execute_activity(bill, done, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GatherToSequentialAfterSleep")
class GatherToSequentialAfterSleep:
    @workflow.run
    async def run(self, order: str) -> str:
        fetched, charged = await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
        )
        done = f"{fetched}, {charged}"
        return await workflow.execute_activity(bill, done, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GatherToSequentialAfterAudit")
class GatherToSequentialAfterAudit:
    @workflow.run
    async def run(self, order: str) -> str:
        fetched, charged = await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
        )
        done = f"{fetched}, {charged}"
        return await workflow.execute_activity(bill, done, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GatherToLoop")
class GatherToLoop:
    @workflow.run
    async def run(self, order: str) -> str:
        items = [f"{order}-{i}" for i in range(3)]
        await asyncio.gather(*(self._charge(item) for item in items))
        return order

    async def _charge(self, item: str) -> str:
        return await workflow.execute_activity(charge, item, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AsCompletedToLoop")
class AsCompletedToLoop:
    @workflow.run
    async def run(self, order: str) -> str:
        items = [f"{order}-{i}" for i in range(3)]
        for charged in workflow.as_completed([self._charge(item) for item in items]):
            await charged
        return order

    async def _charge(self, item: str) -> str:
        return await workflow.execute_activity(charge, item, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SequentialToGather")
class SequentialToGather:
    @workflow.run
    async def run(self, order: str) -> str:
        fetched = await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        done = f"{fetched}, {charged}"
        return await workflow.execute_activity(bill, done, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AbandonChildCancel")
class AbandonChildCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Sink.run,
            id=f"{order}-child",
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.sleep(PAUSE)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError):
            await child
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AbandonTriedChildCancel")
class AbandonTriedChildCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Sink.run,
            id=f"{order}-child",
            cancellation_type=workflow.ChildWorkflowCancellationType.TRY_CANCEL,
        )
        await workflow.sleep(PAUSE)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError):
            await child
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveChildCancel")
class RemoveChildCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Sink.run,
            id=f"{order}-child",
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.sleep(PAUSE)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError):
            await child
        if order.endswith("-rush"):
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AbandonChildTaskCancel")
class AbandonChildTaskCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        task = asyncio.ensure_future(
            workflow.execute_child_workflow(
                Sink.run,
                id=f"{order}-child",
                cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
        )
        await workflow.sleep(PAUSE)
        task.cancel()
        with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
            await task
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AbandonRequestedChildCancel")
class AbandonRequestedChildCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Lingering.run,
            id=f"{order}-child",
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_REQUESTED,
        )
        await workflow.sleep(PAUSE)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError):
            await child
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddChildCancel")
class AddChildCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.start_child_workflow(
            Sink.run,
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
            id=f"{order}-child",
        )
        await workflow.sleep(PAUSE)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="MoveChildCancel")
class MoveChildCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Sink.run,
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
            id=f"{order}-child",
        )
        await workflow.sleep(PAUSE)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError):
            await child
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SleepToWait")
class SleepToWait:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeSignalType")
class ChangeSignalType:
    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    async def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeUpdateType")
class ChangeUpdateType:
    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:
        self.note = note
        return note


@workflow.defn(name="SwapNexusOperations")
class SwapNexusOperations:
    @workflow.run
    async def run(self, order: str) -> str:
        nexus = workflow.create_nexus_client(service=Stock, endpoint=ENDPOINT)
        await nexus.execute_operation(Stock.quote, order)
        await nexus.execute_operation(Stock.reserve, order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenameNexusService")
class RenameNexusService:
    @workflow.run
    async def run(self, order: str) -> str:
        nexus = workflow.create_nexus_client(service=Stock, endpoint=ENDPOINT)
        await nexus.execute_operation(Stock.quote, order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveBeforeWait")
class RemoveBeforeWait:
    def __init__(self) -> None:
        self.approved = False

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.approved)
        return await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddNexusCancel")
class AddNexusCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        nexus = workflow.create_nexus_client(service=Stock, endpoint=ENDPOINT)
        handle = await nexus.start_operation(Stock.hold, order)
        await workflow.sleep(PAUSE)
        with contextlib.suppress(NexusOperationError, asyncio.CancelledError):
            await handle
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipTimer")
class SkipTimer:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipAudit")
class SkipAudit:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInLoop")
class SkipInLoop:
    @workflow.run
    async def run(self, order: str) -> str:
        for _ in range(2):
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInHelper")
class SkipInHelper:
    @workflow.run
    async def run(self, order: str) -> str:
        return await self._prepare(order)

    async def _prepare(self, order: str) -> str:
        await self._step(fetch, order)
        await self._step(audit, order)
        return await self._step(charge, order)

    async def _step(self, step: object, order: str) -> str:
        return str(await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT))


@workflow.defn(name="SkipInMatch")
class SkipInMatch:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        match order.split("-")[1]:
            case "vip" | "SkipInMatch":
                await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInConditional")
class SkipInConditional:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        note = await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="LowerLimit")
class LowerLimit:
    """Runs 'fetch' and 'charge' at once, each under a semaphore with room for both."""

    def __init__(self) -> None:
        self.limit = asyncio.Semaphore(2)

    @workflow.run
    async def run(self, order: str) -> str:
        steps = [self._step(fetch, order), self._step(charge, order)]
        done = [await step for step in workflow.as_completed(steps)]
        return " ".join(sorted(done))

    async def _step(self, step: object, order: str) -> str:
        async with self.limit:
            return str(await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT))


@workflow.defn(name="RenameAfterSignalWait")
class RenameAfterSignalWait:
    """Waits for the signal 'add' after 'fetch', then charges."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReorderAfterSignalWait")
class ReorderAfterSignalWait:
    """Waits for the signal 'add' after 'fetch', then audits and charges."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RushBySignal")
class RushBySignal:
    """Bills a rushed order, charges the others; the signal 'add' says whether it is rushed."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.rush = False

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)
        self.rush = item.endswith("!")

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        if self.rush:
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        else:
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SwapDependent")
class SwapDependent:
    """Charges what 'fetch' returned."""

    @workflow.run
    async def run(self, order: str) -> str:
        got = await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        paid = await workflow.execute_activity(charge, got, start_to_close_timeout=TIMEOUT)
        return paid


@workflow.defn(name="AddToUpdateLikeLater")
class AddToUpdateLikeLater:
    """Charges once the update 'set_note' came; its handler only keeps the note."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:
        self.note = note
        return note


@workflow.defn(name="MoveIntoUpdateHandler")
class MoveIntoUpdateHandler:
    """Charges once the update 'set_note' came; its handler only keeps the note."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:
        self.note = note
        return note


@workflow.defn(name="SkipInPassedHelper")
class SkipInPassedHelper:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._audit(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _audit(self, order: str) -> None:
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeActivityInput")
class ChangeActivityInput:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeChildInput")
class ChangeChildInput:
    @workflow.run
    async def run(self, order: str) -> str:
        child_id = f"{workflow.info().workflow_id}-child"
        return await workflow.execute_child_workflow(PackOrder.run, order, id=child_id)


@workflow.defn(name="SkipByReturnInHelper")
class SkipByReturnInHelper:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._audit(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _audit(self, order: str) -> None:
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipTwoCallsDeep")
class SkipTwoCallsDeep:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._checks(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _checks(self, order: str) -> None:
        await self._audit(order)

    async def _audit(self, order: str) -> None:
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInImportedHelper")
class SkipInImportedHelper:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await audit_order(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipByReturnInLoop")
class SkipByReturnInLoop:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        for part in order.split("-"):
            await workflow.execute_activity(audit, part, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipByReturnInLoopInHelper")
class SkipByReturnInLoopInHelper:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._audit_parts(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _audit_parts(self, order: str) -> None:
        for part in order.split("-"):
            await workflow.execute_activity(audit, part, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipByContinue")
class SkipByContinue:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        for part in order.split("-"):
            await workflow.execute_activity(audit, part, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipHelperCall")
class SkipHelperCall:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._audit(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _audit(self, order: str) -> None:
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReturnBeforeContinueAsNew")
class ReturnBeforeContinueAsNew:
    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        if len(items) > 1:
            workflow.continue_as_new("-".join(items[1:]))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReturnBeforeRaise")
class ReturnBeforeRaise:
    """Fails (its history ends in WorkflowExecutionFailed)."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        if order.count("-") >= 1:
            raise ApplicationError(f"order {order} rejected")
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReturnBeforeChargeAndContinue")
class ReturnBeforeChargeAndContinue:
    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        if len(items) >= 2:
            workflow.continue_as_new("-".join(items[1:]))
        return order


@workflow.defn(name="ReturnBeforeChargeAndRaise")
class ReturnBeforeChargeAndRaise:
    """Fails (its history ends in WorkflowExecutionFailed)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        if "-" in order:
            raise ApplicationError(f"order {order} refused")
        return order


@workflow.defn(name="RemovePatchBlock")
class RemovePatchBlock:
    """A gate of several statements with no else: the old code ran nothing there."""

    @workflow.run
    async def run(self, order: str) -> str:
        if workflow.patched("audit-twice"):
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
            await workflow.sleep(PAUSE)
            await workflow.execute_activity(audit, f"{order}-again", start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveOnlyActivity")
class RemoveOnlyActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="SkipByReturnInHelperAtEnd")
class SkipByReturnInHelperAtEnd:
    @workflow.run
    async def run(self, order: str) -> str:
        await self._audit(order)
        return order

    async def _audit(self, order: str) -> None:
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddToUpdateBeforeLikeLater")
class AddToUpdateBeforeLikeLater:
    """Charges once the update 'set_note' came; its handler looks the note up first."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:
        await workflow.execute_activity(lookup, note, start_to_close_timeout=TIMEOUT)
        self.note = note
        return note


@workflow.defn(name="BranchOnNow")
class BranchOnNow:
    """Audits only an execution started before 2000 (none did): it fetches and charges."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        if workflow.now().year < 2000:
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddWaitTimeout")
class AddWaitTimeout:
    """Waits for the signal 'add' after 'fetch', with no timeout, then charges."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeActivityOptions")
class ChangeActivityOptions:
    """Fetches and charges with the default retry policy."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeChildOptions")
class ChangeChildOptions:
    """Runs the child 'PackOrder' with the default policies."""

    @workflow.run
    async def run(self, order: str) -> str:
        child_id = f"{workflow.info().workflow_id}-child"
        return await workflow.execute_child_workflow(PackOrder.run, order, id=child_id)


@workflow.defn(name="ChangeContinueAsNewInput")
class ChangeContinueAsNewInput:
    """Fetches, then continues as new once with '<order>+next'."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        if "+" not in order:
            workflow.continue_as_new(f"{order}+next")
        return order


@workflow.defn(name="AddUpdateValidator")
class AddUpdateValidator:
    """Waits for the update 'set_note', which takes any note, then charges."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:
        self.note = note
        return note

    @workflow.query
    def status(self) -> str:
        return "noted" if self.note else "waiting"


@workflow.defn(name="GateUnchanged")
class GateUnchanged:
    """Fetches and charges."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenamePatchId")
class RenamePatchId:
    """Charges first behind the patch 'charge-first', then fetches."""

    @workflow.run
    async def run(self, order: str) -> str:
        if workflow.patched("charge-first"):
            await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GateAfterChange")
class GateAfterChange:
    """Fetches and charges."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveUpsert")
class RemoveUpsert:
    """Fetches, sets the search attribute 'ChangeStage', then charges."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        workflow.upsert_search_attributes([STAGE.value_set("fetched")])
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RaceWithTimer")
class RaceWithTimer:
    """Fetches and charges, with no deadline."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="TakeMatchCase")
class TakeMatchCase:
    """Audits only VIP orders (this execution's is not, and no other case matches it)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        match order.split("-")[1]:
            case "vip":
                await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="TakeConditionalArm")
class TakeConditionalArm:
    """Audits only VIP orders, in an expression (this execution's is not): it charges."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        note = order if not order.startswith("vip-") else (
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        )
        return await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ContinueInMatchCase")
class ContinueInMatchCase:
    """Continues VIP orders as new, in a match (this execution's is not): it completes."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        match order.split("-")[1]:
            case "vip":
                workflow.continue_as_new(f"{order}-next")
        return order



@workflow.defn(name="ChooseArmOnOneLine")
class ChooseArmOnOneLine:
    """Audits VIP orders, else looks them up, both arms on one line (this execution's is not
    VIP: it looks it up), then charges."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        vip = order.startswith("vip-")
        note = await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT) if vip else await workflow.execute_activity(lookup, order, start_to_close_timeout=TIMEOUT)  # noqa: E501
        return await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="StopContinuingInMatchCase")
class StopContinuingInMatchCase:
    """Continues VIP orders (and this execution's) as new, in a match: it continues as new."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        match order.split("-")[-1]:
            case "vip" | "StopContinuingInMatchCase":
                workflow.continue_as_new(f"{order}-next")
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="StopContinuingInArm")
class StopContinuingInArm:
    """Continues orders like this execution's as new, in a conditional expression's arm: it
    continues as new."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return (
            workflow.continue_as_new(f"{order}-next")
            if order.endswith("Arm")
            else await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        )
