"""Fast proto3-JSON -> ``History`` conversion.

``temporalio.client.WorkflowHistory.from_json`` goes through
``google.protobuf.json_format.ParseDict``, which is pure Python and re-derives everything from the
descriptors for every field of every event (~6,000-12,000 events/s). :func:`history_from_dict`
gives an equal message 6-10x faster: for each message type it compiles, once and lazily, a table
``JSON key -> setter`` from the descriptor, each setter a small closure specialised for the field's
kind (string, int64, bytes, enum, nested message, repeated, map, Timestamp, Duration, ...).
Well-known types other than Timestamp and Duration (Any, Struct, Value, ListValue, FieldMask,
wrappers; none occur in histories) are handed to ``ParseDict`` for that subtree.

Semantics are those of ``ParseDict(doc, History(), ignore_unknown_fields=True)``: a key is looked
up as a JSON name, then as a proto field name; ``null`` clears the field (sets ``null_value`` for
``google.protobuf.Value``); of two aliases of one field the later wins (messages merge, lists and
maps are replaced); two members of a oneof are an error; unknown keys and unknown enum *names* are
ignored; integers may be numbers or strings ("1", "1e3", 1.0), floats may be "NaN" / "Infinity",
bytes are standard or URL-safe base64 with or without padding, Timestamps are RFC 3339 with any
precision and offset, Durations "1.5s"; messages nest at most 100 deep. Python's and upb's quirks
are kept too (``int()`` accepts "1_000"; upb maps enum number 2**32 + 3 to 3).

On top of that, the old tctl JSON dialect that temporalio's ``_history_from_json`` fixes up: an
enum string that is not a value name is also tried as the enum's prefix + upper snake case
(``"Normal"`` -> ``TASK_QUEUE_KIND_NORMAL``), with the same conversion as ``_fix_history_enum``.
Deliberate differences from ``_history_from_json`` (all on input it drops or rejects):

* PascalCase is understood in *every* enum field (also repeated ones, snake_case keys, failures
  under ``outcome``, ...), where temporalio's fixed list of paths misses them and drops the value;
  and a numeric string such as ``"5"`` in a field that temporalio rewrites (``"EVENT_TYPE5"``, then
  dropped) is the number 5, as ParseDict itself would read it.
* A string, list or number where an object is expected is an error (ParseDict iterates a string's
  characters as keys and so accepts ``"payloads": ["abc"]`` as an empty payload); keys that look
  like extensions (``"[x.y]"``), which ParseDict rejects, are ignored like any unknown key.
* A document without ``events`` is an error, as in ``_history_from_json``.

Every problem is a ``ValueError`` naming the JSON path, e.g.
``events[3].activityTaskScheduledEventAttributes.activityType: expected object, got list``.
"""

from __future__ import annotations

import binascii
import copy
import datetime
import inspect
import json
import math
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import temporalio.api.history.v1
from google.protobuf import descriptor_pool, json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

__all__ = ["history_from_dict"]

# ParseDict's default: the root message is depth 1, a message at depth 101 is an error.
_MAX_DEPTH = 100

_Setter = Callable[[Any, Any, int], None]  # (message, json value, depth of a child message)
_Into = Callable[[Any, Any, int], None]  # (json value, message, depth of that message)

_UNPAIRED_SURROGATE = re.compile(
    "[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]"
)
_PASCAL_CASE = re.compile("([A-Z]+)")
_URLSAFE_TO_STD = bytes.maketrans(b"-_", b"+/")
_PADDING = (b"====", b"===", b"==", b"=")  # ParseDict always appends 4 - len % 4 of them
_a2b_base64 = binascii.a2b_base64

# Timestamp.FromJsonString accepts more (offsets, 1-digit fields, ...); those take the slow path.
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9]\Z")
_NANOS_SCALE = tuple(10 ** (9 - digits) for digits in range(10))
_DURATION = re.compile(r"(-?)([0-9]+)(?:\.([0-9]{1,9}))?s\Z")
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_DURATION_SECONDS_MAX = 315576000000
_FLOAT32_MAX = float.fromhex("0x1.fffffep+127")
_CACHE_SIZE = 4096
_durations: dict[str, tuple[int, int]] = {}  # "1.5s" -> (seconds, nanos)
_utc_seconds: dict[str, int] = {}  # "YYYY-MM-DDTHH:MM:SS" -> seconds since the epoch
_decoded: dict[str, bytes] = {}  # short base64 strings -> bytes

