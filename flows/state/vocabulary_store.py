"""The spelling evidence kept in the state, so a run counts only the paragraphs that changed.

The vocabulary is a sum over the in-language paragraphs a run spells: the state keeps that multiset (each distinct
paragraph's digest, occurrences and text) and the sums it gave (`cleaners.spelling.Evidence`, one row per kind and
item). A later run diffs its paragraphs against the stored ones, counts only the difference (a paragraph gone or
rewritten is counted again with a negative weight) and adds it to the stored sums, so the evidence equals a count
from scratch. Files: state/vocabulary/counts.parquet, and the paragraphs' occurrences and texts, in parts a run carries
by link (flows/state/vocabulary_texts.py); beside them the copies' alignments (flows/state/alignment_store.py), the
other evidence a later run recalls instead of working out again.

The finishing tasks count the paragraphs they finish where they are, on every core: each leaves beside its finished
shard a folder (`counted_folder`) of the evidence rows of its in-language paragraphs (`counts.parquet`, a row group a
hash partition of the items, so that the stage's sum in passes reads each row once), the digest
and occurrences of each text it counted with the text's `text_keys` key (`paragraphs.arrow`, by which the stage finds
the text's digest instead of hashing it again) and each such text's words as counting split them
(`words.arrow`, which the stage's aligning of copies takes instead of splitting the texts again). The stage adds
those sums and counts itself only what the tasks' counts leave out: the old paragraphs of articles finished again or
deleted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import feather

from cleaners.spelling import (
    COUNT_CHUNK_TEXTS,
    EVIDENCE_KINDS,
    EVIDENCE_ROWS,
    evidence_chunks,
    evidence_table,
    paragraph_digest,
)
from dedup.lookup import sorted_string_places
from dedup.text_hash import column_hashes
from flows.runtime.memory import bounded_duckdb
from flows.runtime.progress import NO_PROGRESS, Ticker, ticking
from flows.stages.chunked import chunks_of
from flows.stages.cleaned import one_array
from flows.stages.column_texts import ColumnTexts
from flows.stages.handoffs import handoff_folder, map_arrow, write_arrow, write_handoff
from flows.state.alignment_store import (
    ALIGNMENTS,
    DIGEST,
    WORD_LISTS,
    SplitWords,
    digest_bytes,
    digest_numbers,
    load_alignments,
    text_digests,
    write_alignments,
)
from flows.state.vocabulary_texts import TextParts, TextsToWrite, read_texts, text_keys, write_texts

VOCABULARY_FOLDER = "vocabulary"
# The texts large_string as the cleaned paragraphs' are (a state written with string ones reads as these).
PARAGRAPHS = pa.schema([("digest", pa.string()), ("occurrences", pa.int64()), ("text", pa.large_string())])
COUNTS = EVIDENCE_ROWS
# What a finishing task counted: each distinct text's digest and its occurrences in the task's articles.
COUNTED = pa.schema([("digest", pa.string()), ("occurrences", pa.int64())])
# ... as its file holds it, with each text's `text_keys` key: the stage finds a text's digest by it, not hashing again.
TASK_COUNTED = pa.schema([*COUNTED, ("key", pa.binary(16))])
# Each text a finishing task counted, by digest, with its words: the spelling stage aligns copies on them. Written
# uncompressed (the file the stage maps, reading only the texts of the pairs it aligns).
SPLIT = pa.schema([("digest", pa.string()), ("words", WORD_LISTS)])
SPLIT_FILE = "words.arrow"
# The paragraphs counted as the flow holds them: each text's row in a column of texts, not the text.
COUNTED_ROWS = pa.schema([*COUNTED, ("row", pa.int64())])
# How many paragraphs' texts the stored vocabulary is written with at a time.
WRITE_ROWS = 65_536
# Rows of evidence DuckDB sums in one pass; more are summed a range of the items' hash partitions a pass: at
# 1,000,000 articles (212 million rows, 3.5 million items) one pass runs out of DUCKDB_MEMORY_BYTES (sessions 19, 38).
SUM_PASS_ROWS = 50_000_000
# The hash partitions of the items (`item_parts`): a task's rows are written a partition a row group, in order, and a
# pass sums a range of them, DuckDB reading only its row groups (not every row again each pass, nor filtering them).
ITEM_PARTS = 16
# Evidence rows with their item's partition, as the tasks' files hold them.
PARTED_COUNTS = pa.schema([*COUNTS, ("part", pa.uint8())])
COUNTS_FILE = "counts.parquet"
# The run's change to the sums: the flow's own rows and the tasks' files, each item once (of the partitions from
# `{low}` up to `{high}`).
_CHANGE = """
SELECT kind, item, sum(count)::BIGINT AS count
FROM (SELECT * FROM here UNION ALL SELECT * FROM tasks)
WHERE part >= {low} AND part < {high}
GROUP BY kind, item
HAVING sum(count) <> 0
"""


@dataclass(frozen=True)
class StoredVocabulary:
    """The paragraphs counted (COUNTED_ROWS: digest, occurrences, and the row of each one's text in `texts`: this
    run's own column of paragraphs, not copied, or the stored texts as read), the evidence they sum to (kind, item,
    count) and what each pair of copies judged prints in the other's place; `text_keys`, the `text_keys` of `texts`
    when known (read with the store, on the state's reading thread while the match stage runs, or worked out by the
    stage); `stored_rows`, each counted paragraph's row among the texts of the stored `parts` (-1: none), which
    the store carries instead of writing again (None: the counted rows, `texts` being the parts' texts)."""

    counted: pa.Table
    texts: pa.ChunkedArray
    counts: pa.Table
    alignments: pa.Table = field(default_factory=ALIGNMENTS.empty_table)
    text_keys: pa.Array | None = None
    stored_rows: np.ndarray | None = None
    parts: TextParts = field(default_factory=TextParts)

    @property
    def paragraphs(self) -> pa.Table:
        """The paragraphs counted (PARAGRAPHS: digest, occurrences, text), whole: what two vocabularies are compared
        by, however their texts are kept."""
        taken = ColumnTexts(self.texts).take(self.counted["row"].to_numpy()).column.cast(pa.large_string())
        return pa.Table.from_arrays([self.counted["digest"], self.counted["occurrences"], taken], schema=PARAGRAPHS)

    @property
    def part_rows(self) -> np.ndarray:
        """Each counted paragraph's row among the texts of the stored parts (-1: none holds it)."""
        return self.counted.column("row").to_numpy() if self.stored_rows is None else self.stored_rows

    def digests_of(
        self, texts: ColumnTexts, counted: Sequence[Path] = (), keys_of_texts: pa.Array | None = None
    ) -> np.ndarray:
        """Every text's `text_digests`: a text the store or a finishing task (its `counted` folder) counted takes the
        digest kept for it (found by its `text_keys`, `keys_of_texts` when the caller made them, among the stored
        texts' and the tasks', no string made in Python nor compared), only the others are hashed."""
        keys = text_keys(self.texts) if self.text_keys is None else self.text_keys
        by_tasks = _tasks_counted(counted)
        stored_keys = keys.take(self.counted.column("row"))
        known_keys = chunks_of([stored_keys, by_tasks.column("key")], pa.binary(16)).combine_chunks()
        known_digests = np.concatenate([digest_bytes(self.counted.column("digest")), digest_bytes(by_tasks["digest"])])
        asked = text_keys(texts.column) if keys_of_texts is None else keys_of_texts
        found = pc.fill_null(pc.index_in(asked, value_set=known_keys), -1).to_numpy()
        known = found >= 0
        digests = np.empty(len(texts), DIGEST)
        digests[known] = known_digests[found[known]]
        hashed = np.flatnonzero(~known)
        digests[hashed] = text_digests(texts.take(hashed))
        return digests


EMPTY_VOCABULARY = StoredVocabulary(
    COUNTED_ROWS.empty_table(), pa.chunked_array([], pa.large_string()), COUNTS.empty_table()
)


def updated_vocabulary(
    stored: StoredVocabulary,
    texts: ColumnTexts,
    positions: np.ndarray,
    progress: Ticker = NO_PROGRESS,
    counted: Sequence[Path] = (),
    spill: Path | None = None,
    digests: np.ndarray | None = None,
    keys: pa.Array | None = None,
) -> StoredVocabulary:
    """The stored vocabulary brought up to the paragraphs at `positions` of `texts` (repeats counted): only
    paragraphs whose occurrences changed are counted, by how much they changed, and added to the stored sums with
    what the finishing tasks counted in the `counted` folders (DuckDB spilling into `spill`, when given;
    `progress` sees the paragraphs this process counts); the stored alignments are kept for the judging to recall.
    Paragraphs are joined by digest alone (as the 64-bit numbers their hex digits write, `digest_numbers`, by numpy:
    no digest made a string to group or join), and a changed paragraph's text is taken (from `texts`, or from the
    store for one gone) only when it is counted here; the paragraphs to store keep each one's position in `texts`,
    whose column they hold (the texts are taken from it only as they are written) and each one's row among the
    stored texts, if it has one (the store carries those).
    `digests` and `keys` are the texts' `text_digests` and `text_keys` when the caller has them."""
    digests = text_digests(texts) if digests is None else digests
    now = _occurrences(digest_numbers(digests[positions]), positions)
    before = _Occurrences(
        digest_numbers(digest_bytes(stored.counted.column("digest"))),
        stored.counted.column("occurrences").to_numpy(),
        stored.counted.column("row").to_numpy(),
    )
    by_tasks = _tasks_counted(counted)
    tasks = _summed(digest_numbers(digest_bytes(by_tasks.column("digest"))), by_tasks["occurrences"].to_numpy())
    union, places = _union([now.numbers, before.numbers, tasks.numbers])
    here, held = np.zeros(len(union), bool), np.zeros(len(union), bool)
    here[places[0]], held[places[1]] = True, True
    if not (here | held)[places[2]].all():
        counted, tasks = (), _NO_OCCURRENCES  # a text neither here nor stored: count it all here
        places[2] = places[2][:0]
    change = np.zeros(len(union), np.int64)
    change[places[0]] += now.occurrences
    change[places[1]] -= before.occurrences
    change[places[2]] -= tasks.occurrences
    rows_now, rows_before = np.full(len(union), -1, np.int64), np.full(len(union), -1, np.int64)
    rows_now[places[0]], rows_before[places[1]] = now.rows, before.rows
    differs = np.flatnonzero(change)
    changed = pa.table(
        {
            "row_now": pa.array(rows_now[differs], mask=~here[differs]),
            "row_before": pa.array(rows_before[differs], pa.int64()),
            "change": pa.array(change[differs], pa.int64()),
        }
    )
    progress.phase("counting words", changed.num_rows, "paragraphs")
    weighted = ticking(_weighted_texts(changed, texts, ColumnTexts(stored.texts)), progress.advance)
    counts = added_counts(stored.counts, weighted, counted, spill)
    part_rows_before = np.full(len(union), -1, np.int64)
    part_rows_before[places[1]] = stored.part_rows
    paragraphs = pa.Table.from_arrays(  # in digest order: the union's numbers' order is their digests' as bytes
        [pa.array(digests[now.rows]).cast(pa.string()), pa.array(now.occurrences), pa.array(now.rows)],
        schema=COUNTED_ROWS,
    )
    return StoredVocabulary(
        paragraphs, texts.column, counts, stored.alignments, keys, part_rows_before[here], stored.parts
    )


@dataclass(frozen=True)
class _Occurrences:
    """Distinct texts by their digests' numbers (`digest_numbers`, sorted), each one's occurrences and its row."""

    numbers: np.ndarray
    occurrences: np.ndarray
    rows: np.ndarray


_NO_OCCURRENCES = _Occurrences(np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int64))


