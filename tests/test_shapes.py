"""History shapes (what ``export --dedupe`` groups by), file names and progress output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import (
    History,
    HistoryEvent,
    MarkerRecordedEventAttributes,
    WorkflowExecutionSignaledEventAttributes,
    WorkflowExecutionUpdateAcceptedEventAttributes,
    WorkflowExecutionUpdateAdmittedEventAttributes,
)
from temporalio.api.update.v1 import Input, Request

from replaycheck._progress import Progress
from replaycheck.export import safe_name
from replaycheck.histories import read_history
from replaycheck.shapes import describe_shape, history_shape, shape_id
from tests.conftest import FIXTURES

PROVISIONING = FIXTURES / "TenantProvisioning"


def shape_of(name: str) -> tuple[tuple[str, str], ...]:
    return history_shape(read_history(PROVISIONING / f"{name}.json").history)


def test_the_completed_path() -> None:
    assert describe_shape(shape_of("prov-acme-completed")) == (
        "activity create_schema > activity run_migrations > activity seed_data > timer > "
        "child NotifyTenant > complete (received: signal approve)"
    )


def test_ids_times_payloads_and_retries_do_not_matter() -> None:
    acme = shape_of("prov-acme-completed")
    assert shape_of("prov-globex-completed") == acme  # other input, other approver
    assert shape_of("prov-initech-schema-retried") == acme  # create_schema retried twice
    assert shape_id(shape_of("prov-globex-completed")) == shape_id(acme)


def test_stopping_at_the_same_point_is_the_same_shape() -> None:
    waiting = shape_of("prov-umbrella-awaiting-approval")
    assert shape_of("prov-wayne-terminated") == waiting  # termination is not a command
    # ... but a cancel request reaches the code (which may catch it): it is part of the shape
    assert shape_of("prov-stark-cancelled") == (*waiting, ("cancel", ""), ("received-cancel", ""))
    assert shape_of("prov-oldco-failed") == (("activity", "create_schema"), ("fail", ""))
    assert shape_of("prov-hooli-schema-retrying") == (("activity", "create_schema"),)


def test_patch_markers_are_part_of_the_shape() -> None:
    shape = shape_of("prov-v2-cyberdyne-completed")
    # the TemporalChangeVersion upsert next to the marker is core's, not the code's
    assert shape[:2] == (("patch", "schema-retry-seed-first"), ("activity", "create_schema"))


@pytest.mark.server
def test_a_deprecated_patch_marker_is_another_shape(lifecycle_histories: Path) -> None:
    # Replay needs a call for a patched() marker and skips a deprecate_patch() one: code that
    # removed the call passes the second and fails the first, so dedupe must keep both.
    patched = shape_of("prov-v2-cyberdyne-completed")
    recorded = lifecycle_histories / "deprecated" / "prov-deprecated-completed.json"
    deprecated = history_shape(read_history(recorded).history)
    assert deprecated[0] == ("deprecated-patch", "schema-retry-seed-first")
    assert deprecated[1:] == patched[1:]
    assert shape_id(deprecated) != shape_id(patched)


def test_local_activities_and_other_markers_are_named() -> None:
    def marker(name: str, details: dict[str, object]) -> HistoryEvent:
        payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(details).encode())
        attributes = MarkerRecordedEventAttributes(
            marker_name=name, details={"data": Payloads(payloads=[payload])}
        )
        return HistoryEvent(
            event_id=1,
            event_type=EventType.EVENT_TYPE_MARKER_RECORDED,
            marker_recorded_event_attributes=attributes,
        )

    history = History(
        events=[
            marker("core_local_activity", {"activity_type": "lookup", "seq": 1}),
            marker("my-marker", {}),
        ]
    )
    assert history_shape(history) == (("local-activity", "lookup"), ("marker", "my-marker"))


def event(event_type: str, **attributes: object) -> HistoryEvent:
    """A history event of ``EVENT_TYPE_<event_type>`` with its attributes."""
    return HistoryEvent(event_id=1, event_type=EventType.Value(f"EVENT_TYPE_{event_type}"),
                        **attributes)  # type: ignore[arg-type]  # fmt: skip


def signaled(name: str) -> HistoryEvent:
    signal = WorkflowExecutionSignaledEventAttributes(signal_name=name)
    return event("WORKFLOW_EXECUTION_SIGNALED", workflow_execution_signaled_event_attributes=signal)


def test_what_an_execution_received_follows_its_commands_each_once() -> None:
    # Replay calls a handler for each signal and update: an execution that received 'approve'
    # runs code one that made the same commands without it does not.
    acme = read_history(PROVISIONING / "prov-acme-completed.json").history
    accepted = WorkflowExecutionUpdateAcceptedEventAttributes(
        accepted_request=Request(input=Input(name="set_plan"))
    )
    admitted = WorkflowExecutionUpdateAdmittedEventAttributes(
        request=Request(input=Input(name="expedite"))
    )
    acme.events.extend([
        signaled("hold"), signaled("approve"), signaled("hold"),
        event("WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
              workflow_execution_update_accepted_event_attributes=accepted),
        event("WORKFLOW_EXECUTION_UPDATE_ADMITTED",
              workflow_execution_update_admitted_event_attributes=admitted),
        event("WORKFLOW_EXECUTION_UPDATE_ACCEPTED"),  # the request is in its admitted event
        event("WORKFLOW_EXECUTION_CANCEL_REQUESTED"),
    ])  # fmt: skip
    assert history_shape(acme)[-5:] == (
        ("received-cancel", ""),
        ("received-signal", "approve"),
        ("received-signal", "hold"),
        ("received-update", "expedite"),
        ("received-update", "set_plan"),
    )
    assert describe_shape(history_shape(acme)).endswith(
        "> update > update (received: cancel, signal approve, signal hold, update expedite, "
        "update set_plan)"
    )


def test_how_often_and_when_a_signal_came_do_not_matter() -> None:
    # What a handler made the workflow do is in the commands already; a shape per number of
    # signals would keep a history per cart size.
    history = read_history(PROVISIONING / "prov-acme-completed.json").history
    once, twice = History(), History()
    once.CopyFrom(history)
    twice.CopyFrom(history)
    twice.events.insert(3, signaled("approve"))
    assert history_shape(twice) == history_shape(once)


def test_a_history_that_received_nothing_keeps_its_shape_id() -> None:
    # Shape ids name the files 'generate --save' writes: they stay as they were.
    waiting = shape_of("prov-umbrella-awaiting-approval")
    assert not [kind for kind, _ in waiting if kind.startswith("received-")]
    assert shape_id(waiting) == "a1d7e8c3dce0"


@pytest.mark.parametrize(
    ("workflow_id", "name"),
    [
        ("order-42", "order-42"),
        ("orders/42", "orders%2F42"),
        (".hidden", "%2Ehidden"),
        ("naïve id", "na%C3%AFve%20id"),
        ("", "_"),
    ],
)
def test_safe_file_names(workflow_id: str, name: str) -> None:
    assert safe_name(workflow_id) == name


def test_long_ids_are_shortened_uniquely() -> None:
    first, second = safe_name("x" * 300 + "a"), safe_name("x" * 300 + "b")
    assert len(first) == len(second) == 180
    assert first != second


def test_progress_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress("executions", total=4, stream=stream, tty=True)
    for _ in range(4):
        progress.advance(note="ok")
    progress.finish()
    assert stream.getvalue().endswith("\r\x1b[2K[" + "#" * 30 + "] 4/4 executions (ok)\n")


def test_progress_lines_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 100, 3))
    monkeypatch.setattr("replaycheck._progress.time.monotonic", lambda: next(clock))
    stream = io.StringIO()
    progress = Progress("executions", stream=stream, tty=False)
    progress.advance()
    progress.advance(note="1 written")
    progress.finish()
    assert stream.getvalue() == "1 execution\n2 executions (1 written)\n"
