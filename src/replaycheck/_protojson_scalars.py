"""Setters for the scalar fields of a message, singular and repeated, that
:mod:`replaycheck._protojson` compiles into its per-message tables; each is a small closure
specialised for the field's kind (string, integer, bytes, enum, float, bool)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf.descriptor import EnumDescriptor, FieldDescriptor

from replaycheck._protojson_values import (
    SKIP,
    ConvError,
    enum_converter,
    kind_of,
    to_bool,
    to_bytes,
    to_float,
    to_int,
    to_str,
    wrap,
)

Setter = Callable[[Any, Any, int], None]  # (message, json value, depth of a child message)


def _enum_type(field: FieldDescriptor) -> EnumDescriptor:
    enum = field.enum_type
    if enum is None:  # pragma: no cover - only called for enum fields
        raise TypeError(f"{field.full_name} is not an enum field")
    return enum


def scalar_converter(field: FieldDescriptor) -> Callable[[Any], Any]:
    cpp = field.cpp_type
    if cpp == FieldDescriptor.CPPTYPE_ENUM:
        return enum_converter(_enum_type(field))
    if cpp in (
        FieldDescriptor.CPPTYPE_INT32,
        FieldDescriptor.CPPTYPE_INT64,
        FieldDescriptor.CPPTYPE_UINT32,
        FieldDescriptor.CPPTYPE_UINT64,
    ):
        return to_int
    if cpp in (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT):
        float32 = cpp == FieldDescriptor.CPPTYPE_FLOAT
        return lambda value: to_float(value, float32)
    if cpp == FieldDescriptor.CPPTYPE_BOOL:
        return to_bool
    if field.type == FieldDescriptor.TYPE_BYTES:
        return to_bytes
    return to_str


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


def scalar_setter(field: FieldDescriptor) -> Setter:
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
                setattr(msg, name, to_str(value))

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
                    number = to_int(value)
                setattr(msg, name, number)
            elif value is None:
                clear(msg)
            else:
                setattr(msg, name, to_int(value))

        return set_int

    if field.type == FieldDescriptor.TYPE_BYTES:

        def set_bytes(msg: Any, value: Any, depth: int) -> None:
            if value is None:
                clear(msg)
            else:
                setattr(msg, name, to_bytes(value))

        return set_bytes

    if cpp == FieldDescriptor.CPPTYPE_ENUM:
        convert_enum = enum_converter(_enum_type(field))

        def set_enum(msg: Any, value: Any, depth: int) -> None:
            if value is None:
                clear(msg)
                return
            number = convert_enum(value)
            if number is not SKIP:
                setattr(msg, name, number)

        return set_enum

    convert = scalar_converter(field)

    def set_scalar(msg: Any, value: Any, depth: int) -> None:
        if value is None:
            clear(msg)
        else:
            setattr(msg, name, convert(value))

    return set_scalar


def fresh_list(msg: Any, name: str, value: Any) -> Any:
    """The emptied repeated field ``name`` of ``msg`` to fill from ``value``; ``None`` when
    ``value`` is JSON null (the field is cleared, as ``ParseDict`` does)."""
    if value is None:
        msg.ClearField(name)
        return None
    if not isinstance(value, (list, tuple)):
        raise ConvError(f"expected list, got {kind_of(value)}")
    container = getattr(msg, name)
    if container:
        del container[:]
    return container


def repeated_scalar_setter(field: FieldDescriptor) -> Setter:
    name = field.name
    convert = scalar_converter(field)

    def set_repeated(msg: Any, value: Any, depth: int) -> None:
        container = fresh_list(msg, name, value)
        if container is None:
            return
        for index, item in enumerate(value):
            try:
                if item is None:
                    raise ConvError("null is not allowed in a list")
                converted = convert(item)
                if converted is not SKIP:
                    container.append(converted)
            except ConvError as exc:
                exc.path.append(f"[{index}]")
                raise
            except (ValueError, TypeError, OverflowError) as exc:
                err = wrap(exc)
                err.path.append(f"[{index}]")
                raise err from exc

    return set_repeated
