"""``replaycheck patches``: the patch lifecycle of the provisioning example, stage by stage.

Histories come from the real dev server: ``fixtures/histories`` (version 1 and gated version 2,
``scripts/record_fixtures.py``) and the session's recording of ``tests/workflows/
record_lifecycle.py`` (the deprecated code, ``GateAfterSignal``, ``Versioned``). Each code version
replays its histories once, recording every ``patched()`` call; every stage then analyzes the
subset of verdicts it is about, so a stage costs no extra replay.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from replaycheck._patch_scan import scan
from replaycheck._render_summary import render_summary
from replaycheck.cli import main
from replaycheck.histories import read_history
from replaycheck.patches import PatchesReport, PatchReport, analyze
from replaycheck.replay import ReplayJob, replay
from replaycheck.verdict import Verdict
from tests.conftest import FIXTURES, REPO

GATED = "examples.provisioning.workflows"
DEPRECATED = "examples.provisioning.workflows_deprecated"
REMOVED = "examples.provisioning.workflows_removed"
GATE = "tests.workflows.gate_after_signal:GateAfterSignalV2"
PATCH_ID = "schema-retry-seed-first"
V1_IDS = {
    "prov-acme-completed",
    "prov-globex-completed",
    "prov-hooli-schema-retrying",
    "prov-initech-schema-retried",
    "prov-oldco-failed",
    "prov-stark-cancelled",
    "prov-umbrella-awaiting-approval",
    "prov-wayne-terminated",
}
V2_IDS = {"prov-v2-cyberdyne-completed", "prov-v2-tyrell-awaiting-approval"}
DEPRECATED_IDS = {"prov-deprecated-completed", "prov-deprecated-awaiting-approval"}

pytestmark = pytest.mark.server

Replays = dict[str, list[Verdict]]


def replay_recording(module: str, paths: Sequence[Path]) -> list[Verdict]:
    """Replay ``paths`` under ``module`` with patch calls recorded."""
    job = ReplayJob(
        paths=tuple(str(p) for p in paths),
        workflows=(module,),
        import_paths=(str(REPO),),
        record_patches=True,
    )
    return replay(job)


@pytest.fixture(scope="session")
def replays(lifecycle_histories: Path) -> Replays:
    """Verdicts (with patch facts) of each code version over the histories it is tested with
    (``gate-v2-mid-task``: a run captured while the workflow task that got ``proceed`` was
    started, so the gate lies past its history's end)."""
    rec = lifecycle_histories
    mid_task = rec / "gate-mid-task" / "gate-v2-mid-task.json"
    provisioning = sorted(FIXTURES.rglob("*.json")) + sorted((rec / "deprecated").glob("*.json"))
    jobs = {
        "gated": (GATED, sorted(FIXTURES.rglob("*.json"))),
        "deprecated": (DEPRECATED, provisioning),
        "removed": (REMOVED, provisioning),
        "gate": (GATE, [*sorted((rec / "gate").glob("*.json")), mid_task]),
    }
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {k: pool.submit(replay_recording, m, p) for k, (m, p) in jobs.items()}
        return {k: f.result() for k, f in futures.items()}


def report(module: str, verdicts: Sequence[Verdict], **kwargs: object) -> PatchesReport:
    return analyze(verdicts, scan([module], [str(REPO)]).sites, **kwargs)  # type: ignore[arg-type]


def only(verdicts: Sequence[Verdict], ids: set[str]) -> list[Verdict]:
    """The verdicts of these workflow ids, plus every ``NotifyTenant`` child history."""
    return [v for v in verdicts if v.workflow_id in ids or v.workflow_type == "NotifyTenant"]


def the_patch(found: PatchesReport, patch_id: str = PATCH_ID) -> PatchReport:
    (patch,) = found.patches
    assert patch.patch_id == patch_id
    return patch


def ids(refs: Sequence[object]) -> set[str]:
    return {r.workflow_id for r in refs}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the lifecycle


def test_pre_patch_executions_running_keep_both_branches(replays: Replays) -> None:
    patch = the_patch(report(GATED, replays["gated"]))
    assert patch.verdict == "keep-both-branches"
    assert ids(patch.old_branch) == V1_IDS  # replay reached the gate and patched() was False
    assert {r.status for r in patch.old_branch} >= {"RUNNING", "COMPLETED", "FAILED"}
    assert ids(patch.new_branch) == V2_IDS
    assert patch.not_reached == patch.unchecked == ()
    assert all(r.event_id == 3 for r in patch.old_branch)  # the gate is in the first task
    assert "8 executions (2 running, 6 closed) took the old branch" in patch.reason
    (site,) = patch.call_sites
    assert (Path(site.file).name, site.kind, site.workflow_type) == (
        "workflows.py", "patched", "TenantProvisioning",
    )  # fmt: skip
    source = Path(site.file).read_text().splitlines()[site.line - 1]
    assert "workflow.patched(PATCH_ID)" in source
    assert patch.change_version == 2


def test_patched_running_and_completed_are_ready_to_deprecate(replays: Replays) -> None:
    patch = the_patch(report(GATED, only(replays["gated"], V2_IDS)))
    assert patch.verdict == "ready-to-deprecate"
    assert ids(patch.new_branch) == V2_IDS
    assert {r.status for r in patch.new_branch} == {"RUNNING", "COMPLETED"}
    assert patch.old_branch == patch.not_reached == ()
    assert "replace patched() with deprecate_patch()" in patch.reason


def test_deprecated_keeps_the_call_while_patched_markers_remain(replays: Replays) -> None:
    patch = the_patch(report(DEPRECATED, only(replays["deprecated"], V2_IDS | DEPRECATED_IDS)))
    assert patch.verdict == "keep-deprecate-patch"
    assert ids(patch.new_branch) == V2_IDS | DEPRECATED_IDS
    assert ids(r for r in patch.new_branch if r.deprecated) == DEPRECATED_IDS
    assert "2 executions (1 running, 1 closed) recorded the marker with patched()" in patch.reason


def test_deprecated_alone_is_ready_to_remove(replays: Replays) -> None:
    patch = the_patch(report(DEPRECATED, only(replays["deprecated"], DEPRECATED_IDS)))
    assert patch.verdict == "ready-to-remove"
    assert all(r.deprecated for r in patch.new_branch)
    assert patch.call_sites[0].kind == "deprecate_patch"


def test_deprecating_too_early_keeps_both_branches(replays: Replays) -> None:
    patch = the_patch(report(DEPRECATED, replays["deprecated"]))
    assert patch.verdict == "keep-both-branches"
    assert ids(patch.old_branch) == V1_IDS
    assert patch.reason.startswith("deprecate_patch() came too early")


def test_deprecating_too_early_says_whose_replay_still_passes(replays: Replays) -> None:
    # prov-hooli (running, still retrying create_schema) and prov-oldco (failed in it) replay
    # under the deprecated code: both branches begin with create_schema. The reason said
    # "their replay fails" of all eight, and check passing hooli read as safe.
    patch = the_patch(report(DEPRECATED, replays["deprecated"]))
    passing = {r.workflow_id for r in patch.old_branch if r.replay == "ok"}
    assert passing == {"prov-hooli-schema-retrying", "prov-oldco-failed"}
    assert "(their replay fails)" not in patch.reason
    assert (
        "took the old branch, which this code no longer has (the replay of 6 fails; 2 "
        "executions (1 running, 1 closed) still replay, as their history ends before this code "
        "differs from the old branch, but the running one fails once it goes on: `replaycheck "
        "check` passes it only so far)"
    ) in patch.reason


def test_a_running_old_branch_execution_that_replays_gets_a_note(replays: Replays) -> None:
    # prov-hooli is still retrying create_schema, which both branches begin with: check said
    # "ok" of it under the deprecated code with nothing more, though it goes on into
    # prepare_v2's verify_schema where its history will record run_migrations.
    by_id = {v.workflow_id: v for v in replays["deprecated"]}
    hooli = by_id["prov-hooli-schema-retrying"]
    assert hooli.verdict == "ok"
    (note,) = hooli.notes
    assert (note.kind, Path(note.file).name) == ("deprecated", "workflows_deprecated.py")
    assert note.text.startswith(f"deprecate_patch('{PATCH_ID}') at ")
    assert "this execution took the old branch, which the code no longer has" in note.text
    assert "`replaycheck patches` says when to deprecate" in hooli.message
    # closed (replays whole), or recorded with the marker: nothing to say
    for quiet in ("prov-oldco-failed", "prov-v2-tyrell-awaiting-approval"):
        assert by_id[quiet].verdict == "ok" and by_id[quiet].notes == ()


def test_check_on_a_deprecation_too_early_goes_back_to_the_gate(replays: Replays) -> None:
    # Both branches begin with create_schema, so the version 1 executions diverge one command
    # after the deprecate_patch() call: check proposed a new gate around verify_schema
    # ("verify-schema-before-run-migrations") instead of the gate the deprecation replaced.
    failing = [v for v in replays["deprecated"] if v.verdict == "nondeterministic"]
    never_got_there = {"prov-hooli-schema-retrying", "prov-oldco-failed"}
    assert {v.workflow_id for v in failing} == V1_IDS - never_got_there
    source = (REPO / "examples" / "provisioning" / "workflows_deprecated.py").read_text()
    line = source.splitlines().index("        workflow.deprecate_patch(PATCH_ID)") + 1
    for verdict in failing:
        d = verdict.diagnosis
        assert d is not None and d.deprecated_early == PATCH_ID
        assert d.explanation().startswith(f"deprecate_patch('{PATCH_ID}') came too early")
        fix = d.fix()
        assert fix[0].startswith(
            f"deprecate_patch('{PATCH_ID}') at workflows_deprecated.py:{line} in run came too "
            "early: executions that started before the patch still run or replay; go back to "
            "the gate until none is left"
        ), fix
        assert fix[1:5] == [
            f'    if workflow.patched("{PATCH_ID}"):',
            "        schema = await self.prepare_v2(request)",
            "    else:",
            "        ...  # the old code (it ran activity 'create_schema', then activity "
            "'run_migrations'), for executions recorded before",
        ]
    assert render_summary(failing).endswith(
        "go back to the workflow.patched() gate that deprecate_patch() replaced too early, as "
        "the fix under each one shows."
    )


def test_removed_with_only_deprecated_markers_is_done(replays: Replays) -> None:
    patch = the_patch(report(REMOVED, only(replays["removed"], DEPRECATED_IDS)))
    assert patch.verdict == "removed"
    assert patch.call_sites == ()
    assert {v.verdict for v in only(replays["removed"], DEPRECATED_IDS)} == {"ok"}


def test_removed_too_early_is_orphaned(replays: Replays) -> None:
    verdicts = only(replays["removed"], V2_IDS | DEPRECATED_IDS)
    patch = the_patch(report(REMOVED, verdicts))
    assert patch.verdict == "orphaned"
    assert "Non-deprecated patch marker" in patch.reason
    failing = {v.workflow_id for v in verdicts if v.verdict == "nondeterministic"}
    assert failing == V2_IDS  # what the report predicts, replay confirms


# ------------------------------------------------------------------ check at the remove step


def check(*paths: Path, fmt: str = "text") -> Result:
    """``replaycheck check -w REMOVED --format FMT PATHS`` at the repository root."""
    old = Path.cwd()
    os.chdir(REPO)
    try:
        args = ["check", "-w", REMOVED, "--format", fmt, *map(str, paths)]
        return CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)


