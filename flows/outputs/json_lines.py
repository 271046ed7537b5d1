"""JSON lines made from Arrow columns, byte for byte as `json.dumps(record, ensure_ascii=False)` writes each row's
record (keys in order, ", " and ": " between, strings escaped as json's C encoder escapes them, numbers as Python
writes them): each column's values made JSON text once, by column (the strings by a compiled pass over their bytes,
no Python string made), then joined into lines by Arrow; the GIL is let go for nearly all of it."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

# What json.dumps writes for a missing value.
NULL = "null"
# The control characters json gives a short escape, by code (the others are written \u00XX).
_ESCAPE_LETTERS = np.zeros(0x20, dtype=np.uint8)
_ESCAPE_LETTERS[list(b"\b\f\n\r\t")] = list(b"bfnrt")
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


@njit(cache=True, nogil=True)
def _quoted(data, starts, valid, letters, hexdigits):  # pragma: no cover - compiled; tested against json.dumps
    """Each string (`data` from `starts[i]` to `starts[i + 1]`) quoted and escaped as json's encoder writes it with
    ensure_ascii=False (`"` and `\\` escaped, a control character by its short escape or \\u00XX, every other byte as
    it is), `null` where it is not `valid`: the bytes and where each value starts in them."""
    count = len(starts) - 1
    sizes = np.empty(count, dtype=np.int64)
    for row in range(count):
        if not valid[row]:
            sizes[row] = 4
            continue
        size = 2
        for at in range(starts[row], starts[row + 1]):
            byte = data[at]
            if byte == 0x22 or byte == 0x5C:
                size += 2
            elif byte < 0x20:
                size += 2 if letters[byte] else 6
            else:
                size += 1
        sizes[row] = size
    placed = np.zeros(count + 1, dtype=np.int64)
    placed[1:] = np.cumsum(sizes)
    out = np.empty(placed[count], dtype=np.uint8)
    for row in range(count):
        at = placed[row]
        if not valid[row]:
            out[at], out[at + 1], out[at + 2], out[at + 3] = 0x6E, 0x75, 0x6C, 0x6C  # null
            continue
        out[at] = 0x22
        at += 1
        for source in range(starts[row], starts[row + 1]):
            byte = data[source]
            if byte == 0x22 or byte == 0x5C:
                out[at], out[at + 1] = 0x5C, byte
                at += 2
            elif byte < 0x20:
                out[at] = 0x5C
                if letters[byte]:
                    out[at + 1] = letters[byte]
                    at += 2
                else:
                    out[at + 1], out[at + 2], out[at + 3] = 0x75, 0x30, 0x30  # u00
                    out[at + 4], out[at + 5] = hexdigits[byte >> 4], hexdigits[byte & 15]
                    at += 6
            else:
                out[at] = byte
                at += 1
        out[at] = 0x22
    return out, placed


def _strings_json(column: pa.Array) -> pa.Array:
    """A column of strings as JSON text, a value a row (json's escapes; `null` for a null)."""
    column = column.cast(pa.large_string())
    _, offsets, data = column.buffers()
    starts = np.frombuffer(offsets, dtype=np.int64)[column.offset : column.offset + len(column) + 1]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    valid = pc.is_valid(column).to_numpy(zero_copy_only=False)
    out, placed = _quoted(data, starts, valid, _ESCAPE_LETTERS, _HEX)
    return pa.LargeStringArray.from_buffers(len(column), pa.py_buffer(placed), pa.py_buffer(out))


def _float_json(value: float | None) -> str:
    """A float as json.dumps writes it (Python's repr; NaN and Infinity as json spells them)."""
    if value is None:
        return NULL
    return float.__repr__(value) if math.isfinite(value) else json.dumps(value)


def json_values(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each value of a column of strings, integers or floats as json.dumps writes it (`null` for a null)."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return _strings_json(column)
    if pa.types.is_integer(column.type):
        return pc.fill_null(pc.cast(column, pa.large_string()), NULL)
    if pa.types.is_floating(column.type):
        return pa.array(map(_float_json, column.to_pylist()), pa.large_string())
    raise TypeError(f"no JSON text for a column of {column.type}")


def json_objects(fields: Sequence[tuple[str, pa.Array]], end: str = "") -> pa.Array:
    """JSON objects, one a row, of these keys (at least one) in order and their values' JSON text (`json_values`, or
    objects made by this), each followed by `end`."""
    pieces: list[pa.Array | pa.Scalar] = []
    for number, (key, values) in enumerate(fields):
        pieces += [_text(("{" if number == 0 else ", ") + json.dumps(key, ensure_ascii=False) + ": "), values]
    pieces.append(_text("}" + end))
    return pc.binary_join_element_wise(*pieces, _text(""))


def _text(text: str) -> pa.Scalar:
    """A constant piece of JSON text, of the values' type."""
    return pa.scalar(text, pa.large_string())


def line_bytes(lines: pa.Array) -> list[memoryview]:
    """Each value's UTF-8 bytes, as a view of the array's data (nothing copied)."""
    lines = lines.cast(pa.large_string())
    _, offsets, data = lines.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1].tolist()
    view = memoryview(data if data is not None else b"")
    return [view[start:end] for start, end in pairwise(ends)]
