"""``replaycheck patches`` counts each run once: two histories of one workflow id and run id
(exported while the execution ran and again after it closed, or one file under two folders)
are one execution, counted by the most complete copy; ``check`` still replays both.

``prov-v1-copied`` is recorded twice by ``tests/workflows/record_lifecycle.py`` on the
session's dev server: awaiting approval (running, past the gate on the old branch) and
completed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from replaycheck.report import display_path
from tests.conftest import FIXTURES
from tests.test_patches import run

GATED = "examples.provisioning.workflows"
TYRELL = FIXTURES / "TenantProvisioning" / "prov-v2-tyrell-awaiting-approval.json"
"""A version 2 execution still running: the new branch, which holds nothing back."""

NAME = "prov-v1-copied.json"

pytestmark = pytest.mark.server


def copies(lifecycle_histories: Path) -> tuple[str, str]:
    """The running and the closed copy of ``prov-v1-copied``."""
    found = lifecycle_histories / "copies"
    return str(found / "running" / NAME), str(found / "closed" / NAME)


def test_a_running_and_a_closed_copy_count_once_and_the_closed_one_decides(
    lifecycle_histories: Path,
) -> None:
    running, closed = copies(lifecycle_histories)
    result = run("-w", GATED, "--format", "json", running, closed, str(TYRELL))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (patch,) = doc["patches"]
    assert [(e["workflow_id"], e["status"], e["path"]) for e in patch["old_branch"]] == [
        ("prov-v1-copied", "COMPLETED", closed)
    ]  # was two executions, one of them running
    assert "1 execution (0 running, 1 closed) took the old branch" in patch["reason"]
    assert doc["copies"] == [{"path": running, "kept": closed}]
    assert (doc["histories"], doc["replay"]["ok"]) == (3, 3)  # every history was replayed
    # With a retention, the closed copy dates when the old branch is gone; the running copy
    # held it back with no date (while an execution runs, when it closes is unknown).
    dated = run("-w", GATED, "--format", "json", "--retention", "30", running, closed)
    (patch,) = json.loads(dated.stdout)["patches"]
    assert patch["last_to_go"]["path"] == closed
    assert patch["held_until"] is not None
    # Past the retention the closed copy says the run is gone: the running copy held the gate
    # back as if it still ran on the old branch.
    later = run("-w", GATED, "--format", "json", "--retention", "1e-8", running, closed,
                str(TYRELL))  # fmt: skip
    doc = json.loads(later.stdout)
    (patch,) = doc["patches"]
    assert (patch["verdict"], patch["old_branch"]) == ("ready-to-deprecate", [])
    assert doc["expired_paths"] == [closed, running]  # see the test below


def test_a_run_past_the_retention_names_every_copy_to_delete(lifecycle_histories: Path) -> None:
    # The run is gone from the server: its closed copy and its stale running copy are both
    # files `check` keeps replaying (the running one on the old branch, failed once the gate
    # is deprecated), so both are to delete.
    running, closed = copies(lifecycle_histories)
    args = ("-w", GATED, "--retention", "1e-8", running, closed, str(TYRELL))
    doc = json.loads(run(*args, "--format", "json").stdout)
    assert doc["expired_paths"] == [closed, running]
    assert doc["expired"] == 1  # one execution, in two files
    # The run was left out, not counted by its closed copy: its copies are those to delete,
    # not copies of a run counted (which named the closed copy "counted").
    assert doc["copies"] == []
    assert doc["expired_copies"] == [{"path": running, "kept": closed}]
    text = run(*args).stdout
    assert "counted:" not in text and "already counted" not in text
    lines = text.splitlines()
    at = lines.index(
        "past the retention, the server has deleted them: delete their fixtures too, or "
        "`check` keeps replaying them (and fails them once a gate is deprecated):"
    )
    assert lines[at + 1 :] == [
        f"  {display_path(closed)}",
        f"  {display_path(running)}  (a copy of {display_path(closed)})",
    ]
    assert "; 1 closed execution past the 1e-08-day retention left out" in "\n".join(lines)


def test_one_file_under_two_folders_counts_once_and_the_report_names_the_copy(
    lifecycle_histories: Path, tmp_path: Path
) -> None:
    _, closed = copies(lifecycle_histories)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(closed, tmp_path / folder)
    first, second = (str(tmp_path / f / NAME) for f in ("a", "b"))
    result = run("-w", GATED, str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(x.startswith("  old branch: 1 execution (0 running, 1 closed)") for x in lines)
    at = lines.index("1 patch id in 2 histories (replay: 2 ok)")
    assert lines[at + 1 :] == [
        "1 file was a copy of a run already counted (the same workflow id and run id), left "
        "out: each run counts once, by its most complete copy (closed, else the longest "
        "history):",
        f"  {display_path(second)}  (counted: {display_path(first)})",
    ]
    # check replays both files, as it replays every file: each is a history a deploy replays.
    checked = run_check("-w", GATED, str(tmp_path))
    assert "2 histories: 2 ok, 0 nondeterministic, 0 errors" in checked


def run_check(*args: str) -> str:
    from click.testing import CliRunner

    from replaycheck.cli import main

    return CliRunner().invoke(main, ["check", *args]).stdout


def test_copies_of_a_counted_run_and_of_a_run_past_the_retention_are_told_apart(
    lifecycle_histories: Path, tmp_path: Path
) -> None:
    # A running execution (never past a retention) under two folders is counted once, by one
    # copy; the closed run past the retention is left out with both its copies to delete. Each
    # copy is named once, in its own list.
    running, closed = copies(lifecycle_histories)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(TYRELL, tmp_path / folder)
    first, second = (str(tmp_path / f / TYRELL.name) for f in ("a", "b"))
    args = ("-w", GATED, "--retention", "1e-8", running, closed, first, second)
    doc = json.loads(run(*args, "--format", "json").stdout)
    assert (doc["histories"], doc["replay"]["ok"]) == (4, 4)
    assert doc["copies"] == [{"path": second, "kept": first}]
    assert doc["expired_copies"] == [{"path": running, "kept": closed}]
    assert doc["expired_paths"] == [closed, running]
    assert doc["expired"] == 1
    lines = run(*args).stdout.splitlines()
    copied = lines.index(
        "1 file was a copy of a run already counted (the same workflow id and run id), left "
        "out: each run counts once, by its most complete copy (closed, else the longest "
        "history):"
    )
    assert lines[copied + 1] == f"  {display_path(second)}  (counted: {display_path(first)})"
    gone = lines.index(
        "past the retention, the server has deleted them: delete their fixtures too, or "
        "`check` keeps replaying them (and fails them once a gate is deprecated):"
    )
    assert lines[gone + 1 :] == [
        f"  {display_path(closed)}",
        f"  {display_path(running)}  (a copy of {display_path(closed)})",
    ]
    assert copied < gone
    assert sum(display_path(running) in x for x in lines) == 1
