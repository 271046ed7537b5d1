"""A run SIGKILLed, its whole process group, in each stage in turn (read, boilerplate, clean, match, spelling,
correct, cluster, write) leaves the previous outputs as they were and no process behind; the next run completes,
clears the killed runs' folders and equals a fresh rebuild. The run killed in the first stage starts Prefect's
temporary server as a new user's does (it too must end with the run); the others use the session's API, as a
server's start costs some 10 s."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.outputs.files import file_sha256
from flows.outputs.schema import TABLES
from tests.conftest import REPO, new_user_environment, running, shared_api_environment
from tests.test_incremental import manifest
from tests.test_incremental_rebuild import (
    assert_incremental_equals_rebuild,
    published_tables,
    run,
    table_differences,
)
from tests.test_scale_corpus import BBC

pytestmark = pytest.mark.skipif(not BBC.is_file(), reason=f"the scale corpus grows from the BBC stories at {BBC}")

STAGES = ("read", "boilerplate", "clean", "match", "spelling", "correct", "cluster", "write")
# The flow logs this line just before the read stage; each stage's progress line (flows/runtime/progress.py) ends it.
READ_STARTS = r"new or changed inputs to read"
# Enough articles that every stage still runs when the kill lands; a few batches for each batched stage.
FIRST_ARTICLES, NEW_ARTICLES = 300, 100
BATCH_SIZE = "100"
# Every process a killed run starts inherits this variable, so the test finds any of them left running.
MARK = "COPYDESK_KILL_STAGES_RUN"
COPYDESK = Path(sys.executable).with_name("copydesk")


def start_run(
    raw: Path,
    out: Path,
    home: Path,
    api_url: str | None = None,
    options: Sequence[str] = ("--force", "--batch-size", "1"),
    marks: Mapping[str, str] | None = None,
) -> subprocess.Popen:
    """The copydesk command in its own process group (one killpg reaches all it starts), its log on a pipe, on the
    Prefect API at `api_url` or its own temporary server; `marks` are environment variables every process it
    starts inherits."""
    env = shared_api_environment(home, api_url) if api_url else new_user_environment(home)
    env |= {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "INFO"}
    command = [str(COPYDESK), "run", str(raw), "--out", str(out), *options]
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=env | dict(marks or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for_log_line(process: subprocess.Popen, pattern: str) -> str:
    """Read the run's log up to the first line matching pattern; return that line."""
    for line in process.stdout:
        if re.search(pattern, line):
            return line
    pytest.fail(f"the run ended without logging {pattern!r}")


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the run and every process of its group, and reap it."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def kill_at_log_line(process: subprocess.Popen, pattern: str) -> str:
    """SIGKILL the run as soon as it logs a line matching pattern; return that line."""
    line = wait_for_log_line(process, pattern)
    kill_group(process)
    return line


def kill_when_writing(process: subprocess.Popen, out: Path, known: set[str]) -> None:
    """SIGKILL the run as soon as it starts writing a new run folder."""
    runs = out / ".runs"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if runs.is_dir() and set(os.listdir(runs)) - known:
            kill_group(process)
            return
        time.sleep(0.002)
    pytest.fail("the run never started writing")


def published_outputs(out: Path) -> dict:
    """Check the published outputs are one complete, readable run; return its manifest."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["outputs"].items():
        assert file_sha256(out / name) == digest, f"{name} is not the manifest's run"
    for name in TABLES:
        pq.read_table(out / name)
    return manifest


def progress_line(stage: str) -> str:
    """The pattern of the line the CLI prints when a stage ends: "clean    2,000 articles    6.2s"."""
    return rf"^{stage} +[\d,]+ +\w+ +[\d.]+s$"


def generate(raw: Path, start: int, count: int) -> None:
    """Write articles start..start+count of the scale benchmark's corpus into raw."""
    command = [sys.executable, "benchmarks/scale_corpus.py", str(raw), "--articles", str(count)]
    subprocess.run([*command, "--start", str(start), "--workers", "1"], cwd=REPO, check=True, capture_output=True)


def marked_processes(mark: str) -> list[int]:
    """Running processes that carry this run's mark in their environment."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for folder in Path("/proc").iterdir():
        try:
            if folder.name.isdigit() and needle in (folder / "environ").read_bytes().split(b"\0") and running(folder):
                found.append(int(folder.name))
        except OSError:
            continue
    return found


def assert_no_process_left(mark: str, stage: str) -> None:
    """Every process the killed run started ends (its Prefect server on the parent's death signal), soon."""
    deadline = time.monotonic() + 60
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes of the run killed in {stage} still run: pids {left}"


def kill_in_stage(process: subprocess.Popen, stage: str, out: Path, known: set[str]) -> None:
    """SIGKILL the run's process group as soon as `stage` starts (write: once a run folder not in `known`, the
    folders before the run started, appears), and check the stage had not ended."""
    index = STAGES.index(stage)
    if index == 0:
        kill_at_log_line(process, READ_STARTS)
    elif stage == "write":
        wait_for_log_line(process, progress_line(STAGES[index - 1]))
        kill_when_writing(process, out, known)
    else:
        kill_at_log_line(process, progress_line(STAGES[index - 1]))
    after = process.stdout.read()
    assert not re.search(progress_line(stage), after, re.MULTILINE), f"{stage} ended before the kill:\n{after}"


@pytest.mark.timeout(1800)  # nine runs, killed and not, one after another: 413 s on CI's 2 cores under load
def test_a_run_killed_in_each_stage_leaves_the_previous_outputs_and_the_next_run_equals_a_rebuild(
    prefect_api_url, tmp_path
):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    config = REPO / "copydesk.toml"
    generate(raw, 0, FIRST_ARTICLES)
    run(raw, out, config)
    before, before_tables = published_outputs(out), published_tables(out)
    generate(raw, FIRST_ARTICLES, NEW_ARTICLES)
    options = ("--config", str(config), "--batch-size", BATCH_SIZE)
    marks = [f"{os.getpid()}-{time.time_ns()}-{stage}" for stage in STAGES]
    try:
        for stage, mark in zip(STAGES, marks):
            known = set(os.listdir(out / ".runs"))  # before the run: its own folder may appear before its log is read
            api_url = None if stage == STAGES[0] else prefect_api_url
            process = start_run(raw, out, tmp_path / "home", api_url, options=options, marks={MARK: mark})
            kill_in_stage(process, stage, out, known)
            assert_no_process_left(mark, stage)
            assert published_outputs(out) == before, f"killed in {stage}: the published run changed"
            differences = table_differences(published_tables(out), before_tables, ("now", "before the kill"))
            assert not differences, f"killed in {stage}: the published tables changed:\n{differences}"
        assert_incremental_equals_rebuild(raw, out, config, tmp_path / "rebuilt")
        assert manifest(out)["counts"]["articles"] == before["counts"]["articles"] + NEW_ARTICLES
        assert len(os.listdir(out / ".runs")) <= 2, "the killed runs' folders are cleared"
    finally:
        for pid in (pid for mark in marks for pid in marked_processes(mark)):
            os.kill(pid, signal.SIGKILL)
