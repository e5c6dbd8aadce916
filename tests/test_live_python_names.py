"""A live check called from Python (``live.check_live``, ``patches.collect_live``) that checks
nothing names the arguments its caller has (``Selection(query=...)``,
``ConnectionOptions(namespace=...)``, ``skip_pinned=True``), never the command's options
(``--query``, ``--namespace``, ``--skip-pinned``), which ``replaycheck check --live`` keeps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from replaycheck.cli import main
from replaycheck.connection import ConnectionOptions, resolve
from replaycheck.errors import NoHistoriesError
from replaycheck.export import Selection
from replaycheck.live import check_live
from replaycheck.replay import ReplayJob
from tests.conftest import REPO

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.server

OPTIONS = ("--query", "--namespace", "--skip-pinned")
NOPE = "WorkflowType='NoSuchType'"


def address(dev_server: WorkflowEnvironment) -> str:
    return dev_server.client.service_client.config.target_host


def job(workflows: str) -> ReplayJob:
    return ReplayJob(paths=(), workflows=(workflows,), import_paths=(str(REPO),))


def refusal(call: object) -> str:
    with pytest.raises(NoHistoriesError) as refused:
        call()  # type: ignore[operator]
    said = str(refused.value)
    assert not any(option in said for option in OPTIONS), said
    return said


def test_a_query_matching_nothing_names_selection_and_connection_options(
    dev_server: WorkflowEnvironment,
) -> None:
    from replaycheck import load_settings
    from replaycheck.patches import collect_live

    connection = resolve(ConnectionOptions(address=address(dev_server)))
    settings = load_settings(REPO).override(workflows=["tests.workflows.sayhello"])
    for call in (
        lambda: check_live(job("tests.workflows.sayhello"), connection, Selection(NOPE)),
        lambda: collect_live(settings, connection, Selection(NOPE)),
    ):
        assert refusal(call) == (
            f"no execution in namespace 'default' matched the query {NOPE!r}, so nothing was "
            "checked; widen the query (Selection(query=...)) or check the namespace "
            "(ConnectionOptions(namespace=...))."
        )


def test_skip_pinned_leaving_everything_out_names_the_argument(
    pinned_histories: Path, dev_server: WorkflowEnvironment
) -> None:
    connection = resolve(ConnectionOptions(address=address(dev_server)))
    selection = Selection(workflow_ids=("pinned-running",))
    call = lambda: check_live(  # noqa: E731
        job("tests.workflows.pinned_v2"), connection, selection, skip_pinned=True
    )
    assert refusal(call) == (
        "1 execution in namespace 'default' matched the workflow ids, but it is pinned to a "
        "deployment version and skip_pinned=True left it out, so nothing was checked; call "
        "again without skip_pinned=True to check it."
    )


def test_a_workflow_id_not_found_names_the_namespace_as_the_caller_gives_it(
    dev_server: WorkflowEnvironment,
) -> None:
    connection = resolve(ConnectionOptions(address=address(dev_server)))
    selection = Selection(workflow_ids=("no-such-id",))
    verdicts, _ = check_live(job("tests.workflows.sayhello"), connection, selection)
    assert [v.message for v in verdicts] == [
        "workflow 'no-such-id' was not found; check the id and ConnectionOptions(namespace=...)"
    ]


def test_the_command_still_names_its_options(dev_server: WorkflowEnvironment) -> None:
    old = Path.cwd()
    os.chdir(REPO)
    try:
        args = ["check", "--live", "-w", "tests.workflows.sayhello", "-q", NOPE]
        result = CliRunner().invoke(main, [*args, "--address", address(dev_server)])
    finally:
        os.chdir(old)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "so nothing was checked; widen --query or check --namespace.\n"
    ), result.stderr
