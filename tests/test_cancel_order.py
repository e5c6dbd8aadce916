"""Two events of one cancel in the wrong order (swapped or moved, the ids renumbered) are an
error before replay: an activity's cancel request and its ActivityTaskCanceled, a timer's
cancel, a request to cancel another workflow or a child and its answer. Every history the dev
server and the time-skipping test server write is still read; the corrupt histories are made
here from real recorded ones."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from replaycheck.errors import HistoryError
from replaycheck.histories import read_history, write_history
from tests.conftest import REPO
from tests.test_activity_order import MOVES, REORDERED, moved
from tests.test_workflow_specs import run_check
from tests.workflows.record_cancel_closed_child import cancelled_after_close
from tests.workflows.record_time_skipping import CANCELS

if TYPE_CHECKING:
    from temporalio.api.history.v1 import HistoryEvent
    from temporalio.testing import WorkflowEnvironment

DEV = REPO / "tests" / "fixtures" / "changes"
"""Recorded on the dev server by ``python -m tests.workflows.record_changes``."""
TIME_SKIPPING = REPO / "tests" / "fixtures" / "time-skipping"
"""Recorded on the time-skipping test server by ``tests/workflows/record_time_skipping.py``."""

CANCEL = {"ACTIVITY_TASK_CANCEL_REQUESTED", "ACTIVITY_TASK_CANCELED", "TIMER_CANCELED",
          "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
          "EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED",
          "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED",
          "CHILD_WORKFLOW_EXECUTION_CANCELED"}  # fmt: skip
"""The event types of a cancel (the workflow's own cancel request was checked before)."""

NEXUS_CANCEL = {"NEXUS_OPERATION_CANCEL_REQUESTED", "NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED",
                "NEXUS_OPERATION_CANCEL_REQUEST_FAILED", "NEXUS_OPERATION_CANCELED"}  # fmt: skip
"""The event types of a Nexus operation's cancel (``tests/test_nexus_cancel_order.py``)."""

ANSWERED_AFTER_CLOSE = ("EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED",
                        "CHILD_WORKFLOW_EXECUTION_CANCELED")  # fmt: skip
"""The one pair read in either order: the server answers a request to cancel a child that has
closed meanwhile (its close not yet seen by the workflow) after that close, so the pair
swapped is a history a server writes; the ``Replayer`` passes it."""


def _name(event: HistoryEvent) -> str:
    from temporalio.api.enums.v1 import EventType

    return EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")


def _owner(event: HistoryEvent, children: dict[str, int]) -> tuple[str, int] | None:
    """What the event belongs to: an activity, a timer, a Nexus operation, a child or a cancel
    request (by the id of the event that began it), or ``None``."""
    name, attrs = _name(event), getattr(event, event.WhichOneof("attributes") or "")
    if name in ("ACTIVITY_TASK_SCHEDULED", "TIMER_STARTED", "NEXUS_OPERATION_SCHEDULED"):
        return name.split("_")[0], event.event_id
    if name.startswith("NEXUS_OPERATION_"):
        return "NEXUS", attrs.scheduled_event_id
    if name.startswith("ACTIVITY_TASK_"):
        return "ACTIVITY", attrs.scheduled_event_id
    if name in ("TIMER_FIRED", "TIMER_CANCELED"):
        return "TIMER", attrs.started_event_id
    if name == "START_CHILD_WORKFLOW_EXECUTION_INITIATED":
        children[attrs.workflow_id] = event.event_id
        return "CHILD", event.event_id
    if name.startswith("CHILD_WORKFLOW_EXECUTION_"):
        return "CHILD", attrs.initiated_event_id
    if name == "REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED":  # a child's, or its own
        return "CHILD", children.get(attrs.workflow_execution.workflow_id, -event.event_id)
    if name in CANCEL:  # the answer to a request to cancel another workflow
        target = attrs.workflow_execution.workflow_id
        return "CHILD", children.get(target, -attrs.initiated_event_id)
    return None


def cancel_pairs(events: list[HistoryEvent]) -> Iterator[tuple[int, int]]:
    """Positions of two events of one cancel (at least one a cancel's), earlier first: of an
    activity, a timer, a Nexus operation or a child it cancels, or of a request to cancel
    another workflow."""
    of: dict[tuple[str, int], list[int]] = {}
    children: dict[str, int] = {}
    for at, event in enumerate(events):
        owner = _owner(event, children)
        if owner is not None:
            of.setdefault(owner, []).append(at)
    for ats in of.values():
        for n, a in enumerate(ats):
            for b in ats[n + 1 :]:
                if {_name(events[a]), _name(events[b])} & (CANCEL | NEXUS_CANCEL):
                    yield a, b


def reorderings(events: list[HistoryEvent], tmp_path: Path) -> tuple[list[str], list[str]]:
    """Why each reordering of two events of one cancel is refused, and the kinds of those read
    (``Type/Type``)."""
    reasons, read = [], []
    for first, second in cancel_pairs(events):
        for how in MOVES:
            path = tmp_path / f"{first}-{second}-{how}.json"
            write_history(path, moved(events, first, second, how))
            try:
                read_history(path)
            except HistoryError as refused:
                assert refused.reason.endswith(REORDERED), refused.reason
                reasons.append(refused.reason)
            else:
                read.append(f"{_name(events[first])}/{_name(events[second])}")
    return reasons, read


def recorded(directory: Path, case: str) -> list[HistoryEvent]:
    (path,) = (directory / case).glob("*.json")
    history = read_history(path)
    assert history.info.status in ("COMPLETED", "CANCELED")
    return list(history.history.events)


@pytest.mark.parametrize("directory", [DEV, TIME_SKIPPING], ids=["dev", "time-skipping"])
@pytest.mark.parametrize("case", CANCELS)
def test_every_reordering_of_a_cancels_events_is_refused(
    directory: Path, case: str, tmp_path: Path
) -> None:
    events = recorded(directory, case)
    reasons, read = reorderings(events, tmp_path)
    assert reasons
    assert set(read) <= {"/".join(ANSWERED_AFTER_CLOSE)}, read


def test_the_cancels_of_both_servers_are_each_reordered() -> None:
    """Every kind of cancel event is among the pairs reordered above, on both servers."""
    for directory in (DEV, TIME_SKIPPING):
        kinds = set()
        for case in CANCELS:
            events = recorded(directory, case)
            kinds |= {_name(events[at]) for pair in cancel_pairs(events) for at in pair}
        assert kinds >= CANCEL - {"REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED"}


def test_an_activity_canceled_before_its_cancel_request_is_refused(tmp_path: Path) -> None:
    """The test server's ActivityTaskCanceled names no cancel request: the order says it."""
    events = recorded(TIME_SKIPPING, "RemoveActivityCancel")
    requested, canceled = (
        at for at, e in enumerate(events) if _name(e).startswith("ACTIVITY_TASK_CANCEL")
    )
    attrs = events[canceled].activity_task_canceled_event_attributes
    assert attrs.latest_cancel_requested_event_id == 0
    write_history(tmp_path / "h.json", moved(events, requested, canceled, "swap"))
    with pytest.raises(HistoryError) as raised:
        read_history(tmp_path / "h.json")
    assert raised.value.reason == (
        f"event {requested + 1} (ActivityTaskCanceled) comes before any "
        f"ActivityTaskCancelRequested of the activity scheduled at event 5: {REORDERED}"
    )


def test_check_exits_2_on_a_cancel_request_answered_before_it_was_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Replayer calls this history nondeterministic (code unchanged): check said to gate."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the workflows
    events = recorded(DEV, "ChangeCancelExternal")
    initiated, answered = (
        at for at, e in enumerate(events) if "CANCEL_EXTERNAL" in _name(e) or
        _name(e) == "EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED"
    )  # fmt: skip
    write_history(tmp_path / "swapped.json", moved(events, initiated, answered, "swap"))
    result = run_check(tmp_path, "-w", "tests.workflows.changes_v1", "swapped.json")
    assert result.exit_code == 2, result.output
    assert (
        f"event {initiated + 1} (ExternalWorkflowExecutionCancelRequested) names event "
        f"{initiated + 1} as its RequestCancelExternalWorkflowExecutionInitiated, but event "
        f"{initiated + 1} is not an earlier RequestCancelExternalWorkflowExecutionInitiated"
    ) in result.stdout
    assert "Traceback" not in result.output


# ------------------------------------------- the order a server writes, read either way

RACE = REPO / "tests" / "fixtures" / "cancel-race" / "CancelClosedChild"
RACE = RACE / "cancel-closed-child.json"
"""Recorded on the dev server by ``tests/workflows/record_cancel_closed_child.py``."""


def answered_after_close(events: list[HistoryEvent]) -> bool:
    kinds = [_name(e) for e in events]
    return kinds.index(ANSWERED_AFTER_CLOSE[1]) < kinds.index(ANSWERED_AFTER_CLOSE[0])


def test_a_cancel_request_answered_after_the_childs_close_is_read_and_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the workflows
    events = list(read_history(RACE).history.events)
    assert answered_after_close(events)
    reasons, read = reorderings(events, tmp_path)
    assert reasons
    assert set(read) <= {"/".join(reversed(ANSWERED_AFTER_CLOSE))}, read
    result = run_check(REPO, "-w", "tests.workflows.cancel_closed_child", str(RACE))
    assert result.exit_code == 0, result.output


@pytest.mark.server
def test_what_the_dev_server_writes_now_for_a_cancel_answered_after_a_close_is_read(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    events = server_loop.run_until_complete(cancelled_after_close(dev_server.client))
    assert answered_after_close(events)
    write_history(tmp_path / "recorded.json", events)
    assert read_history(tmp_path / "recorded.json").info.status == "COMPLETED"


@pytest.mark.parametrize("case", ["RemoveTimerCancel", "RemoveActivityCancel"])
def test_a_cancel_command_that_names_no_workflow_task_is_read(case: str, tmp_path: Path) -> None:
    """A field left 0 is not recorded (as every link the check reads): only one that names an
    event that is not an earlier workflow task is refused."""
    events = recorded(DEV, case)
    (at,) = (i for i, e in enumerate(events) if _name(e) in ("TIMER_CANCELED",
             "ACTIVITY_TASK_CANCEL_REQUESTED"))  # fmt: skip
    attrs = getattr(events[at], events[at].WhichOneof("attributes") or "")
    attrs.workflow_task_completed_event_id = 0
    write_history(tmp_path / "unnamed.json", events)
    assert read_history(tmp_path / "unnamed.json").history.events
    attrs.workflow_task_completed_event_id = at + 2  # itself's next: not an earlier event
    write_history(tmp_path / "later.json", events)
    with pytest.raises(HistoryError, match="as the workflow task that commanded it"):
        read_history(tmp_path / "later.json")
