"""The corpus's records carried from the previous run as the bytes it wrote: a run copies each unchanged record's
compressed chunk from the previous gzipped JSONL shards and its line from the previous corpus.jsonl (the lines of a run
of such records lying one after another there as one slice), and serialises and compresses only the records that
are new or changed.

A gzipped shard holds one deflate chunk a line: each line compressed on its own (level 9, a fresh window) and ending
on a byte boundary (a sync flush, as `pigz --independent` writes its blocks), so the chunks join into one gzip
member: the header, the chunks in line order, an empty last block, then the CRC-32 and length of all the lines. A
shard's bytes depend on its lines alone, so an incremental run writes the file a rebuild writes. The state keeps
where each record's bytes lie (state/corpus_chunks.parquet: its record's digest (`flows.outputs.corpus.record_digests`,
of the fields its line is made of), its chunk's shard, offset and length, its corpus.jsonl line's offset and length,
its JSON line's CRC-32 and length); the next run reads them from the previous run's files and makes a JSON line only
for a record it does not find, the CRC-32 of a shard's lines combined from theirs.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CHUNKS_FILE = "corpus_chunks.parquet"
CHUNKS = pa.schema(
    [
        ("digest", pa.binary(16)),
        ("shard", pa.int32()),
        ("offset", pa.int64()),
        ("length", pa.int64()),
        ("legacy_offset", pa.int64()),
        ("legacy_length", pa.int64()),
        ("line_crc", pa.int64()),
        ("line_length", pa.int64()),
    ]
)
# The gzip header zlib writes at level 9: no file name, no time stamp, "best compression", Unix.
HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"
# An empty last deflate block (fixed codes), closing the chunks.
LAST_BLOCK = b"\x03\x00"


def deflated(line: bytes) -> bytes:
    """One line compressed on its own at level 9, ending on a byte boundary and not last (a sync flush)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(line) + compressor.flush(zlib.Z_SYNC_FLUSH)


def crc_joined(crc: int, line_crc: int, line_length: int) -> int:
    """The CRC-32 of some bytes (of CRC-32 `crc`) followed by a line of this CRC-32 and length: CRC-32 is affine in
    its start value and the bytes, so the line's part is its CRC-32 and the start value's is carried over zeros."""
    zeros = bytes(line_length)
    return zlib.crc32(zeros, crc) ^ zlib.crc32(zeros) ^ line_crc


@dataclass
class ChunkIndex:
    """Where each record's bytes lie in the run's files: its digest, its chunk's shard number, offset and length,
    the length of its corpus.jsonl line (the lines follow each other in record order), its JSON line's CRC-32 and
    length."""

    digests: list[bytes] = field(default_factory=list)
    shards: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    legacy_lengths: list[int] = field(default_factory=list)
    line_crcs: list[int] = field(default_factory=list)
    line_lengths: list[int] = field(default_factory=list)

    def extend(self, other: ChunkIndex) -> None:
        """Add the next shard's records."""
        for name in ("digests", "shards", "offsets", "lengths", "legacy_lengths", "line_crcs", "line_lengths"):
            getattr(self, name).extend(getattr(other, name))


class CarriedChunks:
    """The previous run's records by their digest, read from its files (mapped, not loaded) when asked."""

    def __init__(
        self,
        located: dict[bytes, tuple[int, int, int, int, int, int, int]],
        shards: dict[int, mmap.mmap],
        legacy: bytes,
    ) -> None:
        self.located = located
        self.shards = shards
        self.legacy = legacy

    def holds(self, digest: bytes) -> bool:
        """Whether the previous run wrote the record of this digest."""
        return digest in self.located

    def chunk(self, digest: bytes) -> tuple[bytes, int, int]:
        """The compressed chunk of the line of the record of this digest (one the previous run wrote), and the line's
        CRC-32 and length."""
        shard, offset, length, _, _, line_crc, line_length = self.located[digest]
        return self.shards[shard][offset : offset + length], line_crc, line_length

    def legacy_span(self, digest: bytes) -> tuple[int, int]:
        """Where the corpus.jsonl line of the record of this digest (one the previous run wrote) lies in that file:
        its offset and length."""
        _, _, _, offset, length, _, _ = self.located[digest]
        return offset, length


