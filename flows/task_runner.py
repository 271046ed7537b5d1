"""Where the flow's batched tasks run: Prefect's default thread pool, or a Dask cluster through prefect-dask."""

from __future__ import annotations

import copyreg
import os

from prefect.task_runners import TaskRunner
from prefect.utilities.annotations import quote

DASK_ADDRESS_VARIABLE = "COPYDESK_DASK_ADDRESS"
DASK_WORKERS_VARIABLE = "COPYDESK_DASK_WORKERS"


def _quote_by_value(quoted: quote) -> tuple:
    return quote, (quoted.unwrap(),)


# Prefect's `quote` (a tuple subclass) unpickles around a 1-tuple of its value, so quoted task data would reach
# a Dask worker changed. Pickled as `quote(value)` by every process that imports the flow: the flow's, and a
# Dask scheduler's, which unpickles the tasks (importing the flow) before it pickles them again for a worker.
copyreg.pickle(quote, _quote_by_value)


def dask_task_runner(address: str | None = None, workers: int | None = None) -> TaskRunner | None:
    """A DaskTaskRunner on the scheduler at `address`, else on a local cluster of `workers` single-threaded
    processes started for the run; None (Prefect's thread pool) when neither is given."""
    if not address and not workers:
        return None
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "dashboard_address": None})


def task_runner_from_environment() -> TaskRunner | None:
    """The task runner that COPYDESK_DASK_ADDRESS or COPYDESK_DASK_WORKERS name (a deployment's job variables)."""
    workers = os.environ.get(DASK_WORKERS_VARIABLE, "").strip()
    if workers and not workers.isdigit():
        raise ValueError(f"{DASK_WORKERS_VARIABLE} must be a number of workers, not {workers!r}")
    return dask_task_runner(os.environ.get(DASK_ADDRESS_VARIABLE) or None, int(workers) if workers else None)
