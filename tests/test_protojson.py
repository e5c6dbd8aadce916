"""replaycheck._protojson: the fast JSON -> History converter must equal temporalio's parser."""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime
import functools
import inspect
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import temporalio.client._helpers
from google.protobuf import (
    any_pb2,
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    empty_pb2,
    field_mask_pb2,
    json_format,
    message_factory,
    struct_pb2,
    timestamp_pb2,
    wrappers_pb2,
)
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.client._helpers import _history_from_json

from replaycheck._protojson import (
    _message_from_dict,
    history_from_dict,
    is_repeated,
)
from replaycheck._protojson_values import _upper_snake

SHARED = Path(__file__).resolve().parent / "fixtures" / "public"
SHARED_FILES = sorted(SHARED.rglob("*.json")) if SHARED.is_dir() else []

FD = FieldDescriptor
# PROTOJSON_EXAMPLES=2000 for a deep run; the default keeps the suite fast.
EXAMPLES = int(os.environ.get("PROTOJSON_EXAMPLES", "15"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def parse_dict(doc: Any, message: Message) -> Message:
    return json_format.ParseDict(doc, message, ignore_unknown_fields=True)


def outcome(fn: Callable[[], Message]) -> Message | BaseException:
    try:
        return fn()
    except Exception as exc:  # compared by the caller
        return exc


def assert_same_as_parse_dict(doc: Any, cls: type[Message]) -> None:
    """ParseDict's result, or a ValueError where ParseDict fails."""
    expected = outcome(lambda: parse_dict(copy.deepcopy(doc), cls()))
    if isinstance(expected, BaseException):
        with pytest.raises(ValueError):
            _message_from_dict(doc, cls())
    else:
        assert _message_from_dict(doc, cls()) == expected


# --- (a) the real histories ---------------------------------------------------------------------


def test_shared_histories_are_there() -> None:
    assert SHARED.is_dir(), f"the shared public histories are missing at {SHARED}"
    assert len(SHARED_FILES) >= 18


@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda p: p.name)
def test_equal_to_temporalio_on_shared_history(path: Path) -> None:
    doc = json.loads(path.read_text())
    before = copy.deepcopy(doc)
    history = history_from_dict(doc)
    assert doc == before  # not modified
    assert len(history.events) == len(doc["events"]) > 0
    assert history == _history_from_json(doc)
    assert list(history.events) == list(WorkflowHistory.from_json("wf", doc).events)


def test_old_dialect_histories_are_covered() -> None:
    docs = [json.loads(path.read_text()) for path in SHARED_FILES]
    old = [doc for doc in docs if doc["events"][0]["eventType"] == "WorkflowExecutionStarted"]
    assert len(old) >= 2
    for doc in old:
        assert history_from_dict(doc).events[0].event_type == 1  # WORKFLOW_EXECUTION_STARTED


# --- random messages, for any descriptor --------------------------------------------------------

INT_RANGES = {
    FD.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    FD.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    FD.CPPTYPE_UINT32: (0, 2**32 - 1),
    FD.CPPTYPE_UINT64: (0, 2**64 - 1),
}
TS_MIN, TS_MAX = -62135596800, 253402300799
FLOAT32_MAX = float.fromhex("0x1.fffffep+127")
DURATION_MAX = 315576000000


def is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


@functools.cache
def scalar_values(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    cpp = field.cpp_type
    if cpp in INT_RANGES:
        low, high = INT_RANGES[cpp]
        return st.one_of(st.integers(low, high), st.sampled_from([low, high, 0, 1]))
    if cpp == FD.CPPTYPE_DOUBLE:
        return st.floats(allow_nan=False)
    if cpp == FD.CPPTYPE_FLOAT:
        # MessageToDict writes the largest float32 as 3.4028235e+38, which ParseDict rejects
        return st.floats(allow_nan=False, width=32).filter(lambda x: abs(x) != FLOAT32_MAX)
    if cpp == FD.CPPTYPE_BOOL:
        return st.booleans()
    if cpp == FD.CPPTYPE_ENUM:
        enum = field.enum_type
        assert enum is not None
        known = st.sampled_from([v.number for v in enum.values])
        return known if enum.is_closed else st.one_of(known, known, st.integers(-5, 2**31 - 1))
    if field.type == FD.TYPE_BYTES:
        return st.binary(max_size=24)
    return st.text(max_size=12)


json_leaves = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8)
)
json_like = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
field_mask_paths = st.lists(
    st.from_regex(r"[a-z]{1,5}(_[a-z]{1,5}){0,2}(\.[a-z]{1,5}){0,1}", fullmatch=True), max_size=3
)


@functools.cache
def field_choices(
    desc: Descriptor, nested: bool
) -> st.SearchStrategy[list[FieldDescriptor]] | None:
    """Which fields of a random ``desc`` to set (message fields only if ``nested``)."""
    fields = [f for f in desc.fields if nested or f.cpp_type != FD.CPPTYPE_MESSAGE or is_map(f)]
    if not fields:
        return None
    return st.lists(
        st.sampled_from(fields),
        min_size=min(2, len(fields)),
        max_size=8,
        unique_by=lambda f: f.number,
    )


