"""Keeping Python's garbage collector off the stages' backs: a run's heap frozen once it has loaded, each stage's
blocks (many objects, next to no cycles) run without collections. Imports nothing but the standard library: the
command enters `collector_off` before it launches Prefect's server, and must start no process before it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import ParamSpec, TypeVar

Parameters = ParamSpec("Parameters")
Result = TypeVar("Result")


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
