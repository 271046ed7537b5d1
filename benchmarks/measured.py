"""Run a command and measure it: wall and CPU seconds, the peak resident memory of its whole process tree
(sampled: all of it, and the anonymous part), the machine's load while it ran, and when each line of its output
appeared.

Resident memory counts the pages of mapped files a process has read (page cache the kernel can drop and read
again); the anonymous part (resident less shared: heaps, Arrow buffers, stacks) is what the processes must hold.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

POLL_SECONDS = 0.2
TAIL_LINES = 200


@dataclass(frozen=True)
class Measured:
    """A finished command: exit code, wall seconds, CPU seconds of its process tree (the processes it waited
    for), peak RSS of the tree and peak of its anonymous part, the 1-minute load average (mean of the samples
    while it ran), and its timed output lines (seconds after the start and the first line matching `watch`; the
    last TAIL_LINES). CPU seconds hold on a busy machine, where wall seconds stretch."""

    returncode: int
    seconds: float
    cpu_seconds: float
    peak_bytes: int
    load_average: float
    watched: tuple[float, str] | None
    tail: tuple[str, ...]
    peak_anonymous_bytes: int = 0


def tree_memory(pid: int) -> tuple[int, int]:
    """Resident memory of a process and all its descendants, and its anonymous part (resident less shared), in
    bytes (0, 0 when it has ended)."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    resident = anonymous = 0
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            memory = process.memory_info()
            resident, anonymous = resident + memory.rss, anonymous + memory.rss - memory.shared
    return resident, anonymous


def children_cpu_seconds() -> float:
    """User and system seconds of every child of this process that has ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    command: Sequence[str], env: dict[str, str] | None, cwd: Path, watch: re.Pattern[str] | None = None
) -> Measured:
    """Run command to its end, sampling its tree's memory every POLL_SECONDS; the first output line `watch`
    matches (when given) is kept with the seconds at which it appeared."""
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    watched: list[tuple[float, str]] = []
    cpu_before, started = children_cpu_seconds(), time.monotonic()
    process = subprocess.Popen(
        command, env=env or dict(os.environ), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )

    def read_lines() -> None:
        """Keep the output's tail and the watched line's time."""
        assert process.stdout is not None
        for line in process.stdout:
            if watch and not watched and watch.match(line):
                watched.append((time.monotonic() - started, line.rstrip("\n")))
            tail.append(line.rstrip("\n"))

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    peak = peak_anonymous = 0
    loads = [os.getloadavg()[0]]
    while True:
        try:
            process.wait(timeout=POLL_SECONDS)
            break
        except subprocess.TimeoutExpired:
            resident, anonymous = tree_memory(process.pid)
            peak, peak_anonymous = max(peak, resident), max(peak_anonymous, anonymous)
            loads.append(os.getloadavg()[0])
    seconds, cpu_seconds = time.monotonic() - started, children_cpu_seconds() - cpu_before
    reader.join()
    load = sum(loads) / len(loads)
    found = watched[0] if watched else None
    return Measured(process.returncode, seconds, cpu_seconds, peak, load, found, tuple(tail), peak_anonymous)
