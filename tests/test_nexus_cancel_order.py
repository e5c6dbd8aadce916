"""Two events of one Nexus operation's cancel in the wrong order (swapped or moved, the ids
renumbered) are an error before replay: its cancel request, the answer to it, the operation's
start and close. Every history the dev server writes is still read, a cancel requested before
the operation started too; the corrupt histories are made here from real recorded ones."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from replaycheck.errors import HistoryError
from replaycheck.histories import read_history, write_history
from tests.conftest import REPO
from tests.test_activity_order import REORDERED, moved
from tests.test_cancel_order import NEXUS_CANCEL, cancel_pairs, recorded, reorderings
from tests.test_workflow_specs import run_check
from tests.workflows.record_nexus_cancels import run_cases

if TYPE_CHECKING:
    from temporalio.api.history.v1 import HistoryEvent
    from temporalio.testing import WorkflowEnvironment

RECORDED = REPO / "tests" / "fixtures" / "nexus-cancel"
"""Recorded on the dev server by ``python -m tests.workflows.record_nexus_cancels``."""
CASES = ("CancelStartedNexus", "CancelNexusWaitRequested", "CancelNexusTried",
         "CancelNexusBeforeStart", "CancelNexusRefused",
         "CancelNexusRefusedWaitRequested", "CancelSyncNexus",
         "CancelSyncNexusWaitRequested")  # fmt: skip
WORKFLOWS = "tests.workflows.nexus_cancels"


def _kinds(events: list[HistoryEvent]) -> list[str]:
    from temporalio.api.enums.v1 import EventType

    return [EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in events]


@pytest.mark.parametrize("case", CASES)
def test_every_reordering_of_a_nexus_cancels_events_is_refused(case: str, tmp_path: Path) -> None:
    reasons, read = reorderings(recorded(RECORDED, case), tmp_path)
    assert reasons
    assert read == []


def test_the_nexus_cancels_recorded_reorder_each_kind_of_cancel_event() -> None:
    kinds: set[str] = set()
    for case in CASES:
        events = recorded(RECORDED, case)
        kinds |= {_kinds(events)[at] for pair in cancel_pairs(events) for at in pair}
    assert kinds >= {*NEXUS_CANCEL, "NEXUS_OPERATION_STARTED", "NEXUS_OPERATION_COMPLETED"}


def test_check_exits_2_on_a_cancel_answer_moved_after_the_operations_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``Replayer`` passes this history (code unchanged): check said it was fine."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the workflows
    events = recorded(RECORDED, "CancelNexusRefused")
    kinds = _kinds(events)
    failed = kinds.index("NEXUS_OPERATION_CANCEL_REQUEST_FAILED")
    completed = kinds.index("NEXUS_OPERATION_COMPLETED")
    write_history(tmp_path / "swapped.json", moved(events, failed, completed, "swap"))
    result = run_check(tmp_path, "-w", WORKFLOWS, "swapped.json")
    assert result.exit_code == 2, result.output
    assert (
        f"event {completed + 1} (NexusOperationCancelRequestFailed) comes after event "
        f"{failed + 1} (NexusOperationCompleted), the close of the Nexus operation scheduled "
        f"at event 5: {REORDERED}"
    ) in result.stdout
    assert "Traceback" not in result.output


def test_a_cancel_requested_before_the_operation_started_is_read_and_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dev server writes the request before the operation's start when the workflow asks
    before the handler started it; an answer before the start is refused (core failed it)."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the workflows
    events = recorded(RECORDED, "CancelNexusBeforeStart")
    kinds = _kinds(events)
    started = kinds.index("NEXUS_OPERATION_STARTED")
    answered = kinds.index("NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED")
    assert kinds.index("NEXUS_OPERATION_CANCEL_REQUESTED") < started
    result = run_check(REPO, "-w", WORKFLOWS, str(RECORDED))
    assert result.exit_code == 0, result.output
    write_history(tmp_path / "swapped.json", moved(events, started, answered, "swap"))
    with pytest.raises(HistoryError) as raised:
        read_history(tmp_path / "swapped.json")
    assert raised.value.reason == (
        f"event {started + 1} (NexusOperationCancelRequestCompleted) comes before any "
        f"NexusOperationStarted of the Nexus operation scheduled at event 6: {REORDERED}"
    )


@pytest.mark.parametrize("case", ["CancelSyncNexus", "CancelSyncNexusWaitRequested"])
def test_a_synchronous_operation_cancelled_while_its_handler_runs_is_read_and_replays(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A synchronous operation never starts: the dev server writes the cancel request and then
    the operation's close, with no NexusOperationStarted and no answer to the request."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the workflows
    path = RECORDED / case / f"nexus-cancel-{case}.json"
    kinds = _kinds(list(read_history(path).history.events))
    nexus = [kind for kind in kinds if kind.startswith("NEXUS_OPERATION_")]
    assert nexus == ["NEXUS_OPERATION_SCHEDULED", "NEXUS_OPERATION_CANCEL_REQUESTED",
                     "NEXUS_OPERATION_COMPLETED"]  # fmt: skip
    result = run_check(REPO, "-w", WORKFLOWS, str(path))
    assert result.exit_code == 0, result.output
    assert "replayed all 21 events; execution completed" in result.output


@pytest.mark.server
def test_what_the_dev_server_writes_now_for_nexus_cancels_is_read(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The server races a cancel's answer with the operation's close: each run may differ."""
    histories = server_loop.run_until_complete(run_cases(dev_server.client))
    assert sorted(histories) == sorted(CASES)
    for case, events in histories.items():
        assert "NEXUS_OPERATION_CANCEL_REQUESTED" in _kinds(events)
        write_history(tmp_path / f"{case}.json", events)
        assert read_history(tmp_path / f"{case}.json").info.status == "COMPLETED"
