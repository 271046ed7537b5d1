"""The texts of the stored vocabulary's paragraphs, kept in parts a run carries by hard link, so a run writes only
the texts it counted anew.

Files: state/vocabulary/texts/NNNNNN.parquet, the parts (each text with its `text_keys` key, so a later run reads
the keys instead of hashing every stored text), and state/vocabulary/occurrences.parquet, each counted paragraph's
digest, occurrences, part (the number its file is named by) and row in it, in digest order. A run links the parts
that still hold a counted text into its own state and writes one part of the texts it counted anew; it writes every
text again as one part when the texts no longer counted outgrow IDLE_TEXT_SHARE of those counted, or the parts
MAX_TEXT_PARTS. A state written before parts (state/vocabulary/paragraphs.parquet: digest, occurrences, text) reads
as one part without keys: its texts are hashed once as they are read, and the file is carried as a part.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dedup.text_hash import column_hashes
from flows.stages.column_texts import taken
from flows.stages.shards import link_or_copy

TEXTS_FOLDER = "texts"
OCCURRENCES_FILE = "occurrences.parquet"
UNPARTED_FILE = "paragraphs.parquet"
TEXT = pa.large_string()
KEY = pa.binary(16)
NO_KEYS = pa.array([], KEY)
TEXT_PART = pa.schema([("text", TEXT), ("key", KEY)])
OCCURRENCES = pa.schema(
    [("digest", pa.string()), ("occurrences", pa.int64()), ("part", pa.int32()), ("row", pa.int64())]
)
# How a part is written: the texts neither compressed nor dictionary-encoded (each is distinct). At 110,000 articles
# (433,552 texts) Snappy made the file 151 MB instead of 219 but cost 0.78 CPU s to write and 0.5-0.9 to read,
# against 0.15-0.26 and 0.13-0.17 (session 27).
PART_ENCODING = {"compression": {"text": "none", "key": "none"}, "use_dictionary": False}
# Every text written again as one part past this share of texts no longer counted (to those counted), or past this
# many parts: the parts a run reads hold at most a quarter more texts than it counts.
IDLE_TEXT_SHARE = 0.25
MAX_TEXT_PARTS = 64


def text_keys(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each text's 128-bit `dedup.text_hash.text_hashes`, as 16 bytes: what the store finds a text by (hashed from
    the column's buffers; two texts the hash does not tell apart, at 128 bits, are left out of account)."""
    hashes = np.ascontiguousarray(column_hashes(texts))
    return pa.FixedSizeBinaryArray.from_buffers(KEY, len(hashes), [None, pa.py_buffer(hashes)])


