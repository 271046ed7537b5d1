"""A Parquet file of one row group written with some of its columns' encoded bytes carried from a previous file
that holds the same column: only the other columns are encoded, the carried column chunks are copied by the kernel,
and the footer is written with their offsets moved. The bytes are those pyarrow writes of the whole table (a column
chunk's bytes depend only on its own values and the writer's settings, and its page headers name no offset), so a
part whose texts did not change is written without encoding its texts again."""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flows.outputs.files import PARQUET_COMPRESSION, ROW_GROUP_ROWS, Digest, Span, write_pieces, write_table
from flows.outputs.thrift_compact import STRUCT, Field, ThriftList, read_struct, value_of, with_value, write_struct

MAGIC = b"PAR1"
_TAIL = 8  # the footer's length (4 bytes, little-endian) and MAGIC
# FileMetaData's fields: its rows and row groups.
_ROWS, _ROW_GROUPS = 3, 4
# RowGroup's fields: its column chunks, their uncompressed bytes, its first chunk's offset, their compressed bytes.
_COLUMNS, _BYTES, _FIRST, _COMPRESSED = 1, 2, 5, 6
_ROW_GROUP_FIELDS = {1, 2, 3, 4, 5, 6, 7}
# ColumnChunk's fields: its (deprecated, always 0) file offset and its ColumnMetaData; any other (another file's
# chunk, page indexes, encryption) is not carried.
_FILE_OFFSET, _META = 2, 3
# ColumnMetaData's fields: its path, compressed bytes, and the offsets moved when the chunk moves; a bloom filter's
# offset (14, 15) or any field not known to name no offset is not carried.
_PATH, _CHUNK_BYTES, _UNCOMPRESSED = 3, 7, 6
_OFFSETS = (9, 10, 11)
_DATA_PAGE, _DICTIONARY_PAGE = 9, 11
_META_FIELDS = {1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 16, 17, *_OFFSETS}


def write_table_carrying(
    table: pa.Table, carried: Mapping[str, Path], target: Path, digest: Digest | None = None
) -> None:
    """Write the table as Parquet, atomically, as write_table writes it: the columns `carried` names taken as their
    encoded bytes from that previous file (which must hold the same column values, written the same way), the
    others encoded; where a file cannot be carried from (gone, another layout, more than one row group), the whole
    table encoded (its bytes fed to `digest` as they are written, if given)."""
    columns = [name for name in table.column_names if name in carried]
    if not columns or len(columns) == table.num_columns or not 0 < table.num_rows <= ROW_GROUP_ROWS:
        write_table(table, target, digest)
        return
    with ExitStack() as files:
        try:
            sources = {name: _Source.open(carried[name], files) for name in columns}
            chunks = {name: source.chunk(name, table.num_rows) for name, source in sources.items()}
            pieces = _pieces(table, chunks, _encoded(table.drop_columns(columns))) if all(chunks.values()) else None
        except (OSError, ValueError, struct.error, IndexError, KeyError):
            pieces = None
        if pieces is None:
            write_table(table, target, digest)
        else:
            write_pieces(pieces, target, digest)


class _Chunk:
    """A column chunk of a file: its ColumnChunk fields, and where its bytes lie (a Span of the file, or a view)."""

    def __init__(self, fields: list[Field], data: Span | memoryview) -> None:
        self.fields, self.data = fields, data

    @property
    def meta(self) -> list[Field]:
        return value_of(self.fields, _META)

    def moved(self, start: int) -> list[Field]:
        """Its ColumnChunk fields with its offsets moved so its bytes start at `start`."""
        shift = start - _start(self.meta)
        meta = self.meta
        for number in _OFFSETS:
            if value_of(meta, number) is not None:
                meta = with_value(meta, number, value_of(meta, number) + shift)
        return with_value(self.fields, _META, meta)


