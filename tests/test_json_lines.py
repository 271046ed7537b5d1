"""JSON lines made by column are byte for byte json.dumps's of each row's record."""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pytest

from flows.outputs.json_lines import json_objects, json_values, line_bytes

# Strings json.dumps escapes in every way it has (short escapes, \u00XX for the other control characters, quotes and
# backslashes next to each other, what looks like an escape already) and characters of one to four UTF-8 bytes it
# leaves as they are.
AWKWARD = [
    'a "quoted" \\ back\\slash\n\r\t\b\f',
    "".join(map(chr, range(0x20))) + "\x7f",
    '\\u0041 \\" "text": null',
    "caf\u00e9 \u2028 \U0001f600 \u00a0 \u4e2d",
    "",
    None,
    "plain",
]
FLOATS = [0.1, 1.0, 0.0, -0.0, 1e-7, 1e22, 0.3333, 123456789.125, math.nan, math.inf, -math.inf, None]
INTEGERS = [0, -1, 2**63 - 1, -(2**63), 42, None]


def texts(array: pa.Array) -> list[str]:
    return [bytes(line).decode() for line in line_bytes(array)]


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_each_string_is_what_json_dumps_writes_of_it(kind):
    column = pa.array(AWKWARD, kind)
    expected = [json.dumps(value, ensure_ascii=False) for value in AWKWARD]
    assert texts(json_values(column)) == expected
    assert texts(json_values(column.slice(2, 3))) == expected[2:5]
    chunked = pa.chunked_array([column.slice(0, 3), column.slice(3)])
    assert texts(json_values(chunked)) == expected
    assert texts(json_values(pa.array([None, None], kind))) == ["null", "null"]
    assert texts(json_values(pa.array([], kind))) == []


def test_each_number_is_what_json_dumps_writes_of_it():
    for values, kind in ((INTEGERS, pa.int64()), (INTEGERS[:2] + [None], pa.int32()), (FLOATS, pa.float64())):
        assert texts(json_values(pa.array(values, kind))) == [json.dumps(value) for value in values]
    assert texts(json_values(pa.array([0.1, 2.5, None], pa.float32()))) == [
        json.dumps(value) for value in pa.array([0.1, 2.5, None], pa.float32()).to_pylist()
    ]
    with pytest.raises(TypeError, match="no JSON text"):
        json_values(pa.array([True]))


def test_objects_are_what_json_dumps_writes_of_each_rows_record():
    rows = [
        {"id": f"d{n}", "text": text, "inner": {"n": n, "share": FLOATS[n], 'k"ey\n': AWKWARD[-n]}}
        for n, text in enumerate(AWKWARD)
    ]
    table = pa.Table.from_pylist(rows)
    inner = table["inner"].combine_chunks().flatten()
    nested = json_objects([(name, json_values(column)) for name, column in zip(table["inner"].type.names, inner)])
    lines = json_objects(
        [("id", json_values(table["id"])), ("text", json_values(table["text"])), ("inner", nested)], "\n"
    )
    assert texts(lines) == [json.dumps(row, ensure_ascii=False) + "\n" for row in rows]
    assert (
        b"".join(line_bytes(lines.slice(1, 2)))
        == "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows[1:3]).encode()
    )
