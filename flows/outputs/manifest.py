"""manifest.json: what a run read, with which settings and versions, and what it wrote."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
from array import array
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flows import __version__
from flows.config import Config
from flows.outputs.files import file_sha256
from flows.outputs.schema import SCHEMA_VERSION

MANIFEST = "manifest.json"
PACKAGES = ("prefect", "datasketch", "trafilatura", "fastwarc", "ftfy", "symspellpy", "pandas", "pyarrow")
STAMPS = pa.schema([("size", pa.int64()), ("mtime_ns", pa.int64())])


def inputs_fingerprint(relative_paths: list[str], stamps: pa.Table, config: Config) -> str:
    """Hash of every input's path, size and modification time (`stamps`, STAMPS rows in the same order), the config
    and the copydesk version."""
    digest = hashlib.sha256(f"{__version__}\x00{SCHEMA_VERSION}\x00{config.sha256}".encode())
    digest.update(stamped_paths(relative_paths, stamps))
    return digest.hexdigest()


def stamped_paths(relative_paths: list[str], stamps: pa.Table) -> pa.Buffer:
    """The inputs as the fingerprint hashes them: each one's path, size and mtime_ns (in decimal), each after a NUL
    byte, one input after another (UTF-8, joined by Arrow; a Python string an input took twice as long)."""
    text = pa.large_string()  # 64-bit offsets: no limit of 2 GB on the joined bytes
    columns = [pa.array(relative_paths, text), *(stamps[name].cast(text) for name in STAMPS.names)]
    # An empty string first, so that each input's bytes open with the separator, a NUL.
    rows = pc.binary_join_element_wise(pa.scalar("", text), *columns, pa.scalar("\x00", text))
    whole = pa.LargeListArray.from_arrays(pa.array([0, len(rows)], pa.int64()), rows.combine_chunks())
    return pc.binary_join(whole, pa.scalar("", text))[0].as_buffer()


def stamps_table(sizes: array, times: array, order: Sequence[int]) -> pa.Table:
    """Inputs' sizes and modification times (int64 arrays, "q") as STAMPS rows, taken in `order`."""
    rows = np.asarray(order, np.int64)
    return pa.table([np.frombuffer(column, np.int64)[rows] for column in (sizes, times)], STAMPS)


def file_digest(raw_dir: Path, relative_path: str) -> str | None:
    """SHA-256 of an input's bytes on disk, or None if it cannot be read."""
    try:
        return file_sha256(raw_dir / relative_path)
    except OSError:
        return None


def read_manifest(out_dir: Path) -> dict | None:
    """The previous run's manifest, or None if there is none (or it is unreadable)."""
    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def versions() -> dict[str, str]:
    """Versions of Python, copydesk and the libraries whose behaviour shapes the output."""
    found = {"python": platform.python_version(), "copydesk": __version__}
    for package in PACKAGES:
        found[package] = importlib.metadata.version(package)
    return found
