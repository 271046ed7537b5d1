"""Processes the flow spawns that never outlive it: Prefect's worker processes (flows/runtime/task_runner.py). Light to
import (no Prefect), since each spawned process imports it as it starts."""

from __future__ import annotations

import multiprocessing.context
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import NoReturn

from flows.runtime.exits import end_without_teardown

PARENT_POLL_SECONDS = 0.5


def exit_with_parent(parent: int) -> None:
    """Run in each spawned process as it starts: leave Ctrl-C to the flow process (which stops what it started), and
    end as soon as `parent`, the flow process that started it, is gone (killed outright, or ended by a signal
    before it could stop its processes), also if it already is."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class WorkerProcess(multiprocessing.context.SpawnProcess):
    """A process started as Prefect starts its workers (spawn) that, once its pool lets it go, ends without tearing
    down its heap: the end of a run does not wait seconds for each process to free its objects."""

    def _bootstrap(self, parent_sentinel=None) -> NoReturn:
        end_without_teardown(super()._bootstrap(parent_sentinel))


class WorkerContext(multiprocessing.context.SpawnContext):
    """Prefect's start method for workers (spawn), each a WorkerProcess."""

    Process = WorkerProcess


def kill_processes(pool: ProcessPoolExecutor) -> None:
    """End a process pool's running processes at once (those it has started)."""
    for process in list((pool._processes or {}).values()):
        process.kill()
