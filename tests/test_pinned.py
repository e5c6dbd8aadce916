"""Worker Versioning: executions pinned to a deployment version are marked in every report.

Histories come from the session's dev server (``tests/workflows/record_pinned.py``): a versioned
worker ran ``tests.workflows.pinned``; ``tests.workflows.pinned_v2`` breaks every one of them.
A pinned execution's verdict stays the raw Replayer's; what it means for a deploy is told.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from replaycheck.cli import main
from tests.conftest import REPO
from tests.raw_replay import MARK

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.server
pytest_plugins = ["pytester"]

V1 = "tests.workflows.pinned"
V2 = "tests.workflows.pinned_v2"
VERSION = "replaycheck-pinned:v1"
PINNED = {"pinned-running", "pinned-completed", "upgrading-pinned", "pinned-unset"}
"""Pinned by the workers that ran them, or by an override (``upgrading-pinned``); the workers'
behavior counts again once an override is unset (``pinned-unset``)."""
NOT_PINNED = {"upgrading-running", "pinned-moved"}
"""Auto-upgrade, or moved off its version by an auto-upgrade override (``pinned-moved``)."""
HEAD = f"pinned: this execution is pinned to deployment version {VERSION}: new code shipped as"


def run(*args: str) -> Result:
    """``replaycheck check ARGS`` at the repository root."""
    old = Path.cwd()
    os.chdir(REPO)
    try:
        return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def by_id(result: Result) -> dict[str, dict[str, object]]:
    return {str(r["workflow_id"]): r for r in json.loads(result.stdout)["results"]}


def blocks(text: str) -> dict[str, str]:
    """The text report's block of each failing history, by workflow id (its file's stem)."""
    body = text.split("\n\n")[0]
    found: dict[str, str] = {}
    for block in re.split(r"^FAIL  ", body, flags=re.M)[1:]:
        first, _, rest = block.partition("\n")
        found[Path(first.strip()).stem] = rest
    return found


def test_the_failure_of_a_pinned_execution_says_so(pinned_histories: Path) -> None:
    result = run("-w", V2, str(pinned_histories))
    assert result.exit_code == 1  # the verdicts stand
    shown = blocks(result.stdout)
    assert set(shown) == PINNED | NOT_PINNED
    for workflow_id in PINNED:
        assert HEAD in shown[workflow_id], workflow_id
    # A running one is moved by update-options; a closed one only by a reset (the server
    # refuses update-options on it: "workflow execution already completed").
    for workflow_id in PINNED - {"pinned-completed"}:
        assert "(temporal workflow update-options --versioning-override-behavior" in (
            shown[workflow_id]
        ), workflow_id
    completed = shown["pinned-completed"]
    assert "workflow update-options" not in completed
    assert (
        "or a reset moves the execution to the new version (temporal workflow reset "
        "with-workflow-update-options --versioning-override-behavior auto_upgrade, or pinned to "
        "it; update-options refuses a closed execution)"
    ) in " ".join(completed.split())
    for workflow_id in NOT_PINNED:
        assert "pinned:" not in shown[workflow_id], workflow_id
    assert (
        f"4 failing histories are of executions pinned to a deployment version (4 on {VERSION}): "
        "new code shipped as a new version never replays them"
    ) in result.stdout
    assert (
        "--query \"... AND (TemporalWorkflowVersioningBehavior IS NULL OR "
        "TemporalWorkflowVersioningBehavior != 'Pinned')\")."
    ) in result.stdout


def test_json_names_the_version_and_verdicts_match_the_raw_replayer(
    pinned_histories: Path,
) -> None:
    result = run("-w", V2, "--format", "json", str(pinned_histories))
    found = by_id(result)
    assert {i: r["pinned"] for i, r in found.items()} == {
        **dict.fromkeys(PINNED, VERSION), **dict.fromkeys(NOT_PINNED, ""),
    }  # fmt: skip
    paths = sorted(str(p) for p in pinned_histories.glob("*.json"))
    done = subprocess.run(
        [sys.executable, str(REPO / "tests" / "raw_replay.py"), V2, *paths],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    (line,) = [x for x in done.stdout.splitlines() if x.startswith(MARK)]
    raw = json.loads(line.removeprefix(MARK))[V2]
    assert {Path(p).stem: r["verdict"] for p, r in raw.items()} == {
        i: r["verdict"] for i, r in found.items()
    }
    assert {r["verdict"] for r in raw.values()} == {"nondeterministic"}


def test_ok_verdicts_junit_and_github_mark_pinned_executions(
    pinned_histories: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok = run("-w", V1, str(pinned_histories / "pinned-running.json"))
    assert ok.exit_code == 0
    assert ok.stdout.splitlines()[0].endswith(f"(pinned to {VERSION})")
    junit = run("-w", V2, "--format", "junit", str(pinned_histories))
    cases = {
        Path(c.get("name", "")).stem: c for c in ET.fromstring(junit.stdout).iter("testcase")
    }
    for workflow_id, case in cases.items():
        failure = case.find("failure")
        assert failure is not None
        marked = f"(pinned to {VERSION})" in failure.get("message", "")
        assert marked == (workflow_id in PINNED), workflow_id
        assert (HEAD in (failure.text or "")) == (workflow_id in PINNED)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    github = run("-w", V2, "--format", "github", str(pinned_histories))
    annotations = [x for x in github.stdout.splitlines() if x.startswith("::error ")]
    # failures with the same change share an annotation, the pinned ones apart from the others
    marked = [a for a in annotations if f"(pinned to {VERSION})" in a]
    assert {w for w in PINNED | NOT_PINNED if any(f"/{w}.json" in a for a in marked)} == PINNED
    assert "4 failing histories are of executions pinned" in github.stdout
    table = summary.read_text()
    assert "4 failing histories are of executions pinned to a deployment version" in table
    rows = [x for x in table.splitlines() if x.startswith("| FAIL")]
    assert sum(f"(pinned to {VERSION})" in r for r in rows) == len(PINNED)


def test_skip_pinned_leaves_pinned_histories_out(pinned_histories: Path) -> None:
    result = run("-w", V2, "--skip-pinned", "--format", "json", str(pinned_histories))
    assert result.exit_code == 1
    assert set(by_id(result)) == NOT_PINNED
    assert "left out 4 histories of pinned executions (--skip-pinned)" in result.stderr
    only = run("-w", V2, "--skip-pinned", str(pinned_histories / "pinned-running.json"))
    assert only.exit_code == 2
    assert "is of an execution pinned to a deployment version, and --skip-pinned left" in (
        only.stderr
    )


def test_live_check_includes_pinned_executions_marked_unless_skipped(
    pinned_histories: Path, dev_server: WorkflowEnvironment
) -> None:
    # The default selection (running executions of the types): the pinned ones are checked too
    # (this code may be shipped as their version), and marked.
    address = dev_server.client.service_client.config.target_host
    result = run("--live", "-w", V2, "--address", address, "--format", "json")
    assert result.exit_code == 1
    running = PINNED - {"pinned-completed"} | NOT_PINNED
    found = by_id(result)
    assert set(found) == running
    assert {i for i, r in found.items() if r["pinned"] == VERSION} == PINNED & running
    assert "checked 5 live executions" in result.stderr
    skipped = run("--live", "-w", V2, "--address", address, "--format", "json", "--skip-pinned")
    assert skipped.exit_code == 1
    assert set(by_id(skipped)) == NOT_PINNED
    assert "checked 2 live executions" in skipped.stderr
    assert "(3 pinned, left out by --skip-pinned)" in skipped.stderr
    alone = run("--live", "-w", V2, "--address", address, "--workflow-id", "pinned-running",
                "--skip-pinned")  # fmt: skip
    assert alone.exit_code == 2
    assert alone.stderr == (
        "replaycheck: error: 1 execution in namespace 'default' matched the workflow ids, but it "
        "is pinned to a deployment version and --skip-pinned left it out, so nothing was "
        "checked; drop --skip-pinned to check it.\n"
    )


def test_a_pytest_item_of_a_pinned_execution_says_so(
    pinned_histories: Path, pytester: pytest.Pytester
) -> None:
    histories = pytester.path / "histories"
    histories.mkdir()
    (histories / "pinned-running.json").write_bytes(
        (pinned_histories / "pinned-running.json").read_bytes()
    )
    pytester.makefile(
        ".toml",
        pyproject=f"""
            [tool.replaycheck]
            histories = ["histories"]
            workflows = ["{V2}"]
            pythonpath = ["{REPO}"]
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{HEAD}*"])
    result.stdout.fnmatch_lines([
        f"1 failing history is of an execution pinned to a deployment version (1 on {VERSION}): "
        "new code shipped as a new version never replays it, so it matters only if this code "
        "ships as that version or it is moved to the new one; otherwise drop it from the "
        "histories checked*",
    ])  # fmt: skip


