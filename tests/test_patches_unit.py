"""The parts of ``replaycheck patches`` that need no replay: the static scan and the rules."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from replaycheck._patch_facts import PatchCall, PatchFacts, split_version_id
from replaycheck._patch_scan import scan
from replaycheck.cluster import refusal_reason
from replaycheck.live import default_query
from replaycheck.patches import CallSite, analyze
from replaycheck.verdict import Verdict

PACKAGE = {
    "__init__.py": "",
    "ids.py": 'SHARED_ID = "shared-id"\n',
    "helpers.py": """
        from temporalio import workflow

        class Base:
            def step(self) -> bool:
                return workflow.patched("in-base-class")
    """,
    "flows.py": """
        import temporalio
        from temporalio import workflow as wf
        from temporalio.workflow import deprecate_patch, patched as is_patched

        from replaycheck import versioning
        from replaycheck.versioning import DEFAULT_VERSION, get_version

        from .helpers import Base
        from .ids import SHARED_ID

        LOCAL_ID = "local-id"

        @wf.defn(name="Flow")
        class FlowWorkflow(Base):
            @wf.run
            async def run(self, n: int) -> None:
                wf.patched(LOCAL_ID)
                is_patched(SHARED_ID)
                deprecate_patch(id="old-one")
                temporalio.workflow.patched(f"dynamic-{n}")
                get_version("change", DEFAULT_VERSION, 2)
                versioning.get_version(change_id="other", min_supported=1, max_supported=3)

        @wf.defn
        class Other:
            @wf.run
            async def run(self) -> None:
                wf.patched("in-other")
    """,
}


def write_package(root: Path, package: str, files: dict[str, str]) -> Path:
    """``files`` (name -> source, dedented) as the package ``package`` under ``root``."""
    for name, source in files.items():
        path = root / package / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return root


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return write_package(tmp_path, "mypkg", PACKAGE)


def test_scan_reads_every_call_form(package: Path) -> None:
    found = scan(["mypkg.flows"], [str(package)])
    by_line = {(Path(s.file).name, s.kind, s.patch_id, s.workflow_type) for s in found.sites}
    assert by_line == {
        ("helpers.py", "patched", "in-base-class", "Flow"),  # a base class only Flow runs
        ("flows.py", "patched", "local-id", "Flow"),
        ("flows.py", "patched", "shared-id", "Flow"),  # a constant imported from the package
        ("flows.py", "deprecate_patch", "old-one", "Flow"),
        ("flows.py", "patched", None, "Flow"),
        ("flows.py", "get_version", "change", "Flow"),
        ("flows.py", "get_version", "other", "Flow"),
        ("flows.py", "patched", "in-other", "Other"),
    }
    dynamic = next(s for s in found.sites if s.patch_id is None)
    assert dynamic.expression == "f'dynamic-{n}'"
    ranges = {s.patch_id: (s.min_supported, s.max_supported) for s in found.sites}
    assert ranges["change"] == (-1, 2) and ranges["other"] == (1, 3)
    assert found.workflow_types == ("Flow", "Other")


def test_scan_of_one_class_skips_the_other_workflow_classes(package: Path) -> None:
    found = scan(["mypkg.flows:FlowWorkflow"], [str(package)])
    assert "in-other" not in {s.patch_id for s in found.sites}
    assert "in-base-class" in {s.patch_id for s in found.sites}  # may be FlowWorkflow's
    assert found.workflow_types == ("Flow",)


OLD_AND_NEW = {
    "__init__.py": "",
    "old.py": """
        from temporalio import workflow

        def gate() -> bool:
            return workflow.patched("in-helper")

        @workflow.defn(name="Loop")
        class Loop:
            @workflow.run
            async def run(self) -> None:
                workflow.patched("in-loop")

        @workflow.defn(name="Patchy")
        class Patchy:
            @workflow.run
            async def run(self) -> None:
                workflow.patched("p-one")
    """,
    "new.py": """
        from temporalio import workflow

        from .old import Loop, gate

        @workflow.defn(name="Patchy")
        class Patchy:
            @workflow.run
            async def run(self) -> None:
                gate()
                await workflow.execute_child_workflow(Loop.run)
    """,
}


def test_only_the_registered_classes_and_what_they_call_count(tmp_path: Path) -> None:
    write_package(tmp_path, "versions", OLD_AND_NEW)
    # new.py registers its Patchy and the Loop it imports; old.py's Patchy is not registered.
    found = scan(["versions.new"], [str(tmp_path)])
    assert {(s.patch_id, s.workflow_type) for s in found.sites} == {
        ("in-helper", "Patchy"),  # a helper only Patchy calls
        ("in-loop", "Loop"),
    }
    assert found.workflow_types == ("Loop", "Patchy")
    marked = verdict("a", markers=("p-one",), wtype="Patchy", status="RUNNING")
    (patch,) = [p for p in analyze([marked], found.sites).patches if p.patch_id == "p-one"]
    assert (patch.verdict, patch.call_sites) == ("orphaned", ())
    # A child workflow's class is not run by its parent.
    only_patchy = scan(["versions.new:Patchy"], [str(tmp_path)])
    assert {s.patch_id for s in only_patchy.sites} == {"in-helper"}


NAMED = """\
from temporalio import workflow
from app.names import IMPORTED

