"""Stored finished cleaning: each article's Document as the clean stage left it (before spelling), with the lines
it removed and those overrides spared, or the rejection cleaning gave it, and the keep-line overrides it was
finished under, with each paragraph's keys (its match key and its spelling digest, `with_paragraph_keys`) worked
out by the task that finished it. The flow takes the articles from the table as Arrow columns
(flows/stages/cleaned.py), without their removed and spared lines: only the write stage needs those, and it reads
them from the table; the match and spelling stages take the paragraphs' keys from it (`paragraph_keys`) instead of
hashing every paragraph again. A run finishes again only new and changed articles, those holding a line whose
learned status changed for their site, and those holding a line a changed keep-line override names; the rest are
carried over. The state keeps the table as parts (state/finished/part-NNNNN.arrow, flows/state/parts.py),
uncompressed Arrow IPC files the next run maps, so the articles it carries are the files' pages (which the kernel
may drop and read again), not the flow's own memory: a part whose rows a run carries unchanged is linked, the rest
written anew. Parquet parts (part-NNNNN.parquet, the layout before) and a state of the older layout (one
state/finished.parquet, read as a single part) are still read into memory and their rows written anew as Arrow IPC
parts, never linked: the state changes layout in one run. So are Arrow parts written before the paragraphs' keys
(state_version 7): their keys are worked out as they are read, and a part whose rows the run carries unchanged is
written anew whole (the parts keep their bounds, so the next run's table has the chunks it would have had, and the
tables written from it the same bytes).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.keep import NOTHING_KEPT, KeptLines
from dedup.text_signing import column_sip_keys
from flows.stages.chunked import take_rows
from flows.stages.cleaned import CLEANING_FACTS, Cleaned, from_finished
from flows.stages.column_texts import ColumnTexts
from flows.stages.handoffs import map_arrow
from flows.stages.prepared import Identity, RunArticles
from flows.stages.records import CleanedDocument, PreparedInput, Rejection
from flows.stages.shards import ARTICLE_METADATA, ARTICLE_ORIGIN, metadata_row
from flows.state.alignment_store import digest_bytes, text_digests
from flows.state.parts import ARROW, StoredParts, UnchangedParts, read_parts, unchanged_parts, write_with_links

FINISHED_FOLDER, KEPT_FILE = "finished", "kept_lines.parquet"
# The layout of states written before the table was kept as parts: read as one part.
FINISHED_FILE = "finished.parquet"
# Articles a part of the stored table holds; a run's parts of fewer are merged once there are more than
# MAX_SMALL_PARTS.
PART_ROWS = 1_000
MAX_SMALL_PARTS = 8
_strings = pa.list_(pa.string())
# Each paragraph's keys, in the order of its article's paragraphs: its `text_sip_keys` key (what the match stage
# finds its text by) and its `paragraph_digest` as DIGEST bytes (what the spelling stage counts it by).
PARAGRAPH_KEYS = [("paragraph_keys", pa.list_(pa.uint64())), ("paragraph_digests", pa.list_(pa.binary(16)))]
FINISHED = pa.schema(
    [
        *ARTICLE_ORIGIN,
        *ARTICLE_METADATA,
        ("paragraphs", _strings),
        ("removed_texts", _strings),
        ("removed_reasons", _strings),
        ("spared_texts", _strings),
        ("spared_reasons", _strings),
        ("spared_overrides", _strings),
        *CLEANING_FACTS,
        ("rejected_as", pa.string()),
        ("rejection", pa.string()),
        *PARAGRAPH_KEYS,
    ]
)
# ... as a task's rows are made, before their paragraphs' keys are worked out.
_UNKEYED = pa.schema([field for field in FINISHED if field.name not in dict(PARAGRAPH_KEYS)])
KEPT = pa.schema([("kind", pa.string()), ("target", pa.string()), ("override", pa.string())])


@dataclass
class FinishedCleaning:
    """The previous run's finished articles (the state's table) with each one's row by identity, the keep-line
    overrides they were finished under, and the parts the table was read from."""

    table: pa.Table = field(default_factory=FINISHED.empty_table)
    rows: dict[Identity, int] = field(default_factory=dict)
    kept: frozenset[tuple[str, str, str]] = frozenset()
    parts: StoredParts = field(default_factory=StoredParts)


def kept_rows(keep: KeptLines) -> frozenset[tuple[str, str, str]]:
    """The keep-line overrides as (kind, fingerprint or pattern, override id) rows."""
    return frozenset(
        [("line", fingerprint, override) for fingerprint, override in keep.by_fingerprint.items()]
        + [("pattern", pattern.pattern, override) for pattern, override in keep.patterns]
    )


def to_finish(
    articles: RunArticles,
    previous: FinishedCleaning,
    reread: Collection[str],
    changed: Mapping[str, set[str]],
    keep: KeptLines,
    spill: Path | None = None,
) -> list[int]:
    """The positions of the articles to finish again: new or changed ones, those holding a line whose learned
    status changed for their site (found by DuckDB, spilling into `spill`), and those holding a line a keep-line
    override added or removed since names."""
    overrides = _changed_overrides(previous.kept, kept_rows(keep))
    reread = set(reread)
    redo = [name not in previous.rows or name[0] in reread for name in articles.names]
    if not all(redo):
        for position in articles.holding(changed, spill):
            redo[position] = True
    if overrides is not NOTHING_KEPT:
        for position, lines in enumerate(articles.lines()):
            redo[position] = redo[position] or any(overrides.override_for(line) for line in lines if line)
    return [position for position, again in enumerate(redo) if again]


def _changed_overrides(before: frozenset[tuple[str, str, str]], after: frozenset[tuple[str, str, str]]) -> KeptLines:
    """The keep-line overrides that came or went, as lines to look for."""
    changed = before ^ after
    if not changed:
        return NOTHING_KEPT
    return KeptLines(
        {target: override for kind, target, override in changed if kind == "line"},
        tuple((re.compile(target), override) for kind, target, override in changed if kind == "pattern"),
    )


@dataclass
class Lineage:
    """Per row of a run's finished table: its row in the previous run's table (-1: a new article), and whether it is
    that row carried as it was (not finished again)."""

    previous: np.ndarray
    carried: np.ndarray

    def rows_now(self, previous_rows: int) -> np.ndarray:
        """Per row of the previous run's table (of `previous_rows` rows), its row in this run's (-1: gone)."""
        now = np.full(previous_rows, -1, dtype=np.int64)
        known = np.flatnonzero(self.previous >= 0)
        now[self.previous[known]] = known
        return now


@dataclass
class FinishedInOrder:
    """Every article's finished cleaning in the run's order: the cleaned articles' columns, the rejections, the
    table to store, and where each of its rows comes from."""

    cleaned: Cleaned
    rejections: list[Rejection]
    table: pa.Table
    lineage: Lineage


def in_order(names: list[Identity], fresh: pa.Table, previous: FinishedCleaning) -> FinishedInOrder:
    """Every article's finished cleaning in the order of `names`, fresh (rows of `fresh`) where finished again,
    else carried. The table's rows are taken as they are (spelling changes the cleaned columns later), keeping
    chunks, never joined (past 2 GB of paragraphs they cannot be, flows/stages/chunked.py): runs of fresh rows are
    slices of the mapped shards (read_finished), runs of carried rows slices of the stored parts (mapped too,
    once the state is of Arrow IPC parts)."""
    fresh_rows = rows_by_identity(fresh)
    carried_from = fresh.num_rows
    rows = np.array(
        [fresh_rows[key] if key in fresh_rows else carried_from + previous.rows[key] for key in names], np.int64
    )
    carried = rows >= carried_from
    before = np.where(carried, rows - carried_from, -1)
    for row in np.flatnonzero(~carried).tolist():
        before[row] = previous.rows.get(names[row], -1)
    table = take_rows(pa.concat_tables([fresh, previous.table]), rows)
    rejected = table.select(["rejected_as", "rejection"]).filter(pc.is_valid(table["rejection"])).to_pylist()
    rejections = [Rejection(row["rejected_as"], row["rejection"]) for row in rejected]
    return FinishedInOrder(from_finished(table), rejections, table, Lineage(before, carried))


def finished_table(prepared: list[PreparedInput], results: list[CleanedDocument | Rejection]) -> pa.Table:
    """The finished cleaning of each prepared article, as rows of the state's table in their order (with their
    paragraphs' keys)."""
    rows = [_row(item, result) for item, result in zip(prepared, results, strict=True)]
    return with_paragraph_keys(pa.Table.from_pylist(rows, _UNKEYED))


