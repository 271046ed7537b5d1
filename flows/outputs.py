"""File writers: each file is written to a temporary name beside it, flushed to disk, then renamed
into place, so no reader ever sees half a file (flows/publish.py swaps whole runs at once).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def _atomic_path(target: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    return Path(name)


def replace_atomically(temporary: Path, target: Path) -> None:
    """Flush a finished temporary file to disk and rename it over the target."""
    with open(temporary, "rb") as stream:
        os.fsync(stream.fileno())
    os.replace(temporary, target)


def write_parquet(rows: list[dict], schema: pa.Schema, target: Path) -> None:
    """Write rows as a Parquet table with the given schema, atomically."""
    temporary = _atomic_path(target)
    try:
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), temporary, compression="zstd")
        replace_atomically(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_text(content: str, target: Path) -> None:
    """Write a text file atomically."""
    temporary = _atomic_path(target)
    try:
        temporary.write_text(content, encoding="utf-8")
        replace_atomically(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_jsonl(records: Iterable[dict], target: Path) -> None:
    """Write one JSON object a line, atomically."""
    write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), target)


def file_sha256(path: Path) -> str:
    """Content hash of a written file, recorded in the manifest."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