@st.composite
def messages(draw: st.DrawFn, desc: Descriptor, budget: int) -> Message:
    """A random message of type ``desc``; ``budget`` limits the nesting."""
    msg: Any = message_factory.GetMessageClass(desc)()
    name = desc.full_name
    if name == "google.protobuf.Timestamp":
        msg.seconds = draw(st.integers(TS_MIN, TS_MAX))
        msg.nanos = draw(st.integers(0, 999_999_999) | st.sampled_from([0, 5_000_000, 123_000]))
        return msg
    if name == "google.protobuf.Duration":
        seconds = draw(st.integers(-DURATION_MAX, DURATION_MAX) | st.integers(-100, 100))
        nanos = draw(st.integers(0, 999_999_999) | st.just(0))
        msg.seconds, msg.nanos = seconds, -nanos if seconds < 0 else nanos
        if seconds == 0 and draw(st.booleans()):
            msg.nanos = -nanos
        return msg
    if name == "google.protobuf.Struct":
        msg.update(draw(st.dictionaries(st.text(max_size=5), json_like, max_size=3)))
        return msg
    if name == "google.protobuf.ListValue":
        msg.extend(draw(st.lists(json_like, max_size=3)))
        return msg
    if name == "google.protobuf.Value":
        struct = struct_pb2.Struct()
        struct.update({"v": draw(json_like)})
        msg.CopyFrom(struct.fields["v"])
        return msg
    if name == "google.protobuf.FieldMask":
        msg.paths.extend(draw(field_mask_paths))
        return msg
    if name == "google.protobuf.Any":
        inner = draw(
            st.sampled_from(
                [
                    Payload.DESCRIPTOR,
                    timestamp_pb2.Timestamp.DESCRIPTOR,
                    struct_pb2.Value.DESCRIPTOR,
                ]
            )
        )
        msg.Pack(draw(message_values(inner, 0)))
        return msg
    chosen = field_choices(desc, budget > 0)
    if chosen is None:
        return msg
    for field in draw(chosen):
        set_random(draw, msg, field, budget)
    return msg


@functools.cache
def message_values(desc: Descriptor, budget: int) -> st.SearchStrategy[Message]:
    return messages(desc, max(budget, -1))


@functools.cache
def map_keys(field: FieldDescriptor) -> st.SearchStrategy[list[Any]]:
    return st.lists(scalar_values(field), max_size=3, unique=True)


REPEAT_COUNT = st.integers(0, 3)


def set_random(draw: st.DrawFn, msg: Any, field: FieldDescriptor, budget: int) -> None:
    if is_map(field):
        entry = field.message_type
        assert entry is not None
        key_field, value_field = entry.fields_by_name["key"], entry.fields_by_name["value"]
        container = getattr(msg, field.name)
        for key in draw(map_keys(key_field)):
            if value_field.message_type is not None:
                if budget > 0:
                    value = draw(message_values(value_field.message_type, budget - 1))
                    container[key].CopyFrom(value)
            else:
                container[key] = draw(scalar_values(value_field))
        return
    sub_type = field.message_type
    if is_repeated(field):
        container = getattr(msg, field.name)
        for _ in range(draw(REPEAT_COUNT)):
            if sub_type is not None:
                container.add().CopyFrom(draw(message_values(sub_type, budget - 1)))
            else:
                container.append(draw(scalar_values(field)))
        return
    if sub_type is not None:
        getattr(msg, field.name).CopyFrom(draw(message_values(sub_type, budget - 1)))
    else:
        setattr(msg, field.name, draw(scalar_values(field)))


@st.composite
def histories(draw: st.DrawFn) -> History:
    history = History()
    event_type = HistoryEvent.DESCRIPTOR
    attributes = list(event_type.oneofs_by_name["attributes"].fields)
    for index in range(draw(st.integers(1, 4))):
        event = history.events.add()
        event.CopyFrom(draw(message_values(event_type, 4)))
        event.event_id = index + 1
        if draw(st.integers(0, 9)):  # nearly always an event has its attributes
            field = draw(st.sampled_from(attributes))
            attrs = getattr(event, field.name)
            attrs.CopyFrom(draw(message_values(field.message_type, 4)))
            if "failure" in attrs.DESCRIPTOR.fields_by_name and draw(st.booleans()):
                failure = attrs.failure
                for _ in range(draw(st.integers(1, 4))):  # a chain of causes
                    failure.CopyFrom(draw(message_values(failure.DESCRIPTOR, 2)))
                    failure = failure.cause
    return history


def to_json(message: Message, proto_names: bool) -> Any:
    doc = json_format.MessageToDict(message, preserving_proto_field_name=proto_names)
    return json.loads(json.dumps(doc))  # exactly what json.loads of a file gives


# --- walking a JSON document alongside its descriptor ---------------------------------------------

Leaf = Callable[[FieldDescriptor, Any], Any]
WKT_AS_LEAF = {
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
    "google.protobuf.Any",
    "google.protobuf.FieldMask",
}


def field_for(desc: Descriptor, key: str) -> FieldDescriptor | None:
    for field in desc.fields:
        if field.json_name == key:
            return field
    return desc.fields_by_name.get(key)


def is_leaf_message(desc: Descriptor) -> bool:
    return desc.full_name in WKT_AS_LEAF or desc.file.name == "google/protobuf/wrappers.proto"


