"""What a finishing task leaves beside its finished shard for one later stage of the run (the match stage's signed
rows, the spelling stage's counted evidence): a folder of Arrow IPC files, uncompressed so that stage maps or
scans them in place, removed once it has read them."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
from pyarrow import feather


def handoff_folder(finished: Path, kind: str) -> Path:
    """The folder of a finishing task's `kind` rows, beside its finished shard."""
    return finished.with_name(f"{finished.stem}.{kind}")


def write_handoff(tables: Mapping[str, pa.Table], folder: Path) -> None:
    """Write each table into `folder` as NAME.arrow."""
    folder.mkdir(exist_ok=True)
    for name, table in tables.items():
        feather.write_feather(table, folder / f"{name}.arrow", compression="uncompressed")


def remove_handoffs(folders: Iterable[Path]) -> None:
    """Remove the folders the tasks left for one stage once it has read them: the run's work folder then holds one
    stage's hand-offs at a time, not every stage's."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
