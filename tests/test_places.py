"""Reports name a source file by its base name only when that names it alone.

A project whose workflows live in a package (``shop/workflows/__init__.py``) or in two
subpackages with same-named modules (``shop/billing/workflows.py`` and
``shop/shipping/workflows.py``, each with a ``shared.py``) reads its places by path; a file
whose name no other shares keeps its short name. The histories are the public SayHelloWorkflow
ones, replayed by workflow classes of that name that now sleep before the activity.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from replaycheck._places import place_file
from tests.conftest import COMPLETE

pytest_plugins = ["pytester"]

HEADER = """\
from datetime import timedelta
from typing import Any

from temporalio import workflow
"""
RUN = """

@workflow.defn(name="SayHelloWorkflow")
class SayHello:
    @workflow.run
    async def run(self, params: dict[str, Any]) -> str:
        {first}
        return await workflow.execute_activity(
            "say_hello", params["name"], schedule_to_close_timeout=timedelta(seconds=10)
        )
"""
PACKAGE_WORKFLOW = HEADER + RUN.format(first="await workflow.sleep(1)")
SHARED = """\
from temporalio import workflow


async def prepare() -> None:
    await workflow.sleep(1)
"""


def _subpackage_workflow(name: str) -> str:
    return f"{HEADER}\nfrom shop.{name} import shared\n" + RUN.format(
        first="await shared.prepare()"
    )


def line_of(text: str, statement: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if statement in line)


WORKFLOW_LINE = line_of(PACKAGE_WORKFLOW, "workflow.sleep(1)")
PREPARE_LINE = line_of(SHARED, "workflow.sleep(1)")
CALL_LINE = line_of(_subpackage_workflow("billing"), "shared.prepare()")


def make_project(root: Path, *, shipping: bool = True) -> Path:
    """``shop`` with workflows in ``shop/workflows/__init__.py`` and in ``billing`` (and, with
    ``shipping``, a second subpackage of the same module names), and one public history."""
    files = {
        "shop/__init__.py": "",
        "shop/workflows/__init__.py": PACKAGE_WORKFLOW,
        "shop/billing/__init__.py": "",
        "shop/billing/workflows.py": _subpackage_workflow("billing"),
        "shop/billing/shared.py": SHARED,
    }
    if shipping:
        files["shop/shipping/__init__.py"] = ""
        files["shop/shipping/workflows.py"] = _subpackage_workflow("shipping")
        files["shop/shipping/shared.py"] = SHARED
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "histories").mkdir()
    shutil.copy(COMPLETE, root / "histories")
    (root / "pyproject.toml").write_text('[tool.replaycheck]\nhistories = ["histories"]\n')
    return root


def check(root: Path, module: str, *args: str) -> str:
    """``replaycheck check -w MODULE ARGS`` run in ``root``: its output (exit code 1)."""
    done = subprocess.run(
        [sys.executable, "-m", "replaycheck", "check", "-w", module, *args],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout


def test_place_file_keeps_the_base_name_only_where_it_names_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    (tmp_path / "workflows.py").write_text("")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "workflows.py").write_text("")
    (tmp_path / "solo.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert place_file("shop/workflows/__init__.py") == "shop/workflows/__init__.py"
    assert place_file(str(tmp_path / "shop/billing/shared.py")) == "shop/billing/shared.py"
    assert place_file("shop/shipping/workflows.py") == "shop/shipping/workflows.py"
    assert place_file("other/workflows.py") == "other/workflows.py"  # and one at the top
    assert place_file("workflows.py") == "workflows.py"
    assert place_file("solo.py") == "solo.py"
    assert place_file("/elsewhere/pkg/__init__.py") == "pkg/__init__.py"
    assert place_file("/elsewhere/pkg/mod.py") == "mod.py"


def test_text_report_names_a_package_init_by_its_path(tmp_path: Path) -> None:
    out = check(make_project(tmp_path), "shop.workflows")
    at = f"shop/workflows/__init__.py:{WORKFLOW_LINE}"
    assert f"issued at: {at} in run" in out
    assert f"timer (1s)  {at}\n" in out  # the timeline's code column
    assert f"fix: gate the change at {at} in run; " in out
    assert "__init__.py:" not in out.replace(f"shop/workflows/__init__.py:{WORKFLOW_LINE}", "")


def test_text_report_tells_same_named_modules_of_two_subpackages_apart(tmp_path: Path) -> None:
    out = check(make_project(tmp_path), "shop.billing.workflows")
    shared = f"shop/billing/shared.py:{PREPARE_LINE}"
    assert f"issued at: {shared} in prepare" in out
    assert f"called from shop/billing/workflows.py:{CALL_LINE} in run" in out
    assert f"timer (1s)  {shared}\n" in out
    assert f"fix: gate the change at {shared} in prepare; " in out


def test_a_name_no_other_file_shares_stays_short(tmp_path: Path) -> None:
    out = check(make_project(tmp_path, shipping=False), "shop.billing.workflows")
    assert f"issued at: shop/billing/shared.py:{PREPARE_LINE} in prepare" in out  # as ever
    assert f"called from workflows.py:{CALL_LINE} in run" in out
    assert f"timer (1s)  shared.py:{PREPARE_LINE}\n" in out
    assert f"fix: gate the change at shared.py:{PREPARE_LINE} in prepare; " in out


def test_json_junit_and_github_name_the_same_places(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    shared = f"shop/billing/shared.py:{PREPARE_LINE}"
    result = json.loads(check(root, "shop.billing.workflows", "--format", "json"))["results"][0]
    assert [row["at"] for row in result["diagnosis"]["timeline"] if row["at"]] == [shared]
    junit = check(root, "shop.billing.workflows", "--format", "junit")
    assert f"code commanded timer (1s) at {shared} in prepare" in junit
    github = check(root, "shop.billing.workflows", "--format", "github")
    annotation = next(x for x in github.splitlines() if x.startswith("::error"))
    assert f"code commanded timer (1s) at {shared} in prepare" in annotation
    assert f"gate the change at {shared} in prepare" in annotation


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_pytest_failure_and_short_summary_name_the_path(
    pytester: pytest.Pytester, xdist: list[str]
) -> None:
    make_project(pytester.path)
    pytester.makeini("[pytest]\nreplaycheck_workflows = shop.billing.workflows\n")
    result = pytester.runpytest_subprocess("-rf", "-vv", *xdist)
    result.assert_outcomes(failed=1)
    shared = f"shop/billing/shared.py:{PREPARE_LINE}"
    result.stdout.fnmatch_lines(
        [
            f"*timer (1s)  {shared}",
            f"*fix: gate the change at {shared} in prepare; *",
            "*short test summary info*",
            f"FAILED *code commanded timer (1s) at {shared} in prepare*",
        ]
    )
