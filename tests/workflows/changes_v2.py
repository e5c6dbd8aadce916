"""Changed versions of the change cases, none gated: each breaks its ``changes_v1`` history.

Every workflow type changes in one way. The call that issues the diverging command has a
``# change: <WorkflowType>`` comment on the line above it, which the tests use to find the line
they expect in the diagnosis. Where the code now completes instead (no line issues the diverging
command), ``# before: <WorkflowType>`` marks the code's last command before the divergence, or,
where it ran none, ``# start: <WorkflowType>`` the first statement of its run method.
The types of ``tests.changes.REPLAYS`` are the exceptions that replay: core does not see them.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, WorkflowIDReusePolicy
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
        find,
        lookup,
        slow,
    )
    from tests.workflows.changes_nexus import ENDPOINT, Stock, StockV2
from tests.workflows.changes_helpers import audit_vip

ATTEMPTS = SearchAttributeKey.for_int("ChangeAttempts")
"""A search attribute only ``ChangeUpsertValues`` sets (replay needs no server to know it)."""


@workflow.defn(name="Reorder")
class Reorder:
    @workflow.run
    async def run(self, order: str) -> str:
        # change: Reorder (the next line)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenameActivity")
class RenameActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: RenameActivity (the next line)
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenameConcurrentActivity")
class RenameConcurrentActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        results = await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            # change: RenameConcurrentActivity (the next line)
            workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT),
        )
        return " ".join(results)


@workflow.defn(name="AddTimer")
class AddTimer:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddTimer (the next line)
        await workflow.sleep(PAUSE)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveTimer")
class RemoveTimer:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: RemoveTimer (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeChildType")
class ChangeChildType:
    @workflow.run
    async def run(self, order: str) -> str:
        child_id = f"{workflow.info().workflow_id}-child"
        # change: ChangeChildType (the next line)
        return await workflow.execute_child_workflow(GiftWrapOrder.run, order, id=child_id)


@workflow.defn(name="RenameLocalActivity")
class RenameLocalActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        # change: RenameLocalActivity (the next line)
        await workflow.execute_local_activity(find, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveLocalActivity")
class RemoveLocalActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        # change: RemoveLocalActivity (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemovePatchCall")
class RemovePatchCall:
    @workflow.run
    async def run(self, order: str) -> str:
        # change: RemovePatchCall (the next line)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddActivityAtEnd")
class AddActivityAtEnd:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddActivityAtEnd (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveActivityAtEnd")
class RemoveActivityAtEnd:
    @workflow.run
    async def run(self, order: str) -> str:
        # before: RemoveActivityAtEnd (the next line)
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeSignalExternal")
class ChangeSignalExternal:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: ChangeSignalExternal (the next line)
        await workflow.get_external_workflow_handle(f"{order}-sink").cancel()
        return order


@workflow.defn(name="RenameSignalExternal")
class RenameSignalExternal:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.get_external_workflow_handle(f"{order}-sink").signal("shipped")
        return order


@workflow.defn(name="ChangeCancelExternal")
class ChangeCancelExternal:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: ChangeCancelExternal (the next line)
        await workflow.get_external_workflow_handle(f"{order}-sink").signal("packed")
        return order


@workflow.defn(name="AddContinueAsNew")
class AddContinueAsNew:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: AddContinueAsNew (the next line)
        if not order.endswith("-next"):
            # change: AddContinueAsNew (the next line)
            workflow.continue_as_new(f"{order}-next")
        return order


@workflow.defn(name="RemoveContinueAsNew")
class RemoveContinueAsNew:
    @workflow.run
    async def run(self, order: str) -> str:
        # before: RemoveContinueAsNew (the next line)
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="LoopMore")
class LoopMore:
    @workflow.run
    async def run(self, order: str) -> str:
        for _ in range(3):
            # change: LoopMore (the next line)
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="LoopFewer")
class LoopFewer:
    @workflow.run
    async def run(self, order: str) -> str:
        for _ in range(2):
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: LoopFewer (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddInLoop")
class AddInLoop:
    @workflow.run
    async def run(self, order: str) -> str:
        for _ in range(2):
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
            # change: AddInLoop (the next line)
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddToGather")
class AddToGather:
    @workflow.run
    async def run(self, order: str) -> str:
        await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
            # change: AddToGather (the next line)
            workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT),
        )
        return await workflow.execute_local_activity(lookup, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddSeveral")
class AddSeveral:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddSeveral (the next line)
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        await workflow.execute_activity(audit, order + "-again", start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="DeprecateEarly")
class DeprecateEarly:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        workflow.deprecate_patch("charge-second")
        # change: DeprecateEarly (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="InvertBranch")
class InvertBranch:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: InvertBranch (the next line)
        if not order.endswith("!"):
            # change: InvertBranch (the next line)
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        else:
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeChildId")
class ChangeChildId:
    @workflow.run
    async def run(self, order: str) -> str:
        wid = workflow.info().workflow_id
        # change: ChangeChildId (the next line)
        return await workflow.execute_child_workflow(PackOrder.run, order, id=f"{wid}-box")


@workflow.defn(name="RemoveFromUpdate")
class RemoveFromUpdate:
    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:  # handler: RemoveFromUpdate (this line)
        self.note = note  # no longer runs 'fetch' first
        return note


@workflow.defn(name="DeprecateOther")
class DeprecateOther:
    @workflow.run
    async def run(self, order: str) -> str:
        workflow.deprecate_patch("fetch-argument")  # an earlier change, not the one below
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: DeprecateOther (the next line)
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReplaceAfterLoop")
class ReplaceAfterLoop:
    @workflow.run
    async def run(self, order: str) -> str:
        for _ in range(2):
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: ReplaceAfterLoop (the next line)
        await workflow.execute_activity(bill, order + "-last", start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="FanOutMore")
class FanOutMore:
    @workflow.run
    async def run(self, order: str) -> str:
        await asyncio.gather(
            # fan-out: FanOutMore (the next line)
            *[
                workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
                for _ in range(3)
            ]
        )
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddUpsert")
class AddUpsert:
    @workflow.run
    async def run(self, order: str) -> str:
        workflow.upsert_search_attributes([STAGE.value_set("started")])
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddUpsert (the next line)
        workflow.upsert_search_attributes([STAGE.value_set("fetched")])
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddActivityCancel")
class AddActivityCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        handle = workflow.start_activity(
            slow, order, start_to_close_timeout=TIMEOUT, heartbeat_timeout=timedelta(seconds=2)
        )
        await workflow.sleep(PAUSE)
        # change: AddActivityCancel (the next line)
        handle.cancel()
        with contextlib.suppress(ActivityError):
            await handle
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddDraw")
class AddDraw:
    @workflow.run
    async def run(self, order: str) -> str:
        workflow.logger.info("trace %s", workflow.uuid4())  # a draw added first
        child = f"{workflow.info().workflow_id}-{workflow.uuid4()}"
        # change: AddDraw (the next line)
        return await workflow.execute_child_workflow(PackOrder.run, order, id=child)


@workflow.defn(name="AddInSignalHandler")
class AddInSignalHandler:
    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    async def add(self, item: str) -> None:
        # change: AddInSignalHandler (the next line)
        await workflow.execute_activity(audit, item, start_to_close_timeout=TIMEOUT)
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
    async def add(self, item: str) -> None:  # no longer runs 'audit' first
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.items))
        # change: RemoveFromSignalHandler (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveTimerCancel")
class RemoveTimerCancel:
    @workflow.run
    async def run(self, order: str) -> str:
        fetching = asyncio.ensure_future(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        )
        # before: RemoveTimerCancel (the next line)
        deadline = asyncio.ensure_future(workflow.sleep(timedelta(seconds=30)))
        await workflow.wait([fetching, deadline], return_when=asyncio.FIRST_COMPLETED)
        # no longer cancels the pending timer
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="LocalToActivity")
class LocalToActivity:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: LocalToActivity (the next line)
        return await workflow.execute_activity(lookup, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddBeforeContinueAsNew")
class AddBeforeContinueAsNew:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        if not order.endswith("-next"):
            # change: AddBeforeContinueAsNew (the next line)
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
            workflow.continue_as_new(f"{order}-next")
        return order


@workflow.defn(name="AddMemo")
class AddMemo:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddMemo (the next line)
        workflow.upsert_memo({"stage": "fetched"})
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
        # change: AddTimerCancel (the next line)
        deadline.cancel()
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddReminderCancel")
class AddReminderCancel:
    def __init__(self) -> None:
        self.reminder: asyncio.Task[None] | None = None

    @workflow.run
    async def run(self, order: str) -> str:
        self.reminder = asyncio.create_task(self.remind(order))
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddReminderCancel (the next line)
        self.reminder.cancel()
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
        # change: AddSleepBeforeWait (the next line)
        await workflow.sleep(timedelta(minutes=30))
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(lambda: self.approved, timeout=timedelta(hours=1))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="DeprecateReorderEarly")
class DeprecateReorderEarly:
    """The reorder was gated (the old order in the else); the gate then became
    deprecate_patch() while executions in the old order were still there."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        workflow.deprecate_patch("charge-before-bill")
        # change: DeprecateReorderEarly (the next line)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddReusedActivity")