def with_paragraph_keys(table: pa.Table) -> pa.Table:
    """A finished table (its columns but the PARAGRAPH_KEYS) with each paragraph's keys worked out from its text,
    in the FINISHED schema: a chunk of the table at a time (never joined: past 2 GB of paragraphs it cannot be)."""
    table = table.drop_columns([name for name, _ in PARAGRAPH_KEYS if name in table.column_names])
    keys = [_keys_of(lists) for lists in table["paragraphs"].chunks]
    for at, (name, kind) in enumerate(PARAGRAPH_KEYS):
        table = table.append_column(pa.field(name, kind), pa.chunked_array([made[at] for made in keys], kind))
    return table.cast(FINISHED)


def _keys_of(lists: pa.ListArray) -> tuple[pa.ListArray, pa.ListArray]:
    """Each article's paragraphs' match keys and digests, as lists beside its paragraphs (null for a rejection)."""
    offsets = lists.offsets.to_numpy()
    texts = lists.values.slice(offsets[0], offsets[-1] - offsets[0])  # each text its offsets point to
    digests = text_digests(ColumnTexts(pa.chunked_array([texts])))
    values = [
        pa.array(column_sip_keys(texts), pa.uint64()),
        pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(digests), [None, pa.py_buffer(digests.tobytes())]),
    ]
    starts = pa.array(offsets - offsets[0], pa.int32())
    return tuple(pa.ListArray.from_arrays(starts, made, mask=lists.is_null()) for made in values)


