"""A run killed with SIGKILL at any point leaves the previous complete outputs; the next run finishes."""

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
from tests.conftest import REPO, SEED_NAMES, copy_run, new_user_environment, shared_api_environment
from tests.test_pipeline import syndicated_copy

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


def test_killed_runs_leave_the_previous_outputs_and_the_next_run_finishes(seeds_run, prefect_api_url, tmp_path):
    raw, out = copy_run(seeds_run, tmp_path)
    before = published_outputs(out)
    seed = (raw / SEED_NAMES[2]).read_text(encoding="utf-8")
    for index in range(6):
        (raw / f"outlet{index}.txt").write_text(syndicated_copy(seed).replace("Hanoi", f"Hanoi {index}", 1))
    home = tmp_path / "home"
    for pattern in (r"read: \d+/\d+ files", r"dedup: \d+ candidate pairs", r"correct: \d+/\d+ articles"):
        kill_at_log_line(start_run(raw, out, home, prefect_api_url), pattern)
        assert published_outputs(out) == before, f"killed after {pattern!r}"
    known = set(os.listdir(out / ".runs"))
    kill_when_writing(start_run(raw, out, home, prefect_api_url), out, known)
    assert published_outputs(out) == before, "killed while writing"

    process = start_run(raw, out, home, prefect_api_url)
    log, _ = process.communicate(timeout=300)
    assert process.returncode == 0, log[-2000:]
    after = published_outputs(out)
    assert after["counts"]["articles"] == before["counts"]["articles"] + 6
    assert len(os.listdir(out / ".runs")) <= 2, "folders of killed runs are cleared"
