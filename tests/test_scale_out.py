"""Scale-out on existing engines: the flow's batched tasks on a real Dask cluster, the LSH indexes in a real
Redis; both give exactly the outputs of the embedded default on the same corpus."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import redis
from distributed import Client, LocalCluster
from prefect.utilities.annotations import quote

from dedup.index import MAX_RUN, lsh_candidate_pairs
from dedup.redis_index import index_basename, redis_candidate_pairs
from dedup.signatures import paragraph_signatures
from flows import pipeline
from flows.config import load_config
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR, run_installed_copydesk
from tests.test_pipeline import TABLE_FILES, run_cli, syndicated_copy
from tests.test_workers import MARK, SPAWNED, marked_processes

OUTPUTS = [*TABLE_FILES, "corpus.jsonl"]
BATCH = ("--batch-size", "2")  # several batches, so both workers get some


def outlet_copy(seed_text: str, header: str, footer: str) -> str:
    """Another outlet's copy of a seed's prose: straight quotes, every third paragraph reworded, its own junk."""
    paragraphs = [paragraph.strip() for paragraph in seed_text.split("\n\n") if len(paragraph.split()) >= 12]
    edited = [
        re.sub(r"\bsaid\b", "stated", paragraph, count=1) if index % 3 == 0 else paragraph
        for index, paragraph in enumerate(paragraphs)
    ]
    text = "\n\n".join(edited).replace("“", '"').replace("”", '"').replace("’", "'")
    return f"{header}\n\n{text}\n\n{footer}\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The three seeds and five syndicated copies on three outlets, one of them a JSONL feed."""
    raw = tmp_path_factory.mktemp("syndicated") / "corpus"
    raw.mkdir()
    seeds = {}
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
        seeds[name] = (SEEDS_DIR / name).read_text(encoding="utf-8")
    for outlet in ("metro-wire", "the-ledger", "globe-post"):
        (raw / outlet).mkdir()
    (raw / "metro-wire" / "hanoi.txt.gz").write_bytes(gzip.compress(syndicated_copy(seeds[SEED_NAMES[2]]).encode()))
    (raw / "metro-wire" / "summit.txt").write_text(
        outlet_copy(seeds[SEED_NAMES[0]], "Skip to content", "Follow us on Twitter"), encoding="utf-8"
    )
    (raw / "the-ledger" / "talks.txt").write_text(
        outlet_copy(seeds[SEED_NAMES[1]], "Print this article", "Leave a comment"), encoding="utf-8"
    )
    feed = [
        {"id": "gp-1", "title": "Talks end early", "text": outlet_copy(seeds[SEED_NAMES[2]], "Share on Facebook", "")},
        {"id": "gp-2", "title": "Trump walks away", "text": outlet_copy(seeds[SEED_NAMES[0]], "Subscribe now", "")},
    ]
    (raw / "globe-post" / "feed.jsonl").write_text("".join(json.dumps(row) + "\n" for row in feed), encoding="utf-8")
    return raw


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS}


@pytest.fixture(scope="module")
def embedded_outputs(prefect_harness, corpus, tmp_path_factory) -> dict[str, bytes]:
    """Every output table of the run in the flow process alone (its thread pool, LSH in memory)."""
    out = tmp_path_factory.mktemp("embedded") / "clean"
    assert run_cli(corpus, out, *BATCH, "--workers", "1") == 0
    return outputs(out)


def test_the_corpus_holds_every_kind_of_copy(embedded_outputs):
    paragraphs = pd.read_parquet(pa.BufferReader(embedded_outputs["paragraphs.parquet/00000.parquet"]))
    assert set(paragraphs.match) >= {"exact", "near_duplicate", "contained"}
    assert paragraphs.contained_in.notna().any()


