"""A workflow whose worker runs a workflow interceptor that issues commands of its own.

:class:`AuditInterceptor` is what many teams' workers register (``Worker(...,
interceptors=[...])``): before the workflow's code runs it upserts a memo (a command the history
records), and it puts a header on every activity the workflow starts (an outbound interceptor:
its frames sit between the workflow's ``execute_activity`` line and the command). A replay
without it sees the history's memo change where the code starts its first activity.
:func:`audit_plugin` gives the same interceptor as a ``temporalio.plugin.SimplePlugin``.

``tests/workflows/record_intercepted.py`` records the histories (worker with the interceptor).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

TASK_QUEUE = "intercepted"


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn(name="Intercepted")
class InterceptedWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        greeting = await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=10)
        )
        return await workflow.execute_activity(
            greet, greeting, start_to_close_timeout=timedelta(seconds=10)
        )


class _AuditOutbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        input.headers = {**input.headers, "audited": workflow.payload_converter().to_payload(1)}
        return super().start_activity(input)


class _AuditInbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_AuditOutbound(outbound))

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        workflow.upsert_memo({"audited_by": "audit-interceptor"})
        return await super().execute_workflow(input)


class AuditInterceptor(Interceptor):
    """Upserts a memo as each workflow starts; adds a header to each activity."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _AuditInbound


audit_interceptor = AuditInterceptor()


def audit_plugin() -> Any:
    """The interceptor as a worker plugin (``temporalio.plugin``, temporalio 1.18 and later)."""
    from temporalio.plugin import SimplePlugin

    return SimplePlugin("replaycheck-tests.audit", interceptors=[AuditInterceptor()])


def forgot_to_return() -> None:
    """A factory that returns nothing: a worker setting that names it is told so."""
