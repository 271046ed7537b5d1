"""One run at a time per output folder; a lock left by a killed run never blocks the next."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.runtime.lock import RunLocked, run_lock
from tests.conftest import REPO, run_installed_copydesk

HOLDER = """
import sys, time
from pathlib import Path
from flows.runtime.lock import run_lock
with run_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(out: Path, seconds: float) -> subprocess.Popen:
    """Another process that takes the output folder's lock and holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out), str(seconds)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_run_is_refused_with_a_clear_message(tmp_path):
    holder = hold_lock(tmp_path, 30)
    try:
        with (
            pytest.raises(RunLocked, match=r"being written by another copydesk run \(pid \d+"),
            run_lock(tmp_path),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_a_second_run_waits_for_the_first_when_asked(tmp_path):
    holder = hold_lock(tmp_path, 1.5)
    started = time.monotonic()
    with run_lock(tmp_path, wait_seconds=30):
        assert time.monotonic() - started >= 1.0
    holder.wait()


def test_the_lock_of_a_killed_run_is_free_at_once(tmp_path):
    holder = hold_lock(tmp_path, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with run_lock(tmp_path):
        assert (tmp_path / ".copydesk.lock").read_text().startswith(f"pid {os.getpid()}")


def test_the_cli_exits_3_when_the_folder_is_busy(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("Officials in Hanoi said the talks would resume next month, the agency said.")
    out = tmp_path / "clean"
    holder = hold_lock(out, 60)
    try:
        result = run_installed_copydesk(tmp_path, "run", str(raw), "--out", str(out))
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 3
    assert "being written by another copydesk run" in result.stderr
    assert not (out / "articles.parquet").exists()


def test_two_runs_started_together_take_turns(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for index in range(3):
        (raw / f"{index}.txt").write_text(
            f"Officials in Hanoi said talks would resume in {index + 2} weeks, the agency said."
        )
    out = tmp_path / "clean"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_API")}
    command = [str(Path(sys.executable).with_name("copydesk")), "run", str(raw), "--out", str(out), "--wait", "300"]
    runs = [
        subprocess.Popen(
            command,
            cwd=REPO,
            env=env | {"PREFECT_HOME": str(tmp_path / f"home{n}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-1500:] for _, err in results]
    printed = [stdout for stdout, _ in results]
    assert sum("already up to date" in text for text in printed) == 1, "the second waited, then found nothing new"
    assert sorted(os.listdir(out / ".runs")) and (out / "manifest.json").is_file()