def rewrite(
    doc: dict[str, Any],
    desc: Descriptor,
    leaf: Leaf,
    rename: Callable[[FieldDescriptor, str], str] = lambda field, key: key,
    on_object: Callable[[dict[str, Any], Descriptor], dict[str, Any]] = lambda d, desc: d,
) -> dict[str, Any]:
    """Copy ``doc`` (the JSON of a ``desc`` message), passing every scalar / well-known-type value
    through ``leaf``, every key through ``rename`` and every object through ``on_object``."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        field = field_for(desc, key)
        assert field is not None, key
        out[rename(field, key)] = rewrite_value(field, value, leaf, rename, on_object)
    return on_object(out, desc)


def rewrite_value(
    field: FieldDescriptor,
    value: Any,
    leaf: Leaf,
    rename: Callable[[FieldDescriptor, str], str],
    on_object: Callable[[dict[str, Any], Descriptor], dict[str, Any]],
) -> Any:
    if value is None:
        return None
    sub = field.message_type

    def one(item: Any, item_field: FieldDescriptor) -> Any:
        item_type = item_field.message_type
        if item_type is None or is_leaf_message(item_type):
            return leaf(item_field, item)
        return rewrite(item, item_type, leaf, rename, on_object)

    if is_map(field):
        assert sub is not None
        value_field = sub.fields_by_name["value"]
        return {key: one(item, value_field) for key, item in value.items()}
    if is_repeated(field):
        return [one(item, field) for item in value]
    return one(value, field)


def pascal(enum: EnumDescriptor, name: str) -> str | None:
    """EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> WorkflowExecutionStarted (the tctl dialect)."""
    prefix = _upper_snake(enum.name) + "_"
    if not name.startswith(prefix):
        return None
    result = "".join(part.capitalize() for part in name[len(prefix) :].split("_"))
    if prefix[:-1] + re.sub("([A-Z]+)", r"_\1", result).upper() != name:
        return None  # e.g. a part starting with a digit: no PascalCase spelling round-trips
    return result


def enum_name(field: FieldDescriptor, value: Any) -> str | None:
    if field.enum_type is None or not isinstance(value, str):
        return None
    return value


# --- (b) random histories: equal to ParseDict / _history_from_json -------------------------------


@PROPERTY
@given(histories(), st.booleans())
def test_random_histories_equal_parse_dict(history: History, proto_names: bool) -> None:
    doc = to_json(history, proto_names)
    result = history_from_dict(doc)
    assert result == parse_dict(doc, History())
    assert result == _history_from_json(doc)
    assert result == history  # and the round trip is exact


@st.composite
def spellings(draw: st.DrawFn, field: FieldDescriptor, value: Any) -> Any:
    """Another spelling of ``value`` that ParseDict accepts for ``field``."""
    cpp = field.cpp_type
    sub = field.message_type
    if cpp in INT_RANGES:
        number = int(value)
        options = [value, number, str(number)]
        if abs(number) < 2**53:
            options += [float(number), f"{number}.0", f"{number}e0"]
        return draw(st.sampled_from(options))
    if cpp == FD.CPPTYPE_ENUM and isinstance(value, str):
        enum = field.enum_type
        assert enum is not None
        return draw(st.sampled_from([value, enum.values_by_name[value].number]))
    if cpp in (FD.CPPTYPE_DOUBLE, FD.CPPTYPE_FLOAT) and isinstance(value, (int, float)):
        return draw(st.sampled_from([value, repr(float(value))]))
    if field.type == FD.TYPE_BYTES:
        raw = base64.b64decode(value)
        return draw(
            st.sampled_from(
                [
                    value,
                    base64.urlsafe_b64encode(raw).decode(),
                    base64.b64encode(raw).decode().rstrip("="),
                    base64.urlsafe_b64encode(raw).decode().rstrip("="),
                ]
            )
        )
    if sub is not None and sub.full_name == "google.protobuf.Timestamp":
        return draw(timestamp_spellings(value))
    if sub is not None and sub.full_name == "google.protobuf.Duration":
        return draw(duration_spellings(value))
    return value


@st.composite
def timestamp_spellings(draw: st.DrawFn, value: str) -> str:
    ts = timestamp_pb2.Timestamp()
    ts.FromJsonString(value)
    offset = draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59) | st.just(0))
    local_seconds = ts.seconds + offset * 60
    if not TS_MIN <= local_seconds <= TS_MAX:
        return value  # the local time would be before year 1 or after 9999
    local = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=local_seconds)
    digits = draw(st.integers(len(f"{ts.nanos:09d}".rstrip("0")), 9))
    frac = f".{ts.nanos:09d}"[: digits + 1] if digits else ""
    if offset == 0 and draw(st.booleans()):
        zone = "Z"
    else:
        sign = "+" if offset >= 0 else "-"
        zone = f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    date = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    return f"{date}T{local.hour:02d}:{local.minute:02d}:{local.second:02d}{frac}{zone}"


@st.composite
def duration_spellings(draw: st.DrawFn, value: str) -> str:
    duration = duration_pb2.Duration()
    duration.FromJsonString(value)
    total = abs(duration.seconds * 10**9 + duration.nanos)
    sign = "-" if duration.seconds < 0 or duration.nanos < 0 else ""
    seconds, nanos = divmod(total, 10**9)
    digits = draw(st.integers(len(f"{nanos:09d}".rstrip("0")), 9))
    frac = f".{nanos:09d}"[: digits + 1] if digits else ""
    return f"{sign}{seconds}{frac}s"


@PROPERTY
@given(histories(), st.data())
def test_other_spellings_equal_parse_dict(history: History, data: st.DataObject) -> None:
    """int64 as numbers, enums as numbers, unpadded / URL-safe base64, timestamp offsets and
    precisions, durations with more digits, proto field names, "Infinity" as strings ..."""
    doc = to_json(history, proto_names=False)
    variant = rewrite(
        doc,
        History.DESCRIPTOR,
        leaf=lambda field, value: data.draw(spellings(field, value)),
        rename=lambda field, key: data.draw(st.sampled_from([key, field.name])),
    )
    result = history_from_dict(variant)
    assert result == parse_dict(variant, History())
    assert result == history


@PROPERTY
@given(histories(), st.data())
def test_pascal_case_enums(history: History, data: st.DataObject) -> None:
    """The old tctl dialect: where temporalio fixes an enum up we give the same result; we also
    understand PascalCase in every other enum field (where temporalio drops the value)."""
    doc = to_json(history, proto_names=False)

    def to_pascal(field: FieldDescriptor, value: Any) -> Any:
        name = enum_name(field, value)
        if name is None or not data.draw(st.booleans()):
            return value
        assert field.enum_type is not None
        return pascal(field.enum_type, name) or value

    variant = rewrite(doc, History.DESCRIPTOR, leaf=to_pascal)
    # Generic: every PascalCase value is understood.
    assert history_from_dict(variant) == history
    # temporalio's fix-up rules cover some fields only; where it restores the canonical name, use
    # PascalCase, elsewhere keep it canonical: then the two parsers must agree exactly.
    fixed = fix_up(variant)
    covered = merge(doc, variant, fixed)
    assert history_from_dict(covered) == _history_from_json(covered) == history


def fix_up(doc: dict[str, Any]) -> Any:
    """What temporalio's _history_from_json feeds to ParseDict."""
    captured: list[Any] = []
    original = json_format.ParseDict

    def spy(js: Any, message: Message, **kwargs: Any) -> Message:
        captured.append(copy.deepcopy(js))
        return original(js, message, **kwargs)

    json_format.ParseDict = spy  # type: ignore[assignment]
    try:
        _history_from_json(doc)
    finally:
        json_format.ParseDict = original
    return captured[0]


