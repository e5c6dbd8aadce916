"""Worker plugins as a library ships them: some register their own workflows
(``SimplePlugin(workflows=[...])``), one adds none."""

import asyncio
from typing import Any

from temporalio import activity
from temporalio.plugin import SimplePlugin
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from examples.provisioning import workflows_unsafe
from examples.provisioning.workflows import NotifyTenantWorkflow, TenantProvisioningWorkflow
from tests.workflows.gate_after_signal import GateAfterSignalV2
from tests.workflows.sayhello import SayHelloWorkflow

ADD_SAY_HELLO = SimplePlugin("add-say-hello", workflows=[SayHelloWorkflow])
"""Registers ``SayHelloWorkflow``, the workflow of ``tests/conftest.py``'s ``COMPLETE``."""
ADDS_NONE = SimplePlugin("adds-none")
"""A plugin that registers no workflow."""
ADD_PROVISIONING = SimplePlugin(
    "add-provisioning", workflows=[TenantProvisioningWorkflow, NotifyTenantWorkflow]
)
"""Registers the reference application's workflows (``fixtures/histories``' types)."""

REAL_CALLS: list[str] = []
"""The calls of ``create_schema`` below: a worker process's own activity, never ``generate``'s."""


@activity.defn(name="create_schema")
async def create_schema(request: Any) -> str:
    """The application's own activity, which its plugin registers beside its workflows."""
    REAL_CALLS.append(str(request))
    return "from the real activity"


ADD_UNSAFE = SimplePlugin(
    "add-unsafe",
    workflows=[workflows_unsafe.TenantProvisioningWorkflow, NotifyTenantWorkflow],
    activities=[create_schema],
)
"""Registers the change made without a gate (``workflows_unsafe``), and an activity."""

ADD_GATE = SimplePlugin("add-gate", workflows=[GateAfterSignalV2])
"""Registers the gated workflow of ``tests/workflows/record_lifecycle.py``'s executions."""


class StopsTheWorker(SimplePlugin):
    """A plugin whose worker stops as it starts (its ``run_worker`` raises, as one that needs
    a service the machine lacks does); replays run as usual."""

    def __init__(self) -> None:
        super().__init__("stops-the-worker")

    async def run_worker(self, worker: Any, next: Any) -> None:
        raise RuntimeError("the metrics agent is not running")


STOPS_THE_WORKER = StopsTheWorker()
"""The worker of ``generate`` that runs it stops before it polls."""


class _ActivityStarted(Interceptor):
    """Sets ``started`` as an activity starts."""

    def __init__(self, started: asyncio.Event) -> None:
        self.started = started

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        started = self.started

        class Inbound(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> Any:
                started.set()
                return await super().execute_activity(input)

        return Inbound(next)


class StopsMidRun(SimplePlugin):
    """A plugin that shuts its worker down once an activity runs, then fails (as one whose
    agent went away does): the worker has run a workflow task by then."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        super().__init__("stops-mid-run", interceptors=[_ActivityStarted(self.started)])

    async def run_worker(self, worker: Any, next: Any) -> None:
        run = asyncio.create_task(next(worker))
        await self.started.wait()
        await worker.shutdown()
        await run
        raise RuntimeError("the metrics agent went away")


def stops_mid_run() -> StopsMidRun:
    """A new one per worker (its event belongs to the worker's event loop)."""
    return StopsMidRun()
