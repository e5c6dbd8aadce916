"""The package's workflows at version 1 (histories recorded from these)."""

from __future__ import annotations

from temporalio import workflow

from tests.workflows.package_v1 import Screens, screen

from .shared import Approvals, Reviews, approve, charge_order, notify

with workflow.unsafe.imports_passed_through():
    from tests.workflows.changes_common import TIMEOUT, audit, charge, fetch


@workflow.defn(name="SkipInBaseMethod")
class SkipInBaseMethod(Approvals):
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self.approve_and_notify(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInImportedFunction")
class SkipInImportedFunction:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await approve(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GateBaseMethodCall")
class GateBaseMethodCall(Approvals):
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self.notify_all(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GateImportedCall")
class GateImportedCall:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await notify(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddBeforeBaseMethod")
class AddBeforeBaseMethod(Approvals):
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await self.charge_order(order)


@workflow.defn(name="AddBeforeImportedFunction")
class AddBeforeImportedFunction:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        return await charge_order(order)


@workflow.defn(name="SkipInSubclassHook")
class SkipInSubclassHook(Reviews):
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self.review(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def review_hook(self, order: str) -> None:
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInReexportedFunction")
class SkipInReexportedFunction:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await screen(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInReexportedStaticMethod")
class SkipInReexportedStaticMethod:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await Screens.screen_order(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInNestedClassMethod")
class SkipInNestedClassMethod:
    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await Screens.Rules.apply_rules(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


WORKFLOWS = (
    SkipInBaseMethod, SkipInImportedFunction, GateBaseMethodCall, GateImportedCall,
    AddBeforeBaseMethod, AddBeforeImportedFunction, SkipInSubclassHook,
    SkipInReexportedFunction, SkipInReexportedStaticMethod, SkipInNestedClassMethod,
)  # fmt: skip