def merge(canonical: Any, variant: Any, fixed: Any) -> Any:
    if isinstance(canonical, dict):
        return {k: merge(canonical[k], variant[k], fixed[k]) for k in canonical}
    if isinstance(canonical, list):
        return [merge(c, v, f) for c, v, f in zip(canonical, variant, fixed, strict=True)]
    return variant if variant != canonical and fixed == canonical else canonical


def test_fix_up_rules_use_our_prefixes() -> None:
    """temporalio's _fix_history_enum prefixes are the upper-snake-case enum names we derive."""
    enums = [
        "CancelExternalWorkflowExecutionFailedCause",
        "ContinueAsNewInitiator",
        "EventType",
        "ParentClosePolicy",
        "RetryState",
        "SignalExternalWorkflowExecutionFailedCause",
        "StartChildWorkflowExecutionFailedCause",
        "TaskQueueKind",
        "TimeoutType",
        "WorkflowIdReusePolicy",
        "WorkflowTaskFailedCause",
    ]
    source = inspect.getsource(temporalio.client._helpers)
    prefixes = set(re.findall(r'"([A-Z_]+)",\s*(?:event|parent)', source))
    assert prefixes == {_upper_snake(enum) for enum in enums}


def test_pascal_case_examples() -> None:
    doc = {
        "events": [
            {
                "eventId": "1",
                "eventType": "WorkflowExecutionStarted",
                "workflowExecutionStartedEventAttributes": {
                    "taskQueue": {"name": "q", "kind": "Normal"},
                    "initiator": "Unspecified",
                },
            },
            {"eventId": "2", "eventType": "WorkflowTaskStarted"},
            {"eventId": "3", "eventType": "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"},
            {"eventId": "4", "eventType": 11},
        ]
    }
    history = history_from_dict(doc)
    assert history == _history_from_json(doc)
    assert [e.event_type for e in history.events] == [1, 6, 7, 11]
    assert history.events[0].workflow_execution_started_event_attributes.task_queue.kind == 1


def test_pascal_case_beyond_temporalio_rules() -> None:
    """suggestContinueAsNewReasons is a repeated enum, which temporalio's fix-up ignores."""
    attrs = {"suggestContinueAsNewReasons": ["HistorySizeTooLarge", "Bogus"]}
    doc = {"events": [{"eventId": "1", "workflowTaskStartedEventAttributes": attrs}]}
    reasons = history_from_dict(doc).events[0].workflow_task_started_event_attributes
    assert list(reasons.suggest_continue_as_new_reasons) == [1]  # unknown names are dropped
    assert not _history_from_json(doc).events[0].workflow_task_started_event_attributes.ListFields()


# --- (c) malformed input: ValueError and nothing else --------------------------------------------

tricky_strings = st.sampled_from(
    [
        "",
        "\ud800",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "1e3",
        " 1",
        "1_0",
        "-",
        "true",
        "2020-01-01T00:00:00Z",
        "2020-02-30T00:00:00.5+01:00",
        "0001-01-01T00:00:00-01:00",
        "2020-01-01T00:00:00.9e999Z",
        "1.5s",
        "-0.5s",
        "1.9e999s",
        "315576000001s",
        "YWJj",
        "YW-_",
        "[ext]",
        "EVENT_TYPE_TIMER_FIRED",  # (no PascalCase: where ParseDict drops it, we would not)
    ]
)
any_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([2**63, 2**64, -(2**70), 10**400]),
        st.floats(),
        st.text(max_size=6),
        tricky_strings,
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6) | tricky_strings, inner, max_size=3)
    ),
    max_leaves=6,
)


