"""The JSON text of one protobuf value, as ``MessageToDict`` and ``json.dumps`` write it: the
scalars (each field's writer chosen once, from its descriptor) and the well-known types written
as one value (Timestamp, Duration), for :mod:`replaycheck._protojson_dump`."""

from __future__ import annotations

import binascii
import datetime
import json
import math
from collections.abc import Callable
from typing import Any

from google.protobuf import descriptor_pool, json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.internal import type_checkers

Text = Callable[[Any], str]
"""A scalar (or leaf message) value -> its JSON text."""

encode_str: Callable[[str], str] = json.encoder.encode_basestring
_b2a = binascii.b2a_base64
_FD = FieldDescriptor
_INT64 = frozenset({_FD.CPPTYPE_INT64, _FD.CPPTYPE_UINT64})
_EPOCH = datetime.datetime(1970, 1, 1)
_CACHE_SIZE = 4096
"""Seconds whose date text is remembered."""


# --- scalars --------------------------------------------------------------------------------------


def _int64_text(value: int) -> str:
    return f'"{value}"'


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _bytes_text(value: bytes) -> str:
    return '"' + _b2a(value, newline=False).decode("ascii") + '"'


def _float_text(value: float, float32: bool) -> str:
    if math.isinf(value):
        return '"-Infinity"' if value < 0 else '"Infinity"'
    if math.isnan(value):
        return '"NaN"'
    return repr(type_checkers.ToShortestFloat(value) if float32 else value)


def _custom_enum_names(enum: EnumDescriptor) -> dict[int, str]:
    """JSON names given with the ``pb.enumvalue.json`` option, which MessageToDict prints."""
    try:
        ext: Any = descriptor_pool.Default().FindExtensionByName("pb.enumvalue.json")
    except KeyError:
        return {}
    names: dict[int, str] = {}
    for value in enum.values:
        options: Any = value.GetOptions()
        if options.HasExtension(ext) and options.Extensions[ext].HasField("string"):
            names.setdefault(value.number, options.Extensions[ext].string)
    return names


def _enum_text(enum: EnumDescriptor) -> Text:
    if enum.full_name == "google.protobuf.NullValue":
        return lambda value: "null"
    texts = {number: encode_str(value.name) for number, value in enum.values_by_number.items()}
    texts.update({n: encode_str(name) for n, name in _custom_enum_names(enum).items()})
    closed = bool(getattr(enum, "is_closed", False))

    def text(value: int) -> str:
        known = texts.get(value)
        if known is not None:
            return known
        if closed:
            raise json_format.SerializeToJsonError(
                "Enum field contains an integer value which can not mapped to an enum value."
            )
        return str(value)

    return text


def scalar_text(field: FieldDescriptor) -> Text:
    cpp = field.cpp_type
    if cpp == _FD.CPPTYPE_STRING:
        return _bytes_text if field.type == _FD.TYPE_BYTES else encode_str
    if cpp == _FD.CPPTYPE_BOOL:
        return _bool_text
    if cpp in _INT64:
        return _int64_text
    if cpp == _FD.CPPTYPE_ENUM:
        assert field.enum_type is not None
        return _enum_text(field.enum_type)
    if cpp == _FD.CPPTYPE_FLOAT:
        return lambda value: _float_text(value, True)
    if cpp == _FD.CPPTYPE_DOUBLE:
        return lambda value: _float_text(value, False)
    return int.__repr__  # int32, uint32 and their fixed/signed variants


# --- well-known types -----------------------------------------------------------------------------

_second_texts: dict[int, str] = {}


def _timestamp_text(msg: Any) -> str:
    """``Timestamp.ToJsonString`` (quoted), with the date part cached per second."""
    seconds, nanos = msg.seconds, msg.nanos
    base = _second_texts.get(seconds)
    if base is None:
        if not (-62135596800 <= seconds <= 253402300799 and 0 <= nanos < 1_000_000_000):
            return encode_str(msg.ToJsonString())  # raises ValueError as MessageToDict does
        day_seconds = seconds % 86400
        moment = _EPOCH + datetime.timedelta((seconds - day_seconds) // 86400, day_seconds)
        base = '"' + moment.isoformat()
        if len(_second_texts) >= _CACHE_SIZE:
            _second_texts.clear()
        _second_texts[seconds] = base
    return base + _fraction(nanos) + 'Z"'


def _fraction(nanos: int) -> str:
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return f".{nanos // 1_000_000:03d}"
    if nanos % 1000 == 0:
        return f".{nanos // 1000:06d}"
    return f".{nanos:09d}"


def _duration_text(msg: Any) -> str:
    """``Duration.ToJsonString`` (quoted)."""
    seconds, nanos = msg.seconds, msg.nanos
    if 0 <= seconds <= 315576000000 and 0 <= nanos < 1_000_000_000:
        return f'"{seconds}{_fraction(nanos)}s"'
    return encode_str(msg.ToJsonString())  # negative or invalid: the library's own rules


def leaf_text(desc: Descriptor) -> Text | None:
    """A text function for message types written as one value, or None for regular ones."""
    if desc.full_name == "google.protobuf.Timestamp":
        return _timestamp_text
    if desc.full_name == "google.protobuf.Duration":
        return _duration_text
    return None