_PARSE_DICT_HAS_LIMIT = "max_recursion_depth" in inspect.signature(json_format.ParseDict).parameters
_FALLBACK_TYPES = frozenset(
    {
        "google.protobuf.Any",
        "google.protobuf.FieldMask",
        "google.protobuf.ListValue",
        "google.protobuf.Struct",
        "google.protobuf.Value",
    }
)

_M = TypeVar("_M", bound=Message)

_SKIP: Any = object()  # an unknown enum string: leave the field alone (ignore_unknown_fields)


class _ConvError(ValueError):
    """A conversion problem; ``path`` collects JSON path segments, innermost first."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def text(self) -> str:
        path = "".join(reversed(self.path))
        if path.startswith("."):
            path = path[1:]
        return f"{path or '<root>'}: {self.message}"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _short(value: Any) -> str:
    """A short rendering of a bad value for an error message (never a whole subtree)."""
    if not isinstance(value, (str, int, float)):
        return _kind(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _wrap(exc: BaseException) -> _ConvError:
    """Turn an exception from a conversion or from protobuf into a _ConvError."""
    if isinstance(exc, _ConvError):
        return exc
    err = _ConvError(str(exc) or type(exc).__name__)
    err.__cause__ = exc
    return err


def _key_segment(key: Any) -> str:
    return "." + key if isinstance(key, str) else f".{key!r}"


def _map_segment(key: Any) -> str:
    try:
        return "[" + json.dumps(key) + "]"
    except (TypeError, ValueError):
        return f"[{key!r}]"


# --- scalars: exact replicas of json_format's _ConvertInteger / _ConvertFloat / ... -----------


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _ConvError(f"expected integer, got {_kind(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise _ConvError(f"expected integer, got {_short(value)}")
        return int(value)
    if not isinstance(value, str):
        raise _ConvError(f"expected integer, got {_kind(value)}")
    if " " in value:
        raise _ConvError(f"invalid integer {_short(value)}")
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        raise _ConvError(f"invalid integer {_short(value)}") from None
    if not number.is_integer():
        raise _ConvError(f"invalid integer {_short(value)}")
    return int(number)


def _to_float(value: Any, float32: bool) -> float:
    if isinstance(value, float):
        if math.isnan(value):
            raise _ConvError('NaN must be given as the string "NaN"')
        if math.isinf(value):
            raise _ConvError('infinity must be given as the string "Infinity" or "-Infinity"')
        if float32 and not -_FLOAT32_MAX <= value <= _FLOAT32_MAX:
            raise _ConvError(f"float value out of range: {value!r}")
    if value == "nan":
        raise _ConvError('invalid float "nan", use "NaN"')
    if not isinstance(value, (str, int, float)):  # bools are ints, as in ParseDict
        raise _ConvError(f"expected number, got {_kind(value)}")
    try:
        return float(value)
    except ValueError:
        raise _ConvError(f"invalid float {_short(value)}") from None
    except OverflowError:
        raise _ConvError(f"number too large: {_short(value)}") from None


def _to_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _ConvError(f"expected true or false, got {_kind(value)}")
    return value


def _to_str(value: Any) -> str:
    if not isinstance(value, str):
        raise _ConvError(f"expected string, got {_kind(value)}")
    if not value.isascii() and _UNPAIRED_SURROGATE.search(value):
        raise _ConvError("string contains an unpaired surrogate")
    return value


def _to_bytes(value: Any) -> bytes:
    """Standard or URL-safe base64, padding optional: ParseDict's urlsafe_b64decode(v + pad)."""
    if type(value) is str:
        cached = _decoded.get(value)
        if cached is not None:
            return cached
    elif not isinstance(value, str):
        raise _ConvError(f"expected base64 string, got {_kind(value)}")
    try:
        data = value.encode()
        decoded = _a2b_base64((data + _PADDING[len(data) & 3]).translate(_URLSAFE_TO_STD))
    except ValueError as exc:
        raise _ConvError(f"invalid base64 {_short(value)}: {exc}") from None
    if len(value) <= 64:  # metadata such as {"encoding": "anNvbi9wbGFpbg=="} repeats a lot
        if len(_decoded) >= _CACHE_SIZE:
            _decoded.clear()
        _decoded[value] = decoded
    return decoded