@dataclass(frozen=True)
class ParagraphKeys:
    """Every cleaned paragraph's keys, in the order of the finished table's articles' paragraphs: its match key
    (uint64) and its spelling digest (DIGEST bytes)."""

    match: np.ndarray
    digests: np.ndarray


def paragraph_keys(table: pa.Table) -> ParagraphKeys:
    """The keys of the paragraphs of a finished table, as its rows hold them (no text hashed)."""
    match = pc.list_flatten(table["paragraph_keys"]).to_numpy()
    digests = digest_bytes(pc.list_flatten(table["paragraph_digests"]))
    paragraphs = pc.sum(pc.list_value_length(table["paragraphs"])).as_py() or 0
    if not len(match) == len(digests) == paragraphs:
        raise ValueError(f"{paragraphs} paragraphs hold {len(match)} match keys and {len(digests)} digests")
    return ParagraphKeys(match, digests)


def read_finished(paths: list[Path]) -> pa.Table:
    """The finished articles of the clean stage's shards (Arrow IPC files), as one table of their mapped pages."""
    return pa.concat_tables([FINISHED.empty_table(), *map(map_arrow, paths)])


def _read(path: Path) -> pa.Table:
    """A stored table of finished articles, in the FINISHED schema."""
    return keyed(pq.read_table(path))


def keyed(table: pa.Table) -> pa.Table:
    """A stored table of finished articles in the FINISHED schema: its paragraphs' keys worked out when it was
    written without them (an older layout)."""
    lacking = any(name not in table.column_names for name, _ in PARAGRAPH_KEYS)
    return with_paragraph_keys(table) if lacking else table.cast(FINISHED)


