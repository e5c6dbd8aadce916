"""Workflow ids (and types) that differ only in case: export gives them names that stay apart on
the case-insensitive file systems of macOS and Windows, the same names on every run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from replaycheck._history_names import case_marked
from replaycheck.cluster import Execution
from replaycheck.histories import read_history, workflow_id_from_name
from tests.test_export import fresh_namespace, invoke

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

pytest_plugins = ["pytester"]

IDS = ("Order-A", "order-a")


def paths(out: Path, executions: list[Execution]) -> list[Path]:
    """Where one export run puts ``executions``, each asked for twice."""
    from replaycheck._export_files import history_path
    from replaycheck._export_names import CaseNames

    names = CaseNames()
    first = [history_path(out, e, "json", names=names) for e in executions]
    assert [history_path(out, e, "json", names=names) for e in executions] == first
    return first


def test_names_that_differ_only_in_case_stay_apart_and_keep_their_names(tmp_path: Path) -> None:
    executions = [Execution(wid, "", kind, "COMPLETED") for kind in ("Orders", "orders")
                  for wid in IDS]  # fmt: skip
    first = paths(tmp_path, executions)
    assert len({p.relative_to(tmp_path).as_posix().lower() for p in first}) == 4
    # The first of each keeps its name; the id inside the file is the one the name implies.
    assert first[0].relative_to(tmp_path).as_posix() == "Orders/Order-A.json"
    assert [workflow_id_from_name(p.name) for p in first] == [*IDS, *IDS]
    for path in first:
        path.parent.mkdir(exist_ok=True)
        path.write_text("{}")
    # A later run, which lists them the other way round, gives each the name it has.
    assert paths(tmp_path, executions[::-1]) == first[::-1]


def test_a_sibling_that_comes_later_gets_the_marked_name(tmp_path: Path) -> None:
    upper, lower = (Execution(wid, "", "Orders", "COMPLETED") for wid in IDS)
    (there,) = paths(tmp_path, [upper])
    assert there.name == "Order-A.json"
    there.parent.mkdir()
    there.write_text("{}")
    later = paths(tmp_path, [lower, upper])
    assert later[1] == there and later[0].name.lower() != there.name.lower()
    assert later[0].name.startswith("order-a~")
    # Once written, the marked name is kept even if its sibling goes.
    later[0].write_text("{}")
    there.unlink()
    assert paths(tmp_path, [lower]) == later[:1]
    # Both unmarked already there (an earlier version's export on Linux): all but the first
    # are renamed, in every format, and keep what they hold.
    old = tmp_path / "old"
    (old / "Orders").mkdir(parents=True)
    for name in ("order-a.json", "order-a.binpb", "Order-A.json"):
        (old / "Orders" / name).write_text(name)
    marked = case_marked("order-a")
    assert [p.name for p in paths(old, [lower, upper])] == [f"{marked}.json", "Order-A.json"]
    assert sorted(p.name for p in (old / "Orders").iterdir()) == [
        "Order-A.json",
        f"{marked}.binpb",
        f"{marked}.json",
    ]
    assert (old / "Orders" / f"{marked}.binpb").read_text() == "order-a.binpb"
    # Only a real mark is taken off: an id that merely ends like one keeps its ending.
    assert workflow_id_from_name("order-a~0123abcd.json") == "order-a~0123abcd"


@pytest.mark.server
def test_ids_that_differ_only_in_case_export_to_two_files_on_every_run(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    namespace = fresh_namespace(dev_server, server_loop, "case")
    address = dev_server.client.service_client.config.target_host
    server_loop.run_until_complete(run_steps(address, namespace))
    where = ["--address", address, "--namespace", namespace, "-o", tmp_path]
    # The sibling comes in a later run: the file already there keeps its name.
    first = invoke("export", "--workflow-id", IDS[0], *where)
    assert first.exit_code == 0, first.output
    assert [p.name for p in tmp_path.rglob("*.json")] == ["Order-A.json"]
    both = invoke("export", "-q", "WorkflowType='Steps'", *where)
    assert both.exit_code == 0, both.output
    assert "exported 1 history to " in both.stderr
    files = sorted(tmp_path.rglob("*.json"))
    assert len({p.name.lower() for p in files}) == 2  # two files on macOS and Windows too
    assert {p.name for p in files} == {"Order-A.json", case_marked("order-a") + ".json"}
    assert sorted(read_history(p).info.workflow_id for p in files) == sorted(IDS)
    shown = invoke("inspect", tmp_path / "Steps" / (case_marked("order-a") + ".json"))
    assert [line.split() for line in shown.stdout.splitlines() if "workflow id" in line] == [
        ["workflow", "id", "order-a"]
    ]
    again = invoke("export", "-q", "WorkflowType='Steps'", *where)
    assert "exported 0 histories to " in again.stderr
    assert "2 already there" in again.stderr
    assert sorted(tmp_path.rglob("*.json")) == files
    # A directory an earlier version exported on Linux holds both unmarked: the second is
    # renamed, said so, and found there.
    marked = tmp_path / "Steps" / (case_marked("order-a") + ".json")
    marked.rename(marked.with_name("order-a.json"))
    repaired = invoke("export", "-q", "WorkflowType='Steps'", *where)
    assert "exported 0 histories to " in repaired.stderr
    assert "(1 file there whose name differed from another's only in case" in repaired.stderr
    assert "2 already there" in repaired.stderr
    assert sorted(tmp_path.rglob("*.json")) == files
    check = invoke("check", "-w", "tests.workflows.steps", "--format", "json", tmp_path)
    assert check.exit_code == 0, check.stdout
    results = json.loads(check.stdout)["results"]
    assert sorted((r["workflow_id"], r["verdict"]) for r in results) == [
        (wid, "ok") for wid in sorted(IDS)
    ]


async def run_steps(address: str, namespace: str) -> None:
    """One short ``Steps`` execution of each of :data:`IDS`, completed."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows.steps import TASK_QUEUE, StepsWorkflow, step

    client = await Client.connect(address, namespace=namespace)
    async with Worker(client, task_queue=TASK_QUEUE, workflows=[StepsWorkflow], activities=[step]):
        for wid in IDS:
            await client.execute_workflow(StepsWorkflow.run, 1, id=wid, task_queue=TASK_QUEUE)


