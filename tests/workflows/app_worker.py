"""The sandbox as the app's worker sets it up, and the activity that worker runs.

``workflow_runner = "tests.workflows.app_worker:workflow_runner"`` (or ``:restrictions``) names
it for replaycheck; ``passthrough_modules = ["tests.workflows.app_settings"]`` says the same.
"""

from temporalio import activity
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

restrictions = SandboxRestrictions.default.with_passthrough_modules("tests.workflows.app_settings")
workflow_runner = SandboxedWorkflowRunner(restrictions=restrictions)


@activity.defn(name="say_hello")
async def say_hello(name: str) -> str:
    return f"Hello, {name}!"
