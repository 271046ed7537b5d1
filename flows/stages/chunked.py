"""Rows of a table of several chunks taken without joining its chunks. Arrow's take over a column of several chunks
joins them into one array first, and a column of strings (or of lists of strings) whose chunks hold more than 2 GB of
text together cannot be one array: its int32 offsets stop there (a million articles' paragraphs pass it). Here a
long run of consecutive rows of one chunk is a slice of it (no copy), and the other rows are taken from each chunk
apart, a bounded number of rows into each chunk of the result."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa

# A run of at least RUN_ROWS consecutive rows within one chunk is sliced, not copied; the rows of shorter runs are
# copied together, at most about TAKE_ROWS into one chunk of the result.
RUN_ROWS = 1_000
TAKE_ROWS = 10_000
# Rows copied together whose runs hold at least this many rows on average are copied as slices of their runs, once;
# others are taken row by row from each chunk, then put in order (copied again when they go through the chunks out
# of order).
SLICED_RUN_ROWS = 8


def take_rows(table: pa.Table, rows: Sequence[int] | np.ndarray) -> pa.Table:
    """The table's rows at `rows` (positions over the whole table), in that order, as a table of several chunks:
    no chunk of it joins chunks of `table`, and none holds more than about TAKE_ROWS copied rows."""
    return pa.Table.from_batches(list(taken_batches(table, rows)), table.schema)


def taken_batches(table: pa.Table, rows: Sequence[int] | np.ndarray) -> Iterator[pa.RecordBatch]:
    """take_rows's chunks, each made as it is asked for: a pass that writes them holds one copied chunk at a time."""
    rows = np.asarray(rows, dtype=np.int64)
    batches = [batch for batch in table.to_batches() if batch.num_rows]
    if not len(rows) or not batches:
        return
    lengths = np.array([batch.num_rows for batch in batches], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    batch_of = np.searchsorted(starts, rows, side="right") - 1
    local = rows - starts[batch_of]
    breaks = np.flatnonzero((np.diff(batch_of) != 0) | (np.diff(local) != 1)) + 1
    run_starts, run_ends = np.concatenate([[0], breaks]), np.concatenate([breaks, [len(rows)]])
    pending = 0  # the first of the rows waiting to be copied

    def copy_pending(end: int) -> list[pa.RecordBatch]:
        if end <= pending:
            return []
        first_run, last_run = np.searchsorted(run_starts, [pending, end])
        if end - pending < SLICED_RUN_ROWS * (last_run - first_run):
            return [_copied(batches, batch_of[pending:end], local[pending:end])]
        runs = zip(run_starts[first_run:last_run].tolist(), run_ends[first_run:last_run].tolist(), strict=True)
        return [_joined([batches[batch_of[start]].slice(int(local[start]), stop - start) for start, stop in runs])]

    for first, end in zip(run_starts.tolist(), run_ends.tolist(), strict=True):
        if end - first >= RUN_ROWS:
            yield from copy_pending(first)
            yield batches[batch_of[first]].slice(int(local[first]), end - first)
            pending = end
        elif end - pending >= TAKE_ROWS:
            yield from copy_pending(end)
            pending = end
    yield from copy_pending(len(rows))


def _copied(batches: list[pa.RecordBatch], batch_of: np.ndarray, local: np.ndarray) -> pa.RecordBatch:
    """The rows at `local` of the batches `batch_of` (a few thousand), in that order, copied into one batch: each
    batch's rows taken from it alone, then put in order."""
    order = np.argsort(batch_of, kind="stable")
    chosen, first = np.unique(batch_of[order], return_index=True)
    ends = [*first[1:].tolist(), len(order)]
    parts = [
        batches[batch].take(pa.array(local[order[start:end]]))
        for batch, start, end in zip(chosen.tolist(), first.tolist(), ends, strict=True)
    ]
    joined = _joined(parts)
    if (np.diff(batch_of) >= 0).all():  # the rows go through the batches in order: so do the parts
        return joined
    return joined.take(pa.array(np.argsort(order, kind="stable")))


def _joined(parts: list[pa.RecordBatch]) -> pa.RecordBatch:
    """The batches one after another, copied into one batch."""
    return pa.Table.from_batches(parts).combine_chunks().to_batches()[0]


def chunks_of(columns: Sequence[pa.Array | pa.ChunkedArray], kind: pa.DataType | None = None) -> pa.ChunkedArray:
    """Columns of one type (`kind`, else the first one's) one after another, as one column of their chunks, none
    joined nor copied (pa.chunked_array reads a column handed to it as a chunk value by value, in Python)."""
    chunks = [chunk for column in columns for chunk in getattr(column, "chunks", [column])]
    return pa.chunked_array(chunks, kind or columns[0].type)