@contextmanager
def worker_processes_seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[int]]:
    """The worker processes started while the block runs (spawned processes carrying an environment mark set for
    it), looked for in /proc every 10 ms."""
    mark = f"{MARK}={os.getpid()}-{time.time_ns()}"
    monkeypatch.setenv(*mark.split("="))
    seen: set[int] = set()
    done = threading.Event()

    def look() -> None:
        while not done.wait(0.01):
            seen.update(pid for pid, command in marked_processes(mark).items() if SPAWNED in command)

    watcher = threading.Thread(target=look, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        done.set()
        watcher.join()


def test_worker_processes_give_the_outputs_of_the_flow_process_alone(
    prefect_harness, corpus, embedded_outputs, tmp_path, monkeypatch
):
    """--workers 2 runs the batched tasks in two worker processes instead of the flow process's thread pool (even
    work this small, which a run would otherwise do on a thread of its own)."""
    for threshold in ("READ_IN_FLOW_BELOW_BYTES", "FINISH_IN_FLOW_BELOW", "SPELL_IN_FLOW_BELOW"):
        monkeypatch.setattr(pipeline, threshold, 0)
    out = tmp_path / "clean"
    with worker_processes_seen(monkeypatch) as workers:
        assert run_cli(corpus, out, *BATCH, "--workers", "2") == 0
    assert len(workers) >= 2  # started for the read stage, and again for the correct stage once stopped
    assert outputs(out) == embedded_outputs


def test_a_run_of_a_few_files_starts_no_worker_process(
    prefect_harness, corpus, embedded_outputs, tmp_path, monkeypatch
):
    """Reading, finishing and spelling a few articles costs less than starting a worker: with --workers 2 every
    batched task still runs in the flow process, and the outputs are the same."""
    out = tmp_path / "clean"
    with worker_processes_seen(monkeypatch) as workers:
        assert run_cli(corpus, out, *BATCH, "--workers", "2") == 0
    assert not workers
    assert outputs(out) == embedded_outputs


def test_a_dask_cluster_gives_the_embedded_outputs(prefect_harness, corpus, embedded_outputs, tmp_path, monkeypatch):
    out = tmp_path / "clean"
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        monkeypatch.chdir(corpus.parent)  # RAW_DIR relative to a folder the workers are not in
        assert run_cli(Path(corpus.name), out, *BATCH, "--dask-address", cluster.scheduler_address) == 0
        executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
        stages = set(cluster.scheduler.task_prefixes)
    assert stages == {"read_into_shard", "finish_shard", "spell_shard"}
    assert len(executed) == 2 and all(executed.values()), executed
    assert outputs(out) == embedded_outputs


def test_a_local_dask_cluster_shares_the_embedded_api_and_gives_the_embedded_outputs(
    corpus, embedded_outputs, tmp_path
):
    """The installed command without a Prefect server: its workers use the run's one temporary API (--verbose
    shows Prefect's log, where each temporary server announces itself)."""
    out = tmp_path / "clean"
    arguments = ("run", str(corpus), "--out", str(out), *BATCH, "--dask-workers", "2", "--verbose")
    result = run_installed_copydesk(tmp_path, *arguments)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (result.stdout + result.stderr).count("Starting temporary server") == 1
    assert outputs(out) == embedded_outputs


def test_the_redis_index_gives_the_embedded_outputs_and_leaves_no_keys(
    prefect_harness, corpus, embedded_outputs, tmp_path, redis_url
):
    out = tmp_path / "clean"
    assert run_cli(corpus, out, *BATCH, "--redis-url", redis_url) == 0
    assert outputs(out) == embedded_outputs
    with redis.Redis.from_url(redis_url) as client:
        assert client.keys("copydesk:*") == []
        assert client.info("stats")["total_commands_processed"] > 1000


def test_a_run_after_a_redis_run_signs_the_texts_of_the_articles_it_carries(
    prefect_harness, corpus, embedded_outputs, tmp_path, redis_url
):
    """A Redis run keeps no band store, and the next run's finishing tasks sign only the articles they finish:
    the match stage signs the carried articles' texts itself, and the outputs are the embedded run's."""
    raw = tmp_path / corpus.name
    shutil.copytree(corpus, raw)
    feed = (raw / "globe-post" / "feed.jsonl").read_bytes()
    (raw / "globe-post" / "feed.jsonl").unlink()
    out = tmp_path / "clean"
    assert run_cli(raw, out, *BATCH, "--redis-url", redis_url) == 0
    (raw / "globe-post" / "feed.jsonl").write_bytes(feed)
    assert run_cli(raw, out, *BATCH) == 0
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["inputs_reused"] > 0
    assert outputs(out) == embedded_outputs


def seed_paragraph_signatures() -> np.ndarray:
    """Signatures of the seeds' paragraphs, twice, and of straight-quoted copies of them."""
    paragraphs = [
        paragraph
        for name in SEED_NAMES
        for paragraph in (SEEDS_DIR / name).read_text(encoding="utf-8").split("\n\n")
        if len(paragraph.split()) >= 8
    ]
    copies = [paragraph.replace("’", "'").replace(" the ", " a ", 1) for paragraph in paragraphs]
    return paragraph_signatures(paragraphs + paragraphs + copies, 2, 128, 1)


@pytest.mark.parametrize("max_run", [MAX_RUN, 2])
def test_redis_pairs_equal_the_in_memory_band_grouping(redis_url, max_run):
    signatures = seed_paragraph_signatures()
    pairs = redis_candidate_pairs(signatures, 32, 4, 1, redis_url, index_basename("paragraphs"), max_run)
    assert len(pairs) > 100
    assert np.array_equal(pairs, lsh_candidate_pairs(signatures, 32, 4, max_run))
    with redis.Redis.from_url(redis_url) as client:
        assert client.dbsize() == 0


def test_an_index_that_fails_halfway_leaves_no_keys(redis_url):
    with redis.Redis.from_url(redis_url) as client:
        client.config_set("maxmemory", client.info("memory")["used_memory"] + 100_000)
        with pytest.raises(redis.ResponseError, match="maxmemory"):
            redis_candidate_pairs(seed_paragraph_signatures(), 32, 4, 1, redis_url, index_basename("paragraphs"))
        assert client.dbsize() == 0


def test_quoted_task_data_survives_pickling_for_a_dask_worker():
    import flows.pipeline  # noqa: F401  (registers how quote pickles)

    assert pickle.loads(pickle.dumps(quote(["a.txt", "b.txt"]))) == quote(["a.txt", "b.txt"])


def test_a_deployment_picks_its_task_runner_from_job_variables():
    """prefect.yaml's job variables set the environment of the flow run's process; the flow reads it there."""
    env = {**os.environ, "COPYDESK_DASK_ADDRESS": "tcp://127.0.0.1:8786"}
    probe = "from flows.pipeline import copydesk_run as f; print(type(f.task_runner).__name__, f.task_runner.address)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=REPO, check=True
    )
    assert result.stdout.split() == ["DaskTaskRunner", "tcp://127.0.0.1:8786"]


@pytest.mark.parametrize("option", [["--dask-workers", "0"], ["--dask-address", "tcp://h:1", "--dask-workers", "2"]])
def test_bad_dask_options_are_refused(option, tmp_path):
    with pytest.raises(SystemExit) as refused:
        run_cli(tmp_path, tmp_path / "clean", *option)
    assert refused.value.code == 2


def test_the_scale_section_sets_the_redis_url_and_leaves_the_config_hash_alone(tmp_path):
    project = REPO / "copydesk.toml"
    scaled = tmp_path / "copydesk.toml"
    scaled.write_text(project.read_text(encoding="utf-8").replace("# redis_url =", "redis_url ="), encoding="utf-8")
    config = load_config(scaled)
    assert config.dedup.redis_url == "redis://127.0.0.1:6379/0"
    assert config.sha256 == load_config(project).sha256


def test_a_redis_url_of_another_scheme_is_refused(tmp_path, capsys):
    assert run_cli(tmp_path, tmp_path / "clean", "--redis-url", "http://127.0.0.1:6379") == 2
    assert "redis_url must be a redis://" in capsys.readouterr().err
