"""A dynamic workflow (it serves any workflow type) with a patch gate: ``replaycheck patches
--live`` cannot tell which executions it serves, and asks for ``--query``."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.common import RawValue


@workflow.defn(dynamic=True)
class AnyType:
    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> str:
        return "new" if workflow.patched("dyn-p") else "old"
