"""State tables kept as folders of parts (`part-NNNNN.parquet`, or `part-NNNNN.arrow`: uncompressed Arrow IPC, read
mapped): a run links the previous run's parts it keeps whole (a link is never written to afterwards: a changed part is
written anew under a new name), writes the rest as new parts, and merges its small parts once there are more than a
bound, so the folder stays a few files. A folder may hold parts of both kinds: each is read as what it is. A part
written in an older layout of its table (columns missing) is read into the table's schema by the reader the table
gives, and never linked: its rows are written anew, so the folder takes the layout in one run."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from flows.stages.chunked import take_rows
from flows.stages.handoffs import map_arrow, write_arrow

# The kinds of part, by suffix: Parquet (compressed, read into memory) and Arrow IPC (uncompressed, mapped).
PARQUET, ARROW = ".parquet", ".arrow"


@dataclass(frozen=True)
class StoredParts:
    """A previous run's parts of one table, in the order their rows were read, with how many rows each holds, and
    those of them written in an older layout of the table (never linked)."""

    paths: list[Path] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    older: frozenset[Path] = frozenset()


def part_paths(folder: Path) -> list[Path]:
    """A table's parts (of either kind) in order."""
    return sorted([*folder.glob(f"part-*{PARQUET}"), *folder.glob(f"part-*{ARROW}")])


def read_parts(
    folder: Path, schema: pa.Schema, older: Callable[[pa.Table], pa.Table] | None = None
) -> tuple[pa.Table, StoredParts]:
    """A table's parts read as one table (in the schema), and the parts it was read from; a part lacking some of the
    schema's columns is made a table of the schema by `older` (and marked older)."""
    paths = part_paths(folder)
    read = [_stored(path) for path in paths]
    lacking = [not set(schema.names) <= set(table.column_names) for table in read]
    tables = [older(table) if old and older else table.cast(schema) for table, old in zip(read, lacking, strict=True)]
    stale = frozenset(path for path, old in zip(paths, lacking, strict=True) if old)
    rows = [table.num_rows for table in tables]
    return pa.concat_tables([schema.empty_table(), *tables]), StoredParts(paths, rows, stale)


def read_part(path: Path, schema: pa.Schema) -> pa.Table:
    """A part in the schema: an Arrow IPC part mapped (its buffers are the file's pages), a Parquet part read."""
    return _stored(path).cast(schema)


def _stored(path: Path) -> pa.Table:
    """A part as its file holds it."""
    return map_arrow(path) if path.suffix == ARROW else pq.read_table(path)


def _part_rows(path: Path) -> int:
    """How many rows a part holds, from its metadata (Parquet) or its mapped batches (Arrow IPC)."""
    return map_arrow(path).num_rows if path.suffix == ARROW else pq.ParquetFile(path).metadata.num_rows


def _write_part(table: pa.Table, path: Path) -> None:
    """Write a table as one part of the kind its path's suffix names."""
    if path.suffix == ARROW:
        write_arrow(table.to_batches(), table.schema, path)
    else:
        pq.write_table(table, path)


def _next_number(folder: Path) -> int:
    """The number of the next part to add to a folder."""
    return max((int(part.stem.removeprefix("part-")) + 1 for part in part_paths(folder)), default=0)


def next_part(folder: Path, suffix: str = PARQUET) -> Path:
    """The path of the next part (of the kind `suffix`) to add to a folder."""
    return folder / f"part-{_next_number(folder):05d}{suffix}"


def link_part(part: Path, folder: Path) -> None:
    """Add a part (a previous run's, or one this run wrote into its work folder) to a table's folder as a hard link
    of the same kind (both are in the same OUT_DIR)."""
    os.link(part, next_part(folder, part.suffix))


