"""One run at a time per output folder: an exclusive flock on OUT_DIR/.copydesk.lock.

The kernel drops the lock when its process ends, however it ends (even SIGKILL), so a lock left by
a killed run never blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".copydesk.lock"
_POLL_SECONDS = 0.5


class RunLocked(RuntimeError):
    """Another copydesk run holds the output folder."""


def _take(handle, out_dir: Path, wait_seconds: float) -> None:
    """Take the exclusive lock on the open lock file, polling up to `wait_seconds`; RunLocked if still held."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise RunLocked(
                    f"{out_dir} is being written by another copydesk run ({holder}); "
                    f"try again later or pass --wait SECONDS"
                ) from None
            time.sleep(_POLL_SECONDS)


def check_out_dir(out_dir: Path, wait_seconds: float = 0.0) -> None:
    """Fail before any work starts if the output folder cannot be written (an OSError: read-only, no
    permission) or, when not waiting for it, if another run holds it (RunLocked)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK_NAME, "a+", encoding="utf-8") as handle:
        if not wait_seconds:
            _take(handle, out_dir, 0.0)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def run_lock(out_dir: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the output folder's lock for the duration of a run, waiting up to `wait_seconds` for it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    with open(path, "a+", encoding="utf-8") as handle:
        _take(handle, out_dir, wait_seconds)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