TYPE = "Billing"


@workflow.defn(name=TYPE)
class Billing:
    @workflow.run
    async def run(self) -> None:
        workflow.patched("bill-p")


@workflow.defn(name=IMPORTED)
class Refund:
    @workflow.run
    async def run(self) -> None:
        workflow.patched("refund-p")


@workflow.defn(name="".join(("In", "voice")))
class Invoice:
    @workflow.run
    async def run(self) -> None:
        workflow.patched("invoice-p")


@workflow.defn(dynamic=True)
class Anything:
    @workflow.run
    async def run(self, args: object) -> None:
        workflow.patched("dyn-p")
"""


def test_a_type_name_from_a_constant_counts_one_the_source_does_not_tell_none(
    tmp_path: Path,
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "names.py").write_text('IMPORTED = "RefundWorkflow"\n')
    (tmp_path / "app" / "named.py").write_text(NAMED)
    found = scan(["app.named"], [str(tmp_path)])
    assert {s.patch_id: s.workflow_type for s in found.sites} == {
        "bill-p": "Billing", "refund-p": "RefundWorkflow", "invoice-p": "", "dyn-p": "",
    }  # fmt: skip
    assert found.workflow_types == ("Billing", "RefundWorkflow")
    unknown = {s.patch_id for s in found.sites if s.type_unknown}
    assert unknown == {"invoice-p", "dyn-p"}
    # Read from files, nothing shows the histories cover such a class's executions.
    (invoice,) = [s for s in found.sites if s.patch_id == "invoice-p"]
    history = verdict("i", markers=("invoice-p",), wtype="Invoice")
    (patch,) = analyze([history], [invoice], types=found.workflow_types).patches
    assert patch.verdict == "keep-both-branches" and "does not tell" in patch.reason
    live = analyze([history], [invoice], types=found.workflow_types, complete=True)
    assert live.patches[0].verdict == "ready-to-deprecate"


TOP_LEVEL = """
    import replaycheck
    from replaycheck import DEFAULT_VERSION as DEFAULT, get_version
    from temporalio import workflow

    @workflow.defn(name="Flow")
    class FlowWorkflow:
        @workflow.run
        async def run(self) -> None:
            get_version("change", DEFAULT, 2)
            replaycheck.get_version("other", replaycheck.DEFAULT_VERSION, 3)
