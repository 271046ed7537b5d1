"""The manifest's SHA-256 of a run's outputs, each taken from the file's bytes as they are written (a linked part's
carried from the previous run): no output is read back to be hashed."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from flows.outputs.files import (
    WRITE_BYTES,
    Span,
    file_sha256,
    sha256_written,
    write_pieces,
    write_table,
    write_tables,
    write_text,
)
from flows.outputs.publish import RUNS
from tests.conftest import SEED_NAMES, copy_run
from tests.test_pipeline import run_cli, syndicated_copy


def test_each_writer_feeds_its_digest_the_bytes_it_writes(tmp_path):
    """With a digest or without, a writer writes the same bytes; the digest is their SHA-256."""
    table = pa.table({"n": np.arange(300_000), "text": [f"line {n % 977}" for n in range(300_000)]})
    source = tmp_path / "previous"
    source.write_bytes(bytes(range(256)) * 9_000)
    with open(source, "rb") as stream:
        spans = [Span(stream.fileno(), 5, 2_000), Span(stream.fileno(), 0, 256 * 9_000)]
        pieces = [b"head", spans[0], b"x" * (WRITE_BYTES + 3), spans[1], b"tail"]
        writes = {
            "table.parquet": partial(write_table, table),
            "empty.parquet": partial(write_table, table.slice(0, 0)),
            "tables.parquet": lambda *target: write_tables(
                iter([table.slice(0, 7), table.slice(7)]), table.schema, *target
            ),
            "text.html": partial(write_text, "Héllo, wörld\n" * 50_000),
            "pieces": partial(write_pieces, pieces),
        }
        for folder in ("plain", "digested"):
            (tmp_path / folder).mkdir()
        for name, write in writes.items():
            plain, digested = tmp_path / "plain" / name, tmp_path / "digested" / name
            write(plain)
            digest = sha256_written(write, digested)
            assert digested.read_bytes() == plain.read_bytes(), name
            assert digest == file_sha256(digested) == hashlib.sha256(plain.read_bytes()).hexdigest(), name


def test_a_run_reads_none_of_its_outputs_back_and_its_manifest_holds_their_sha256(seeds_run, tmp_path):
    raw, out = copy_run(seeds_run, tmp_path)
    (raw / "wire").mkdir()
    (raw / "wire" / "copy.txt").write_text(syndicated_copy((raw / SEED_NAMES[2]).read_text(encoding="utf-8")))
    earlier = set(os.listdir(out / RUNS))
    read: set[Path] = set()
    watching = True

    def opened(event: str, arguments: tuple) -> None:
        """Every file of a new run folder opened for reading while the run writes."""
        if not (watching and event == "open" and isinstance(arguments[0], (str, os.PathLike))):
            return
        path, mode, flags = Path(arguments[0]), arguments[1], arguments[2]
        reading = ("r" in mode or "+" in mode) if mode else flags & os.O_ACCMODE != os.O_WRONLY
        inside = path.is_relative_to(out / RUNS) and path.relative_to(out / RUNS).parts[0] not in earlier
        if reading and inside and path.is_file():
            read.add(path)

    sys.addaudithook(opened)  # an audit hook cannot be removed: it stops watching after the run
    try:
        assert run_cli(raw, out) == 0
    finally:
        watching = False
    run_folder = (out / ".current").resolve()
    manifest = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
    outputs = {run_folder / name for name in manifest["outputs"]}
    assert len(outputs) > 10 and not read & outputs, sorted(map(str, read & outputs))
    for name, digest in manifest["outputs"].items():
        assert file_sha256(run_folder / name) == digest, name


def test_a_spans_bytes_feed_the_digest_whether_the_kernel_copies_them_or_not(tmp_path, monkeypatch):
    source = tmp_path / "previous"
    source.write_bytes(bytes(range(256)) * 9_000)
    with open(source, "rb") as stream:
        pieces = [b"head", Span(stream.fileno(), 3, WRITE_BYTES + 9), b"tail", Span(stream.fileno(), 0, 256 * 9_000)]
        copied = sha256_written(write_pieces, pieces, tmp_path / "copied")

        def refused(*arguments: object) -> int:
            raise OSError(errno.EXDEV, "cross-device copy refused")

        monkeypatch.setattr(os, "copy_file_range", refused)
        read = sha256_written(write_pieces, pieces, tmp_path / "read")
        with pytest.raises(OSError, match="ends before byte"):
            sha256_written(write_pieces, [Span(stream.fileno(), 256 * 9_000 - 2, 3)], tmp_path / "short")
    assert (tmp_path / "copied").read_bytes() == (tmp_path / "read").read_bytes()
    assert copied == read == file_sha256(tmp_path / "read")
