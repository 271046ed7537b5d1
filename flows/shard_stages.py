"""The batched stages over shards, as plain functions a worker process runs: read a batch of inputs into one
shard of prepared articles, and finish cleaning the articles of one shard."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cleaners.keep import NOTHING_KEPT, KeptLines
from flows.config import Config
from flows.records import Document, Rejection
from flows.shards import read_shard, write_shard
from flows.stages import Boilerplate, InputRead, finish_documents, read_and_prepare


@dataclass
class ShardRead:
    """What reading a batch of inputs gave: the shard its prepared articles are in, and per input its
    rejections, skipped records and how many articles it gave."""

    path: Path
    reads: dict[str, InputRead]


def read_into_shard(raw_dir: Path, relative_paths: list[str], config: Config, shard: Path) -> ShardRead:
    """Read and prepare a batch of inputs, write their articles to `shard`, and return what else reading gave."""
    reads = read_and_prepare(raw_dir, relative_paths, config)
    write_shard([item for read in reads.values() for item in read.prepared], shard)
    for read in reads.values():
        read.prepared = []
    return ShardRead(shard, reads)


def finish_shard(
    shard: Path, rows: list[int], boilerplate: Boilerplate, config: Config, keep: KeptLines = NOTHING_KEPT
) -> list[Document | Rejection]:
    """Finish cleaning the articles at `rows` of a shard: a Document or a Rejection for each, in that order."""
    return finish_documents(read_shard(shard, rows), boilerplate, config, keep)
