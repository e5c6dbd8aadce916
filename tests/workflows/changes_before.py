"""Code from before a change case's patch, to record an execution that started before it
(``record_changes.record_before``): with the case's own history, which recorded the patch's
marker, it makes the run a removed gate breaks both ways.

``RemovePatchCall`` before its gate: it only fetched. ``changes_v1`` then added charging first
behind ``workflow.patched("charge-first")`` with no ``else`` (the old code did nothing there),
and ``changes_v2`` removed the gate. ``RemovePatchBlock`` likewise, with a gate of several
statements (audit, a timer, audit again) before fetching.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from tests.workflows.changes_common import TIMEOUT, fetch


@workflow.defn(name="RemovePatchCall")
class RemovePatchCall:
    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)


@workflow.defn(name="RemovePatchBlock")
class RemovePatchBlock:
    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
