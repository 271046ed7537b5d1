"""What a stage leaves in the run's work folder for later ones: the finished shards (flows/state/finished.py) and the
spelled paragraphs (flows/stages/spelled.py) as uncompressed Arrow IPC files that the reader maps in place
(file-backed pages the kernel can drop and read again, not the flow's own memory), and beside each finished shard a
folder for one later stage (the match stage's signed rows, the spelling stage's counted evidence), read once and
removed, so written compressed (zstd: a third to a half of their size, for under a second of CPU at 20,000), but for
the counted texts' words, which the spelling stage maps to take the few it aligns."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
from pyarrow import feather


def write_arrow(batches: Iterable[pa.RecordBatch], schema: pa.Schema, target: Path) -> None:
    """Write the batches one after another into `target` as one uncompressed Arrow IPC file (none held but the one
    being written)."""
    with pa.ipc.new_file(str(target), schema) as writer:
        for batch in batches:
            writer.write_batch(batch)


def map_arrow(path: Path) -> pa.Table:
    """An uncompressed Arrow IPC file as a table whose buffers are the file's pages, mapped (no copy)."""
    return feather.read_table(path, memory_map=True)


def handoff_folder(finished: Path, kind: str) -> Path:
    """The folder of a finishing task's `kind` rows, beside its finished shard."""
    return finished.with_name(f"{finished.stem}.{kind}")


def write_handoff(tables: Mapping[str, pa.Table], folder: Path) -> None:
    """Write each table into `folder` as NAME.arrow, an Arrow IPC file compressed with zstd."""
    folder.mkdir(exist_ok=True)
    for name, table in tables.items():
        feather.write_feather(table, folder / f"{name}.arrow", compression="zstd")


def remove_handoffs(folders: Iterable[Path]) -> None:
    """Remove the folders the tasks left for one stage once it has read them: the run's work folder then holds one
    stage's hand-offs at a time, not every stage's."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
