"""Cleaned articles' columns (flows/stages/cleaned.py) made from Documents as the flow makes them: the rows of a finished
table, then the spelling stage's rows laid over them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pyarrow as pa

from cleaners.edits import Removal
from flows.stages.cleaned import Cleaned, from_finished
from flows.stages.records import Document
from flows.stages.shards import metadata_row
from flows.stages.spelled import SPELLED, document_rows, lay_over
from flows.state.finished import FINISHED, FinishedCleaning, Lineage, rows_by_identity

# The Document fields a finished table holds as they are.
FIELDS = ("doc_id", "source_path", "source_item", "format", "content_hash", "encoding", "site", "paragraphs")
FLAGS = ("unicode_repaired", "published_is_fallback", "language", "input_id", "input_fields")


def finished_row(document: Document, removals: Sequence[Removal] = ()) -> dict:
    """A document as a row of the finished table, with the lines cleaning removed from it."""
    return {
        **{name: getattr(document, name) for name in (*FIELDS, *FLAGS)},
        **metadata_row(document.metadata),
        "removed_texts": [removal.text for removal in removals],
        "removed_reasons": [removal.reason for removal in removals],
    }


def cleaned_of(documents: Sequence[Document], table: pa.Table | None = None) -> Cleaned:
    """The documents' columns, from `table` (their finished table, by default their rows alone) with their
    corrections laid over them as the spelling stage's rows (their paragraphs mapped from a file in a folder removed
    at once: the mapping outlives it)."""
    table = pa.Table.from_pylist(list(map(finished_row, documents)), FINISHED) if table is None else table
    rows = document_rows(table)
    spelled = [
        {"row": row, "paragraphs": document.paragraphs, "corrections": list(map(asdict, document.corrections))}
        for row, document in zip(rows, documents, strict=True)
        if document.corrections
    ]
    with TemporaryDirectory() as folder:
        return lay_over(from_finished(table), rows, pa.Table.from_pylist(spelled, SPELLED), Path(folder) / "laid.arrow")


def lineage_by_identity(table: pa.Table, previous: FinishedCleaning) -> Lineage:
    """Each row's row in the previous table by identity, none carried as it was: as a run that finished every
    article again."""
    rows = rows_by_identity(table)
    before = np.full(table.num_rows, -1, dtype=np.int64)
    for identity, row in rows.items():
        before[row] = previous.rows.get(identity, -1)
    return Lineage(before, np.zeros(table.num_rows, dtype=bool))