def rows_by_identity(table: pa.Table) -> dict[Identity, int]:
    """Each article's row in a table with `source_path` and `doc_id` columns, by identity."""
    names = table.select(["source_path", "doc_id"]).to_pydict()
    return {key: row for row, key in enumerate(zip(names["source_path"], names["doc_id"]))}


def spared_by_override(table: pa.Table) -> dict[str, int]:
    """How many lines each keep-line override spared from a rule, over the finished articles of the table."""
    overrides = pc.list_flatten(table["spared_overrides"])
    counts = pc.value_counts(overrides) if len(overrides) else []
    return {count["values"].as_py(): count["counts"].as_py() for count in counts}


def carried_parts(table: pa.Table, lineage: Lineage, previous: FinishedCleaning) -> UnchangedParts:
    """Which of the previous run's parts this run's finished table carries unchanged (linked, or written anew whole
    when they lack the paragraphs' keys): decided once the previous table is no longer needed otherwise, so the flow
    lets it go before the write stage."""
    positions = lineage.rows_now(previous.table.num_rows)
    return unchanged_parts(table, previous.table, previous.parts, positions, ARROW)


def write_finished(
    folder: Path, table: pa.Table, carried: UnchangedParts, keep: frozenset[tuple[str, str, str]]
) -> None:
    """Put the run's finished articles into the state folder as parts (the previous run's parts `carried` linked or
    renewed, the other rows written anew) with the keep-line overrides they were finished under."""
    write_with_links(table, carried, folder / FINISHED_FOLDER, PART_ROWS, MAX_SMALL_PARTS, ARROW)
    kept = [{"kind": kind, "target": target, "override": override} for kind, target, override in sorted(keep)]
    pq.write_table(pa.Table.from_pylist(kept, KEPT), folder / KEPT_FILE)


def load_finished(folder: Path) -> FinishedCleaning:
    """Read the stored finished articles (none when the state has none; one part from a state of the older
    layout)."""
    if (folder / FINISHED_FOLDER).is_dir():
        table, parts = read_parts(folder / FINISHED_FOLDER, FINISHED, keyed)
    elif (folder / FINISHED_FILE).exists():
        table = _read(folder / FINISHED_FILE)
        parts = StoredParts([folder / FINISHED_FILE], [table.num_rows])
    else:
        return FinishedCleaning()
    kept = frozenset(tuple(row.values()) for row in pq.read_table(folder / KEPT_FILE).to_pylist())
    return FinishedCleaning(table, rows_by_identity(table), kept, parts)


def _row(item: PreparedInput, finished: CleanedDocument | Rejection) -> dict:
    """A finished article as a row of the state's table."""
    raw = item.raw
    if isinstance(finished, Rejection):
        return {"doc_id": raw.doc_id, "source_path": raw.source_path, "rejected_as": finished.source_path} | {
            "rejection": finished.reason
        }
    result, removals, spared = finished.document, finished.removals, finished.spared
    meta = result.metadata
    return {
        "doc_id": result.doc_id,
        "source_path": result.source_path,
        "source_item": result.source_item,
        "format": result.format,
        "content_hash": result.content_hash,
        "encoding": result.encoding,
        "site": result.site,
        **metadata_row(meta),
        "paragraphs": result.paragraphs,
        "removed_texts": [removal.text for removal in removals],
        "removed_reasons": [removal.reason for removal in removals],
        "spared_texts": [line.text for line in spared],
        "spared_reasons": [line.reason for line in spared],
        "spared_overrides": [line.override for line in spared],
        "unicode_repaired": result.unicode_repaired,
        "published_is_fallback": result.published_is_fallback,
        "language": result.language,
        "input_id": result.input_id,
        "input_fields": result.input_fields,
    }
