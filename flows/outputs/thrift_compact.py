"""Thrift's compact protocol, in which Parquet writes its footer: a struct read into its fields, in order, and written
back byte for byte as Apache Thrift's C++ writer (pyarrow's) writes it, so a footer's fields can be changed (a column
chunk's offsets moved) and the footer written again (flows/outputs/column_carry.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The compact protocol's types (a bool field's value is its type; a map, which no Parquet footer holds, is refused).
TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(1, 13)
_INTEGERS = (I16, I32, I64)
_LONGEST_SHORT_LIST = 14


@dataclass
class Field:
    """A struct's field: its id, its compact type and its value (an int, bytes, a bool, a ThriftList or a list of
    Fields for a struct)."""

    id: int
    type: int
    value: Any


@dataclass
class ThriftList:
    """A list (or set): its elements' compact type and its elements."""

    element: int
    values: list[Any]


def read_struct(data: bytes | memoryview, position: int = 0) -> tuple[list[Field], int]:
    """The struct at `position` of `data` as its fields in order, and the position after it."""
    fields: list[Field] = []
    last = 0
    while True:
        header = data[position]
        position += 1
        if header == 0:
            return fields, position
        delta, kind = header >> 4, header & 15
        if delta:
            last += delta
        else:
            number, position = _read_varint(data, position)
            last = _unzigzag(number)
        value, position = _read_value(data, position, kind)
        fields.append(Field(last, kind, value))


def write_struct(fields: list[Field]) -> bytes:
    """A struct's fields in Thrift's compact bytes, as its C++ writer writes them."""
    out = bytearray()
    _write_struct(out, fields)
    return bytes(out)


def value_of(fields: list[Field], number: int, default: Any = None) -> Any:
    """The value of the field of this id, or `default` when the struct has none."""
    return next((field.value for field in fields if field.id == number), default)


def with_value(fields: list[Field], number: int, value: Any) -> list[Field]:
    """The struct with the value of its field of this id replaced (KeyError when it has no such field)."""
    if not any(field.id == number for field in fields):
        raise KeyError(number)
    return [Field(field.id, field.type, value) if field.id == number else field for field in fields]


def _read_varint(data: bytes | memoryview, position: int) -> tuple[int, int]:
    number = shift = 0
    while True:
        byte = data[position]
        position += 1
        number |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return number, position


def _unzigzag(number: int) -> int:
    return (number >> 1) ^ -(number & 1)


def _read_value(data: bytes | memoryview, position: int, kind: int) -> tuple[Any, int]:
    if kind in (TRUE, FALSE):
        return kind == TRUE, position
    if kind == BYTE:
        return data[position], position + 1
    if kind in _INTEGERS:
        number, position = _read_varint(data, position)
        return _unzigzag(number), position
    if kind == DOUBLE:
        return bytes(data[position : position + 8]), position + 8
    if kind == BINARY:
        length, position = _read_varint(data, position)
        return bytes(data[position : position + length]), position + length
    if kind in (LIST, SET):
        header = data[position]
        position += 1
        size, element = header >> 4, header & 15
        if size == 15:
            size, position = _read_varint(data, position)
        values = []
        for _ in range(size):
            if element in (TRUE, FALSE):  # a list's bool is a byte of its own
                value, position = data[position], position + 1
            else:
                value, position = _read_value(data, position, element)
            values.append(value)
        return ThriftList(element, values), position
    if kind == STRUCT:
        return read_struct(data, position)
    raise ValueError(f"thrift compact type {kind} is not read here")


def _write_varint(out: bytearray, number: int) -> None:
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)


def _write_zigzag(out: bytearray, number: int) -> None:
    _write_varint(out, (number << 1) ^ (number >> 63))


def _write_struct(out: bytearray, fields: list[Field]) -> None:
    last = 0
    for field in fields:
        kind = (TRUE if field.value else FALSE) if field.type in (TRUE, FALSE) else field.type
        if 0 < field.id - last <= 15:
            out.append((field.id - last) << 4 | kind)
        else:
            out.append(kind)
            _write_zigzag(out, field.id)
        last = field.id
        if field.type not in (TRUE, FALSE):
            _write_value(out, field.type, field.value)
    out.append(0)


def _write_value(out: bytearray, kind: int, value: Any) -> None:
    if kind == BYTE:
        out.append(value)
    elif kind in _INTEGERS:
        _write_zigzag(out, value)
    elif kind == DOUBLE:
        out += value
    elif kind == BINARY:
        _write_varint(out, len(value))
        out += value
    elif kind in (LIST, SET):
        size = len(value.values)
        if size <= _LONGEST_SHORT_LIST:
            out.append(size << 4 | value.element)
        else:
            out.append(0xF0 | value.element)
            _write_varint(out, size)
        for element in value.values:
            if value.element in (TRUE, FALSE):
                out.append(element)
            else:
                _write_value(out, value.element, element)
    elif kind == STRUCT:
        _write_struct(out, value)
    else:
        raise ValueError(f"thrift compact type {kind} is not written here")
