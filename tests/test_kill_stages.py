"""A run SIGKILLed, its whole process group, in each stage in turn (read, boilerplate, clean, match, spelling,
correct, cluster, write) leaves the previous outputs as they were and no process behind; the next run completes
and equals a fresh rebuild. The run killed in the first stage starts Prefect's temporary server as a new user's
does (it too must end with the run); the others use the session's API, as a server's start costs some 10 s."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, running
from tests.test_incremental import manifest
from tests.test_incremental_rebuild import (
    assert_incremental_equals_rebuild,
    published_tables,
    run,
    table_differences,
)
from tests.test_kill import kill_at_log_line, kill_when_writing, published_outputs, start_run, wait_for_log_line
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
    finally:
        for pid in (pid for mark in marks for pid in marked_processes(mark)):
            os.kill(pid, signal.SIGKILL)
