"""Two events of one activity in the wrong order (swapped or moved, the ids renumbered) are an
error before replay, and every history the dev server and the time-skipping test server write
is still read: the corrupt histories are made here from real recorded ones."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from replaycheck.errors import HistoryError
from replaycheck.histories import read_history, write_history
from tests.conftest import FIXTURES, REPO
from tests.test_workflow_specs import run_check
from tests.workflows.record_time_skipping import signalled_during_activity, started_named

if TYPE_CHECKING:
    from temporalio.api.history.v1 import HistoryEvent
    from temporalio.testing import WorkflowEnvironment

RETRIED = FIXTURES / "TenantProvisioning" / "prov-initech-schema-retried.json"
"""Recorded on the dev server: three activities, the first retried twice."""

MOVES = ("swap", "later-first", "earlier-last")
REORDERED = "the history has lost or reordered events; export it again"

pytest_plugins = ["pytester"]


def activity_pairs(events: list[HistoryEvent]) -> Iterator[tuple[int, int]]:
    """Positions of two events of one activity (scheduled, started, closed), earlier first."""
    from temporalio.api.enums.v1 import EventType

    of: dict[int, list[int]] = {}
    for at, event in enumerate(events):
        name = EventType.Name(event.event_type)
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            of.setdefault(event.event_id, []).append(at)
        elif name.startswith("EVENT_TYPE_ACTIVITY_TASK_") and "CANCEL_REQUESTED" not in name:
            attrs = getattr(event, event.WhichOneof("attributes") or "")
            of.setdefault(attrs.scheduled_event_id, []).append(at)
    for ats in of.values():
        yield from ((a, b) for n, a in enumerate(ats) for b in ats[n + 1 :])


def moved(events: list[HistoryEvent], first: int, second: int, how: str) -> list[HistoryEvent]:
    """``events`` with ``second`` put before ``first`` (``how``: swapped with it, moved before
    it, or ``first`` moved after it), the ids renumbered to ascend by one."""
    order = list(range(len(events)))
    if how == "swap":
        order[first], order[second] = second, first
    elif how == "later-first":
        order.insert(first, order.pop(second))
    else:
        order.insert(second, order.pop(first))
    copies = []
    for number, at in enumerate(order, start=1):
        event = type(events[at])()
        event.CopyFrom(events[at])
        event.event_id = number
        copies.append(event)
    return copies


def refused(events: list[HistoryEvent], tmp_path: Path) -> list[str]:
    """Why each reordering of two events of one activity is refused (all of them must be)."""
    reasons = []
    for first, second in activity_pairs(events):
        for how in MOVES:
            path = tmp_path / f"{first}-{second}-{how}.json"
            write_history(path, moved(events, first, second, how))
            with pytest.raises(HistoryError) as raised:
                read_history(path)
            assert raised.value.reason.endswith(REORDERED), raised.value.reason
            reasons.append(raised.value.reason)
    return reasons


def test_every_reordering_of_an_activitys_events_from_the_dev_server_is_refused(
    tmp_path: Path,
) -> None:
    events = list(read_history(RETRIED).history.events)
    reasons = refused(events, tmp_path)
    assert len(reasons) == 3 * 3 * len(MOVES)  # three activities, three pairs each
    assert (
        "event 6 (ActivityTaskCompleted) names event 6 as its ActivityTaskStarted, but event 6 "
        f"does not come before it: {REORDERED}" in reasons
    )


def test_check_exits_2_on_a_history_whose_activity_closed_before_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the example
    events = list(read_history(RETRIED).history.events)
    write_history(tmp_path / "swapped.json", moved(events, 5, 6, "swap"))  # started, completed
    result = run_check(tmp_path, "-w", "examples.provisioning.workflows", "swapped.json")
    assert result.exit_code == 2
    assert (
        "event 6 (ActivityTaskCompleted) names event 6 as its ActivityTaskStarted, but event 6 "
        "does not come before it" in result.stdout
    )
    assert "Traceback" not in result.output


def test_pytest_fails_the_item_of_a_history_whose_activity_closed_before_it_started(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the example
    events = list(read_history(RETRIED).history.events)
    write_history(pytester.path / "h" / "swapped.json", moved(events, 5, 6, "swap"))
    pytester.makefile(
        ".toml",
        pyproject='[tool.replaycheck]\nhistories = ["h"]\n'
        'workflows = ["examples.provisioning.workflows"]\n',
    )
    result = pytester.runpytest_subprocess("-n", "0")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*event 6 (ActivityTaskCompleted) names event 6 as its ActivityTaskStarted, but event 6 "
         f"does not come before it: {REORDERED}", "FAILED h/swapped.json::replay - error: *"]
    )  # fmt: skip
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


# ------------------------------------------------------ what each kind of server writes

TIME_SKIPPING = (
    REPO / "tests" / "fixtures" / "time-skipping" / "SignalDuringActivity"
    / "signalled-during-activity.json"
)  # fmt: skip
"""Recorded by ``tests/workflows/record_time_skipping.py`` on the time-skipping test server."""


def accepted_then_each_reordering_refused(events: list[HistoryEvent], tmp_path: Path) -> None:
    write_history(tmp_path / "recorded.json", events)
    assert read_history(tmp_path / "recorded.json").info.status == "COMPLETED"
    assert len(refused(events, tmp_path)) == 3 * len(MOVES)


def test_the_time_skipping_servers_activity_link_is_read_and_its_reorderings_refused(
    tmp_path: Path,
) -> None:
    """The test server names, as the activity's started event, the id its started event would
    have taken, which the signal's WorkflowTaskCompleted took; its ActivityTaskStarted comes
    later, right before the close."""
    events = list(read_history(TIME_SKIPPING).history.events)
    assert started_named(events) == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"
    accepted_then_each_reordering_refused(events, tmp_path)


def test_what_the_time_skipping_server_writes_now_is_read(tmp_path: Path) -> None:
    from replaycheck.testing import time_skipping_server

    async def record() -> list[HistoryEvent]:
        async with time_skipping_server() as env:
            return await signalled_during_activity(env.client)

    accepted_then_each_reordering_refused(asyncio.run(record()), tmp_path)


@pytest.mark.server
def test_the_dev_servers_activity_links_are_read_and_its_reorderings_refused(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    events = server_loop.run_until_complete(signalled_during_activity(dev_server.client))
    assert started_named(events) == "EVENT_TYPE_ACTIVITY_TASK_STARTED"
    accepted_then_each_reordering_refused(events, tmp_path)
