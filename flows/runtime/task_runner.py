"""Where the flow's batched tasks run: worker processes on this machine (Prefect's process pool), one a core
for `copydesk run` by default; the flow process itself (Prefect's thread pool) with one worker; or a Dask
cluster through prefect-dask. Why processes are the default: docs/scaling.md, "Worker processes, the thread pool and Dask"."""

from __future__ import annotations

import copyreg
import multiprocessing.context
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import NoReturn, Self

from prefect import Task
from prefect.context import FlowRunContext, SettingsContext
from prefect.futures import PrefectFuture
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from dedup.cores import usable_cores
from flows.runtime.exits import end_without_teardown

DASK_ADDRESS_VARIABLE = "COPYDESK_DASK_ADDRESS"
DASK_WORKERS_VARIABLE = "COPYDESK_DASK_WORKERS"
WORKERS_VARIABLE = "COPYDESK_WORKERS"
PARENT_POLL_SECONDS = 0.5


def _quote_by_value(quoted: quote) -> tuple:
    return quote, (quoted.unwrap(),)


# Prefect's `quote` (a tuple subclass) unpickles around a 1-tuple of its value, so quoted task data would reach
# a Dask worker changed. Pickled as `quote(value)` by every process that imports the flow: the flow's, and a
# Dask scheduler's, which unpickles the tasks (importing the flow) before it pickles them again for a worker.
copyreg.pickle(quote, _quote_by_value)


def _exit_with_parent(parent: int) -> None:
    """Run in each worker process as it starts: leave Ctrl-C to the flow process (which stops its workers), and
    end as soon as `parent`, the flow process that started it, is gone (killed outright, or ended by a signal
    before it could stop its workers), also if it already is."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _keep_one_api_client() -> None:
    """Enter a Prefect API client for the worker's life, when the API is known as it starts: each task's engine takes
    it (`get_client` and `SyncClientContext.get_or_create` look for one) instead of building two clients, each with
    its TLS context and settings, for every task."""
    from prefect.context import SyncClientContext
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        SyncClientContext().__enter__()  # left when the worker ends


def _start_worker(parent: int) -> None:
    """Run in each worker process as it starts (see `_exit_with_parent` and `_keep_one_api_client`)."""
    _exit_with_parent(parent)
    _keep_one_api_client()


class WorkerProcess(multiprocessing.context.SpawnProcess):
    """A worker process started as Prefect starts them (spawn) that, once the pool lets it go, ends without
    tearing down its heap: the end of a run does not wait seconds for each worker to free its objects."""

    def _bootstrap(self, parent_sentinel=None) -> NoReturn:
        end_without_teardown(super()._bootstrap(parent_sentinel))


class WorkerContext(multiprocessing.context.SpawnContext):
    """Prefect's start method for workers (spawn), each a WorkerProcess."""

    Process = WorkerProcess


def with_settings_built(context: dict) -> dict:
    """A serialized Prefect context whose settings are the built Settings and Profile, not their dicts: a worker
    enters them as they are instead of building Settings again from its environment, files and the dict (some
    30 ms of a worker's CPU for every task)."""
    serialized = context.get("settings_context")
    if not serialized:
        return context
    built = SettingsContext(**serialized)
    return {**context, "settings_context": {"profile": built.profile, "settings": built.settings}}


class WorkerProcesses(ProcessPoolTaskRunner):
    """Prefect's process pool whose workers never outlive the run: stopped at once when the run fails or is
    interrupted (not after their current task), ending themselves if the flow process dies, and ending without
    tearing down their heaps when the run is done. Its tasks take the flow's settings built (`with_settings_built`)."""

    def __init__(self, max_workers: int | None = None):
        super().__init__(max_workers, initializer=_start_worker)
        self._context_sent: tuple[dict, dict] | None = None  # Prefect's serialized context, and as it is sent

    def _resolve_futures_and_submit(self, *args, context: dict, **kwargs):
        """Prefect's submission of one task to the pool (run on its resolver threads), with the context that the
        runner serialized once (at its first task) sent with its settings built, built once."""
        sent = self._context_sent
        if sent is None or sent[0] is not context:
            sent = self._context_sent = (context, with_settings_built(context))
        return super()._resolve_futures_and_submit(*args, context=sent[1], **kwargs)

    def duplicate(self) -> Self:
        return type(self)(self._max_workers)

    def __enter__(self) -> Self:
        self._initargs = (os.getpid(),)  # the process that starts the workers, whichever imported the runner
        super().__enter__()
        self._executor._mp_context = WorkerContext()  # the pool starts its workers on the first tasks submitted
        return self

    def stop_workers(self) -> None:
        """End the worker processes now, between batched stages or once none is left: the memory they hold leaves
        the process tree while the flow works alone. A task submitted later starts new ones (a fresh pool)."""
        stopped = self._executor
        if stopped is not None:
            self._executor = ProcessPoolExecutor(
                stopped._max_workers, stopped._mp_context, stopped._initializer, stopped._initargs
            )
            stopped.shutdown(wait=True)

    def started(self) -> bool:
        """Whether worker processes are running now (none before the first task, nor once stopped)."""
        return self._executor is not None and bool(self._executor._processes)

    def kill_workers(self) -> None:
        """End the worker processes at once: a task half done leaves at most a temporary file in the work folder."""
        if self._executor is not None:
            for process in list((self._executor._processes or {}).values()):
                process.kill()

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        if exc_type is not None:
            self.kill_workers()
        super().__exit__(exc_type, exc_value, traceback)