NOTHING_CARRIED = CarriedChunks({}, {}, b"")


@contextmanager
def carried_chunks(state_folder: Path | None, shard_path: str, legacy_path: str) -> Iterator[CarriedChunks]:
    """The records of the run whose state folder is given (its shards at `shard_path` with the shard number put in,
    its corpus.jsonl at `legacy_path`, relative to the run folder); none without a folder, in a state written
    before records were carried by their fields' digests, or when one of those files is gone."""
    path = state_folder / CHUNKS_FILE if state_folder else None
    readable = path is not None and path.is_file() and set(CHUNKS.names) <= set(pq.read_schema(path).names)
    columns = pq.read_table(path, schema=CHUNKS).to_pydict() if readable else None
    files = [*(shard_path.format(shard) for shard in set(columns["shard"])), legacy_path] if columns else []
    if not files or not all((state_folder.parent / name).is_file() for name in files):
        yield NOTHING_CARRIED
        return
    located = {row[0]: row[1:] for row in zip(*(columns[name] for name in CHUNKS.names))}
    with ExitStack() as stack:

        def mapped(relative: str) -> mmap.mmap | bytes:
            stream = stack.enter_context(open(state_folder.parent / relative, "rb"))
            if not stream.seek(0, 2):
                return b""  # mmap refuses an empty file
            return stack.enter_context(mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ))

        shards = {shard: mapped(shard_path.format(shard)) for shard in set(columns["shard"])}
        yield CarriedChunks(located, shards, mapped(legacy_path))


def gzip_lines(
    digests: Sequence[bytes], fresh: Mapping[int, bytes], shard: int, carried: CarriedChunks
) -> tuple[bytes, ChunkIndex]:
    """A gzip file of the lines of the records of these digests, one chunk a line: the lines `fresh` holds (by row)
    compressed, the others' chunks carried; and where each chunk lies in it."""
    parts, index = [HEADER], ChunkIndex()
    offset, crc, size = len(HEADER), 0, 0
    for row, digest in enumerate(digests):
        line = fresh.get(row)
        if line is None:
            chunk, line_crc, line_length = carried.chunk(digest)
        else:
            chunk, line_crc, line_length = deflated(line), zlib.crc32(line), len(line)
        parts.append(chunk)
        index.digests.append(digest)
        index.shards.append(shard)
        index.offsets.append(offset)
        index.lengths.append(len(chunk))
        index.line_crcs.append(line_crc)
        index.line_lengths.append(line_length)
        offset += len(chunk)
        crc, size = crc_joined(crc, line_crc, line_length), size + line_length
    parts += [LAST_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
    return b"".join(parts), index


def legacy_pieces(
    digests: Sequence[bytes], fresh: Mapping[int, bytes], carried: CarriedChunks
) -> tuple[list[bytes], list[int]]:
    """The corpus.jsonl bytes of the records of these digests, in pieces: the lines `fresh` holds (by row) as they
    are, the others carried from the previous corpus.jsonl, each run of them lying one after another there taken as
    one slice of it (not a line at a time); and each record's line length."""
    pieces, lengths = [], []
    run_start = run_end = -1  # the carried run being gathered (none while run_start is -1)

    def end_run() -> None:
        if run_start >= 0:
            pieces.append(carried.legacy[run_start:run_end])

    for row, digest in enumerate(digests):
        line = fresh.get(row)
        if line is None:
            offset, length = carried.legacy_span(digest)
            if offset != run_end:
                end_run()
                run_start = offset
            run_end = offset + length
        else:
            end_run()
            pieces.append(line)
            run_start = run_end = -1
            length = len(line)
        lengths.append(length)
    end_run()
    return pieces, lengths


def write_chunk_index(state_folder: Path, index: ChunkIndex) -> None:
    """Write where the run's records lie into its state folder."""
    table = pa.table(
        {
            "digest": index.digests,
            "shard": index.shards,
            "offset": index.offsets,
            "length": index.lengths,
            "legacy_offset": [0, *accumulate(index.legacy_lengths)][: len(index.legacy_lengths)],
            "legacy_length": index.legacy_lengths,
            "line_crc": index.line_crcs,
            "line_length": index.line_lengths,
        },
        schema=CHUNKS,
    )
    pq.write_table(table, state_folder / CHUNKS_FILE)
