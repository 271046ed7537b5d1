"""Giving freed memory back to the system between stages, and keeping the collector off a stage's back.

The flow's stages allocate through three allocators (Python objects through glibc's malloc, Arrow buffers through
the pyarrow pool's mimalloc, DuckDB through its own); each keeps what a stage freed for itself, so without this a
stage's transient structures (the boilerplate stage's line keys, the prepared articles, the spelling stage's counts)
stay in the process's RSS under the next stage's, which the other allocators cannot reuse."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import duckdb
import pyarrow as pa

from dedup.cores import usable_cores

Parameters = ParamSpec("Parameters")
Result = TypeVar("Result")

# DuckDB's memory for any query of a run: beyond it, a query spills into the folder its connection names.
DUCKDB_MEMORY_LIMIT = "1GB"


def _glibc() -> ctypes.CDLL | None:
    """The C library where it is glibc (with malloc_trim and these mallopt settings), else None (macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    library = ctypes.util.find_library("c")
    found = ctypes.CDLL(library) if library else None
    return found if found is not None and hasattr(found, "malloc_trim") else None


_GLIBC = _glibc()

# glibc's malloc settings for a run's processes: blocks of 128 KB and more always mapped apart (and given back
# when freed: the threshold that otherwise rises to the largest block freed so far leaves a stage's arrays and
# lists in the heap, under the next stage's objects), and at most two arenas (one a thread otherwise, each
# keeping what its thread freed). At 100,000 articles the flow holds 170-290 MB less at every stage from match on.
MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": 131072, "MALLOC_ARENA_MAX": 2}
_MALLOPT_PARAMETERS = {"MALLOC_MMAP_THRESHOLD_": -3, "MALLOC_ARENA_MAX": -8}  # M_MMAP_THRESHOLD, M_ARENA_MAX


def release_free_memory() -> None:
    """Return the free pages malloc and the Arrow pool hold to the system (a few milliseconds; the live objects
    are not touched)."""
    if _GLIBC is not None:
        _GLIBC.malloc_trim(0)
    pa.default_memory_pool().release_unused()


def settle_malloc() -> None:
    """Apply MALLOC_SETTINGS to this process (glibc only) and, through the environment, to the worker processes
    it starts; a setting already in the environment is left as it is."""
    for name, value in MALLOC_SETTINGS.items():
        os.environ.setdefault(name, str(value))
    if _GLIBC is not None:
        for name, parameter in _MALLOPT_PARAMETERS.items():
            _GLIBC.mallopt(parameter, int(os.environ[name]))


def bounded_duckdb(spill: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB using at most DUCKDB_MEMORY_LIMIT (beyond it, spilling into `spill`, when given), one
    thread per usable core: without a limit DuckDB takes up to 80 % of the machine."""
    config = {"memory_limit": DUCKDB_MEMORY_LIMIT, "threads": usable_cores()}
    return duckdb.connect(":memory:", config=config | ({"temp_directory": str(spill)} if spill else {}))


@dataclass
class _FrozenBlocks:
    """The `frozen_heap` blocks open in this process (the collector is the process's: tasks on threads share it),
    and whether it collected before the first of them opened."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    open: int = 0
    collected_before: bool = True
    run_frozen: bool = False  # inside `run_heap_frozen`: what a block froze stays frozen until the run ends


_FROZEN_BLOCKS = _FrozenBlocks()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave the objects alive now (every article, paragraph and cluster) out of the garbage collector's
    collections, and make none, while the block runs: the cluster and write stages and the reading and finishing
    tasks make many objects and few cycles (reference counts free the rest), and each full collection would walk them
    for nothing.
    Blocks open at once on several threads leave the collector off until the last ends, then as it was."""
    blocks = _FROZEN_BLOCKS
    with blocks.lock:
        if not blocks.open:
            blocks.collected_before = gc.isenabled()
            gc.freeze()
            gc.disable()
        blocks.open += 1
    try:
        yield
    finally:
        with blocks.lock:
            blocks.open -= 1
            if not blocks.open:
                if blocks.collected_before:
                    gc.enable()
                if not blocks.run_frozen:
                    gc.unfreeze()


@contextmanager
def run_heap_frozen() -> Iterator[None]:
    """Leave the objects alive when a run's flow starts (the modules, Prefect, the config) out of every collection
    of the run, with the collector on, and what a `frozen_heap` block froze frozen until the run ends: full
    collections then walk only what stages made since. Frozen objects are still freed by their reference counts;
    at the end the heap and the collector are as the run found them."""
    blocks, collected_before = _FROZEN_BLOCKS, gc.isenabled()
    gc.freeze()
    gc.enable()
    blocks.run_frozen = True
    try:
        yield
    finally:
        blocks.run_frozen = False
        gc.unfreeze()
        if not collected_before:
            gc.disable()


@contextmanager
def collector_off() -> Iterator[None]:
    """No collection while the block runs (a run's start-up: importing Prefect and copydesk makes many objects
    and next to no garbage, and each full collection walked them all, some 0.4 CPU s in all)."""
    collected_before = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collected_before:
            gc.enable()


def on_frozen_heap(work: Callable[Parameters, Result]) -> Callable[Parameters, Result]:
    """`work` run inside `frozen_heap` (a reading or finishing task: many objects, next to no cycles). Its objects
    live in its own frame, so reference counts free them before the collector resumes, and the first collection walks
    none."""

    @wraps(work)
    def frozen(*args: Parameters.args, **kwargs: Parameters.kwargs) -> Result:
        with frozen_heap():
            return work(*args, **kwargs)

    return frozen
