"""History shapes (what ``export --dedupe`` groups by), file names and progress output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent, MarkerRecordedEventAttributes

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
        "child NotifyTenant > complete"
    )


def test_ids_times_payloads_and_retries_do_not_matter() -> None:
    acme = shape_of("prov-acme-completed")
    assert shape_of("prov-globex-completed") == acme  # other input, other approver
    assert shape_of("prov-initech-schema-retried") == acme  # create_schema retried twice
    assert shape_id(shape_of("prov-globex-completed")) == shape_id(acme)


def test_stopping_at_the_same_point_is_the_same_shape() -> None:
    waiting = shape_of("prov-umbrella-awaiting-approval")
    assert shape_of("prov-wayne-terminated") == waiting  # termination is not a command
    assert shape_of("prov-stark-cancelled") == (*waiting, ("cancel", ""))
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
    assert stream.getvalue() == "1 executions\n2 executions (1 written)\n"