"""


def test_scan_reads_get_version_imported_from_the_package_top_level(tmp_path: Path) -> None:
    write_package(tmp_path, "toplevel", {"__init__.py": "", "flows.py": TOP_LEVEL})
    found = scan(["toplevel.flows"], [str(tmp_path)])
    ranges = {s.patch_id: (s.kind, s.min_supported, s.max_supported) for s in found.sites}
    assert ranges == {"change": ("get_version", -1, 2), "other": ("get_version", -1, 3)}


def test_scan_of_a_missing_module_finds_nothing(tmp_path: Path) -> None:
    assert scan(["nowhere.at_all"], [str(tmp_path)]).sites == ()


def test_split_version_id() -> None:
    assert split_version_id("steps-v12") == ("steps", 12)
    assert split_version_id("a-v-v2") == ("a-v", 2)
    assert split_version_id("steps-v0") is None
    assert split_version_id("steps") is None


def test_every_execution_query_quotes_names() -> None:
    assert default_query(["B", "A"], running=False) == "WorkflowType IN ('A', 'B')"
    assert default_query(["it's"], running=False) == 'WorkflowType IN ("it\'s")'
    assert default_query(["A"]) == "ExecutionStatus = 'Running' AND WorkflowType IN ('A')"


# --------------------------------------------------------------------------- the rules

SITE = CallSite("/src/flow.py", 7, "patched", "p", "'p'", "Flow")


def verdict(
    wid: str,
    *,
    status: str = "COMPLETED",
    kind: str = "ok",
    markers: tuple[str, ...] = (),
    calls: tuple[PatchCall, ...] = (),
    observed: bool = True,
    wtype: str = "Flow",
) -> Verdict:
    facts = PatchFacts(markers=markers, calls=calls, observed=observed)
    return Verdict(
        path=f"{wid}.json", verdict=kind, message="", workflow_id=wid,  # type: ignore[arg-type]
        workflow_type=wtype, status=status, patches=facts,
    )  # fmt: skip


def gate(result: bool, replaying: bool = True) -> PatchCall:
    return PatchCall("p", deprecated=False, result=result, replaying=replaying, event_id=3)


def test_facts_round_trip_and_stay_out_of_check_output() -> None:
    v = verdict("a", markers=("~p",), calls=(gate(False),))
    assert Verdict.from_json_dict(v.to_json_dict()) == v
    plain = Verdict(path="x.json", verdict="ok", message="")
    assert "patches" not in plain.to_json_dict()


def test_a_patch_without_call_sites_counts_only_the_types_that_recorded_it() -> None:
    # Its call removed: executions of other workflow types can never reach it.
    (patch,) = analyze(
        [verdict("a", markers=("p",)), verdict("b", status="RUNNING"),
         verdict("other", status="RUNNING", wtype="Other")],
        [],
    ).patches  # fmt: skip
    assert [r.workflow_id for r in patch.not_reached] == ["b"]


def test_a_failed_replay_before_the_gate_blocks_deprecation() -> None:
    (patch,) = analyze([verdict("a", kind="nondeterministic"), verdict("b", markers=("p",))],
                       [SITE]).patches  # fmt: skip
    assert patch.verdict == "keep-both-branches"
    assert [r.workflow_id for r in patch.unchecked] == ["a"]
    assert "could not be replayed up to the gate" in patch.reason
    assert "keep the old branch until it is gone (" in patch.reason  # one: "they are"
    failed = [verdict(name, kind="nondeterministic") for name in "ac"]
    (patch,) = analyze([*failed, verdict("b", markers=("p",))], [SITE]).patches
    assert "keep the old branch until they are gone (" in patch.reason


def test_closed_executions_that_never_reached_the_gate_do_not_count() -> None:
    (patch,) = analyze([verdict("a"), verdict("b", status="RUNNING")], [SITE]).patches
    assert patch.verdict == "ready-to-deprecate"
    assert [r.workflow_id for r in patch.not_reached] == ["b"]
    assert patch.new_branch == patch.old_branch == ()
    # Listed, not lost: every execution counted is in one of the groups.
    assert [r.workflow_id for r in patch.closed_before] == ["a"]
    assert "1 closed execution ended before reaching it" in patch.reason


def test_a_closed_execution_that_never_reached_get_version_is_listed() -> None:
    site = CallSite("/src/flow.py", 7, "get_version", "steps", "'steps'", "Flow", 1, 2)
    recorded = PatchCall("steps-v2", deprecated=False, result=True, replaying=True, event_id=3)
    found = analyze([verdict("a"), verdict("b", markers=("steps-v2",), calls=(recorded,))], [site])
    (change,) = found.changes
    assert [r.workflow_id for r in change.closed_before] == ["a"]
    assert change.not_reached == change.unchecked == ()
    assert change.verdict == "raise-min-supported"


def test_a_gate_reached_only_after_the_history_end_is_not_reached_yet() -> None:
    running = verdict("a", status="RUNNING", calls=(gate(True, replaying=False),))
    (patch,) = analyze([running], [SITE]).patches
    assert [r.workflow_id for r in patch.not_reached] == ["a"]
    assert patch.new_branch == ()


def test_other_workflow_types_are_not_counted() -> None:
    other = verdict("c", status="RUNNING", wtype="Child", kind="error")
    (patch,) = analyze([verdict("b", markers=("p",)), other], [SITE]).patches
    assert patch.verdict == "ready-to-deprecate"
    assert patch.unchecked == patch.not_reached == ()


def test_a_gate_of_a_workflow_type_with_no_history_read_is_never_ready() -> None:
    # Histories of another type only: nothing shows where Flow's executions went (a running
    # one may sit on the old branch). Read live without a selection, no Flow history means
    # no Flow execution is left.
    other = [verdict("o", wtype="Other")]
    (patch,) = analyze(other, [SITE]).patches
    assert patch.verdict == "keep-both-branches"
    assert "no history of 1 workflow type whose code calls it ('Flow')" in patch.reason
    assert "replaycheck patches --live" in patch.reason
    assert analyze(other, [SITE], complete=True).patches[0].verdict == "ready-to-deprecate"
    deprecated = CallSite("/src/flow.py", 7, "deprecate_patch", "p", "'p'", "Flow")
    (patch,) = analyze(other, [deprecated]).patches
    assert patch.verdict == "keep-deprecate-patch" and "before removing the call" in patch.reason
    assert analyze(other, [deprecated], complete=True).patches[0].verdict == "ready-to-remove"


def test_a_run_whose_earlier_run_was_not_read_holds_a_ready_verdict_back() -> None:
    # A plain export keeps a continue-as-new chain's latest run only: the run before, closed
    # (continued as new) but kept by the server, may have taken the old branch.
    from dataclasses import replace

    def run(run_id: str, earlier: str = "", started: str = "") -> Verdict:
        v = verdict("chain", markers=("p",))
        facts = replace(v.patches, continued_from=earlier, started_at=started)  # type: ignore[type-var]
        return replace(v, run_id=run_id, path=f"chain@{run_id}.json", patches=facts)

    latest = run("r2", earlier="r1", started="2026-11-30T10:00:00+00:00")
    (patch,) = analyze([latest], [SITE]).patches
    assert patch.verdict == "keep-both-branches"
    assert "the earlier runs of 1 workflow id ('chain': a run continued as new" in patch.reason
    assert "replaycheck export --query \"WorkflowId='chain'\"" in patch.reason
    # a live selection is told to widen the selection, not to export
    (live,) = analyze([latest], [SITE], live=True).patches
    assert live.verdict == "keep-both-branches"
    assert "select them too (`--query \"WorkflowId='chain'\"`" in live.reason
    assert "export" not in live.reason
    # the earlier run read too: ready
    (patch,) = analyze([latest, run("r1")], [SITE]).patches
    assert patch.verdict == "ready-to-deprecate"
    # past the retention, the server has deleted the earlier run: ready
    now = datetime(2026, 12, 2, tzinfo=timezone.utc)
    assert analyze([latest], [SITE], retention_days=1, now=now).patches[0].verdict == (
        "ready-to-deprecate"
    )
    assert analyze([latest], [SITE], retention_days=7, now=now).patches[0].verdict == (
        "keep-both-branches"
    )
    # read live, every run the server keeps was read
    assert analyze([latest], [SITE], complete=True).patches[0].verdict == "ready-to-deprecate"


def test_a_gate_in_a_helper_needs_histories_of_every_registered_type() -> None:
    # A helper (or base class) call site is of no one type: any registered type may reach it.
    helper = CallSite("/src/shared.py", 7, "patched", "p", "'p'", "")
    found = [verdict("a", markers=("p",))]  # a Flow history only
    (patch,) = analyze(found, [helper], types=["Flow", "Other"]).patches
    assert patch.verdict == "keep-both-branches" and "('Other')" in patch.reason
    (patch,) = analyze(found, [helper], types=["Flow"]).patches
    assert patch.verdict == "ready-to-deprecate"


SHARED_BASE = {
    "__init__.py": "",
    "base.py": """
        from temporalio import workflow

        class ProvisioningBase:
            async def prepare(self) -> None:
                if workflow.patched("in-one-types-base"):
                    await workflow.sleep(1)

        def audit() -> None:
            workflow.patched("in-shared-helper")
    """,
    "flows.py": """
        from temporalio import workflow

        from .base import ProvisioningBase, audit

        @workflow.defn(name="Provision")
        class Provision(ProvisioningBase):
            @workflow.run
            async def run(self) -> None:
                await self.prepare()
                audit()
                await workflow.execute_child_workflow(Notify.run)

        @workflow.defn(name="Notify")
        class Notify:
            @workflow.run
            async def run(self) -> None:
                audit()
    """,
}


def test_a_gate_in_a_base_class_of_one_workflow_is_that_types_only(tmp_path: Path) -> None:
    # Only Provision runs ProvisioningBase (Notify, its child, does not derive from it): the
    # gate there needs no Notify history, while the helper both call may be either type's.
    write_package(tmp_path, "basepkg", SHARED_BASE)
    found = scan(["basepkg.flows"], [str(tmp_path)])
    assert {(s.patch_id, s.workflow_type) for s in found.sites} == {
        ("in-one-types-base", "Provision"),
        ("in-shared-helper", ""),
    }
    provisioned = [verdict("a", markers=("in-one-types-base",), wtype="Provision")]
    site = next(s for s in found.sites if s.patch_id == "in-one-types-base")
    (patch,) = analyze(provisioned, [site], types=list(found.workflow_types)).patches
    assert patch.verdict == "ready-to-deprecate", patch.reason


def test_a_run_continued_from_another_type_holds_that_types_gates_back() -> None:
    # Flow continues as new into Other: an Other run whose earlier run was not read may have
    # continued from a Flow run, which may have taken the old branch of Flow's gate.
    from dataclasses import replace

    other = verdict("chain", wtype="Other")
    facts = replace(other.patches, continued_from="r1")  # type: ignore[type-var]
    later = replace(other, run_id="r2", patches=facts)
    flow = verdict("a", markers=("p",))
    assert analyze([flow, later], [SITE]).patches[0].verdict == "ready-to-deprecate"
    for into in [("Flow", "Other")], [("", "Other")], [("Flow", "")]:
        (patch,) = analyze([flow, later], [SITE], continues_into=into).patches
        assert patch.verdict == "keep-both-branches", into
        assert "the earlier runs of 1 workflow id ('chain'" in patch.reason
    # a type that continues into Other is not Flow: Flow's gate is not held back
    (patch,) = analyze([flow, later], [SITE], continues_into=[("Third", "Other")]).patches
    assert patch.verdict == "ready-to-deprecate"


CONTINUES = {
    "__init__.py": "",
    "names.py": 'NEXT = "Next"\n',
    "flows.py": """
        from temporalio import workflow

        from .names import NEXT

        def hand_over(target: str) -> None:
            workflow.continue_as_new(workflow=target)

        @workflow.defn(name="First")
        class First:
            @workflow.run
            async def run(self, n: int) -> None:
                if n == 1:
                    workflow.continue_as_new(n + 1, workflow=Second.run)
                if n == 2:
                    workflow.continue_as_new(workflow="Third")
                if n == 3:
                    workflow.continue_as_new(workflow=NEXT)
                if n == 4:
                    workflow.continue_as_new(n + 1)  # the same type
                hand_over("Fourth")

        @workflow.defn
        class Second:
            @workflow.run
            async def run(self, n: int) -> None:
                workflow.continue_as_new(n, workflow=First.run)
    """,
}


def test_scan_finds_the_types_a_workflow_continues_as_new_into(tmp_path: Path) -> None:
    write_package(tmp_path, "canpkg", CONTINUES)
    found = scan(["canpkg.flows"], [str(tmp_path)])
    assert found.continues_into == (
        ("First", ""),  # in a helper only First calls, to a target only the caller knows
        ("First", "Next"),
        ("First", "Second"),
        ("First", "Third"),
        ("Second", "First"),
    )
    assert scan(["canpkg.flows:Second"], [str(tmp_path)]).continues_into == (("Second", "First"),)


def test_the_suggested_export_of_earlier_runs_pastes_into_a_shell() -> None:
    import re
    import shlex
    from dataclasses import replace

    later = verdict("o'b", markers=("p",))
    facts = replace(later.patches, continued_from="r0")  # type: ignore[type-var]
    (patch,) = analyze([replace(later, run_id="r1", patches=facts)], [SITE]).patches
    command = re.search(r"`(replaycheck export --query [^`]*)`", patch.reason)
    assert command is not None, patch.reason
    assert shlex.split(command.group(1))[-1] == """WorkflowId="o'b\""""


