"""The run's prepared articles as the flow sees them: shards in its work folder (the previous run's carried
over, the new ones read), which of their rows go on to cleaning (the latest capture of each crawled page), and
everything put back in input order, so the outputs do not depend on how the articles were sharded."""

from __future__ import annotations

import shutil
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.rules import BoilerplateRules
from flows.runtime.memory import bounded_duckdb
from flows.stages.line_keys import LINE_KEYS, ensure_line_keys
from flows.stages.records import Version
from flows.stages.shards import carry_shard, line_keys_path, read_columns, read_shard, shard_name
from flows.stages.steps import latest_captures

WORK_FOLDER = ".work"
# An article's name across runs: its input and doc_id.
Identity = tuple[str, str]
Value = TypeVar("Value")


@contextmanager
def work_folder(out_dir: Path) -> Iterator[Path]:
    """OUT_DIR/.work, empty, for this run's shards while it lasts (the run lock keeps other runs out; a killed
    run's is cleared by the next); write_state links the shards into the run folder."""
    folder = out_dir / WORK_FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder.absolute()  # a worker's working folder is not the flow's
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def carry_shards(
    previous: list[Path], kept_sources: pa.Array, work: Path, rules: BoilerplateRules, bullet_chars: str
) -> list[Path]:
    """The previous run's shards carried into the work folder with their line keys: linked when all their inputs
    are kept, rewritten without the others, left out when they hold none; line keys computed for a shard of an
    older state, which has none. Every shard's inputs are looked up in `kept_sources` at once: a lookup a shard
    hashed every kept input again (some 0.27 s a shard at 1,000,000 inputs, quadratic in the stored corpus)."""
    sources = [pq.read_table(shard, columns=["source_path"])["source_path"] for shard in previous]
    every_source = pa.chunked_array([chunk for column in sources for chunk in column.chunks], pa.string())
    kept = pc.is_in(every_source, value_set=kept_sources).combine_chunks()
    carried: list[Path] = []
    start = 0
    for shard, column in zip(previous, sources, strict=True):
        target = work / shard_name(len(carried))
        if carry_shard(shard, kept.slice(start, len(column)), target):
            ensure_line_keys(target, rules, bullet_chars)
            carried.append(target)
        start += len(column)
    return carried


@dataclass
class PreparedShards:
    """A run's shards; each row's input and doc_id, and the rows of each shard that go on to cleaning."""

    paths: list[Path]
    sources: list[list[str]]
    doc_ids: list[list[str]]
    rows: list[list[int]]
    positions: dict[str, int]

    @property
    def articles(self) -> int:
        """How many articles go on to cleaning."""
        return sum(map(len, self.rows))

    def in_input_order(self, per_shard: list[list[Value]]) -> list[Value]:
        """Values given for each shard's rows to clean, in the order of the inputs (an input's articles are in
        one shard, in the order it gave them)."""
        keyed = [
            ((self.positions[self.sources[shard][row]], shard, row), value)
            for shard, (rows, values) in enumerate(zip(self.rows, per_shard, strict=True))
            for row, value in zip(rows, values, strict=True)
        ]
        return [value for _, value in sorted(keyed, key=lambda pair: pair[0])]

    def run_articles(self) -> RunArticles:
        """The articles to clean, in the order of the inputs."""
        places = self.in_input_order([[(shard, row) for row in rows] for shard, rows in enumerate(self.rows)])
        names = [(self.sources[shard][row], self.doc_ids[shard][row]) for shard, row in places]
        return RunArticles(self.paths, names, places)


