"""Stored spelling: the decisions a run applied and each article they changed (its paragraphs and corrections, by
identity), kept in the state so the next run applies its decisions only to articles finished otherwise since, and
to those holding a word or span whose decision came, went or changed; every other article carries its stored
result."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.letter_runs import longest_runs
from cleaners.spelling import (
    STANDING_ALONE,
    SpellingDecision,
    alternations,
    decided_word,
    matching_any,
    named_digest,
)
from dedup.cores import usable_cores
from dedup.sorted_sets import distinct
from flows.outputs.files import write_table
from flows.stages.chunked import chunks_of, take_rows
from flows.stages.column_texts import ColumnTexts, taken
from flows.stages.prepared import Identity
from flows.stages.run_files import DECISIONS_FILE, read_decisions
from flows.stages.shards import link_or_copy
from flows.stages.spelled import SPELLED, read_spelled
from flows.state.alignment_store import DIGEST, digest_bytes
from flows.state.finished import FinishedCleaning, Lineage

SPELLED_FILE = "spelled.parquet"
IDENTITY = [("source_path", pa.string()), ("doc_id", pa.string())]
# Each article the decisions changed, by identity: its spelled paragraphs and its corrections.
STORED = pa.schema([*IDENTITY, *(field for field in SPELLED if field.name != "row")])
# How many articles the plan compares with the previous run's at a time.
COMPARE_ROWS = 10_000


@dataclass(frozen=True)
class StoredSpelling:
    """The previous run's decisions (None: none stored, so every article is spelled again) and its spelled rows."""

    decisions: dict[str, SpellingDecision] | None = None
    spelled: pa.Table = field(default_factory=STORED.empty_table)


@dataclass
class SpellingPlan:
    """What the correct stage does with each article of the run's finished table: the rows to apply the decisions
    to, and the stored rows carried as they are (in the shards' schema, `row` naming this run's row)."""

    applying: list[int]
    carried: pa.Table


def load_spelling(folder: Path) -> StoredSpelling:
    """The stored decisions and spelled rows of a state folder (none when the state has no spelling stored)."""
    if not (folder / SPELLED_FILE).exists() or not (folder / DECISIONS_FILE).exists():
        return StoredSpelling()
    spelled = pq.read_table(folder / SPELLED_FILE).cast(STORED)  # its row groups' chunks, never joined
    return StoredSpelling(read_decisions(folder / DECISIONS_FILE), spelled)


def write_spelling(folder: Path, decisions: Path, spelled: Path) -> None:
    """Link this run's decisions file and spelled rows into the state folder."""
    link_or_copy(decisions, folder / DECISIONS_FILE)
    link_or_copy(spelled, folder / SPELLED_FILE)


def plan_spelling(
    table: pa.Table,
    lineage: Lineage,
    decisions: dict[str, SpellingDecision],
    languages: Collection[str],
    finished: FinishedCleaning,
    stored: StoredSpelling,
) -> SpellingPlan:
    """Which articles of the finished table `table` (rows from the previous table's as `lineage` says) the decisions
    are applied to, and which stored rows carry: an article in a language with a word list is spelled again unless
    its paragraphs and language are as the previous run finished them and it holds no word or span whose decision
    changed."""
    spellable = pc.and_(pc.is_null(table["rejection"]), pc.is_in(table["language"], pa.array(sorted(languages))))
    if stored.decisions is None:
        return SpellingPlan(pc.indices_nonzero(spellable).to_pylist(), SPELLED.empty_table())
    unchanged = pc.and_(spellable, _as_finished_before(table, lineage, finished))
    stored_rows = _rows_of(stored.spelled, lineage, finished)
    changed = _changed_keys(stored.decisions, decisions)
    touched = _touched_rows(table, stored.spelled, stored_rows, changed)
    keep = pc.and_(unchanged, pc.invert(touched))
    applying = pc.indices_nonzero(pc.and_(spellable, pc.invert(keep))).to_pylist()
    carrying = stored_rows >= 0
    carrying[carrying] = keep.to_numpy(zero_copy_only=False).astype(bool)[stored_rows[carrying]]
    carried = stored.spelled.filter(pa.array(carrying)).append_column("row", pa.array(stored_rows[carrying]))
    return SpellingPlan(applying, carried.select(SPELLED.names))


