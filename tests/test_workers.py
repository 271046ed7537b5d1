"""With more than one worker, the batched tasks run in worker processes: each worker serves many tasks (its
start-up is paid once), the tasks hand files and counts across, not articles, and no worker outlives its run,
whether the run finishes or is killed."""

from __future__ import annotations

import gc
import gzip
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from cleaners.boilerplate import LearnedLine
from cleaners.edits import Correction
from cleaners.spelling import SpellingDecision, apply_corrections, text_words
from dedup.cores import usable_cores
from flows.outputs.manifest import file_digest
from flows.pipeline import (
    READ_IN_FLOW_BELOW_BYTES,
    SPELLING_TASK_MAX_ROWS,
    SPELLING_TASKS_PER_WORKER,
    spelling_group_rows,
)
from flows.runtime.process_cache import load_once
from flows.runtime.task_runner import (
    DASK_ADDRESS_VARIABLE,
    DASK_WORKERS_VARIABLE,
    WORKERS_VARIABLE,
    WorkerProcesses,
    default_workers,
    local_task_runner,
    stop_workers,
    submitting,
    task_runner_from_environment,
    worker_processes,
    workers_stopped,
)
from flows.stages import shard_steps
from flows.stages.cleaned import CORRECTION_COLUMNS
from flows.stages.line_keys import known_line_keys
from flows.stages.run_files import read_boilerplate, read_corrections, write_boilerplate, write_decisions
from flows.stages.shard_steps import ShardRead, finish_shard, read_into_shard, spell_shard
from flows.stages.shards import read_shard
from flows.stages.spelled import document_rows, lay_over, read_spelled, write_for_spelling
from flows.stages.steps import finish_documents
from flows.state import finished
from tests.conftest import COPYDESK, REPO, SEED_NAMES, SEEDS_DIR, new_user_environment

MARK = "COPYDESK_WORKERS_TEST"
SPAWNED = b"multiprocessing.spawn"


@task
def worker_pid() -> int:
    return os.getpid()


@task
def client_seen_before() -> tuple[int, bool]:
    """The worker's pid, and whether the API client this task's engine uses served an earlier task."""
    from prefect.client.orchestration import get_client

    client = get_client(sync_client=True)
    seen = getattr(client, "copydesk_test_seen", False)
    client.copydesk_test_seen = True
    return os.getpid(), seen


def test_each_worker_process_runs_many_tasks_with_one_api_client(prefect_api_url, monkeypatch):
    """A worker serves many tasks, and builds its Prefect API client once for them, not two a task (each with its
    TLS context and settings)."""
    monkeypatch.setenv("PREFECT_API_URL", prefect_api_url)  # as `copydesk run` sets it before its workers start
    with WorkerProcesses(2) as runner:
        seen = [future.result() for future in [runner.submit(client_seen_before, {}) for _ in range(8)]]
    pids = {pid for pid, _ in seen}
    assert len(pids) <= 2 and os.getpid() not in pids
    assert [before for _, before in seen].count(False) == len(pids)


@task
def settings_built_since_first() -> tuple[int, int | None, str | None]:
    """The worker's pid, how many Prefect settings models were built in it since its first such task (None for
    that one, which starts counting them), and the API its settings name."""
    from prefect.settings import get_current_settings
    from pydantic_settings import BaseSettings

    api = get_current_settings().api.url
    counted = BaseSettings._settings_build_values
    if hasattr(counted, "builds"):
        return os.getpid(), counted.builds, api
    build_values = counted

    def counted(self, *args, **kwargs):
        counted.builds += 1
        return build_values(self, *args, **kwargs)

    counted.builds = 0
    BaseSettings._settings_build_values = counted
    return os.getpid(), None, api


