"""Spelling fixes as the apply-spelling tasks hand them back: a Parquet shard per task with a row for each
finished article the fixes changed (its row in the run's finished table, its new paragraphs and the corrections),
which the flow lays over the documents it holds."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import asdict, dataclass
from itertools import accumulate
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.edits import Correction
from flows.outputs import write_parquet
from flows.records import Document

SPELLED = pa.schema(
    [
        ("row", pa.int64()),
        ("paragraphs", pa.list_(pa.string())),
        (
            "corrections",
            pa.list_(
                pa.struct(
                    [
                        ("para_idx", pa.int64()),
                        ("original", pa.string()),
                        ("corrected", pa.string()),
                        ("rule", pa.string()),
                        ("confidence", pa.float64()),
                        ("context", pa.string()),
                    ]
                )
            ),
        ),
    ]
)


def write_spelled(changed: list[tuple[int, list[str], list[Correction]]], target: Path) -> None:
    """Write the changed articles (row, new paragraphs, corrections) as one shard."""
    rows = [
        {"row": row, "paragraphs": paragraphs, "corrections": [asdict(correction) for correction in corrections]}
        for row, paragraphs, corrections in changed
    ]
    write_parquet(rows, SPELLED, target)


def lay_over(documents: list[Document], document_rows: list[int], shards: list[Path]) -> None:
    """Give the documents (at `document_rows` of the finished table) the paragraphs and corrections the shards
    hold for them, in place."""
    at_row = dict(zip(document_rows, documents, strict=True))
    for shard in shards:
        for row in pq.read_table(shard).to_pylist():
            document = at_row[row["row"]]
            document.paragraphs = row["paragraphs"]
            document.corrections = [Correction(**correction) for correction in row["corrections"]]


@dataclass
class SpellingGroups:
    """The run's finished table written for the apply-spelling tasks, a row group a task: where it is, the rows
    that are Documents (not rejections), and how many of them each row group holds."""

    path: Path
    document_rows: list[int]
    documents_per_group: list[int]


def write_for_spelling(table: pa.Table, target: Path, rows_per_group: int) -> SpellingGroups:
    """Write the run's finished table (flows/finished.py) to `target` in row groups of `rows_per_group` rows."""
    pq.write_table(table, target, row_group_size=rows_per_group)
    document_rows = pc.indices_nonzero(pc.is_null(table["rejection"])).to_pylist()
    metadata = pq.ParquetFile(target).metadata
    sizes = [metadata.row_group(group).num_rows for group in range(metadata.num_row_groups)]
    per_group = [
        bisect_left(document_rows, end) - bisect_left(document_rows, end - size)
        for end, size in zip(accumulate(sizes), sizes)
    ]
    return SpellingGroups(target, document_rows, per_group)