def test_a_helper_a_class_of_unknown_type_may_call_and_a_type_seen_only_expired() -> None:
    helper = CallSite("/src/shared.py", 7, "patched", "p", "'p'", "")
    found = [verdict("a", markers=("p",))]
    # a dynamic (or computed-name) class may reach the helper: from files, not ready
    (patch,) = analyze(found, [helper], types=["Flow"], types_unknown=True).patches
    assert patch.verdict == "keep-both-branches" and "does not tell" in patch.reason
    live = analyze(found, [helper], types=["Flow"], types_unknown=True, complete=True)
    assert live.patches[0].verdict == "ready-to-deprecate"
    # the only Flow history closed past the retention: Flow's executions are unknown
    old = replace_facts(verdict("old", markers=("p",)), closed_at="2025-01-01T00:00:00+00:00")
    now = datetime(2026, 12, 2, tzinfo=timezone.utc)
    other = verdict("o", wtype="Other")
    (patch,) = analyze([old, other], [SITE], retention_days=30, now=now).patches
    assert patch.verdict == "keep-both-branches" and "('Flow')" in patch.reason


def replace_facts(v: Verdict, **changes: str) -> Verdict:
    from dataclasses import replace

    return replace(v, patches=replace(v.patches, **changes))  # type: ignore[type-var]


