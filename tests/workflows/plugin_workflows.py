"""Worker plugins as a library ships them: some register their own workflows
(``SimplePlugin(workflows=[...])``), one adds none."""

import asyncio
from typing import Any

from temporalio import activity
from temporalio.plugin import SimplePlugin
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

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


class _FailsUpdates(Interceptor):
    """Fails the workflow task that would take an update (the update is never accepted), and
    tells ``plugin`` the update came."""

    def __init__(self, plugin: "StopsAtAnUpdate") -> None:
        self.plugin = plugin

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        plugin = self.plugin

        class Inbound(WorkflowInboundInterceptor):
            async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
                plugin.came()
                raise RuntimeError("the worker is going away")

        return Inbound


class StopsAtAnUpdate(SimplePlugin):
    """A plugin that shuts its worker down, then fails, once an update comes: the update waits
    for a worker that is gone."""

    def __init__(self) -> None:
        self.update = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        super().__init__("stops-at-an-update", interceptors=[_FailsUpdates(self)])

    def came(self) -> None:
        """An update came (called from the workflow's thread)."""
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.update.set)

    async def run_worker(self, worker: Any, next: Any) -> None:
        self.loop = asyncio.get_running_loop()
        run = asyncio.create_task(next(worker))
        await self.update.wait()
        await worker.shutdown()
        await run
        raise RuntimeError("the metrics agent went away")


def stops_at_an_update() -> StopsAtAnUpdate:
    """A new one per worker (its event belongs to the worker's event loop)."""
    return StopsAtAnUpdate()
