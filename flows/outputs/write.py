"""The write stage as a plain function (tested and profiled without Prefect): every table, the corpus, the report,
the dataset card, the state and the manifest into a new run folder, then publish it."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from dedup.backlog import Backlog
from flows.config import CorpusSettings
from flows.outputs.corpus import JSONL_SHARD, LEGACY_JSONL, kept_records, shard_names, write_corpus
from flows.outputs.corpus_carry import NOTHING_CARRIED, CarriedChunks, ChunkIndex, carried_chunks, write_chunk_index
from flows.outputs.dataset_card import DATASET_CARD, dataset_card
from flows.outputs.files import Digest, sha256_written, write_table, write_tables, write_text
from flows.outputs.manifest import MANIFEST
from flows.outputs.publish import publish, staging_folder
from flows.outputs.report import cluster_views, containment_views, render_report
from flows.outputs.report_review import RemovedLines, correction_rows
from flows.outputs.schema import REMOVED, TABLES
from flows.outputs.summary import RunSummary
from flows.outputs.table_parts import (
    PARTED_TABLES,
    PartedTable,
    PreviousParts,
    part_starts,
    previous_parts,
    write_parts_index,
)
from flows.outputs.tables import ArticleTables, ParagraphCounts, article_tables, removed_tables, run_tables
from flows.runtime.collector import frozen_heap
from flows.runtime.progress import StageProgress
from flows.stages.records import RunResult
from flows.state.diff_store import DiffRecall, load_diffs, write_diffs
from flows.state.folder import STATE_FOLDER, StateRows, write_state

REMOVED_FILE = "removed.parquet"
# How many slices' parts may wait for the thread that writes them while the next slice is built.
PARTS_AHEAD = 2


@dataclass
class WriteJob:
    """Where and how the write stage writes: the output and input folders, the manifest so far (the write stage
    completes it), when the run started, the corpus settings, and the previous run's state folder when the run
    uses it (the report recalls its diffs, the corpus its records' bytes)."""

    out_dir: Path
    raw_dir: Path
    manifest: dict
    started: float
    corpus_settings: CorpusSettings
    previous_state: Path | None = None


@dataclass
class Written:
    """What the write stage wrote: the run's summary and the report's cluster views (for the run's artifacts)."""

    summary: RunSummary
    clusters: list[dict]


def run_summary(
    tables: dict[str, int],
    result: RunResult,
    manifest: dict,
    paragraphs: ParagraphCounts,
    corpus_records: int,
    kept: int,
) -> RunSummary:
    """The run's counts, taken from the tables' columns (`tables`: the rows of each table built whole, by RunTables'
    field, and removed.parquet's; `corpus_records` before the corpus's length filter, `kept` after it)."""
    return RunSummary(
        articles=result.cleaned.article_count,
        paragraphs=result.cleaned.paragraph_count,
        duplicate_paragraphs=paragraphs.duplicates,
        clusters=paragraphs.clusters(),
        contained_paragraphs=paragraphs.contained,
        duplicate_articles=len(result.dedup.duplicate_of),
        removals=tables["removed"],
        corrections=tables["corrections"],
        rejections=tables["rejected"],
        seconds=0.0,
        canonical_changes=manifest["canonical_changes"],
        versions=tables["versions"],
        skipped=sum(manifest["skipped_records"].values()),
        skip_reasons=manifest["skipped_records"],
        overrides_applied=len(result.review.applied),
        overrides_unmatched=len(result.review.unmatched),
        corpus_documents=kept,
        corpus_dropped=corpus_records - kept,
    )


@dataclass
class CorpusCounts:
    """How many corpus records were made, and how many of them the corpus's length filter keeps."""

    made: int = 0
    kept: int = 0


@dataclass
class ArticleTablesWritten:
    """What writing the article-ordered tables and the corpus gave: the paragraph counts, how many corpus records were
    made and kept, the parts of each parted table, the corpus's files (in order, with each one's SHA-256) and where its
    records' bytes lie."""

    paragraphs: ParagraphCounts
    corpus_records: CorpusCounts
    parts: dict[str, PartedTable]
    corpus_files: dict[str, str]
    chunks: ChunkIndex


def write_article_tables(
    result: RunResult,
    staged: Path,
    settings: CorpusSettings,
    previous: Mapping[str, PreviousParts] | None = None,
    starts: Sequence[int] | None = None,
    carried: CarriedChunks = NOTHING_CARRIED,
) -> ArticleTablesWritten:
    """Build articles.parquet and paragraphs.parquet a part at a time (`starts`, by default cut where the articles'
    ids say), writing each part or linking the `previous` run's part of the same rows (each table's parts on a thread
    of its own, in order, at most PARTS_AHEAD slices' parts of a table waiting), and write the corpus shards as the
    parts' kept records fill them (the corpus is never held whole; `carried`: the previous run's records)."""
    starts = part_starts(result.cleaned.articles["doc_id"]) if starts is None else starts
    previous = previous or {}
    parts = {name: PartedTable(staged, name, previous.get(name, PreviousParts())) for name in PARTED_TABLES}
    paragraphs, records = ParagraphCounts(), CorpusCounts()

    def kept_corpus() -> Iterator[pa.Table]:
        for tables in article_tables(result, starts):
            for name, backlog in written_parts.items():
                backlog.submit(parts[name].add, slice_part(tables, name))
            paragraphs.add(tables.paragraphs)
            kept = kept_records(tables.corpus, settings)
            records.made += tables.corpus.num_rows
            records.kept += kept.num_rows
            yield kept

    with ExitStack() as writers:
        written_parts: dict[str, Backlog[None]] = {
            name: Backlog(writers.enter_context(ThreadPoolExecutor(max_workers=1)), PARTS_AHEAD)
            for name in PARTED_TABLES
        }
        corpus_files, chunks = write_corpus(kept_corpus(), staged, settings.documents_per_shard, carried)
        for backlog in written_parts.values():
            backlog.finish()
    return ArticleTablesWritten(paragraphs, records, parts, corpus_files, chunks)


def slice_part(tables: ArticleTables, name: str) -> pa.Table:
    """A slice's part of the parted table `name` (articles.parquet or paragraphs.parquet)."""
    return getattr(tables, name.removesuffix(".parquet"))


def write_removed(finished: pa.Table, target: Path, digest: Digest | None = None) -> RemovedLines:
    """Write removed.parquet a slice of the finished table's documents at a time, its lines counted as they pass
    (the table is never held whole: its rows are 1.4 KB an article; its bytes fed to `digest` as they are written,
    if given)."""
    lines = RemovedLines()

    def counted() -> Iterator[pa.Table]:
        for removed in removed_tables(finished):
            lines.add(removed)
            yield removed

    write_tables(counted(), REMOVED, target, digest)
    return lines


def write_run(
    job: WriteJob, result: RunResult, state: StateRows, logger: logging.Logger | logging.LoggerAdapter
) -> Written:
    """Write every output of the run into a new run folder and publish it; the manifest gains the write stage's
    timing, the counts, the outputs' hashes (each output's SHA-256 taken from its bytes as they are written, a linked
    part's carried) and the elapsed seconds."""
    out_dir, manifest, corpus_settings = job.out_dir, job.manifest, job.corpus_settings
    progress = StageProgress("write", result.cleaned.article_count, logger)
    with frozen_heap(), staging_folder(out_dir) as staged:
        with progress:
            progress.phase("building and writing tables and the corpus", result.cleaned.article_count, "articles")
            # The tables built whole first, and the report's rows of them made at once, so that none stays while the
            # article-ordered tables and the corpus are written.
            tables = run_tables(result)
            hashes = {
                name: sha256_written(write_table, getattr(tables, name.removesuffix(".parquet")), staged / name)
                for name in TABLES
                if name not in PARTED_TABLES and name != REMOVED_FILE
            }
            corrections, rejected = correction_rows(tables.corrections), tables.rejected.to_pylist()
            table_rows = tables.rows()
            del tables
            with carried_chunks(job.previous_state, JSONL_SHARD, LEGACY_JSONL) as carried:
                previous = previous_parts(job.previous_state)
                written = write_article_tables(result, staged, corpus_settings, previous, carried=carried)
            parts, corpus_files, chunks = written.parts, written.corpus_files, written.chunks
            records, paragraphs = written.corpus_records, written.paragraphs
            del written
            progress.advance(result.cleaned.article_count)
            progress.phase("writing the report", result.cleaned.article_count, "articles")
            finished_at = datetime.now(UTC).isoformat(timespec="seconds")
            # removed.parquet a slice at a time, on a thread beside the report's views (Python, holding the GIL; the
            # removed lines' Arrow kernels and Parquet writer release it), once the article tables are let go.
            with ThreadPoolExecutor(max_workers=1) as beside:
                removed_digest = hashlib.sha256()
                removed_written = beside.submit(write_removed, result.finished, staged / REMOVED_FILE, removed_digest)
                recall = DiffRecall(load_diffs(job.previous_state))
                clusters = cluster_views(result.cleaned, result.records, result.dedup, out_dir, recall)
                contained = containment_views(result.cleaned, result.records, result.dedup, recall)
                removed_lines = removed_written.result()
            hashes[REMOVED_FILE] = removed_digest.hexdigest()
            table_rows["removed"] = removed_lines.rows
            summary = run_summary(table_rows, result, manifest, paragraphs, records.made, records.kept)
            counts = {
                key: value
                for key, value in asdict(summary).items()
                if key not in ("seconds", "up_to_date", "skip_reasons")
            }
            report = render_report(
                result.cleaned,
                clusters,
                result.dedup,
                {"counts": counts, "finished_at": finished_at, "raw_dir": str(job.raw_dir)},
                rejected,
                result.review,
                out_dir,
                contained,
                removed_lines.described(),
                corrections,
            )
            del removed_lines
            hashes["report.html"] = sha256_written(write_text, report, staged / "report.html")
            del report  # written (tens of MB): the state phase need not hold it
            hashes[DATASET_CARD] = sha256_written(
                write_text, dataset_card(TABLES, PARTED_TABLES), staged / DATASET_CARD
            )
            for parted in parts.values():
                hashes |= parted.sha256
            hashes |= corpus_files
            part_files = [path for parted in parts.values() for path in parted.files()]
            outputs = [*part_files, *(name for name in TABLES if name not in parts), *corpus_files, "report.html"]
            outputs.append(DATASET_CARD)
            progress.advance(result.cleaned.article_count)
            progress.phase("writing the state", result.cleaned.article_count, "articles")
            write_state(staged, state)
            write_diffs(staged / STATE_FOLDER, recall.used)
            write_chunk_index(staged / STATE_FOLDER, chunks)
            progress.advance(result.cleaned.article_count)
        manifest["stages"].append(progress.entry())
        write_parts_index(staged / STATE_FOLDER, parts.values())
        manifest |= {
            "finished_at": finished_at,
            "counts": counts,
            "outputs": {name: hashes[name] for name in outputs},
            "elapsed_seconds": round(time.monotonic() - job.started, 3),
        }
        summary.seconds = manifest["elapsed_seconds"]
        write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", staged / MANIFEST)
        publish(out_dir, staged, [*TABLES, *shard_names(list(corpus_files)), "report.html", DATASET_CARD, MANIFEST])
    return Written(summary, clusters)
