"""The syndicated copies' alignments kept in the state, so a run aligns only the pairs of copies it has not seen.

What two copies print in each other's place (`cleaners.spelling.copy_substitutions`) depends on their texts alone:
the state keeps, for every pair of copies a run judged, the two paragraphs' digests and the words each prints in the
other's place. A later run finds its pairs among them by digest, reading no text, and aligns only new ones; pairs it
no longer has are dropped. File: state/vocabulary/alignments.parquet (beside the vocabulary,
flows/state/vocabulary_store.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.spelling import (
    COUNT_CHUNK_TEXTS,
    FACINGS,
    pairs_substitution_columns,
    paragraph_digests,
    summed_facings,
    word_lists,
)
from cleaners.word_blocks import CodedColumn
from dedup.lookup import KeyIndex, rows_or_missing
from flows.stages.column_texts import ColumnTexts, taken

ALIGNMENTS_FILE = "alignments.parquet"
# A row a pair of copies (its two paragraphs' digests, in the order aligned) and what it showed, in digest order.
ALIGNMENTS = pa.schema(
    [
        ("first", pa.string()),
        ("second", pa.string()),
        ("first_words", pa.list_(pa.string())),
        ("second_words", pa.list_(pa.string())),
    ]
)
# A paragraph_digest as bytes: 16 hexadecimal digits.
DIGEST = "S16"
# How many new pairs of copies have their words coded at once.
COPIES_AT_ONCE = 16384
# Each text's words, an Arrow list a text (`cleaners.spelling.word_lists`).
WORD_LISTS = pa.list_(pa.string())


# Each byte's value as a lowercase hex digit.
_HEX_VALUES = np.zeros(256, np.uint8)
_HEX_VALUES[np.frombuffer(b"0123456789abcdef", np.uint8)] = np.arange(16, dtype=np.uint8)


def digest_numbers(digests: np.ndarray) -> np.ndarray:
    """Each DIGEST's 16 hex digits as the 64-bit number they write (uint64): numbers that sort as the digests do as
    bytes, and that numpy sorts, groups and searches faster than 16-byte strings. Two digits a byte, read big-endian."""
    digits = _HEX_VALUES[np.ascontiguousarray(digests, DIGEST).view(np.uint8).reshape(-1, 16)]
    packed = np.ascontiguousarray((digits[:, 0::2] << 4) | digits[:, 1::2])
    return packed.view(">u8").ravel().astype(np.uint64)


def text_digests(texts: ColumnTexts) -> np.ndarray:
    """Every text's `paragraph_digest` (as DIGEST bytes), by position, hashed from the column's bytes, the digests of
    COUNT_CHUNK_TEXTS texts made strings at a time."""
    column = texts.column
    digests = [
        np.array(paragraph_digests(column.slice(start, COUNT_CHUNK_TEXTS)), DIGEST)
        for start in range(0, len(column), COUNT_CHUNK_TEXTS)
    ]
    return np.concatenate([np.empty(0, DIGEST), *digests])


@dataclass(frozen=True)
class SplitWords:
    """Texts' words split before (by the finishing tasks, `flows.state.vocabulary_store.split_words`), found by
    digest: each text's DIGEST bytes and, at the same row, its words (WORD_LISTS, as the tasks' files map them)."""

    digests: np.ndarray
    words: pa.ChunkedArray

    def coded(self, texts: ColumnTexts, digests: np.ndarray, positions: np.ndarray) -> CodedColumn:
        """The words of the texts at these positions coded together, in their order (`digests`: every text's
        `text_digests`): those split before taken from their rows, the others split now."""
        rows = self.digest_index.rows_or_missing(digests[positions])
        split_before = rows >= 0
        split_now = word_lists(texts.take(positions[~split_before]))
        coded = CodedColumn.of_lists(pa.chunked_array([*taken(self.words, rows[split_before]).chunks, split_now]))
        order = np.concatenate([np.flatnonzero(split_before), np.flatnonzero(~split_before)])
        return coded.reordered(np.argsort(order))

    @functools.cached_property
    def digest_index(self) -> KeyIndex:
        """The digests sorted once for every chunk of texts looked up among them (sorting them a chunk at a time
        grew with the corpus times its pairs)."""
        return KeyIndex.of(self.digests)


NO_SPLIT_WORDS = SplitWords(np.empty(0, DIGEST), pa.chunked_array([], WORD_LISTS))


@dataclass(frozen=True)
class AlignedPairs:
    """A run's pairs of copies aligned: the alignments to keep (ALIGNMENTS, a row each distinct pair of texts),
    each pair's row among them, in the pairs' order, and how many rows were aligned anew (not recalled)."""

    table: pa.Table
    rows: np.ndarray
    aligned: int

    @functools.cached_property
    def shown_words(self) -> np.ndarray:
        """How many substitutions each row of the table holds (0: its pair prints every word alike)."""
        return pc.list_value_length(self.table.column("first_words")).to_numpy(zero_copy_only=False)

    def facings(self) -> pa.Table:
        """What the pairs' words face in their copies, summed over the pairs (`cleaners.spelling.FACINGS`, as
        `copy_facings` gives for `copies`), by Arrow: each distinct pair of texts' words once, weighted by its pairs."""
        pairs = np.bincount(self.rows, minlength=self.table.num_rows)
        showing = self.table.filter(pa.array((pairs > 0) & (self.shown_words > 0)))
        weights = pairs[(pairs > 0) & (self.shown_words > 0)]
        first_words, second_words = showing.column("first_words"), showing.column("second_words")
        parents = pc.list_parent_indices(first_words)
        first, second = pc.list_flatten(first_words), pc.list_flatten(second_words)
        counts = pa.array(weights[parents.to_numpy()], pa.int64())
        sides = [
            pa.Table.from_arrays([first, second, showing.column("first").take(parents), counts], schema=FACINGS),
            pa.Table.from_arrays([second, first, showing.column("second").take(parents), counts], schema=FACINGS),
        ]
        return summed_facings(sides)


