"""The copydesk Prefect flow: read and clean in batches, learn each site's boilerplate, find
near-duplicate paragraphs, fix spelling corpus-wide with the copies they reveal, cluster, and write
every output atomically. Tasks wrap the plain functions of flows/stages/steps.py; their data goes in `quote`d,
so Prefect does not walk every article looking for futures (that walk cost more than the work itself).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import compress
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.utilities.annotations import quote

from dedup.text_hash import text_hashes
from flows.config import Config, load_config, with_redis_url
from flows.escape import one_line
from flows.outputs.artifacts import publish_run_artifacts
from flows.outputs.manifest import read_manifest, versions
from flows.outputs.publish import CURRENT
from flows.outputs.schema import SCHEMA_VERSION
from flows.outputs.summary import InputsSeen, RunSummary, inputs_seen, up_to_date_summary
from flows.outputs.tables import REMOVED_FROM
from flows.outputs.write import WriteJob, write_run
from flows.review.overrides import Overrides, load_overrides, override_paths, review_outcome
from flows.runtime.collector import frozen_heap
from flows.runtime.lock import run_lock
from flows.runtime.memory import release_free_memory, settle_malloc
from flows.runtime.progress import StageProgress
from flows.runtime.task_runner import (
    runs_in_flow,
    stop_workers,
    submitting,
    task_runner_from_environment,
    worker_processes,
    workers_killed_on_failure,
)
from flows.stages import shard_steps, steps
from flows.stages.handoffs import remove_handoffs
from flows.stages.prepared import carry_shards, prepared_shards, work_folder
from flows.stages.records import RunResult
from flows.stages.run_files import write_boilerplate, write_decisions
from flows.stages.shards import shard_name
from flows.stages.signed_pool import signed_folder
from flows.stages.spelled import document_rows, lay_over, write_for_spelling
from flows.state import finished, line_counts
from flows.state.band_store import write_band_store
from flows.state.cluster_store import ClusterUpdate
from flows.state.folder import STATE_FOLDER, STATE_VERSION, State, StateRows, load_state, state_problem
from flows.state.inputs import InputsRead
from flows.state.spelled_store import SPELLED_FILE, plan_spelling, spelled_this_run, write_stored
from flows.state.vocabulary_store import counted_folder, write_vocabulary

read_and_prepare = task(shard_steps.read_into_shard, name="read-and-prepare", cache_policy=NO_CACHE)
learn_boilerplate = task(line_counts.learn_incrementally, name="learn-boilerplate", cache_policy=NO_CACHE)
finish_cleaning = task(shard_steps.finish_shard, name="finish-cleaning", cache_policy=NO_CACHE)
spelling_decisions = task(steps.spelling_decisions, name="spelling-decisions", cache_policy=NO_CACHE)
apply_spelling = task(shard_steps.spell_shard, name="apply-spelling", cache_policy=NO_CACHE)
match_paragraphs = task(steps.match_paragraphs, name="match-paragraphs", cache_policy=NO_CACHE)
cluster_paragraphs = task(steps.cluster_paragraphs, name="cluster-paragraphs", cache_policy=NO_CACHE)


# RAW_DIR's files as `copydesk run` saw them just before starting the flow in its own process, by (RAW_DIR,
# OUT_DIR, config hash): the flow takes them instead of looking at every file again (seconds at 100,000 inputs).
_seen_by_command: dict[tuple[Path, Path, str], InputsSeen] = {}


@contextmanager
def inputs_seen_by_command(raw: Path, out: Path, config: Config, seen: InputsSeen | None) -> Iterator[None]:
    """While inside, a flow run over `raw` into `out` with `config` in this process takes `seen` as its inputs
    (None: it looks at them itself)."""
    key = (raw.absolute(), out.absolute(), config.sha256)
    if seen is not None:
        _seen_by_command[key] = seen
    try:
        yield
    finally:
        _seen_by_command.pop(key, None)


def _inputs_seen(raw: Path, out: Path, config: Config) -> InputsSeen:
    """RAW_DIR's files as the command that started this run saw them, else as they are now."""
    return _seen_by_command.get((raw.absolute(), out.absolute(), config.sha256)) or inputs_seen(raw, out, config)