class AddReusedActivity:
    """A call added of an activity type the workflow also runs later (a generic 'audit')."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddReusedActivity (the next line)
        await workflow.execute_activity(audit, f"{order}: started", start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        await workflow.execute_activity(audit, f"{order}: fetched", start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ShorterNap")
class ShorterNap:
    """Core does not compare timer durations: this replays, but a running execution keeps its
    1 h timer."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: ShorterNap (the next line)
        await workflow.sleep(timedelta(minutes=30))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="MoveChargeFirst")
class MoveChargeFirst:
    """A reorder, though a string still mentions 'charge' later (not a call)."""

    @workflow.run
    async def run(self, order: str) -> str:
        # change: MoveChargeFirst (the next line)
        receipt = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(audit, f"{order}: a", start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(audit, f"{order}: b", start_to_close_timeout=TIMEOUT)
        return f"charge: {receipt}"


@workflow.defn(name="MoveAuditFirst")
class MoveAuditFirst:
    """A reorder of one of two calls of one activity type: the other still runs later."""

    @workflow.run
    async def run(self, order: str) -> str:
        # change: MoveAuditFirst (the next line)
        await workflow.execute_activity(audit, f"{order}: a", start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        receipt = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(audit, f"{order}: b", start_to_close_timeout=TIMEOUT)
        return receipt


@workflow.defn(name="DurationThenWait")
class DurationThenWait:
    """A duration changed (core does not compare it), then a wait added: the wait is the
    change that breaks the history."""

    def __init__(self) -> None:
        self.approved = False

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.sleep(2 * PAUSE)
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: DurationThenWait (the next line)
        await workflow.wait_condition(lambda: self.approved)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="WrapInWaitFor")
class WrapInWaitFor:
    """A timeout wrapped around the recorded activity: its timer comes first, in the same
    statement, so the old executions still need the statement without it."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: WrapInWaitFor (the next line)
        return await asyncio.wait_for(
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT), timeout=30
        )


@workflow.defn(name="SwapChildren")
class SwapChildren:
    """Two children started in the other order: core names their ids, but it is a reorder."""

    @workflow.run
    async def run(self, order: str) -> str:
        wid = workflow.info().workflow_id
        # change: SwapChildren (the next line)
        wrapped, packed = await asyncio.gather(
            workflow.execute_child_workflow(GiftWrapOrder.run, order, id=f"{wid}-wrap"),
            workflow.execute_child_workflow(PackOrder.run, order, id=f"{wid}-pack"),
        )
        return f"{packed}, {wrapped}"


@workflow.defn(name="RenameSignalHandler")
class RenameSignalHandler:
    """The signal's name changed: executions that received 'add' find no handler for it."""

    def __init__(self) -> None:
        self.items: list[str] = []

    # change: RenameSignalHandler (the next line)
    @workflow.signal(name="add_item")
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenameSignalWithStart")
class RenameSignalWithStart:
    """The signal's name changed: executions started with 'add' (signal-with-start, so it
    arrived before the code's first command) find no handler for it."""

    def __init__(self) -> None:
        self.items: list[str] = []

    # change: RenameSignalWithStart (the next line)
    @workflow.signal(name="add_item")
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeUpsertValues")
class ChangeUpsertValues:
    """Another search attribute value and key, another memo: core compares neither."""

    @workflow.run
    async def run(self, order: str) -> str:
        # change: ChangeUpsertValues (the next line)
        workflow.upsert_search_attributes([STAGE.value_set("begun"), ATTEMPTS.value_set(1)])
        workflow.upsert_memo({"order": order.upper(), "version": 2})
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddMemoUpsert")
class AddMemoUpsert:
    """A memo upsert added before 'charge', which the history followed with one like it."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddMemoUpsert (the next line)
        workflow.upsert_memo({"stage": "fetched"})
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        workflow.upsert_memo({"stage": "charged"})
        return charged


@workflow.defn(name="SearchToMemoUpsert")
class SearchToMemoUpsert:
    """A search attribute upsert replaced by a memo upsert; the workflow upserts its memo again
    after 'charge', as it did before."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: SearchToMemoUpsert (the next line)
        workflow.upsert_memo({"stage": "fetched"})
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        workflow.upsert_memo({"stage": "charged"})
        return charged


@workflow.defn(name="AddWaitWithStraySignal")
class AddWaitWithStraySignal:
    """A wait for approval added; the stray signal 'add' has no handler, as before."""

    def __init__(self) -> None:
        self.approved = False

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddWaitWithStraySignal (the next line)
        await workflow.wait_condition(lambda: self.approved)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddMemoUpsertRunning")
class AddMemoUpsertRunning:
    """AddMemoUpsert on a running history: its memo upsert after 'charge' sets another value
    than the one added."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddMemoUpsertRunning (the next line)
        workflow.upsert_memo({"stage": "fetched"})
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        workflow.upsert_memo({"stage": "charged"})
        await workflow.sleep(PAUSE)
        return charged


@workflow.defn(name="AddCleanupOnCancel")
class AddCleanupOnCancel:
    """A cleanup activity added where the workflow is cancelled: it still re-raises."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        try:
            await workflow.sleep(timedelta(hours=1))
        except asyncio.CancelledError:
            # change: AddCleanupOnCancel (the next line)
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
            raise
        return order


@workflow.defn(name="AddInBranch")
class AddInBranch:
    """An activity added in one branch; the other branch runs what the history recorded."""

    @workflow.run
    async def run(self, order: str) -> str:
        if order.startswith("change-"):
            # change: AddInBranch (the next line)
            await workflow.execute_activity(lookup, order, start_to_close_timeout=TIMEOUT)
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        else:
            return await workflow.execute_activity(charge, "", start_to_close_timeout=TIMEOUT)


@workflow.defn(name="WidenMatchCase")
class WidenMatchCase:
    """A case of a match widened: this execution now takes another case."""

    @workflow.run
    async def run(self, order: str) -> str:
        match order.split("-")[1]:
            case "vip" | "WidenMatchCase":
                # change: WidenMatchCase (the next line)
                return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
            case _:
                return await workflow.execute_activity(
                    charge, order, start_to_close_timeout=TIMEOUT
                )


@workflow.defn(name="AddBeforeLoop")
class AddBeforeLoop:
    """An audit added before a loop of audits (one call site that ran twice)."""

    @workflow.run
    async def run(self, order: str) -> str:
        # change: AddBeforeLoop (the next line)
        await workflow.execute_activity(audit, "start", start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        for step in "ab":
            await workflow.execute_activity(audit, step, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="RenameWithStraySignal")
class RenameWithStraySignal:
    """The activity renamed; the stray signal 'add' has no handler, as before."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.sleep(PAUSE)
        # change: RenameWithStraySignal (the next line)
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChooseByExpression")
class ChooseByExpression:
    """The condition of a conditional expression changed: this execution now gets 'bill'."""

    @workflow.run
    async def run(self, order: str) -> str:
        # change: ChooseByExpression (the next line)
        step = bill if order.startswith("change-") else charge
        return await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SwapSameChildren")
class SwapSameChildren:
    """Two children of one type started in the other order: their ids tell them apart."""

    @workflow.run
    async def run(self, order: str) -> str:
        wid = workflow.info().workflow_id
        # change: SwapSameChildren (the next line)
        second, first = await asyncio.gather(
            workflow.execute_child_workflow(PackOrder.run, "b", id=f"{wid}-b"),
            workflow.execute_child_workflow(PackOrder.run, "a", id=f"{wid}-a"),
        )
        return f"{first}, {second}"


@workflow.defn(name="AddInHelper")
class AddInHelper:
    """An activity added in a helper every step goes through (the step is its parameter)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await self._step(fetch, order)
        return await self._step(charge, order)

    async def _step(self, step: object, order: str) -> str:
        # change: AddInHelper (the next line)
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return str(await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT))


@workflow.defn(name="RemoveCleanupOnCancel")
class RemoveCleanupOnCancel:
    """The cleanup activity run where the workflow is cancelled is gone: it re-raises at once."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        try:
            # change: RemoveCleanupOnCancel (the next line)
            await workflow.sleep(timedelta(hours=1))
        except asyncio.CancelledError:
            raise
        return order


@workflow.defn(name="PropagateCancel")
class PropagateCancel:
    """A cancel the workflow used to catch (and go on to 'charge') now ends it."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: PropagateCancel (the next line)
        await workflow.sleep(timedelta(hours=1))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="FlagAtCaller")