def removal_corpus(lifecycle_histories: Path, out: Path, ids: set[str]) -> Path:
    """A directory of the provisioning histories (``fixtures/histories`` and the deprecated
    ones) of these workflow ids."""
    for path in [*FIXTURES.rglob("*.json"), *(lifecycle_histories / "deprecated").glob("*.json")]:
        if path.stem in ids:
            (out / path.name).write_bytes(path.read_bytes())
    return out


def fixes(text: str) -> dict[str, list[str]]:
    """The fix of each failing history shown in full, by file name: its lines from ``fix:``."""
    found: dict[str, list[str]] = {}
    for block in text.split("\nFAIL  ")[1:]:
        name = Path(block.splitlines()[0]).name
        lines = block.split("\n\n")[0].splitlines()
        at = next((i for i, line in enumerate(lines) if line.startswith("      fix: ")), None)
        if at is not None:
            found[name] = [line.removeprefix("      ") for line in lines[at:]]
    return found


def test_check_puts_one_gate_back_for_both_branches(lifecycle_histories: Path) -> None:
    # The walkthrough's last step over every history it recorded: version 1 executions (no
    # marker), gated ones (patched() marker), deprecated ones. The version 1 ones got a new
    # gate of their own ("verify-schema-before-run-migrations") while the gated ones got "put
    # gate schema-retry-seed-first back": two gates for one change.
    paths = (FIXTURES, lifecycle_histories / "deprecated")
    doc = json.loads(check(*paths, fmt="json").stdout)
    failing = [r for r in doc["results"] if r["verdict"] == "nondeterministic"]
    replayed = {"prov-hooli-schema-retrying", "prov-oldco-failed"}  # never got past the change
    assert {r["workflow_id"] for r in failing} == (V1_IDS - replayed) | V2_IDS
    assert {r["diagnosis"]["patch_id"] for r in failing} == {PATCH_ID}
    old_branch = [r for r in failing if r["workflow_id"] in V1_IDS]
    assert {r["diagnosis"]["removed_gate"] for r in old_branch} == {PATCH_ID}
    text = check(*paths).stdout
    shown = fixes(text)
    assert set(shown) == {"prov-acme-completed.json", "prov-v2-cyberdyne-completed.json"}
    for lines in shown.values():  # one gate, put back where it was, the old code in the else
        # around run's call of prepare_v2, whose first statement is the first the gate held (it
        # said "before shared.py:78 in prepare_v2", inside the helper)
        assert "put the gate back where it was (before workflows_removed.py:27 in run)" in lines[0]
        assert lines[1:4] == [
            f'    if workflow.patched("{PATCH_ID}"):', "        ...  # the new code", "    else:",
        ]  # fmt: skip
    gated = shown["prov-v2-cyberdyne-completed.json"][0]
    assert "6 histories here started before the patch" in gated
    # Every failure is the removed gate's: the closing line said "gate the change".
    assert (
        "The new code would break the histories marked FAIL: put back the workflow.patched() "
        "gate the code no longer has, as the fix under each one shows."
    ) in text.splitlines()
    assert set(re.findall(r"""patch(?:ed)?\(["']([^"']+)""", text)) == {PATCH_ID}  # no other id
    assert "The fixes are at" not in text  # one place
    assert (
        f'Patch "{PATCH_ID}": 2 histories recorded its marker with patched(), and the code no '
        "longer calls it; 6 histories started before the patch and took its old branch: put the "
        f'whole gate back, one workflow.patched("{PATCH_ID}") for both, the old code in its else.'
    ) in text