def _occurrences(numbers: np.ndarray, positions: np.ndarray) -> _Occurrences:
    """The distinct texts at some positions (ascending) of a column, by their digests' `numbers`: how often each
    stands there and its first position."""
    distinct, first, counts = np.unique(numbers, return_index=True, return_counts=True)
    return _Occurrences(distinct, counts.astype(np.int64), positions[first].astype(np.int64))


def _summed(numbers: np.ndarray, occurrences: np.ndarray) -> _Occurrences:
    """The distinct texts of rows counted apart (by their digests' `numbers`), their occurrences summed (no row)."""
    distinct, inverse = np.unique(numbers, return_inverse=True)
    sums = np.zeros(len(distinct), np.int64)
    np.add.at(sums, inverse, occurrences)
    return _Occurrences(distinct, sums, np.full(len(distinct), -1, np.int64))


def _union(numbers: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sorted distinct numbers of some sorted distinct arrays, and where each array's stand among them: the
    arrays' runs merged by a stable sort (a merge of sorted runs, where `np.unique` of them all sorts anew)."""
    merged = np.sort(np.concatenate(numbers), kind="stable")
    union = merged[np.r_[True, merged[1:] != merged[:-1]]] if len(merged) else merged
    return union, [np.searchsorted(union, part) for part in numbers]


def _tasks_counted(counted: Sequence[Path]) -> pa.Table:
    """Each text the finishing tasks counted (TASK_COUNTED rows: digest, occurrences, key), over all their folders."""
    tables = [feather.read_table(folder / "paragraphs.arrow") for folder in counted]
    return pa.concat_tables([TASK_COUNTED.empty_table(), *tables])


def _weighted_texts(changed: pa.Table, texts: ColumnTexts, stored_texts: ColumnTexts) -> Iterator[tuple[str, int]]:
    """Each changed paragraph's text (this run's, or the store's for a paragraph gone) with its change, the texts
    taken a chunk at a time (each column's chunks taken apart, never joined)."""
    for start in range(0, changed.num_rows, COUNT_CHUNK_TEXTS):
        chunk = changed.slice(start, COUNT_CHUNK_TEXTS)
        rows_now = chunk.column("row_now")
        here = pc.is_valid(rows_now)
        now_texts = iter(texts.take(rows_now.filter(here).to_numpy()))
        gone_texts = iter(stored_texts.take(chunk.column("row_before").filter(pc.invert(here)).to_numpy()))
        for is_here, weight in zip(here.to_pylist(), chunk.column("change").to_pylist()):
            yield next(now_texts) if is_here else next(gone_texts), weight


def added_counts(
    counts: pa.Table,
    weighted_texts: Iterable[tuple[str, int]],
    counted: Sequence[Path] = (),
    spill: Path | None = None,
) -> pa.Table:
    """Stored sums (kind, item, count, sorted) with these texts' evidence added, each times its weight (negative for
    a paragraph taken away), and the evidence the finishing tasks counted in the `counted` folders: the change is
    summed by DuckDB (the tasks' files read in place, on every core, in bounded memory spilling into `spill`, a
    range of the items' partitions a pass, a pass per SUM_PASS_ROWS rows), then added to the stored sums
    (`with_change`); what falls to zero is dropped."""
    here = parted(evidence_table(weighted_texts))
    files = [str(folder / COUNTS_FILE) for folder in counted]
    rows = here.num_rows + sum(pq.read_metadata(file).num_rows for file in files)
    passes = min(-(-rows // SUM_PASS_ROWS), ITEM_PARTS)
    bounds = [ITEM_PARTS * number // passes for number in range(passes + 1)] if passes else [0, ITEM_PARTS]
    with bounded_duckdb(spill) as db:
        db.register("here", here)
        if files:
            db.read_parquet(files).create_view("tasks")
        else:
            db.register("tasks", PARTED_COUNTS.empty_table())
        parts = [db.sql(_CHANGE.format(low=low, high=high)).to_arrow_table() for low, high in pairwise(bounds)]
    return with_change(counts.cast(COUNTS), pa.concat_tables([COUNTS.empty_table(), *parts]).cast(COUNTS))


def item_parts(items: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Each item's hash partition (of ITEM_PARTS), from its 128-bit `column_hashes`: the same in every process."""
    return (column_hashes(items)[:, 0] % np.uint64(ITEM_PARTS)).astype(np.uint8)


def parted(rows: pa.Table) -> pa.Table:
    """Evidence rows (COUNTS) ordered by their items' partitions (`item_parts`, a stable sort), with the partition."""
    parts = item_parts(rows.column("item"))
    order = np.argsort(parts, kind="stable")
    return rows.cast(COUNTS).take(order).append_column("part", pa.array(parts[order], pa.uint8()))


def write_parted(rows: pa.Table, path: Path) -> None:
    """Write evidence rows as Parquet, a row group each partition of their items (in order, none empty; only the
    partition's statistics kept, only the kinds and partitions dictionary-coded, LZ4: the cheapest to write of the
    ways measured, since every finishing task writes one)."""
    table = parted(rows)
    bounds = np.searchsorted(table.column("part").to_numpy(), np.arange(ITEM_PARTS + 1)).tolist()
    coded = ["kind", "part"]
    with pq.ParquetWriter(
        path, PARTED_COUNTS, compression="lz4", use_dictionary=coded, write_statistics=["part"]
    ) as writer:
        for low, high in pairwise(bounds):
            if high > low:
                writer.write_table(table.slice(low, high - low), row_group_size=high - low)


def with_change(counts: pa.Table, change: pa.Table) -> pa.Table:
    """Sums sorted by (kind, item) with a change (rows of distinct items) added, still sorted, rows not above zero
    left out: each changed item found in its kind's sorted stored items by a binary search over the columns' bytes
    (no stored item hashed nor made a Python string), new items placed by the same search, so the stored rows are
    neither summed nor sorted again."""
    parts = []
    counts = counts.combine_chunks()  # one chunk, each kind's rows a slice of it (not copied again)
    for kind in sorted(EVIDENCE_KINDS):
        stored = _kind_rows(counts, kind)
        changed = change.filter(pc.equal(change.column("kind"), kind)).sort_by("item").combine_chunks()
        places, found = sorted_string_places(one_array(stored.column("item")), one_array(changed.column("item")))
        sums = stored.column("count").to_numpy().copy()
        sums[places[found]] += changed.column("count").to_numpy()[found]
        fresh = changed.filter(pa.array(~found))
        merged = pa.concat_tables([stored.set_column(2, "count", pa.array(sums, pa.int64())), fresh])
        parts.append(merged.take(_merge_order(stored.num_rows, places[~found])))
    summed = pa.concat_tables([COUNTS.empty_table(), *parts])
    kept = pc.greater(summed.column("count"), 0)
    return summed if pc.all(kept).as_py() else summed.filter(kept)  # filtered, the stored rows would be copied


def _kind_rows(counts: pa.Table, kind: str) -> pa.Table:
    """The rows of one kind of sums sorted by kind: a slice, not a copy."""
    rows = np.flatnonzero(pc.equal(counts.column("kind"), kind).to_numpy(zero_copy_only=False))
    return counts.slice(rows[0], len(rows)) if len(rows) else counts.slice(0, 0)


def _merge_order(stored: int, before: np.ndarray) -> np.ndarray:
    """Where to take each row of `stored` sorted rows followed by new rows (sorted) that go before the stored rows
    at `before`, so that all stand in order."""
    fresh = before + np.arange(len(before))
    order = np.empty(stored + len(before), dtype=np.int64)
    is_fresh = np.zeros(len(order), dtype=bool)
    is_fresh[fresh] = True
    order[fresh] = stored + np.arange(len(before))
    order[~is_fresh] = np.arange(stored)
    return order


def counted_folder(finished: Path) -> Path:
    """The folder of a finishing task's counted paragraphs, beside its finished shard."""
    return handoff_folder(finished, "vocabulary")


def write_counted(texts: Counter[str], folder: Path, digest_of: Mapping[str, bytes] | None = None) -> None:
    """Count these paragraphs (text: occurrences, at least one) into `folder` for the spelling stage to add up: their
    evidence rows (`write_parted`: DuckDB reads them in place, a range of partitions a pass), each text's digest with
    its occurrences and `text_keys` key (an Arrow IPC file, `write_handoff`), and each text's words as counting split
    them (SPLIT, for the stage's aligning). The rows are left as counted, chunk by chunk: the stage's sum over every
    task adds up an item's rows anyway. `digest_of`: each text's digest (DIGEST bytes), when the caller has them."""
    if digest_of is None:
        digests = pa.array([paragraph_digest(text) for text in texts], pa.string())
    else:
        digests = pa.array([digest_of[text] for text in texts], pa.binary(16)).cast(pa.string())
    keys = text_keys(pa.array(list(texts), pa.large_string()))
    occurrences = pa.array(texts.values(), pa.int64())
    paragraphs = pa.Table.from_arrays([digests, occurrences, keys], schema=TASK_COUNTED)
    chunks = list(evidence_chunks(texts.items()))
    counts = [part for chunk in chunks for part in chunk.rows]
    write_handoff({"paragraphs": paragraphs}, folder)
    write_parted(pa.concat_tables([COUNTS.empty_table(), *counts]), folder / COUNTS_FILE)
    words = pa.chunked_array([chunk.words for chunk in chunks], WORD_LISTS)
    write_arrow(pa.Table.from_arrays([digests, words], schema=SPLIT).to_batches(), SPLIT, folder / SPLIT_FILE)


def split_words(counted: Sequence[Path]) -> SplitWords:
    """The words the finishing tasks split their counted texts into (`write_counted`), by digest, their files
    mapped."""
    table = pa.concat_tables([SPLIT.empty_table(), *(map_arrow(folder / SPLIT_FILE) for folder in counted)])
    return SplitWords(digest_bytes(table.column("digest")), table.column("words"))


def write_vocabulary(state_folder: Path, stored: StoredVocabulary) -> None:
    """Write the vocabulary into a run folder's state."""
    folder = state_folder / VOCABULARY_FOLDER
    folder.mkdir()
    written = TextsToWrite(stored.counted, stored.texts, stored.text_keys, stored.part_rows, stored.parts)
    write_texts(folder, written, WRITE_ROWS)
    pq.write_table(stored.counts, folder / "counts.parquet")
    write_alignments(folder, stored.alignments)


def load_vocabulary(state_folder: Path) -> StoredVocabulary:
    """Read the vocabulary of a run folder's state; a state without one (an older run) gives an empty one, so the
    next run counts every paragraph."""
    folder = state_folder / VOCABULARY_FOLDER
    read = read_texts(folder) if folder.is_dir() else None
    if read is None:
        return EMPTY_VOCABULARY
    counts = pq.read_table(folder / "counts.parquet", schema=COUNTS)
    counted = read.counted.cast(COUNTED_ROWS)
    return StoredVocabulary(counted, read.texts, counts, load_alignments(folder), read.keys, parts=read.parts)