@dataclass(frozen=True)
class TextParts:
    """Stored texts as files: each part's path, number and length, in the order their texts stand in the column of
    stored texts read from them."""

    paths: tuple[Path, ...] = ()
    numbers: tuple[int, ...] = ()
    lengths: tuple[int, ...] = ()

    def starts(self) -> np.ndarray:
        """Each part's first row in the column of stored texts."""
        return np.cumsum(self.lengths, dtype=np.int64) - np.asarray(self.lengths, np.int64)

    def places(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The part (its index here) and the row in it of each of these rows of the column of stored texts."""
        starts = self.starts()
        parts = np.searchsorted(starts, rows, side="right") - 1
        return parts, rows - starts[parts]

    def next_number(self) -> int:
        """The number a new part is named by: past every part's."""
        return max(self.numbers, default=-1) + 1


@dataclass(frozen=True)
class ReadTexts:
    """What the stored texts read as: each counted paragraph's digest, occurrences and row in `texts`, the texts of
    every part one after another, their keys, and the parts."""

    counted: pa.Table
    texts: pa.ChunkedArray
    keys: pa.Array
    parts: TextParts


def read_texts(folder: Path) -> ReadTexts | None:
    """The counted paragraphs and stored texts of a vocabulary folder (None: it holds none)."""
    if (folder / OCCURRENCES_FILE).exists():
        return _read_parts(folder)
    if (folder / UNPARTED_FILE).exists():
        return _read_unparted(folder / UNPARTED_FILE)
    return None


def _read_parts(folder: Path) -> ReadTexts:
    """The counted paragraphs of occurrences.parquet, their rows found in the parts read one after another."""
    occurrences = pq.read_table(folder / OCCURRENCES_FILE, schema=OCCURRENCES)
    paths = tuple(sorted((folder / TEXTS_FOLDER).glob("*.parquet")))
    read = [_read_part(path) for path in paths]
    numbers = tuple(int(path.stem) for path in paths)
    parts = TextParts(paths, numbers, tuple(len(texts) for texts, _ in read))
    starts = parts.starts()
    index_of = np.zeros(max(numbers, default=0) + 1, np.int64)
    index_of[list(numbers)] = np.arange(len(numbers))
    rows = starts[index_of[occurrences["part"].to_numpy()]] + occurrences["row"].to_numpy()
    counted = _counted(occurrences["digest"], occurrences["occurrences"], rows)
    texts = pa.chunked_array([chunk for texts, _ in read for chunk in texts.chunks], TEXT)
    keys = pa.concat_arrays([NO_KEYS, *(keys for _, keys in read)])
    return ReadTexts(counted, texts, keys, parts)


def _read_part(path: Path) -> tuple[pa.ChunkedArray, pa.Array]:
    """A part's texts and their keys (hashed here for a part written without them)."""
    has_keys = "key" in pq.read_schema(path).names
    table = pq.read_table(path, columns=["text", "key"] if has_keys else ["text"])
    texts = table["text"].cast(TEXT)  # a state written with string texts reads as large_string
    keys = table["key"].combine_chunks() if has_keys else text_keys(texts)
    return texts, keys


def _read_unparted(path: Path) -> ReadTexts:
    """A vocabulary written before parts: its paragraphs file, its texts in digest order, as part 0."""
    paragraphs = pq.read_table(path, columns=["digest", "occurrences", "text"])
    texts = paragraphs["text"].cast(TEXT)
    counted = _counted(paragraphs["digest"], paragraphs["occurrences"], np.arange(len(texts), dtype=np.int64))
    return ReadTexts(counted, texts, text_keys(texts), TextParts((path,), (0,), (len(texts),)))


def _counted(digests: pa.ChunkedArray, occurrences: pa.ChunkedArray, rows: np.ndarray) -> pa.Table:
    """The counted paragraphs (digest, occurrences, row) as the store holds them."""
    columns = [digests.cast(pa.string()), occurrences.cast(pa.int64()), pa.array(rows, pa.int64())]
    return pa.table(columns, names=["digest", "occurrences", "row"])


@dataclass(frozen=True)
class TextsToWrite:
    """The counted paragraphs to store (digest, occurrences, row in `texts`, in digest order), the column of texts
    and keys they point into, and each one's row among the stored `parts`' texts (-1: counted anew)."""

    counted: pa.Table
    texts: pa.ChunkedArray
    keys: pa.Array | None
    stored_rows: np.ndarray
    parts: TextParts


def write_texts(folder: Path, written: TextsToWrite, rows_at_once: int) -> None:
    """Write the counted paragraphs' texts into a vocabulary folder: the stored parts holding one linked and the new
    texts written as a part (`rows_at_once` a slice), or every text as one part when the stored ones would keep too
    many texts idle."""
    (folder / TEXTS_FOLDER).mkdir()
    kept = _kept(written)
    parts, rows = written.parts.places(written.stored_rows[kept])
    for part in np.unique(parts).tolist():
        link_or_copy(written.parts.paths[part], _part_path(folder, written.parts.numbers[part]))
    fresh = np.flatnonzero(~kept)
    number = written.parts.next_number()
    if len(fresh):
        _write_part(_part_path(folder, number), written, written.counted["row"].to_numpy()[fresh], rows_at_once)
    numbers = np.full(written.counted.num_rows, number, np.int32)
    numbers[kept] = np.asarray(written.parts.numbers, np.int32)[parts]
    places = np.empty(written.counted.num_rows, np.int64)
    places[kept], places[fresh] = rows, np.arange(len(fresh))
    columns = [written.counted["digest"], written.counted["occurrences"], pa.array(numbers), pa.array(places)]
    pq.write_table(pa.Table.from_arrays(columns, schema=OCCURRENCES), folder / OCCURRENCES_FILE)


def _kept(written: TextsToWrite) -> np.ndarray:
    """Per counted paragraph: whether its text stays in the stored part holding it; none does when the parts
    holding one would keep more than IDLE_TEXT_SHARE idle, or be more than MAX_TEXT_PARTS with the new one."""
    kept = written.stored_rows >= 0
    holding = np.unique(written.parts.places(written.stored_rows[kept])[0])
    idle = int(np.asarray(written.parts.lengths, np.int64)[holding].sum()) - int(kept.sum())
    if len(holding) + 1 > MAX_TEXT_PARTS or idle > IDLE_TEXT_SHARE * written.counted.num_rows:
        return np.zeros_like(kept)
    return kept


def _part_path(folder: Path, number: int) -> Path:
    """The file of the part named by `number`."""
    return folder / TEXTS_FOLDER / f"{number:06d}.parquet"


def _write_part(target: Path, written: TextsToWrite, rows: np.ndarray, rows_at_once: int) -> None:
    """Write the texts at `rows` of the column (with their keys, hashed here when none came) as a part, a slice of
    `rows_at_once` texts at a time."""
    with pq.ParquetWriter(target, TEXT_PART, **PART_ENCODING) as writer:
        for part in _part_slices(written, rows, rows_at_once):
            writer.write_table(part, row_group_size=rows_at_once)


def _part_slices(written: TextsToWrite, rows: np.ndarray, rows_at_once: int) -> Iterator[pa.Table]:
    """The texts at `rows` and their keys, `rows_at_once` at a time: only a slice's texts taken at once."""
    for start in range(0, len(rows), rows_at_once):
        chosen = rows[start : start + rows_at_once]
        texts = taken(written.texts, chosen).cast(TEXT)
        keys = text_keys(texts) if written.keys is None else pc.take(written.keys, pa.array(chosen))
        yield pa.Table.from_arrays([texts, keys], schema=TEXT_PART)