def test_inspect_names_the_version_a_history_is_pinned_to(pinned_histories: Path) -> None:
    pinned = CliRunner().invoke(main, ["inspect", str(pinned_histories / "upgrading-pinned.json")])
    assert f"  pinned to      {VERSION}" in pinned.stdout.splitlines()
    moved = CliRunner().invoke(main, ["inspect", str(pinned_histories / "pinned-moved.json")])
    assert "pinned to" not in moved.stdout


def test_the_severity_of_a_running_pinned_execution_says_when_it_breaks(
    pinned_histories: Path,
) -> None:
    result = run("-w", V2, str(pinned_histories))
    shown = blocks(result.stdout)
    pinned = (
        "severity: breaks this in-flight execution only if this code ships as its version "
        f"{VERSION} or it is moved to the new version"
    )
    for workflow_id in PINNED - {"pinned-completed"}:
        assert pinned in shown[workflow_id], workflow_id
        assert "breaks in-flight executions" not in shown[workflow_id], workflow_id
    for workflow_id in NOT_PINNED:
        assert "severity: breaks in-flight executions" in shown[workflow_id], workflow_id
        assert "in-flight execution only" not in shown[workflow_id], workflow_id
    found = by_id(run("-w", V2, "--format", "json", str(pinned_histories)))
    severities = {i: r["diagnosis"]["severity"] for i, r in found.items()}  # type: ignore[index]
    assert severities["upgrading-pinned"] == pinned.removeprefix("severity: ")
    assert severities["upgrading-running"] == "breaks in-flight executions"


def test_the_severity_of_a_closed_pinned_execution_says_queries_and_resets_go_to_its_version(
    pinned_histories: Path,
) -> None:
    # The server sends a closed pinned execution's queries to its version's workers, and a
    # reset keeps the new run on it unless the reset moves it: neither replays it on new code
    # shipped as a new version.
    closed = (
        "breaks queries and resets of this closed execution only if this code ships as its "
        f"version {VERSION}: queries go to {VERSION}'s workers, and so does a reset (it stays "
        "pinned) unless it moves the execution to the new version (temporal workflow reset "
        "with-workflow-update-options --versioning-override-...)"
    )
    text = blocks(run("-w", V2, str(pinned_histories)).stdout)["pinned-completed"]
    assert f"severity: {closed}" in text
    assert "resets of closed executions" not in text
    found = by_id(run("-w", V2, "--format", "json", str(pinned_histories)))
    assert found["pinned-completed"]["diagnosis"]["severity"] == closed  # type: ignore[index]
    assert found["pinned-completed"]["verdict"] == "nondeterministic"  # the verdict stands
