"""The batched stages over shards, as plain functions a worker process runs: read a batch of inputs into one
shard of prepared articles, finish cleaning the articles of one shard into a shard of finished articles, and
apply the spelling decisions to one row group of the run's articles to spell. Each reads its input from files,
writes its result as a file in the run's work folder (Parquet; the finished shard as Arrow IPC) and returns the
path with a few counts: articles never cross between processes, and the run-wide data (learned boilerplate,
decisions) is a file each process loads once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.edits import Correction
from cleaners.keep import NOTHING_KEPT, KeptLines
from cleaners.spelling import corrected_paragraph
from flows.config import Config
from flows.outputs.manifest import file_digest
from flows.reading.readers import input_format
from flows.runtime.collector import on_frozen_heap
from flows.runtime.process_cache import load_once
from flows.stages.band_matches import signed_rows
from flows.stages.handoffs import write_arrow
from flows.stages.line_keys import known_line_keys, write_line_keys
from flows.stages.records import Rejection
from flows.stages.run_files import read_boilerplate, read_corrections
from flows.stages.shards import read_shard, write_shard
from flows.stages.signed_pool import signed_folder, write_signed
from flows.stages.spelled import write_spelled
from flows.stages.steps import InputRead, finish_documents, read_and_prepare
from flows.state.finished import FINISHED, finished_table, paragraph_keys
from flows.state.inputs import InputsRead
from flows.state.vocabulary_store import counted_folder, write_counted


@dataclass
class ShardRead:
    """What reading a batch of inputs gave: the shard its prepared articles are in, and per input how many articles
    it gave, its content hash once read (for the state), its rejections and skipped records."""

    path: Path
    inputs: InputsRead


@dataclass
class ShardDone:
    """A per-shard task's result: the file it wrote and how many rows of it count (articles finished as
    Documents, or articles the spelling changed)."""

    path: Path
    rows: int


@on_frozen_heap
def read_into_shard(raw_dir: Path, relative_paths: list[str], config: Config, shard: Path) -> ShardRead:
    """Read and prepare a batch of inputs, write their articles to `shard` and their line keys beside it, and return
    what else reading gave. The collector makes no collection meanwhile (`on_frozen_heap`): the prepared articles
    hold no cycles, and its collections, some 6 % of its CPU, found nothing."""
    reads = read_and_prepare(raw_dir, relative_paths, config)
    prepared = [item for read in reads.values() for item in read.prepared]
    write_shard(prepared, shard)
    write_line_keys(prepared, shard, config.cleaning.boilerplate, config.cleaning.bullet_chars)
    hashes = {path: input_digest(raw_dir, path, reads[path]) for path in relative_paths}
    return ShardRead(shard, InputsRead.of(reads, hashes))


def input_digest(raw_dir: Path, relative_path: str, read: InputRead) -> str | None:
    """An input's `file_digest`: for a plain .txt or .html file that gave its article, the article's content hash
    (the SHA-256 of the bytes it was read from, the whole file), else the file hashed again."""
    article_format, compressed = input_format(relative_path)
    if article_format in ("txt", "html") and not compressed and len(read.prepared) == 1:
        return read.prepared[0].raw.content_hash
    return file_digest(raw_dir, relative_path)


@on_frozen_heap
def finish_shard(
    shard: Path, rows: list[int], boilerplate: Path, config: Config, target: Path, keep: KeptLines = NOTHING_KEPT
) -> ShardDone:
    """Finish cleaning the articles at `rows` of a shard with the learned boilerplate in the file `boilerplate`,
    and write a Document or a Rejection for each, in that order, to `target` (flows/state/finished.py's table, as an
    Arrow IPC file the flow maps), the spelling evidence of the paragraphs of those in a spelled language
    (`counted_folder(target)`) and, without Redis, the signed rows of the Documents' paragraphs for the match stage
    (`signed_folder(target)`). The collector makes no collection meanwhile (`on_frozen_heap`): the task makes some
    million objects and next to no cycles, and its full collections, a tenth of its CPU, found nothing."""
    prepared = read_shard(shard, rows)
    for item, keys in zip(prepared, known_line_keys(shard, rows), strict=True):
        item.prepared.line_keys = keys
    results = finish_documents(prepared, load_once(boilerplate, read_boilerplate), config, keep)
    table = finished_table(prepared, results)  # with its paragraphs' keys, which the counting and signing take too
    write_arrow(table.to_batches(), FINISHED, target)
    documents = [result.document for result in results if not isinstance(result, Rejection)]
    paragraphs = [paragraph for document in documents for paragraph in document.paragraphs]
    keys = paragraph_keys(table)
    languages = config.spelling.languages
    spelled = Counter(text for document in documents if document.language in languages for text in document.paragraphs)
    write_counted(spelled, counted_folder(target), dict(zip(paragraphs, keys.digests.tolist(), strict=True)))
    if not config.dedup.redis_url:
        write_signed(signed_rows(paragraphs, config.dedup, keys.match), signed_folder(target))
    return ShardDone(target, len(documents))


def spell_shard(articles: Path, group: int, decisions: Path, target: Path) -> ShardDone:
    """Apply the spelling decisions in the file `decisions` to the articles of row group `group` of `articles`
    (flows/stages/spelled.py's articles to spell: their row in the run's finished table and their paragraphs), and write
    those it changes to `target`. Only the paragraphs a fix may change reach Python, and only the articles it changed
    are taken whole."""
    columns = pq.ParquetFile(articles).read_row_group(group)
    table = load_once(decisions, read_corrections)
    lists = columns["paragraphs"].combine_chunks()
    paragraphs = lists.flatten()
    holding = np.flatnonzero(table.may_change(paragraphs))  # the paragraphs a fix may change, flattened
    owners = pc.list_parent_indices(lists).to_numpy()[holding]
    starts = lists.offsets.to_numpy()
    places = holding - (starts[owners] - starts[0])  # each one's place in its article
    fixed: dict[int, tuple[dict[int, str], list[Correction]]] = {}  # by article: its changed paragraphs, its fixes
    texts = paragraphs.take(pa.array(holding, pa.int64())).to_pylist()
    for owner, place, text in zip(owners.tolist(), places.tolist(), texts, strict=True):
        corrections: list[Correction] = []
        spelled = corrected_paragraph(text, place, table, corrections)
        if corrections or spelled != text:
            changed_paragraphs, fixes = fixed.setdefault(owner, ({}, []))
            changed_paragraphs[place] = spelled
            fixes.extend(corrections)
    chosen_rows = columns.take(pa.array(list(fixed), pa.int64())).to_pydict()  # the others keep their paragraphs
    changed = []
    for row, paragraphs_of, (changed_paragraphs, fixes) in zip(
        chosen_rows["row"], chosen_rows["paragraphs"], fixed.values(), strict=True
    ):
        spelled_article = [changed_paragraphs.get(place, text) for place, text in enumerate(paragraphs_of)]
        changed.append((row, spelled_article, fixes))
    write_spelled(changed, target)
    return ShardDone(target, sum(len(fixes) for _, _, fixes in changed))
