"""Fast ``History`` -> proto3 JSON text, byte for byte what ``json.dumps(MessageToDict(msg),
indent=2, sort_keys=True, ensure_ascii=False)`` gives.

``MessageToDict`` and ``json.dumps`` with ``indent`` are both pure Python and rediscover every
field's kind for every value; together they cost ~15 ms for a 190-event history. Here, for each
message type, a table ``field -> (quoted JSON key, value writer)`` is built once, lazily, from the
descriptor, already in the order ``sort_keys`` wants; a message is written by walking its
``ListFields()`` (the set fields, as ``MessageToDict`` walks them) and appending text to a list.
Timestamp and Duration have fast writers; the other well-known types (Any, Struct, Value,
ListValue, FieldMask, wrappers; none occur in histories) go through ``MessageToDict`` and
``json.dumps`` for that subtree, so they come out the same too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from replaycheck._protojson import is_repeated
from replaycheck._protojson_texts import Text, encode_str, leaf_text, scalar_text

__all__ = ["message_json", "write_message"]

_Write = Callable[[Any, int, list[str]], None]
"""Append the JSON text of a message, nested ``depth`` levels deep, to a list."""

_FD = FieldDescriptor
_FALLBACK = frozenset(
    {
        "google.protobuf.Any",
        "google.protobuf.FieldMask",
        "google.protobuf.ListValue",
        "google.protobuf.Struct",
        "google.protobuf.Value",
    }
)
_CACHE_SIZE = 4096
_lock = threading.RLock()
_writers: dict[str, _Write] = {}
_building: dict[str, _Write] = {}
"""Writers being built (under ``_lock``), published to ``_writers`` when all are complete."""
_nested_writers: dict[str, _Write] = {}
_UNIQUE_TYPES = frozenset({"temporal.api.history.v1.HistoryEvent"})
"""Message types never worth remembering: every event is different."""
_CACHE_MAX_BYTES = 512
_PROBE = 512
"""Lookups of a type before its hit rate is judged."""
_MAX_PAD = 64
_pads = ["\n" + "  " * depth for depth in range(_MAX_PAD)]


def _pad(depth: int) -> str:
    return _pads[depth] if depth < _MAX_PAD else "\n" + "  " * depth


def _fallback_writer(value: Message, depth: int, out: list[str]) -> None:
    text = json.dumps(
        json_format.MessageToDict(value), indent=2, sort_keys=True, ensure_ascii=False
    )
    out.append(text.replace("\n", _pad(depth)))


def _is_fallback(desc: Descriptor) -> bool:
    return desc.full_name in _FALLBACK or desc.file.name == "google/protobuf/wrappers.proto"


# --- messages -------------------------------------------------------------------------------------


def _writer(desc: Descriptor) -> _Write:
    """The writer for a message type (built on first use; safe to call from any thread)."""
    found = _writers.get(desc.full_name)
    if found is not None:
        return found
    with _lock:  # re-entrant: building a writer builds the writers of its fields' types
        found = _writers.get(desc.full_name) or _building.get(desc.full_name)
        if found is None:
            outermost = not _building
            found = _build_writer(desc)
            if outermost:  # publish only complete writers: other threads use them unlocked
                _writers.update(_building)
                _building.clear()
    return found


def _build_writer(desc: Descriptor) -> _Write:
    if _is_fallback(desc):
        _building[desc.full_name] = _fallback_writer
        return _fallback_writer
    table: dict[FieldDescriptor, tuple[str, Text | None, _Write | None]] = {}
    ranks: dict[FieldDescriptor, int] = {}
    pads = _pads

    def rank(item: tuple[FieldDescriptor, Any]) -> int:
        return ranks[item[0]]

    def write(msg: Any, depth: int, out: list[str]) -> None:
        fields = msg.ListFields()
        if not fields:
            out.append("{}")
            return
        if len(fields) > 1:
            fields.sort(key=rank)
        inner = depth + 1
        pad = pads[inner] if inner < _MAX_PAD else _pad(inner)
        sep = "{" + pad
        for field, value in fields:
            key, text, nested = table[field]
            if text is not None:
                out.append(sep + key + text(value))
            else:
                out.append(sep + key)
                nested(value, inner, out)  # type: ignore[misc]
            sep = "," + pad
        out.append((pads[depth] if depth < _MAX_PAD else _pad(depth)) + "}")

    _building[desc.full_name] = write  # first: message types can contain themselves
    names = sorted(field.json_name for field in desc.fields)
    for field in desc.fields:
        ranks[field] = names.index(field.json_name)
        table[field] = (encode_str(field.json_name) + ": ", *_field_writers(field))
    return write


def _field_writers(field: FieldDescriptor) -> tuple[Text | None, _Write | None]:
    """``(text, None)`` for a value written in one piece, else ``(None, writer)``."""
    message_type = field.message_type
    if message_type is not None and message_type.GetOptions().map_entry:
        return None, _map_writer(message_type)
    if is_repeated(field):
        text, write = _single_writers(field)
        return None, _list_writer(text, write)
    return _single_writers(field)


def _single_writers(field: FieldDescriptor) -> tuple[Text | None, _Write | None]:
    message_type = field.message_type
    if message_type is None:
        return scalar_text(field), None
    leaf = leaf_text(message_type)
    if leaf is not None:
        return leaf, None
    return None, _nested_writer(message_type)


def _nested_writer(desc: Descriptor) -> _Write:
    """The writer of ``desc`` for a nested position, remembering the text of small messages.

    Histories repeat the same small messages over and over (task queues, activity types,
    retry policies, worker version stamps, payload metadata), so the text of each is kept,
    keyed by its serialized bytes and depth: equal bytes, equal content, equal text. A type
    whose messages turn out to be unique (less than one lookup in four hits) is no longer
    looked up.
    """
    found = _nested_writers.get(desc.full_name)
    if found is not None:
        return found
    write = _writer(desc)
    if write is _fallback_writer or desc.full_name in _UNIQUE_TYPES:
        _nested_writers[desc.full_name] = write
        return write
    cache: dict[tuple[bytes, int], str] = {}
    counts = [0, 0]  # lookups, hits

    def write_cached(msg: Any, depth: int, out: list[str]) -> None:
        if counts[0] >= _PROBE and counts[1] * 4 < counts[0]:
            write(msg, depth, out)
            return
        data = msg.SerializeToString()
        if len(data) > _CACHE_MAX_BYTES:
            write(msg, depth, out)
            return
        counts[0] += 1
        key = (data, depth)
        text = cache.get(key)
        if text is None:
            part: list[str] = []
            write(msg, depth, part)
            text = "".join(part)
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[key] = text
        else:
            counts[1] += 1
        out.append(text)

    _nested_writers[desc.full_name] = write_cached
    return write_cached


def _list_writer(text: Text | None, write: _Write | None) -> _Write:
    def write_list(values: Any, depth: int, out: list[str]) -> None:
        pad = _pad(depth + 1)
        if text is not None:
            out.append("[" + pad + ("," + pad).join([text(v) for v in values]) + _pad(depth) + "]")
            return
        assert write is not None
        sep = "[" + pad
        for value in values:
            out.append(sep)
            write(value, depth + 1, out)
            sep = "," + pad
        out.append(_pad(depth) + "]")

    return write_list


def _first(item: tuple[str, Any]) -> str:
    return item[0]


def _map_writer(entry: Descriptor) -> _Write:
    key_field = entry.fields_by_name["key"]
    value_field = entry.fields_by_name["value"]
    text, write = _single_writers(value_field)
    bool_keys = key_field.cpp_type == _FD.CPPTYPE_BOOL

    def key_of(key: Any) -> str:
        if bool_keys:
            return "true" if key else "false"
        return key if isinstance(key, str) else str(key)

    def write_map(mapping: Any, depth: int, out: list[str]) -> None:
        items = sorted(((key_of(k), v) for k, v in mapping.items()), key=_first)
        if not items:
            out.append("{}")
            return
        pad = _pad(depth + 1)
        sep = "{" + pad
        for key, value in items:
            head = sep + encode_str(key) + ": "
            if text is not None:
                out.append(head + text(value))
            else:
                out.append(head)
                write(value, depth + 1, out)  # type: ignore[misc]
            sep = "," + pad
        out.append(_pad(depth) + "}")

    return write_map


def write_message(message: Message, depth: int, out: list[str]) -> None:
    """Append ``message`` as indented JSON, nested ``depth`` levels deep, to ``out``."""
    desc: Any = message.DESCRIPTOR
    leaf = leaf_text(desc)
    if leaf is not None:
        out.append(leaf(message))
    else:
        _writer(desc)(message, depth, out)


def message_json(message: Message) -> str:
    """``json.dumps(MessageToDict(message), indent=2, sort_keys=True, ensure_ascii=False)``."""
    out: list[str] = []
    write_message(message, 0, out)
    return "".join(out)