def test_check_at_the_remove_step_leads_with_deprecate_patch(
    lifecycle_histories: Path, tmp_path: Path
) -> None:
    # deprecate_patch() removed while executions recorded with patched() remain (and some
    # with the deprecated marker, which replay): the first fix put the whole gate back, two
    # steps back, and the closing line asked for a workflow.patched() gate.
    corpus = removal_corpus(lifecycle_histories, tmp_path, V2_IDS | DEPRECATED_IDS)
    result = check(corpus)
    assert result.exit_code == 1
    (lines,) = fixes(result.stdout).values()
    where = "where the gate was (before workflows_removed.py:27 in run)"
    assert f"put it back as deprecate_patch() {where}" in lines[0]
    assert lines[1] == f'    workflow.deprecate_patch("{PATCH_ID}")'
    assert "if executions that started before the patch may still run or replay" in lines[2]
    # No history started before the patch: none shows what the gate held, or whether it had
    # an else (the offered else would run the next statement twice after a mere addition).
    # The old code is not in the source either: it says so, and where the gate began.
    assert lines[2].endswith(
        "put the whole gate back instead, as it was. No history here started before the patch, "
        "so none shows where the gate ended or what its old branch ran (the source no longer "
        "has it): take the gate from version control (the file before the gate went):"
    )
    assert lines[3:7] == [
        f'    if workflow.patched("{PATCH_ID}"):',
        "        ...  # the new code the gate held, from workflows_removed.py:27 on, up to where "
        "the gate ended",
        "    else:  # only if the gate had an else: one that only added code had none",
        "        ...  # the old code as it was, for executions that started before the patch",
    ]
    summary = result.stdout.split("\n\n")[-1]
    assert "gate the change with workflow.patched()" not in summary
    assert (
        f'Patch "{PATCH_ID}": 2 histories recorded its marker with patched(), and the code no '
        f'longer calls it: the call went too early. Put workflow.deprecate_patch("{PATCH_ID}") '
        "back where the gate was, until `replaycheck patches` says ready to remove."
    ) in summary


