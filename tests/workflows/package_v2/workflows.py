"""The package's workflows at version 2: each breaks its ``package_v1`` history."""

from __future__ import annotations

from temporalio import workflow

from tests.workflows.package_v2 import Screens, screen

from .shared import Approvals, Reviews, approve, charge_order, notify

with workflow.unsafe.imports_passed_through():
    from tests.workflows.changes_common import TIMEOUT, audit, charge, fetch


@workflow.defn(name="SkipInBaseMethod")
class SkipInBaseMethod(Approvals):
    """Only VIP orders are audited now, by the base class's method (in shared.py)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self.approve_and_notify(order)
        # change: SkipInBaseMethod (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInImportedFunction")
class SkipInImportedFunction:
    """Only VIP orders are audited now, by the function imported from shared.py."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await approve(order)
        # change: SkipInImportedFunction (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GateBaseMethodCall")
class GateBaseMethodCall(Approvals):
    """The base class's method, which always audits, is called for VIP orders only."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: GateBaseMethodCall (the next line)
        if order.startswith("vip-"):
            await self.notify_all(order)
        # change: GateBaseMethodCall (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="GateImportedCall")
class GateImportedCall:
    """The imported function, which always audits, is called for VIP orders only."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # branch: GateImportedCall (the next line)
        if order.startswith("vip-"):
            await notify(order)
        # change: GateImportedCall (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="AddBeforeBaseMethod")
class AddBeforeBaseMethod(Approvals):
    """An audit added before the base class's method that charges."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddBeforeBaseMethod (the next line)
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await self.charge_order(order)


@workflow.defn(name="AddBeforeImportedFunction")
class AddBeforeImportedFunction:
    """An audit added before the imported function that charges."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        # change: AddBeforeImportedFunction (the next line)
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        return await charge_order(order)


@workflow.defn(name="SkipInSubclassHook")
class SkipInSubclassHook(Reviews):
    """Only VIP orders are audited now, by the hook the base class's review (in shared.py)
    calls, which only this class defines."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self.review(order)
        # change: SkipInSubclassHook (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)

    async def review_hook(self, order: str) -> None:
        # branch: SkipInSubclassHook (the next line)
        if order.startswith("vip-"):
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInReexportedFunction")
class SkipInReexportedFunction:
    """Only VIP orders are audited now, by the function of shared.py that the package's
    __init__.py re-exports (imported from the package)."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await screen(order)
        # change: SkipInReexportedFunction (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInReexportedStaticMethod")
class SkipInReexportedStaticMethod:
    """Only VIP orders are audited now, by a static method of a class of shared.py that the
    package's __init__.py re-exports, called on the class."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await Screens.screen_order(order)
        # change: SkipInReexportedStaticMethod (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="SkipInNestedClassMethod")
class SkipInNestedClassMethod:
    """Only VIP orders are audited now, by a static method of a class nested in that class."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await Screens.Rules.apply_rules(order)
        # change: SkipInNestedClassMethod (the next line)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


WORKFLOWS = (
    SkipInBaseMethod, SkipInImportedFunction, GateBaseMethodCall, GateImportedCall,
    AddBeforeBaseMethod, AddBeforeImportedFunction, SkipInSubclassHook,
    SkipInReexportedFunction, SkipInReexportedStaticMethod, SkipInNestedClassMethod,
)  # fmt: skip