def spelled_this_run(plan: SpellingPlan, shards: list[Path]) -> pa.Table:
    """The articles the decisions changed in this run, in the shards' schema: those carried and those the
    apply-spelling tasks changed (their shards)."""
    return pa.concat_tables([plan.carried, read_spelled(shards)])


def write_stored(table: pa.Table, spelled: pa.Table, target: Path) -> Path:
    """Write the articles the decisions changed (`spelled`, rows of the finished table `table`) by identity, for
    the state, to `target`; return it."""
    identities = take_rows(table.select([name for name, _ in IDENTITY]), spelled["row"].to_numpy())
    write_table(
        pa.Table.from_arrays([*identities.columns, *spelled.drop_columns("row").columns], schema=STORED), target
    )
    return target


def _as_finished_before(table: pa.Table, lineage: Lineage, finished: FinishedCleaning) -> pa.Array:
    """Per row of `table`: whether the previous run finished the article with the same paragraphs and language (no
    rejection): so is every carried row that is no rejection now; the others finished before are compared
    COMPARE_ROWS at a time, their previous rows taken without joining the stored parts (flows/stages/chunked.py)."""
    as_before = lineage.carried & pc.is_null(table["rejection"]).to_numpy(zero_copy_only=False).astype(bool)
    compared = np.flatnonzero(~lineage.carried & (lineage.previous >= 0))
    now, then = table.select(["paragraphs", "language"]), finished.table.select(["paragraphs", "language", "rejection"])
    for start in range(0, len(compared), COMPARE_ROWS):
        rows = compared[start : start + COMPARE_ROWS]
        as_before[rows[_same_rows(take_rows(now, rows), take_rows(then, lineage.previous[rows]))]] = True
    return pa.array(as_before)