def test_a_step_added_before_a_later_helpers_timer_comes_back_with_no_else(
    lifecycle_histories: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The versioning guide's next change removed too early: seed_data after prepare_v2 behind
    # patched("seed-again") with no else, where the version 2 executions ran the settle timer
    # that approve_and_notify (called after it) still starts. The fixes and the closing line
    # put the gate back "with the old code in the else", which runs the timer twice.
    from tests.workflows.provisioning_next import PATCH_ID as NEXT_ID

    recorded = lifecycle_histories / "next" / "prov-seed-again-completed.json"
    old_branch = FIXTURES / "TenantProvisioning" / "prov-v2-cyberdyne-completed.json"
    for path in (recorded, old_branch):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    module = "tests.workflows.provisioning_next:SeedAgainRemoved"
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["check", "-w", module, str(tmp_path)])
    assert result.exit_code == 1, result.output
    fix = fixes(result.stdout)["prov-v2-cyberdyne-completed.json"]
    assert fix[0].endswith(
        "and ran nothing where the gate was (timer (1s) still runs after it): put the gate back "
        "there (before provisioning_next.py:49 in run), with no else:"
    ), fix
    assert fix[1:3] == [
        f'    if workflow.patched("{NEXT_ID}"):',
        "        await self._step(seed_data, request)",
    ]
    assert (
        f'Patch "{NEXT_ID}": 1 history recorded its marker with patched(), and the code no longer '
        "calls it; 1 history started before the patch and ran nothing where the gate was: put "
        f'the whole gate back, one workflow.patched("{NEXT_ID}") for both, with no else.'
    ) in result.stdout
    gated = ["check", "-w", "tests.workflows.provisioning_next:SeedAgainGated", str(tmp_path)]
    back = CliRunner().invoke(main, gated)  # the gate put back as the fix says: both replay
    assert back.exit_code == 0, back.output