def test_the_facts_of_a_run_name_the_run_it_continued_from() -> None:
    from replaycheck._patch_record import _continued
    from replaycheck.histories import read_history
    from tests.conftest import COMPLETE

    loaded = read_history(COMPLETE)
    assert _continued(loaded) == {}  # a first run
    started = loaded.history.events[0].workflow_execution_started_event_attributes
    started.continued_execution_run_id = "r1"
    assert _continued(loaded) == {
        "continued_from": "r1",
        "started_at": "2022-08-17T16:27:34+00:00",
    }


def test_a_marker_no_code_calls_is_orphaned_and_a_replay_seen_call_counts() -> None:
    history = verdict("a", markers=("q",))
    (patch,) = analyze([history], []).patches
    assert (patch.patch_id, patch.verdict) == ("q", "orphaned")
    assert patch.reason.startswith("1 execution (0 running, 1 closed) recorded the marker")
    assert 'deprecate_patch("q") back where the gate was until it is gone' in patch.reason
    seen = PatchCall("q", deprecated=True, result=True, replaying=True, file="/src/f.py", line=9)
    dynamic = CallSite("/src/f.py", 9, "deprecate_patch", None, "make_id()", "Flow")
    found = analyze([verdict("a", markers=("q",), calls=(seen,))], [dynamic])
    (patch,) = found.patches
    assert patch.verdict == "keep-deprecate-patch"
    (site,) = patch.call_sites
    assert (site.observed, site.expression) == (True, "make_id()")
    assert found.non_literal == (dynamic,)


