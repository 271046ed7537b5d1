"""File writers: each file is written to a temporary name beside it, flushed to disk, then renamed
into place, so no reader ever sees half a file (flows/outputs/publish.py swaps whole runs at once). Each writer can
feed the bytes it writes to a digest as they pass (the manifest's SHA-256 of a run's outputs), so no file is read back
to be hashed.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import pyarrow as pa
import pyarrow.parquet as pq


class Digest(Protocol):
    """A running hash the bytes written are fed to (hashlib's objects)."""

    def update(self, data: bytes | memoryview, /) -> None: ...


def _atomic_path(target: Path) -> Path:
    """A new empty file beside the target, readable as the umask allows (mkstemp's would be 0600)."""
    while True:
        path = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return path
        except FileExistsError:
            continue


def replace_atomically(temporary: Path, target: Path) -> None:
    """Flush a finished temporary file to disk and rename it over the target."""
    with open(temporary, "rb") as stream:
        os.fsync(stream.fileno())
    os.replace(temporary, target)


def _write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Let `write` fill a temporary file beside the target, then rename it into place."""
    temporary = _atomic_path(target)
    try:
        write(temporary)
        replace_atomically(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_parquet(rows: list[dict], schema: pa.Schema, target: Path) -> None:
    """Write rows as a Parquet table with the given schema, atomically."""
    write_table(pa.Table.from_pylist(rows, schema=schema), target)


def write_table(table: pa.Table, target: Path, digest: Digest | None = None) -> None:
    """Write an Arrow table as Parquet, atomically (its bytes fed to `digest` as they are written, if given)."""
    with parquet_writer(target, table.schema, digest) as write:
        write(table)


# How many bytes of pieces write_pieces (and a digested Parquet file) gathers into one write.
WRITE_BYTES = 1 << 20
# The rows pyarrow's writer puts in a row group by default: a table written whole is cut every ROW_GROUP_ROWS rows.
ROW_GROUP_ROWS = 1024 * 1024
# How every Parquet output is compressed.
PARQUET_COMPRESSION = "zstd"


def write_tables(tables: Iterable[pa.Table], schema: pa.Schema, target: Path, digest: Digest | None = None) -> None:
    """Write tables of the schema, in order, as one Parquet file, atomically, in the bytes write_table gives of them
    concatenated (their chunks as they are, cut into row groups of ROW_GROUP_ROWS), holding at most a row group's
    rows and the next table at once (the bytes fed to `digest` as they are written, if given)."""
    with parquet_writer(target, schema, digest) as write:
        held: list[pa.Table] = []
        rows = 0
        for table in tables:
            held.append(table)
            rows += table.num_rows
            while rows >= ROW_GROUP_ROWS:
                pending = pa.concat_tables(held)
                write(pending.slice(0, ROW_GROUP_ROWS))
                held, rows = [pending.slice(ROW_GROUP_ROWS)], rows - ROW_GROUP_ROWS
        if held:
            write(pa.concat_tables(held))


@contextmanager
def parquet_writer(
    target: Path, schema: pa.Schema, digest: Digest | None = None
) -> Iterator[Callable[[pa.Table], None]]:
    """Write tables of the schema one after another as one Parquet file (a row group or more each), renamed into
    place once all are written (its bytes fed to `digest` as they are written, if given). No rows give a file of the
    schema and no row group: readers that size batches by the first row group (Hugging Face datasets) fail on an
    empty one."""
    temporary = _atomic_path(target)
    try:
        with (
            _parquet_sink(temporary, digest) as sink,
            pq.ParquetWriter(sink, schema, compression=PARQUET_COMPRESSION) as writer,
        ):

            def write(table: pa.Table) -> None:
                if table.num_rows:
                    writer.write_table(table)

            yield write
        replace_atomically(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def _parquet_sink(path: Path, digest: Digest | None) -> Iterator[Path | pa.NativeFile]:
    """Where pyarrow's Parquet writer writes `path`: the path itself without a digest, else the file through a stream
    that feeds the digest every byte (gathered into writes of about WRITE_BYTES, so few cross into Python)."""
    if digest is None:
        yield path
        return
    with open(path, "wb", buffering=0) as stream:
        sink = pa.BufferedOutputStream(pa.PythonFile(_DigestedFile(stream, digest), mode="w"), WRITE_BYTES)
        try:
            yield sink
        finally:
            sink.close()


class _DigestedFile(io.RawIOBase):
    """An unbuffered file written through, each byte fed to a digest on its way (for pyarrow's writers)."""

    def __init__(self, stream: BinaryIO, digest: Digest) -> None:
        super().__init__()
        self._stream, self._digest, self._written = stream, digest, 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | memoryview) -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        _write_all(self._stream, view, self._digest)
        self._written += len(view)
        return len(view)

    def tell(self) -> int:
        return self._written


def write_text(content: str, target: Path, digest: Digest | None = None) -> None:
    """Write a text file atomically, in UTF-8 (its bytes fed to `digest` as they are written, if given)."""
    data = content.encode("utf-8")

    def write(path: Path) -> None:
        with open(path, "wb", buffering=0) as stream:
            _write_all(stream, data, digest)

    _write_atomically(target, write)


@dataclass(frozen=True)
class Span:
    """A run of bytes of another file: `length` bytes at `offset` of the file open at descriptor `source`."""

    source: int
    offset: int
    length: int


def write_pieces(pieces: Iterable[bytes | Span], target: Path, digest: Digest | None = None) -> None:
    """Write pieces one after another, atomically: bytes gathered into writes of about WRITE_BYTES (never all in
    memory at once), each span of another file copied by the kernel (`copy_span`: never written from the process);
    every byte written fed to `digest`, if given (a span's read from its file a block at a time)."""

    def write(path: Path) -> None:
        with open(path, "wb", buffering=0) as stream:
            held: list[bytes] = []
            size = 0
            for piece in pieces:
                if isinstance(piece, Span):
                    _write_all(stream, b"".join(held), digest)
                    held, size = [], 0
                    copy_span(piece, stream, digest)
                    continue
                held.append(piece)
                size += len(piece)
                if size >= WRITE_BYTES:
                    _write_all(stream, b"".join(held), digest)
                    held, size = [], 0
            _write_all(stream, b"".join(held), digest)

    _write_atomically(target, write)


def _write_all(stream: BinaryIO, data: bytes | memoryview, digest: Digest | None = None) -> None:
    """Write all of `data` to an unbuffered stream (a write may take less than it is given), feeding it to the
    digest first, if given."""
    if digest is not None:
        digest.update(data)
    view = memoryview(data)
    while view:
        view = view[stream.write(view) :]


def copy_span(span: Span, stream: BinaryIO, digest: Digest | None = None) -> None:
    """Append a span to an unbuffered stream: by `os.copy_file_range` (the kernel copies the pages), else (no such
    call on this system, or a file system that refuses it) read and written a block at a time; its bytes fed to
    `digest`, if given (those the kernel copied read from the span's file for it, as reading the copy back would)."""
    offset, left = span.offset, span.length
    while left:
        copied = _kernel_copy(span.source, stream.fileno(), left, offset)
        if copied is None:
            copied = _copy_block(span.source, offset, min(left, WRITE_BYTES), stream, digest)
        elif digest is not None:
            _feed(digest, span.source, offset, copied)
        if not copied:
            raise _ends_early(span.source, offset + left)
        offset, left = offset + copied, left - copied


def _ends_early(source: int, end: int) -> OSError:
    """The error for a previous run's file that ends before a span of it its index names, the file named by its
    path where the system tells it."""
    try:
        name = os.readlink(f"/proc/self/fd/{source}")
    except OSError:
        name = f"the file at descriptor {source}"
    return OSError(
        f"{name} ends before byte {end}, which its index names: OUT_DIR's previous outputs are damaged "
        "(copydesk run --force rebuilds them)"
    )


def _kernel_copy(source: int, target: int, length: int, offset: int) -> int | None:
    """How many bytes `os.copy_file_range` copied from `offset` of `source` to the end of `target`; None where the
    system has no such call or the file system refuses it."""
    copy_file_range = getattr(os, "copy_file_range", None)
    if copy_file_range is None:
        return None
    try:
        return copy_file_range(source, target, length, offset)
    except OSError:
        return None


def _feed(digest: Digest, source: int, offset: int, length: int) -> None:
    """Feed `length` bytes at `offset` of `source` to the digest, read a block at a time into one buffer."""
    block = bytearray(min(length, WRITE_BYTES))
    end = offset + length
    while offset < end:
        read = os.preadv(source, [memoryview(block)[: end - offset]], offset)
        if not read:
            raise _ends_early(source, end)
        digest.update(memoryview(block)[:read])
        offset += read


def _copy_block(source: int, offset: int, length: int, stream: BinaryIO, digest: Digest | None) -> int:
    """Read up to `length` bytes at `offset` of `source` and append them to the stream (and the digest, if given); how
    many were copied."""
    block = os.pread(source, length, offset)
    _write_all(stream, block, digest)
    return len(block)


def sha256_written(write: Callable[..., object], *arguments: object) -> str:
    """The SHA-256 of the file `write(*arguments, digest)` writes, taken from its bytes as they are written."""
    digest = hashlib.sha256()
    write(*arguments, digest)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Content hash of a written file, recorded in the manifest."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