def test_a_worker_takes_the_flows_settings_built_instead_of_building_them_for_each_task(prefect_api_url, monkeypatch):
    """Each task runs under the settings of the process that submitted it, sent built: a worker does not build
    Settings again from its environment, files and a dict for every task (some 30 ms of CPU each)."""
    from prefect.settings import get_current_settings

    monkeypatch.setenv("PREFECT_API_URL", prefect_api_url)
    with WorkerProcesses(2) as runner:
        seen = [future.result() for future in [runner.submit(settings_built_since_first, {}) for _ in range(8)]]
    built_after_first = [built for _, built, _ in seen if built is not None]
    assert built_after_first and set(built_after_first) == {0}
    assert {api for _, _, api in seen} == {get_current_settings().api.url}


def test_workers_stopped_between_stages_are_gone_and_a_later_task_starts_new_ones(prefect_harness):
    with WorkerProcesses(2) as runner:
        pids = {future.result() for future in [runner.submit(worker_pid, {}) for _ in range(4)]}
        runner.stop_workers()
        assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]
        later = {future.result() for future in [runner.submit(worker_pid, {}) for _ in range(4)]}
        assert later and not later & pids and os.getpid() not in later
        runner.stop_workers()
        runner.stop_workers()  # stopping with no worker running does nothing
    assert not [pid for pid in later if Path(f"/proc/{pid}").exists()]


def test_one_worker_runs_in_the_flow_process_and_more_in_worker_processes():
    assert not isinstance(local_task_runner(), WorkerProcesses)
    assert not isinstance(local_task_runner(1), WorkerProcesses)
    assert isinstance(local_task_runner(2), WorkerProcesses) and local_task_runner(2)._max_workers == 2


