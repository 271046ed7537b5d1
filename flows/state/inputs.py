"""Every input of a run as columns, a row an input in the order of the inputs (sorted paths): its stamp as the run
saw it (size and modification time), its content hash once read and how many articles it gave; beside it what
reading gave besides articles (its rejections, the WARC records it skipped by reason), few. The state keeps it
(inputs.parquet, rejected.parquet, skipped.parquet), so a run decides which inputs to read again over columns, not
with a Python object an input (about 1 KB each, a gigabyte at 1,000,000 inputs until session 19)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flows.outputs.files import write_table
from flows.outputs.manifest import STAMPS, file_digest
from flows.stages.records import Rejection
from flows.stages.steps import InputRead

READ = pa.schema([("source_path", pa.string()), ("sha256", pa.string()), ("articles", pa.int64())])
LEDGER = pa.schema([("source_path", pa.string()), *STAMPS, *READ.remove(0)])
REJECTIONS = pa.schema([("input", pa.string()), ("source_path", pa.string()), ("reason", pa.string())])
SKIPPED = pa.schema([("source_path", pa.string()), ("reason", pa.string()), ("records", pa.int64())])
_FILES = {"table": "inputs.parquet", "rejections": "rejected.parquet", "skipped": "skipped.parquet"}


@dataclass(frozen=True)
class InputLedger:
    """A run's inputs (LEDGER rows, sorted by path), their read rejections (REJECTIONS, by input in input order) and
    skipped WARC records (SKIPPED, by input in input order)."""

    table: pa.Table = field(default_factory=LEDGER.empty_table)
    rejections: pa.Table = field(default_factory=REJECTIONS.empty_table)
    skipped: pa.Table = field(default_factory=SKIPPED.empty_table)

    def read_rejections(self) -> list[Rejection]:
        """The inputs' rejections as reading gave them."""
        columns = (self.rejections[name].to_pylist() for name in ("source_path", "reason"))
        return [Rejection(source_path, reason) for source_path, reason in zip(*columns, strict=True)]

    def skipped_by_reason(self) -> dict[str, int]:
        """How many WARC records all inputs skipped, by reason."""
        sums = self.skipped.group_by("reason").aggregate([("records", "sum")])
        return dict(sorted(zip(sums["reason"].to_pylist(), sums["records_sum"].to_pylist(), strict=True)))

    def reused_rows(self, raw_dir: Path, paths: pa.Array, stamps: pa.Table) -> np.ndarray:
        """Each input's row in this ledger (its path and its stamp now) when it is as this ledger's run read it and
        gave articles: same size and time, or else same content; -1 for the others. An input that gave none is read
        again: it may have become readable."""
        found = pc.index_in(paths, value_set=self.table["source_path"]).fill_null(-1).to_numpy()
        known = np.flatnonzero(found >= 0)
        rows = found[known]
        gave = self.table["articles"].to_numpy()[rows] > 0
        same = np.ones(len(rows), dtype=bool)
        for name in STAMPS.names:
            now = stamps[name].fill_null(-1).to_numpy()[known]
            same &= (now >= 0) & (now == self.table[name].fill_null(-2).to_numpy()[rows])
        digests = self.table["sha256"].take(pa.array(rows, pa.int64()))
        for at in np.flatnonzero(gave & ~same & digests.is_valid().to_numpy(zero_copy_only=False)).tolist():
            same[at] = file_digest(raw_dir, paths[int(known[at])].as_py()) == digests[at].as_py()
        reused = np.full(len(paths), -1, dtype=np.int64)
        reused[known[gave & same]] = rows[gave & same]
        return reused

    def carried(self, paths: pa.Array, stamps: pa.Table, reused_rows: np.ndarray, read: InputsRead) -> InputLedger:
        """This run's ledger: the inputs reused (`reused_rows`) as this (the previous) ledger holds them, the others
        as `read` (READ rows in input order, with their rejections and skipped records), every input with its stamp
        now."""
        unchanged = reused_rows >= 0
        reused = paths.filter(pa.array(unchanged))
        stored = self.table.take(pa.array(reused_rows[unchanged]))
        if read.table.num_rows != len(paths) - len(reused):
            raise ValueError(f"{read.table.num_rows} inputs read, {len(paths) - len(reused)} to read")
        order = np.empty(len(paths), dtype=np.int64)
        order[unchanged] = np.arange(len(reused))
        order[~unchanged] = len(reused) + np.arange(read.table.num_rows)
        columns = {
            name: pa.concat_arrays([stored[name].combine_chunks(), read.table[name].combine_chunks()]).take(order)
            for name in READ.names[1:]
        }
        table = pa.table({"source_path": paths, **{name: stamps[name] for name in STAMPS.names}, **columns}, LEDGER)
        return InputLedger(
            table,
            _by_input(self.rejections.filter(pc.is_in(self.rejections["input"], reused)), read.rejections, "input"),
            _by_input(self.skipped.filter(pc.is_in(self.skipped["source_path"], reused)), read.skipped, "source_path"),
        )

    def write(self, folder: Path) -> None:
        """Write the ledger into a run folder's state."""
        for name, file_name in _FILES.items():
            write_table(getattr(self, name), folder / file_name)


def _by_input(stored: pa.Table, read: pa.Table, input_column: str) -> pa.Table:
    """The rows of both tables in input order, each input's rows in the order they came (a stable sort: Arrow
    orders strings by their UTF-8 bytes, that is by code point, as the inputs are sorted)."""
    return pa.concat_tables([stored, read.cast(stored.schema)]).sort_by(input_column)


def read_ledger(folder: Path) -> InputLedger:
    """The ledger a run folder's state holds."""
    return InputLedger(**{name: pq.read_table(folder / file_name) for name, file_name in _FILES.items()})


@dataclass(frozen=True)
class InputsRead:
    """What reading inputs gave besides their articles: READ rows in input order, and their rejections and skipped
    records as an InputLedger holds them."""

    table: pa.Table = field(default_factory=READ.empty_table)
    rejections: pa.Table = field(default_factory=REJECTIONS.empty_table)
    skipped: pa.Table = field(default_factory=SKIPPED.empty_table)

    @classmethod
    def of(cls, reads: dict[str, InputRead], digests: dict[str, str | None]) -> InputsRead:
        """A read task's inputs (`reads`, in input order) with their content hashes."""
        rejected = [
            {"input": path, "source_path": rejection.source_path, "reason": rejection.reason}
            for path, read in reads.items()
            for rejection in read.rejections
        ]
        skipped = [
            {"source_path": path, "reason": reason, "records": records}
            for path, read in reads.items()
            for reason, records in sorted(read.skipped.items())
        ]
        rows = {"source_path": list(reads), "sha256": list(map(digests.get, reads))}
        articles = {"articles": [len(read.prepared) for read in reads.values()]}
        return cls(
            pa.table(rows | articles, READ),
            pa.Table.from_pylist(rejected, REJECTIONS),
            pa.Table.from_pylist(skipped, SKIPPED),
        )

    @classmethod
    def joined(cls, parts: Sequence[InputsRead]) -> InputsRead:
        """The read tasks' parts as one, in their order."""
        empty = cls()
        return cls(*(pa.concat_tables([getattr(one, name) for one in (empty, *parts)]) for name in _FILES))
