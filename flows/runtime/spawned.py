"""Processes the flow spawns that never outlive it: Prefect's worker processes (flows/runtime/task_runner.py), and
the helper processes a stage runs its own compiled and Python work on beside the flow's thread. Light to import (no
Prefect), since each spawned process imports it as it starts."""

from __future__ import annotations

import multiprocessing.context
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn, TypeVar

from flows.runtime.exits import end_without_teardown

PARENT_POLL_SECONDS = 0.5
Result = TypeVar("Result")


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


@dataclass(frozen=True)
class Helpers:
    """Spawned processes a stage maps its work over (`mapped_in_order`), and how many there are."""

    pool: Executor
    count: int


@contextmanager
def helper_processes(count: int) -> Iterator[Helpers | None]:
    """`count` spawned processes (each started as work is first submitted to it, none if none is) ending with the
    block, killed at once when it fails; None with fewer than two, where the work is better done in the flow."""
    if count < 2:
        yield None
        return
    pool = ProcessPoolExecutor(count, WorkerContext(), initializer=exit_with_parent, initargs=(os.getpid(),))
    try:
        yield Helpers(pool, count)
    except BaseException:
        kill_processes(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def kill_processes(pool: ProcessPoolExecutor) -> None:
    """End a process pool's running processes at once (those it has started)."""
    for process in list((pool._processes or {}).values()):
        process.kill()


def mapped_in_order(
    helpers: Helpers | None, function: Callable[..., Result], arguments: Iterable[tuple]
) -> Iterator[Result]:
    """`function` of each tuple of arguments, in their order: on the helpers, at most two a helper submitted beyond
    the result taken (each tuple made only as a place frees), or in this thread one at a time without helpers."""
    if helpers is None:
        yield from (function(*item) for item in arguments)
        return
    pending: deque[Future[Result]] = deque()
    for item in arguments:
        pending.append(helpers.pool.submit(function, *item))
        if len(pending) > 2 * helpers.count:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
