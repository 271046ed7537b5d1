"""The copydesk Prefect flow: read and clean in batches, learn each site's boilerplate, find
near-duplicate paragraphs, fix spelling corpus-wide with the copies they reveal, cluster, and write
every output atomically. Tasks wrap the plain functions of flows/stages.py; their data goes in `quote`d,
so Prefect does not walk every article looking for futures (that walk cost more than the work itself).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.utilities.annotations import quote

from flows import stages
from flows.artifacts import publish_run_artifacts
from flows.config import Config, load_config, with_redis_url
from flows.escape import one_line
from flows.lock import run_lock
from flows.manifest import MANIFEST, inputs_fingerprint, read_manifest, versions
from flows.outputs import file_sha256, write_jsonl, write_parquet, write_text
from flows.overrides import Overrides, ReviewOutcome, load_overrides, override_paths, review_outcome
from flows.progress import StageProgress
from flows.publish import CURRENT, publish, staging_folder
from flows.readers import discover_inputs
from flows.records import Document, Rejection, Version
from flows.report import cluster_views, containment_views, render_report
from flows.schema import SCHEMA_VERSION, TABLES
from flows.state import STATE_VERSION, State, file_digest, file_stamp, load_state, state_problem, write_state
from flows.tables import build_tables
from flows.task_runner import task_runner_from_environment

read_and_prepare = task(stages.read_and_prepare, name="read-and-prepare", cache_policy=NO_CACHE)
learn_boilerplate = task(stages.learn_source_boilerplate, name="learn-boilerplate", cache_policy=NO_CACHE)
finish_cleaning = task(stages.finish_cleaning, name="finish-cleaning", cache_policy=NO_CACHE)
spelling_decisions = task(stages.spelling_decisions, name="spelling-decisions", cache_policy=NO_CACHE)
apply_spelling = task(stages.apply_spelling, name="apply-spelling", cache_policy=NO_CACHE)
match_paragraphs = task(stages.match_paragraphs, name="match-paragraphs", cache_policy=NO_CACHE)
cluster_paragraphs = task(stages.cluster_paragraphs, name="cluster-paragraphs", cache_policy=NO_CACHE)


@dataclass
class RunSummary:
    """What a run did, for the CLI's closing lines and the manifest."""

    articles: int
    paragraphs: int
    duplicate_paragraphs: int
    clusters: int
    duplicate_articles: int
    removals: int
    corrections: int
    rejections: int
    seconds: float
    canonical_changes: int = 0
    contained_paragraphs: int = 0
    versions: int = 0
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    overrides_applied: int = 0
    overrides_unmatched: int = 0
    up_to_date: bool = False


