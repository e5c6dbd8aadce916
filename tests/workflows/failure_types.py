"""Workflows that fail their execution by raising a plain exception, as a worker made with
``Worker(..., workflow_failure_exception_types=[...])`` (or a workflow declared with
``@workflow.defn(failure_exception_types=[...])``) has them do.

Recorded on a real dev server by ``tests/workflows/record_failure_types.py``; each reserves an
item that is sold out and fails: ``ValueError``, ``OutOfStock`` (the project's own exception,
in ``tests.workflows.failure_errors``, imported passed through as a worker's own exceptions are)
or, declared on the workflow, ``ValueError`` again.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from tests.workflows.failure_errors import OutOfStock

TASK_QUEUE = "failure-types"


@activity.defn
async def reserve(sku: str) -> int:
    """How many of ``sku`` are left: none."""
    return 0


async def _left(sku: str) -> int:
    timeout = timedelta(seconds=10)
    return await workflow.execute_activity(reserve, sku, start_to_close_timeout=timeout)


@workflow.defn
class ReserveOrValueError:
    """Fails with ``ValueError`` on a worker that fails workflows on it."""

    @workflow.run
    async def run(self, sku: str) -> str:
        if await _left(sku) == 0:
            raise ValueError(f"{sku} is sold out")
        return "reserved"


@workflow.defn
class ReserveOrOutOfStock:
    """Fails with ``OutOfStock`` on a worker that fails workflows on it."""

    @workflow.run
    async def run(self, sku: str) -> str:
        if await _left(sku) == 0:
            raise OutOfStock(sku)
        return "reserved"


@workflow.defn(failure_exception_types=[ValueError])
class ReserveDeclared:
    """Fails with ``ValueError`` on any worker: the workflow declares it."""

    @workflow.run
    async def run(self, sku: str) -> str:
        if await _left(sku) == 0:
            raise ValueError(f"{sku} is sold out")
        return "reserved"
