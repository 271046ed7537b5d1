"""With more than one worker, the batched tasks run in worker processes: each worker serves many tasks (its
start-up is paid once), and no worker outlives its run, whether the run finishes or is killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from prefect import task

from flows.task_runner import WorkerProcesses, local_task_runner
from tests.conftest import COPYDESK, REPO, SEED_NAMES, SEEDS_DIR, new_user_environment

MARK = "COPYDESK_WORKERS_TEST"
SPAWNED = b"multiprocessing.spawn"


@task
def worker_pid() -> int:
    return os.getpid()


def test_each_worker_process_runs_many_tasks(prefect_harness):
    with WorkerProcesses(2) as runner:
        pids = [future.result() for future in [runner.submit(worker_pid, {}) for _ in range(8)]]
    assert len(set(pids)) <= 2 and os.getpid() not in pids


def test_the_default_and_one_worker_run_in_the_flow_process_and_more_in_worker_processes():
    assert not isinstance(local_task_runner(), WorkerProcesses)
    assert not isinstance(local_task_runner(1), WorkerProcesses)
    assert isinstance(local_task_runner(2), WorkerProcesses) and local_task_runner(2)._max_workers == 2


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