def test_a_gate_with_no_else_is_deprecated_by_taking_its_statements_out_of_the_if(
    lifecycle_histories: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # seed-again only added a step (no else): "delete the old branch" had nothing to delete.
    # The schema gate, with its else, keeps the words.
    from tests.workflows.provisioning_next import PATCH_ID as NEXT_ID

    recorded = lifecycle_histories / "next" / "prov-seed-again-completed.json"
    monkeypatch.chdir(REPO)
    module = "tests.workflows.provisioning_next:SeedAgainGated"
    args = ["patches", "-w", module, "--format", "json", str(recorded)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    found = {p["patch_id"]: p for p in json.loads(result.stdout)["patches"]}
    bare, gate = found[NEXT_ID], found[PATCH_ID]
    assert bare["verdict"] == gate["verdict"] == "ready-to-deprecate"
    assert bare["reason"].endswith(
        "replace the if with deprecate_patch() and the statements it held, out of the if (it has "
        "no else: there is no old branch to delete)"
    )
    assert gate["reason"].endswith(
        "replace patched() with deprecate_patch() and delete the old branch"
    )
    assert [s["no_else"] for s in bare["call_sites"]] == [True]
    assert [s["no_else"] for s in gate["call_sites"]] == [False]


def test_removed_with_old_branch_failures_too_names_the_whole_gate(replays: Replays) -> None:
    # Version 1 executions fail too (before where the gate was): deprecate_patch() alone would
    # not replay them, as check says.
    patch = the_patch(report(REMOVED, replays["removed"]))
    assert patch.verdict == "orphaned"
    assert len(patch.unchecked) == 6
    assert patch.reason.endswith(
        "could not be replayed up to the gate, so may have taken the old branch (`replaycheck "
        "check` shows why): if they did, put the whole gate back instead "
        f'(workflow.patched("{PATCH_ID}") around the new code, and an else with the old code '
        "only if the gate had one: a gate that only added code had none)"
    )


# --------------------------------------------------------------------------- before the gate


def test_executions_blocked_before_the_gate_have_not_reached_it(replays: Replays) -> None:
    patch = the_patch(report(GATE, replays["gate"]), "nap-after-go")
    assert ids(patch.old_branch) == {"gate-v1-passed"}
    assert ids(patch.new_branch) == {"gate-v2-passed"}
    waiting = {"gate-v1-waiting", "gate-v2-waiting"}
    assert ids(patch.not_reached) == waiting | {"gate-v2-mid-task"}
    assert ids(patch.closed_before) == {"gate-v1-terminated"}
    assert patch.verdict == "keep-both-branches"  # because of gate-v1-passed only


def test_an_execution_terminated_before_the_gate_is_listed_and_holds_nothing_back(
    lifecycle_histories: Path,
) -> None:
    # Counted in the total, it was in none of the four groups: a user looking for it found
    # nothing. It never reaches the gate (a query replays only its history; a reset runs the
    # gate live), so it is listed apart and holds nothing back, though the old code started it.
    gate = lifecycle_histories / "gate"
    paths = [str(p) for p in sorted(gate.glob("*.json")) if "v1-passed" not in p.name]
    result = run("-w", GATE, *paths)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "nap-after-go  ready to deprecate"
    assert "1 closed execution ended before reaching it" in lines[1]
    at = lines.index(
        "  closed before the gate: 1 execution (0 running, 1 closed) ended before reaching the "
        "gate: nothing to keep for them (a query replays only their history, which ends before "
        "the gate; a reset runs the gate live, which takes the new branch)"
    )
    assert lines[at + 1].split() == ["TERMINATED", "gate-v1-terminated", paths[0]]
    assert lines[-1] == "1 patch id in 4 histories (replay: 4 ok)"
    doc = json.loads(run("-w", GATE, "--format", "json", *paths).stdout)
    (patch,) = doc["patches"]
    listed = [e["workflow_id"] for key in GROUPS for e in patch[key]]
    assert sorted(listed) == ["gate-v1-terminated", "gate-v1-waiting", "gate-v2-passed",
                              "gate-v2-waiting"]  # fmt: skip
    assert [e["status"] for e in patch["closed_before"]] == ["TERMINATED"]


def test_waiting_v1_execution_does_not_block_deprecation(replays: Replays) -> None:
    verdicts = [v for v in replays["gate"] if not v.path.endswith("gate-v1-passed.json")]
    patch = the_patch(report(GATE, verdicts), "nap-after-go")
    assert patch.verdict == "ready-to-deprecate"
    assert "gate-v1-waiting" in ids(patch.not_reached)  # started by the old code
    assert patch.old_branch == ()
    assert "3 running executions will take it when they reach the gate" in patch.reason


def test_gate_reached_only_past_the_history_end_is_not_reached(replays: Replays) -> None:
    (mid,) = [v for v in replays["gate"] if v.path.endswith("gate-v2-mid-task.json")]
    assert mid.patches is not None
    (call,) = mid.patches.calls
    assert (call.result, call.replaying, call.event_id) == (True, False, 7)


def test_retention_leaves_out_executions_closed_long_ago(replays: Replays) -> None:
    later = datetime.now(timezone.utc) + timedelta(days=31)
    found = report(GATE, replays["gate"], retention_days=30, now=later)
    patch = the_patch(found, "nap-after-go")
    assert found.expired == 3
    assert patch.verdict == "ready-to-deprecate"
    assert patch.old_branch == patch.new_branch == ()


# --------------------------------------------------------------------------- the command


def run(*args: str) -> Result:
    """``replaycheck patches ARGS`` at the repository root."""
    old = Path.cwd()
    os.chdir(REPO)
    try:
        return CliRunner().invoke(main, ["patches", *args])
    finally:
        os.chdir(old)


def test_cli_text_on_the_configured_fixtures() -> None:
    result = run()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{PATCH_ID}  keep both branches"
    assert "  call sites:" in lines
    site = "examples/provisioning/workflows.py:31  workflow.patched(PATCH_ID) in TenantProvisioning"
    assert f"    {site}" in lines
    assert lines[-1] == "1 patch id in 14 histories (replay: 14 ok)"


GROUPS = ("new_branch", "old_branch", "not_reached", "unchecked", "closed_before")


def test_cli_json(lifecycle_histories: Path) -> None:
    result = run("-w", GATE, "--format", "json", str(lifecycle_histories / "gate"))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (patch,) = doc["patches"]
    assert (patch["patch_id"], patch["verdict"]) == ("nap-after-go", "keep-both-branches")
    assert [e["workflow_id"] for e in patch["old_branch"]] == ["gate-v1-passed"]
    assert sorted(e["workflow_id"] for e in patch["not_reached"]) == [
        "gate-v1-waiting",
        "gate-v2-waiting",
    ]
    assert [e["workflow_id"] for e in patch["closed_before"]] == ["gate-v1-terminated"]
    assert patch["call_sites"][0]["file"] == "tests/workflows/gate_after_signal.py"
    assert (doc["histories"], doc["replay"], doc["expired"]) == (
        5, {"ok": 5, "nondeterministic": 0, "error": 0}, 0,
    )  # fmt: skip
    assert sum(len(patch[key]) for key in GROUPS) == doc["histories"]  # each listed once


def test_cli_retention(lifecycle_histories: Path) -> None:
    gate = str(lifecycle_histories / "gate")
    # A retention of a millisecond: every closed execution is past it (0 is refused).
    refused = run("-w", GATE, "--retention", "0", gate)
    assert refused.exit_code == 2
    # In words, not click's "0.0 is not in the range 0<x<=36500"; and what it means, with what
    # to pass instead: 0 reads as "no retention", which is leaving the option out.
    assert (
        "'--retention': '0' is not a number above 0 and at most 36500: the days a namespace "
        "keeps closed executions (Temporal keeps them 1 day at least); to count every history, "
        "leave --retention out."
    ) in " ".join(refused.output.split())
    result = run("-w", GATE, "--retention", "1e-8", "--format", "json", gate)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["expired"] == 3  # every closed execution
    (patch,) = [p for p in doc["patches"] if p["patch_id"] == "nap-after-go"]
    assert patch["verdict"] == "ready-to-deprecate"
    closed = sorted(str(p) for p in Path(gate).rglob("*.json") if "waiting" not in p.name)
    assert sorted(doc["expired_paths"]) == closed
    # The text names the files to delete with the executions: check would still replay them.
    text = run("-w", GATE, "--retention", "1e-8", gate).stdout
    assert "past the retention, the server has deleted them: delete their fixtures too" in text
    assert all(Path(p).name in text for p in closed)


def last_event_time(path: Path) -> datetime:
    """When the execution of the history file at ``path`` closed: its last event's time."""
    last = read_history(path).history.events[-1]
    return last.event_time.ToDatetime(tzinfo=timezone.utc)


def test_cli_retention_dates_when_the_old_branch_is_gone(lifecycle_histories: Path) -> None:
    # The old branch is held by one closed execution only: a retention after it closed, the
    # server has deleted it, and the gate may be deprecated (the waiting ones take it live).
    gate = lifecycle_histories / "gate"
    closed = last_event_time(gate / "gate-v1-passed.json")
    result = run("-w", GATE, "--retention", "30", "--format", "json", str(gate))
    assert result.exit_code == 0, result.output
    (patch,) = json.loads(result.stdout)["patches"]
    assert patch["verdict"] == "keep-both-branches"
    assert datetime.fromisoformat(patch["held_until"]) == closed + timedelta(days=30)
    assert patch["last_to_go"]["workflow_id"] == "gate-v1-passed"
    assert datetime.fromisoformat(patch["last_to_go"]["closed_at"]) == closed
    text = run("-w", GATE, "--retention", "30", str(gate)).stdout.splitlines()
    until = (closed + timedelta(days=30)).strftime("%Y-%m-%d %H:%M UTC")
    assert text[2] == (
        f"  held until {until}: a 30-day retention (--retention) deletes the last of them from "
        f"then on (gate-v1-passed, closed {closed.strftime('%Y-%m-%d %H:%M UTC')}); run this "
        "again after it, as long as no new execution joins them"
    )
    # Without a retention there is no date to give.
    plain = run("-w", GATE, str(gate))
    assert "held until" not in plain.stdout


def test_cli_retention_gives_no_date_while_a_holding_execution_runs() -> None:
    # Two executions still running took the old branch: when they close is unknown.
    result = run("--retention", "30", "--format", "json")
    assert result.exit_code == 0, result.output
    (patch,) = json.loads(result.stdout)["patches"]
    assert patch["verdict"] == "keep-both-branches"
    assert any(e["status"] == "RUNNING" for e in patch["old_branch"])
    assert (patch["held_until"], patch["last_to_go"]) == (None, None)
    assert "held until" not in run("--retention", "30").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "xml"), "Invalid value for '--format'"),
        (("--query", "WorkflowType='X'"), "add --live"),
        (("--live", "--retention", "3"), "drop --retention"),
        (("--live", "fixtures/histories"), "drop the PATH arguments"),
        (("nowhere",), "nowhere does not exist"),
    ],
)
def test_cli_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_cli_live_matches_file_mode(lifecycle_histories: Path, dev_server: object) -> None:
    from replaycheck.testing import server_address

    address = server_address(dev_server)  # type: ignore[arg-type]
    result = run("--live", "--address", address, "-w", GATE, "--format", "json")
    assert result.exit_code == 0, result.output
    (patch,) = json.loads(result.stdout)["patches"]
    assert patch["verdict"] == "keep-both-branches"
    assert [e["workflow_id"] for e in patch["old_branch"]] == ["gate-v1-passed"]
    assert {e["workflow_id"] for e in patch["not_reached"]} == {
        "gate-v1-waiting",
        "gate-v2-mid-task",
        "gate-v2-waiting",
    }
    assert all(e["path"].startswith("live:") for e in patch["not_reached"])
    assert [e["workflow_id"] for e in patch["closed_before"]] == ["gate-v1-terminated"]
    assert "read 6 live executions matching \"WorkflowType IN ('GateAfterSignal')\"" in (
        result.stderr
    )
    # --live reads the namespace's retention from the server, and dates the old branch's end.
    retention = namespace_retention(address)
    doc = json.loads(result.stdout)
    assert doc["namespace_retention_days"] == retention.total_seconds() / 86400
    closed = last_event_time(lifecycle_histories / "gate" / "gate-v1-passed.json")
    assert datetime.fromisoformat(patch["held_until"]) == closed + retention
    text = run("--live", "--address", address, "-w", GATE).stdout
    days = f"{retention.total_seconds() / 86400:g}"
    assert f"the namespace's {days}-day retention deletes the last of them" in text