class FlagAtCaller:
    """The helper is as it was; its caller passes another flag, so it takes the other branch."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: FlagAtCaller (the next line)
        return await self._settle(order, now=True)

    async def _settle(self, order: str, now: bool) -> str:
        if now:
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        else:
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="StopCatching")
class StopCatching:
    """The activity's failure is no longer caught: the workflow fails where it ran 'bill'."""

    @workflow.run
    async def run(self, order: str) -> str:
        # before: StopCatching (the next line)
        await workflow.execute_activity(decline, order, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="StopCatchingLocal")
class StopCatchingLocal:
    """A local activity's failure is no longer caught."""

    @workflow.run
    async def run(self, order: str) -> str:
        # before: StopCatchingLocal (the next line)
        await workflow.execute_local_activity(decline, order, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="SkipApprovalWait")
class SkipApprovalWait:
    """The wait for ``approve`` removed: core accepts the running execution's history, which
    ends where the old code waited, and the new code goes on at once."""

    def __init__(self) -> None:
        self.approved = False

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: SkipApprovalWait (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SwapAdjacent")
class SwapAdjacent:
    """Two activities in a row traded places; the rest is as it was."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: SwapAdjacent (the next line)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return order


@workflow.defn(name="RenameUpdateHandler")
class RenameUpdateHandler:
    """The update handler renamed: the update 'set_note' the history accepted finds none."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    # change: RenameUpdateHandler (the next line)
    @workflow.update(name="set_memo")
    def set_note(self, note: str) -> str:
        self.note = note
        return note


@workflow.defn(name="ContinueSooner")
class ContinueSooner:
    """The threshold of the continue-as-new lowered: this execution, which completed, now
    continues as new."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        # branch: ContinueSooner (the next line)
        if len(items) > 1:
            # change: ContinueSooner (the next line)
            workflow.continue_as_new("-".join(items[1:]))
        return order


@workflow.defn(name="ContinueLater")
class ContinueLater:
    """The threshold of the continue-as-new raised: this execution, which continued as new,
    now goes on to 'charge'."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        # branch: ContinueLater (the next line)
        if len(items) > 2:
            workflow.continue_as_new("-".join(items[1:]))
        # change: ContinueLater (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="FailSooner")
class FailSooner:
    """The threshold of a raise lowered: this execution, which went on to 'charge', now
    fails the workflow (as ContinueSooner, with a raise for the continue-as-new)."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        # branch: FailSooner (the next line)
        if order.count("-") >= 1:
            # change: FailSooner (the next line)
            raise ApplicationError(f"order {order} rejected")
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="FailLater")
class FailLater:
    """The threshold of a raise raised: this execution, which failed, now goes on to
    'charge' (a retry policy's attempt threshold, a validation loosened)."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        # branch: FailLater (the next line)
        if order.count("-") >= 2:
            raise ApplicationError(f"order {order} rejected")
        # change: FailLater (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveRaise")
class RemoveRaise:
    """The if and its raise removed: this execution, which failed there, now goes on to
    'charge' (a validation dropped). The old code is not at hand, the history's stack trace
    quotes its raise."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: RemoveRaise (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ContinueSoonerInLoop")
class ContinueSoonerInLoop:
    """Continues as new after two iterations where it did after three."""

    @workflow.run
    async def run(self, order: str, done: int = 0) -> str:
        iteration = 0
        while done < 5:
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
            done += 1
            iteration += 1
            # branch: ContinueSoonerInLoop (the next line)
            if iteration >= 2:
                # change: ContinueSoonerInLoop (the next line)
                workflow.continue_as_new(args=[order, done])
        return order


@workflow.defn(name="ContinueLaterInLoop")
class ContinueLaterInLoop:
    """Continues as new after four iterations where it did after three."""

    @workflow.run
    async def run(self, order: str, done: int = 0) -> str:
        iteration = 0
        while done < 5:
            # change: ContinueLaterInLoop (the next line)
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
            done += 1
            iteration += 1
            # branch: ContinueLaterInLoop (the next line)
            if iteration >= 4:
                workflow.continue_as_new(args=[order, done])
        return order


@workflow.defn(name="ReorderAroundUpdate")
class ReorderAroundUpdate:
    """'charge' moved before 'fetch'; the update handler's 'audit' ran between them."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        # change: ReorderAroundUpdate (the next line)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:
        await workflow.execute_activity(audit, note, start_to_close_timeout=TIMEOUT)
        self.note = note
        return note


@workflow.defn(name="AddTimerLikeLater")
class AddTimerLikeLater:
    """A timer added before 'charge', the same as the one that already follows it: an
    addition, not two statements that traded places."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddTimerLikeLater (the next line)
        await workflow.sleep(PAUSE)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        return order


@workflow.defn(name="SwapInGather")
class SwapInGather:
    """The two activities of one asyncio.gather traded places (the results' names with them)."""

    @workflow.run
    async def run(self, order: str) -> str:
        # change: SwapInGather (the next line)
        charged, fetched = await asyncio.gather(
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
        )
        billed = await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return f"{fetched}, {charged}, {billed}"


@workflow.defn(name="MoveBeforeGather")
class MoveBeforeGather:
    """The local activity 'lookup' moved from after an asyncio.gather to just before it."""

    @workflow.run
    async def run(self, order: str) -> str:
        # change: MoveBeforeGather (the next line)
        found = await workflow.execute_local_activity(lookup, order, start_to_close_timeout=TIMEOUT)
        fetched, charged = await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
        )
        billed = await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        return f"{fetched}, {charged}, {found}, {billed}"


@workflow.defn(name="AbandonCancel")
class AbandonCancel:
    """The activity is now abandoned when cancelled: handle.cancel() issues no command, where
    the history recorded the cancel request."""

    @workflow.run
    async def run(self, order: str) -> str:
        handle = workflow.start_activity(
            slow,
            order,
            start_to_close_timeout=TIMEOUT,
            heartbeat_timeout=timedelta(seconds=2),
            # change: AbandonCancel (the next line)
            cancellation_type=workflow.ActivityCancellationType.ABANDON,
        )
        await workflow.sleep(PAUSE)
        # cancel: AbandonCancel (the next line)
        handle.cancel()
        with contextlib.suppress(ActivityError, asyncio.CancelledError):
            await handle
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveActivityCancel")
class RemoveActivityCancel:
    """No longer cancels the activity: where the history recorded the cancel request, the code
    goes on to whichever activity its branch runs (one change, whatever the branch)."""

    @workflow.run
    async def run(self, order: str) -> str:
        handle = workflow.start_activity(
            slow,
            order,
            start_to_close_timeout=TIMEOUT,
            heartbeat_timeout=timedelta(seconds=2),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        # before: RemoveActivityCancel (the next line)
        await workflow.sleep(PAUSE)
        workflow.logger.info("slow left running: %s", not handle.done())
        if order.endswith("-rush"):
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveWaitTimeout")
class RemoveWaitTimeout:
    """The timeout of a wait removed: the history started its timer, the code now waits on
    with no command, past its last one ('fetch')."""

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
            # change: RemoveWaitTimeout (the next line)
            await workflow.wait_condition(lambda: self.approved)
            approved = True
        except asyncio.TimeoutError:
            pass
        return await workflow.execute_activity(
            charge if approved else bill, order, start_to_close_timeout=TIMEOUT
        )


@workflow.defn(name="DrawThenReorder")
class DrawThenReorder:
    """Two activities reordered after a uuid4() the change did not touch: no note on draws."""

    @workflow.run
    async def run(self, order: str) -> str:
        token = str(workflow.uuid4())
        # change: DrawThenReorder (the next line)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(fetch, token, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GatherToSequential")
class GatherToSequential:
    """The asyncio.gather of 'fetch' and 'charge' became two awaits: 'charge' now starts only
    after 'fetch' completes, where the history started both in one workflow task."""

    @workflow.run
    async def run(self, order: str) -> str:
        # before: GatherToSequential (the next line)
        fetched = await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: GatherToSequential (the next line)
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        done = f"{fetched}, {charged}"
        return await workflow.execute_activity(bill, done, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GatherToSequentialAfterSleep")
class GatherToSequentialAfterSleep:
    """The asyncio.gather of 'fetch' and 'charge' became two awaits with a new sleep between
    them: 'charge' starts only after the timer fires, where the history started both in one
    workflow task."""

    @workflow.run
    async def run(self, order: str) -> str:
        # before: GatherToSequentialAfterSleep (the next line)
        fetched = await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        # change: GatherToSequentialAfterSleep (the next line)
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        done = f"{fetched}, {charged}"
        return await workflow.execute_activity(bill, done, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GatherToSequentialAfterAudit")
class GatherToSequentialAfterAudit:
    """The asyncio.gather of 'fetch' and 'charge' became two awaits with a new activity 'audit'
    between them: 'charge' starts only after 'audit' completes, where the history started both
    in one workflow task."""

    @workflow.run
    async def run(self, order: str) -> str:
        # before: GatherToSequentialAfterAudit (the next line)
        fetched = await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        # change: GatherToSequentialAfterAudit (the next line)
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        done = f"{fetched}, {charged}"
        return await workflow.execute_activity(bill, done, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GatherToLoop")
class GatherToLoop:
    """The asyncio.gather of one helper's calls became a loop awaiting each call in turn:
    'charge' for the second item starts only after the first completes, where the history
    started all three in one workflow task."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = [f"{order}-{i}" for i in range(3)]
        for item in items:
            # before: GatherToLoop (the next line)
            await self._charge(item)
        return order

    async def _charge(self, item: str) -> str:
        return await workflow.execute_activity(charge, item, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AsCompletedToLoop")
class AsCompletedToLoop:
    """As GatherToLoop, from workflow.as_completed over the calls."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = [f"{order}-{i}" for i in range(3)]
        for item in items:
            # before: AsCompletedToLoop (the next line)
            await self._charge(item)
        return order

    async def _charge(self, item: str) -> str:
        return await workflow.execute_activity(charge, item, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SequentialToGather")
class SequentialToGather:
    """The two awaits of 'fetch' and 'charge' became an asyncio.gather: 'charge' now starts
    with 'fetch', where the history started it after 'fetch' completed."""

    @workflow.run
    async def run(self, order: str) -> str:
        fetched, charged = await asyncio.gather(
            workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT),
            # change: SequentialToGather (the next line)
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT),
        )
        done = f"{fetched}, {charged}"
        return await workflow.execute_activity(bill, done, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AbandonChildCancel")
class AbandonChildCancel:
    """The child is now abandoned when cancelled: child.cancel() issues no command, where the
    history recorded the request to cancel it."""

    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Sink.run,
            id=f"{order}-child",
            # change: AbandonChildCancel (the next line)
            cancellation_type=workflow.ChildWorkflowCancellationType.ABANDON,
        )
        await workflow.sleep(PAUSE)
        # cancel: AbandonChildCancel (the next line)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
            await child
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AbandonTriedChildCancel")
class AbandonTriedChildCancel:
    """As ``AbandonChildCancel``, from ``TRY_CANCEL``."""

    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Sink.run,
            id=f"{order}-child",
            # change: AbandonTriedChildCancel (the next line)
            cancellation_type=workflow.ChildWorkflowCancellationType.ABANDON,
        )
        await workflow.sleep(PAUSE)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
            await child
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveChildCancel")
class RemoveChildCancel:
    """No longer cancels the child: where the history recorded the request to cancel it, the
    code goes on to whichever activity its branch runs (one change, whatever the branch)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.start_child_workflow(
            Sink.run,
            id=f"{order}-child",
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        # before: RemoveChildCancel (the next line)
        await workflow.sleep(PAUSE)
        if order.endswith("-rush"):
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AbandonChildTaskCancel")
class AbandonChildTaskCancel:
    """As ``AbandonChildCancel``, the child run by a task that is cancelled."""

    @workflow.run
    async def run(self, order: str) -> str:
        task = asyncio.ensure_future(
            workflow.execute_child_workflow(
                Sink.run,
                id=f"{order}-child",
                # change: AbandonChildTaskCancel (the next line)
                cancellation_type=workflow.ChildWorkflowCancellationType.ABANDON,
            )
        )
        await workflow.sleep(PAUSE)
        # cancel: AbandonChildTaskCancel (the next line)
        task.cancel()
        with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
            await task
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AbandonRequestedChildCancel")
class AbandonRequestedChildCancel:
    """As ``AbandonChildCancel``, from ``WAIT_CANCELLATION_REQUESTED``."""

    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Lingering.run,
            id=f"{order}-child",
            # change: AbandonRequestedChildCancel (the next line)
            cancellation_type=workflow.ChildWorkflowCancellationType.ABANDON,
        )
        await workflow.sleep(PAUSE)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
            await child
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddChildCancel")
class AddChildCancel:
    """Now cancels its child before charging: the code commands the child's cancel where the
    history recorded 'charge'."""

    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Sink.run,
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
            id=f"{order}-child",
        )
        await workflow.sleep(PAUSE)
        # before: AddChildCancel (the next line)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError):
            await child
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="MoveChildCancel")
class MoveChildCancel:
    """Cancels its child after charging, not before: the code commands 'charge' where the
    history recorded the child's cancel."""

    @workflow.run
    async def run(self, order: str) -> str:
        child = await workflow.start_child_workflow(
            Sink.run,
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
            id=f"{order}-child",
        )
        await workflow.sleep(PAUSE)
        charged = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        child.cancel()
        with contextlib.suppress(ChildWorkflowError):
            await child
        return charged


@workflow.defn(name="SleepToWait")
class SleepToWait:
    """Waits up to the pause for a signal instead of sleeping, without catching the timeout:
    ``asyncio.TimeoutError`` fails the workflow where the history went on to 'charge'."""

    def __init__(self) -> None:
        self.rushed = False

    @workflow.signal
    def rush(self) -> None:
        """Stop waiting."""
        self.rushed = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # wait: SleepToWait (the next line)
        await workflow.wait_condition(lambda: self.rushed, timeout=PAUSE)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@dataclass
class LineItem:
    """What the signal ``add`` of ``ChangeSignalType`` takes now (a plain string before)."""

    sku: str
    quantity: int = 1


@workflow.defn(name="ChangeSignalType")
class ChangeSignalType:
    """The signal's parameter became a dataclass: the string executions recorded before were
    sent no longer decodes, temporalio drops the signal, and the code waits on."""

    def __init__(self) -> None:
        self.items: list[LineItem] = []

    @workflow.signal
    async def add(self, item: LineItem) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.items))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@dataclass
class Note:
    """What the update ``set_note`` of ``ChangeUpdateType`` takes now (a plain string before)."""

    text: str
    author: str = ""


@workflow.defn(name="ChangeUpdateType")
class ChangeUpdateType:
    """The update's parameter became a dataclass: the string executions recorded before were
    sent no longer decodes, and temporalio rejects the update the history accepted."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: Note) -> str:
        self.note = note.text
        return note.text


@workflow.defn(name="SwapNexusOperations")
class SwapNexusOperations:
    """Two Nexus operations of one service, called in the other order."""

    @workflow.run
    async def run(self, order: str) -> str:
        nexus = workflow.create_nexus_client(service=Stock, endpoint=ENDPOINT)
        # change: SwapNexusOperations (the next line)
        await nexus.execute_operation(Stock.reserve, order)
        await nexus.execute_operation(Stock.quote, order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenameNexusService")
class RenameNexusService:
    """The same Nexus operation of a renamed service."""

    @workflow.run
    async def run(self, order: str) -> str:
        nexus = workflow.create_nexus_client(service=StockV2, endpoint=ENDPOINT)
        # change: RenameNexusService (the next line)
        await nexus.execute_operation(StockV2.quote, order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveBeforeWait")
class RemoveBeforeWait:
    """'charge' removed before a wait the execution waits at (captured running): the code
    waits where the history went on with 'charge', which it no longer runs."""

    def __init__(self) -> None:
        self.approved = False

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: RemoveBeforeWait (the next line)
        await workflow.wait_condition(lambda: self.approved)
        return await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddNexusCancel")
class AddNexusCancel:
    """A cancel of a Nexus operation still running, added once a timer fired."""

    @workflow.run
    async def run(self, order: str) -> str:
        nexus = workflow.create_nexus_client(service=Stock, endpoint=ENDPOINT)
        handle = await nexus.start_operation(Stock.hold, order)
        await workflow.sleep(PAUSE)
        # change: AddNexusCancel (the next line)
        handle.cancel()
        with contextlib.suppress(NexusOperationError, asyncio.CancelledError):
            await handle
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipTimer")
class SkipTimer:
    """The pause made conditional: only slow orders pause now, and this one is not."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: SkipTimer (the next line)
        if order.startswith("slow-"):
            await workflow.sleep(PAUSE)
        # change: SkipTimer (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipAudit")
class SkipAudit:
    """Orders of the shop this execution's came from are trusted now: no audit."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: SkipAudit (the next line)
        if order.startswith("change-S"):
            workflow.logger.info("trusted order: no audit")
        else:
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        # change: SkipAudit (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInLoop")
class SkipInLoop:
    """The audit skipped in the first round now."""

    @workflow.run
    async def run(self, order: str) -> str:
        for i in range(2):
            # branch: SkipInLoop (the next line)
            if i > 0:
                await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
            # change: SkipInLoop (the next line)
            await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInHelper")
class SkipInHelper:
    """Only VIP orders are audited now, in a helper that run passes its input to."""

    @workflow.run
    async def run(self, order: str) -> str:
        return await self._prepare(order)

    async def _prepare(self, order: str) -> str:
        await self._step(fetch, order)
        # branch: SkipInHelper (the next line)
        if order.startswith("vip-"):
            await self._step(audit, order)
        # change: SkipInHelper (the next line)
        return await self._step(charge, order)

    async def _step(self, step: object, order: str) -> str:
        return str(await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT))


@workflow.defn(name="SkipInMatch")
class SkipInMatch:
    """Only VIP orders are audited now: this execution's no longer matches the audit's case."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: SkipInMatch (the next line)
        match order.split("-")[1]:
            case "vip":
                await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        # change: SkipInMatch (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInConditional")
class SkipInConditional:
    """The audit made conditional in an expression: only VIP orders are audited now."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: SkipInConditional (the next line)
        note = await workflow.execute_activity(
            audit, order, start_to_close_timeout=TIMEOUT
        ) if order.startswith("vip-") else order
        # change: SkipInConditional (the next line)
        return await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="LowerLimit")
class LowerLimit:
    """The semaphore's room lowered to one: 'charge' is scheduled only once 'fetch' is done,
    where the history scheduled both in one workflow task."""

    def __init__(self) -> None:
        # change: LowerLimit (the next line)
        self.limit = asyncio.Semaphore(1)

    @workflow.run
    async def run(self, order: str) -> str:
        steps = [self._step(fetch, order), self._step(charge, order)]
        done = [await step for step in workflow.as_completed(steps)]
        return " ".join(sorted(done))

    async def _step(self, step: object, order: str) -> str:
        async with self.limit:
            # before: LowerLimit (the next line)
            return str(await workflow.execute_activity(step, order, start_to_close_timeout=TIMEOUT))


@workflow.defn(name="RenameAfterSignalWait")
class RenameAfterSignalWait:
    """Bills instead of charging, after the same wait for 'add': the signal explains nothing."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        # change: RenameAfterSignalWait (the next line)
        return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReorderAfterSignalWait")
class ReorderAfterSignalWait:
    """Charges before auditing now, after the same wait for 'add'."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        # change: ReorderAfterSignalWait (the next line)
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RushBySignal")
class RushBySignal:
    """The handler of 'add' rushes every order of the shop now: 'run' did not change, but the
    state the handler sets takes the other branch."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.rush = False

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)
        self.rush = item.startswith("change-")

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.items))
        # branch: RushBySignal (the next line)
        if self.rush:
            # change: RushBySignal (the next line)
            return await workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)
        else:
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SwapDependent")
class SwapDependent:
    """'charge' moved before 'fetch', and 'fetch' takes what 'charge' returned now: both calls
    that traded places get other input than the history recorded."""

    @workflow.run
    async def run(self, order: str) -> str:
        # change: SwapDependent (the next line)
        paid = await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        got = await workflow.execute_activity(fetch, paid, start_to_close_timeout=TIMEOUT)
        return got


