"""``replaycheck patches`` and Worker Versioning: executions pinned to a deployment version.

Histories come from the session's dev server (``tests/workflows/record_pinned.py``, whose
running executions stay there for ``--live``); ``tests.workflows.pinned_gated`` gates the change
of ``PinnedSteps`` with ``patched("audit-first")``, which every recorded execution passed before
it existed (old branch). Pinned ones are marked, can be left out (``--skip-pinned``), and the
verdict's reason says when they are what holds it.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

from replaycheck._patch_facts import PatchCall, PatchFacts
from replaycheck.cli import main
from replaycheck.patches import CallSite, analyze
from replaycheck.verdict import Verdict
from tests.conftest import REPO

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

GATED = "tests.workflows.pinned_gated"
VERSION = "replaycheck-pinned:v1"
OLD_BRANCH = {  # the PinnedSteps executions: each passed the gate before it existed
    "pinned-running": VERSION,
    "pinned-completed": VERSION,
    "pinned-unset": VERSION,
    "pinned-moved": "",  # moved off its version by an auto-upgrade override
}
ONLY_PINNED = ("pinned-running", "pinned-completed", "pinned-unset", "upgrading-running")
"""Histories of which only pinned ones took the old branch (``upgrading-running`` is of the
other, ungated type)."""


def run(*args: str) -> Result:
    """``replaycheck patches ARGS`` at the repository root."""
    old = Path.cwd()
    os.chdir(REPO)
    try:
        return CliRunner().invoke(main, ["patches", "-w", GATED, *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def the_patch(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    (patch,) = json.loads(result.stdout)["patches"]
    assert patch["patch_id"] == "audit-first"
    return dict(patch)


def pinned_by_id(refs: list[dict[str, Any]]) -> dict[str, str]:
    return {r["workflow_id"]: r["pinned"] for r in refs}


@pytest.mark.server
def test_pinned_executions_are_marked_and_named_in_the_reason(pinned_histories: Path) -> None:
    text = run(str(pinned_histories))
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0] == "audit-first  keep both branches"
    assert lines[1].endswith(
        "; 3 of them are pinned to a deployment version (3 on replaycheck-pinned:v1), which new "
        "code shipped as a new version never replays: if this change ships that way, "
        "--skip-pinned leaves them out"
    )
    for workflow_id, version in OLD_BRANCH.items():
        (line,) = [x for x in lines if x.startswith("    ") and f" {workflow_id} " in x]
        assert line.endswith(f"  (pinned to {VERSION})") == bool(version), line
    patch = the_patch(run("--format", "json", str(pinned_histories)))
    assert pinned_by_id(patch["old_branch"]) == OLD_BRANCH
    # --skip-pinned: the one that is not pinned still holds the verdict.
    skipped = run("--skip-pinned", "--format", "json", str(pinned_histories))
    patch = the_patch(skipped)
    assert patch["verdict"] == "keep-both-branches"
    assert pinned_by_id(patch["old_branch"]) == {"pinned-moved": ""}
    assert "pinned" not in patch["reason"]
    assert json.loads(skipped.stdout)["pinned_left_out"] == 4
    assert skipped.stderr == "left out 4 histories of pinned executions (--skip-pinned)\n"


@pytest.mark.server
def test_when_only_pinned_executions_hold_the_verdict_it_says_so(pinned_histories: Path) -> None:
    paths = [str(pinned_histories / f"{i}.json") for i in ONLY_PINNED]
    held = the_patch(run("--format", "json", *paths))
    assert held["verdict"] == "keep-both-branches"
    assert held["reason"].endswith(
        "; all 3 of them are pinned to a deployment version (3 on replaycheck-pinned:v1): new "
        "code shipped as a new version never replays them, so if this change ships that way "
        "nothing here holds it back: run again with --skip-pinned"
    )
    skipped = run("--skip-pinned", *paths)
    assert skipped.exit_code == 0
    # PinnedSteps histories were read (and left out): not "no history of workflow type ...".
    assert skipped.stdout.splitlines()[0] == "audit-first  ready to deprecate"
    assert "  old branch: none" in skipped.stdout.splitlines()
    assert skipped.stdout.endswith(
        "1 patch id in 1 history (replay: 1 ok); 3 pinned executions left out (--skip-pinned)\n"
    )
    assert skipped.stderr == "left out 3 histories of pinned executions (--skip-pinned)\n"
    alone = run("--skip-pinned", str(pinned_histories / "pinned-running.json"))
    assert alone.exit_code == 2
    assert alone.stdout == ""
    assert alone.stderr == (
        "replaycheck: error: every history (1 history) is of an execution pinned to a deployment "
        "version, and --skip-pinned left them out, so nothing was checked; drop --skip-pinned to "
        "check them.\n"
    )


@pytest.mark.server
def test_live_patches_mark_and_skip_pinned_executions(
    pinned_histories: Path, dev_server: WorkflowEnvironment
) -> None:
    address = dev_server.client.service_client.config.target_host
    live = ("--live", "--address", address, "--format", "json")
    everything = run(*live)
    patch = the_patch(everything)
    assert pinned_by_id(patch["old_branch"]) == OLD_BRANCH
    assert "3 of them are pinned to a deployment version" in patch["reason"]
    assert "read 6 live executions matching" in everything.stderr
    skipped = run(*live, "--skip-pinned")
    patch = the_patch(skipped)
    assert pinned_by_id(patch["old_branch"]) == {"pinned-moved": ""}
    assert json.loads(skipped.stdout)["pinned_left_out"] == 4
    assert "read 2 live executions matching" in skipped.stderr
    assert skipped.stderr.endswith(" (4 pinned, left out by --skip-pinned)\n")
    # A selection whose PinnedSteps executions are all pinned: that type was read all the same
    # (the pinned ones left out count as read); what holds it back is the PinnedSteps
    # executions the query left out, one of which took the old branch.
    query = "WorkflowId = 'pinned-running' OR WorkflowId = 'upgrading-running'"
    some = the_patch(run(*live, "--skip-pinned", "--query", query))
    assert some["verdict"] == "keep-both-branches"
    assert some["reason"].startswith(
        "3 executions of workflow type 'PinnedSteps' that the server keeps were not read"
    ), some["reason"]
    alone = run(*live, "--skip-pinned", "--workflow-id", "pinned-running")
    assert alone.exit_code == 2
    assert "is pinned to a deployment version and --skip-pinned left it out" in alone.stderr


# --------------------------------------------------------------------------- the other verdicts


def recorded(wid: str, patch_id: str, pinned: str = "", *, call: str = "") -> Verdict:
    """A running execution that recorded ``patch_id``'s marker (with ``patched()``), whose
    replay made ``call`` (``deprecate_patch``, ``get_version``, or none)."""
    made = PatchCall(patch_id, deprecated=call == "deprecate_patch", result=True, replaying=True,
                     event_id=3, file="/src/flow.py", line=7,
                     get_version=call == "get_version")  # fmt: skip
    facts = PatchFacts(markers=(patch_id,), calls=(made,) if call else ())
    return Verdict(
        path=f"{wid}.json", verdict="ok", message="", workflow_id=wid, workflow_type="Flow",
        status="RUNNING", patches=facts, pinned=pinned,
    )  # fmt: skip


def test_a_marker_or_a_version_kept_only_by_pinned_executions_says_so() -> None:
    deprecated = CallSite("/src/flow.py", 7, "deprecate_patch", "p", "'p'", "Flow")
    (patch,) = analyze([recorded("a", "p", VERSION, call="deprecate_patch")], [deprecated]).patches
    assert patch.verdict == "keep-deprecate-patch"
    assert patch.reason.endswith(
        f"; it is pinned to a deployment version (1 on {VERSION}): new code shipped as a new "
        "version never replays it, so if this change ships that way nothing here holds it "
        "back: run again with --skip-pinned"
    )
    (orphaned,) = analyze([recorded("a", "p", VERSION), recorded("b", "p")], []).patches
    assert orphaned.verdict == "orphaned"
    assert orphaned.reason.endswith(
        f"; 1 of them is pinned to a deployment version (1 on {VERSION}), which new code "
        "shipped as a new version never replays: if this change ships that way, --skip-pinned "
        "leaves them out"
    )
    site = CallSite("/src/flow.py", 7, "get_version", "steps", "'steps'", "Flow", 1, 2)
    versions = [recorded("a", "steps-v1", VERSION, call="get_version"),
                recorded("b", "steps-v2", call="get_version")]  # fmt: skip
    (change,) = analyze(versions, [site]).changes
    assert change.verdict == "keep-versions"
    assert f"; it is pinned to a deployment version (1 on {VERSION})" in change.reason
    # Left out, the step is the next one; the pinned one's workflow type still counts as read.
    (change,) = analyze(versions, [site], skip_pinned=True).changes
    assert change.verdict == "raise-min-supported"
    assert [r.workflow_id for _, refs in change.versions for r in refs] == ["b"]


# --------------------------------------------------------------------------- continued as new


@pytest.fixture(scope="module")
def handoff_runs(
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    tmp_path_factory: pytest.TempPathFactory,
) -> list[Path]:
    """``pinned-handoff``'s two runs (``record_pinned.record_handoff``): the first pinned, the
    one it continued as new into not, running on the session's dev server."""
    from tests.workflows.record_pinned import record_handoff

    out = tmp_path_factory.mktemp("handoff")
    return server_loop.run_until_complete(record_handoff(dev_server.client, out))


