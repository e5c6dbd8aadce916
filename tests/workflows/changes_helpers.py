"""Helpers that workflows of ``changes_v1`` and ``changes_v2`` import from a module of their
own: not passed through, so the sandbox imports it again for each workflow, as it does a
project's plain helper modules."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from tests.workflows.changes_common import TIMEOUT, audit


async def audit_order(order: str) -> None:
    """Audit every order (``changes_v1``'s ``SkipInImportedHelper``)."""
    await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


async def audit_vip(order: str) -> None:
    """Audit VIP orders only (``changes_v2``'s ``SkipInImportedHelper``)."""
    # branch: SkipInImportedHelper (the next line)
    if order.startswith("vip-"):
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
