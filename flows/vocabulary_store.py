"""The spelling evidence kept in the state, so a run counts only the paragraphs that changed.

The vocabulary is a sum over the in-language paragraphs a run spells: the state keeps that multiset (each distinct
paragraph's digest, occurrences and text) and the sums it gave (`cleaners.spelling.Evidence`, one row per kind and
item). A later run diffs its paragraphs against the stored ones, counts only the difference (a paragraph gone or
rewritten is counted again with a negative weight) and adds it to the stored sums, so the evidence equals a count
from scratch. Files: state/vocabulary/paragraphs.parquet and state/vocabulary/counts.parquet; beside them the copies'
alignments (flows/alignment_store.py), the other evidence a later run recalls instead of working out again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.spelling import Evidence, count_evidence
from flows.alignment_store import StoredAlignments, load_alignments, paragraph_digest, write_alignments
from flows.progress import NO_PROGRESS, Ticker, ticking

VOCABULARY_FOLDER = "vocabulary"
PARAGRAPHS = pa.schema([("digest", pa.string()), ("occurrences", pa.int64()), ("text", pa.string())])
COUNTS = pa.schema([("kind", pa.string()), ("item", pa.string()), ("count", pa.int64())])
KINDS = tuple(kind.name for kind in fields(Evidence))


@dataclass(frozen=True)
class StoredVocabulary:
    """The paragraphs counted (digest, occurrences, text), the evidence they sum to (kind, item, count) and what
    each pair of copies judged prints in the other's place."""

    paragraphs: pa.Table
    counts: pa.Table
    alignments: StoredAlignments = field(default_factory=dict)

    def evidence(self) -> Evidence:
        """The stored sums as counters, each in (kind, item) order (the rows of one kind read as two columns)."""
        evidence = Evidence()
        for kind in KINDS:
            rows = self.counts.filter(pc.equal(self.counts.column("kind"), kind))
            getattr(evidence, kind).update(dict(zip(rows.column("item").to_pylist(), rows.column("count").to_pylist())))
        return evidence


EMPTY_VOCABULARY = StoredVocabulary(PARAGRAPHS.empty_table(), COUNTS.empty_table())


def updated_vocabulary(
    stored: StoredVocabulary, texts: Counter[str], progress: Ticker = NO_PROGRESS
) -> StoredVocabulary:
    """The stored vocabulary brought up to these paragraphs (text: occurrences): only paragraphs whose occurrences
    changed are counted, by how much they changed, and added to the stored sums (`progress` sees them counted); the
    stored alignments are kept for the judging to recall."""
    current = pa.table(
        {
            "digest": [paragraph_digest(text) for text in texts],
            "occurrences": list(texts.values()),
            "text": list(texts),
        },
        schema=PARAGRAPHS,
    )
    joined = current.join(
        stored.paragraphs, "digest", join_type="full outer", left_suffix="_now", right_suffix="_before"
    )
    change = pc.subtract(
        pc.fill_null(joined.column("occurrences_now"), 0), pc.fill_null(joined.column("occurrences_before"), 0)
    )
    changed = pc.not_equal(change, 0)
    changed_texts = pc.coalesce(joined.column("text_now"), joined.column("text_before")).filter(changed)
    weighted = zip(changed_texts.to_pylist(), change.filter(changed).to_pylist())
    progress.phase("counting words", len(changed_texts), "paragraphs")
    weighted = ticking(weighted, progress.advance)
    return StoredVocabulary(current.sort_by("digest"), added_counts(stored.counts, weighted), stored.alignments)


def added_counts(counts: pa.Table, weighted_texts: Iterable[tuple[str, int]]) -> pa.Table:
    """Stored sums (kind, item, count) with these texts' evidence added, each times its weight (negative for a
    paragraph taken away); what falls to zero is dropped."""
    delta = count_evidence(weighted_texts)
    rows = [(kind, item, count) for kind in KINDS for item, count in getattr(delta, kind).items() if count]
    delta_table = pa.table(
        {name: [row[index] for row in rows] for index, name in enumerate(COUNTS.names)}, schema=COUNTS
    )
    summed = (
        pa.concat_tables([counts, delta_table])
        .group_by(["kind", "item"])
        .aggregate([("count", "sum")])
        .select(["kind", "item", "count_sum"])
        .rename_columns(COUNTS.names)
    )
    summed = summed.filter(pc.greater(summed.column("count"), 0))
    return summed.sort_by([("kind", "ascending"), ("item", "ascending")]).cast(COUNTS)


def write_vocabulary(state_folder: Path, stored: StoredVocabulary) -> None:
    """Write the vocabulary into a run folder's state."""
    folder = state_folder / VOCABULARY_FOLDER
    folder.mkdir()
    pq.write_table(stored.paragraphs, folder / "paragraphs.parquet")
    pq.write_table(stored.counts, folder / "counts.parquet")
    write_alignments(folder, stored.alignments)


def load_vocabulary(state_folder: Path) -> StoredVocabulary:
    """Read the vocabulary of a run folder's state; a state without one (an older run) gives an empty one, so the
    next run counts every paragraph."""
    folder = state_folder / VOCABULARY_FOLDER
    if not folder.is_dir():
        return EMPTY_VOCABULARY
    paragraphs = pq.read_table(folder / "paragraphs.parquet", schema=PARAGRAPHS)
    counts = pq.read_table(folder / "counts.parquet", schema=COUNTS)
    return StoredVocabulary(paragraphs, counts, load_alignments(folder))