def _rows_at(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """The table's rows at `rows` (increasing): the table itself when they are all of its rows."""
    return table if len(rows) == table.num_rows else table.take(pa.array(rows, pa.int64()))


def _same_rows(now: pa.Table, then: pa.Table) -> np.ndarray:
    """The positions of the rows of `now` whose row beside it in `then` (the previous run's) is no rejection and
    has the same paragraphs and language."""
    same = pc.and_(
        pc.is_null(then["rejection"]),
        pc.equal(pc.fill_null(now["language"], ""), pc.fill_null(then["language"], "")),
    )
    now, then = now["paragraphs"], then["paragraphs"]
    same = pc.fill_null(pc.and_(same, pc.equal(pc.list_value_length(now), pc.list_value_length(then))), False)
    compared = np.flatnonzero(same.to_numpy(zero_copy_only=False))
    if len(compared) < len(now):  # the others' paragraphs left out, so the two sides' paragraphs pair up
        now, then = _rows_at(pa.table({"p": now}), compared)["p"], _rows_at(pa.table({"p": then}), compared)["p"]
    differing = pc.not_equal(pc.list_flatten(now), pc.list_flatten(then))
    unequal = pc.filter(pc.list_parent_indices(now), differing).to_numpy()
    return np.delete(compared, unequal)


def _rows_of(spelled: pa.Table, lineage: Lineage, finished: FinishedCleaning) -> np.ndarray:
    """Each stored row's row in this run's table, by its identity's row in the previous one (-1: the article is
    gone)."""
    before = np.array([finished.rows.get(identity, -1) for identity in _identities(spelled)], np.int64)
    rows, known = np.full(len(before), -1, np.int64), before >= 0
    rows[known] = lineage.rows_now(finished.table.num_rows)[before[known]]
    return rows


def _identities(table: pa.Table) -> Iterator[Identity]:
    """Each row's article identity (flows/state/line_counts.py)."""
    return zip(table["source_path"].to_pylist(), table["doc_id"].to_pylist())


def _changed_keys(before: dict[str, SpellingDecision], after: dict[str, SpellingDecision]) -> set[str]:
    """The decisions' keys that came, went, or fix to another replacement, rule or confidence."""
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def _touched_rows(table: pa.Table, spelled: pa.Table, stored_at: np.ndarray, changed: set[str]) -> pa.Array:
    """Per row of `table`: whether the article may hold a word or span whose decision changed. A fix applies to a
    whole word or span, so each of its letter runs is a whole letter run of the text it is applied to: a paragraph
    as finished, or with span fixes made, where a word is whole in the stored spelled paragraph, or was fixed (a
    stored correction's original). A paragraph-only key applies only in the paragraph of its digest. The paragraphs
    as finished are searched once for the words of both kinds of key; each kind is then looked for in those found."""
    if not changed:
        return pa.repeat(False, table.num_rows)
    paragraphs = table["paragraphs"]  # its chunks, never joined: past 2 GB of text they cannot be
    rows = pa.array(stored_at, pa.int64(), mask=stored_at < 0)
    corrections = pc.list_flatten(spelled["corrections"])
    everywhere = {key for key in changed if decided_word(key) == key}
    scoped = changed - everywhere
    texts = ColumnTexts(pc.list_flatten(paragraphs))
    found = np.flatnonzero(_holding(texts.column, everywhere | {decided_word(key) for key in scoped}, usable_cores()))
    found_texts = texts.take(found).column
    stored_texts = chunks_of([pc.list_flatten(spelled["paragraphs"]), pc.struct_field(corrections, "original")])
    stored_owners = chunks_of(
        [
            pc.take(rows, pc.list_parent_indices(spelled["paragraphs"])),
            pc.take(rows, pc.list_parent_indices(spelled["corrections"])),
        ]
    )
    owners = pc.list_parent_indices(paragraphs)
    touched = [
        pc.take(owners, pa.array(found[_holding(found_texts, everywhere)])),
        pc.filter(stored_owners, pa.array(_holding(stored_texts, everywhere))),
    ]
    if scoped:
        counts = pc.fill_null(pc.list_value_length(paragraphs), 0).to_numpy()
        firsts = pa.array(np.cumsum(counts) - counts)  # each article's first paragraph among the flattened ones
        corrected = pc.take(rows, pc.list_parent_indices(spelled["corrections"]))
        fixed_at = pc.drop_null(pc.add(pc.take(firsts, corrected), pc.struct_field(corrections, "para_idx")))
        holding = found[_holding(found_texts, {decided_word(key) for key in scoped})]
        digests = pc.list_flatten(table["paragraph_digests"])
        named = _scoped_paragraphs(digests, holding, fixed_at.to_numpy().astype(np.int64), scoped)
        touched.append(pc.take(owners, pa.array(named, pa.int64())))
    return _mask(pc.unique(pc.drop_null(chunks_of(touched))), table.num_rows)


def _scoped_paragraphs(
    digests: pa.ChunkedArray, holding: np.ndarray, fixed_at: np.ndarray, scoped: set[str]
) -> np.ndarray:
    """The positions of the paragraphs that paragraph-only keys name by digest (every paragraph's, as the finished
    table carries them) among those holding a letter run of their word as finished (`holding`) or that had a fix
    (`fixed_at`): with span fixes made, a paragraph may hold the word where it does not as finished."""
    positions = distinct(np.concatenate([holding, fixed_at]))
    positions = positions[positions < len(digests)]
    named = {digest for key in scoped if len(digest := named_digest(key)) == 16 and digest.isascii()}
    return positions[np.isin(digest_bytes(taken(digests, positions)), np.array(sorted(named), DIGEST))]


def _holding(texts: pa.ChunkedArray | pa.Array, words: Collection[str], threads: int = 1) -> np.ndarray:
    """Per text: whether it holds, as a whole letter run, the longest letter run of one of the words (a word
    without letters is never applied); searched on `threads` threads."""
    return matching_any(texts, alternations(sorted(longest_runs(words)), STANDING_ALONE), threads)


def _mask(rows: pa.Array, size: int) -> pa.Array:
    """A boolean array of `size` true at `rows`."""
    return pc.is_in(pa.array(np.arange(size, dtype=np.int64)), value_set=rows.cast(pa.int64()))
