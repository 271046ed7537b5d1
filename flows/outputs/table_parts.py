"""articles.parquet and paragraphs.parquet as folders of parts, each part written once.

Parts are cut where the articles' ids say, not every N rows: a part ends after an article whose `doc_id` ends in
CUT_SUFFIX once it holds MIN_PART_ARTICLES articles, and after MAX_PART_ARTICLES in any case. So articles added,
changed or removed change only the parts they fall in (and at most the next), whatever comes before them. A part
whose rows a previous run wrote the same (its fingerprint: a digest of its Arrow rows) is hard-linked from that
run's folder instead of being written again; the state keeps each part's fingerprint, how it was made, file and
SHA-256 (`state/table_parts.parquet`), so an incremental run writes and hashes only the parts that changed (each as
its bytes are written), and a rebuild writes the same files. A part written again whose CARRIED_COLUMN a previous part
holds the same (its fingerprint in the index since session 39) takes that column's encoded bytes from the previous
file (flows/outputs/column_carry.py): the same bytes, the texts not encoded again. Fingerprints are XXH3-128 digests; an older state's (no `algorithm` column) are
BLAKE2b's, which a run makes too while it links from such a state.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from flows import __version__
from flows.outputs.column_carry import write_table_carrying
from flows.outputs.files import sha256_written, write_table
from flows.outputs.schema import SCHEMA_VERSION

PARTED_TABLES = ("articles.parquet", "paragraphs.parquet")
PARTS_FILE = "table_parts.parquet"
PARTS = pa.schema(
    [
        ("table", pa.string()),
        ("fingerprint", pa.binary(16)),
        ("name", pa.string()),
        ("sha256", pa.string()),
        ("algorithm", pa.string()),
        ("text_fingerprint", pa.binary(16)),
    ]
)
# How this run makes its parts' fingerprints, and how a state written before the index named it made them.
FINGERPRINT, OLDER_FINGERPRINT = "xxh3_128", "blake2b"
# The column a written part carries as its encoded bytes from a previous part holding the same values (most of a
# part's bytes, and of its encoding: a part whose rows' memberships changed most often keeps its texts).
CARRIED_COLUMN = "text"
# One id in 4,096 ends a part: parts of about MIN_PART_ARTICLES + 4,096 articles (15-20 MB of articles.parquet).
CUT_SUFFIX = "000"
MIN_PART_ARTICLES, MAX_PART_ARTICLES = 1_024, 16_384
# What the bytes of a part's file depend on besides its rows: the fingerprint mixes it in, so a part is never linked
# from a run that wrote it another way.
WRITER = f"copydesk {__version__} schema {SCHEMA_VERSION} pyarrow {pa.__version__} zstd".encode()


def part_starts(
    doc_ids: pa.ChunkedArray | pa.Array, min_articles: int = MIN_PART_ARTICLES, max_articles: int = MAX_PART_ARTICLES
) -> list[int]:
    """The first article of each part, for articles in this order: after an id ending in CUT_SUFFIX once a part holds
    `min_articles`, after `max_articles` in any case; always [0] first (one empty part for no articles)."""
    ends = np.flatnonzero(pc.ends_with(doc_ids, CUT_SUFFIX).to_numpy(zero_copy_only=False)) + 1
    starts, count = [0], len(doc_ids)
    for end in [*ends.tolist(), count]:
        while end - starts[-1] > max_articles:
            starts.append(starts[-1] + max_articles)
        if end - starts[-1] >= min_articles and end < count:
            starts.append(end)
    return starts


def table_files(path: Path) -> str:
    """What DuckDB's `read_parquet` reads for a published table: its parts' pattern for a folder of parts (schema 4),
    else the file (an older run's)."""
    return str(path / "*.parquet" if path.is_dir() else path)


def part_bytes(table: pa.Table) -> pa.Buffer:
    """A part's schema and rows as one Arrow IPC batch of columns copied anew (so chunks, slice offsets and what a
    sliced buffer holds past its rows do not matter): what its fingerprints digest."""
    columns = [
        pa.concat_arrays(column.chunks) if column.num_chunks else column.combine_chunks() for column in table.columns
    ]
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_batch(pa.record_batch(columns, schema=table.schema))
    return sink.getvalue()


def _xxh3_128(data: pa.Buffer) -> bytes:
    digest = xxhash.xxh3_128(WRITER)
    digest.update(data)
    return digest.digest()


def _blake2b(data: pa.Buffer) -> bytes:
    digest = hashlib.blake2b(WRITER, digest_size=16)
    digest.update(data)
    return digest.digest()


# Each way of making a fingerprint: a 128-bit digest of how the file is written (WRITER) and of the part's bytes.
DIGESTS: dict[str, Callable[[pa.Buffer], bytes]] = {FINGERPRINT: _xxh3_128, OLDER_FINGERPRINT: _blake2b}


def fingerprints(table: pa.Table, algorithms: Collection[str]) -> dict[str, bytes]:
    """A part's fingerprint made each of these ways, from its bytes (`part_bytes`) made once."""
    data = part_bytes(table)
    return {algorithm: DIGESTS[algorithm](data) for algorithm in algorithms}


def column_fingerprint(table: pa.Table, name: str) -> bytes:
    """A column's fingerprint: an XXH3-128 digest of how the file is written, the column's name and its values
    (`part_bytes` of the column alone)."""
    digest = xxhash.xxh3_128(WRITER + b" column " + name.encode())
    digest.update(part_bytes(table.select([name])))
    return digest.digest()


@dataclass(frozen=True)
class PreviousPart:
    """A part the previous run wrote: its file in that run's folder, its SHA-256 and its CARRIED_COLUMN's fingerprint
    (None in a state written before session 39)."""

    path: Path
    sha256: str
    column: bytes | None = None


@dataclass
class PreviousParts:
    """A table's parts the previous run wrote, by fingerprint, for each way its fingerprints were made, and by the
    fingerprint of their CARRIED_COLUMN (none in a state written before session 39)."""

    by_algorithm: dict[str, dict[bytes, PreviousPart]] = field(default_factory=dict)
    by_column: dict[bytes, PreviousPart] = field(default_factory=dict)

    def find(self, digests: Mapping[str, bytes]) -> PreviousPart | None:
        """The previous part of one of these fingerprints (by how each was made), if any."""
        for algorithm, parts in self.by_algorithm.items():
            part = parts.get(digests[algorithm])
            if part is not None:
                return part
        return None


def previous_parts(state_folder: Path | None) -> dict[str, PreviousParts]:
    """The previous run's parts by table (none without its state folder or its parts index); an index written
    before it named how its fingerprints were made holds OLDER_FINGERPRINT's, and one written before session 39 no
    column fingerprints."""
    index = state_folder / PARTS_FILE if state_folder else None
    if index is None or not index.is_file():
        return {}
    rows = pq.read_table(index)
    if "algorithm" not in rows.column_names:
        rows = rows.append_column("algorithm", pa.repeat(pa.scalar(OLDER_FINGERPRINT), rows.num_rows))
    if "text_fingerprint" not in rows.column_names:
        rows = rows.append_column("text_fingerprint", pa.nulls(rows.num_rows, pa.binary(16)))
    found: dict[str, PreviousParts] = {}
    for table, digest, name, sha256, algorithm, column in zip(
        *rows.select(PARTS.names).to_pydict().values(), strict=True
    ):
        parts = found.setdefault(table, PreviousParts())
        part = PreviousPart(state_folder.parent / table / name, sha256, column)
        parts.by_algorithm.setdefault(algorithm, {})[digest] = part
        if column is not None:
            parts.by_column[column] = part
    return found


@dataclass
class PartedTable:
    """One parted table of the run being written (its folder `name` in the run folder `staged`): its parts in order,
    each linked from the previous run when it holds the same rows, else written (its CARRIED_COLUMN's bytes copied
    from a previous part holding the same values), and each one's SHA-256 (a linked part's as the previous run
    recorded it, a written part's taken from its bytes as they are written)."""

    staged: Path
    name: str
    previous: PreviousParts
    fingerprints: list[bytes] = field(default_factory=list)
    column_fingerprints: list[bytes] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)  # SHA-256 of each part, by its path in the run folder

    def __post_init__(self) -> None:
        (self.staged / self.name).mkdir()

    def add(self, table: pa.Table) -> None:
        """Write the next part (or link the previous run's file of the same rows, or carry the encoded CARRIED_COLUMN
        of the previous run's file of the same values); its fingerprint is made this run's way and each way the
        previous run's were; its CARRIED_COLUMN's fingerprint is the linked part's, else made."""
        digests = fingerprints(table, {FINGERPRINT, *self.previous.by_algorithm})
        path = self._path(len(self.fingerprints))
        self.fingerprints.append(digests[FINGERPRINT])
        part = self.previous.find(digests)
        if part is not None and _linked(part.path, self.staged / path):
            self.sha256[path] = part.sha256
            self.column_fingerprints.append(part.column or column_fingerprint(table, CARRIED_COLUMN))
            return
        column = column_fingerprint(table, CARRIED_COLUMN)
        self.column_fingerprints.append(column)
        carried = self.previous.by_column.get(column)
        sources = {CARRIED_COLUMN: carried.path} if carried is not None else {}
        self.sha256[path] = sha256_written(write_table_carrying, table, sources, self.staged / path)

    def files(self) -> list[str]:
        """The parts' paths in the run folder (`articles.parquet/00000.parquet`, ...), in order."""
        return [self._path(number) for number in range(len(self.fingerprints))]

    def _path(self, number: int) -> str:
        return f"{self.name}/{number:05d}.parquet"


def _linked(source: Path, target: Path) -> bool:
    """Hard-link a previous run's part into this run's folder; False when it is gone or cannot be linked."""
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def write_parts_index(state_folder: Path, tables: Iterable[PartedTable]) -> None:
    """Write each part's table, fingerprint, file name, SHA-256, how its fingerprint was made and its CARRIED_COLUMN's
    fingerprint into the run's state folder."""
    rows = [
        (parted.name, digest, Path(path).name, parted.sha256[path], FINGERPRINT, column)
        for parted in tables
        for digest, path, column in zip(parted.fingerprints, parted.files(), parted.column_fingerprints, strict=True)
    ]
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in PARTS.names]
    write_table(pa.table(dict(zip(PARTS.names, columns, strict=True)), schema=PARTS), state_folder / PARTS_FILE)