def _batches(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _run_batches(stage: str, submitted: list, logger) -> list:
    """Wait for a stage's batch futures, showing progress; results come back in submission order."""
    results: dict[int, object] = {}
    index_of = {future: index for index, future in enumerate(submitted)}
    with StageProgress(stage, len(submitted), logger) as progress:
        for future in as_completed(submitted):
            results[index_of[future]] = future.result()
            progress.advance()
    return [results[index] for index in range(len(submitted))]


@task(name="write-outputs", cache_policy=NO_CACHE)
def write_outputs(
    out_dir: Path,
    raw_dir: Path,
    documents: list[Document],
    rejections: list[Rejection],
    earlier_captures: list[Version],
    boilerplate,
    records,
    dedup,
    manifest: dict,
    started: float,
    state: tuple[dict, dict, list, frozenset],
    review: ReviewOutcome,
) -> RunSummary:
    """Write every table, the corpus, the report and the manifest into a new run folder, then publish it."""
    with staging_folder(out_dir) as staged:
        tables = build_tables(documents, rejections, dedup, boilerplate, earlier_captures)
        summary = RunSummary(
            articles=len(tables.articles),
            paragraphs=len(tables.paragraphs),
            duplicate_paragraphs=sum(
                row["cluster_id"] != f"{row['doc_id']}-{row['para_idx']}" for row in tables.paragraphs
            ),
            clusters=sum(size > 1 for size in Counter(row["cluster_id"] for row in tables.paragraphs).values()),
            contained_paragraphs=sum(row["contained_in"] is not None for row in tables.paragraphs),
            duplicate_articles=len(dedup.duplicate_of),
            removals=len(tables.removed),
            corrections=len(tables.corrections),
            rejections=len(tables.rejected),
            seconds=0.0,
            canonical_changes=manifest["canonical_changes"],
            versions=len(tables.versions),
            skipped=sum(manifest["skipped_records"].values()),
            skip_reasons=manifest["skipped_records"],
            overrides_applied=len(review.applied),
            overrides_unmatched=len(review.unmatched),
        )
        for name, schema in TABLES.items():
            write_parquet(getattr(tables, name.removesuffix(".parquet")), schema, staged / name)
        write_jsonl(tables.corpus, staged / "corpus.jsonl")
        counts = {
            key: value for key, value in asdict(summary).items() if key not in ("seconds", "up_to_date", "skip_reasons")
        }
        finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        clusters = cluster_views(documents, records, dedup, out_dir)
        report = render_report(
            documents,
            clusters,
            dedup,
            {"counts": counts, "finished_at": finished_at, "raw_dir": str(raw_dir)},
            tables.rejected,
            review,
            out_dir,
            containment_views(documents, records, dedup),
        )
        write_text(report, staged / "report.html")
        outputs = [*TABLES, "corpus.jsonl", "report.html"]
        manifest |= {
            "finished_at": finished_at,
            "counts": counts,
            "outputs": {name: file_sha256(staged / name) for name in outputs},
            "elapsed_seconds": round(time.monotonic() - started, 3),
        }
        summary.seconds = manifest["elapsed_seconds"]
        write_state(staged, *state)
        write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", staged / MANIFEST)
        publish(out_dir, staged, [*outputs, MANIFEST])
    publish_run_artifacts(counts, clusters, str(out_dir))
    return summary


@flow(name="copydesk-run", task_runner=task_runner_from_environment())
def copydesk_run(
    raw_dir: str,
    out_dir: str,
    config_path: str | None = None,
    batch_size: int = 1000,
    force: bool = False,
    wait_seconds: float = 0.0,
    redis_url: str | None = None,
    overrides_path: str | None = None,
) -> RunSummary:
    """Clean and deduplicate every article under raw_dir into out_dir, one run at a time per out_dir, applying
    the maintainers' decisions in out_dir/overrides.toml (and the config's and `overrides_path`, if named);
    `redis_url` holds the LSH indexes in Redis (over the config's [scale] redis_url)."""
    started = time.monotonic()
    config = with_redis_url(load_config(Path(config_path) if config_path else None), redis_url)
    raw, out = Path(raw_dir), Path(out_dir)
    with run_lock(out, wait_seconds):
        overrides = load_overrides(override_paths(out, config, Path(overrides_path) if overrides_path else None))
        return _run(raw, out, config, batch_size, force, started, overrides)


def _run(
    raw: Path, out: Path, config: Config, batch_size: int, force: bool, started: float, overrides: Overrides
) -> RunSummary:
    """The flow's work once it holds the output folder."""
    logger = get_run_logger()
    inputs, unread_folders = discover_inputs(raw, out)
    stamps = {path: stamp for path in inputs if (stamp := file_stamp(raw, path)) is not None}
    fingerprint = inputs_fingerprint(inputs, stamps, config)
    previous = read_manifest(out)
    same_overrides = previous and previous.get("overrides", {}).get("sha256", "") == overrides.sha256
    if not force and same_overrides and previous.get("inputs_fingerprint") == fingerprint:
        logger.info("%s is up to date with %s: nothing new to do", one_line(out), one_line(raw))
        seconds = round(time.monotonic() - started, 3)
        skip_reasons = previous["skipped_records"]
        return RunSummary(**previous["counts"], skip_reasons=skip_reasons, seconds=seconds, up_to_date=True)
    logger.info("%d input files under %s, config %s", len(inputs), one_line(raw), one_line(config.path))

    problem = "--force" if force else state_problem(previous, config.sha256)
    state = load_state(out / CURRENT) if problem is None else State({}, {})
    if problem and previous:
        logger.info("reading every input again: %s", problem)
    reused = {path: state.reads[path] for path in inputs if state.unchanged(raw, path, stamps.get(path))}
    to_read = [path for path in inputs if path not in reused]
    logger.info("%d new or changed inputs to read, %d unchanged reused", len(to_read), len(reused))
    # The read tasks get RAW_DIR as an absolute path: a Dask worker's working folder is not the flow's.
    read = _run_batches(
        "read",
        [read_and_prepare.submit(raw.absolute(), quote(batch), config) for batch in _batches(to_read, batch_size)],
        logger,
    )
    fresh = {path: input_read for batch_reads in read for path, input_read in batch_reads.items()}
    reads = {path: reused[path] if path in reused else fresh[path] for path in inputs}
    all_prepared = [item for input_read in reads.values() for item in input_read.prepared]
    prepared, earlier_captures = stages.latest_captures(all_prepared)
    rejections = unread_folders + [rejection for input_read in reads.values() for rejection in input_read.rejections]
    skipped = stages.skipped_by_reason(reads.values())
    if earlier_captures or skipped:
        logger.info(
            "WARC: %d earlier captures are versions, %d records skipped", len(earlier_captures), sum(skipped.values())
        )
    boilerplate = learn_boilerplate(quote(prepared), config)
    logger.info("boilerplate: %d lines learned over %d sources", sum(map(len, boilerplate.values())), len(boilerplate))
    kept = overrides.kept_lines()
    prepared_batches = _batches(prepared, batch_size)
    cleaned = _run_batches(
        "clean",
        [finish_cleaning.submit(quote(batch), quote(boilerplate), config, quote(kept)) for batch in prepared_batches],
        logger,
    )
    documents = [document for batch_documents, _ in cleaned for document in batch_documents]
    rejections += [rejection for _, batch_rejections in cleaned for rejection in batch_rejections]
    for rejection in rejections:
        logger.warning("rejected %s: %s", one_line(rejection.source_path), one_line(rejection.reason))
    spared = Counter(line.override for document in documents for line in document.spared)
    for override, lines in sorted(spared.items()):
        logger.info("override %s kept %d lines a rule would have removed", one_line(override), lines)

    matches = match_paragraphs(quote(documents), config)
    logger.info("dedup: %d candidate pairs, %d verified", matches.candidate_count, len(matches.overlaps))
    decisions, spelling_applied = spelling_decisions(quote(documents), quote(matches), config, quote(overrides))
    logger.info("spelling: %d distinct tokens and spans to fix", len(decisions))
    document_batches = _batches(documents, batch_size)
    spelled = _run_batches(
        "spelling",
        [
            apply_spelling.submit(quote(batch), quote(decisions), config.spelling.languages)
            for batch in document_batches
        ],
        logger,
    )
    documents = [document for batch_documents in spelled for document in batch_documents]  # a Dask worker fixes copies
    records, dedup, paragraphs_applied = cluster_paragraphs(
        quote(documents), quote(matches), config, quote(state.canonical), quote(overrides)
    )
    review = review_outcome(overrides, spared.keys() | spelling_applied | paragraphs_applied)
    if overrides.decisions:
        logger.info("overrides: %d applied, %d matched nothing", len(review.applied), len(review.unmatched))
    for decision in review.unmatched:
        logger.warning("override %s (%s) matched nothing in this run", one_line(decision.id), one_line(decision.kind))
    unseated = stages.unseated_incumbents(records, dedup)
    if unseated:
        logger.info(
            "canonical: %d paragraphs canonical in the previous run gave way to ones the policy prefers", unseated
        )

    manifest = {
        "schema_version": SCHEMA_VERSION,
        "state_version": STATE_VERSION,
        "inputs_read": len(to_read),
        "inputs_reused": len(reused),
        "canonical_changes": unseated,
        "skipped_records": skipped,
        "raw_dir": str(raw.resolve()),
        "inputs": len(inputs),
        "inputs_fingerprint": fingerprint,
        "config_path": config.path,
        "config_sha256": config.sha256,
        "config": config.raw,
        "overrides": {
            "sha256": overrides.sha256,
            "applied": [decision.id for decision in review.applied],
            "unmatched": [decision.id for decision in review.unmatched],
        },
        "versions": versions(),
    }
    state_rows = (
        {path: stamps[path] for path in inputs if path in stamps},
        {path: state.hashes.get(path) if path in reused else file_digest(raw, path) for path in inputs},
        reads,
        stages.canonical_keys(records, dedup),
    )
    return write_outputs(
        out,
        raw,
        *map(quote, (documents, rejections, earlier_captures, boilerplate, records, dedup)),
        manifest,
        started,
        quote(state_rows),
        quote(review),
    )