@workflow.defn(name="AddToUpdateLikeLater")
class AddToUpdateLikeLater:
    """The update handler charges too now, before it returns; 'run' charges after the update
    as before (the history's only 'charge' is run's, after the update completed)."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:  # handler: AddToUpdateLikeLater (this line)
        # change: AddToUpdateLikeLater (the next line)
        await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)
        self.note = note
        return note


@workflow.defn(name="MoveIntoUpdateHandler")
class MoveIntoUpdateHandler:
    """The charge moved from 'run' into the update handler, before it returns: 'run' no
    longer charges after the update (the history's 'charge' is run's, after it completed)."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.note))
        return self.note

    @workflow.update
    async def set_note(self, note: str) -> str:
        # change: MoveIntoUpdateHandler (the next line)
        await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)
        self.note = note
        return note


@workflow.defn(name="SkipInPassedHelper")
class SkipInPassedHelper:
    """Only VIP orders are audited now, in a helper that returns before 'charge': the if is
    on neither the stack of 'fetch' nor that of 'charge'."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._audit(order)
        # change: SkipInPassedHelper (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _audit(self, order: str) -> None:
        # branch: SkipInPassedHelper (the next line)
        if order.startswith("vip-"):
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeActivityInput")
class ChangeActivityInput:
    """'charge' takes the order with its currency now: core compares no input."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: ChangeActivityInput (the next line)
        return await workflow.execute_activity(
            charge, f"{order}:EUR", start_to_close_timeout=TIMEOUT
        )


