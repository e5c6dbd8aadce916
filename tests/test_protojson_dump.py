"""replaycheck._protojson_dump: the fast History -> JSON writer must equal MessageToDict + dumps."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from hypothesis import given
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.history.v1 import History

from replaycheck import _protojson_dump
from replaycheck._protojson_dump import message_json
from replaycheck.histories import (
    PROVENANCE_KEY,
    Provenance,
    history_json_bytes,
    history_message_json_bytes,
    read_history,
)
from tests.conftest import FIXTURES, SHARED
from tests.test_protojson import PROPERTY, histories

FILES = sorted(FIXTURES.rglob("*.json")) + sorted(SHARED.rglob("*.json"))
PROVENANCE = Provenance(
    workflow_id='order "42" é', workflow_type="Orders", namespace="prod", status="RUNNING",
    query="WorkflowType='Orders'", address="127.0.0.1:7233", captured_at="2026-01-01T00:00:00Z",
)  # fmt: skip


def reference(message: Message, provenance: Provenance | None = None) -> bytes:
    """What ``history_json_bytes`` wrote before the fast writer: MessageToDict + json.dumps."""
    doc: dict[str, Any] = json_format.MessageToDict(message)
    if provenance is not None:
        doc[PROVENANCE_KEY] = provenance.to_json_dict()
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def outcome(fn: Any) -> Any:
    try:
        return fn()
    except (ValueError, json_format.SerializeToJsonError) as exc:
        return type(exc)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_equal_to_message_to_dict_on_real_histories(path: Path) -> None:
    history = read_history(path).history
    assert history_message_json_bytes(history) == reference(history)
    assert history_message_json_bytes(history, PROVENANCE) == reference(history, PROVENANCE)
    assert history_json_bytes(history.events, PROVENANCE) == reference(history, PROVENANCE)


def test_empty_history_with_and_without_provenance() -> None:
    assert history_message_json_bytes(History()) == reference(History()) == b"{}\n"
    assert history_message_json_bytes(History(), PROVENANCE) == reference(History(), PROVENANCE)


@PROPERTY
@given(histories())
def test_random_histories_equal_message_to_dict(history: History) -> None:
    expected = outcome(lambda: reference(history, PROVENANCE))
    assert outcome(lambda: history_message_json_bytes(history, PROVENANCE)) == expected


def test_remembered_texts_depend_on_depth_and_content() -> None:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')
    nested = Payloads(payloads=[payload, payload, Payload(data=b"other")])
    for _ in range(3):  # the second and third time come from the cache
        assert message_json(nested) == json.dumps(
            json_format.MessageToDict(nested), indent=2, sort_keys=True, ensure_ascii=False
        )


def test_writers_built_concurrently_are_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_protojson_dump, "_writers", {})
    monkeypatch.setattr(_protojson_dump, "_nested_writers", {})
    history = read_history(FIXTURES / "TenantProvisioning" / "prov-acme-completed.json").history
    expected = reference(history)
    results: list[bytes | BaseException] = []
    start = threading.Barrier(4)

    def render() -> None:
        start.wait()
        try:
            results.append(history_message_json_bytes(history))
        except BaseException as exc:  # collected and asserted on below
            results.append(exc)

    threads = [threading.Thread(target=render) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4