def test_cli_live_with_a_limit_that_stopped_the_listing_is_never_ready(
    lifecycle_histories: Path, dev_server: object
) -> None:
    # Two executions match, neither took the old branch; --limit 1 reads one of them. The
    # other is unread and may have taken it: "ready to deprecate" would claim what was not
    # read. A limit the matches stay below leaves the verdict as it is.
    from replaycheck.testing import server_address

    address = server_address(dev_server)  # type: ignore[arg-type]
    query = "WorkflowId IN ('gate-v1-waiting', 'gate-v2-waiting')"
    common = ("--live", "--address", address, "-w", GATE, "--query", query)
    wide = run(*common, "--limit", "5", "--format", "json")
    assert wide.exit_code == 0, wide.output
    (patch,) = json.loads(wide.stdout)["patches"]
    assert "--limit" not in patch["reason"]  # held back by the query alone (4 others unread)
    assert patch["reason"].startswith("4 executions of workflow type 'GateAfterSignal'")
    limited = run(*common, "--limit", "1", "--format", "json")
    assert limited.exit_code == 0, limited.output
    (patch,) = json.loads(limited.stdout)["patches"]
    assert len(patch["not_reached"]) == 1
    assert patch["verdict"] == "keep-both-branches"
    assert patch["reason"] == (
        "--limit 1 stopped the listing at 1 execution, and the ones after them were not "
        "read: they may have taken the old branch. Run `replaycheck patches --live` without "
        "--limit before deprecating"
    )