def locations(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from locations(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from locations(value, (*path, index))


def replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.copy(doc)
    copied[path[0]] = replace(doc[path[0]], path[1:], value)
    return copied


@settings(
    max_examples=EXAMPLES * 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(histories(), st.data())
def test_malformed_input_raises_only_value_error(history: History, data: st.DataObject) -> None:
    doc: Any = to_json(history, proto_names=data.draw(st.booleans()))
    places = list(locations(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        place = data.draw(st.sampled_from(places))
        doc = replace(doc, place, data.draw(any_json))
        places = list(locations(doc))
    try:
        result = history_from_dict(doc)
    except ValueError as exc:
        assert ": " in str(exc)  # "<json path>: <problem>"
        return
    # Where both succeed, they agree (we reject some inputs ParseDict accepts by accident, and
    # ignore "[x]" keys, which ParseDict rejects).
    expected = outcome(lambda: parse_dict(copy.deepcopy(doc), History()))
    if not isinstance(expected, BaseException):
        assert result == expected


@given(any_json)
@settings(max_examples=EXAMPLES * 3, deadline=None)
def test_any_json_document_raises_only_value_error(doc: Any) -> None:
    with contextlib.suppress(ValueError):
        history_from_dict(doc)
    with contextlib.suppress(ValueError):
        history_from_dict({"events": [doc]})


# --- (d) unknown keys at any depth ----------------------------------------------------------------


@PROPERTY
@given(histories(), st.data())
def test_unknown_keys_are_ignored(history: History, data: st.DataObject) -> None:
    doc = to_json(history, proto_names=False)

    def add_unknown(obj: dict[str, Any], desc: Descriptor) -> dict[str, Any]:
        known = {f.name for f in desc.fields} | {f.json_name for f in desc.fields}
        extra = data.draw(st.dictionaries(st.text(max_size=8), any_json, max_size=1))
        return {**{k: v for k, v in extra.items() if k not in known}, **obj}

    noisy = rewrite(doc, History.DESCRIPTOR, leaf=lambda f, v: v, on_object=add_unknown)
    noisy["someFutureField"] = {"events": "not a list"}
    assert history_from_dict(noisy) == history == parse_dict(doc, History())


# --- targeted cases ------------------------------------------------------------------------------


def event(**attrs: Any) -> dict[str, Any]:
    return {
        "events": [{"eventId": "1", "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", **attrs}]
    }


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {
                "events": [
                    {},
                    {},
                    {},
                    {"activityTaskScheduledEventAttributes": {"activityType": []}},
                ]
            },
            "events[3].activityTaskScheduledEventAttributes.activityType: expected object, got li",
        ),
        ([], "<root>: expected object, got list"),
        ({}, "events: missing"),
        ({"events": None}, "events: missing"),
        ({"events": {}}, "events: expected list, got object"),
        ({"events": ["x"]}, "events[0]: expected object, got string"),
        ({"events": [None]}, "events[0]: null is not allowed in a list"),
        (event(eventId="x"), "events[0].eventId: invalid integer 'x'"),
        (event(eventTime="yesterday"), "events[0].eventTime: invalid timestamp 'yesterday'"),
        (
            event(workflowExecutionStartedEventAttributes={"header": {"fields": {"k": 1}}}),
            'events[0].workflowExecutionStartedEventAttributes.header.fields["k"]: expected object',
        ),
        (
            event(workflowExecutionStartedEventAttributes={"input": {"payloads": [{"data": "Q"}]}}),
            "events[0].workflowExecutionStartedEventAttributes.input.payloads[0].data: invalid b",
        ),
        (
            event(workflowExecutionStartedEventAttributes={}, timerFiredEventAttributes={}),
            "events[0].timerFiredEventAttributes: 'workflowExecutionStartedEventAttributes' and",
        ),
        (
            event(workflowExecutionStartedEventAttributes={"attempt": 2**40}),
            "events[0].workflowExecutionStartedEventAttributes.attempt: Value out of range",
        ),
    ],
)
def test_error_messages_name_the_path(doc: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        history_from_dict(doc)
    assert str(info.value).startswith(message)


def test_nulls_leave_fields_unset() -> None:
    doc = event(
        eventTime=None,
        workerMayIgnore=None,
        workflowExecutionStartedEventAttributes={
            "parentWorkflowExecution": None,
            "input": None,
            "header": None,
            "attempt": None,
            "workflowRunTimeout": None,
        },
        timerFiredEventAttributes=None,
    )
    history = history_from_dict(doc)
    assert history == _history_from_json(doc)
    first = history.events[0]
    assert not first.HasField("event_time")
    assert first.WhichOneof("attributes") == "workflow_execution_started_event_attributes"
    assert not first.workflow_execution_started_event_attributes.ListFields()


def test_later_alias_wins_or_merges_like_parse_dict() -> None:
    doc = event(
        event_id="7",
        workflowExecutionStartedEventAttributes={"workflowType": {"name": "a"}, "attempt": 2},
    )
    doc["events"][0]["event_time"] = "2020-01-01T00:00:00Z"
    doc["events"][0]["eventTime"] = None
    assert history_from_dict(doc) == parse_dict(doc, History())
    nested = {"workflowType": {"name": "a"}, "workflow_type": {}, "attempt": 2, "attempt_": 1}
    started = HistoryEvent.DESCRIPTOR.fields_by_name["workflow_execution_started_event_attributes"]
    assert started.message_type is not None
    assert_same_as_parse_dict(nested, message_factory.GetMessageClass(started.message_type))


def test_nan_double() -> None:
    doc = event(
        workflowExecutionStartedEventAttributes={"retryPolicy": {"backoffCoefficient": "NaN"}}
    )
    result = history_from_dict(doc)
    assert math.isnan(
        result.events[
            0
        ].workflow_execution_started_event_attributes.retry_policy.backoff_coefficient
    )
    assert result.SerializeToString() == parse_dict(doc, History()).SerializeToString()


@pytest.mark.parametrize("causes", [0, 1, 95, 96, 97, 150])
def test_nesting_limit_is_parse_dicts(causes: int) -> None:
    failure: dict[str, Any] = {"message": "root"}
    for index in range(causes):
        failure = {"message": f"m{index}", "cause": failure}
    doc = event(workflowExecutionFailedEventAttributes={"failure": failure})
    doc["events"][0]["eventType"] = "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"
    expected = outcome(lambda: parse_dict(doc, History()))
    if isinstance(expected, BaseException):
        with pytest.raises(ValueError, match="nested more than 100 messages deep"):
            history_from_dict(doc)
    else:
        assert history_from_dict(doc) == expected == _history_from_json(doc)


@pytest.mark.parametrize(
    "value",
    [
        "2020-01-01T00:00:00Z",
        "2020-01-01T00:00:00.1Z",
        "2020-01-01T00:00:00.123456789Z",
        "2020-01-01T00:00:00.Z",
        "2020-01-01T01:00:00+01:00",
        "2019-12-31T23:00:00.5-01:00",
        "2020-1-1T0:0:0Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "1969-12-31T23:59:59.999Z",
        "2020-02-29T12:00:00Z",
        "2020-02-30T00:00:00Z",
        "2019-02-29T00:00:00Z",
        "2020-13-01T00:00:00Z",
        "2020-01-01T24:00:00Z",
        "2020-01-01T00:60:00Z",
        "2020-01-01T00:00:60Z",
        "2020-01-01t00:00:00Z",
        "2020-01-01T00:00:00",
        "2020-01-01T00:00:00.1234567891Z",
        "2020-01-01T00:00:00.9e999Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+00:01",
        "\uff12\uff10\uff12\uff10-01-01T00:00:00Z",
        "2020-01-01T00:00:00.\uff11Z",
        "2020-01-01T00:00:00ZZ",
        "",
        5,
        None,
    ],
)
def test_timestamps_like_parse_dict(value: Any) -> None:
    assert_same_as_parse_dict(event(eventTime=value), History)


@pytest.mark.parametrize(
    "value",
    [
        "0s", "1s", "-1s", "1.5s", "-1.5s", "-0.5s", "0.000000001s", "1.0000000005s", "1.s", "+1s",
        " 1s", "1_0s", "315576000000s", "315576000001s", "-315576000000.999999999s", "1.9e999s",
        "1", "s", "", "1.5ms", "\uff11s", 1, None,
    ],
)  # fmt: skip
def test_durations_like_parse_dict(value: Any) -> None:
    assert_same_as_parse_dict(
        event(workflowExecutionStartedEventAttributes={"workflowRunTimeout": value}), History
    )


@pytest.mark.parametrize(
    "value",
    [
        "1", 1, -1, "-1", 1.0, "1.0", "1e3", "1.5", 1.5, " 1", "1 ", "\t1", "+1", "1_000", "٣",
        "0x10", True, "9223372036854775807", "9223372036854775808", 2**63, -(2**63), "1e19",
        "Infinity", float("inf"), float("nan"), [], {}, "",
    ],
)  # fmt: skip
def test_int64_like_parse_dict(value: Any) -> None:
    assert_same_as_parse_dict(event(eventId=value), History)


@pytest.mark.parametrize(
    "value",
    [
        "EVENT_TYPE_TIMER_FIRED", "TimerFired", "timerFired", "TIMER_FIRED", "Bogus", "", "18",
        " 18", 18, 17.9, True, 1000, -1, 2**31, 2**32 + 3, 2**40 + 5, 2**63 + 1, float("nan"),
        float("inf"), [], {},
    ],
)  # fmt: skip
def test_enums_like_parse_dict_or_pascal_case(value: Any) -> None:
    doc = event(eventType=value)
    if value in ("TimerFired",):
        assert history_from_dict(doc).events[0].event_type == 18  # EVENT_TYPE_TIMER_FIRED
        assert history_from_dict(doc) == _history_from_json(doc)
    else:
        assert_same_as_parse_dict(doc, History)


@pytest.mark.parametrize(
    "value",
    [
        "YWJj", "YWJjZA==", "YWJjZA", "YWJjZA=", "YWJjZA===", "-_-_", "+/+/", "YW Jj", "YW\nJj",
        "YWJj\u00e9", "Y", "YWJjZA==YWJj", "=", "", "\ud800", 5, [], None, True,
    ],
)  # fmt: skip
def test_bytes_like_parse_dict(value: Any) -> None:
    payload = {"metadata": {"encoding": value}, "data": value}
    doc = event(workflowExecutionStartedEventAttributes={"input": {"payloads": [payload]}})
    assert_same_as_parse_dict(doc, History)


@pytest.mark.parametrize(
    ("message", "field"), [("retryPolicy", "backoffCoefficient"), ("priority", "fairnessWeight")]
)
@pytest.mark.parametrize(
    "value",
    [
        1.5, 1, "1.5", "NaN", "nan", "Infinity", "-Infinity", "inf", float("inf"), "1e400", True,
        3.5e38, 1e39, -1e39, "1e39", 10**40, [], "x",
    ],
)  # fmt: skip
def test_floats_like_parse_dict(value: Any, message: str, field: str) -> None:
    doc = event(workflowExecutionStartedEventAttributes={message: {field: value}})
    expected = outcome(lambda: parse_dict(doc, History()))
    if isinstance(expected, BaseException):
        with pytest.raises(ValueError):
            history_from_dict(doc)
    else:  # bytes, not ==, because of NaN
        assert history_from_dict(doc).SerializeToString() == expected.SerializeToString()


@pytest.mark.parametrize(
    "value", ["abc", "", "é", "\ud800", "\ud83d\ude00", "\U0001f600", 5, True, [], {}]
)
def test_strings_like_parse_dict(value: Any) -> None:
    assert_same_as_parse_dict(
        event(workflowExecutionStartedEventAttributes={"identity": value}), History
    )


def test_input_is_not_modified_and_results_are_independent() -> None:
    doc = json.loads(SHARED_FILES[0].read_text())
    before = copy.deepcopy(doc)
    first, second = history_from_dict(doc), history_from_dict(doc)
    assert doc == before
    first.events[0].event_id = 12345
    assert second.events[0].event_id != 12345


# --- the generic converter on a synthetic message with every kind of field ------------------------


def _everything_classes() -> tuple[type[Message], type[Message]]:
    pool = descriptor_pool.Default()
    try:
        pool.FindMessageTypeByName("replaycheck.test.Everything")
    except KeyError:
        for proto in (_legacy_file(), _everything_file()):
            pool.Add(proto)
    everything = pool.FindMessageTypeByName("replaycheck.test.Everything")
    legacy = pool.FindMessageTypeByName("replaycheck.test.Legacy")
    return (
        message_factory.GetMessageClass(everything),
        message_factory.GetMessageClass(legacy),
    )


T = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    "int32": T.TYPE_INT32, "int64": T.TYPE_INT64, "uint32": T.TYPE_UINT32,
    "uint64": T.TYPE_UINT64, "sint32": T.TYPE_SINT32, "sint64": T.TYPE_SINT64,
    "fixed32": T.TYPE_FIXED32, "fixed64": T.TYPE_FIXED64, "sfixed32": T.TYPE_SFIXED32,
    "sfixed64": T.TYPE_SFIXED64, "float": T.TYPE_FLOAT, "double": T.TYPE_DOUBLE,
    "bool": T.TYPE_BOOL, "string": T.TYPE_STRING, "bytes": T.TYPE_BYTES,
}  # fmt: skip
WKTS = {
    "ts": ".google.protobuf.Timestamp", "dur": ".google.protobuf.Duration",
    "struct": ".google.protobuf.Struct", "value": ".google.protobuf.Value",
    "list_value": ".google.protobuf.ListValue", "any": ".google.protobuf.Any",
    "field_mask": ".google.protobuf.FieldMask", "empty": ".google.protobuf.Empty",
    "w_int64": ".google.protobuf.Int64Value", "w_uint32": ".google.protobuf.UInt32Value",
    "w_string": ".google.protobuf.StringValue", "w_bytes": ".google.protobuf.BytesValue",
    "w_bool": ".google.protobuf.BoolValue", "w_double": ".google.protobuf.DoubleValue",
    "w_float": ".google.protobuf.FloatValue",
}  # fmt: skip
_DEPS = (timestamp_pb2, duration_pb2, struct_pb2, any_pb2, field_mask_pb2, empty_pb2, wrappers_pb2)


def _legacy_file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name="replaycheck_test_legacy.proto", package="replaycheck.test", syntax="proto2"
    )
    shade = proto.enum_type.add(name="Shade")
    shade.value.add(name="LIGHT", number=1)
    shade.value.add(name="DARK", number=2)
    legacy = proto.message_type.add(name="Legacy")
    legacy.field.add(name="shade", number=1, type=T.TYPE_ENUM, type_name=".replaycheck.test.Shade")
    legacy.field.add(name="count", number=2, type=T.TYPE_INT32)
    legacy.field.add(
        name="shades", number=3, type=T.TYPE_ENUM, type_name=".replaycheck.test.Shade",
        label=T.LABEL_REPEATED,
    )  # fmt: skip
    for field in legacy.field:
        if not field.HasField("label"):
            field.label = T.LABEL_OPTIONAL
    return proto


def _everything_file() -> descriptor_pb2.FileDescriptorProto:
    deps = [module.DESCRIPTOR.name for module in _DEPS] + ["replaycheck_test_legacy.proto"]
    proto = descriptor_pb2.FileDescriptorProto(
        name="replaycheck_test_everything.proto",
        package="replaycheck.test",
        syntax="proto3",
        dependency=deps,
    )
    color = proto.enum_type.add(name="Color")
    for number, name in enumerate(["COLOR_UNSPECIFIED", "COLOR_RED", "COLOR_DARK_BLUE"]):
        color.value.add(name=name, number=number)
    msg = proto.message_type.add(name="Everything")
    numbers = iter(range(1, 1000))

    def add(name: str, kind: int, type_name: str = "", repeated: bool = False) -> Any:
        label = T.LABEL_REPEATED if repeated else T.LABEL_OPTIONAL
        field = msg.field.add(name=name, number=next(numbers), type=kind, label=label)
        if type_name:
            field.type_name = type_name
        return field

    for name, kind in SCALARS.items():
        add(f"f_{name}", kind)
        add(f"r_{name}", kind, repeated=True)
    add("f_enum", T.TYPE_ENUM, ".replaycheck.test.Color")
    add("r_enum", T.TYPE_ENUM, ".replaycheck.test.Color", repeated=True)
    add("null_value", T.TYPE_ENUM, ".google.protobuf.NullValue")
    for name, type_name in WKTS.items():
        add(name, T.TYPE_MESSAGE, type_name)
    for name in ("ts", "dur", "value", "any"):
        add(f"r_{name}", T.TYPE_MESSAGE, WKTS[name], repeated=True)
    add("child", T.TYPE_MESSAGE, ".replaycheck.test.Everything")
    add("children", T.TYPE_MESSAGE, ".replaycheck.test.Everything", repeated=True)
    add("legacy", T.TYPE_MESSAGE, ".replaycheck.test.Legacy")
    msg.oneof_decl.add(name="choice")
    for name, kind, type_name in [
        ("c_string", T.TYPE_STRING, ""),
        ("c_int64", T.TYPE_INT64, ""),
        ("c_message", T.TYPE_MESSAGE, ".replaycheck.test.Everything"),
    ]:
        add(name, kind, type_name).oneof_index = 0
    for index, name in enumerate(["o_int64", "o_string"], start=1):
        msg.oneof_decl.add(name=f"_{name}")
        field = add(name, T.TYPE_INT64 if name == "o_int64" else T.TYPE_STRING)
        field.oneof_index = index
        field.proto3_optional = True
    maps = {
        "m_str_int64": (T.TYPE_STRING, T.TYPE_INT64, ""),
        "m_int32_str": (T.TYPE_INT32, T.TYPE_STRING, ""),
        "m_int64_msg": (T.TYPE_INT64, T.TYPE_MESSAGE, ".replaycheck.test.Everything"),
        "m_uint32_bytes": (T.TYPE_UINT32, T.TYPE_BYTES, ""),
        "m_bool_enum": (T.TYPE_BOOL, T.TYPE_ENUM, ".replaycheck.test.Color"),
        "m_str_ts": (T.TYPE_STRING, T.TYPE_MESSAGE, WKTS["ts"]),
        "m_str_value": (T.TYPE_STRING, T.TYPE_MESSAGE, WKTS["value"]),
    }
    for name, (key, value, value_type) in maps.items():
        entry_name = "".join(p.capitalize() for p in name.split("_")) + "Entry"
        entry = msg.nested_type.add(name=entry_name)
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, type=key, label=T.LABEL_OPTIONAL)
        value_field = entry.field.add(name="value", number=2, type=value, label=T.LABEL_OPTIONAL)
        if value_type:
            value_field.type_name = value_type
        add(name, T.TYPE_MESSAGE, f".replaycheck.test.Everything.{entry_name}", repeated=True)
    return proto


