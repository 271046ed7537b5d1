"""How many cores this process may run on."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may be scheduled on: its CPU affinity, which a container or `taskset` narrows below
    the machine's count (`os.cpu_count()` where the platform has no affinity)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