# Tasks a worker process takes in the correct stage: an apply-spelling task spells 1,000 articles in about 0.13 s of
# CPU and costs Prefect about 0.06 s more whatever its size, so a few large tasks a worker beat one a batch.
SPELLING_TASKS_PER_WORKER = 4
# ... but no more articles a task than this: a worker holds its task's articles (at 1,000,000 on two workers, tasks
# of 125,000 articles grew each worker by about 0.8 GB; 40 tasks of 25,000 cost Prefect about 2 s more).
SPELLING_TASK_MAX_ROWS = 25_000
# A batched stage with less work than these runs its tasks on a thread of the flow process when no worker process is
# running (none started yet, or stopped after the clean stage): a worker spends some 2.5 CPU s starting (importing
# copydesk, Prefect and numba), about what the flow spends spelling 20,000 articles, or reading and finishing 1,500
# text dumps (4 MB) or some 100 HTML pages of 40 KB, on one core. So a scheduled run of a few new files starts none.
SPELL_IN_FLOW_BELOW = 20_000  # articles to spell
READ_IN_FLOW_BELOW_BYTES = 4_000_000  # bytes of the inputs to read
FINISH_IN_FLOW_BELOW = 1_500  # articles to finish


def spelling_group_rows(articles: int, batch_size: int, workers: int | None) -> int:
    """Articles per apply-spelling task: `batch_size`, or with worker processes enough for
    SPELLING_TASKS_PER_WORKER tasks a worker, at most SPELLING_TASK_MAX_ROWS (never fewer than `batch_size`)."""
    if not workers:
        return batch_size
    return max(batch_size, min(SPELLING_TASK_MAX_ROWS, -(-articles // (workers * SPELLING_TASKS_PER_WORKER))))


def _batches(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _run_batches(progress: StageProgress, submitted: list, sizes: list[int]) -> list:
    """Wait for a stage's batch futures, advancing its progress by each batch's size as it finishes; results
    come back in submission order."""
    results: dict[int, object] = {}
    index_of = {future: index for index, future in enumerate(submitted)}
    for future in as_completed(submitted):
        index = index_of[future]
        results[index] = future.result()
        progress.advance(sizes[index])
    return [results[index] for index in range(len(submitted))]


@task(name="write-outputs", cache_policy=NO_CACHE)
def write_outputs(job: WriteJob, result: RunResult, state: StateRows) -> RunSummary:
    """Write every table, the corpus, the report and the manifest into a new run folder, publish it, and record
    the run's artifacts."""
    written = write_run(job, result, state, get_run_logger())
    publish_run_artifacts(job.manifest["counts"], written.clusters, job.manifest["stages"], job.out_dir)
    return written.summary


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
    """Clean and deduplicate every article under raw_dir into out_dir, one run at a time per out_dir.

    Args:
        raw_dir: Folder of scraped articles, read recursively (txt, html, jsonl, warc, and .gz of each).
        out_dir: Output folder: the tables, the corpus, report.html and manifest.json.
        config_path: copydesk.toml to use (default: the working folder's, else the project's own).
        batch_size: Articles per Prefect task.
        force: Rebuild everything even if out_dir is up to date with raw_dir.
        wait_seconds: How long to wait for another run writing out_dir before giving up.
        redis_url: Hold the dedup LSH indexes in Redis at this URL (over the config's [scale] redis_url).
        overrides_path: Maintainers' decisions to apply besides out_dir/overrides.toml and the config's.
    """
    started = time.monotonic()
    settle_malloc()
    config = with_redis_url(load_config(Path(config_path) if config_path else None), redis_url)
    raw, out = Path(raw_dir), Path(out_dir)
    with run_lock(out, wait_seconds):
        overrides = load_overrides(override_paths(out, config, Path(overrides_path) if overrides_path else None))
        with work_folder(out) as work, workers_killed_on_failure():
            return _run(raw, out, config, batch_size, force, started, overrides, work)


def _run(
    raw: Path,
    out: Path,
    config: Config,
    batch_size: int,
    force: bool,
    started: float,
    overrides: Overrides,
    work: Path,
) -> RunSummary:
    """The flow's work once it holds the output folder."""
    logger = get_run_logger()
    seen = _inputs_seen(raw, out, config)
    inputs = seen.inputs
    previous = read_manifest(out)
    seconds = round(time.monotonic() - started, 3)
    if not force and (summary := up_to_date_summary(previous, seen, overrides.sha256, seconds)):
        logger.info("%s is up to date with %s: nothing new to do", one_line(out), one_line(raw))
        return summary
    logger.info("%d input files under %s, config %s", len(inputs), one_line(raw), one_line(config.path))
    timings: list[StageProgress] = []

    def stage(name: str, total: int, unit: str = "articles") -> StageProgress:
        timings.append(StageProgress(name, total, logger, unit))
        return timings[-1]

    problem = "--force" if force else state_problem(previous, config.sha256)
    state = load_state(out / CURRENT) if problem is None else State()
    if problem and previous:
        logger.info("reading every input again: %s", problem)
    paths = pa.array(inputs, pa.string())
    reused_rows = state.inputs.reused_rows(raw, paths, seen.stamps)
    unchanged = reused_rows >= 0
    to_read = list(compress(inputs, ~unchanged))
    reused = len(inputs) - len(to_read)
    logger.info("%d new or changed inputs to read, %d unchanged reused", len(to_read), reused)
    with stage("read", len(to_read), "files") as progress:
        reused_paths = paths.filter(pa.array(unchanged))
        carried = carry_shards(
            state.shards, reused_paths, work, config.cleaning.boilerplate, config.cleaning.bullet_chars
        )
        # The read tasks get RAW_DIR as an absolute path: a Dask worker's working folder is not the flow's.
        file_batches = _batches(to_read, batch_size)
        bytes_to_read = pc.sum(seen.stamps["size"].filter(pa.array(~unchanged))).as_py() or 0
        with submitting(runs_in_flow(bytes_to_read, READ_IN_FLOW_BELOW_BYTES)) as submit:
            submitted = [
                submit(
                    read_and_prepare,
                    {
                        "raw_dir": raw.absolute(),
                        "relative_paths": quote(batch),
                        "config": config,
                        "shard": work / shard_name(len(carried) + number),
                    },
                )
                for number, batch in enumerate(file_batches)
            ]
            read = _run_batches(progress, submitted, list(map(len, file_batches)))
        fresh = InputsRead.joined([shard_read.inputs for shard_read in read])
        ledger = state.inputs.carried(paths, seen.stamps, reused_rows, fresh)
        del paths, reused_paths, reused_rows, fresh
        prepared, earlier_captures = prepared_shards([*carried, *(shard_read.path for shard_read in read)], inputs)
        progress.rows_out = prepared.articles
    rejections = seen.unread_folders + ledger.read_rejections()
    skipped = ledger.skipped_by_reason()
    if earlier_captures or skipped:
        logger.info(
            "WARC: %d earlier captures are versions, %d records skipped", len(earlier_captures), sum(skipped.values())
        )
    articles, shard_paths = prepared.run_articles(), prepared.paths
    del prepared, read, submitted  # the prepared articles' names (RunArticles has them), the read tasks' results
    written_state = work / STATE_FOLDER  # state files written as their stage ends, linked in by the write stage
    written_state.mkdir()
    with stage("boilerplate", len(articles.names)) as progress:
        rules, bullets = config.cleaning.boilerplate, config.cleaning.bullet_chars
        if state.line_counts.keyed_by_text:
            logger.info("boilerplate: the stored line counts are keyed by text (an older copydesk's): writing them all")
        learning = learn_boilerplate(
            quote(articles),
            quote(state.line_counts),
            quote(state.shards),
            quote(to_read),
            rules,
            bullets,
            written_state,
            quote(progress),
            work / "boilerplate-spill",
        )
        boilerplate = learning.boilerplate
        progress.rows_out = sum(map(len, boilerplate.values()))
    state.let_go("line_counts")
    release_free_memory()
    logger.info("boilerplate: %d lines learned over %d sources", progress.rows_out, len(boilerplate))
    kept = overrides.kept_lines()
    redo = finished.to_finish(articles, state.finished, to_read, learning.changed, kept, work / "finish-spill")
    work_paths, work_rows = articles.chosen(redo)
    with stage("clean", len(redo)) as progress:
        learned = write_boilerplate(boilerplate, work)
        with submitting(runs_in_flow(len(redo), FINISH_IN_FLOW_BELOW)) as submit:
            submitted = [
                submit(
                    finish_cleaning,
                    {
                        "shard": shard,
                        "rows": quote(rows),
                        "boilerplate": learned,
                        "config": config,
                        "target": work / f"finished-{shard.stem}.arrow",
                        "keep": quote(kept),
                    },
                )
                for shard, rows in zip(work_paths, work_rows)
            ]
            finished_shards = _run_batches(progress, submitted, list(map(len, work_rows)))
        fresh = finished.read_finished([done.path for done in finished_shards])
        in_order = finished.in_order(articles.names, fresh, state.finished)
        cleaned, finished_table, lineage = in_order.cleaned, in_order.table, in_order.lineage
        paragraph_keys = finished.paragraph_keys(finished_table)  # worked out by the tasks, carried in the state
        rejections += in_order.rejections
        progress.rows_out = cleaned.article_count
    logger.info("clean: %d articles finished, %d carried over", len(redo), len(articles.names) - len(redo))
    del articles, redo, fresh, in_order
    stop_workers()  # none until the correct stage: their memory leaves while the flow matches and judges spelling
    release_free_memory()
    for rejection in rejections:
        logger.warning("rejected %s: %s", one_line(rejection.source_path), one_line(rejection.reason))
    spared = finished.spared_by_override(finished_table)
    for override, lines in sorted(spared.items()):
        logger.info("override %s kept %d lines a rule would have removed", one_line(override), lines)

    paragraph_count = cleaned.paragraph_count
    with stage("match", paragraph_count, "paragraphs") as progress:
        signed = [signed_folder(done.path) for done in finished_shards]
        new_rows = work / "match-new"
        matched = match_paragraphs(
            quote(cleaned),
            config,
            state.bands,
            quote(progress),
            work / "match-spill",
            signed,
            new_rows,
            quote(paragraph_keys.match),
        )
        matches = matched.matches
        progress.rows_out = len(matches.overlaps)
        write_band_store(written_state, matched.update)
    matched.update = None  # the store is written
    remove_handoffs([*signed, new_rows])  # the store links the new rows' parts
    release_free_memory()
    logger.info("dedup: %d candidate pairs, %d verified", matches.candidate_count, len(matches.overlaps))
    logger.info(
        "dedup: %d texts signed and %d pairs measured, not in the previous store", matched.signed, matched.verified
    )
    with stage("spelling", paragraph_count, "paragraphs") as progress:
        counted = [counted_folder(done.path) for done in finished_shards]
        decisions, spelling_applied, vocabulary = spelling_decisions(
            quote(cleaned),
            quote(matches),
            config,
            quote(overrides),
            quote(state.vocabulary),
            quote(progress),
            counted,
            work / "spelling-spill",
            quote(paragraph_keys.digests),
        )
        progress.rows_out = len(decisions)
        write_vocabulary(written_state, vocabulary)
    remove_handoffs(counted)
    state.let_go("vocabulary")
    del vocabulary, paragraph_keys
    release_free_memory()
    logger.info("spelling: %d distinct tokens and spans to fix", len(decisions))
    with stage("correct", cleaned.article_count) as progress:
        progress.phase("planning", cleaned.article_count, "articles")
        fixes = write_decisions(decisions, work)
        plan = plan_spelling(
            finished_table, lineage, decisions, config.spelling.languages, state.finished, state.spelled
        )
        in_flow = runs_in_flow(len(plan.applying), SPELL_IN_FLOW_BELOW)
        group_rows = (
            SPELLING_TASK_MAX_ROWS
            if in_flow
            else spelling_group_rows(len(plan.applying), batch_size, worker_processes())
        )
        progress.advance(cleaned.article_count)
        progress.phase("spelling", len(plan.applying), "articles")
        groups = write_for_spelling(finished_table, plan.applying, work, group_rows)
        with submitting(in_flow) as submit:
            submitted = [
                submit(
                    apply_spelling,
                    {
                        "articles": groups.path,
                        "group": group,
                        "decisions": fixes,
                        "target": work / f"spelled-{shard_name(group)}",
                    },
                )
                for group in range(len(groups.rows_per_group))
            ]
            carried_finished = finished.carried_parts(finished_table, lineage, state.finished)  # while the tasks spell
            finished.write_finished(written_state, finished_table, carried_finished, finished.kept_rows(kept))
            spelled = _run_batches(progress, submitted, groups.rows_per_group)
        spelled_rows = spelled_this_run(plan, [done.path for done in spelled])
        progress.phase("laying over and storing", cleaned.article_count, "articles")
        with ThreadPoolExecutor(max_workers=1) as beside:  # the state's spelled rows written while they are laid over
            storing = beside.submit(write_stored, finished_table, spelled_rows, work / SPELLED_FILE)
            cleaned = lay_over(cleaned, document_rows(finished_table), spelled_rows, work / "paragraphs.arrow")
            stored_spelling = storing.result()
        progress.advance(cleaned.article_count)
        progress.rows_out = cleaned.corrections.num_rows
    removed_lines = finished_table.select(REMOVED_FROM)  # the rest of the finished table is in the state
    logger.info(
        "correct: %d articles spelled again, %d carried over",
        len(plan.applying),
        cleaned.article_count - len(plan.applying),
    )
    del plan, spelled_rows, finished_table, lineage
    state.let_go("finished", "spelled")  # the state keeps this run's
    stop_workers()  # the batched tasks are done: the workers' memory leaves before cluster and write
    release_free_memory()
    with stage("cluster", paragraph_count, "paragraphs") as progress, frozen_heap():
        hashes = text_hashes(cleaned.texts())  # hashed once: the paragraphs' keys and measuring pairs again
        keys = steps.paragraph_keys(cleaned, hashes)  # the incumbent test's, kept for the state's
        records, dedup, paragraphs_applied = cluster_paragraphs(
            quote(cleaned),
            quote(matches),
            config,
            quote(state.canonical),
            quote(overrides),
            quote(progress),
            quote(state.clusters),
            quote(keys),
            quote(hashes),
        )
        progress.rows_out = int(np.count_nonzero(~dedup.memberships.canonical()))
    del matched, matches, hashes  # the clusters hold the pairs measured again
    release_free_memory()
    review = review_outcome(overrides, spared.keys() | spelling_applied | paragraphs_applied)
    if overrides.decisions:
        logger.info("overrides: %d applied, %d matched nothing", len(review.applied), len(review.unmatched))
    for decision in review.unmatched:
        logger.warning("override %s (%s) matched nothing in this run", one_line(decision.id), one_line(decision.kind))
    logger.info(
        "cluster: %(carried)d components of the pair graph carried over, %(clustered)d clustered",
        steps.component_counts(dedup),
    )
    unseated = steps.unseated_incumbents(records, dedup)
    if unseated:
        logger.info(
            "canonical: %d paragraphs canonical in the previous run gave way to ones the policy prefers", unseated
        )

    manifest = {
        "schema_version": SCHEMA_VERSION,
        "state_version": STATE_VERSION,
        "inputs_read": len(to_read),
        "inputs_reused": reused,
        "canonical_changes": unseated,
        "components": steps.component_counts(dedup),
        "skipped_records": skipped,
        "raw_dir": str(raw.resolve()),
        "inputs": len(inputs),
        "inputs_fingerprint": seen.fingerprint,
        "config_path": config.path,
        "config_sha256": config.sha256,
        "config": config.raw,
        "overrides": {
            "sha256": overrides.sha256,
            "applied": [decision.id for decision in review.applied],
            "unmatched": [decision.id for decision in review.unmatched],
        },
        "versions": versions(),
        "stages": [timing.entry() for timing in timings],
    }
    state_rows = StateRows(
        inputs=ledger,
        canonical=steps.canonical_keys(records, cleaned.texts(), dedup, keys),
        shards=shard_paths,
        written=written_state,
        spelled=(fixes, stored_spelling),
        clusters=ClusterUpdate(state.clusters, records, dedup),
    )
    del keys
    result = RunResult(cleaned, records, dedup, rejections, earlier_captures, boilerplate, review, removed_lines)
    job = WriteJob(
        out, raw, manifest, started, config.corpus, out / CURRENT / STATE_FOLDER if problem is None else None
    )
    return write_outputs(job, quote(result), quote(state_rows))