@workflow.defn(name="ChangeChildInput")
class ChangeChildInput:
    """The child 'PackOrder' takes the order in capitals now: core compares no input."""

    @workflow.run
    async def run(self, order: str) -> str:
        child_id = f"{workflow.info().workflow_id}-child"
        # change: ChangeChildInput (the next line)
        return await workflow.execute_child_workflow(PackOrder.run, order.upper(), id=child_id)


@workflow.defn(name="SkipByReturnInHelper")
class SkipByReturnInHelper:
    """Only VIP orders are audited now: the helper run calls between 'fetch' and 'charge'
    returns before its audit for the others (no if body holds the audit)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._audit(order)
        # change: SkipByReturnInHelper (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _audit(self, order: str) -> None:
        # branch: SkipByReturnInHelper (the next line)
        if not order.startswith("vip-"):
            return
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipTwoCallsDeep")
class SkipTwoCallsDeep:
    """Only VIP orders are audited now, under an if two calls deep: run calls _checks, which
    calls _audit, between 'fetch' and 'charge'."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._checks(order)
        # change: SkipTwoCallsDeep (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _checks(self, order: str) -> None:
        await self._audit(order)

    async def _audit(self, order: str) -> None:
        # branch: SkipTwoCallsDeep (the next line)
        if order.startswith("vip-"):
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInImportedHelper")
class SkipInImportedHelper:
    """Only VIP orders are audited now, by a helper of another module (changes_helpers)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await audit_vip(order)
        # change: SkipInImportedHelper (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipByReturnInLoop")
class SkipByReturnInLoop:
    """Each part of the order is audited until one is not lower case: run returns there now,
    in the loop (this execution audited both parts, then charged)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        for part in order.split("-"):
            # branch: SkipByReturnInLoop (the next line)
            if not part.islower():
                return order
            # before: SkipByReturnInLoop (the next line)
            await workflow.execute_activity(audit, part, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipByReturnInLoopInHelper")
class SkipByReturnInLoopInHelper:
    """The helper run calls between 'fetch' and 'charge' returns in its loop before the audit
    of a part that is not lower case."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._audit_parts(order)
        # change: SkipByReturnInLoopInHelper (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _audit_parts(self, order: str) -> None:
        for part in order.split("-"):
            # branch: SkipByReturnInLoopInHelper (the next line)
            if not part.islower():
                return
            await workflow.execute_activity(audit, part, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipByContinue")
class SkipByContinue:
    """A part of the order that is not lower case is not audited now: the loop continues
    past its audit."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        for part in order.split("-"):
            # branch: SkipByContinue (the next line)
            if not part.islower():
                continue
            await workflow.execute_activity(audit, part, start_to_close_timeout=TIMEOUT)
        # change: SkipByContinue (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipHelperCall")
class SkipHelperCall:
    """Only VIP orders are audited now: run calls its helper, which audits every order it is
    given, under an if."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: SkipHelperCall (the next line)
        if order.startswith("vip-"):
            await self._audit(order)
        # change: SkipHelperCall (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def _audit(self, order: str) -> None:
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReturnBeforeContinueAsNew")
class ReturnBeforeContinueAsNew:
    """An order that is not lower case returns before the continue-as-new now (its if
    unchanged): this execution continued as new there."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        # before: ReturnBeforeContinueAsNew (the next line)
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        # branch: ReturnBeforeContinueAsNew (the next line)
        if not order.islower():
            return order
        if len(items) >= 2:
            workflow.continue_as_new("-".join(items[1:]))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReturnBeforeRaise")
class ReturnBeforeRaise:
    """An order that is not lower case returns before the rejection now (its if unchanged):
    this execution failed there."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        # before: ReturnBeforeRaise (the next line)
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        # branch: ReturnBeforeRaise (the next line)
        if not order.islower():
            return order
        if order.count("-") > 0:
            raise ApplicationError(f"order {order} rejected")
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ReturnBeforeChargeAndContinue")
class ReturnBeforeChargeAndContinue:
    """An order with an upper-case letter returns before 'charge' now (a new if), which this
    execution ran before it continued as new."""

    @workflow.run
    async def run(self, order: str) -> str:
        items = order.split("-")
        # before: ReturnBeforeChargeAndContinue (the next line)
        await workflow.execute_activity(fetch, items[0], start_to_close_timeout=TIMEOUT)
        # branch: ReturnBeforeChargeAndContinue (the next line)
        if order != order.lower():
            return order
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        if len(items) >= 2:
            workflow.continue_as_new("-".join(items[1:]))
        return order


@workflow.defn(name="ReturnBeforeChargeAndRaise")
class ReturnBeforeChargeAndRaise:
    """An order with an upper-case letter returns before 'charge' now (a new if), which this
    execution ran before it failed."""

    @workflow.run
    async def run(self, order: str) -> str:
        # before: ReturnBeforeChargeAndRaise (the next line)
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: ReturnBeforeChargeAndRaise (the next line)
        if order.lower() != order:
            return order
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        if "-" in order:
            raise ApplicationError(f"order {order} refused")
        return order


@workflow.defn(name="RemovePatchBlock")
class RemovePatchBlock:
    @workflow.run
    async def run(self, order: str) -> str:
        # change: RemovePatchBlock (the next line)
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        await workflow.sleep(PAUSE)
        await workflow.execute_activity(audit, f"{order}-again", start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveOnlyActivity")
class RemoveOnlyActivity:
    """Its only command, 'charge', is gone: nothing the code runs points where it was."""

    @workflow.run
    async def run(self, order: str) -> str:
        # start: RemoveOnlyActivity (the next line)
        return order


@workflow.defn(name="SkipByReturnInHelperAtEnd")
class SkipByReturnInHelperAtEnd:
    """Only VIP orders are audited now: the helper run calls before it completes returns
    before its audit for the others, its only command."""

    @workflow.run
    async def run(self, order: str) -> str:
        # start: SkipByReturnInHelperAtEnd (the next line)
        await self._audit(order)
        return order

    async def _audit(self, order: str) -> None:
        # branch: SkipByReturnInHelperAtEnd (the next line)
        if not order.startswith("vip-"):
            return
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddToUpdateBeforeLikeLater")
class AddToUpdateBeforeLikeLater:
    """The update handler charges too now, before its lookup; 'run' charges after the update
    as before (the history's only 'charge' is run's, after the update completed)."""

    def __init__(self) -> None:
        self.note = ""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: bool(self.note))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    @workflow.update
    async def set_note(self, note: str) -> str:
        # change: AddToUpdateBeforeLikeLater (the next line)
        await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(lookup, note, start_to_close_timeout=TIMEOUT)
        self.note = note
        return note


@workflow.defn(name="BranchOnNow")
class BranchOnNow:
    """The audit's condition on workflow.now() inverted: every execution audits now."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: BranchOnNow (the next line)
        if workflow.now().year >= 2000:
            # change: BranchOnNow (the next line)
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddWaitTimeout")
class AddWaitTimeout:
    """The wait for 'add' has a timeout now: a timer the history did not start."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddWaitTimeout (the next line)
        await workflow.wait_condition(lambda: bool(self.items), timeout=timedelta(hours=1))
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ChangeActivityOptions")
class ChangeActivityOptions:
    """Other timeouts and retry policies: core compares neither."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(
            fetch, order, start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )  # fmt: skip
        return await workflow.execute_activity(
            charge, order, schedule_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=5),
        )  # fmt: skip


