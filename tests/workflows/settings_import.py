"""SayHelloWorkflow in a module that imports the app's settings at module level.

Its code is SayHelloWorkflow's (it replays the shared ``worker__test_replayer_*`` histories);
only the import differs, and the sandbox refuses it unless ``tests.workflows.app_settings`` is
passed through.
"""

from datetime import timedelta

from temporalio import workflow

from tests.workflows import app_settings
from tests.workflows.sayhello import SayHelloParams


@workflow.defn(name="SayHelloWorkflow")
class SettingsSayHello:
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


@workflow.defn(name="SettingsGreeting")
class SettingsGreeting:
    """Greets through the app's ``say_hello`` activity (for ``generate``: any name will do)."""

    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            "say_hello", name, schedule_to_close_timeout=timedelta(seconds=10)
        )
