"""The corpus's records carried from the previous run as the bytes it wrote: a run copies each unchanged record's
compressed chunk from the previous gzipped JSONL shards and its line from the previous corpus.jsonl (the lines of a run
of such records lying one after another there as one span of the file, which the kernel copies: `os.copy_file_range`,
never read into the process), and serialises and compresses only the records that are new or changed.

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

import struct
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numba import njit

from flows.outputs.files import Span

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


# CRC-32's reflected polynomial.
POLY = 0xEDB88320


@njit(cache=True, nogil=True)
def _times_mod_p(a, b):  # pragma: no cover - compiled; tested through the shards' CRC-32
    """a(x) b(x) modulo the CRC-32 polynomial, both reflected (as zlib's multmodp; `a` is never 0)."""
    bit, product = np.uint32(1 << 31), np.uint32(0)
    while True:
        if a & bit:
            product ^= b
            if a & (bit - np.uint32(1)) == 0:
                return product
        bit >>= np.uint32(1)
        b = (b >> np.uint32(1)) ^ np.uint32(POLY) if b & np.uint32(1) else b >> np.uint32(1)


@njit(cache=True, nogil=True)
def _crc_of_joined(line_crcs, line_lengths):  # pragma: no cover - compiled; tested through the shards' CRC-32
    """The CRC-32 of lines one after another from each one's CRC-32 and length, as zlib's crc32_combine joins two:
    the CRC so far times x to the power of eight times the next line's length, plus the line's CRC-32."""
    powers = np.empty(32, dtype=np.uint32)  # x^(2^k) modulo the polynomial
    powers[0] = np.uint32(1 << 30)
    for k in range(1, 32):
        powers[k] = _times_mod_p(powers[k - 1], powers[k - 1])
    crc = np.uint32(0)
    for line in range(len(line_crcs)):
        shift, k, power = line_lengths[line], 3, np.uint32(1 << 31)
        while shift:
            if shift & 1:
                power = _times_mod_p(powers[k & 31], power)
            shift >>= 1
            k += 1
        crc = _times_mod_p(power, crc) ^ np.uint32(line_crcs[line])
    return crc


def crc_of_joined(line_crcs: np.ndarray, line_lengths: np.ndarray) -> int:
    """The CRC-32 of lines one after another, from each one's CRC-32 and length (int64 arrays)."""
    return int(_crc_of_joined(line_crcs, line_lengths))


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
    """The previous run's records by their digest (each one's row of its chunk index, whose columns are held as
    arrays), and its files open (`shards` by number, `legacy`: corpus.jsonl; descriptors), their bytes never read:
    a run of them is a Span the writer has the kernel copy."""

    def __init__(
        self, rows: dict[bytes, int], located: Mapping[str, np.ndarray], shards: dict[int, int], legacy: int
    ) -> None:
        self.rows = rows
        self.located = located
        self.shards = shards
        self.legacy = legacy

    def holds(self, digest: bytes) -> bool:
        """Whether the previous run wrote the record of this digest."""
        return digest in self.rows

    def rows_of(self, digests: Sequence[bytes], fresh: Collection[int]) -> np.ndarray:
        """The previous run's index row of each record not in `fresh` (by row), -1 for those in it; a KeyError
        when the previous run did not write one of the others."""
        return np.fromiter(
            (-1 if row in fresh else self.rows[digest] for row, digest in enumerate(digests)), np.int64, len(digests)
        )

    def column(self, name: str, rows: np.ndarray) -> np.ndarray:
        """A column of the previous run's chunk index at these rows, 0 where a row is -1."""
        taken = self.located[name][np.maximum(rows, 0)] if len(self.located[name]) else np.zeros(len(rows), np.int64)
        return np.where(rows >= 0, taken, 0)


NOTHING_CARRIED = CarriedChunks({}, {name: np.zeros(0, np.int64) for name in CHUNKS.names[1:]}, {}, -1)


@contextmanager
def carried_chunks(state_folder: Path | None, shard_path: str, legacy_path: str) -> Iterator[CarriedChunks]:
    """The records of the run whose state folder is given (its shards at `shard_path` with the shard number put in,
    its corpus.jsonl at `legacy_path`, relative to the run folder); none without a folder, in a state written
    before records were carried by their fields' digests, or when one of those files is gone."""
    path = state_folder / CHUNKS_FILE if state_folder else None
    readable = path is not None and path.is_file() and set(CHUNKS.names) <= set(pq.read_schema(path).names)
    table = pq.read_table(path, schema=CHUNKS) if readable else None
    numbers = sorted(set(pc.unique(table["shard"]).to_pylist())) if table is not None else []
    files = [*(shard_path.format(shard) for shard in numbers), legacy_path] if table is not None else []
    if not files or not all((state_folder.parent / name).is_file() for name in files):
        yield NOTHING_CARRIED
        return
    rows = dict(zip(table["digest"].to_pylist(), range(table.num_rows)))
    located = {name: table[name].to_numpy().astype(np.int64) for name in CHUNKS.names[1:]}
    with ExitStack() as stack:

        def opened(relative: str) -> int:
            return stack.enter_context(open(state_folder.parent / relative, "rb")).fileno()

        shards = {shard: opened(shard_path.format(shard)) for shard in numbers}
        yield CarriedChunks(rows, located, shards, opened(legacy_path))


def piece_starts(fresh: np.ndarray, sources: np.ndarray, offsets: np.ndarray, lengths: np.ndarray) -> list[int]:
    """Where the pieces of a sequence of records start: each fresh record is a piece, and so is each run of carried
    ones lying one after another in the same source (`sources`, `offsets`, `lengths`: where each one lies)."""
    follows = np.zeros(len(fresh), dtype=bool)
    follows[1:] = (sources[1:] == sources[:-1]) & (offsets[1:] == offsets[:-1] + lengths[:-1])
    follows[1:] &= ~fresh[1:] & ~fresh[:-1]
    return np.flatnonzero(~follows).tolist()


def carried_bytes(
    fresh: Mapping[int, bytes],
    source: Callable[[int], int],
    offsets: np.ndarray,
    lengths: np.ndarray,
    starts: list[int],
) -> list[bytes | Span]:
    """The pieces starting at `starts`: a fresh record's own bytes (`fresh`, by row), a carried run's one span of its
    source (`source` of its first record's row: the file it lies in)."""
    ends = [*starts[1:], len(offsets)] if starts else []
    pieces: list[bytes | Span] = []
    for first, end in zip(starts, ends, strict=True):
        line = fresh.get(first)
        if line is None:
            start = int(offsets[first])
            line = Span(source(first), start, int(offsets[end - 1] + lengths[end - 1]) - start)
        pieces.append(line)
    return pieces


def gzip_lines(
    digests: Sequence[bytes], fresh: Mapping[int, bytes], shard: int, carried: CarriedChunks
) -> tuple[list[bytes | Span], ChunkIndex]:
    """A gzip file of the lines of the records of these digests, one chunk a line, in pieces: the lines `fresh` holds
    (by row) compressed, the others' chunks carried (each run of them lying one after another in a previous shard as
    one span of it); and where each chunk lies in it."""
    rows = carried.rows_of(digests, fresh)
    is_fresh = rows < 0
    sources, offsets = carried.column("shard", rows), carried.column("offset", rows)
    lengths, line_crcs = carried.column("length", rows), carried.column("line_crc", rows)
    line_lengths = carried.column("line_length", rows)
    compressed = {row: deflated(line) for row, line in fresh.items()}
    for row, line in fresh.items():
        lengths[row], line_crcs[row], line_lengths[row] = len(compressed[row]), zlib.crc32(line), len(line)
    starts = piece_starts(is_fresh, sources, offsets, lengths)
    pieces = carried_bytes(compressed, lambda row: carried.shards[int(sources[row])], offsets, lengths, starts)
    crc = crc_of_joined(line_crcs, line_lengths)
    size = int(line_lengths.sum())
    content: list[bytes | Span] = [HEADER, *pieces, LAST_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
    placed = len(HEADER) + np.cumsum(lengths) - lengths
    index = ChunkIndex(
        digests=list(digests),
        shards=[shard] * len(digests),
        offsets=placed.tolist(),
        lengths=lengths.tolist(),
        line_crcs=line_crcs.tolist(),
        line_lengths=line_lengths.tolist(),
    )
    return content, index


def legacy_pieces(
    digests: Sequence[bytes], fresh: Mapping[int, bytes], carried: CarriedChunks
) -> tuple[list[bytes | Span], list[int]]:
    """The corpus.jsonl bytes of the records of these digests, in pieces: the lines `fresh` holds (by row) as they
    are, the others carried from the previous corpus.jsonl, each run of them lying one after another there taken as
    one span of it (not a line at a time); and each record's line length."""
    rows = carried.rows_of(digests, fresh)
    offsets, lengths = carried.column("legacy_offset", rows), carried.column("legacy_length", rows)
    for row, line in fresh.items():
        lengths[row] = len(line)
    starts = piece_starts(rows < 0, np.zeros(len(rows), np.int64), offsets, lengths)
    return carried_bytes(fresh, lambda row: carried.legacy, offsets, lengths, starts), lengths.tolist()


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