@workflow.defn(name="ChangeChildOptions")
class ChangeChildOptions:
    """The child's parent close and id reuse policies changed: core compares neither."""

    @workflow.run
    async def run(self, order: str) -> str:
        child_id = f"{workflow.info().workflow_id}-child"
        return await workflow.execute_child_workflow(
            PackOrder.run, order, id=child_id,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            execution_timeout=timedelta(minutes=5),
        )  # fmt: skip


@workflow.defn(name="ChangeContinueAsNewInput")
class ChangeContinueAsNewInput:
    """Continues as new with '<order>+retry' now: core compares no input."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        if "+" not in order:
            workflow.continue_as_new(f"{order}+retry")
        return order


@workflow.defn(name="AddUpdateValidator")
class AddUpdateValidator:
    """A validator for the update 'set_note', and another query answer: neither is replayed."""

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

    @set_note.validator
    def check_note(self, note: str) -> None:
        if not note.startswith("change-"):
            raise ValueError(f"not a change's note: {note!r}")

    @workflow.query
    def status(self) -> str:
        return f"noted {self.note}" if self.note else "waiting for a note"


@workflow.defn(name="GateUnchanged")
class GateUnchanged:
    """A gate around 'charge' whose branches do the same: harmless."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        if workflow.patched("charge-later"):
            return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RenamePatchId")
