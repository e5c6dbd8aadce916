"""``replaycheck export`` with no ``--query`` and no ``--workflow-id``: the executions of the
workflow types the configured workflows register, against the real dev server.

The module's namespace holds two ``TenantProvisioning`` executions (one waiting for approval,
one completed with its ``NotifyTenant`` child), the types ``examples.provisioning.workflows``
(the repository's ``[tool.replaycheck] workflows``) registers, and two executions of an
unrelated type, ``Steps``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import REPO
from tests.test_export import Cluster, fresh_namespace, invoke, populate_patched, terminate_running

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.server

CONFIGURED = {
    "TenantProvisioning/patched-await.json",
    "TenantProvisioning/patched-complete.json",
    "NotifyTenant/patched-complete-notify.json",
}
"""The namespace's executions of the types ``examples.provisioning.workflows`` registers."""
UNRELATED = {"Steps/steps-0.json", "Steps/steps-1.json"}
SELECTING = (
    "selecting WorkflowType IN ('NotifyTenant', 'TenantProvisioning') (the types of the "
    "configured workflows); pass --query to choose\n"
)


async def run_steps(address: str, namespace: str) -> None:
    """Two completed executions of ``Steps``, a type the configured workflows do not have."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows.steps import TASK_QUEUE, StepsWorkflow, step

    client = await Client.connect(address, namespace=namespace)
    async with Worker(client, task_queue=TASK_QUEUE, workflows=[StepsWorkflow], activities=[step]):
        for index in range(2):
            await client.execute_workflow(
                StepsWorkflow.run, 1, id=f"steps-{index}", task_queue=TASK_QUEUE
            )


async def wait_until_listed(address: str, namespace: str, total: int, closed: int) -> None:
    """Wait until visibility lists ``total`` executions, ``closed`` of them closed: it is updated
    after the history, so a run that just completed may not be listed (or listed closed) yet."""
    from temporalio.client import Client

    from scripts.record_fixtures import bounded

    client = await Client.connect(address, namespace=namespace)

    async def listed() -> None:
        while True:
            every = (await client.count_workflows()).count
            done = (await client.count_workflows("ExecutionStatus != 'Running'")).count
            if (every, done) == (total, closed):
                return
            await asyncio.sleep(0.1)

    await bounded(listed(), f"visibility to list {total} executions")


@pytest.fixture(scope="module")
def mixed(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop
) -> Iterator[Cluster]:
    """The module's namespace: executions of the configured types and of ``Steps``."""
    namespace = fresh_namespace(dev_server, server_loop, "default-selection")
    address = dev_server.client.service_client.config.target_host
    server_loop.run_until_complete(
        populate_patched(dev_server, namespace, "patched-await", "patched-complete")
    )
    server_loop.run_until_complete(run_steps(address, namespace))
    server_loop.run_until_complete(wait_until_listed(address, namespace, total=5, closed=4))
    yield Cluster(address, namespace, {})
    server_loop.run_until_complete(terminate_running(dev_server, namespace))


