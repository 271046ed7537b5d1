"""Spelling fixes as the apply-spelling tasks hand them back: a Parquet shard per task with a row for each
finished article the fixes changed (its row in the run's finished table, its new paragraphs and the corrections),
which the flow lays over the cleaned articles' columns it holds (flows/stages/cleaned.py), with the rows it carried from the
previous run (flows/state/spelled_store.py), into a file of paragraphs it maps (flows/stages/handoffs.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.edits import Correction
from flows.outputs.files import write_parquet
from flows.stages.chunked import take_rows, taken_batches
from flows.stages.cleaned import CORRECTION, CORRECTION_COLUMNS, PARAGRAPH_COLUMNS, Cleaned, paragraph_rows
from flows.stages.handoffs import map_arrow, write_arrow

SPELLED = pa.schema(
    [
        ("row", pa.int64()),
        ("paragraphs", pa.list_(pa.string())),
        ("corrections", pa.list_(pa.struct(CORRECTION))),
    ]
)


def write_spelled(changed: list[tuple[int, list[str], list[Correction]]], target: Path) -> None:
    """Write the changed articles (row, new paragraphs, corrections) as one shard."""
    rows = [
        {"row": row, "paragraphs": paragraphs, "corrections": [asdict(correction) for correction in corrections]}
        for row, paragraphs, corrections in changed
    ]
    write_parquet(rows, SPELLED, target)


def read_spelled(shards: list[Path]) -> pa.Table:
    """The rows of the given shards, as one table."""
    return pa.concat_tables([SPELLED.empty_table(), *(pq.read_table(shard).cast(SPELLED) for shard in shards)])


def lay_over(cleaned: Cleaned, document_rows: list[int], spelled: pa.Table, target: Path) -> Cleaned:
    """The cleaned articles (at `document_rows` of the finished table) with the paragraphs and corrections `spelled`
    holds for them, as Arrow columns: the paragraphs kept and the spelled ones taken in order without joining the
    columns' chunks (flows/stages/chunked.py) and written to `target` a chunk at a time, then mapped from it (the
    texts held as the file's pages, not copied into the flow's memory)."""
    if not spelled.num_rows:
        return cleaned
    spelled_articles = np.searchsorted(np.asarray(document_rows, np.int64), spelled["row"].to_numpy())
    spelled_rows = paragraph_rows(spelled["paragraphs"], spelled_articles)
    ordered = _laid_order(cleaned, spelled_rows, spelled_articles)
    write_arrow(taken_batches(pa.concat_tables([cleaned.paragraphs, spelled_rows]), ordered), PARAGRAPH_COLUMNS, target)
    corrections = spelled["corrections"].combine_chunks()
    owners = spelled_articles[pc.list_parent_indices(corrections).to_numpy()]
    fields = corrections.flatten()
    columns = [pa.array(owners, pa.int32()), *(pc.struct_field(fields, name) for name in CORRECTION_COLUMNS.names[1:])]
    by_article = np.argsort(owners, kind="stable")
    return Cleaned(
        cleaned.articles,
        map_arrow(target),
        pa.table(columns, schema=CORRECTION_COLUMNS).take(by_article),
    )


def _laid_order(cleaned: Cleaned, spelled_rows: pa.Table, spelled_articles: np.ndarray) -> np.ndarray:
    """The row of each laid paragraph, in article order, over the cleaned paragraphs followed by `spelled_rows`: a
    spelled article's paragraphs (of `spelled_articles`) in place of its own. A row's place is its article's first
    place plus its index in the article, so nothing is sorted."""
    changed = np.zeros(cleaned.article_count, bool)
    changed[spelled_articles] = True
    owners, spelled_owners = cleaned.paragraph_articles(), spelled_rows["article"].to_numpy()
    counts = np.bincount(owners, minlength=cleaned.article_count)
    laid_counts = np.where(changed, np.bincount(spelled_owners, minlength=cleaned.article_count), counts)
    laid_firsts = np.cumsum(laid_counts) - laid_counts
    kept = np.flatnonzero(~changed[owners])
    order = np.empty(laid_counts.sum(), np.int64)
    order[laid_firsts[owners[kept]] + cleaned.paragraphs["para_idx"].to_numpy()[kept]] = kept
    spelled_places = laid_firsts[spelled_owners] + spelled_rows["para_idx"].to_numpy()
    order[spelled_places] = cleaned.paragraph_count + np.arange(spelled_rows.num_rows)
    return order


def document_rows(table: pa.Table) -> list[int]:
    """The rows of the run's finished table (flows/state/finished.py) that are Documents, not rejections."""
    return pc.indices_nonzero(pc.is_null(table["rejection"])).to_pylist()


@dataclass
class SpellingGroups:
    """The articles of the run's finished table to apply the spelling decisions to (their row in it and their
    paragraphs), written for the apply-spelling tasks a row group a task, and how many articles each row group
    holds."""

    path: Path
    rows_per_group: list[int]


def write_for_spelling(table: pa.Table, rows: list[int], folder: Path, rows_per_group: int) -> SpellingGroups:
    """Write the articles of the run's finished table at `rows` to `folder` in row groups of `rows_per_group` (the
    table itself stays in memory: the state keeps it in parts, flows/state/finished.py)."""
    target = folder / "to-spell.parquet"
    indices = pa.array(rows, pa.int64())  # typed even when empty: take() has no kernel for a null array
    chosen = take_rows(table.select(["paragraphs"]), rows).add_column(0, "row", pa.chunked_array([indices]))
    pq.write_table(chosen, target, row_group_size=rows_per_group)
    metadata = pq.ParquetFile(target).metadata
    sizes = [metadata.row_group(group).num_rows for group in range(metadata.num_row_groups)]
    return SpellingGroups(target, [size for size in sizes if size])