def _map_key_converter(field: FieldDescriptor) -> Callable[[Any], Any]:
    cpp = field.cpp_type
    if cpp == FieldDescriptor.CPPTYPE_STRING:
        return _to_str
    if cpp == FieldDescriptor.CPPTYPE_BOOL:

        def to_bool_key(key: Any) -> bool:
            if key == "true":
                return True
            if key == "false":
                return False
            raise _ConvError(f'expected map key "true" or "false", got {_short(key)}')

        return to_bool_key
    return _to_int


# --- enums -------------------------------------------------------------------------------------


def _upper_snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).upper()


def _custom_enum_names(enum: EnumDescriptor) -> dict[str, int]:
    """Names given by the ``pb.enumvalue.json`` option, which ParseDict also accepts."""
    try:
        ext: Any = descriptor_pool.Default().FindExtensionByName("pb.enumvalue.json")
    except KeyError:
        return {}
    names: dict[str, int] = {}
    for value in enum.values:
        options: Any = value.GetOptions()
        if options.HasExtension(ext) and options.Extensions[ext].HasField("string"):
            names[options.Extensions[ext].string] = value.number
    return names


def _enum_converter(enum: EnumDescriptor) -> Callable[[Any], Any]:
    """Value -> number, or _SKIP for an unknown name (ignored like ParseDict does)."""
    names: dict[str, int] = {v.name: v.number for v in enum.values}
    for name, number in _custom_enum_names(enum).items():
        names.setdefault(name, number)
    by_number: Any = enum.values_by_number
    closed = bool(getattr(enum, "is_closed", False))
    # Old tctl dialect: "WorkflowExecutionStarted" for EVENT_TYPE_WORKFLOW_EXECUTION_STARTED. Same
    # rewrite as temporalio's _fix_history_enum, for every enum that follows the naming convention.
    prefix = _upper_snake(enum.name)
    if not all(v.name.startswith(prefix + "_") for v in enum.values):
        prefix = ""
    lookup = names.get
    max_names = len(names) + 256

    def convert(value: Any) -> Any:
        if type(value) is str:
            number = lookup(value)
            if number is not None:
                return number
            if prefix and not value.startswith(prefix):
                number = lookup(prefix + _PASCAL_CASE.sub(r"_\1", value).upper())
                if number is not None:
                    if len(names) < max_names:
                        names[value] = number  # cannot shadow: it lacks the prefix
                    return number
        elif isinstance(value, (dict, list, tuple)) or value is None:
            raise _ConvError(f"expected enum name or number, got {_kind(value)}")
        try:
            number = int(value)
        except ValueError:
            return _SKIP  # unknown enum name (or NaN): ignored, as by ParseDict
        except (TypeError, OverflowError):
            raise _ConvError(f"invalid enum value {_short(value)}") from None
        # Same lookup as ParseDict; upb truncates numbers to 32 bits here (2**32 + 3 -> 3).
        known = by_number.get(number)
        if known is not None:
            return known.number
        if closed:
            raise _ConvError(f"invalid enum value {_short(value)} for {enum.full_name}")
        return number

    return convert


# --- well-known types ----------------------------------------------------------------------------


def _set_timestamp(msg: Any, value: Any) -> None:
    """Equivalent of Timestamp.FromJsonString, fast for the canonical UTC forms
    ``YYYY-MM-DDTHH:MM:SSZ`` and ``YYYY-MM-DDTHH:MM:SS.fffZ`` (1 to 9 fractional digits)."""
    if type(value) is str:
        # Events come in bursts: cache the seconds of each (validated) YYYY-MM-DDTHH:MM:SS.
        seconds = _utc_seconds.get(value[:19])
        if seconds is None:
            seconds = _utc_start(value[:19])
        if seconds is not None:
            size = len(value)
            if size == 20:
                if value[19] == "Z":
                    msg.seconds = seconds
                    msg.nanos = 0
                    return
            elif 21 < size <= 30 and value[19] == "." and value[-1] == "Z":
                frac = value[20:-1]
                if frac.isdigit() and frac.isascii():
                    msg.seconds = seconds
                    msg.nanos = int(frac) * _NANOS_SCALE[size - 21]
                    return
    try:
        msg.FromJsonString(value)  # offsets, unusual spellings, and the errors
    except (ValueError, OverflowError) as exc:
        raise _ConvError(f"invalid timestamp {_short(value)}: {exc}") from None


