"""The corpus's gzip shards of one deflate chunk a line: one gzip member every reader decompresses to the lines, and
a shard written with the previous run's chunks carried byte for byte the shard written from scratch."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

from flows.gzip_chunks import (
    CHUNKS_FILE,
    NOTHING_CARRIED,
    CarriedChunks,
    ChunkIndex,
    carried_chunks,
    gzip_lines,
    line_digest,
    write_chunk_index,
)
from tests.conftest import SEED_NAMES, SEEDS_DIR

SHARD_PATH = "corpus/{:05d}.jsonl.gz"


def seed_lines() -> list[bytes]:
    """JSON lines of the seed articles' paragraphs, as the corpus writes its records."""
    paragraphs = [
        paragraph
        for name in SEED_NAMES
        for paragraph in (SEEDS_DIR / name).read_text(encoding="utf-8").split("\n\n")
        if paragraph.strip()
    ]
    return [
        (json.dumps({"id": f"p{n}", "text": text}, ensure_ascii=False) + "\n").encode()
        for n, text in enumerate(paragraphs)
    ]


def write_run(run: Path, shards: list[list[bytes]], carried: CarriedChunks = NOTHING_CARRIED) -> list[bytes]:
    """Write the shards of lines and their chunk index into a run folder as the write stage does; return the bytes."""
    (run / "corpus").mkdir(parents=True)
    (run / "state").mkdir()
    index, written = ChunkIndex(), []
    for number, lines in enumerate(shards):
        content, chunks = gzip_lines(lines, number, carried)
        (run / SHARD_PATH.format(number)).write_bytes(content)
        index.extend(chunks)
        written.append(content)
    write_chunk_index(run / "state", index)
    return written


def test_a_shard_is_one_gzip_member_of_its_lines():
    lines = seed_lines()
    content, index = gzip_lines(lines, 0, NOTHING_CARRIED)
    assert gzip.decompress(content) == b"".join(lines)
    # zlib's gzip mode stops after the first member: the whole shard is one
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    assert decompressor.decompress(content) == b"".join(lines) and decompressor.eof and not decompressor.unused_data
    assert len(index.digests) == len(lines) and index.offsets[0] == 10
    assert gzip.decompress(gzip_lines([], 0, NOTHING_CARRIED)[0]) == b""


def test_chunks_carried_from_the_previous_run_give_the_bytes_of_a_fresh_shard(tmp_path):
    lines = seed_lines()
    first = [lines[:20], lines[20:]]
    write_run(tmp_path / "first", first)
    changed = b'{"id": "p3", "text": "A paragraph that changed."}\n'
    # lines moved between shards, one changed, one dropped, one new
    second = [[lines[25], *lines[:3], changed, *lines[4:20]], [*lines[20:25], *lines[26:-1], b'{"id": "new"}\n']]
    fresh = write_run(tmp_path / "fresh", second)
    with carried_chunks(tmp_path / "first" / "state", SHARD_PATH) as carried:
        assert write_run(tmp_path / "second", second, carried) == fresh
        found = [carried.get(line_digest(line)) is not None for shard in second for line in shard]
        assert found.count(False) == 2  # the changed line and the new one were compressed
    assert [gzip.decompress(content) for content in fresh] == [b"".join(lines) for lines in second]
    assert (tmp_path / "second" / "state" / CHUNKS_FILE).read_bytes() == (
        tmp_path / "fresh" / "state" / CHUNKS_FILE
    ).read_bytes()


def test_a_state_without_chunks_carries_nothing(tmp_path):
    (tmp_path / "state").mkdir()
    for folder in (None, tmp_path / "state"):
        with carried_chunks(folder, SHARD_PATH) as carried:
            assert carried is NOTHING_CARRIED