NARROWED = "tests.workflows.gate_narrowed"


async def start_narrowed(client: Client, ids: Sequence[str]) -> None:
    """``NarrowedGate`` executions ``ids``, each left waiting before the gate once its first
    workflow task completed."""
    from temporalio.worker import Worker

    from tests.workflows import gate_narrowed
    from tests.workflows.record_lifecycle import _task_completed

    queue = gate_narrowed.TASK_QUEUE
    async with Worker(client, task_queue=queue, workflows=[gate_narrowed.NarrowedGate]):
        for workflow_id in ids:
            handle = await client.start_workflow(
                gate_narrowed.TYPE_NAME, id=workflow_id, task_queue=queue
            )
            await _task_completed(handle)


def test_cli_live_narrowed_by_a_selection_is_ready_only_if_it_covers_the_type(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop
) -> None:
    # Three NarrowedGate executions wait before the gate: every one will take the new branch.
    # A selection of some of them read nothing of the others, which may have taken the old
    # branch: it used to say "ready to deprecate" all the same. One that covers them all may.
    from replaycheck.testing import server_address

    ids = ["narrowed-a", "narrowed-b", "narrowed-c"]
    server_loop.run_until_complete(start_narrowed(dev_server.client, ids))
    common = ("--live", "--address", server_address(dev_server), "-w", NARROWED)
    held = (
        "{} of workflow type 'NarrowedGate' that the server keeps {} not read (the --query or "
        "--workflow-id selection left {} out), and {} may have taken the old branch: run "
        "`replaycheck patches --live` without --query or --workflow-id before deprecating"
    )
    for selection, reason in [
        (("--query", "WorkflowId = 'narrowed-a'"),
         held.format("2 executions", "were", "them", "they")),
        (("--workflow-id", "narrowed-a", "--workflow-id", "narrowed-b"),
         held.format("1 execution", "was", "it", "it")),
    ]:  # fmt: skip
        result = run(*common, *selection, "--format", "json")
        assert result.exit_code == 0, result.output
        (patch,) = json.loads(result.stdout)["patches"]
        assert patch["verdict"] == "keep-both-branches"
        assert patch["reason"] == reason
        text = run(*common, *selection).stdout
        assert reason in " ".join(text.split()), text
    covering = "WorkflowId IN ('narrowed-a', 'narrowed-b', 'narrowed-c')"
    result = run(*common, "--query", covering, "--format", "json")
    assert result.exit_code == 0, result.output
    (patch,) = json.loads(result.stdout)["patches"]
    assert patch["verdict"] == "ready-to-deprecate", patch["reason"]
    assert len(patch["not_reached"]) == 3


