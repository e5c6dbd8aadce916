"""``replaycheck patches`` on a gate inside the new branch of an older gate (``NestedGates``).

Histories come from the session's dev server (``tests/workflows/record_nested.py``): one
execution per code version waiting past its first step (running), and one started before any
gate that completed. Executions that took ``nested-outer``'s old branch never meet
``nested-inner``: they were listed as "not reached yet" ("will take it when they reach the
gate") or "closed before the gate" ("a reset runs the gate live").
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from replaycheck._patch_facts import PatchCall, PatchFacts
from replaycheck._patch_scan import scan
from replaycheck.cli import main
from replaycheck.patches import CallSite, analyze
from replaycheck.verdict import Verdict
from tests.conftest import REPO
from tests.test_patches_unit import write_package

NESTED = "tests.workflows.nested_gates"


def patches(*args: str) -> Result:
    """``replaycheck patches ARGS`` at the repository root."""
    old = Path.cwd()
    os.chdir(REPO)
    try:
        return CliRunner().invoke(main, ["patches", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def by_id(result: Result) -> dict[str, dict[str, object]]:
    assert result.exit_code == 0, result.output
    return {p["patch_id"]: p for p in json.loads(result.stdout)["patches"]}


def ids(refs: object) -> set[str]:
    return {r["workflow_id"] for r in refs}  # type: ignore[attr-defined, index]


def histories(recorded: Path, *names: str) -> Sequence[str]:
    return [str(recorded / f"nested-{name}.json") for name in names]


@pytest.mark.server
@pytest.mark.parametrize("code", ["NestedGatesV3", "NestedGatesV3Inline"])
def test_executions_of_an_older_gates_old_branch_never_meet_a_gate_in_its_new_branch(
    nested_histories: Path, code: str
) -> None:
    # The gate is called from a method only the older gate's new branch calls, or written
    # inside that branch: both read alike.
    every = histories(nested_histories, "v1-waiting", "v1-completed", "v2-waiting", "v3-waiting")
    found = by_id(patches("-w", f"{NESTED}:{code}", "--format", "json", *every))
    inner = found["nested-inner"]
    assert ids(inner["never_meets"]) == {"nested-v1-waiting", "nested-v1-completed"}
    assert inner["took_instead"] == ["the old branch of 'nested-outer'"]
    assert inner["not_reached"] == inner["closed_before"] == inner["unchecked"] == []
    assert ids(inner["old_branch"]) == {"nested-v2-waiting"}  # passed it before it existed
    assert inner["verdict"] == "keep-both-branches"
    # A gate after the older gate's if: every execution past its place passed it.
    later = found["nested-later"]
    assert ids(later["old_branch"]) == {"nested-v1-waiting", "nested-v1-completed",
                                        "nested-v2-waiting"}  # fmt: skip
    assert later["never_meets"] == []


@pytest.mark.server
def test_a_gate_only_older_old_branch_executions_skip_is_ready_and_says_why(
    nested_histories: Path,
) -> None:
    every = histories(nested_histories, "v1-waiting", "v1-completed", "v3-waiting")
    text = patches("-w", f"{NESTED}:NestedGatesV3", *every)
    assert text.exit_code == 0, text.output
    block = text.stdout.split("\n\n")[0].splitlines()
    assert block[0] == "nested-inner  ready to deprecate"
    assert block[1] == (
        "  no execution that may still be replayed took the old branch (1 execution took the "
        "new branch, 2 executions (1 running, 1 closed) took the old branch of 'nested-outer', "
        "which holds no call of it: they never meet it): replace patched() with "
        "deprecate_patch() and delete the old branch"
    )
    assert "  not reached yet: none" in block
    at = block.index(
        "  never meets the gate: 2 executions (1 running, 1 closed) took the old branch of "
        "'nested-outer', which holds no call of it: they never meet it, running or not, and "
        "hold nothing back here (the older gate's own verdict counts them)"
    )
    assert sorted(line.split()[1] for line in block[at + 1 : at + 3]) == [
        "nested-v1-completed", "nested-v1-waiting",
    ]  # fmt: skip
    assert "will take it when" not in text.stdout


@pytest.mark.server
def test_executions_of_an_older_gates_old_branch_never_meet_get_version_in_its_new_branch(
    nested_histories: Path,
) -> None:
    every = histories(nested_histories, "v1-waiting", "v1-completed", "v2-waiting")
    code = ("-w", f"{NESTED}:NestedGatesV3Version")
    result = patches(*code, "--format", "json", *every)
    assert result.exit_code == 0, result.output
    (change,) = json.loads(result.stdout)["changes"]
    assert ids(change["never_meets"]) == {"nested-v1-waiting", "nested-v1-completed"}
    assert change["took_instead"] == ["the old branch of 'nested-outer'"]
    assert change["not_reached"] == change["closed_before"] == change["unchecked"] == []
    assert [(v["version"], ids(v["executions"])) for v in change["versions"]] == [
        (-1, {"nested-v2-waiting"})
    ]
    text = patches(*code, *every).stdout
    assert (
        "  never meets get_version: 2 executions (1 running, 1 closed) took the old branch of "
        "'nested-outer', which holds no call of it: they never meet it, running or not, and "
        "hold nothing back here (the older gate's own verdict counts them)"
    ) in text.splitlines()
    assert "not reached yet: 1 execution" not in text


NESTING = {
    "__init__.py": "",
    "flows.py": """
        from temporalio import workflow

        @workflow.defn(name="Flow")
        class Flow:
            @workflow.run
            async def run(self) -> None:
                if not workflow.patched("a"):
                    await self.old()
                elif workflow.patched("c"):
                    await self.new()
                self.shared()
                await getattr(self, "by_name")()

            async def new(self) -> None:
                workflow.patched("b")
                self.shared()
                await self.by_name()

            async def by_name(self) -> None:
                workflow.patched("f")

            async def old(self) -> None:
                workflow.patched("d")

            def shared(self) -> None:
                workflow.patched("e")
    """,
}


def test_the_scan_reads_the_gates_a_call_is_inside(tmp_path: Path) -> None:
    # In the branch itself, or in a method only that branch calls (through a second gate
    # too); a method also called outside every gate is inside none, also when that call
    # names it in a string (getattr(self, "by_name")).
    root = write_package(tmp_path, "nestpkg", NESTING)
    found = {s.patch_id: s.within for s in scan(["nestpkg.flows"], [str(root)]).sites}
    assert found == {
        "a": (),
        "b": (("a", True), ("c", True)),
        "c": (("a", True),),
        "d": (("a", False),),
        "e": (),
        "f": (),
    }


def test_an_older_old_branch_execution_whose_replay_failed_holds_nothing_back() -> None:
    # Its history decided the older gate's old branch before the replay failed: it never
    # meets the gate, so it is no "could not be replayed up to the gate" that holds it back.
    older = PatchCall("a", deprecated=False, result=False, replaying=True, event_id=3)
    failed = Verdict(
        path="x.json", verdict="nondeterministic", message="", workflow_id="x",
        workflow_type="Flow", status="RUNNING", patches=PatchFacts(calls=(older,)),
    )  # fmt: skip
    site = CallSite("/src/flow.py", 9, "patched", "b", "'b'", "Flow", within=(("a", True),))
    outer = CallSite("/src/flow.py", 8, "patched", "a", "'a'", "Flow")
    found = {p.patch_id: p for p in analyze([failed], [outer, site], complete=True).patches}
    assert (found["b"].verdict, found["b"].unchecked) == ("ready-to-deprecate", ())
    assert [r.workflow_id for r in found["b"].never_meets] == ["x"]
    assert found["a"].verdict == "keep-both-branches"  # the older gate's own verdict holds it
