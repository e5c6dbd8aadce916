"""An activity registered under a new name (``@activity.defn(name="charge_card")``) while every
statement is as it was, in a branch of a patch gate whose other branch calls it too. The
history in ``tests/fixtures/renamed`` was recorded from ``tests.workflows.renamed_v1`` by
``python -m tests.workflows.record_renamed``; ``renamed_v2`` is the code with the new name.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from replaycheck.diagnose import Diagnosis
from replaycheck.replay import ReplayJob, replay
from replaycheck.verdict import Verdict
from tests.changes import marked_line
from tests.conftest import REPO

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

FIXTURES = REPO / "tests" / "fixtures" / "renamed"
V2 = REPO / "tests" / "workflows" / "renamed_v2.py"
MARKER = "change: RenameRegisteredInGate"


def _replayed(directory: Path, module: str = "tests.workflows.renamed_v2", *extra: str) -> Verdict:
    """The one history under ``directory``, replayed against ``module``."""
    paths = tuple(str(p) for p in directory.rglob("*.json"))
    assert len(paths) == 1, paths
    job = ReplayJob(paths=paths, workflows=(module,), import_paths=(str(REPO), *extra))
    (verdict,) = replay(job)
    return verdict


def _diagnosis(verdict: Verdict) -> Diagnosis:
    assert verdict.verdict == "nondeterministic", verdict
    assert verdict.diagnosis is not None, verdict
    return verdict.diagnosis


def test_a_new_registered_name_reads_as_a_rename_not_as_another_branch() -> None:
    d = _diagnosis(_replayed(FIXTURES))
    explanation, fix = d.explanation(), "\n".join(d.fix())
    assert (d.recorded, d.commanded) == ("activity 'charge'", "activity 'charge_card'")
    assert "another branch" not in explanation
    assert "the call is as it was" in explanation
    assert "gate the condition" not in fix
    assert "(an addition)" not in fix
    assert f"gate the change at renamed_v2.py:{marked_line(MARKER, V2)} in run:" in fix
    assert 'await workflow.execute_activity("charge", order' in fix
    assert "keep activity 'charge' registered on a worker" in fix


def test_the_printed_fix_replays_the_history(tmp_path: Path) -> None:
    fix = _diagnosis(_replayed(FIXTURES)).fix()
    gate = [line for line in fix if line.startswith("    ")]  # the code, indented four spaces
    assert gate[0].lstrip().startswith("if workflow.patched("), fix
    lines = V2.read_text().splitlines()
    at = marked_line(MARKER, V2) - 1
    indent = " " * (len(lines[at]) - len(lines[at].lstrip()))
    lines[at : at + 1] = [indent + line[4:] for line in gate]
    (tmp_path / "renamed_fixed.py").write_text("\n".join(lines) + "\n")
    assert _replayed(FIXTURES, "renamed_fixed", str(tmp_path)).verdict == "ok"


@pytest.mark.server
def test_a_freshly_recorded_history_gives_the_same_diagnosis(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    from tests.workflows.record_renamed import record

    server_loop.run_until_complete(record(dev_server.client, tmp_path))
    old, new = _diagnosis(_replayed(FIXTURES)), _diagnosis(_replayed(tmp_path))
    assert (new.explanation(), new.fix()) == (old.explanation(), old.fix())