class RenamePatchId:
    """The patch 'charge-first' renamed 'charge-first-v2': recorded executions take the else."""

    @workflow.run
    async def run(self, order: str) -> str:
        if workflow.patched("charge-first-v2"):
            await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        # change: RenamePatchId (the next line)
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GateAfterChange")
class GateAfterChange:
    """'audit' added before 'charge', but its gate asked only after it ran."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: GateAfterChange (the next line)
        note = await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        if workflow.patched("audited-order"):
            order = f"{order} ({note})"
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemoveUpsert")
class RemoveUpsert:
    """The upsert of 'ChangeStage' between 'fetch' and 'charge' removed."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: RemoveUpsert (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RaceWithTimer")
class RaceWithTimer:
    """'charge' raced against a deadline timer (asyncio.wait, FIRST_COMPLETED) now."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        charging = asyncio.ensure_future(
            workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        )
        # change: RaceWithTimer (the next line)
        deadline = asyncio.ensure_future(workflow.sleep(timedelta(hours=1)))
        await asyncio.wait([charging, deadline], return_when=asyncio.FIRST_COMPLETED)
        deadline.cancel()
        return await charging


@workflow.defn(name="TakeMatchCase")
class TakeMatchCase:
    """The audit's case widened: this execution, which went past the match, now takes it."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: TakeMatchCase (the next line)
        match order.split("-")[1]:
            case "vip" | "TakeMatchCase":
                # change: TakeMatchCase (the next line)
                await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="TakeConditionalArm")