def test_a_run_takes_a_worker_a_core_but_no_more_than_its_batches_of_inputs(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert [default_workers(inputs, 1000) for inputs in (0, 1, 1000, 1001, 2500, 100_000)] == [1, 1, 1, 2, 3, 4]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert default_workers(100_000, 1000) == 1


def test_usable_cores_are_the_cores_this_process_may_run_on():
    allowed = os.sched_getaffinity(0)
    assert usable_cores() == len(allowed) <= (os.cpu_count() or 1)
    narrowed = subprocess.run(
        [
            "taskset",
            "-c",
            str(min(allowed)),
            sys.executable,
            "-c",
            "from dedup.cores import usable_cores; print(usable_cores())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert narrowed.stdout.strip() == "1"


def test_the_environment_names_the_workers_before_the_default(monkeypatch):
    for variable in (WORKERS_VARIABLE, DASK_ADDRESS_VARIABLE, DASK_WORKERS_VARIABLE):
        monkeypatch.delenv(variable, raising=False)
    assert task_runner_from_environment(3)._max_workers == 3
    assert not isinstance(task_runner_from_environment(), WorkerProcesses)
    monkeypatch.setenv(WORKERS_VARIABLE, "1")
    assert not isinstance(task_runner_from_environment(3), WorkerProcesses)


def test_a_file_is_loaded_once_per_process_until_it_changes(tmp_path):
    loads = []

    def load(path: Path) -> str:
        loads.append(path)
        return path.read_text()

    decisions = tmp_path / "decisions.txt"
    decisions.write_text("first run")
    assert [load_once(decisions, load) for _ in range(3)] == ["first run"] * 3
    decisions.write_text("the next run, longer")
    assert load_once(decisions, load) == "the next run, longer"
    assert len(loads) == 2


def test_boilerplate_and_spelling_decisions_come_back_from_their_files_unchanged(tmp_path):
    boilerplate = {
        "example.com": {
            "share this story": LearnedLine("example.com", "share this story", "Share this story", 40, 52),
            "follow us": LearnedLine("example.com", "follow us", "Follow us!", 12, 52),
        },
        "news.example.org": {"read more": LearnedLine("news.example.org", "read more", "Read more", 9, 10)},
    }
    decisions = {
        "recieve": SpellingDecision("receive", "edit_distance", 0.875),
        "teh": SpellingDecision("the", "x", 1.0),
    }
    assert read_boilerplate(write_boilerplate(boilerplate, tmp_path)) == boilerplate
    assert list(read_boilerplate(tmp_path / "boilerplate.parquet")["example.com"]) == ["share this story", "follow us"]
    assert read_corrections(write_decisions(decisions, tmp_path)).decisions == decisions


def seed_shard(tmp_path: Path, config) -> tuple[ShardRead, list[int]]:
    """The seed articles read into a shard in `tmp_path`, and its rows."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    read = read_into_shard(raw, list(SEED_NAMES), config, tmp_path / "00000.parquet")
    return read, list(range(sum(read.inputs.table["articles"].to_pylist())))


def test_a_shards_rows_and_line_keys_read_whole_or_some_are_those_rows_in_the_order_asked(tmp_path, config):
    """All rows in order (a full run's, read without a take) and some rows out of order give the same articles."""
    read, rows = seed_shard(tmp_path, config)
    whole, keys = read_shard(read.path, rows), known_line_keys(read.path, rows)
    assert [item.raw.source_path for item in whole] == sorted(item.raw.source_path for item in whole)
    assert all(keys) and read_shard(read.path) == whole
    some = [rows[2], rows[0]]
    assert read_shard(read.path, some) == [whole[2], whole[0]]
    assert known_line_keys(read.path, some) == [keys[2], keys[0]]


def test_a_finishing_task_runs_without_the_collector_and_leaves_it_as_it_was(tmp_path, config, monkeypatch):
    """A finishing task runs on a frozen heap (`flows.runtime.memory.frozen_heap`): its objects hold next to no
    cycles, so the collections it would make find nothing."""
    read, rows = seed_shard(tmp_path, config)
    boilerplate = write_boilerplate({}, tmp_path)
    collecting: list[bool] = []
    finish = shard_steps.finish_documents
    monkeypatch.setattr(
        shard_steps, "finish_documents", lambda *args: collecting.append(gc.isenabled()) or finish(*args)
    )
    done = finish_shard(read.path, rows, boilerplate, config, tmp_path / "finished-00000.arrow")
    assert done.rows == len(SEED_NAMES) and collecting == [False]
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_reading_task_runs_without_the_collector_and_leaves_it_as_it_was(tmp_path, config, monkeypatch):
    """A reading task runs on a frozen heap, as a finishing task does: the articles it prepares hold no cycles."""
    collecting: list[bool] = []
    prepare = shard_steps.read_and_prepare
    monkeypatch.setattr(
        shard_steps, "read_and_prepare", lambda *args: collecting.append(gc.isenabled()) or prepare(*args)
    )
    _, rows = seed_shard(tmp_path, config)
    assert len(rows) == len(SEED_NAMES) and collecting == [False]
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_per_shard_tasks_hand_back_paths_and_counts_and_give_what_cleaning_in_process_gives(tmp_path, config):
    """Finishing a shard and spelling it through files gives the articles' columns that cleaning and spelling them in
    one process give; what goes back to the flow is a path and a count, whatever the number of articles."""
    read, rows = seed_shard(tmp_path, config)
    prepared = read_shard(read.path, rows)
    boilerplate = write_boilerplate({}, tmp_path)

    done = finish_shard(read.path, rows, boilerplate, config, tmp_path / "finished-00000.arrow")
    in_process = finish_documents(prepared, {}, config)
    assert len(pickle.dumps(done)) < 500 and done.rows == len(in_process) == len(SEED_NAMES)
    names = [(item.raw.source_path, item.raw.doc_id) for item in prepared]
    finishing = finished.in_order(names, finished.read_finished([done.path]), finished.FinishedCleaning())
    cleaned, rejections, table = finishing.cleaned, finishing.rejections, finishing.table
    documents = [result.document for result in in_process]
    assert list(cleaned.texts()) == [paragraph for document in documents for paragraph in document.paragraphs]
    assert cleaned.articles["doc_id"].to_pylist() == [document.doc_id for document in documents] and not rejections
    assert cleaned.articles["removed_lines"].to_pylist() == [document.removed_lines for document in documents]
    assert table.equals(finished.finished_table(prepared, in_process))

    word = min(text_words(documents[1].paragraphs[0]))
    decisions = {word: SpellingDecision(word.upper() + "X", "test", 1.0)}
    groups = write_for_spelling(table, document_rows(table), tmp_path, 2)
    assert groups.rows_per_group == [2, 1]
    fixes = write_decisions(decisions, tmp_path)
    spelled = [spell_shard(groups.path, group, fixes, tmp_path / f"spelled-{group}.parquet") for group in range(2)]
    laid = lay_over(
        cleaned, document_rows(table), read_spelled([shard.path for shard in spelled]), tmp_path / "laid.arrow"
    )
    expected = [apply_corrections(document.paragraphs, decisions) for document in documents]
    assert list(laid.texts()) == [paragraph for paragraphs, _ in expected for paragraph in paragraphs]
    corrections = laid.corrections.to_pylist()
    assert [
        (row["article"], Correction(*(row[name] for name in CORRECTION_COLUMNS.names[1:]))) for row in corrections
    ] == [(article, correction) for article, (_, fixes) in enumerate(expected) for correction in fixes]
    assert sum(shard.rows for shard in spelled) == len(corrections) > 0


def test_the_read_task_hashes_each_input_as_its_bytes_on_disk(tmp_path, config):
    """The content hashes kept for the state are each input file's SHA-256, whether taken from its article (a plain
    .txt or .html file) or from hashing the file (a .gz, JSONL lines, an article rejected as too long)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    text = (SEEDS_DIR / SEED_NAMES[0]).read_bytes()
    (raw / "plain.txt").write_bytes(text)
    (raw / "packed.txt.gz").write_bytes(gzip.compress(text))
    (raw / "page.html").write_text(f"<html><body><p>{text.decode().splitlines()[-1]}</p></body></html>")
    (raw / "lines.jsonl").write_text(json.dumps({"text": text.decode()}) + "\n" + json.dumps({"text": "Hi."}) + "\n")
    (raw / "long.txt").write_text("word " * (config.input.max_article_words + 1))
    names = sorted(path.name for path in raw.iterdir())
    read = read_into_shard(raw, names, config, tmp_path / "00000.parquet")
    rows = read.inputs.table.to_pylist()
    assert {row["source_path"]: row["sha256"] for row in rows} == {name: file_digest(raw, name) for name in names}
    assert read.inputs.rejections["input"].to_pylist() == ["long.txt"]
    assert {row["source_path"]: row["articles"] for row in rows}["plain.txt"] == 1


@flow(task_runner=WorkerProcesses(2))
def workers_seen_in_processes() -> int | None:
    return worker_processes()


@flow(task_runner=ThreadPoolTaskRunner())
def workers_seen_in_threads() -> int | None:
    return worker_processes()


def test_a_flow_knows_how_many_worker_processes_run_its_tasks(prefect_harness):
    assert workers_seen_in_processes() == 2
    assert workers_seen_in_threads() is None and worker_processes() is None


@flow(task_runner=WorkerProcesses(2))
def pids_submitted_in_flow_or_not() -> dict[str, object]:
    """Where tasks submitted to the flow's runner and in the flow run, before and after its workers stopped."""
    seen: dict[str, object] = {"stopped before any task": workers_stopped()}
    with submitting(in_flow=False) as submit:
        seen["workers"] = {submit(worker_pid, {}).result() for _ in range(4)}
    seen["stopped while running"] = workers_stopped()
    stop_workers()
    seen["stopped"] = workers_stopped()
    with submitting(in_flow=True) as submit:
        seen["in flow"] = {submit(worker_pid, {}).result() for _ in range(4)}
    seen["stopped after the flow's tasks"] = workers_stopped()
    return seen


def test_tasks_submitted_in_the_flow_run_on_its_process_and_start_no_worker(prefect_harness):
    """The correct stage's few articles are spelled in the flow process: its stopped workers are not started again."""
    seen = pids_submitted_in_flow_or_not()
    assert seen["in flow"] == {os.getpid()} and os.getpid() not in seen["workers"]
    assert seen["stopped before any task"] and not seen["stopped while running"]
    assert seen["stopped"] and seen["stopped after the flow's tasks"]
    assert not workers_stopped()  # no flow runs here


def test_the_correct_stage_gives_each_worker_a_few_large_tasks_not_one_a_batch():
    assert spelling_group_rows(100_000, 1000, 2) == 12_500  # 8 tasks: 2 workers, SPELLING_TASKS_PER_WORKER each
    assert spelling_group_rows(20_001, 1000, 2) == 2501
    assert spelling_group_rows(3000, 1000, 2) == 1000  # never fewer articles a task than --batch-size
    assert spelling_group_rows(100_000, 1000, None) == 1000  # the thread pool or Dask: a task a batch
    assert SPELLING_TASKS_PER_WORKER == 4


def test_the_correct_stage_caps_a_task_so_a_worker_never_holds_a_large_corpus_share():
    assert SPELLING_TASK_MAX_ROWS == 25_000
    assert spelling_group_rows(1_000_000, 1000, 2) == 25_000  # 40 tasks, not 8 of 125,000 articles
    assert spelling_group_rows(1_000_000, 50_000, 2) == 50_000  # --batch-size still the floor


def marked_processes(mark: str) -> dict[int, bytes]:
    """Live processes carrying this environment mark, with their command lines."""
    found = {}
    for folder in Path("/proc").iterdir():
        try:
            marked = folder.name.isdigit() and mark.encode() in (folder / "environ").read_bytes().split(b"\0")
            if marked and (folder / "stat").read_text().rpartition(")")[2].split()[0] != "Z":
                found[int(folder.name)] = (folder / "cmdline").read_bytes()
        except OSError:
            continue
    return found


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:.0f}s for {what}")
        time.sleep(0.1)


def wait_for_none_left(mark: str, seconds: float, run: str) -> None:
    """Wait until no process carries the mark; fail naming those left."""
    deadline = time.monotonic() + seconds
    while left := marked_processes(mark):
        if time.monotonic() > deadline:
            pytest.fail(f"{seconds:.0f}s after the {run} run, its processes still run: {left}")
        time.sleep(0.1)


@pytest.fixture
def mark():
    """An environment mark for the processes a test starts; any still running at its end are killed."""
    mark = f"{MARK}={os.getpid()}-{time.time_ns()}"
    yield mark
    for pid in marked_processes(mark):
        os.kill(pid, signal.SIGKILL)


def test_no_process_outlives_a_killed_run_or_a_finished_one(tmp_path, mark):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    # Over READ_IN_FLOW_BELOW_BYTES to read, so the read tasks start the workers (the seeds alone are read in the flow
    # process): a long text dump, rejected as too long an article.
    seeds = "\n\n".join((SEEDS_DIR / name).read_text(encoding="utf-8") for name in SEED_NAMES)
    (raw / "archive-dump.txt").write_text(seeds * (READ_IN_FLOW_BELOW_BYTES // len(seeds) + 1), encoding="utf-8")
    env = new_user_environment(tmp_path / "home") | dict([mark.split("=")])
    command = [str(COPYDESK), "run", str(raw), "--out", str(tmp_path / "clean"), "--batch-size", "1", "--workers", "2"]
    killed = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: sum(SPAWNED in line for line in marked_processes(mark).values()) == 2, 240, "two workers")
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    wait_for_none_left(mark, 60, "killed")

    finished = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr[-2000:]
    wait_for_none_left(mark, 30, "finished")
