"""``replaycheck export`` on workflow code that loads only as its worker loads it, and
``export()`` from Python, whose errors name its arguments where the command's name options.

``tests/workflows/many_hellos.py`` imports the app's settings at module level, which the sandbox
refuses unless ``tests.workflows.app_settings`` is passed through: by ``--passthrough-module``, by
the worker's runner (``--workflow-runner``) or by a plugin (``--plugin``). The module's namespace
on the dev server holds one completed ``HelloOne`` execution, run by such a worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import REPO
from tests.test_export import Cluster, fresh_namespace, invoke
from tests.test_export_default import wait_until_listed, written

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.server

MANY = "tests.workflows.many_hellos"
SELECTING = (
    "selecting WorkflowType IN ('HelloFour', 'HelloOne', 'HelloThree', 'HelloTwo', "
    "'SayHelloWorkflow') (the types of the configured workflows); pass --query to choose\n"
)


async def run_hello_one(address: str, namespace: str) -> None:
    """One completed ``HelloOne``, run by a worker that passes the settings through."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows.many_hellos import PASS_SETTINGS, HelloOne

    client = await Client.connect(address, namespace=namespace)
    queue = "export-loading"
    async with Worker(client, task_queue=queue, workflows=[HelloOne], plugins=[PASS_SETTINGS]):
        await client.execute_workflow(HelloOne.run, id="hello-one", task_queue=queue)


@pytest.fixture(scope="module")
def hello(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop
) -> Iterator[Cluster]:
    """The module's namespace, with its one ``HelloOne`` execution listed."""
    namespace = fresh_namespace(dev_server, server_loop, "export-loading")
    address = dev_server.client.service_client.config.target_host
    server_loop.run_until_complete(run_hello_one(address, namespace))
    server_loop.run_until_complete(wait_until_listed(address, namespace, total=1, closed=1))
    yield Cluster(address, namespace, {})


@pytest.mark.parametrize(
    "loading",
    [
        ["--passthrough-module", "tests.workflows.app_settings"],
        ["--workflow-runner", "tests.workflows.app_worker:workflow_runner"],
        ["--plugin", f"{MANY}:PASS_SETTINGS"],
        [],  # plugins = [...] under [tool.replaycheck]
    ],
    ids=["passthrough-module", "workflow-runner", "plugin", "pyproject"],
)
def test_the_default_selection_loads_the_code_as_the_worker_does(
    hello: Cluster, tmp_path: Path, loading: list[str]
) -> None:
    if loading:
        result = invoke("export", *hello.args(), "-o", tmp_path, "-w", MANY, *loading)
    else:
        (tmp_path / "pyproject.toml").write_text(
            "[tool.replaycheck]\n"
            f'workflows = ["{MANY}"]\n'
            f"pythonpath = [{str(REPO)!r}]\n"
            f'plugins = ["{MANY}:PASS_SETTINGS"]\n'
        )
        result = invoke("export", *hello.args(), "-o", tmp_path / "out", cwd=tmp_path)
        tmp_path = tmp_path / "out"
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(SELECTING)
    assert written(tmp_path) == {"HelloOne/hello-one.json"}


def test_a_workflow_a_plugin_registers_is_exported_and_checked(
    hello: Cluster, tmp_path: Path
) -> None:
    code = ["-w", "tests.workflows.steps", "--plugin", f"{MANY}:ADD_HELLO_ONE"]
    result = invoke("export", *hello.args(), "-o", tmp_path, *code)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "selecting WorkflowType IN ('HelloOne', 'Steps') (the types of the configured "
        "workflows); pass --query to choose\n"
    )
    assert written(tmp_path) == {"HelloOne/hello-one.json"}
    checked = invoke("check", tmp_path, *code)
    assert checked.exit_code == 0, checked.output
    assert "1 history: 1 ok" in checked.stdout


def test_with_a_query_the_worker_options_load_nothing(hello: Cluster, tmp_path: Path) -> None:
    # None of these exists: a replay worker started to load them would fail the export.
    result = invoke("export", *hello.args(), "-o", tmp_path, "-q", "WorkflowType='HelloOne'",
                    "--plugin", "nosuch.plugins:plugin", "--passthrough-module", "nosuch",
                    "--workflow-runner", "nosuch.runner:runner")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "selecting" not in result.stderr
    assert written(tmp_path) == {"HelloOne/hello-one.json"}


def test_export_from_python_needs_a_selection_and_configured_selection_gives_one(
    hello: Cluster, tmp_path: Path
) -> None:
    from replaycheck import ConfigError, load_settings
    from replaycheck.connection import ConnectionOptions, resolve
    from replaycheck.export import ExportOptions, Selection, configured_selection, export

    connection = resolve(ConnectionOptions(address=hello.address, namespace=hello.namespace))
    options = ExportOptions(tmp_path)
    with pytest.raises(ConfigError) as refused:
        export(connection, Selection(), options)
    assert str(refused.value) == (
        "export() was given no query and no workflow ids: pass "
        "Selection(query=\"WorkflowType='MyWorkflow'\") or Selection(workflow_ids=(ID, ...)), "
        "or configured_selection(load_settings(), Selection()) for every execution of the "
        "configured workflows' types."
    )
    assert not tmp_path.joinpath(".replaycheck-export.lock").exists()
    # The way the message names, as docs/export.md shows it.
    settings = load_settings(REPO).override(workflows=[MANY], plugins=[f"{MANY}:PASS_SETTINGS"])
    result = export(connection, configured_selection(settings, Selection()), options)
    assert [p.relative_to(tmp_path).as_posix() for p in result.written] == [
        "HelloOne/hello-one.json"
    ]