def align_pairs(
    stored: pa.Table,
    texts: ColumnTexts,
    digests: np.ndarray,
    pairs: np.ndarray,
    at_once: int = COPIES_AT_ONCE,
    split: SplitWords = NO_SPLIT_WORDS,
) -> AlignedPairs:
    """Align each pair of positions of `texts` (rows of an (m, 2) array; `digests`, their `text_digests`): a pair
    of texts the `stored` alignments hold is recalled by digest, any other aligned, `at_once` pairs' words coded at
    a time (a text's words taken from `split` when it holds them, else split from the text)."""
    keys = _keys(digests[pairs[:, 0]], digests[pairs[:, 1]])
    distinct, first_pair, rows = np.unique(keys, return_index=True, return_inverse=True)  # digest order
    known = _keys(digest_bytes(stored.column("first")), digest_bytes(stored.column("second")))
    stored_rows = rows_or_missing(known, distinct)
    found = stored_rows >= 0
    fresh = np.flatnonzero(~found)
    new = _aligned_anew(texts, digests, pairs[first_pair[fresh]], at_once, split)
    taken_rows = np.empty(len(distinct), dtype=np.int64)
    taken_rows[found] = stored_rows[found]
    taken_rows[fresh] = stored.num_rows + np.arange(len(fresh))
    table = pa.concat_tables([stored.cast(ALIGNMENTS), new]).take(taken_rows)
    return AlignedPairs(table, rows.reshape(-1), len(fresh))


def _keys(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Each pair's two digests joined into one bytes key, which sorts as the pair (first, then second)."""
    joined = np.empty((len(first), 2), dtype=DIGEST)
    joined[:, 0], joined[:, 1] = first, second
    return joined.view("S32").reshape(-1)


def digest_bytes(digests: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The state's digest strings as DIGEST bytes, read from their buffer (no Python object a digest)."""
    fixed = digests.cast(pa.binary(16))
    fixed = fixed.combine_chunks() if isinstance(fixed, pa.ChunkedArray) else fixed
    if not len(fixed):
        return np.empty(0, DIGEST)
    return np.frombuffer(fixed.buffers()[1], DIGEST, len(fixed), fixed.offset * 16)


def _aligned_anew(
    texts: ColumnTexts, digests: np.ndarray, pairs: np.ndarray, at_once: int, split: SplitWords
) -> pa.Table:
    """The alignments (ALIGNMENTS rows) of these pairs of positions, `at_once` pairs' words (`split.coded`) coded
    together at a time (each distinct text's once), each chunk's rows made Arrow as it is aligned."""
    tables = [ALIGNMENTS.empty_table()]
    for start in range(0, len(pairs), at_once):
        chunk = pairs[start : start + at_once]
        columns = [_digest_strings(digests[chunk[:, 0]]), _digest_strings(digests[chunk[:, 1]])]
        tables.append(
            pa.Table.from_arrays([*columns, *_substituted_words(texts, digests, chunk, split)], schema=ALIGNMENTS)
        )
    return pa.concat_tables(tables)


def _substituted_words(
    texts: ColumnTexts, digests: np.ndarray, chunk: np.ndarray, split: SplitWords
) -> tuple[pa.ListArray, pa.ListArray]:
    """What each pair of positions of the chunk prints in the other's place, their distinct texts' words coded
    together (`cleaners.spelling.pairs_substitution_columns`), as the ALIGNMENTS columns of the first's words and
    the second's."""
    positions, places = np.unique(chunk, return_inverse=True)
    coded = split.coded(texts, digests, positions)
    return pairs_substitution_columns(
        coded.codes, coded.starts, coded.ends, places.reshape(chunk.shape), coded.spellings
    )


def _digest_strings(digests: np.ndarray) -> pa.Array:
    """DIGEST bytes as the strings the state keeps."""
    return pa.array(digests, pa.binary(16)).cast(pa.string())


def write_alignments(folder: Path, alignments: pa.Table) -> None:
    """Write the alignments (ALIGNMENTS rows) into a state folder."""
    pq.write_table(alignments, folder / ALIGNMENTS_FILE)


def load_alignments(folder: Path) -> pa.Table:
    """Read the alignments of a state folder; a state without them (an older run) gives none, so every pair is
    aligned again."""
    path = folder / ALIGNMENTS_FILE
    if not path.is_file():
        return ALIGNMENTS.empty_table()
    return pq.read_table(path, schema=ALIGNMENTS)
