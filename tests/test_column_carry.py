"""A Parquet part written with a column's encoded bytes carried from a previous file holding the same values: byte for
byte the file pyarrow writes of the whole table, the footer read and written back as Thrift's C++ writer writes it."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.outputs.column_carry import write_table_carrying
from flows.outputs.files import ROW_GROUP_ROWS, sha256_written, write_table
from flows.outputs.schema import ARTICLES, PARAGRAPHS
from flows.outputs.thrift_compact import read_struct, with_value, write_struct


def texts(count: int, salt: str = "") -> list[str | None]:
    """Texts of many distinct values (past the dictionary's bound, so the writer falls back to plain pages), some
    repeated, some empty, some null, some of multi-byte characters."""
    return [
        None if number % 97 == 5 else "" if number % 89 == 3 else f"{salt}Paragraph {number % 5000} — «{number}» é"
        for number in range(count)
    ]


def tables() -> dict[str, pa.Table]:
    """Tables of the published schemas and of awkward ones: lists around the carried column, nulls, one row."""
    rows = 60_000
    paragraphs = pa.table(
        {
            "doc_id": [f"{number // 7:016x}" for number in range(rows)],
            "para_idx": [number % 7 for number in range(rows)],
            "text": texts(rows),
            "n_words": list(range(rows)),
            "cluster_id": [None if number % 3 else f"{number // 3:016x}-0" for number in range(rows)],
            "is_canonical": [number % 2 == 0 for number in range(rows)],
            "match": [None] * rows,
            "jaccard": [number / rows for number in range(rows)],
            "containment": [None if number % 5 else 0.5 for number in range(rows)],
            "contained_in": [None] * rows,
        }
    ).cast(PARAGRAPHS)
    articles = pa.table(
        {
            name: (
                texts(300, name)
                if field.type == pa.string()
                else [[f"{name}{number}"] * (number % 3) for number in range(300)]
                if pa.types.is_list(field.type)
                else [number % 2 == 0 for number in range(300)]
                if field.type == pa.bool_()
                else list(range(300))
            )
            for name, field in zip(ARTICLES.names, ARTICLES, strict=True)
        }
    ).cast(ARTICLES)
    return {"paragraphs": paragraphs, "articles": articles, "one row": articles.slice(7, 1)}


def footer(path: Path) -> bytes:
    data = path.read_bytes()
    (length,) = struct.unpack("<I", data[-8:-4])
    return data[-8 - length : -8]


@pytest.mark.parametrize("name", ["paragraphs", "articles", "one row"])
def test_a_table_written_carrying_columns_is_the_file_pyarrow_writes_of_it(tmp_path, name):
    table = tables()[name]
    previous = tmp_path / "previous.parquet"
    write_table(table, previous)
    whole = previous.read_bytes()
    fields, end = read_struct(footer(previous))
    assert write_struct(fields) == footer(previous) and end == len(footer(previous))
    for carried in (["text"], [table.column_names[0]], [table.column_names[-1]], ["text", table.column_names[1]]):
        target = tmp_path / "carrying.parquet"
        digest = sha256_written(write_table_carrying, table, dict.fromkeys(carried, previous), target)
        assert target.read_bytes() == whole, carried
        assert digest == hashlib.sha256(whole).hexdigest()


def test_the_carried_columns_bytes_are_copied_from_the_previous_file(tmp_path):
    table = tables()["articles"]
    previous = tmp_path / "previous.parquet"
    pq.write_table(table, previous, compression={"text": "gzip"})
    target = tmp_path / "carrying.parquet"
    write_table_carrying(table, {"text": previous}, target)
    group = pq.ParquetFile(target).metadata.row_group(0)
    codecs = {group.column(i).path_in_schema: group.column(i).compression for i in range(group.num_columns)}
    assert codecs.pop("text") == "GZIP" and set(codecs.values()) == {"ZSTD"}
    assert pq.read_table(target).equals(table)


def test_a_file_that_cannot_be_carried_from_gives_the_whole_table_encoded(tmp_path):
    table = tables()["paragraphs"]
    expected = tmp_path / "expected.parquet"
    write_table(table, expected)
    two_groups, other_rows, not_parquet = tmp_path / "two.parquet", tmp_path / "other.parquet", tmp_path / "x.parquet"
    pq.write_table(table, two_groups, row_group_size=table.num_rows // 2, compression="zstd")
    write_table(table.slice(1), other_rows)
    not_parquet.write_bytes(b"PAR1 not a footer PAR1")
    without = tmp_path / "without.parquet"
    write_table(table.drop_columns(["text"]), without)
    sources = [tmp_path / "gone.parquet", two_groups, other_rows, not_parquet, without]
    for source in sources:
        target = tmp_path / "target.parquet"
        write_table_carrying(table, {"text": source}, target)
        assert target.read_bytes() == expected.read_bytes(), source
    for unwritable in (table.slice(0, 0), table.select(["text"])):
        target = tmp_path / "target.parquet"
        write_table_carrying(unwritable, {"text": expected}, target)
        write_table(unwritable, expected.with_suffix(".other"))
        assert target.read_bytes() == expected.with_suffix(".other").read_bytes()
    assert ROW_GROUP_ROWS > table.num_rows


def test_a_thrift_struct_of_every_kind_is_read_and_written_back_byte_for_byte():
    data = bytes(
        [0x15, 0x05]  # field 1, i32 -3
        + [0x08, 0x28, 0x02, *b"ab"]  # field 20 (a jump past 15 ids), binary "ab"
        + [0x11]  # field 21, true
        + [0x19, 0xF6, 0x10, *[0x02] * 16]  # field 22, a list of 16 i64 (past the short form): 1 each
        + [0x17, *range(8)]  # field 23, a double's 8 bytes
        + [0x1C, 0x12, 0x39, 0x21, 0x01, 0x02, 0x00]  # field 24, a struct: false, a list of bools, stop
        + [0x00]
    )
    fields, end = read_struct(data + b"after")
    assert end == len(data)
    values = {field.id: field.value for field in fields}
    assert values[1] == -3 and values[20] == b"ab" and values[21] is True and values[22].values == [1] * 16
    assert values[24][0].value is False and values[24][1].value.values == [1, 2]
    assert write_struct(fields) == data


def test_a_field_a_struct_lacks_is_not_given_a_value():
    fields, _ = read_struct(bytes([0x15, 0x05, 0x00]))
    assert with_value(fields, 1, 7)[0].value == 7 and fields[0].value == -3
    with pytest.raises(KeyError):
        with_value(fields, 2, 7)
