"""The run's prepared articles as the flow sees them: shards in its work folder (the previous run's carried
over, the new ones read), which of their rows go on to cleaning (the latest capture of each crawled page), and
everything put back in input order, so the outputs do not depend on how the articles were sharded."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from flows.records import Version
from flows.shards import carry_shard, read_columns, read_shard, shard_name
from flows.stages import PreparedInput, latest_captures

WORK_FOLDER = ".work"
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


def carry_shards(previous: list[Path], kept_sources: set[str], work: Path) -> list[Path]:
    """The previous run's shards carried into the work folder: linked when all their inputs are kept, rewritten
    without the others, left out when they hold none."""
    carried: list[Path] = []
    for shard in previous:
        target = work / shard_name(len(carried))
        if carry_shard(shard, kept_sources, target):
            carried.append(target)
    return carried


@dataclass
class PreparedShards:
    """A run's shards; each row's input, and the rows of each shard that go on to cleaning."""

    paths: list[Path]
    sources: list[list[str]]
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

    def read_articles(self) -> list[list[PreparedInput]]:
        """The articles to clean, read from each shard, in the order of its rows."""
        return [read_shard(path, rows) if rows else [] for path, rows in zip(self.paths, self.rows)]

    def chosen(
        self, per_shard: list[list[PreparedInput]], chosen: list[PreparedInput]
    ) -> tuple[list[Path], list[list[int]]]:
        """The shards holding any of the `chosen` articles (of `per_shard`, as read_articles gave them), and the
        rows of those articles in each."""
        wanted = {id(item) for item in chosen}
        paths, rows = [], []
        for path, shard_rows, shard_items in zip(self.paths, self.rows, per_shard, strict=True):
            picked = [row for row, item in zip(shard_rows, shard_items, strict=True) if id(item) in wanted]
            if picked:
                paths.append(path)
                rows.append(picked)
        return paths, rows


def previous_lines(shards: list[Path], wanted: set[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """The prepared lines of the previous run's articles named in `wanted` (by input and doc_id), read from its
    shards (only those holding any): what the boilerplate counts take back."""
    lines: dict[tuple[str, str], list[str]] = {}
    for shard in shards:
        names = read_columns(shard, ["source_path", "doc_id"])
        if wanted.isdisjoint(zip(names["source_path"], names["doc_id"])):
            continue
        columns = read_columns(shard, ["source_path", "doc_id", "lines"])
        for source, doc_id, article_lines in zip(columns["source_path"], columns["doc_id"], columns["lines"]):
            if (source, doc_id) in wanted:
                lines[(source, doc_id)] = article_lines
    return lines


def prepared_shards(paths: list[Path], inputs: list[str]) -> tuple[PreparedShards, list[Version]]:
    """The shards with the rows to clean: every article but the earlier captures of a crawled page, which
    become versions (only captured pages are read whole for that)."""
    sources: list[list[str]] = []
    captured: list[list[int]] = []
    for path in paths:
        columns = read_columns(path, ["source_path", "capture_url"])
        sources.append(columns["source_path"])
        captured.append([row for row, url in enumerate(columns["capture_url"]) if url])
    positions = {path: index for index, path in enumerate(inputs)}
    per_shard = [read_shard(path, rows) if rows else [] for path, rows in zip(paths, captured)]
    in_order = PreparedShards(paths, sources, captured, positions).in_input_order(per_shard)
    kept, versions = latest_captures(in_order)
    kept_ids = {id(item) for item in kept}
    rows = []
    for shard_sources, capture_rows, items in zip(sources, captured, per_shard):
        earlier = {row for row, item in zip(capture_rows, items) if id(item) not in kept_ids}
        rows.append([row for row in range(len(shard_sources)) if row not in earlier])
    return PreparedShards(paths, sources, rows, positions), versions