def written(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*.json")}


def test_export_without_a_selection_exports_the_configured_types(
    mixed: Cluster, tmp_path: Path
) -> None:
    result = invoke("export", *mixed.args(), "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(SELECTING)
    assert "exported 3 histories to " in result.stderr
    assert written(tmp_path) == CONFIGURED
    # Each file's provenance holds the query used.
    provenance = json.loads((tmp_path / "NotifyTenant/patched-complete-notify.json").read_text())
    assert provenance["replaycheck"]["query"] == (
        "WorkflowType IN ('NotifyTenant', 'TenantProvisioning')"
    )


def test_w_chooses_the_types_and_one_without_executions_exports_nothing_for_it(
    mixed: Cluster, tmp_path: Path
) -> None:
    result = invoke("export", *mixed.args(), "-o", tmp_path,
                    "-w", "tests.workflows.steps", "-w", "tests.workflows.sayhello")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "selecting WorkflowType IN ('SayHelloWorkflow', 'Steps') (the types of the configured "
        "workflows); pass --query to choose\n"
    )
    assert written(tmp_path) == UNRELATED


def test_limit_applies_to_the_default_selection(mixed: Cluster, tmp_path: Path) -> None:
    result = invoke("export", *mixed.args(), "-o", tmp_path, "--limit", "2")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(SELECTING)
    assert "exported 2 histories to " in result.stderr
    assert len(written(tmp_path)) == 2
    assert written(tmp_path) < CONFIGURED


def test_without_a_selection_or_workflows_the_error_names_both_ways_out(tmp_path: Path) -> None:
    result = invoke("export", "--address", "127.0.0.1:1", "-o", tmp_path / "out", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "replaycheck: error: select executions with --query \"WorkflowType='MyWorkflow'\" or "
        "--workflow-id ID, or configure workflows (-w MODULE, or workflows = [...] under "
        "[tool.replaycheck]) to export every execution of the workflow types they register.\n"
    )


def test_w_with_a_query_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("export", "-q", "WorkflowType='Steps'", "-w", "tests.workflows.steps",
                    "--address", "127.0.0.1:1", "-o", tmp_path)  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: -w selects the workflow types to export when there is no --query "
        "and no --workflow-id; drop -w, or put the types in the query.\n"
    )


def test_a_dynamic_workflow_needs_a_query(tmp_path: Path) -> None:
    result = invoke("export", "-w", "tests.workflows.dynamic_gate", "--address", "127.0.0.1:1",
                    "-o", tmp_path)  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: the code registers a dynamic workflow, which may serve any workflow "
        "type: select the executions to read with --query \"WorkflowType='MyWorkflow'\".\n"
    )


def test_a_dynamic_workflow_from_python_names_selections_query(tmp_path: Path) -> None:
    # configured_selection() and patches.collect_live() from Python said "--query", an option
    # their caller does not have.
    from replaycheck import ConfigError, load_settings
    from replaycheck.connection import ConnectionOptions, resolve
    from replaycheck.export import Selection, configured_selection
    from replaycheck.patches import collect_live

    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycheck]\nworkflows = ["tests.workflows.dynamic_gate"]\n'
        f'pythonpath = ["{REPO}"]\n'
    )
    settings = load_settings(tmp_path)
    connection = resolve(ConnectionOptions(address="127.0.0.1:1"))  # never reached
    for select in (
        lambda: configured_selection(settings, Selection()),
        lambda: collect_live(settings, connection, Selection()),
    ):
        with pytest.raises(ConfigError) as refused:
            select()
        assert str(refused.value) == (
            "the code registers a dynamic workflow, which may serve any workflow type: select "
            "the executions to read with Selection(query=\"WorkflowType='MyWorkflow'\")."
        )


def test_a_namespace_without_executions_of_the_types_is_an_error_naming_the_query(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    namespace = fresh_namespace(dev_server, server_loop, "empty")
    address = dev_server.client.service_client.config.target_host
    result = invoke("export", "--address", address, "--namespace", namespace, "-o", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == SELECTING + (
        f"replaycheck: error: no execution in namespace {namespace!r} matched the query "
        "\"WorkflowType IN ('NotifyTenant', 'TenantProvisioning')\" (the types of the configured "
        "workflows), so nothing was exported; check --namespace, or choose the executions with "
        "--query.\n"
    )


def test_the_converter_and_interceptors_are_not_loaded_to_name_the_types(
    mixed: Cluster, tmp_path: Path
) -> None:
    # A nightly export job need not hold what only a replay needs (a codec's key, say).
    (tmp_path / "pyproject.toml").write_text(
        "[tool.replaycheck]\n"
        'workflows = ["examples.provisioning.workflows"]\n'
        f"pythonpath = [{str(REPO)!r}]\n"
        'data_converter = "nosuch.codec:data_converter"\n'
        'interceptors = ["nosuch.intercept:Interceptor"]\n'
    )
    result = invoke("export", *mixed.args(), "-o", tmp_path / "out", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(SELECTING)
    assert written(tmp_path / "out") == CONFIGURED