def _running_workers() -> WorkerProcesses | None:
    """The running flow's worker processes, when it runs its tasks in them."""
    context = FlowRunContext.get()
    return context.task_runner if context is not None and isinstance(context.task_runner, WorkerProcesses) else None


def stop_workers() -> None:
    """End the running flow's worker processes, when it runs its tasks in them (a later task starts new ones)."""
    if (workers := _running_workers()) is not None:
        workers.stop_workers()


def workers_stopped() -> bool:
    """Whether the running flow runs its tasks in worker processes and none is running now (a task would start them)."""
    workers = _running_workers()
    return workers is not None and not workers.started()


def runs_in_flow(work: int, below: int) -> bool:
    """Whether a stage's tasks run on a thread of the flow process (`submitting`): its worker processes are not
    running and its `work` is under `below`, less than starting them would cost."""
    return work < below and workers_stopped()


Submit = Callable[[Task, dict], PrefectFuture]


@contextmanager
def submitting(in_flow: bool) -> Iterator[Submit]:
    """How a stage submits its tasks (a task and its parameters): to the flow's task runner, or `in_flow` to one
    thread of the flow process, left once the block ends."""
    if not in_flow:
        yield lambda task, parameters: task.submit(**parameters)
        return
    with ThreadPoolTaskRunner(max_workers=1) as runner:
        yield runner.submit


@contextmanager
def workers_killed_on_failure() -> Iterator[None]:
    """Kill the running flow's worker processes as soon as the block fails or is interrupted, before what encloses it
    (the work folder) is cleaned up: a worker left running would start its next task on files that are gone."""
    try:
        yield
    except BaseException:
        if (workers := _running_workers()) is not None:
            workers.kill_workers()
        raise


def worker_processes() -> int | None:
    """How many worker processes the running flow runs its tasks in, or None when it runs them elsewhere (its thread
    pool, Dask)."""
    workers = _running_workers()
    return workers._max_workers if workers is not None else None


def local_task_runner(workers: int | None = None) -> TaskRunner:
    """`workers` processes on this machine; with one (or none given), the tasks run in the flow process."""
    return WorkerProcesses(workers) if workers and workers > 1 else ThreadPoolTaskRunner()


def default_workers(inputs: int, batch_size: int) -> int:
    """Worker processes for a run on this machine that names none: one a core, and no more than its batches of
    inputs (a run of one batch stays in the flow process, with no worker start-up to pay)."""
    return max(1, min(usable_cores(), -(-inputs // batch_size)))


def dask_task_runner(address: str | None = None, workers: int | None = None) -> TaskRunner | None:
    """A DaskTaskRunner on the scheduler at `address`, else on a local cluster of `workers` single-threaded
    processes started for the run; None (Prefect's thread pool) when neither is given."""
    if not address and not workers:
        return None
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "dashboard_address": None})


def _workers_from(variable: str) -> int | None:
    """The number of workers an environment variable gives, None when it is unset or empty."""
    workers = os.environ.get(variable, "").strip()
    if workers and not (workers.isdigit() and int(workers) >= 1):
        raise ValueError(f"{variable} must be a number of workers, not {workers!r}")
    return int(workers) if workers else None


def task_runner_from_environment(workers: int | None = None) -> TaskRunner:
    """The task runner that COPYDESK_DASK_ADDRESS, COPYDESK_DASK_WORKERS or COPYDESK_WORKERS name (a deployment's
    job variables); without any, `workers` processes on this machine (by default none: the flow process's
    thread pool)."""
    dask = dask_task_runner(os.environ.get(DASK_ADDRESS_VARIABLE) or None, _workers_from(DASK_WORKERS_VARIABLE))
    return dask or local_task_runner(_workers_from(WORKERS_VARIABLE) or workers)