def _utc_start(text: str) -> int | None:
    """Seconds since the epoch of a valid ``YYYY-MM-DDTHH:MM:SS``, else None."""
    if _DATE_TIME.match(text) is None:
        return None
    try:
        start = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None  # e.g. month 13: let FromJsonString report it
    days = start.toordinal() - _EPOCH_ORDINAL
    seconds = days * 86400 + start.hour * 3600 + start.minute * 60 + start.second
    if len(_utc_seconds) >= _CACHE_SIZE:
        _utc_seconds.clear()
    _utc_seconds[text] = seconds
    return seconds


def _set_duration(msg: Any, value: Any) -> None:
    """Equivalent of Duration.FromJsonString, fast for "10s", "-1.5s", ..."""
    cached = _durations.get(value) if type(value) is str else None
    if cached is None and type(value) is str:
        m = _DURATION.match(value)
        if m is not None:
            sign, whole, frac = m.groups()
            seconds = int(whole)
            if seconds <= _DURATION_SECONDS_MAX:
                nanos = int(frac.ljust(9, "0")) if frac else 0
                cached = (-seconds, -nanos) if sign else (seconds, nanos)
                if len(_durations) >= _CACHE_SIZE:
                    _durations.clear()
                _durations[value] = cached
    if cached is not None:
        msg.seconds, msg.nanos = cached
        return
    try:
        msg.FromJsonString(value)
    except (ValueError, OverflowError) as exc:
        raise _ConvError(f"invalid duration {_short(value)}: {exc}") from None