def write_parts(table: pa.Table, schema: pa.Schema, folder: Path, rows_per_part: int, suffix: str = PARQUET) -> None:
    """The table as new parts (of the kind `suffix`) of at most `rows_per_part` rows, after those the folder holds
    (at least one part in all, so an empty table still has its schema on disk)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = _next_number(folder)
    for start in range(0, table.num_rows, rows_per_part):
        _write_part(table.slice(start, rows_per_part).cast(schema), folder / f"part-{written:05d}{suffix}")
        written += 1
    if not written:
        _write_part(schema.empty_table(), folder / f"part-00000{suffix}")


def compact_small_parts(
    schema: pa.Schema, folder: Path, rows_per_part: int, max_small_parts: int, suffix: str = PARQUET
) -> None:
    """Rewrite a table's parts of fewer than `rows_per_part` rows as full parts (of the kind `suffix`) once there are
    more than `max_small_parts` of them (the parts are this run's files or links: the previous run keeps its own)."""
    small = [part for part in part_paths(folder) if _part_rows(part) < rows_per_part]
    if len(small) <= max_small_parts:
        return
    rows = pa.concat_tables([read_part(part, schema) for part in small])
    for part in small:
        part.unlink()
    write_parts(rows, schema, folder, rows_per_part, suffix)


@dataclass(frozen=True)
class UnchangedParts:
    """The previous parts whose rows all stand unchanged in a run's table: those to link, and per part of an older
    layout its rows' positions in the table (written anew as one part each, so the parts keep their bounds); and
    per row of the table whether one of them holds it."""

    links: list[Path]
    covered: np.ndarray
    renewed: list[np.ndarray] = field(default_factory=list)


def unchanged_parts(
    table: pa.Table, previous_table: pa.Table, previous: StoredParts, positions: np.ndarray, suffix: str
) -> UnchangedParts:
    """The previous parts of the kind `suffix` (rows of `previous_table`, read from `previous`) whose rows all stand
    unchanged in `table`, and which rows of `table` they hold (`positions`: each previous row's row in `table`, or
    -1 when it is gone). A part of another kind is not linked: its rows are written anew, so a folder of one kind
    becomes one of the other in one run; one of an older layout is written anew whole, its rows in a part of their
    own. Decided apart from writing, so the previous table can go before the parts are written."""
    unchanged = UnchangedParts([], np.zeros(table.num_rows, dtype=bool))
    start = 0
    for path, rows in zip(previous.paths, previous.rows, strict=True):
        at = positions[start : start + rows]
        kept = path.suffix == suffix and rows and (at >= 0).all()
        if kept and _stand_unchanged(previous_table.slice(start, rows), table, at):
            if path in previous.older:
                unchanged.renewed.append(at)
            else:
                unchanged.links.append(path)
            unchanged.covered[at] = True
        start += rows
    return unchanged


def write_with_links(
    table: pa.Table, unchanged: UnchangedParts, folder: Path, rows_per_part: int, max_small_parts: int, suffix: str
) -> None:
    """Link the previous parts `unchanged` links into `folder`, write the rows of each part it renews as a part, then
    the rows of `table` none covers as new parts (of the kind `suffix`, taken a part at a time: the rows are never
    copied all at once), and merge small parts past the bound."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in unchanged.links:
        link_part(path, folder)
    for rows in unchanged.renewed:
        write_parts(take_rows(table, rows), table.schema, folder, rows_per_part, suffix)
    uncovered = np.flatnonzero(~unchanged.covered)
    for start in range(0, max(len(uncovered), 1), rows_per_part):
        rows = take_rows(table, uncovered[start : start + rows_per_part])
        write_parts(rows, table.schema, folder, rows_per_part, suffix)
    compact_small_parts(table.schema, folder, rows_per_part, max_small_parts, suffix)


def _stand_unchanged(rows: pa.Table, table: pa.Table, at: np.ndarray) -> bool:
    """Whether `rows` equal the table's rows at these positions, compared a run of consecutive positions at a time
    (slices, not copies)."""
    breaks = [0, *(np.flatnonzero(np.diff(at) != 1) + 1).tolist(), len(at)]
    return all(
        rows.slice(first, end - first).equals(table.slice(int(at[first]), end - first))
        for first, end in pairwise(breaks)
    )
