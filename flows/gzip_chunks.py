"""The corpus's gzipped JSONL shards written as one deflate chunk a line, so a run copies the compressed bytes of every
line the previous run wrote the same instead of compressing it again.

Each line is compressed on its own (level 9, a fresh window) and ends on a byte boundary (a sync flush), so the
chunks join into one gzip member: the header, the chunks in line order, an empty last block, then the CRC-32 and
length of all the lines. A shard's bytes depend on its lines alone, so an incremental run writes the file a rebuild
writes. The state keeps where each line's chunk lies in the run's shards (state/corpus_chunks.parquet: the line's
digest, shard, offset and length); the next run reads the chunks of the lines it writes again from those shards.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
import zlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CHUNKS_FILE = "corpus_chunks.parquet"
CHUNKS = pa.schema([("digest", pa.binary(16)), ("shard", pa.int32()), ("offset", pa.int64()), ("length", pa.int64())])
# The gzip header zlib writes at level 9: no file name, no time stamp, "best compression", Unix.
HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"
# An empty last deflate block (fixed codes), closing the chunks.
LAST_BLOCK = b"\x03\x00"


def line_digest(line: bytes) -> bytes:
    """The 16-byte digest a line's chunk is found by."""
    return hashlib.blake2b(line, digest_size=16).digest()


def deflated(line: bytes) -> bytes:
    """One line compressed on its own at level 9, ending on a byte boundary and not last (a sync flush)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(line) + compressor.flush(zlib.Z_SYNC_FLUSH)


@dataclass
class ChunkIndex:
    """Where each line's chunk lies in the run's shards: its line's digest, shard number, offset and length."""

    digests: list[bytes] = field(default_factory=list)
    shards: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)

    def extend(self, other: ChunkIndex) -> None:
        """Add another shard's chunks."""
        for name in ("digests", "shards", "offsets", "lengths"):
            getattr(self, name).extend(getattr(other, name))


class CarriedChunks:
    """The previous run's chunks by their line's digest, read from its shards (mapped, not loaded) when asked."""

    def __init__(self, located: dict[bytes, tuple[int, int, int]], shards: dict[int, mmap.mmap]) -> None:
        self.located = located
        self.shards = shards

    def get(self, digest: bytes) -> bytes | None:
        """The chunk of the line of this digest, or None when the previous run wrote no such line."""
        where = self.located.get(digest)
        if where is None:
            return None
        shard, offset, length = where
        return self.shards[shard][offset : offset + length]


NOTHING_CARRIED = CarriedChunks({}, {})


@contextmanager
def carried_chunks(state_folder: Path | None, shard_path: str) -> Iterator[CarriedChunks]:
    """The chunks of the run whose state folder is given (its shards at `shard_path` with the shard number put in,
    relative to the run folder); none without a folder or in a state written before chunks were kept."""
    path = state_folder / CHUNKS_FILE if state_folder else None
    if path is None or not path.is_file():
        yield NOTHING_CARRIED
        return
    columns = pq.read_table(path, schema=CHUNKS).to_pydict()
    located = {
        digest: (shard, offset, length)
        for digest, shard, offset, length in zip(*(columns[name] for name in CHUNKS.names))
    }
    with ExitStack() as stack:
        shards = {}
        for shard in set(columns["shard"]):
            stream = stack.enter_context(open(state_folder.parent / shard_path.format(shard), "rb"))
            shards[shard] = stack.enter_context(mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ))
        yield CarriedChunks(located, shards)


def gzip_lines(lines: Sequence[bytes], shard: int, carried: CarriedChunks) -> tuple[bytes, ChunkIndex]:
    """A gzip file of the lines, one chunk a line (carried when the previous run wrote the line, else compressed),
    and where each chunk lies in it."""
    parts, index = [HEADER], ChunkIndex()
    offset, crc, size = len(HEADER), 0, 0
    for line in lines:
        digest = line_digest(line)
        chunk = carried.get(digest)
        if chunk is None:
            chunk = deflated(line)
        parts.append(chunk)
        index.digests.append(digest)
        index.shards.append(shard)
        index.offsets.append(offset)
        index.lengths.append(len(chunk))
        offset += len(chunk)
        crc, size = zlib.crc32(line, crc), size + len(line)
    parts += [LAST_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
    return b"".join(parts), index


def write_chunk_index(state_folder: Path, index: ChunkIndex) -> None:
    """Write where the run's chunks lie into its state folder."""
    table = pa.table(
        {"digest": index.digests, "shard": index.shards, "offset": index.offsets, "length": index.lengths},
        schema=CHUNKS,
    )
    pq.write_table(table, state_folder / CHUNKS_FILE)