def test_a_caller_of_history_path_says_whether_names_stay_apart(tmp_path: Path) -> None:
    # Names apart where case does not count need the export's CaseNames: history_path takes
    # no default for it, so no caller that writes files can leave it out unawares.
    from replaycheck._export_names import CaseNames
    from replaycheck.export import history_path

    (tmp_path / "Orders").mkdir()
    (tmp_path / "Orders" / "Order-A.json").write_text("{}")
    lower = Execution("order-a", "", "Orders", "COMPLETED")
    with pytest.raises(TypeError, match="names"):
        history_path(tmp_path, lower, "json")  # type: ignore[call-arg]
    assert history_path(tmp_path, lower, "json", names=None).name == "order-a.json"
    apart = history_path(tmp_path, lower, "json", names=CaseNames())
    assert apart.name == f"{case_marked('order-a')}.json"


def test_a_marked_files_test_id_is_its_name_and_k_selects_it_by_its_mark(
    pytester: pytest.Pytester,
) -> None:
    # The plugin's test id of a marked file is its path, mark included (the same on every
    # run: the mark is the exact spelling's); -k refuses '~', and takes the mark's digits.
    import shutil

    from tests.conftest import REPO
    from tests.test_plugin import configure

    recorded = REPO / "tests" / "fixtures" / "package" / "SkipInBaseMethod"
    directory = pytester.path / "hist" / "SkipInBaseMethod"
    directory.mkdir(parents=True)
    stem = "change-SkipInBaseMethod"
    first, marked = f"C{stem[1:]}", case_marked(stem)  # as export names the second
    for name in (first, marked):
        shutil.copy(recorded / f"{stem}.json", directory / f"{name}.json")
    configure(pytester, "tests.workflows.package_v1.workflows", "hist")

    def ids(*args: str) -> list[str]:
        result = pytester.runpytest("--co", "-q", *args)
        return [line for line in result.outlines if "::" in line]

    item = f"hist/SkipInBaseMethod/{marked}.json::replay"
    assert ids() == [f"hist/SkipInBaseMethod/{first}.json::replay", item]
    assert ids("-k", marked.rpartition("~")[2]) == [item]
    assert len(ids("-k", stem)) == 2  # -k matches without case: both
