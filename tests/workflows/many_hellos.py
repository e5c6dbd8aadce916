"""SayHelloWorkflow among four more workflow classes in one module, which imports the app's
settings at module level (as ``settings_import.py`` does; the sandbox refuses it unless
``tests.workflows.app_settings`` is passed through).

Each time the module is loaded in a sandbox it adds a line to the file named by the environment
variable ``MANY_HELLOS_LOG``, so a test can count the loads:
a worker loads it to validate its classes, and again for each execution it replays.
"""

import dataclasses
import os
from datetime import timedelta

from temporalio import workflow
from temporalio.plugin import SimplePlugin
from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from tests.workflows import app_settings
from tests.workflows.sayhello import SayHelloParams

if workflow.unsafe.in_sandbox():
    with workflow.unsafe.sandbox_unrestricted():
        if os.environ.get("MANY_HELLOS_LOG"):
            with open(os.environ["MANY_HELLOS_LOG"], "a") as log:
                log.write("loaded in a sandbox\n")


@workflow.defn(name="SayHelloWorkflow")
class ManySayHello:
    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        workflow.logger.debug("settings at %s", app_settings.ROOT)
        result = await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )
        if params.should_cause_nondeterminism and workflow.unsafe.is_replaying():
            await workflow.sleep(0.1)
        if params.should_wait:
            await workflow.wait_condition(lambda: False)
        if params.should_error:
            raise workflow.ApplicationError("Intentional error")
        return result


@workflow.defn
class HelloOne:
    @workflow.run
    async def run(self) -> str:
        return "one"


@workflow.defn
class HelloTwo:
    @workflow.run
    async def run(self) -> str:
        return "two"


@workflow.defn
class HelloThree:
    @workflow.run
    async def run(self) -> str:
        return "three"


@workflow.defn
class HelloFour:
    @workflow.run
    async def run(self) -> str:
        return "four"


def _pass_settings(runner: WorkflowRunner | None) -> WorkflowRunner | None:
    """What temporalio's OpenTelemetry plugin does with its own module: a copy of the sandboxed
    runner with one more module passed through."""
    if isinstance(runner, SandboxedWorkflowRunner):
        restrictions = runner.restrictions.with_passthrough_modules(app_settings.__name__)
        return dataclasses.replace(runner, restrictions=restrictions)
    return runner


PASS_SETTINGS = SimplePlugin("pass-settings", workflow_runner=_pass_settings)
ADD_HELLO_ONE = SimplePlugin("add-hello-one", workflows=[HelloOne], workflow_runner=_pass_settings)
"""A plugin that registers ``HelloOne`` (as a library's plugin adds its own workflows)."""
