"""Histories recorded before core's flag 1: what core does not compare on them, compared.

Core compares an activity's, a local activity's and a child workflow's type and id on replay
only on histories whose workflow tasks carry its internal flag 1 (``IdAndTypeDeterminismChecks``,
2023). The public ``worker__test_replayer_complete_history.json`` (2022) carries none: core
replays it against a renamed activity. Its variants are ``tests/workflows/sayhello_*.py``. The
recorded change cases carry the flag; copies with it taken out (as temporalio's own
``test_swallowed_activity_cancellation_no_flag`` takes out a lang flag) stand for executions
recorded by SDKs from before it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from replaycheck.histories import read_history
from replaycheck.verdict import Verdict
from tests.changes import CASES, CHANGES, V2, marked_line, replay_dir, replay_file
from tests.conftest import COMPLETE, FIXTURES, REPO
from tests.raw_replay import MARK
from tests.test_check import results, run
from tests.test_diagnose import check_case

WORKFLOWS = REPO / "tests" / "workflows"
NOTE = (
    "  note: core replays this history without a failure: it was recorded before core's flag 1 "
    "(IdAndTypeDeterminismChecks, SDKs from before 2023), and core compares the types and ids of "
    "activities and child workflows only on histories recorded since. A worker replaying it with "
    "this code hands the result recorded for {} to {} instead of failing: gate the change all "
    "the same"
)
SKIPPED = {
    "RenameActivity", "RenameConcurrentActivity", "ChangeChildType", "ChangeChildId",
    "RenameLocalActivity", "Reorder", "InvertBranch", "ReplaceAfterLoop", "DeprecateEarly",
    "AddDraw",
}  # fmt: skip
"""Change cases whose history core replays once flag 1 is taken out (the type or id it names
with the flag is all that changed before the execution's end)."""
LATER = {"AddInLoop", "AddSeveral", "DeprecateOther", "LoopMore", "LoopFewer"}
"""Change cases whose history core still fails once flag 1 is taken out, but later: where the
kinds of command part, not where a type first changed."""


def raw_verdicts(module: str, paths: list[Path]) -> dict[str, str]:
    """temporalio's plain ``Replayer`` on ``paths`` (``tests/raw_replay.py``): verdict by file
    name."""
    script = REPO / "tests" / "raw_replay.py"
    out = subprocess.run(
        [sys.executable, str(script), module, *map(str, paths)],
        capture_output=True, text=True, check=True, cwd=REPO,
    ).stdout  # fmt: skip
    found = json.loads(out[out.index(MARK) + len(MARK) :])[module]
    return {Path(path).name: result["verdict"] for path, result in found.items()}


def without_flag_1(directory: Path, names: list[str], flag: int = 1) -> list[Path]:
    """Copies of the recorded change histories ``names`` in ``directory``, flag 1 (or
    ``flag``) taken out of every workflow task's ``coreUsedFlags``."""
    copies = []
    for name in names:
        document = json.loads((CHANGES / name / f"change-{name}.json").read_text())
        for event in document["events"]:
            metadata = event.get("workflowTaskCompletedEventAttributes", {}).get("sdkMetadata", {})
            if "coreUsedFlags" in metadata:
                metadata["coreUsedFlags"] = [f for f in metadata["coreUsedFlags"] if f != flag]
        copies.append(directory / f"change-{name}.json")
        copies[-1].write_text(json.dumps(document, indent=2) + "\n")
    return copies


def test_core_replays_the_2022_history_against_a_renamed_activity_or_a_new_id() -> None:
    # the premise: temporalio's Replayer passes both; with flag 1 added it fails both
    raw = raw_verdicts("tests.workflows.sayhello_goodbye", [COMPLETE])
    assert raw == {COMPLETE.name: "ok"}
    assert raw_verdicts("tests.workflows.sayhello_new_id", [COMPLETE]) == {COMPLETE.name: "ok"}


def test_a_renamed_activity_on_a_history_from_before_flag_1_is_nondeterministic() -> None:
    # Core replays it, so a deploy does not fail the execution; the worker hands say_hello's
    # result to say_goodbye. A deploy gate must stop it: nondeterministic, exit 1, and the
    # diagnosis a history recorded since the flag gets, with a note on why core passes it.
    result = run("-w", "tests.workflows.sayhello_goodbye", "--format", "json", str(COMPLETE))
    assert result.exit_code == 1, result.output
    verdict = Verdict.from_json_dict(results(result)[COMPLETE.name])
    assert verdict.verdict == "nondeterministic"
    assert verdict.message == (
        "Activity type of scheduled event 'say_hello' does not match activity type of activity "
        "command 'say_goodbye' (found by replaycheck: core does not compare them on this "
        "history, recorded before its flag 1)"
    )
    d = verdict.diagnosis
    assert d is not None and d.core_skipped
    assert (d.event_id, d.event_type, d.recorded, d.commanded, d.change) == (
        5, "ActivityTaskScheduled", "activity 'say_hello'", "activity 'say_goodbye'", "renamed",
    )  # fmt: skip
    changed = WORKFLOWS / "sayhello_goodbye.py"
    assert (Path(d.location[0].file).resolve(), d.location[0].line) == (
        changed,
        marked_line("change: say_goodbye", changed),
    )
    assert d.patch_id == "say-goodbye-instead-of-say-hello"
    assert d.fix()[-1] == NOTE.format("activity 'say_hello'", "activity 'say_goodbye'")
    # gated as the fix says (tests/workflows/sayhello_goodbye_gated.py), it replays
    gated = replay_file(COMPLETE, "tests.workflows.sayhello_goodbye_gated")
    assert gated.ok and "flag 1" not in gated.message, gated.message


def test_a_new_activity_id_on_a_history_from_before_flag_1_is_nondeterministic() -> None:
    verdict = replay_file(COMPLETE, "tests.workflows.sayhello_new_id")
    assert verdict.verdict == "nondeterministic", verdict.message
    assert verdict.message.startswith(
        "Activity id of scheduled event '1' does not match activity id of activity command "
        "'greeting' (found by replaycheck"
    )
    d = verdict.diagnosis
    assert d is not None and d.core_skipped
    assert (d.event_id, d.change, d.ids) == (5, "id-changed", ("1", "greeting"))
    changed = WORKFLOWS / "sayhello_new_id.py"
    assert d.location[0].line == marked_line("change: activity id", changed)
    assert d.fix()[-1] == NOTE.format(
        "activity 'say_hello' (id '1')", "activity 'say_hello' (id 'greeting')"
    )


def test_the_2022_history_under_its_own_code_stays_ok() -> None:
    verdict = replay_file(COMPLETE, "tests.workflows.sayhello")
    assert verdict.ok and verdict.message == "replayed all 11 events; execution completed"


def test_changes_core_passes_without_flag_1_get_the_diagnosis_they_get_with_it(
    tmp_path: Path,
) -> None:
    # renamed and reordered activities, a local activity renamed, a child's type and id
    # changed: with flag 1 taken out, core replays every one of them
    copies = without_flag_1(tmp_path, sorted(SKIPPED))
    kinds = ["RenameActivity", "RenameLocalActivity", "ChangeChildType", "ChangeChildId"]
    some = [path for path in copies if path.stem[len("change-") :] in kinds]  # ~2 s each
    assert raw_verdicts(V2, some) == {path.name: "ok" for path in some}
    verdicts = replay_dir(tmp_path)
    for name in SKIPPED:  # what test_diagnose.py asserts of the history with the flag
        verdict = verdicts[name]
        check_case(verdict, name, CASES[name])
        assert verdict.diagnosis is not None and verdict.diagnosis.core_skipped
        note = verdict.diagnosis.fix()[-1]
        assert note.startswith("  note: core replays this history without a failure"), name


def test_a_failure_core_names_later_without_flag_1_is_diagnosed_where_the_type_changed(
    tmp_path: Path,
) -> None:
    # AddInLoop: 'audit' added before 'fetch' in a loop. Without flag 1 core takes 'audit' for
    # 'fetch' (event 11) and fails only at the completion (event 23), where it finds another
    # activity: the diagnosis is the one with the flag, and says why core names event 23.
    without_flag_1(tmp_path, sorted(LATER))
    verdicts = replay_dir(tmp_path)
    for name in LATER:
        verdict = verdicts[name]
        check_case(verdict, name, CASES[name])
        assert verdict.message.startswith("[TMPRL1100] Nondeterminism error: "), name
        d = verdict.diagnosis
        assert d is not None and d.core_skipped and d.core_stopped_at, name
        note = f"  note: core's message names {d.core_stopped_at}, not event {d.event_id}: "
        assert d.fix()[-1].startswith(note), name
    d = verdicts["AddInLoop"].diagnosis
    assert d is not None
    assert (d.event_id, d.core_stopped_at) == (11, "event 23 (WorkflowExecutionCompleted)")
    assert d.fix()[-1].endswith(
        "Core took activity 'audit' for activity 'fetch' at event 11, and stopped only where "
        "the kinds of command part"
    )


NEXUS = ["SwapNexusOperations", "RenameNexusService"]
"""Change cases of a Nexus operation's name or service: core compares them only on histories
recorded since its flag 4 (``NexusOperationDeterminismChecks``, new in the core of temporalio
1.35: every Nexus history an older SDK recorded lacks it)."""


def test_nexus_changes_core_passes_without_flag_4_get_the_diagnosis_they_get_with_it(
    tmp_path: Path,
) -> None:
    # they passed as ok: replaycheck compared only activities and children on such histories
    copies = without_flag_1(tmp_path, NEXUS, flag=4)
    assert raw_verdicts(V2, copies) == {path.name: "ok" for path in copies}
    verdicts = replay_dir(tmp_path)
    for name in NEXUS:
        verdict = verdicts[name]
        check_case(verdict, name, CASES[name])
        assert verdict.message.endswith(
            "(found by replaycheck: core does not compare them on this history, recorded "
            "before its flag 4)"
        ), verdict.message
        d = verdict.diagnosis
        assert d is not None and d.core_skipped
        assert d.fix()[-1].startswith(
            "  note: core replays this history without a failure: it was recorded before "
            "core's flag 4 (NexusOperationDeterminismChecks, new in the core of temporalio "
            "1.35), and core compares the service and name of Nexus operations only on "
            "histories recorded since"
        ), name
    assert verdicts["RenameNexusService"].message.startswith(
        "Nexus operation service of scheduled event 'Stock' does not match service of command "
        "'StockV2' (found by replaycheck"
    )
    assert verdicts["SwapNexusOperations"].message.startswith(
        "Nexus operation of scheduled event 'quote' does not match operation of command "
        "'reserve' (found by replaycheck"
    )
    # under the code that recorded them, they stay ok
    assert all(v.ok for v in replay_dir(tmp_path, "tests.workflows.changes_v1").values())


@pytest.mark.parametrize(
    ("name", "explanation"),
    [
        ("SwapChildren", "child workflow 'GiftWrapOrder' now comes before child workflow "
         "'PackOrder' (they traded places in one statement, which runs child workflow "
         "'PackOrder' too)"),
        ("SwapSameChildren", "child workflow 'PackOrder' (id 'change-SwapSameChildren-b') now "
         "comes before child workflow 'PackOrder' (id 'change-SwapSameChildren-a')"),
    ],
)  # fmt: skip
def test_children_that_traded_places_without_flag_1_are_a_reorder(
    tmp_path: Path, name: str, explanation: str
) -> None:
    # core names their ids (it compares them first): two children reordered, as with the flag
    (copy,) = without_flag_1(tmp_path, [name])
    d = replay_file(copy, V2).diagnosis
    assert d is not None and d.core_skipped
    assert (d.change, d.event_id, d.explanation()) == ("reordered", 5, explanation)


def test_histories_without_flag_1_under_the_code_that_recorded_them_stay_ok(
    tmp_path: Path,
) -> None:
    # default ids (sequence numbers, ids drawn from workflow.uuid4()) come out the same: no
    # change is found where there is none
    names = sorted(p.parent.name for p in CHANGES.rglob("*.json"))
    without_flag_1(tmp_path, names)
    verdicts = replay_dir(tmp_path, "tests.workflows.changes_v1")
    assert len(verdicts) == len(names)
    assert [(n, v.message) for n, v in verdicts.items() if not v.ok] == []


def test_histories_that_carry_flag_1_are_not_compared_again() -> None:
    # every history recorded here carries the flag from its first workflow task: the check
    # stops there, before any command, and never lines the commands up
    from replaycheck._unchecked import unchecked_end

    paths = [*FIXTURES.rglob("*.json"), *CHANGES.rglob("*.json")]
    assert len(paths) > 70
    assert [p.name for p in paths if unchecked_end(read_history(p).history)] == []
    assert [p.name for p in paths if unchecked_end(read_history(p).history, 4)] == []  # Nexus
    assert unchecked_end(read_history(COMPLETE).history) == 12  # no flag: all of it
