"""The recorded provisioning histories: replay matrix, re-recording and running executions.

- every history in ``fixtures/histories`` x every code version: replaycheck's verdict equals the
  plain temporalio ``Replayer``'s (run in a subprocess by ``tests/raw_replay.py``), and the matrix
  is the one the example is built to show;
- ``scripts/record_fixtures.py`` records the same files with the same event sequences again
  (real dev server, marked ``server``), and its fresh histories pass ``replaycheck check``;
- the ``dev_server`` fixture runs a gated version 2 execution whose running history replays.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from replaycheck.cli import main
from replaycheck.histories import read_history, write_history
from replaycheck.replay import ReplayJob, replay
from replaycheck.verdict import Verdict
from tests.conftest import FIXTURES, REPO
from tests.raw_replay import MARK

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

V1 = "examples.provisioning.workflows_v1"
GATED = "examples.provisioning.workflows"
UNSAFE = "examples.provisioning.workflows_unsafe"
MODULES = (V1, GATED, UNSAFE)
PATCH_ID = "schema-retry-seed-first"
RECORD_SCRIPT = REPO / "scripts" / "record_fixtures.py"
RAW_REPLAY = REPO / "tests" / "raw_replay.py"

HISTORIES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json"))
"""Every recorded history, relative to ``fixtures/histories``."""

V2_HISTORIES = {
    "TenantProvisioning/prov-v2-cyberdyne-completed.json",
    "TenantProvisioning/prov-v2-tyrell-awaiting-approval.json",
}
"""Executions started by the gated code: they carry the patch marker."""
V1_PAST_SCHEMA = {
    f"TenantProvisioning/prov-{name}.json"
    for name in (
        "acme-completed",
        "globex-completed",
        "initech-schema-retried",
        "stark-cancelled",
        "umbrella-awaiting-approval",
        "wayne-terminated",
    )
}
"""Version 1 executions that scheduled a step after ``create_schema``."""
EXPECTED_FAILURES = {V1: V2_HISTORIES, GATED: set(), UNSAFE: V1_PAST_SCHEMA | V2_HISTORIES}
"""Histories each code version must fail as nondeterministic; it must replay all others."""
RUNNING = {
    "TenantProvisioning/prov-hooli-schema-retrying.json": 5,
    "TenantProvisioning/prov-umbrella-awaiting-approval.json": 27,
    "TenantProvisioning/prov-v2-tyrell-awaiting-approval.json": 35,
}
"""Histories of executions still running when recorded, with their number of events."""


def once_per_session(
    factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """A directory filled by ``make(directory)`` once per test session, even under xdist.

    xdist workers share the session's base temporary directory: the first worker to get here
    runs ``make`` while the others wait on a lock, then all of them read the same directory.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        out = factory.mktemp(name)
        make(out)
        return out
    shared = factory.getbasetemp().parent  # this session's, common to all workers
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = shared / name
        if not (out / ".complete").exists():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            make(out)
            (out / ".complete").touch()
    return out


# --------------------------------------------------------------------------- the replay matrix