class _Source:
    """A previous Parquet file open for its column chunks."""

    def __init__(self, descriptor: int, footer: list[Field]) -> None:
        self.descriptor, self.footer = descriptor, footer

    @classmethod
    def open(cls, path: Path, files: ExitStack) -> _Source:
        descriptor = os.open(path, os.O_RDONLY)
        files.callback(os.close, descriptor)
        size = os.fstat(descriptor).st_size
        length, magic = struct.unpack("<I4s", os.pread(descriptor, _TAIL, size - _TAIL))
        if magic != MAGIC or length + _TAIL + len(MAGIC) > size:
            raise ValueError(f"{path} is not a Parquet file")
        footer, _ = read_struct(os.pread(descriptor, length, size - _TAIL - length))
        return cls(descriptor, footer)

    def chunk(self, name: str, rows: int) -> _Chunk | None:
        """The column chunk of the top-level column `name` (a leaf) of the file's one row group of `rows` rows, if the
        file is such and the chunk can be carried."""
        groups = value_of(self.footer, _ROW_GROUPS).values
        if len(groups) != 1 or value_of(self.footer, _ROWS) != rows:
            return None
        found = [chunk for chunk in value_of(groups[0], _COLUMNS).values if _path(chunk) == [name]]
        if len(found) != 1 or not _carriable(found[0]):
            return None
        meta = value_of(found[0], _META)
        return _Chunk(found[0], Span(self.descriptor, _start(meta), value_of(meta, _CHUNK_BYTES)))


def _path(chunk: list[Field]) -> list[str]:
    return [part.decode() for part in value_of(value_of(chunk, _META), _PATH).values]


def _start(meta: list[Field]) -> int:
    """Where a column chunk's bytes start: its dictionary page, else its first data page."""
    return value_of(meta, _DICTIONARY_PAGE, value_of(meta, _DATA_PAGE))


def _carriable(chunk: list[Field]) -> bool:
    """Whether a column chunk's fields name no offset but those moved with it (and no other file)."""
    meta = value_of(chunk, _META)
    return (
        {field.id for field in chunk} <= {_FILE_OFFSET, _META}
        and value_of(chunk, _FILE_OFFSET, 0) == 0
        and meta is not None
        and {field.id for field in meta} <= _META_FIELDS
    )


def _encoded(table: pa.Table) -> bytes:
    """The table's Parquet bytes, as write_table writes them."""
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, table.schema, compression=PARQUET_COMPRESSION) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@functools.lru_cache(maxsize=8)
def _empty_footer(schema: pa.Schema) -> list[Field]:
    """The footer of a file of the schema and no rows (what a footer holds besides its rows and row groups)."""
    return _footer(_encoded(schema.empty_table()))


def _footer(data: bytes) -> list[Field]:
    (length,) = struct.unpack("<I", data[-_TAIL : -len(MAGIC)])
    return read_struct(memoryview(data)[-_TAIL - length : -_TAIL])[0]


def _pieces(table: pa.Table, carried: Mapping[str, _Chunk], encoded: bytes) -> list[bytes | Span]:
    """The file's bytes: MAGIC, each column's chunk in the table's order (carried or encoded), the footer (the
    template of an empty file of the schema, with the rows and the one row group), its length and MAGIC."""
    footer = _footer(encoded)
    (group,) = value_of(footer, _ROW_GROUPS).values
    if not {field.id for field in group} <= _ROW_GROUP_FIELDS:
        raise ValueError("a row group field not known")
    fresh: dict[str, list[_Chunk]] = {}
    view = memoryview(encoded)
    for fields in value_of(group, _COLUMNS).values:
        meta = value_of(fields, _META)
        data = view[_start(meta) : _start(meta) + value_of(meta, _CHUNK_BYTES)]
        fresh.setdefault(_path(fields)[0], []).append(_Chunk(fields, data))
    chunks = [chunk for name in table.column_names for chunk in ([carried[name]] if name in carried else fresh[name])]
    pieces: list[bytes | Span] = [MAGIC]
    placed, position = [], len(MAGIC)
    for chunk in chunks:
        placed.append(chunk.moved(position))
        position += value_of(chunk.meta, _CHUNK_BYTES)
        pieces.append(chunk.data if isinstance(chunk.data, Span) else bytes(chunk.data))
    metas = [value_of(fields, _META) for fields in placed]
    group = with_value(group, _COLUMNS, ThriftList(STRUCT, placed))
    group = with_value(group, _BYTES, sum(value_of(meta, _UNCOMPRESSED) for meta in metas))
    group = with_value(group, _FIRST, len(MAGIC))
    group = with_value(group, _COMPRESSED, sum(value_of(meta, _CHUNK_BYTES) for meta in metas))
    template = _empty_footer(table.schema)
    data = write_struct(
        with_value(with_value(template, _ROWS, table.num_rows), _ROW_GROUPS, ThriftList(STRUCT, [group]))
    )
    return [*pieces, data + struct.pack("<I", len(data)) + MAGIC]