def test_a_server_that_did_not_count_a_type_is_quoted_on_why() -> None:
    # Its visibility could not count the executions it keeps: its one-line reason is given,
    # so the user knows whether a wider selection (or another visibility store) would do.
    read = [verdict("b", markers=("p",))]
    refused = refusal_reason("Operation CountWorkflowExecutions is not supported.\n  at ...")
    (patch,) = analyze(
        read, [SITE], live=True, unread={"Flow": None}, uncounted_reason=refused
    ).patches
    assert patch.verdict == "keep-both-branches"
    assert patch.reason.startswith(
        "the server did not count how many executions of workflow type 'Flow' it keeps (it "
        "answered: Operation CountWorkflowExecutions is not supported), so the --query or "
        "--workflow-id selection may have left some out"
    )
    assert refusal_reason("") == refusal_reason("x" * 200) == ""  # none, or not one clean line


def test_a_narrowed_live_selection_holds_ready_back_by_what_it_left_unread() -> None:
    # The server keeps executions of Flow that the --query read none of (or did not count
    # them): ready would claim what was not read. None left out of Flow: ready stands.
    read = [verdict("b", markers=("p",))]
    (patch,) = analyze(read, [SITE], live=True, unread={"Flow": None, "Other": 4}).patches
    assert patch.verdict == "keep-both-branches"
    assert patch.reason == (
        "the server did not count how many executions of workflow type 'Flow' it keeps, so "
        "the --query or --workflow-id selection may have left some out, and they may have "
        "taken the old branch: run `replaycheck patches --live` without --query or "
        "--workflow-id before deprecating"
    )
    (kept,) = analyze(read, [SITE], live=True, unread={"Flow": 0, "Other": 4}).patches
    assert kept.verdict == "ready-to-deprecate"
    removed = CallSite("/src/flow.py", 7, "deprecate_patch", "p", "'p'", "Flow")
    done = [verdict("b", markers=("~p",))]
    (patch,) = analyze(done, [removed], live=True, unread={"Flow": 2}).patches
    assert patch.verdict == "keep-deprecate-patch"
    assert patch.reason.startswith(
        "2 executions of workflow type 'Flow' that the server keeps were not read (the --query "
        "or --workflow-id selection left them out), and they may have recorded the marker with "
        "patched(): run"
    )
    assert patch.reason.endswith("before removing the call")


