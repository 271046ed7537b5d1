"""A process whose work is done (the command line, a worker process) ends without tearing down its heap, yet
otherwise as the interpreter would end it: its threads joined, its exit handlers run, its output flushed, its
exit status kept. And the flow takes RAW_DIR's files as the command saw them instead of looking again."""

from __future__ import annotations

import atexit
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect import task

from flows.config import load_config
from flows.outputs.summary import inputs_seen
from flows.pipeline import _inputs_seen, inputs_seen_by_command
from flows.runtime.task_runner import WorkerProcess, WorkerProcesses
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR

ENDING = """
import atexit, sys, threading, time
from pathlib import Path
from flows.runtime.exits import end_without_teardown

marks = Path(sys.argv[1])


class FreedMark:
    def __del__(self):
        (marks / "freed").write_text("freed")


kept = FreedMark()
threading.Thread(target=lambda: (time.sleep(0.3), (marks / "thread").write_text("joined"))).start()
atexit.register(lambda: (marks / "exit-handler").write_text("ran"))
sys.stdout.write("a line not flushed yet")
{ending}(7)
"""


@pytest.mark.parametrize("ending", ["sys.exit", "end_without_teardown"])
def test_a_process_ending_without_teardown_frees_nothing_but_ends_as_the_interpreter_would(tmp_path, ending):
    script = ENDING.format(ending=ending)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (7, "a line not flushed yet", "")
    assert (tmp_path / "thread").read_text() == "joined"
    assert (tmp_path / "exit-handler").read_text() == "ran"
    assert (tmp_path / "freed").exists() == (ending == "sys.exit")


class FreedMark:
    """Writes its file when freed: in a worker process, only if the worker tears its heap down at exit."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __del__(self) -> None:
        self.path.write_text("freed")


_kept_in_worker: list[FreedMark] = []


@task
def mark_the_worker(folder: str) -> int:
    """Register an exit handler and keep an object that marks its freeing, in the worker that runs this (in this
    module as the worker imports it: Prefect sends the task's function by value, with globals of its own)."""
    module = importlib.import_module("tests.test_ending")
    pid = os.getpid()
    atexit.register(Path(folder, f"exit-handler-{pid}").write_text, "ran")
    module._kept_in_worker.append(module.FreedMark(Path(folder, f"freed-{pid}")))
    return pid


def test_worker_processes_run_their_exit_handlers_and_end_without_tearing_down(prefect_harness, tmp_path):
    with WorkerProcesses(2) as runner:
        pids = {runner.submit(mark_the_worker, {"folder": str(tmp_path)}).result() for _ in range(4)}
        workers = list(runner._executor._processes.values())
    assert workers and all(isinstance(worker, WorkerProcess) for worker in workers)
    assert all(worker.exitcode == 0 for worker in workers)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"exit-handler-{pid}" for pid in pids)


def test_the_flow_takes_the_inputs_the_command_saw_and_looks_again_outside(tmp_path):
    raw, out, config = tmp_path / "raw", tmp_path / "clean", load_config(REPO / "copydesk.toml")
    raw.mkdir()
    (raw / SEED_NAMES[0]).write_bytes((SEEDS_DIR / SEED_NAMES[0]).read_bytes())
    seen = inputs_seen(raw, out, config)
    (raw / SEED_NAMES[1]).write_bytes((SEEDS_DIR / SEED_NAMES[1]).read_bytes())
    with inputs_seen_by_command(raw, out, config, seen):
        assert _inputs_seen(raw, out, config) is seen
    with inputs_seen_by_command(raw, out, config, None):
        assert _inputs_seen(raw, out, config).inputs == sorted(SEED_NAMES[:2])
    assert _inputs_seen(raw, out, config) == inputs_seen(raw, out, config) != seen