@dataclass
class RunArticles:
    """The run's articles to clean, in input order: each one's name (input and doc_id) and place (shard, row)."""

    paths: list[Path]
    names: list[Identity]
    places: list[tuple[int, int]]

    def register(
        self, db: duckdb.DuckDBPyConnection, name: str = "articles", positions: Collection[int] | None = None
    ) -> None:
        """Make the articles (those at `positions`, when given: only their shards' line keys are read) the view
        `name` of `db`, with their position and their line keys' columns (a query reads only the columns it names)."""
        wanted = range(len(self.places)) if positions is None else sorted(set(positions))
        shards = sorted({self.places[position][0] for position in wanted})
        db.register(f"{name}_order", pa.table({"position": pa.array(wanted, pa.int64())} | self._where(wanted)))
        if shards:
            files = ", ".join(_quoted(line_keys_path(self.paths[shard])) for shard in shards)
            db.execute(f"CREATE VIEW {name}_keys AS FROM read_parquet([{files}], filename=true, file_row_number=true)")
        else:
            empty = LINE_KEYS.empty_table().append_column("filename", pa.array([], pa.string()))
            db.register(f"{name}_empty", empty)
            db.execute(f"CREATE VIEW {name}_keys AS SELECT *, 0::BIGINT AS file_row_number FROM {name}_empty")
        db.execute(
            f"CREATE VIEW {name} AS SELECT o.position, k.* EXCLUDE (filename, file_row_number) FROM {name}_order o"
            f" JOIN {name}_keys k ON k.filename = o.filename AND k.file_row_number = o.row"
        )

    def _where(self, positions: Sequence[int]) -> dict[str, pa.Array]:
        keys_files = [str(line_keys_path(path)) for path in self.paths]
        places = [self.places[position] for position in positions]
        return {
            "filename": pa.array([keys_files[shard] for shard, _ in places], pa.string()),
            "row": pa.array([row for _, row in places], pa.int64()),
        }

    def holding(self, changed: Mapping[str, set[str]], spill: Path | None = None) -> set[int]:
        """The positions of the articles holding a line key of `changed` for their site (DuckDB in bounded memory,
        spilling into `spill`, when given)."""
        if not changed:
            return set()
        pairs = [(site, key) for site, keys in changed.items() for key in keys]
        wanted = pa.table({"site": [site for site, _ in pairs], "key": [key for _, key in pairs]})
        with bounded_duckdb(spill) as db:
            self.register(db)
            db.register("changed", wanted)
            found = db.sql(
                "SELECT DISTINCT position FROM (SELECT position, site, unnest(keys) AS key FROM articles"
                " WHERE site IN (SELECT site FROM changed)) SEMI JOIN changed USING (site, key)"
            ).fetchall()
        return {position for (position,) in found}

    def lines(self) -> Iterator[list[str]]:
        """Each article's prepared lines, in order (read shard by shard)."""
        per_shard = [read_columns(path, ["lines"])["lines"] for path in self.paths]
        return (per_shard[shard][row] for shard, row in self.places)

    def chosen(self, positions: Collection[int]) -> tuple[list[Path], list[list[int]]]:
        """The shards holding any of the articles at `positions`, and those articles' rows in each."""
        rows: list[list[int]] = [[] for _ in self.paths]
        for position in positions:
            shard, row = self.places[position]
            rows[shard].append(row)
        picked = [shard for shard, shard_rows in enumerate(rows) if shard_rows]
        return [self.paths[shard] for shard in picked], [sorted(rows[shard]) for shard in picked]


def _quoted(path: Path) -> str:
    """A path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def prepared_shards(paths: list[Path], inputs: list[str]) -> tuple[PreparedShards, list[Version]]:
    """The shards with the rows to clean: every article but the earlier captures of a crawled page, which
    become versions (only captured pages are read whole for that)."""
    sources: list[list[str]] = []
    doc_ids: list[list[str]] = []
    captured: list[list[int]] = []
    for path in paths:
        columns = read_columns(path, ["source_path", "doc_id", "capture_url"])
        sources.append(columns["source_path"])
        doc_ids.append(columns["doc_id"])
        captured.append([row for row, url in enumerate(columns["capture_url"]) if url])
    positions = {path: index for index, path in enumerate(inputs)}
    per_shard = [read_shard(path, rows) if rows else [] for path, rows in zip(paths, captured)]
    in_order = PreparedShards(paths, sources, doc_ids, captured, positions).in_input_order(per_shard)
    kept, versions = latest_captures(in_order)
    kept_ids = {id(item) for item in kept}
    rows = []
    for shard_sources, capture_rows, items in zip(sources, captured, per_shard):
        earlier = {row for row, item in zip(capture_rows, items) if id(item) not in kept_ids}
        rows.append([row for row in range(len(shard_sources)) if row not in earlier])
    return PreparedShards(paths, sources, doc_ids, rows, positions), versions
