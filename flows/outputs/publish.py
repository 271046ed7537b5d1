"""Publishing a run's outputs all at once.

A run writes every file into a fresh folder `OUT_DIR/.runs/<run>/`; publishing points the symlink
`OUT_DIR/.current` at it with one atomic rename. The files readers open (`OUT_DIR/articles.parquet`,
...) are fixed symlinks through `.current`, so they always belong to one complete run: a run killed at
any point leaves the previous run's outputs in place. A run that fails removes its own folder; the next run
clears what a killed one left behind, before it writes (a full disk is not kept full by failed runs).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from flows.runtime.exits import undone_if_ended

RUNS = ".runs"
CURRENT = ".current"


def _clear_abandoned(out_dir: Path) -> None:
    """Remove the folders of runs started after the published one that never published (killed runs): under
    the run lock, nothing else is writing one."""
    runs, published = out_dir / RUNS, current_run(out_dir)
    if runs.is_dir():
        for folder in runs.iterdir():
            if published is None or folder.name > published:
                shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def staging_folder(out_dir: Path) -> Iterator[Path]:
    """A new, empty folder for this run's outputs, removed again if the run fails before publishing it."""
    _clear_abandoned(out_dir)
    folder = out_dir / RUNS / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}"
    folder.mkdir(parents=True)
    remove = partial(_remove_unless_published, out_dir, folder)
    try:
        with undone_if_ended(remove):
            yield folder
    except BaseException:
        remove()
        raise


def _remove_unless_published(out_dir: Path, folder: Path) -> None:
    if current_run(out_dir) != folder.name:
        shutil.rmtree(folder, ignore_errors=True)


def _replace_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` atomically (a new symlink renamed over the old name)."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    os.symlink(target, temporary)
    os.replace(temporary, link)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def current_run(out_dir: Path) -> str | None:
    """Name of the published run folder, if any."""
    link = out_dir / CURRENT
    return Path(os.readlink(link)).name if link.is_symlink() else None


def publish(out_dir: Path, staged: Path, names: Iterable[str]) -> None:
    """Make the staged run the current one, then drop every run folder but it and the one before."""
    _fsync_folder(staged)
    previous = current_run(out_dir)
    _replace_symlink(out_dir / CURRENT, os.path.join(RUNS, staged.name))
    for name in names:
        link, target = out_dir / name, os.path.join(CURRENT, name)
        if not (link.is_symlink() and os.readlink(link) == target):
            _replace_symlink(link, target)
    _fsync_folder(out_dir)
    keep = {staged.name, previous}
    for folder in (out_dir / RUNS).iterdir():
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
