"""Where the match stage puts the band store's new rows (flows/state/band_store.py SCHEMAS) as it takes or signs
them, and the pairs it checked as it verifies them: held as Arrow tables (a finishing task's shard, a test), or
written as Parquet parts into the run's work folder, so the flow never holds a whole corpus's bands or candidate
pairs; the store scans those parts and links them in."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dedup.backlog import Backlog
from flows.state.band_store import SCHEMAS, SHARD_ROWS, NewRows

NEW_TABLES = ("texts", "bands", "sentences")
# Tables handed to the writing thread that may wait to be written: the flow holds at most these beside the one it
# makes.
WRITES_AHEAD = 2
# The columns worth a Parquet dictionary (repeated values); the hash keys are near-unique, and trying one for them
# cost more than writing them (bands at 20,000: 0.59 -> 0.25 CPU s).
_DICTIONARY = {"texts": ["words"], "bands": ["key", "band"], "sentences": ["key", "sentence"], "checked": False}


class HeldRows:
    """New rows held in memory, a table of each of `tables` (NEW_TABLES unless given) in the order they were added."""

    def __init__(self, tables: Sequence[str] = NEW_TABLES) -> None:
        self._tables: dict[str, list[pa.Table]] = {name: [] for name in tables}

    def add(self, name: str, rows: pa.Table) -> None:
        """Add rows to a table."""
        self._tables[name].append(rows)

    def count(self, name: str) -> int:
        """How many rows a table holds."""
        return sum(table.num_rows for table in self._tables[name])

    def rows(self) -> dict[str, pa.Table]:
        """Each table whole."""
        return {name: pa.concat_tables([SCHEMAS[name].empty_table(), *tables]) for name, tables in self._tables.items()}


class PartRows:
    """New rows of `tables` (NEW_TABLES unless given) written as they come into `folder`/NAME/part-NNNNN.parquet,
    parts of at most `rows_per_part` rows (SHARD_ROWS, the store's own), so the store links them in unchanged. The
    writing runs on a thread of its own (pyarrow lets go of the GIL while it encodes), in the order the rows came,
    at most WRITES_AHEAD tables waiting."""

    def __init__(self, folder: Path, rows_per_part: int = SHARD_ROWS, tables: Sequence[str] = NEW_TABLES) -> None:
        for name in tables:
            shutil.rmtree(folder / name, ignore_errors=True)
        self.folder, self.rows_per_part = folder, rows_per_part
        self._parts: dict[str, list[Path]] = {name: [] for name in tables}
        self._counts = dict.fromkeys(tables, 0)
        self._written = dict.fromkeys(tables, 0)
        self._open: dict[str, pq.ParquetWriter] = {}
        self._writing = ThreadPoolExecutor(1, thread_name_prefix="new-rows")
        self._waiting: Backlog[None] = Backlog(self._writing, WRITES_AHEAD)

    def add(self, name: str, rows: pa.Table) -> None:
        """Write rows to a table (on the writing thread), then wait while more than WRITES_AHEAD tables wait."""
        self._counts[name] += rows.num_rows
        self._waiting.submit(self._write, name, rows)

    def count(self, name: str) -> int:
        """How many rows a table holds."""
        return self._counts[name]

    def rows(self) -> NewRows:
        """Each table's parts, every row written and every part closed."""
        self._waiting.finish()
        self._writing.shutdown()
        for writer in self._open.values():
            writer.close()
        self._open.clear()
        return {name: list(parts) for name, parts in self._parts.items()}

    def _write(self, name: str, rows: pa.Table) -> None:
        """Write rows to a table's parts, starting a part whenever the last one is full."""
        rows = rows.cast(SCHEMAS[name])
        while rows.num_rows:
            room = self.rows_per_part - self._written[name] % self.rows_per_part
            if name not in self._open:
                self._start(name)
            self._open[name].write_table(rows.slice(0, room))
            self._written[name] += min(room, rows.num_rows)
            rows = rows.slice(room)
            if self._written[name] % self.rows_per_part == 0:
                self._open.pop(name).close()

    def _start(self, name: str) -> None:
        """Open a table's next part."""
        parts = self._parts[name]
        path = self.folder / name / f"part-{len(parts):05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        parts.append(path)
        self._open[name] = pq.ParquetWriter(path, SCHEMAS[name], use_dictionary=_DICTIONARY[name])


NewRowSink = HeldRows | PartRows
