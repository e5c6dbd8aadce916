"""Converting one JSON value for :mod:`replaycheck._protojson`: the ``ConvError`` that collects
the JSON path of a problem, scalars (exact replicas of ``json_format``'s conversions), enums (with
the old tctl PascalCase dialect), Timestamp and Duration, and the ``ParseDict`` fallback for the
other well-known types.
"""

from __future__ import annotations

import binascii
import copy
import datetime
import inspect
import json
import math
import re
from collections.abc import Callable
from typing import Any

from google.protobuf import descriptor_pool, json_format
from google.protobuf.descriptor import EnumDescriptor, FieldDescriptor

# ParseDict's default: the root message is depth 1, a message at depth 101 is an error.
MAX_DEPTH = 100

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

SKIP: Any = object()  # an unknown enum string: leave the field alone (ignore_unknown_fields)


class ConvError(ValueError):
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


def kind_of(value: Any) -> str:
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
        return kind_of(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def wrap(exc: BaseException) -> ConvError:
    """Turn an exception from a conversion or from protobuf into a ConvError."""
    if isinstance(exc, ConvError):
        return exc
    err = ConvError(str(exc) or type(exc).__name__)
    err.__cause__ = exc
    return err


def key_segment(key: Any) -> str:
    return "." + key if isinstance(key, str) else f".{key!r}"


def map_segment(key: Any) -> str:
    try:
        return "[" + json.dumps(key) + "]"
    except (TypeError, ValueError):
        return f"[{key!r}]"


# --- scalars: exact replicas of json_format's _ConvertInteger / _ConvertFloat / ... -----------


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ConvError(f"expected integer, got {kind_of(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ConvError(f"expected integer, got {_short(value)}")
        return int(value)
    if not isinstance(value, str):
        raise ConvError(f"expected integer, got {kind_of(value)}")
    if " " in value:
        raise ConvError(f"invalid integer {_short(value)}")
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        raise ConvError(f"invalid integer {_short(value)}") from None
    if not number.is_integer():
        raise ConvError(f"invalid integer {_short(value)}")
    return int(number)


def to_float(value: Any, float32: bool) -> float:
    if isinstance(value, float):
        if math.isnan(value):
            raise ConvError('NaN must be given as the string "NaN"')
        if math.isinf(value):
            raise ConvError('infinity must be given as the string "Infinity" or "-Infinity"')
        if float32 and not -_FLOAT32_MAX <= value <= _FLOAT32_MAX:
            raise ConvError(f"float value out of range: {value!r}")
    if value == "nan":
        raise ConvError('invalid float "nan", use "NaN"')
    if not isinstance(value, (str, int, float)):  # bools are ints, as in ParseDict
        raise ConvError(f"expected number, got {kind_of(value)}")
    try:
        return float(value)
    except ValueError:
        raise ConvError(f"invalid float {_short(value)}") from None
    except OverflowError:
        raise ConvError(f"number too large: {_short(value)}") from None


def to_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConvError(f"expected true or false, got {kind_of(value)}")
    return value


def to_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ConvError(f"expected string, got {kind_of(value)}")
    if not value.isascii() and _UNPAIRED_SURROGATE.search(value):
        raise ConvError("string contains an unpaired surrogate")
    return value


def to_bytes(value: Any) -> bytes:
    """Standard or URL-safe base64, padding optional: ParseDict's urlsafe_b64decode(v + pad)."""
    if type(value) is str:
        cached = _decoded.get(value)
        if cached is not None:
            return cached
    elif not isinstance(value, str):
        raise ConvError(f"expected base64 string, got {kind_of(value)}")
    try:
        data = value.encode()
        decoded = _a2b_base64((data + _PADDING[len(data) & 3]).translate(_URLSAFE_TO_STD))
    except ValueError as exc:
        raise ConvError(f"invalid base64 {_short(value)}: {exc}") from None
    if len(value) <= 64:  # metadata such as {"encoding": "anNvbi9wbGFpbg=="} repeats a lot
        if len(_decoded) >= _CACHE_SIZE:
            _decoded.clear()
        _decoded[value] = decoded
    return decoded


def map_key_converter(field: FieldDescriptor) -> Callable[[Any], Any]:
    cpp = field.cpp_type
    if cpp == FieldDescriptor.CPPTYPE_STRING:
        return to_str
    if cpp == FieldDescriptor.CPPTYPE_BOOL:

        def to_bool_key(key: Any) -> bool:
            if key == "true":
                return True
            if key == "false":
                return False
            raise ConvError(f'expected map key "true" or "false", got {_short(key)}')

        return to_bool_key
    return to_int


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


def enum_converter(enum: EnumDescriptor) -> Callable[[Any], Any]:
    """Value -> number, or SKIP for an unknown name (ignored like ParseDict does)."""
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
            raise ConvError(f"expected enum name or number, got {kind_of(value)}")
        try:
            number = int(value)
        except ValueError:
            return SKIP  # unknown enum name (or NaN): ignored, as by ParseDict
        except (TypeError, OverflowError):
            raise ConvError(f"invalid enum value {_short(value)}") from None
        # Same lookup as ParseDict; upb truncates numbers to 32 bits here (2**32 + 3 -> 3).
        known = by_number.get(number)
        if known is not None:
            return known.number
        if closed:
            raise ConvError(f"invalid enum value {_short(value)} for {enum.full_name}")
        return number

    return convert


# --- well-known types ----------------------------------------------------------------------------


def set_timestamp(msg: Any, value: Any) -> None:
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
        raise ConvError(f"invalid timestamp {_short(value)}: {exc}") from None


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


def set_duration(msg: Any, value: Any) -> None:
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
        raise ConvError(f"invalid duration {_short(value)}: {exc}") from None


def timestamp_into(value: Any, msg: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ConvError(f"nested more than {MAX_DEPTH} messages deep")
    set_timestamp(msg, value)


def duration_into(value: Any, msg: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ConvError(f"nested more than {MAX_DEPTH} messages deep")
    set_duration(msg, value)


def parse_dict_into(value: Any, msg: Any, depth: int) -> None:
    """Anything unusual: let ParseDict do this subtree (with the remaining nesting budget)."""
    if depth > MAX_DEPTH:
        raise ConvError(f"nested more than {MAX_DEPTH} messages deep")
    # The nesting budget left (older protobuf releases had no limit).
    limit: dict[str, Any] = (
        {"max_recursion_depth": MAX_DEPTH - depth + 1} if _PARSE_DICT_HAS_LIMIT else {}
    )
    try:
        # ParseDict may temporarily modify the dict (Any's "@type"): give it a copy.
        json_format.ParseDict(copy.deepcopy(value), msg, ignore_unknown_fields=True, **limit)
    except Exception as exc:  # ParseDict lets TypeError, AttributeError, ... escape
        raise ConvError(f"{type(exc).__name__}: {exc}") from exc