def raw_verdicts(modules: Sequence[str]) -> dict[str, dict[str, str]]:
    """``Replayer.replay_workflow`` verdicts of every history under each module (a subprocess)."""
    paths = [str(FIXTURES / name) for name in HISTORIES]
    done = subprocess.run(
        [sys.executable, str(RAW_REPLAY), ",".join(modules), *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    assert done.returncode == 0 and lines, f"raw replay failed:\n{done.stdout}\n{done.stderr}"
    results = json.loads(lines[-1].removeprefix(MARK))
    return {
        module: {Path(p).relative_to(FIXTURES).as_posix(): r["verdict"] for p, r in by_path.items()}
        for module, by_path in results.items()
    }


def replaycheck_verdicts(module: str) -> dict[str, Verdict]:
    """replaycheck's verdicts of every history (``replay`` with worker processes)."""
    job = ReplayJob(
        paths=tuple(str(FIXTURES / name) for name in HISTORIES),
        workflows=(module,),
        import_paths=(str(REPO),),
    )
    return dict(zip(HISTORIES, replay(job), strict=True))


Matrix = dict[str, dict[str, Any]]


def compute_matrix(out: Path) -> None:
    """Replay every history under every module, both ways; write ``out/matrix.json``."""
    with ThreadPoolExecutor(max_workers=len(MODULES) + 1) as pool:
        raw = pool.submit(raw_verdicts, MODULES)
        ours = {m: pool.submit(replaycheck_verdicts, m) for m in MODULES}
        doc = {
            "raw": raw.result(),
            "ours": {
                m: {n: v.to_json_dict() for n, v in f.result().items()} for m, f in ours.items()
            },
        }
    (out / "matrix.json").write_text(json.dumps(doc))


@pytest.fixture(scope="session")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    """``{"raw": {module: {history: verdict}}, "ours": {module: {history: Verdict}}}``."""
    doc = json.loads(
        (once_per_session(tmp_path_factory, "matrix", compute_matrix) / "matrix.json").read_text()
    )
    ours = {
        m: {n: Verdict.from_json_dict(v) for n, v in by_name.items()}
        for m, by_name in doc["ours"].items()
    }
    return {"raw": doc["raw"], "ours": ours}


def test_fixture_set_is_the_expected_one() -> None:
    assert len(HISTORIES) == 14
    assert V2_HISTORIES | V1_PAST_SCHEMA | set(RUNNING) <= set(HISTORIES)
    for name in HISTORIES:
        info = read_history(FIXTURES / name).info
        assert info.patches == ((PATCH_ID,) if name in V2_HISTORIES else ()), name
        if name in RUNNING:
            assert (info.status, info.events) == ("RUNNING", RUNNING[name])
        else:
            assert info.closed, name
    past_schema = {
        name
        for name in HISTORIES
        if name.startswith("TenantProvisioning/")
        and name not in V2_HISTORIES
        and {n.get("activityType") for _, n in shape(FIXTURES / name)["events"]}
        - {None, "create_schema"}
    }
    assert past_schema == V1_PAST_SCHEMA


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.rsplit(".", 1)[-1])
@pytest.mark.parametrize("name", HISTORIES)
def test_verdict_matches_the_plain_replayer(matrix: Matrix, module: str, name: str) -> None:
    ours: Verdict = matrix["ours"][module][name]
    assert ours.verdict == matrix["raw"][module][name], ours.message
    expected = "nondeterministic" if name in EXPECTED_FAILURES[module] else "ok"
    assert ours.verdict == expected, ours.message


def test_matrix_is_not_trivial(matrix: Matrix) -> None:
    cells = [v for by_name in matrix["raw"].values() for v in by_name.values()]
    assert len(cells) == len(HISTORIES) * len(MODULES)
    assert {"ok", "nondeterministic"} <= set(cells)
    assert "error" not in cells


def test_which_histories_each_version_fails(matrix: Matrix) -> None:
    failing = {
        module: {n for n, v in by_name.items() if v != "ok"}
        for module, by_name in matrix["raw"].items()
    }
    assert failing[GATED] == set()  # the gated code replays everything
    assert failing[V1] == V2_HISTORIES  # the old code cannot run the new executions
    assert failing[UNSAFE] == V1_PAST_SCHEMA | V2_HISTORIES
    assert failing == {m: {n for n, v in matrix["ours"][m].items() if not v.ok} for m in MODULES}


def test_failure_messages_name_the_change(matrix: Matrix) -> None:
    unsafe = matrix["ours"][UNSAFE]
    for name in V1_PAST_SCHEMA:
        assert "'run_migrations'" in unsafe[name].message
        assert "'verify_schema'" in unsafe[name].message
    for module in (V1, UNSAFE):
        for name in V2_HISTORIES:
            message = matrix["ours"][module][name].message
            assert f"patch marker encountered for change {PATCH_ID}" in message


# --------------------------------------------------------------------------- re-recording


def shape(path: Path) -> dict[str, Any]:
    """What must not change between recordings: state, event types and what each event names."""
    doc = json.loads(path.read_text())
    events = []
    for event in doc["events"]:
        attributes = next(v for k, v in event.items() if k.endswith("EventAttributes"))
        named = {
            key: value.get("name") if isinstance(value, dict) else value
            for key, value in attributes.items()
            if key in ("activityType", "workflowType", "markerName", "timerId", "signalName")
        }
        events.append((event["eventType"], named))
    return {
        "status": doc["replaycheck"]["status"],
        "patches": read_history(path).info.patches,
        "events": events,
    }


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh recording: ``scripts/record_fixtures.py --out TMP`` (starts its own dev server)."""
    return once_per_session(tmp_path_factory, "recorded", record_into)


def record_into(out: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(RECORD_SCRIPT), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"record_fixtures.py failed:\n{done.stdout}\n{done.stderr}"


@pytest.mark.server
def test_recording_again_gives_the_same_histories(recorded: Path) -> None:
    fresh = sorted(p.relative_to(recorded).as_posix() for p in recorded.rglob("*.json"))
    assert fresh == HISTORIES
    for name in HISTORIES:
        assert shape(recorded / name) == shape(FIXTURES / name), name


def check(*args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    """``replaycheck check --format json ARGS`` at the repository root (gated code)."""
    old = Path.cwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, ["check", "--format", "json", *args])
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    doc = json.loads(result.stdout)
    return result.exit_code, {Path(r["path"]).name: r for r in doc["results"]}


@pytest.mark.server
def test_fresh_recording_replays_under_the_gated_code(recorded: Path) -> None:
    code, results = check(str(recorded))
    assert code == 0
    assert len(results) == len(HISTORIES)
    assert {r["verdict"] for r in results.values()} == {"ok"}
    for name, events in RUNNING.items():
        result = results[Path(name).name]
        assert result["status"] == "RUNNING"
        assert result["events"] == result["verified_through"] == events
        assert f"verified events 1-{events} of {events}" in result["message"]
        assert "still running" in result["message"]
    completed = results["prov-v2-cyberdyne-completed.json"]
    assert completed["status"] == "COMPLETED"
    assert completed["verified_through"] == completed["events"] == 49
    assert completed["message"] == "replayed all 49 events; execution completed"


@pytest.mark.server
def test_fresh_running_v2_history_fails_under_the_unsafe_code(recorded: Path) -> None:
    path = recorded / "TenantProvisioning" / "prov-v2-tyrell-awaiting-approval.json"
    code, results = check("-w", UNSAFE, str(path))
    assert code == 1
    (result,) = results.values()
    assert (result["verdict"], result["status"]) == ("nondeterministic", "RUNNING")
    assert PATCH_ID in result["message"]


# --------------------------------------------------------------------------- the dev_server fixture


async def run_to_approval_wait(env: WorkflowEnvironment, out: Path) -> Path:
    """Run a gated version 2 execution until it waits for approval; write its history."""
    from temporalio.api.enums.v1 import EventType
    from temporalio.worker import Worker

    from examples.provisioning.activities import ALL_ACTIVITIES
    from examples.provisioning.models import AWAITING_APPROVAL, ProvisioningInput
    from examples.provisioning.workflows import NotifyTenantWorkflow, TenantProvisioningWorkflow

    task_queue = f"test-recorded-{uuid.uuid4().hex[:8]}"
    workflow_id = f"prov-v2-fixture-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[TenantProvisioningWorkflow, NotifyTenantWorkflow],
        activities=list(ALL_ACTIVITIES),
    ):
        handle = await env.client.start_workflow(
            TenantProvisioningWorkflow.run,
            ProvisioningInput("fixture"),
            id=workflow_id,
            task_queue=task_queue,
        )

        async def wait() -> None:
            events = []
            async for event in handle.fetch_history_events(wait_new_event=True):
                events.append(event)
                fired = any(e.event_type == EventType.EVENT_TYPE_TIMER_FIRED for e in events)
                if fired and event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                    return

        await asyncio.wait_for(wait(), 30)
        assert await handle.query(TenantProvisioningWorkflow.status) == AWAITING_APPROVAL
        history = await handle.fetch_history()
        await handle.terminate(reason="test done")
    return write_history(out / f"{workflow_id}.json", history.events)


@pytest.fixture
def running_v2_history(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> Iterator[Path]:
    yield server_loop.run_until_complete(run_to_approval_wait(dev_server, tmp_path))


@pytest.mark.server
def test_dev_server_fixture_records_a_running_history(running_v2_history: Path) -> None:
    info = read_history(running_v2_history).info
    assert info.status == "RUNNING"
    assert info.patches == (PATCH_ID,)
    job = ReplayJob(paths=(str(running_v2_history),), workflows=(GATED,), import_paths=(str(REPO),))
    (gated,) = replay(job)
    assert (gated.verdict, gated.status) == ("ok", "RUNNING")
    assert gated.verified_through == gated.events == info.events
    (old,) = replay(ReplayJob(**{**job.to_json_dict(), "workflows": (V1,)}))
    assert old.verdict == "nondeterministic"