def test_the_default_selection_loads_unsandboxed_code_with_no_sandbox(
    hello: Cluster, tmp_path: Path
) -> None:
    # The module's settings import is refused in the sandbox; a worker running it unsandboxed
    # (as check --no-sandbox replays it) loads it as it is.
    refused = invoke("export", *hello.args(), "-o", tmp_path, "-w", MANY)
    assert refused.exit_code == 2, refused.output
    result = invoke("export", *hello.args(), "-o", tmp_path, "-w", MANY, "--no-sandbox")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(SELECTING)
    assert written(tmp_path) == {"HelloOne/hello-one.json"}
    checked = invoke("check", tmp_path, "-w", MANY, "--no-sandbox")
    assert checked.exit_code == 0, checked.output


def test_a_plugin_that_adds_workflows_is_enough_for_the_default_selection(
    hello: Cluster, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(  # no workflows: the plugin registers HelloOne
        f"[tool.replaycheck]\npythonpath = [{str(REPO)!r}]\nplugins = [\"{MANY}:ADD_HELLO_ONE\"]\n"
    )
    result = invoke("export", *hello.args(), "-o", tmp_path / "out", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "selecting WorkflowType IN ('HelloOne') (the types of the configured workflows); "
        "pass --query to choose\n"
    )
    assert written(tmp_path / "out") == {"HelloOne/hello-one.json"}


def test_export_from_python_names_its_arguments_where_the_command_names_options(
    hello: Cluster, tmp_path: Path
) -> None:
    from replaycheck import ConfigError, NoHistoriesError, load_settings
    from replaycheck.connection import ConnectionOptions, resolve
    from replaycheck.export import ExportOptions, Selection, configured_selection, export

    connection = resolve(ConnectionOptions(address=hello.address, namespace=hello.namespace))
    options = ExportOptions(tmp_path / "out")
    refusals = {
        Selection(workflow_ids=(" ",)): "Selection(workflow_ids=...) holds an empty or blank "
        "workflow id, which selects nothing; pass only workflow ids.",
        Selection("WorkflowType='HelloOne'", ("hello-one",)): "give Selection(query=...) or "
        "Selection(workflow_ids=...), not both: a selection is by query or by workflow ids.",
    }
    for selection, message in refusals.items():
        with pytest.raises(ConfigError) as refused:
            export(connection, selection, options)
        assert str(refused.value) == message
    with pytest.raises(NoHistoriesError) as unmatched:
        export(connection, Selection("WorkflowType='Nope'"), options)
    assert str(unmatched.value) == (
        f"no execution in namespace {hello.namespace!r} matched the query "
        "\"WorkflowType='Nope'\", so nothing was exported; check the query "
        "(Selection(query=...), or the types configured_selection() chose) and the namespace "
        "(ConnectionOptions(namespace=...))."
    )
    (tmp_path / "pyproject.toml").write_text("[tool.replaycheck]\n")  # no workflows
    with pytest.raises(ConfigError) as unconfigured:
        configured_selection(load_settings(tmp_path), Selection())
    assert str(unconfigured.value) == (
        "configured_selection() was given a Selection with no query and no workflow ids, and "
        "settings with no workflows: pass Selection(query=\"WorkflowType='MyWorkflow'\") or "
        "Selection(workflow_ids=(ID, ...)), or settings with workflows "
        "(load_settings().override(workflows=[\"myapp.workflows\"]), or workflows = [...] under "
        "[tool.replaycheck]) for every execution of the types they register."
    )


def test_the_command_names_its_options(hello: Cluster, tmp_path: Path) -> None:
    refusals = {
        ("--workflow-id", " "): "--workflow-id needs a workflow id; an empty or blank one "
        "selects nothing.",
        ("-q", "WorkflowType='HelloOne'", "--workflow-id", "hello-one"): "give either --query "
        "or --workflow-id, not both.",
        ("-q", "WorkflowType='Nope'"): f"no execution in namespace {hello.namespace!r} matched "
        "the query \"WorkflowType='Nope'\", so nothing was exported; check --query and "
        "--namespace.",
    }
    for args, message in refusals.items():
        result = invoke("export", *hello.args(), "-o", tmp_path, *args)
        assert result.exit_code == 2
        assert result.stderr == f"replaycheck: error: {message}\n"
    (tmp_path / "pyproject.toml").write_text("[tool.replaycheck]\n")  # no workflows
    result = invoke("export", *hello.args(), "-o", tmp_path / "out", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: select executions with --query \"WorkflowType='MyWorkflow'\" or "
        "--workflow-id ID, or configure workflows (-w MODULE, or workflows = [...] under "
        "[tool.replaycheck]) to export every execution of the workflow types they register.\n"
    )