def namespace_retention(address: str) -> timedelta:
    """The default namespace's retention, as the server describes it."""
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    async def describe() -> timedelta:
        client = await Client.connect(address)
        request = DescribeNamespaceRequest(namespace="default")
        described = await client.workflow_service.describe_namespace(request)
        return described.config.workflow_execution_retention_ttl.ToTimedelta()

    return asyncio.run(describe())


def test_cli_live_asks_for_a_query_for_a_dynamic_workflow(dev_server: object) -> None:
    # It may serve any type: reading every execution of the namespace would report on other
    # teams' patches.
    from replaycheck.testing import server_address

    address = server_address(dev_server)  # type: ignore[arg-type]
    result = run("--live", "--address", address, "-w", "tests.workflows.dynamic_gate")
    assert result.exit_code == 2, result.output
    assert "registers a dynamic workflow" in result.stderr and "--query" in result.stderr


def test_cli_live_selects_types_by_their_registered_names(
    lifecycle_histories: Path, dev_server: object
) -> None:
    # @workflow.defn(name=TYPE_NAME): the source does not spell the name out; the live
    # selection used the class name (NamedGate), matched nothing of it, and said "ready".
    from replaycheck.testing import server_address

    address = server_address(dev_server)  # type: ignore[arg-type]
    named = "tests.workflows.gate_after_signal_named"
    result = run("--live", "--address", address, "-w", named, "--format", "json")
    assert result.exit_code == 0, result.output
    assert "matching \"WorkflowType IN ('GateAfterSignal')\"" in result.stderr
    (patch,) = json.loads(result.stdout)["patches"]
    assert patch["verdict"] == "keep-both-branches"
    assert [e["workflow_id"] for e in patch["old_branch"]] == ["gate-v1-passed"]