def handoff_patches(*args: str) -> Result:
    """``replaycheck patches --skip-pinned ARGS`` of the handoff's gated code."""
    old = Path.cwd()
    os.chdir(REPO)
    try:
        return CliRunner().invoke(
            main, ["patches", "-w", "tests.workflows.pinned_handoff_gated", "--skip-pinned", *args],
            catch_exceptions=False,
        )  # fmt: skip
    finally:
        os.chdir(old)


@pytest.mark.server
def test_a_run_continued_from_a_pinned_run_left_out_does_not_miss_it(
    handoff_runs: list[Path], dev_server: WorkflowEnvironment
) -> None:
    # The selection holds both runs; --skip-pinned leaves the first out as pinned: it was read,
    # so the run it continued into is not one whose earlier run is missing.
    address = ("--live", "--address", dev_server.client.service_client.config.target_host)
    query = "WorkflowId = 'pinned-handoff'"
    live = handoff_patches(*address, "--query", query)
    files = handoff_patches(*map(str, handoff_runs))
    for result in (live, files):
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[0] == "audit-first  ready to deprecate", result.stdout
        assert "earlier runs" not in result.stdout
        assert result.stdout.endswith(
            "1 patch id in 1 history (replay: 1 ok); 1 pinned execution left out (--skip-pinned)\n"
        )
    assert live.stderr.endswith(" (1 pinned, left out by --skip-pinned)\n")
    # Selected alone, the later run does not make the step ready: nothing of the gate's type
    # was read (its earlier run may have taken the old branch, pinned or not).
    alone = handoff_patches(*address, "--query", f"{query} AND WorkflowType = 'HandoffUpgrading'")
    assert alone.stdout.splitlines()[:2] == [
        "audit-first  keep both branches",
        "  no history of 1 workflow type whose code calls it ('HandoffSteps') is among those "
        "read, so nothing shows where its executions went: export them (or run `replaycheck "
        "patches --live` without a selection, which reads every execution the server keeps) "
        "before deprecating",
    ]
