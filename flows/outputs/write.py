"""The write stage as a plain function (tested and profiled without Prefect): every table, the corpus, the report,
the dataset card, the state and the manifest into a new run folder, then publish it."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from flows.config import CorpusSettings
from flows.outputs.corpus import JSONL_SHARD, LEGACY_JSONL, kept_records, shard_names, write_corpus
from flows.outputs.corpus_carry import carried_chunks, write_chunk_index
from flows.outputs.dataset_card import DATASET_CARD, dataset_card
from flows.outputs.files import parquet_writer, write_table, write_text
from flows.outputs.manifest import MANIFEST, output_hashes
from flows.outputs.publish import publish, staging_folder
from flows.outputs.report import cluster_views, containment_views, render_report
from flows.outputs.report_review import correction_rows, removed_line_rows
from flows.outputs.schema import ARTICLES, CORPUS, PARAGRAPHS, TABLES
from flows.outputs.summary import RunSummary
from flows.outputs.tables import SLICE_ARTICLES, ParagraphCounts, article_tables, run_tables
from flows.runtime.memory import frozen_heap
from flows.runtime.progress import StageProgress
from flows.stages.records import RunResult
from flows.state.diff_store import DiffRecall, load_diffs, write_diffs
from flows.state.folder import STATE_FOLDER, StateRows, write_state

# The tables built and written a slice of articles at a time (write_article_tables).
SLICED_TABLES = ("articles.parquet", "paragraphs.parquet")


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
    field; `corpus_records` before the corpus's length filter, `kept` after it)."""
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


def write_article_tables(
    result: RunResult, staged: Path, settings: CorpusSettings, slice_articles: int = SLICE_ARTICLES
) -> tuple[ParagraphCounts, int, pa.Table]:
    """Build and write articles.parquet and paragraphs.parquet `slice_articles` articles at a time; return the
    paragraph counts, how many corpus records were made and those the length filter keeps."""
    paragraphs, corpus_records, kept = ParagraphCounts(), 0, []
    with (
        parquet_writer(staged / "articles.parquet", ARTICLES) as write_articles,
        parquet_writer(staged / "paragraphs.parquet", PARAGRAPHS) as write_paragraphs,
    ):
        for tables in article_tables(result, slice_articles):
            write_articles(tables.articles)
            write_paragraphs(tables.paragraphs)
            paragraphs.add(tables.paragraphs)
            corpus_records += tables.corpus.num_rows
            kept.append(kept_records(tables.corpus, settings))
    return paragraphs, corpus_records, pa.concat_tables([CORPUS.empty_table(), *kept])


def write_run(
    job: WriteJob, result: RunResult, state: StateRows, logger: logging.Logger | logging.LoggerAdapter
) -> Written:
    """Write every output of the run into a new run folder and publish it; the manifest gains the write stage's
    timing, the counts, the outputs' hashes and the elapsed seconds."""
    out_dir, manifest, corpus_settings = job.out_dir, job.manifest, job.corpus_settings
    progress = StageProgress("write", result.cleaned.article_count, logger)
    with frozen_heap(), staging_folder(out_dir) as staged:
        with progress:
            progress.phase("building and writing tables", result.cleaned.article_count, "articles")
            # The tables built whole first, and the report's rows of them made at once, so that none stays while the
            # corpus the length filter keeps grows (removed.parquet's rows and the kept corpus are 1.4 KB an article each).
            tables = run_tables(result)
            for name in [name for name in TABLES if name not in SLICED_TABLES]:
                write_table(getattr(tables, name.removesuffix(".parquet")), staged / name)
            removed, corrections = removed_line_rows(tables.removed), correction_rows(tables.corrections)
            rejected, table_rows = tables.rejected.to_pylist(), tables.rows()
            del tables
            paragraphs, corpus_records, corpus = write_article_tables(result, staged, corpus_settings)
            summary = run_summary(table_rows, result, manifest, paragraphs, corpus_records, corpus.num_rows)
            progress.advance(result.cleaned.article_count)
            progress.phase("writing the corpus", corpus.num_rows, "documents")
            with carried_chunks(job.previous_state, JSONL_SHARD, LEGACY_JSONL) as carried:
                corpus_files, chunks = write_corpus(corpus, staged, corpus_settings.documents_per_shard, carried)
            progress.advance(corpus.num_rows)
            del corpus  # written: the report and the state never read it (1.4 KB an article)
            progress.phase("writing the report", result.cleaned.article_count, "articles")
            counts = {
                key: value
                for key, value in asdict(summary).items()
                if key not in ("seconds", "up_to_date", "skip_reasons")
            }
            finished_at = datetime.now(UTC).isoformat(timespec="seconds")
            recall = DiffRecall(load_diffs(job.previous_state))
            clusters = cluster_views(result.cleaned, result.records, result.dedup, out_dir, recall)
            report = render_report(
                result.cleaned,
                clusters,
                result.dedup,
                {"counts": counts, "finished_at": finished_at, "raw_dir": str(job.raw_dir)},
                rejected,
                result.review,
                out_dir,
                containment_views(result.cleaned, result.records, result.dedup, recall),
                removed,
                corrections,
            )
            write_text(report, staged / "report.html")
            del report  # written (tens of MB): the state phase need not hold it
            write_text(dataset_card(TABLES), staged / DATASET_CARD)
            outputs = [*TABLES, *corpus_files, "report.html", DATASET_CARD]
            progress.advance(result.cleaned.article_count)
            progress.phase("writing the state", result.cleaned.article_count, "articles")
            write_state(staged, state)
            write_diffs(staged / STATE_FOLDER, recall.used)
            write_chunk_index(staged / STATE_FOLDER, chunks)
            progress.advance(result.cleaned.article_count)
        manifest["stages"].append(progress.entry())
        manifest |= {
            "finished_at": finished_at,
            "counts": counts,
            "outputs": output_hashes(staged, outputs),
            "elapsed_seconds": round(time.monotonic() - job.started, 3),
        }
        summary.seconds = manifest["elapsed_seconds"]
        write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", staged / MANIFEST)
        publish(out_dir, staged, [*TABLES, *shard_names(corpus_files), "report.html", DATASET_CARD, MANIFEST])
    return Written(summary, clusters)