EVERYTHING, LEGACY = _everything_classes()


@PROPERTY
@given(messages(EVERYTHING.DESCRIPTOR, 3), st.booleans())
def test_generic_converter_equals_parse_dict(message: Message, proto_names: bool) -> None:
    doc = to_json(message, proto_names)
    assert _message_from_dict(doc, EVERYTHING()) == parse_dict(doc, EVERYTHING())


@PROPERTY
@given(messages(EVERYTHING.DESCRIPTOR, 2), st.data())
def test_generic_converter_malformed(message: Message, data: st.DataObject) -> None:
    doc: Any = to_json(message, proto_names=False)
    place = data.draw(st.sampled_from(list(locations(doc))))
    doc = replace(doc, place, data.draw(any_json))
    try:
        result = _message_from_dict(doc, EVERYTHING())
    except ValueError:
        return
    expected = outcome(lambda: parse_dict(copy.deepcopy(doc), EVERYTHING()))
    if not isinstance(expected, BaseException):
        assert result.SerializeToString(deterministic=True) == expected.SerializeToString(
            deterministic=True
        )


@pytest.mark.parametrize(
    "doc",
    [
        {"value": None},
        {"nullValue": None},
        {"rValue": [None, 1, "a", {"x": [None]}]},
        {"mStrValue": {"a": None, "b": [1]}},
        {"struct": None},
        {"struct": {"a": None}},
        {"struct": []},
        {"listValue": [1, None]},
        {"listValue": {}},
        {"any": {}},
        {"any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1s"}},
        {"any": {"@type": "type.googleapis.com/temporal.api.common.v1.Payload", "data": "YQ=="}},
        {"any": {"@type": "type.googleapis.com/no.such.Type"}},
        {"any": {"data": "YQ=="}},
        {"any": []},
        {"fieldMask": "a.bC,d"},
        {"fieldMask": 5},
        {"wInt64": "5"},
        {"wInt64": None},
        {"wString": 5},
        {"wBool": "true"},
        {"wBytes": "YQ"},
        {"wFloat": 1e39},
        {"mBoolEnum": {"true": "COLOR_RED", "false": "DarkBlue", "yes": 1}},
        {"mBoolEnum": {"true": "Bogus"}},
        {"mInt32Str": {"1": "a", "01": "b", "-0": "c"}},
        {"mInt32Str": {"1.0": "a"}},
        {"mInt32Str": {"x": "a"}},
        {"mInt32Str": {"3000000000": "a"}},
        {"mInt64Msg": {"1": {"fInt32": 1}, "01": {"fString": "x"}}},
        {"mUint32Bytes": {"-1": "YQ=="}},
        {"mStrTs": {"a": "2020-01-01T00:00:00Z", "b": None}},
        {"rTs": ["2020-01-01T00:00:00Z", "1970-01-01T00:00:00.5+01:00"]},
        {"rDur": ["1s", None]},
        {"oInt64": "0"},
        {"oInt64": None, "o_int64": "5"},
        {"oInt64": "1", "o_int64": "5"},
        {"cString": "a", "cInt64": None},
        {"cString": "a", "cInt64": "1"},
        {"cMessage": {}, "c_message": {"fInt32": 3}},
        {"fEnum": "COLOR_DARK_BLUE", "rEnum": ["COLOR_RED", 7, "nope", 2**32 + 1]},
        {"legacy": {"shade": "DARK", "count": 0, "shades": ["LIGHT", 2]}},
        {"legacy": {"shade": 7}},
        {"legacy": {"shades": [7]}},
        {"legacy": {"shade": "Dark"}},
        {"legacy": {"count": None}},
        {"rInt32": [1, "2", 3.0]},
        {"rUint64": ["-1"]},
        {"rBool": [True, None]},
        {"fUint32": -1},
        {"fSint64": "-9223372036854775808"},
        {"fFixed64": "18446744073709551615"},
        {"fFloat": "3.4028235e38"},
        {"fFloat": 3.4028235e38},
        {"child": {"child": {"child": {"fInt32": 1, "bogus": {"x": 1}}}}},
        {"children": [{}, {"children": [{"cString": "x"}]}]},
        {"empty": {}},
        {"empty": {"x": 1}},
        {"fInt32": 1, "f_int32": 2},
        {"rInt32": [1], "r_int32": [2, 3]},
        {"rTs": ["2020-01-01T00:00:00Z"], "r_ts": []},
        {"mStrInt64": {"a": "1"}, "m_str_int64": {"b": "2"}},
        {"children": [{"fInt32": 1}], "children_": 5},
        {"legacy": {"count": 1}, "legacy_": None},
    ],
)
def test_generic_converter_cases(doc: dict[str, Any]) -> None:
    assert_same_as_parse_dict(doc, EVERYTHING)


def test_generic_extension_like_keys_are_ignored() -> None:
    doc = {"[replaycheck.test.ext]": 1, "fInt32": 3}
    with pytest.raises(json_format.ParseError):  # ParseDict rejects them, even when ignoring
        parse_dict(doc, EVERYTHING())
    assert _message_from_dict(doc, EVERYTHING()) == parse_dict({"fInt32": 3}, EVERYTHING())


def test_generic_pascal_case_enums() -> None:
    result: Any = _message_from_dict(
        {"fEnum": "DarkBlue", "rEnum": ["Red", "COLOR_RED", 7, "nope"]}, EVERYTHING()
    )
    assert result.f_enum == 2
    assert list(result.r_enum) == [1, 1, 7]