def test_a_run_a_live_listing_returned_twice_counts_once_by_its_closed_history() -> None:
    # A visibility listing can return a run twice (it closed while the pages were read): the
    # history fetched once it closed decides, not the one fetched while it ran.
    from dataclasses import replace

    from replaycheck._patch_render import render_json, render_text

    path = "live:a/run-1"
    running = replace(verdict("a", status="RUNNING"), path=path, run_id="run-1", events=5)
    closed = replace(verdict("a", calls=(gate(False),)), path=path, run_id="run-1", events=9)
    sites = [CallSite(file="flows.py", line=3, kind="patched", patch_id="p", workflow_type="Flow")]
    found = analyze([running, closed], sites, live=True, complete=True)
    (patch,) = found.patches
    assert ([r.status for r in patch.old_branch], patch.not_reached) == (["COMPLETED"], ())
    assert render_text(found).splitlines()[-2:] == [
        "1 execution listed twice by the server, counted once (by its most complete history: "
        "closed, else the longest):",
        "  a/run-1",
    ]
    assert json.loads(render_json(found))["copies"] == [{"path": path, "kept": path}]


def test_a_long_group_lists_ten_files_then_how_many_more() -> None:
    from replaycheck._patch_copies import copies_text
    from replaycheck._patch_generated import generated_old_text
    from replaycheck.patches import ExecutionRef

    refs = [ExecutionRef(f"gen/{n:02}.json", f"wf-{n}", "r", "T", "RUNNING") for n in range(12)]
    lines = generated_old_text(refs)
    assert [line.strip() for line in lines[1:]] == [
        *(f"gen/{n:02}.json" for n in range(10)),
        "… and 2 more (--format json lists them all)",
    ]
    assert generated_old_text(refs[:10])[-1].strip() == "gen/09.json"  # ten: all of them
    copies = [(f"b/{n}.json", f"a/{n}.json") for n in range(12)]
    assert copies_text(copies, 10).splitlines()[-1] == (
        "  … and 2 more (--format json lists them all)"
    )