def _timestamp_into(value: Any, msg: Any, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise _ConvError(f"nested more than {_MAX_DEPTH} messages deep")
    _set_timestamp(msg, value)


def _duration_into(value: Any, msg: Any, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise _ConvError(f"nested more than {_MAX_DEPTH} messages deep")
    _set_duration(msg, value)


def _parse_dict_into(value: Any, msg: Any, depth: int) -> None:
    """Anything unusual: let ParseDict do this subtree (with the remaining nesting budget)."""
    if depth > _MAX_DEPTH:
        raise _ConvError(f"nested more than {_MAX_DEPTH} messages deep")
    # The nesting budget left (older protobuf releases had no limit).
    limit: dict[str, Any] = (
        {"max_recursion_depth": _MAX_DEPTH - depth + 1} if _PARSE_DICT_HAS_LIMIT else {}
    )
    try:
        # ParseDict may temporarily modify the dict (Any's "@type"): give it a copy.
        json_format.ParseDict(copy.deepcopy(value), msg, ignore_unknown_fields=True, **limit)
    except Exception as exc:  # ParseDict lets TypeError, AttributeError, ... escape
        raise _ConvError(f"{type(exc).__name__}: {exc}") from exc


# --- message compilation -------------------------------------------------------------------------

_compiled: dict[Descriptor, _Into] = {}
_compiling: dict[Descriptor, _Into] = {}
_compile_lock = threading.RLock()


def _into_for(desc: Descriptor) -> _Into:
    into = _compiled.get(desc)
    if into is not None:
        return into
    with _compile_lock:
        into = _compiled.get(desc) or _compiling.get(desc)
        if into is not None:
            return into
        outermost = not _compiling
        try:
            into = _compile(desc)
            if outermost:
                _compiled.update(_compiling)
        finally:
            if outermost:
                _compiling.clear()
        return into


def _message_type(field: FieldDescriptor) -> Descriptor:
    desc = field.message_type
    if desc is None:  # pragma: no cover - only called for message fields
        raise TypeError(f"{field.full_name} is not a message field")
    return desc


def _enum_type(field: FieldDescriptor) -> EnumDescriptor:
    enum = field.enum_type
    if enum is None:  # pragma: no cover - only called for enum fields
        raise TypeError(f"{field.full_name} is not an enum field")
    return enum


def is_repeated(field: FieldDescriptor) -> bool:
    """Whether ``field`` is repeated: ``is_repeated`` from protobuf 6.31 (7 has no ``label``),
    its label before."""
    repeated = getattr(field, "is_repeated", None)
    if repeated is None:
        return bool(getattr(field, "label") == FieldDescriptor.LABEL_REPEATED)  # noqa: B009
    return bool(repeated)


def _is_map(field: FieldDescriptor) -> bool:
    msg = field.message_type
    return (
        field.type == FieldDescriptor.TYPE_MESSAGE
        and msg is not None
        and msg.has_options
        and msg.GetOptions().map_entry
    )


def _compile(desc: Descriptor) -> _Into:
    full_name = desc.full_name
    if full_name == "google.protobuf.Timestamp":
        _compiling[desc] = _timestamp_into
        return _timestamp_into
    if full_name == "google.protobuf.Duration":
        _compiling[desc] = _duration_into
        return _duration_into
    if (
        full_name in _FALLBACK_TYPES
        or desc.file.name == "google/protobuf/wrappers.proto"
        or desc.is_extendable
    ):
        _compiling[desc] = _parse_dict_into
        return _parse_dict_into

    setters: dict[Any, _Setter] = {}
    get = setters.get
    oneof_of: dict[str, str] = {}  # JSON key -> name of its oneof (including synthetic ones)
    for field in desc.fields:
        if field.containing_oneof is not None:
            oneof_of[field.name] = oneof_of[field.json_name] = field.containing_oneof.name
    oneof_keys = frozenset(oneof_of)

    def check_oneofs(js: dict[Any, Any]) -> None:
        """ParseDict rejects two non-null fields of one oneof in the same object."""
        seen: dict[str, Any] = {}
        for key, value in js.items():
            if value is not None and key in oneof_keys:
                oneof = oneof_of[key]
                if oneof in seen:
                    err = _ConvError(f"{seen[oneof]!r} and {key!r} are both set (oneof {oneof})")
                    err.path.append(_key_segment(key))
                    raise err
                seen[oneof] = key

    def into(js: Any, msg: Any, depth: int) -> None:
        if not isinstance(js, dict):
            raise _ConvError(f"expected object, got {_kind(js)}")
        if depth > _MAX_DEPTH:
            raise _ConvError(f"nested more than {_MAX_DEPTH} messages deep")
        if oneof_keys and len(oneof_keys.intersection(js)) > 1:
            check_oneofs(js)
        child = depth + 1
        for key, value in js.items():
            setter = get(key)
            if setter is None:
                continue  # unknown field
            try:
                setter(msg, value, child)
            except _ConvError as exc:
                exc.path.append(_key_segment(key))
                raise
            except (ValueError, TypeError, OverflowError) as exc:
                err = _wrap(exc)
                err.path.append(_key_segment(key))
                raise err from exc

    _compiling[desc] = into
    # Proto names first, so that JSON names win where the two collide (ParseDict's lookup order).
    for field in desc.fields:
        setters[field.name] = _setter_for(field)
    for field in desc.fields:
        setters[field.json_name] = setters[field.name]
    return into


def _scalar_converter(field: FieldDescriptor) -> Callable[[Any], Any]:
    cpp = field.cpp_type
    if cpp == FieldDescriptor.CPPTYPE_ENUM:
        return _enum_converter(_enum_type(field))
    if cpp in (
        FieldDescriptor.CPPTYPE_INT32,
        FieldDescriptor.CPPTYPE_INT64,
        FieldDescriptor.CPPTYPE_UINT32,
        FieldDescriptor.CPPTYPE_UINT64,
    ):
        return _to_int
    if cpp in (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT):
        float32 = cpp == FieldDescriptor.CPPTYPE_FLOAT
        return lambda value: _to_float(value, float32)
    if cpp == FieldDescriptor.CPPTYPE_BOOL:
        return _to_bool
    if field.type == FieldDescriptor.TYPE_BYTES:
        return _to_bytes
    return _to_str


def _setter_for(field: FieldDescriptor) -> _Setter:
    if _is_map(field):
        return _map_setter(field)
    if is_repeated(field):
        if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
            return _repeated_message_setter(field)
        return _repeated_scalar_setter(field)
    if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
        return _message_setter(field)
    return _scalar_setter(field)


def _null_setter(field: FieldDescriptor) -> Callable[[Any], None]:
    """What ParseDict does for ``"field": null``."""
    name = field.name
    if field.enum_type is not None and field.enum_type.full_name == "google.protobuf.NullValue":

        def set_null(msg: Any) -> None:
            setattr(msg, name, 0)

        return set_null

    def clear(msg: Any) -> None:
        msg.ClearField(name)

    return clear


def _scalar_setter(field: FieldDescriptor) -> _Setter:
    name = field.name
    clear = _null_setter(field)
    cpp = field.cpp_type

    if cpp == FieldDescriptor.CPPTYPE_STRING and field.type != FieldDescriptor.TYPE_BYTES:

        def set_str(msg: Any, value: Any, depth: int) -> None:
            if type(value) is str and value.isascii():
                setattr(msg, name, value)
            elif value is None:
                clear(msg)
            else:
                setattr(msg, name, _to_str(value))

        return set_str

    if cpp in (FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64) or cpp in (
        FieldDescriptor.CPPTYPE_INT32,
        FieldDescriptor.CPPTYPE_UINT32,
    ):

        def set_int(msg: Any, value: Any, depth: int) -> None:
            kind = type(value)
            if kind is int:
                setattr(msg, name, value)
            elif kind is str and " " not in value:
                try:
                    number = int(value)
                except ValueError:
                    number = _to_int(value)
                setattr(msg, name, number)
            elif value is None:
                clear(msg)
            else:
                setattr(msg, name, _to_int(value))

        return set_int

    if field.type == FieldDescriptor.TYPE_BYTES:

        def set_bytes(msg: Any, value: Any, depth: int) -> None:
            if value is None:
                clear(msg)
            else:
                setattr(msg, name, _to_bytes(value))

        return set_bytes

    if cpp == FieldDescriptor.CPPTYPE_ENUM:
        convert_enum = _enum_converter(_enum_type(field))

        def set_enum(msg: Any, value: Any, depth: int) -> None:
            if value is None:
                clear(msg)
                return
            number = convert_enum(value)
            if number is not _SKIP:
                setattr(msg, name, number)

        return set_enum

    convert = _scalar_converter(field)

    def set_scalar(msg: Any, value: Any, depth: int) -> None:
        if value is None:
            clear(msg)
        else:
            setattr(msg, name, convert(value))

    return set_scalar


def _message_setter(field: FieldDescriptor) -> _Setter:
    name = field.name
    sub_type = _message_type(field)
    sub_name = sub_type.full_name

    if sub_name == "google.protobuf.Timestamp" or sub_name == "google.protobuf.Duration":
        set_wkt = _set_timestamp if sub_name == "google.protobuf.Timestamp" else _set_duration

        def set_time(msg: Any, value: Any, depth: int) -> None:
            if value is None:
                msg.ClearField(name)
                return
            if depth > _MAX_DEPTH:
                raise _ConvError(f"nested more than {_MAX_DEPTH} messages deep")
            set_wkt(getattr(msg, name), value)  # setting seconds marks it present

        return set_time

    sub_into = _into_for(sub_type)
    null_is_value = sub_name == "google.protobuf.Value"

    def set_message(msg: Any, value: Any, depth: int) -> None:
        if value is None:
            if null_is_value:
                getattr(msg, name).null_value = 0
            else:
                msg.ClearField(name)
            return
        sub = getattr(msg, name)
        sub.SetInParent()
        sub_into(value, sub, depth)

    return set_message


def _fresh_list(msg: Any, name: str, value: Any) -> Any:
    """The emptied repeated field ``name`` of ``msg`` to fill from ``value``; ``None`` when
    ``value`` is JSON null (the field is cleared, as ``ParseDict`` does)."""
    if value is None:
        msg.ClearField(name)
        return None
    if not isinstance(value, (list, tuple)):
        raise _ConvError(f"expected list, got {_kind(value)}")
    container = getattr(msg, name)
    if container:
        del container[:]
    return container


def _repeated_message_setter(field: FieldDescriptor) -> _Setter:
    name = field.name
    sub_type = _message_type(field)
    sub_into = _into_for(sub_type)
    null_is_value = sub_type.full_name == "google.protobuf.Value"

    def set_repeated(msg: Any, value: Any, depth: int) -> None:
        container = _fresh_list(msg, name, value)
        if container is None:
            return
        add = container.add
        for index, item in enumerate(value):
            try:
                if item is None and not null_is_value:
                    raise _ConvError("null is not allowed in a list")
                sub_into(item, add(), depth)
            except _ConvError as exc:
                exc.path.append(f"[{index}]")
                raise

    return set_repeated


def _repeated_scalar_setter(field: FieldDescriptor) -> _Setter:
    name = field.name
    convert = _scalar_converter(field)

    def set_repeated(msg: Any, value: Any, depth: int) -> None:
        container = _fresh_list(msg, name, value)
        if container is None:
            return
        for index, item in enumerate(value):
            try:
                if item is None:
                    raise _ConvError("null is not allowed in a list")
                converted = convert(item)
                if converted is not _SKIP:
                    container.append(converted)
            except _ConvError as exc:
                exc.path.append(f"[{index}]")
                raise
            except (ValueError, TypeError, OverflowError) as exc:
                err = _wrap(exc)
                err.path.append(f"[{index}]")
                raise err from exc

    return set_repeated


def _fresh_map(msg: Any, name: str, value: Any) -> Any:
    """The emptied map field ``name`` of ``msg`` to fill from ``value``; ``None`` when ``value``
    is JSON null (the field is cleared, as ``ParseDict`` does)."""
    if value is None:
        msg.ClearField(name)
        return None
    if not isinstance(value, dict):
        raise _ConvError(f"expected object, got {_kind(value)}")
    container = getattr(msg, name)
    if container:
        container.clear()
    return container


def _map_setter(field: FieldDescriptor) -> _Setter:
    name = field.name
    entry = _message_type(field)
    key_field = entry.fields_by_name["key"]
    value_field = entry.fields_by_name["value"]
    convert_key = _map_key_converter(key_field)
    string_keys = key_field.cpp_type == FieldDescriptor.CPPTYPE_STRING

    if value_field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
        value_into = _into_for(_message_type(value_field))

        def set_message_map(msg: Any, value: Any, depth: int) -> None:
            container = _fresh_map(msg, name, value)
            if container is None:
                return
            for key, item in value.items():
                try:
                    if string_keys and type(key) is str and key.isascii():
                        sub = container[key]
                    else:
                        sub = container[convert_key(key)]
                    value_into(item, sub, depth)
                except _ConvError as exc:
                    exc.path.append(_map_segment(key))
                    raise
                except (ValueError, TypeError, OverflowError) as exc:
                    err = _wrap(exc)
                    err.path.append(_map_segment(key))
                    raise err from exc

        return set_message_map

    convert_value = _scalar_converter(value_field)

    def set_scalar_map(msg: Any, value: Any, depth: int) -> None:
        container = _fresh_map(msg, name, value)
        if container is None:
            return
        for key, item in value.items():
            try:
                if string_keys and type(key) is str and key.isascii():
                    converted_key = key
                else:
                    converted_key = convert_key(key)
                converted = convert_value(item)
                if converted is not _SKIP:
                    container[converted_key] = converted
            except _ConvError as exc:
                exc.path.append(_map_segment(key))
                raise
            except (ValueError, TypeError, OverflowError) as exc:
                err = _wrap(exc)
                err.path.append(_map_segment(key))
                raise err from exc

    return set_scalar_map


# --- entry point ---------------------------------------------------------------------------------


def history_from_dict(doc: dict[str, Any]) -> temporalio.api.history.v1.History:
    """Convert a JSON-decoded history (``json.loads`` of ``temporal workflow show -o json``, of
    ``WorkflowHistory.to_json()`` or of the old tctl dialect) into a ``History`` message.

    Equal to what ``temporalio.client.WorkflowHistory.from_json`` parses (that is, to
    ``temporalio.client._helpers._history_from_json(doc)``), only faster. ``doc`` is not modified.
    Raises ``ValueError``, naming the JSON path of the problem, on invalid input.
    """
    if not isinstance(doc, dict):
        raise ValueError(f"<root>: expected object, got {_kind(doc)}")
    if doc.get("events") is None:
        raise ValueError("events: missing (a history is an object with a list of events)")
    return _message_from_dict(doc, temporalio.api.history.v1.History())


def _message_from_dict(doc: Any, message: _M) -> _M:
    """The generic converter: ``json_format.ParseDict(doc, message, ignore_unknown_fields=True)``
    for any message type (merging into ``message``), with the differences described above."""
    try:
        desc: Any = message.DESCRIPTOR
        _into_for(desc)(doc, message, 1)
    except _ConvError as exc:
        raise ValueError(exc.text()) from exc.__cause__
    return message
