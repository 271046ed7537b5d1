"""The syndicated copies' alignments kept in the state, so a run aligns only the pairs of copies it has not seen.

What two copies print in each other's place (`cleaners.spelling.copy_substitutions`) depends on their texts alone:
the state keeps, for every pair of copies a run judged, the two paragraphs' digests and the words each prints in the
other's place. A later run recalls the pairs it still has and aligns only new ones; pairs it no longer has are
dropped. File: state/vocabulary/alignments.parquet (beside the vocabulary, flows/state/vocabulary_store.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.spelling import Substitutions, aligned_substitutions, copy_substitutions, text_words
from cleaners.word_blocks import CodedWords
from flows.stages.column_texts import ColumnTexts

ALIGNMENTS_FILE = "alignments.parquet"
ALIGNMENTS = pa.schema(
    [
        ("first", pa.string()),
        ("second", pa.string()),
        ("first_words", pa.list_(pa.string())),
        ("second_words", pa.list_(pa.string())),
    ]
)
# Each pair of copies (its two paragraphs' digests, in the order aligned) and what it showed.
StoredAlignments = dict[tuple[str, str], Substitutions]


def paragraph_digest(text: str) -> str:
    """Names a paragraph's text in the state."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CopyAligner:
    """Aligns pairs of copies, recalling what an earlier run's alignment of the same two texts gave; keeps every
    pair it was asked for (`used`, the next run's store) and counts those it aligned anew (`aligned`). The words of
    the texts of the pairs it is told to expect (`expect`) that the store lacks are coded all at once
    (`CodedWords`), each text's once however many pairs it is in; a pair of other texts is coded when asked."""

    def __init__(self, stored: StoredAlignments, copies: Iterable[tuple[str, str]] = ()) -> None:
        self.stored = stored
        self.used: StoredAlignments = {}
        self.aligned = 0
        self.codes: dict[str, np.ndarray] = {}
        self.word_codes: dict[str, int] = {}
        self.expect(copies)

    def expect(self, copies: Iterable[tuple[str, str]]) -> None:
        """Code the texts of these pairs the store lacks, in place of those of the pairs expected before (a text
        of those keeps its codes)."""
        self.digests: dict[str, str] = {}
        unaligned = {
            text: None
            for first, second in copies
            if (self.digest(first), self.digest(second)) not in self.stored
            for text in (first, second)
        }
        fresh = [text for text in unaligned if text not in self.codes]
        coded = CodedWords.of((text_words(text) for text in fresh), codes=self.word_codes)
        self.codes = {text: self.codes[text] for text in unaligned if text in self.codes} | dict(
            zip(fresh, coded.texts)
        )
        self.spellings = coded.spellings

    def __call__(self, first: str, second: str) -> Substitutions:
        """What the copies print in each other's place, first copy's side first."""
        key = (self.digest(first), self.digest(second))
        substitutions = self.stored.get(key)
        if substitutions is None:
            if first in self.codes and second in self.codes:
                substitutions = aligned_substitutions(self.codes[first], self.codes[second], self.spellings)
            else:
                substitutions = copy_substitutions(first, second)
            self.aligned += 1
        self.used[key] = substitutions
        return substitutions

    def digest(self, text: str) -> str:
        """The text's `paragraph_digest`, worked out once."""
        digest = self.digests.get(text)
        if digest is None:
            digest = self.digests[text] = paragraph_digest(text)
        return digest


def write_alignments(folder: Path, alignments: StoredAlignments) -> None:
    """Write the alignments into a state folder, one row a pair in digest order."""
    keys = sorted(alignments)
    table = pa.table(
        {
            "first": [first for first, _ in keys],
            "second": [second for _, second in keys],
            "first_words": [[word for word, _ in alignments[key]] for key in keys],
            "second_words": [[other for _, other in alignments[key]] for key in keys],
        },
        schema=ALIGNMENTS,
    )
    pq.write_table(table, folder / ALIGNMENTS_FILE)


def load_alignments(folder: Path) -> StoredAlignments:
    """Read the alignments of a state folder; a state without them (an older run) gives none, so every pair is
    aligned again."""
    path = folder / ALIGNMENTS_FILE
    if not path.is_file():
        return {}
    columns = pq.read_table(path, schema=ALIGNMENTS).to_pydict()
    return {
        (first, second): tuple(zip(first_words, second_words))
        for first, second, first_words, second_words in zip(*(columns[name] for name in ALIGNMENTS.names))
    }


# How many pairs of copies `copy_texts` makes Python strings of at once.
COPIES_AT_ONCE = 16384


def copy_texts(
    texts: ColumnTexts, pairs: np.ndarray, aligner: CopyAligner, at_once: int = COPIES_AT_ONCE
) -> Iterator[tuple[str, str]]:
    """The texts of each pair of positions (rows of an (m, 2) array), `at_once` pairs' made Python strings at a
    time, each chunk's expected by the aligner before it is given."""
    for start in range(0, len(pairs), at_once):
        chunk = pairs[start : start + at_once]
        copies = list(zip(texts.take(chunk[:, 0]), texts.take(chunk[:, 1])))
        aligner.expect(copies)
        yield from copies