class TakeConditionalArm:
    """The audit's arm widened: this execution, which took the other arm, now audits."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: TakeConditionalArm (the next line)
        note = order if not order.startswith(("vip-", "change-")) else (
            # change: TakeConditionalArm (the next line)
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        )
        return await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="ContinueInMatchCase")
class ContinueInMatchCase:
    """The continue-as-new's case widened: this execution, which went past the match and
    completed, now continues as new."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: ContinueInMatchCase (the next line)
        match order.split("-")[1]:
            case "vip" | "ContinueInMatchCase":
                # change: ContinueInMatchCase (the next line)
                workflow.continue_as_new(f"{order}-next")
        return order



@workflow.defn(name="ChooseArmOnOneLine")
class ChooseArmOnOneLine:
    """The audit's arm widened, both arms on one line: this execution, which took the other
    arm (it looked the order up), now audits."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        vip = order.startswith(("vip-", "change-"))
        # change: ChooseArmOnOneLine (the next line); # branch: ChooseArmOnOneLine (the same)
        note = await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT) if vip else await workflow.execute_activity(lookup, order, start_to_close_timeout=TIMEOUT)  # noqa: E501
        return await workflow.execute_activity(charge, note, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="StopContinuingInMatchCase")
class StopContinuingInMatchCase:
    """The continue-as-new's case narrowed: this execution, which continued as new in it, now
    goes past the match on to 'charge'."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: StopContinuingInMatchCase (the next line)
        match order.split("-")[-1]:
            case "vip":
                workflow.continue_as_new(f"{order}-next")
        # change: StopContinuingInMatchCase (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="StopContinuingInArm")
class StopContinuingInArm:
    """The condition of the continue-as-new's arm narrowed: this execution, which continued as
    new in it, now takes the other arm, on to 'charge'."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return (
            # branch: StopContinuingInArm (the next line)
            workflow.continue_as_new(f"{order}-next")
            if order.endswith("vip")
            # change: StopContinuingInArm (the next line)
            else await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        )
