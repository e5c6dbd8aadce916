"""Reports: text with the diagnosis, JSON, JUnit XML, GitHub annotations and summary, inspect."""

from __future__ import annotations

import html
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from replaycheck._render_ci import step_summary, write_step_summary
from replaycheck._render_github import annotation, render_github
from replaycheck.cli import main
from replaycheck.diagnose import Diagnosis, SourceFrame
from replaycheck.report import render, render_verdict
from replaycheck.verdict import Note, Verdict
from tests.changes import (
    CASES,
    CHANGES,
    OTHERS,
    REPLAYS,
    V2,
    V2_FILE,
    branch_file,
    committed_verdicts,
    last_marker,
    marked_line,
)
from tests.conftest import FIXTURES, REPO
from tests.test_bad_input_permissions import LISTING_FIX
from tests.test_histories import MALFORMED

BROKEN = len(CASES) + len(OTHERS)
"""Histories of the change cases that changes_v2 breaks."""
ALL_CASES = BROKEN + len(REPLAYS)


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """``replaycheck ARGS`` run in the repository."""
    old = Path.cwd()
    os.chdir(REPO)
    try:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A history file that cannot be read (an ``error`` verdict)."""
    path = tmp_path_factory.mktemp("broken") / "truncated.json"
    path.write_bytes(MALFORMED["truncated"][0])
    yield path


def expected_line(name: str) -> int:
    """The line the diagnosis of case ``name`` points at (see ``changes_v2``'s comments): for
    a branch taken otherwise, the ``if`` whose condition the fix gates."""
    if CASES[name].change == "branch":
        return marked_line(f"branch: {name}", branch_file(name))
    if CASES[name].commanded[0] in ("complete", ""):  # nothing issued it: the last command
        return marked_line(f"{last_marker(name)}: {name}")  # (none: the run method's start)
    return marked_line(f"change: {name}")


# --------------------------------------------------------------------------- text and JSON


def test_text_report_shows_the_diagnosis() -> None:
    text = render_verdict(committed_verdicts()["RenameActivity"])
    line = marked_line("change: RenameActivity")
    assert "diverged at: event 11 (ActivityTaskScheduled)" in text
    assert "history recorded: activity 'charge'" in text
    assert "code commanded:   activity 'bill'" in text
    assert f"issued at: tests/workflows/changes_v2.py:{line} in run" in text
    assert "return await workflow.execute_activity(bill, order" in text
    assert "change: activity 'charge' became activity 'bill'" in text
    assert ">    11  activity 'charge'" in text and f"changes_v2.py:{line}" in text
    assert "severity: breaks queries and resets of closed executions" in text
    assert 'if workflow.patched("bill-instead-of-charge"):' in text
    assert "\x1b[" not in text


def test_text_report_is_coloured_only_when_asked() -> None:
    verdict = committed_verdicts()["Reorder"]
    assert "\x1b[" in render_verdict(verdict, color=True)
    assert render(list(committed_verdicts().values()), "text", color=False).count("\x1b[") == 0


def test_cli_text_output_has_diagnoses() -> None:
    result = cli("check", "-w", V2, str(CHANGES))
    assert result.exit_code == 1
    # AddActivityCancel: core names no event where the history and the code part
    assert result.stdout.count("diverged at: event") == BROKEN - 1
    # many changes, many places: the summary names where the first ten fixes go, then how many
    # more (it named every one of them, 140 here, on one line)
    closing = next(line for line in result.stdout.splitlines() if "The fixes are at" in line)
    places = closing.split(" (", 1)[1].split(")", 1)[0]
    named = places.split(", ")
    assert len(named) == 10 and re.fullmatch(r"\S+ and \d+ more", named[-1]), closing
    assert closing.endswith("each failing history shows the one it needs; apply them all.")
    assert f"after: tests/workflows/changes_v2.py:{expected_line('RemoveActivityAtEnd')}" in (
        result.stdout
    )
    ok = len(REPLAYS)
    assert f"{ALL_CASES} histories: {ok} ok, {BROKEN} nondeterministic, 0 errors" in result.stdout


def test_summary_counts_the_ok_histories_of_running_executions(tmp_path: Path) -> None:
    result = cli("check", "-w", "examples.provisioning.workflows", str(FIXTURES))
    running = [ln for ln in result.stdout.splitlines() if "execution still running" in ln]
    assert running  # the fixtures hold executions recorded while waiting
    line = (
        f"{len(running)} ok histories of executions still running: checked through the last "
        "recorded event, not the commands still to come."
    )
    assert line in result.stdout
    summary = tmp_path / "summary.md"
    github = cli("check", "-w", "examples.provisioning.workflows", "--format", "github",
                 str(FIXTURES), env={"GITHUB_STEP_SUMMARY": str(summary)})  # fmt: skip
    assert github.stdout.splitlines()[-1] == line
    assert line in summary.read_text().splitlines()
    one = cli("check", "-w", "examples.provisioning.workflows",
              str(FIXTURES / "NotifyTenant" / "prov-acme-completed-notify.json"))
    assert "still running" not in one.stdout  # a closed execution was checked in full
    waiting = FIXTURES / "TenantProvisioning" / "prov-v2-tyrell-awaiting-approval.json"
    single = cli("check", "-w", "examples.provisioning.workflows", str(waiting))
    assert single.stdout.splitlines()[-1] == (
        "1 ok history of an execution still running: checked through the last recorded event, "
        "not the commands still to come."
    )


def test_json_report_has_the_structured_diagnosis() -> None:
    result = cli("check", "-w", V2, "--format", "json", str(CHANGES))
    doc = json.loads(result.stdout)
    by_type = {r["workflow_type"]: r for r in doc["results"]}
    diagnosis = by_type["ChangeChildType"]["diagnosis"]
    assert diagnosis["event_id"] == 5
    assert (diagnosis["recorded_kind"], diagnosis["recorded_name"]) == ("child", "PackOrder")
    assert diagnosis["commanded_name"] == "GiftWrapOrder"
    assert diagnosis["location"][0]["line"] == expected_line("ChangeChildType")
    assert diagnosis["location"][0]["file"] == "tests/workflows/changes_v2.py"
    assert diagnosis["timeline"][0]["diverged"] is True
    assert by_type["RenameSignalExternal"]["diagnosis"] is None
    assert Verdict.from_json_dict(by_type["ChangeChildType"]).diagnosis == Diagnosis.from_json_dict(
        diagnosis
    )


# --------------------------------------------------------------------------- JUnit XML

# The attributes and children junit-10.xsd allows (the schema of Jenkins' xunit plugin, which
# pytest validates its own JUnit XML against), and those it requires: no ``skipped`` on
# <testsuites>, which junitparser's pytest flavour and a validating reader refuse.
JUNIT_ATTRIBUTES = {
    "testsuites": {"name", "time", "tests", "failures", "errors"},
    "testsuite": {
        *("name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp"),
        *("hostname", "id", "package", "file", "log", "url"),
    },
    "testcase": {"name", "time", "classname", "group"},
    "failure": {"type", "message"},
    "error": {"type", "message"},
    "system-out": set(),
}
JUNIT_REQUIRED = {"testsuite": {"name", "tests", "failures", "errors"}, "testcase": {"name"}}
JUNIT_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out", "system-err"},
    "testcase": {"failure", "error", "skipped", "system-out", "system-err"},
    "failure": set(),
    "error": set(),
    "system-out": set(),
}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")


def check_junit_schema(element: ET.Element) -> None:
    """What junit-10.xsd checks of an element and its children: their names and attributes."""
    assert set(element.attrib) <= JUNIT_ATTRIBUTES[element.tag], element.tag
    assert JUNIT_REQUIRED.get(element.tag, set()) <= set(element.attrib), element.tag
    for child in element:
        assert child.tag in JUNIT_CHILDREN[element.tag], (element.tag, child.tag)
        check_junit_schema(child)
    for count in ("tests", "failures", "errors", "skipped"):
        if count in element.attrib:
            assert int(element.attrib[count]) >= 0
    if "time" in element.attrib and element.tag != "testcase":
        assert SUREFIRE_TIME.fullmatch(element.attrib["time"]), element.attrib["time"]


def test_junit_xml(broken: Path) -> None:
    result = cli("check", "-w", V2, "--format", "junit", str(CHANGES), str(broken))
    assert result.exit_code == 2
    assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(result.stdout)
    check_junit_schema(root)
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    expected = {"tests": ALL_CASES + 1, "failures": BROKEN, "errors": 1}
    for element in (root, suite):
        assert {k: int(element.attrib[k]) for k in expected} == expected
    assert suite.attrib["skipped"] == "0"  # where readers of skipped tests look for it
    cases = suite.findall("testcase")
    assert len(cases) == ALL_CASES + 1
    by_class = {c.attrib["classname"]: c for c in cases}
    rename = by_class["RenameActivity"]
    assert (
        rename.attrib["name"] == "tests/fixtures/changes/RenameActivity/change-RenameActivity.json"
    )
    failure = rename.find("failure")
    assert failure is not None
    line = expected_line("RenameActivity")
    assert failure.attrib["message"] == (
        "event 11 (ActivityTaskScheduled): history recorded activity 'charge', "
        f"code commanded activity 'bill' at changes_v2.py:{line} in run"
    )
    assert "issued at: tests/workflows/changes_v2.py" in (failure.text or "")
    assert 'workflow.patched("bill-instead-of-charge")' in (failure.text or "")
    error = by_class["replaycheck"].find("error")
    assert error is not None and "not valid JSON" in error.attrib["message"]
    ok = by_class["RenameSignalExternal"]
    assert ok.find("failure") is None and ok.find("error") is None


def test_junit_failure_body_is_the_text_report_line_by_line() -> None:
    # A CI page shows the body as it is: the report's line breaks, not "\n" on one line.
    history = CHANGES / "RenameActivity" / "change-RenameActivity.json"
    text = cli("check", "-w", f"{V2}:RenameActivity", str(history))
    result = cli("check", "-w", f"{V2}:RenameActivity", "--format", "junit", str(history))
    assert result.exit_code == 1
    failure = ET.fromstring(result.stdout).find(".//failure")
    assert failure is not None and failure.text is not None
    lines = failure.text.splitlines()
    assert lines[0] == "FAIL  tests/fixtures/changes/RenameActivity/change-RenameActivity.json"
    assert "\\n" not in failure.text
    assert failure.text in text.stdout


# --------------------------------------------------------------------------- GitHub


def parse_annotation(line: str) -> tuple[dict[str, str], str]:
    """``::error k=v,k=v::message`` -> properties and message (unescaped)."""
    head, _, message = line.removeprefix("::error ").partition("::")
    props = dict(p.split("=", 1) for p in head.split(","))
    unescape = {"%3A": ":", "%2C": ",", "%0A": "\n", "%0D": "\r", "%25": "%"}
    for key, value in props.items():
        for code, char in unescape.items():
            value = value.replace(code, char)
        props[key] = value
    for code, char in unescape.items():
        message = message.replace(code, char)
    return props, message


def test_github_annotations_point_at_the_workflow_line(tmp_path: Path, broken: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    result = cli("check", "-w", V2, "--format", "github", str(CHANGES), str(broken), env=env)
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    overflow, *annotations = [parse_annotation(x) for x in lines if x.startswith("::error")]
    assert len(annotations) == BROKEN + 1  # and first, the one that says GitHub shows 10:
    assert overflow[0]["title"] == f"replaycheck: {BROKEN + 1} changes or reasons failed"
    # an ok history with a note is a warning, not an error: one per note
    noted = [v for v in committed_verdicts().values() if v.notes]
    assert noted  # ChangeActivityInput, ChangeChildInput, ChangeContinueAsNewInput, ...
    assert sum(x.startswith("::warning ") for x in lines) == sum(len(v.notes) for v in noted)
    by_title = {props["title"]: (props, message) for props, message in annotations}
    for name in CASES:
        props, message = by_title[f"replaycheck: {name} change-{name} nondeterministic"]
        branch = CASES[name].change == "branch"
        assert (REPO / props["file"]).resolve() == (branch_file(name) if branch else V2_FILE)
        assert int(props["line"]) == expected_line(name)
        assert re.match(rf"event {CASES[name].event_id or '[0-9]+'} \(", message)
        assert "severity: breaks queries and resets of closed executions" in message
    props, message = by_title["replaycheck: history truncated.json error"]
    assert Path(props["file"]).resolve() == broken.resolve() and "line" not in props
    assert "not valid JSON" in message
    text = summary.read_text()
    assert text.startswith(
        f"earlier step\n### replaycheck: {ALL_CASES + 1} histories, {len(REPLAYS)} ok, "
        f"{BROKEN} nondeterministic, 1 error\n"
    )
    assert "| FAIL | `tests/fixtures/changes/Reorder/change-Reorder.json` | Reorder |" in text
    assert text.count("<details>") == BROKEN + 1


def test_github_annotation_of_a_helper_points_at_the_caller() -> None:
    path = FIXTURES / "TenantProvisioning" / "prov-acme-completed.json"
    result = cli("check", "-w", "examples.provisioning.workflows_unsafe", "--format", "github",
                 str(path))  # fmt: skip
    [(props, message)] = [parse_annotation(x) for x in result.stdout.splitlines() if "::" in x]
    shared = REPO / "examples" / "provisioning" / "shared.py"
    source = shared.read_text().splitlines()
    assert props["file"] == "examples/provisioning/shared.py"
    assert source[int(props["line"]) - 1].strip() == "await self._step(verify_schema, request)"
    assert "in _step, called from shared.py" in message
    # run in a subdirectory of the repository (a monorepo's `working-directory:`), the file is
    # named from the repository root, where GitHub looks for it
    env = {"GITHUB_WORKSPACE": str(REPO.parent)}
    result = cli("check", "-w", "examples.provisioning.workflows_unsafe", "--format", "github",
                 str(path), env=env)  # fmt: skip
    [(props, _)] = [parse_annotation(x) for x in result.stdout.splitlines() if "::" in x]
    assert props["file"] == f"{REPO.name}/examples/provisioning/shared.py"


def test_annotation_escapes_properties_and_message() -> None:
    frame = SourceFrame(file="a,b:c.py", line=3, function="run")
    diagnosis = Diagnosis(message="m", change="added", location=(frame,), commanded_kind="timer")
    verdict = Verdict(path="h.json", verdict="nondeterministic", message="100%\nnext",
                      workflow_type="W", workflow_id="id", diagnosis=diagnosis)  # fmt: skip
    line = annotation(verdict)
    assert line.startswith("::error file=a%2Cb%3Ac.py,line=3,title=replaycheck%3A W id ")
    assert "\n" not in line
    props, _ = parse_annotation(line)
    assert props["file"] == "a,b:c.py"


def test_text_escapes_line_breaks_in_ids_from_the_history() -> None:
    # A workflow id is anyone's text: one with a line break could fake a report line, or a
    # GitHub workflow command in the CI log of the default text format.
    from replaycheck.report import render_verdict

    verdict = Verdict(path="h\n::notice::x.json", verdict="error", message="m",
                      workflow_type="W\r", workflow_id="inj\n::warning title=X::fake",
                      run_id="r", events=3, status="RUNNING")  # fmt: skip
    text = render_verdict(verdict)
    assert not any(line.lstrip().startswith("::") for line in text.splitlines()), text
    assert "id inj\\n::warning title=X::fake," in text and "workflow W\\r," in text


def test_no_summary_without_the_variable(tmp_path: Path) -> None:
    verdicts = list(committed_verdicts().values())
    assert write_step_summary(verdicts, environ={}) is None
    target = tmp_path / "s.md"
    assert write_step_summary(verdicts, environ={"GITHUB_STEP_SUMMARY": str(target)}) == target
    assert target.read_text() == step_summary(verdicts)
    ok = [v for v in verdicts if v.ok and v.closed and not v.notes]
    assert "Every history replays" in step_summary(ok)
    assert "Notes on histories that replay" not in step_summary(ok)
    n = len(ok)  # RenameSignalExternal, SequentialToGather, ChangeUpsertValues
    summary = f"{n} histories: {n} ok, 0 nondeterministic, 0 errors"
    assert render_github(ok).splitlines() == [summary]


# --------------------------------------------------------------------------- inspect


def test_inspect_summarizes_a_history() -> None:
    result = cli("inspect", "tests/fixtures/changes/RemovePatchCall/change-RemovePatchCall.json")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "tests/fixtures/changes/RemovePatchCall/change-RemovePatchCall.json"
    for expected in (
        "  workflow type  RemovePatchCall",
        "  workflow id    change-RemovePatchCall",
        "  status         COMPLETED",
        "  events         19 (a replay checks events 1-19)",
        "  patch markers  charge-first",
        "      5  patch marker 'charge-first'  4",
        "      7  activity 'charge'            4",
        "     13  activity 'fetch'             12",
        "     19  workflow completion          18",
    ):
        assert expected in lines
    assert not any("UpsertWorkflowSearchAttributes" in x or "search" in x for x in lines)


def test_inspect_names_the_update_each_update_row_accepts_or_completes() -> None:
    # the completion read as a bare "update", which told nothing of which update it was
    path = "tests/fixtures/changes/ReorderAroundUpdate/change-ReorderAroundUpdate.json"
    result = cli("inspect", path)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "     14  update 'set_note'                13" in lines
    assert "     21  completion of update 'set_note'  20" in lines


def test_inspect_running_history_with_timer_and_child() -> None:
    path = "fixtures/histories/TenantProvisioning/prov-v2-tyrell-awaiting-approval.json"
    result = cli("inspect", path)
    assert "  status         RUNNING" in result.stdout
    assert "timer (1s)" in result.stdout
    assert "patch markers  schema-retry-seed-first" in result.stdout


@pytest.mark.parametrize("name", ["missing", "truncated"])
def test_inspect_errors_are_one_line_exit_2(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.json"
    if name != "missing":
        path.write_bytes(MALFORMED[name][0])
    result = cli("inspect", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("replaycheck: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_the_summary_points_at_what_every_user_has_not_at_this_repositorys_docs() -> None:
    # A project using the package has no docs/ of replaycheck's: the fixes printed above it,
    # and `replaycheck patches`, are what it can follow.
    from replaycheck._render_summary import render_summary
    from replaycheck.verdict import Verdict

    bad = Verdict(path="h.json", verdict="nondeterministic", message="changed")
    summary = render_summary([bad])
    assert "gate the change with workflow.patched(), as the fix under each one shows." in summary
    assert "docs/" not in summary


def test_the_summary_asks_for_a_gate_only_when_every_fix_is_one() -> None:
    # A renamed signal handler is fixed by keeping a handler under the old name, not by a gate:
    # the closing line must not send the user to workflow.patched() for it.
    from replaycheck._render_summary import render_summary
    from replaycheck.diagnose import Diagnosis
    from replaycheck.verdict import Verdict

    gate = Diagnosis(message="changed", change="renamed", recorded_kind="activity",
                     recorded_name="a", commanded_kind="activity", commanded_name="b")
    handler = Diagnosis(message="changed", unhandled_signal="approve")
    assert any("workflow.patched(" in line for line in gate.fix())
    assert not any("workflow.patched(" in line for line in handler.fix())

    def failing(diagnosis: Diagnosis) -> Verdict:
        return Verdict(path="h.json", verdict="nondeterministic", message="x", diagnosis=diagnosis)

    assert "gate the change with workflow.patched()" in render_summary([failing(gate)])
    mixed = render_summary([failing(gate), failing(handler)])
    assert "fix each one as shown under it." in mixed
    assert "gate the change" not in mixed


def test_an_id_built_from_each_workflow_id_is_one_change_told_apart_by_its_ids() -> None:
    # A child id built from the parent's workflow id differs in every history: the change and
    # its fix are still one, and each failure says which ids it had.
    from replaycheck.diagnose import Diagnosis, SourceFrame
    from replaycheck.report import render_text
    from replaycheck.verdict import Verdict

    frame = SourceFrame(file="wf.py", line=9, function="run",
                        code='await workflow.execute_child_workflow(Pack.run, id=f"{wid}-box")')

    def failing(name: str) -> Verdict:
        diagnosis = Diagnosis(
            message="changed", change="id-changed", event_id=5,
            event_type="StartChildWorkflowExecutionInitiated", recorded_kind="child",
            recorded_name="Pack", commanded_kind="child", commanded_name="Pack",
            ids=(f"{name}-pack", f"{name}-box"), location=(frame,), patch_id="pack-id",
        )
        return Verdict(path=f"h/{name}.json", verdict="nondeterministic", message="changed",
                       workflow_type="W", workflow_id=name, run_id="r", events=20,
                       status="COMPLETED", diagnosis=diagnosis)

    text = render_text([failing("one"), failing("two")])
    assert "history recorded: child workflow 'Pack' (id 'one-pack')" in text
    assert "code commanded:   child workflow 'Pack' (id 'one-box')" in text
    assert text.count("fix:") == 1
    two = text[text.index("FAIL  h/two.json"):]
    assert "child workflow 'Pack' now gets id 'two-box'; the history recorded id 'two-pack'" in two
    assert "same change and fix as h/one.json, above" in two
    assert failing("two").diagnosis.headline() == (  # type: ignore[union-attr]
        "event 5 (StartChildWorkflowExecutionInitiated): history recorded child workflow 'Pack' "
        "(id 'two-pack'), code commanded child workflow 'Pack' (id 'two-box') at wf.py:9 in run"
    )


def test_text_report_shows_a_repeated_diagnosis_once() -> None:
    # One change breaks every execution that got past it: fifty histories must not bury the
    # one fix under fifty copies of it.
    from replaycheck.diagnose import Diagnosis
    from replaycheck.report import render_text
    from replaycheck.verdict import Verdict

    def failing(name: str, event: int, recorded: str, status: str = "COMPLETED") -> Verdict:
        diagnosis = Diagnosis(
            message="changed", change="renamed", event_id=event, event_type="ActivityTaskScheduled",
            recorded_kind="activity", recorded_name=recorded, commanded_kind="activity",
            commanded_name="b", severity="breaks in-flight executions" if status == "RUNNING"
            else "breaks queries and resets of closed executions",
        )
        return Verdict(path=f"h/{name}.json", verdict="nondeterministic", message="changed",
                       workflow_type="W", workflow_id=name, run_id="r", events=20,
                       status=status, diagnosis=diagnosis)

    text = render_text([
        failing("one", 11, "a"), failing("two", 7, "a", "RUNNING"), failing("three", 11, "c"),
    ])
    assert text.count("fix:") == 2  # one per distinct change
    two = text[text.index("FAIL  h/two.json"):text.index("FAIL  h/three.json")]
    assert "workflow W, id two" in two
    assert "diverged at: event 7 (ActivityTaskScheduled)" in two  # its own event and severity
    assert "severity: breaks in-flight executions" in two
    assert two.rstrip().endswith("same change and fix as h/one.json, above")
    assert "history recorded" not in two
    three = text[text.index("FAIL  h/three.json"):]
    assert "activity 'c' became activity 'b'" in three and "same change" not in three


def test_only_old_branch_failures_after_a_removed_gate_take_its_patch_id() -> None:
    # check links a failure to another history's removed gate only when it is an execution of
    # that type that started before the patch and diverged after where the gate was.
    from replaycheck._run_fixes import reconcile

    def failing(name: str, line: int, wf_type: str = "W", **more: object) -> Verdict:
        fields = {
            "change": "renamed", "recorded_kind": "activity", "recorded_name": "a",
            "commanded_kind": "activity", "commanded_name": "b", "patch_id": "b-instead-of-a",
            **more,
        }  # fmt: skip
        diagnosis = Diagnosis(
            message="changed", location=(SourceFrame("wf.py", line, "run"),),
            **fields,  # type: ignore[arg-type]
        )  # fmt: skip
        return Verdict(path=f"h/{name}.json", verdict="nondeterministic", message="changed",
                       workflow_type=wf_type, diagnosis=diagnosis)  # fmt: skip

    removed = failing("marker", 10, change="patch-removed", recorded_kind="patch",
                      recorded_name="x", patch_id="x", markers=("x",))  # fmt: skip
    verdicts = reconcile([
        removed,
        failing("old-branch", 12),
        failing("deprecated-marker", 12, markers=("~x",)),  # recorded by deprecate_patch()
        failing("other-type", 12, "Other"),
        failing("before-the-gate", 5),
    ])  # fmt: skip
    ids = {Path(v.path).stem: v.diagnosis.patch_id for v in verdicts if v.diagnosis}
    assert ids == {
        "marker": "x", "old-branch": "x", "deprecated-marker": "b-instead-of-a",
        "other-type": "b-instead-of-a", "before-the-gate": "b-instead-of-a",
    }  # fmt: skip
    assert verdicts[0].diagnosis is not None and verdicts[0].diagnosis.old_branch_failures == 1
    assert "1 history here started before the patch" in verdicts[0].diagnosis.fix()[0]


def test_a_removal_whose_histories_went_on_differently_shows_its_fix_once(tmp_path: Path) -> None:
    # RemoveActivityCancel: one history goes on to 'bill', the same one started as a "-rush"
    # order to 'charge'. The fix and its place are the same, so the second failure points at
    # the first (with the command its code went on to), not a second copy of the diagnosis.
    import base64

    from replaycheck.replay import ReplayJob, replay
    from replaycheck.report import render_text

    source = CHANGES / "RemoveActivityCancel" / "change-RemoveActivityCancel.json"
    text = source.read_text()
    old = base64.b64encode(b'"change-RemoveActivityCancel"').decode()
    rush = base64.b64encode(b'"change-RemoveActivityCancel-rush"').decode()
    (tmp_path / "a-bill.json").write_text(text)
    (tmp_path / "b-rush.json").write_text(text.replace(old, rush, 1))  # the workflow's input
    paths = (str(tmp_path / "a-bill.json"), str(tmp_path / "b-rush.json"))
    bill, charge = replay(ReplayJob(paths=paths, workflows=(V2,), import_paths=(str(REPO),)))
    assert bill.diagnosis is not None and charge.diagnosis is not None
    assert (bill.diagnosis.commanded, charge.diagnosis.commanded) == (
        "activity 'bill'", "activity 'charge'")  # fmt: skip
    assert bill.diagnosis.fix() == charge.diagnosis.fix()
    report = render_text([bill, charge])
    assert report.count("fix:") == 1
    second = report[report.index("FAIL  ") + 1 :]
    second = second[second.index("FAIL  ") :]
    assert "code commanded: activity 'charge'" in second
    assert second.rstrip().split("\n\n")[0].endswith(f"same change and fix as {paths[0]}, above")


def test_a_closed_pinned_execution_keeps_the_closed_note_of_a_patch_deprecated_too_early() -> None:
    # Its severity names its version, but it is still a closed execution: the retention note
    # under the fix stays.
    from replaycheck._pinning import pinned_severity
    from replaycheck.diagnose import CLOSED, IN_FLIGHT, Diagnosis, SourceFrame

    frame = SourceFrame(file="wf.py", line=9, function="run", code="await workflow.sleep(1)")

    def fix(severity: str) -> str:
        return "\n".join(Diagnosis(
            message="m", change="added", event_id=5, location=(frame,), commanded_kind="timer",
            deprecated_early="nap", patch_id="nap", severity=severity,
        ).fix())  # fmt: skip

    note = "note: this execution is closed: once the namespace's retention has deleted it"
    assert note in fix(pinned_severity(CLOSED, "orders:v41"))
    assert note in fix(CLOSED)
    assert note not in fix(pinned_severity(IN_FLIGHT, "orders:v41"))


def test_github_annotation_of_a_live_execution_names_no_file() -> None:
    # A --live verdict's path is live:<workflow-id>/<run-id>, no file of the repository: the
    # annotation goes without file=, so GitHub shows it on the run's page instead of dropping
    # it for a file it cannot find. A note that names its workflow line keeps the line.
    from replaycheck.verdict import Note

    error = Verdict(
        path="live:order-7/r1", verdict="error", message="replay timed out after 60 s",
        workflow_id="order-7", workflow_type="Orders",
    )  # fmt: skip
    noted = Verdict(
        path="live:order-8/r2", verdict="ok", message="verified events 1-5 of 9; but ...",
        workflow_id="order-8", workflow_type="Orders",
        notes=(Note("wait", "the code now makes activity 'charge' ...", "shop/orders.py", 41),),
    )  # fmt: skip
    lines = render_github([error, noted]).splitlines()
    assert lines[0].startswith("::error title=replaycheck%3A Orders order-7 error::"), lines[0]
    assert lines[1].startswith(
        "::warning file=shop/orders.py,line=41,title=replaycheck%3A Orders order-8 ok%2C with a "
        "note::ok, but the code now makes activity 'charge'"
    ), lines[1]
    unplaced = Verdict(
        path="live:order-9/r3", verdict="ok", message="...", workflow_id="order-9",
        notes=(Note("input", "the code now passes other input ..."),),
    )  # fmt: skip
    assert render_github([unplaced]).startswith("::warning title=replaycheck%3A history order-9 ")


def test_ci_formats_escape_control_characters_from_the_history() -> None:
    # Names and messages come from histories (and file names from anyone): a control character
    # makes JUnit XML unreadable to every consumer, and a raw escape sequence in a CI log or job
    # summary can repaint what the reviewer sees. Each is shown escaped, as the text report does.
    from replaycheck._render_ci import render_junit

    verdict = Verdict(path="h/or\x1bder.json", verdict="error", message="bad \x07 file",
                      workflow_type="Order\x07Flow", workflow_id="id\x1b[2J",
                      pinned="dep:b\x1b")  # fmt: skip
    root = ET.fromstring(render_junit([verdict]))  # raised "not well-formed" before
    [case] = root.iter("testcase")
    assert case.attrib["classname"] == "Order\\x07Flow"
    assert case.attrib["name"] == "h/or\\x1bder.json"
    error = case.find("error")
    assert error is not None
    assert error.attrib["message"] == "bad \\x07 file (pinned to dep:b\\x1b)"
    line = annotation(verdict)
    props, message = parse_annotation(line)
    assert props["title"] == "replaycheck: Order\\x07Flow id\\x1b[2J error"
    assert message.startswith("bad \\x07 file (pinned to dep:b\\x1b)\n")
    summary = step_summary([verdict])
    assert "| ERROR | `h/or\\x1bder.json` | Order\\x07Flow | bad \\x07 file" in summary
    assert not any(char in summary + message + props["title"] for char in "\x07\x1b")


def test_github_gives_one_annotation_per_change_not_per_history() -> None:
    # GitHub shows 10 error annotations a step: one per history buried a second change (its
    # own line to gate) under copies of the first as soon as it broke ten executions.
    def failing(name: str, line: int, recorded: str) -> Verdict:
        frame = SourceFrame(file="wf.py", line=line, function="run")
        diagnosis = Diagnosis(
            message="changed", change="renamed", event_id=5, event_type="ActivityTaskScheduled",
            recorded_kind="activity", recorded_name=recorded, commanded_kind="activity",
            commanded_name="b", location=(frame,),
        )
        return Verdict(path=f"h/{name}.json", verdict="nondeterministic", message="changed",
                       workflow_type="W", workflow_id=name, diagnosis=diagnosis)  # fmt: skip

    same = [failing(f"o{i:02}", 9, "a") for i in range(12)]
    output = render_github([*same, failing("other", 20, "c")])
    annotations = [parse_annotation(x) for x in output.splitlines() if x.startswith("::error")]
    assert [(props["line"], props["title"]) for props, _ in annotations] == [
        ("9", "replaycheck: W o00 nondeterministic, and 11 more histories"),
        ("20", "replaycheck: W other nondeterministic"),
    ]
    first = annotations[0][1]
    assert "\n11 more histories with the same change and fix: h/o01.json, h/o02.json, " in first
    assert "h/o05.json and 6 more\n" in first and first.count("h/o") == 1 + 5
    assert "13 histories: 0 ok, 13 nondeterministic, 0 errors" in output  # still counts each


def test_the_job_summary_stays_within_githubs_limit(tmp_path: Path) -> None:
    # GitHub drops a step's whole job summary past 1 MiB ("$GITHUB_STEP_SUMMARY upload
    # aborted"): hundreds of failures lost every one of them, counts included.
    def failing(i: int) -> Verdict:
        return Verdict(path=f"h/{i:03}.json", verdict="error", message=f"bad {i} " + "x" * 2000,
                       workflow_type="W", workflow_id=f"{i:03}")  # fmt: skip

    summary = tmp_path / "summary.md"
    summary.write_text("earlier step output\n" * 5000)  # the step's own summary counts too
    environ = {"GITHUB_STEP_SUMMARY": str(summary)}
    write_step_summary([failing(i) for i in range(400)], environ=environ)
    text = summary.read_text()
    assert len(text.encode()) <= 1024 * 1024
    assert "### replaycheck: 400 histories, 0 ok, 0 nondeterministic, 400 errors" in text
    assert "| ERROR | `h/000.json` | W | bad 0 xxx" in text
    assert "<summary><code>h/000.json</code></summary>" in text
    assert "`replaycheck check` prints each one" in text.splitlines()[-1]


def test_the_github_closing_lines_name_the_annotations_it_prints() -> None:
    # --format github prints annotations, not the text report's FAIL and ERROR lines with the
    # fix under each: its closing lines pointed at markers nobody could find in the log.
    verdicts = committed_verdicts()
    error = Verdict(path="h/bad.json", verdict="error", message="bad file", workflow_type="W")
    output = render_github([verdicts["RenameActivity"], verdicts["Reorder"], error])
    closing = output[output.index("3 histories: ") :]
    assert (
        "The new code would break the histories annotated nondeterministic above: gate the "
        "change with workflow.patched(), as the fix in each annotation shows."
    ) in closing
    assert "each annotation shows the one its histories need; apply them all." in closing
    assert "Histories annotated error above could not be replayed to the end" in closing
    assert "marked" not in closing and "under each one" not in closing
    text = render([verdicts["RenameActivity"], error], "text")  # the text report keeps them
    assert "marked FAIL: gate the change with workflow.patched(), as the fix under each" in text
    assert "Histories marked ERROR could not be replayed" in text


def test_the_closing_places_count_a_removal_where_the_code_completes() -> None:
    # RemoveActivityAtEnd's fix goes after the code's last matching command, where its GitHub
    # annotation is; the closing line left it out ("The fixes are at 2 places" for three, or
    # no line at all beside one other place).
    verdicts = committed_verdicts()
    removed, branch = verdicts["RemoveActivityAtEnd"], verdicts["InvertBranch"]
    v2 = "tests/workflows/changes_v2.py"
    after = expected_line("RemoveActivityAtEnd")
    places = f"{v2}:{expected_line('InvertBranch')}, {v2}:{after}"
    text = render([branch, removed], "text")
    assert f"The fixes are at 2 places ({places}): each failing history" in text
    assert f"file={v2},line={after}," in render_github([removed])


def test_the_closing_line_after_a_too_early_deprecation_says_to_go_back_to_the_gate() -> None:
    # The code has its gate already; deprecate_patch() replaced it too early. The fix under the
    # history said so, but the closing line asked to gate the change with workflow.patched().
    from replaycheck._render_summary import render_summary

    verdicts = committed_verdicts()
    early = verdicts["DeprecateEarly"]
    assert early.diagnosis is not None and early.diagnosis.deprecated_early
    alone = render_summary([early])
    assert (
        "The new code would break the histories marked FAIL: go back to the workflow.patched() "
        "gate that deprecate_patch() replaced too early, as the fix under each one shows."
    ) in alone
    assert "gate the change" not in alone
    mixed = render_summary([early, verdicts["RenameActivity"]])
    assert (
        "gate the change with workflow.patched(), or go back to the gate where deprecate_patch() "
        "came too early, as the fix under each one shows."
    ) in mixed


def test_the_job_summary_escapes_html_in_a_history_path(tmp_path: Path) -> None:
    # Each report sits under <summary><code>path</code>: a file named "a<b>&c.json" opened a
    # tag GitHub swallowed (or an entity it decoded), showing another name or none.
    verdict = Verdict(path="h/a<b>&c.json", verdict="error", message="bad", workflow_type="W")
    text = step_summary([verdict])
    assert "<summary><code>h/a&lt;b&gt;&amp;c.json</code></summary>" in text
    assert "| ERROR | `h/a<b>&c.json` | W | bad |" in text  # a code span shows it as it is


def table_cells(row: str) -> list[str]:
    """A Markdown table row's cells as GitHub splits them: at each ``|`` that no backslash
    escapes (whether or not that backslash is escaped itself), whose backslash it then drops."""
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def shown(cell: str) -> str:
    """What GitHub shows of one Markdown cell: a whole code span's text as it is, else the text
    with its escapes and entities decoded, which must open no code span and no HTML tag."""
    fence = re.match("`+", cell)
    if fence is None:
        assert re.search(r"(?<!\\)`", cell) is None and "<" not in cell, cell
        return html.unescape(re.sub(r"\\([!-/:-@[-`{-~])", r"\1", cell))
    n = len(fence.group())
    text = cell[n:-n]
    assert cell.endswith(fence.group()) and not text.endswith("`"), cell  # closes at the end
    assert n not in map(len, re.findall("`+", text)), cell  # and nowhere before
    both = text.startswith(" ") and text.endswith(" ") and text.strip()
    return text[1:-1] if both else text


ODD_NAMES = ("a`b``c", "`starts", "p|q", "x<b>y", "e&amp;")


def test_the_job_summary_shows_odd_history_names_as_they_are(tmp_path: Path) -> None:
    # A backtick in a name closed its code span early, a | split its table row, <b> opened a
    # tag GitHub swallowed: the row showed another name, or shifted its cells.
    source = CHANGES / "RenameActivity" / "change-RenameActivity.json"
    for name in ODD_NAMES:
        (tmp_path / f"{name}.json").write_bytes(source.read_bytes())
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    result = cli("check", "-w", V2, "--format", "github", str(tmp_path), env=env)
    assert result.exit_code == 1, result.output
    rows = [table_cells(x) for x in summary.read_text().splitlines() if x.startswith("| FAIL")]
    assert sorted(shown(path) for _, path, _, _ in rows) == sorted(
        str(tmp_path / f"{name}.json") for name in ODD_NAMES
    )
    assert {(label, shown(workflow)) for label, _, workflow, _ in rows} == {
        ("FAIL", "RenameActivity")
    }
    line = expected_line("RenameActivity")
    assert {shown(diagnosis) for *_, diagnosis in rows} == {
        "event 11 (ActivityTaskScheduled): history recorded activity 'charge', code commanded "
        f"activity 'bill' at changes_v2.py:{line} in run"
    }


def test_the_job_summary_shows_odd_types_messages_and_notes_as_they_are() -> None:
    odd = "Order|<b>Flow</b> `x` *y* [z](u) a\\|b &amp;"
    version = "dep:<b>1</b>|`x`"
    failing = Verdict(path="h/f.json", verdict="error", message=f"bad {odd}",
                      workflow_type=odd, pinned=version)  # fmt: skip
    noted = Verdict(path="h/``n`.json", verdict="ok", message="ok", workflow_type="W",
                    notes=(Note(kind="input", text=f"the code now passes {odd}"),))  # fmt: skip
    text = step_summary([failing, noted])
    [row] = [table_cells(x) for x in text.splitlines() if x.startswith("| ERROR")]
    assert [shown(cell) for cell in row] == [
        "ERROR", "h/f.json", odd, f"bad {odd} (pinned to {version})"
    ]  # fmt: skip
    [pinned] = [x for x in text.splitlines() if "pinned to a deployment version" in x]
    assert f"(1 on {version})" in shown(pinned)
    [note] = [x for x in text.splitlines() if x.startswith("- ")]
    path, _, said = note[2:].partition(": ok, but ")
    assert (shown(path), shown(said)) == ("h/``n`.json", f"the code now passes {odd}")


def test_the_closing_hint_tells_a_folder_not_listed_from_a_history_not_replayed() -> None:
    # a folder that could not be listed read as "Histories marked ERROR could not be replayed
    # to the end", though no history had been replayed: its histories were never read
    ok = committed_verdicts()["RenameActivity"]
    folder = Verdict(path="h/more", verdict="error", message=LISTING_FIX)
    bad = Verdict(path="h/bad.json", verdict="error", message="bad file", workflow_type="W")
    folder_only = render([folder], "text").splitlines()[-1]
    assert folder_only == (
        "The folder that could not be listed left its histories unchecked: fix the reason "
        "shown and run again."
    )
    two = render([folder, replace(folder, path="h/other")], "text").splitlines()[-1]
    assert two.startswith("The 2 folders that could not be listed left their histories unchecked")
    both = render([folder, bad], "text").splitlines()[-1]
    assert both == (
        "Histories marked ERROR could not be replayed to the end, and the folder that could not "
        "be listed left its histories unchecked: fix the reason shown and run again."
    )
    github = render_github([folder])
    assert "The folder that could not be listed left its histories unchecked" in github
    assert "could not be replayed" not in render([ok, folder], "text")
