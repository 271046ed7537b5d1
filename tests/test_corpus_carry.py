"""The corpus's records carried as bytes: a gzip shard of one deflate chunk a line is one gzip member every reader
decompresses to the lines, and the files written with the previous run's chunks and lines carried are byte for byte
the files written from scratch."""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import os
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from dedup.components import mix64
from dedup.text_hash import sip_hashes
from flows.outputs.corpus import corpus_shards, record_digests, write_corpus
from flows.outputs.corpus_carry import (
    CHUNKS_FILE,
    NOTHING_CARRIED,
    CarriedChunks,
    ChunkIndex,
    carried_chunks,
    crc_of_joined,
    gzip_lines,
    legacy_pieces,
    write_chunk_index,
)
from flows.outputs.files import WRITE_BYTES, Span, write_pieces
from flows.outputs.schema import CORPUS, CORPUS_METADATA
from tests.conftest import SEED_NAMES, SEEDS_DIR
from tests.test_json_lines import AWKWARD

SHARD_PATH = "corpus/{:05d}.jsonl.gz"
LEGACY_PATH = "corpus.jsonl"


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


def digest(line: bytes) -> bytes:
    """A record's digest, here its line's (the write stage's is of the fields its line is made of)."""
    return hashlib.blake2b(line, digest_size=16).digest()


def joined(pieces: list[bytes | Span]) -> bytes:
    """The bytes of pieces, each span read from its file."""
    return b"".join(
        os.pread(piece.source, piece.length, piece.offset) if isinstance(piece, Span) else piece for piece in pieces
    )


def gzipped(lines: list[bytes], number: int, carried: CarriedChunks) -> tuple[bytes, ChunkIndex]:
    """The shard of the lines, those the previous run wrote carried, the others made."""
    fresh = {row: line for row, line in enumerate(lines) if not carried.holds(digest(line))}
    pieces, index = gzip_lines(list(map(digest, lines)), fresh, number, carried)
    return joined(pieces), index


def write_run(run: Path, shards: list[list[bytes]], carried: CarriedChunks = NOTHING_CARRIED) -> list[bytes]:
    """Write the shards of lines, a legacy line a record (carried or made again) and the index into a run folder, as
    the write stage does; return every file's bytes."""
    (run / "corpus").mkdir(parents=True)
    (run / "state").mkdir()
    index, written, legacy = ChunkIndex(), [], []
    for number, lines in enumerate(shards):
        content, chunks = gzipped(lines, number, carried)
        (run / SHARD_PATH.format(number)).write_bytes(content)
        fresh = {row: b"legacy " + line for row, line in enumerate(lines) if not carried.holds(chunks.digests[row])}
        pieces, chunks.legacy_lengths = legacy_pieces(chunks.digests, fresh, carried)
        index.extend(chunks)
        written.append(content)
        legacy += pieces
    (run / LEGACY_PATH).write_bytes(joined(legacy))
    write_chunk_index(run / "state", index)
    return [*written, (run / LEGACY_PATH).read_bytes(), (run / "state" / CHUNKS_FILE).read_bytes()]


def test_a_shard_is_one_gzip_member_of_its_lines():
    lines = seed_lines()
    content, index = gzipped(lines, 0, NOTHING_CARRIED)
    assert gzip.decompress(content) == b"".join(lines)
    # zlib's gzip mode stops after the first member: the whole shard is one
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    assert decompressor.decompress(content) == b"".join(lines) and decompressor.eof and not decompressor.unused_data
    assert len(index.digests) == len(lines) and index.offsets[0] == 10
    assert index.line_crcs == [zlib.crc32(line) for line in lines] and index.line_lengths == list(map(len, lines))
    assert gzip.decompress(gzipped([], 0, NOTHING_CARRIED)[0]) == b""


def test_the_crc_of_lines_joined_is_made_of_their_crcs_and_lengths():
    lines = [*seed_lines(), b"", b"\n", bytes(range(256)) * 40]
    crcs = np.array([zlib.crc32(line) for line in lines], dtype=np.int64)
    lengths = np.array([len(line) for line in lines], dtype=np.int64)
    assert crc_of_joined(crcs, lengths) == zlib.crc32(b"".join(lines))
    assert crc_of_joined(crcs[3:5], lengths[3:5]) == zlib.crc32(b"".join(lines[3:5]))
    assert crc_of_joined(crcs[:0], lengths[:0]) == 0


def test_records_carried_from_the_previous_run_give_the_bytes_of_fresh_files(tmp_path):
    lines = seed_lines()
    first = [lines[:20], lines[20:]]
    write_run(tmp_path / "first", first)
    changed = b'{"id": "p3", "text": "A paragraph that changed."}\n'
    # lines moved between shards, one changed, one dropped, one new
    second = [[lines[25], *lines[:3], changed, *lines[4:20]], [*lines[20:25], *lines[26:-1], b'{"id": "new"}\n']]
    fresh = write_run(tmp_path / "fresh", second)
    with carried_chunks(tmp_path / "first" / "state", SHARD_PATH, LEGACY_PATH) as carried:
        assert write_run(tmp_path / "second", second, carried) == fresh
        found = [carried.holds(digest(line)) for shard in second for line in shard]
        assert found.count(False) == 2  # the changed line and the new one were compressed
        pieces, lengths = legacy_pieces([digest(lines[25])], {}, carried)
        assert (joined(pieces), lengths) == (b"legacy " + lines[25], [len(lines[25]) + 7])
    assert [gzip.decompress(content) for content in fresh[:2]] == [b"".join(lines) for lines in second]


def test_carried_lines_lying_one_after_another_are_one_piece_of_the_previous_corpus_jsonl(tmp_path):
    lines = seed_lines()
    write_run(tmp_path / "first", [lines[:20], lines[20:]])
    digests = [digest(line) for line in [*lines[:10], b'{"id": "new"}\n', *lines[10:20], lines[25], *lines[21:25]]]
    with carried_chunks(tmp_path / "first" / "state", SHARD_PATH, LEGACY_PATH) as carried:
        pieces, lengths = legacy_pieces(digests, {10: b"fresh\n"}, carried)
        legacy = [b"legacy " + line for line in lines]
        runs = [legacy[:10], [b"fresh\n"], legacy[10:20], [legacy[25]], legacy[21:25]]
        assert [joined([piece]) for piece in pieces] == [b"".join(run) for run in runs]
        # The carried runs are spans of the previous corpus.jsonl (the kernel copies them), not its bytes read.
        starts = np.cumsum([0, *map(len, legacy)]).tolist()
        spans = [
            Span(carried.legacy, starts[first], starts[end] - starts[first])
            for first, end in ((0, 10), (10, 20), (25, 26), (21, 25))
        ]
        assert [pieces[0], *pieces[2:]] == spans and pieces[1] == b"fresh\n"
    assert lengths == [len(line) for run in runs for line in run]


def test_a_state_without_chunks_or_their_files_carries_nothing(tmp_path):
    (tmp_path / "state").mkdir()
    write_run(tmp_path / "run", [seed_lines()])
    (tmp_path / "run" / LEGACY_PATH).unlink()
    for folder in (None, tmp_path / "state", tmp_path / "run" / "state"):
        with carried_chunks(folder, SHARD_PATH, LEGACY_PATH) as carried:
            assert carried is NOTHING_CARRIED


def test_a_state_of_line_digests_carries_nothing(tmp_path):
    write_run(tmp_path / "run", [seed_lines()])
    index = tmp_path / "run" / "state" / CHUNKS_FILE
    pq.write_table(pq.read_table(index).drop_columns(["line_crc", "line_length"]), index)
    with carried_chunks(tmp_path / "run" / "state", SHARD_PATH, LEGACY_PATH) as carried:
        assert carried is NOTHING_CARRIED


def test_a_record_digest_changes_with_every_field_and_null():
    metadata = {field.name: ("x" if pa.types.is_string(field.type) else 1) for field in CORPUS_METADATA}
    record = {"id": "a", "text": "Some text.", "source": "site", "metadata": metadata}
    changed = [
        record,
        dict(record),
        {**record, "id": "b"},
        {**record, "text": "Some text!"},
        {**record, "source": None},
    ]
    changed += [{**record, "source": ""}, {**record, "text": "site", "source": "Some text."}]
    changed += [{**record, "metadata": {**metadata, name: None}} for name in metadata]
    changed += [
        {**record, "metadata": {**metadata, "kept_share": 0.5}},
        {**record, "metadata": {**metadata, "words": 2}},
    ]
    digests = record_digests(pa.Table.from_pylist(changed, CORPUS))
    assert digests[0] == digests[1] and len(digests[0]) == 16
    assert len(set(digests[1:])) == len(changed) - 1
    shard = pa.Table.from_pylist(changed, CORPUS).slice(2, 3)
    assert record_digests(shard) == digests[2:5]


def test_a_strings_sip_hash_from_the_column_is_pandas_hash_of_the_python_string():
    texts = [
        "",
        "a",
        "seven b",
        "eight by",
        "nine byte",
        "Zürich 東京 🙂 " * 5,
        *(seed_lines()[0].decode()[:n] for n in range(17)),
    ]
    for column in (pa.array(["skipped", *texts], pa.string()).slice(1), pa.array(texts, pa.large_string())):
        for key in ("copydesk-record0", "another key 16 b"):
            expected = pd.util.hash_array(np.array(texts, dtype=object), hash_key=key, categorize=False)
            assert np.array_equal(mix64(sip_hashes(column, key.encode())), expected)


def test_record_digests_are_those_the_state_holds():
    """The digests the previous run stored (pandas' hash_array of each string, by Python object) are found again."""
    lines = [json.loads(line) for line in seed_lines()]
    metadata = {field.name: ("x" if pa.types.is_string(field.type) else 1) for field in CORPUS_METADATA}
    records = pa.Table.from_pylist(
        [{"id": line["id"], "text": line["text"], "source": None, "metadata": metadata} for line in lines], CORPUS
    )
    lanes = np.zeros((records.num_rows, 2), dtype=np.uint64)
    for column in [records[name].combine_chunks() for name in ("id", "text", "source")] + records[
        "metadata"
    ].combine_chunks().flatten():
        nulls = pc.is_null(column).to_numpy(zero_copy_only=False).astype(np.uint64)
        if pa.types.is_string(column.type):
            values = pc.fill_null(column, "").to_numpy(zero_copy_only=False)
            hashed = [
                pd.util.hash_array(values, hash_key=key, categorize=False)
                for key in ("copydesk-record0", "copydesk-record1")
            ]
        else:
            hashed = [pc.fill_null(column, 0).to_numpy().view(np.uint64) ^ np.uint64(lane) for lane in range(2)]
        for lane, values in enumerate(hashed):
            lanes[:, lane] = mix64(mix64(lanes[:, lane] ^ values) ^ nulls)
    assert record_digests(records) == [row.tobytes() for row in lanes]


def corpus_records(count: int) -> pa.Table:
    """`count` corpus records of the seed articles' paragraphs."""
    metadata = {field.name: ("x" if pa.types.is_string(field.type) else 1) for field in CORPUS_METADATA}
    texts = [json.loads(line)["text"] for line in seed_lines()]
    rows = [
        {"id": f"d{n}", "text": texts[n % len(texts)], "source": "site", "metadata": metadata} for n in range(count)
    ]
    return pa.Table.from_pylist(rows, CORPUS)


def test_corpus_shards_are_cut_from_the_records_as_they_come():
    records = corpus_records(7)

    def pieces_then_failing():
        yield records.slice(0, 2)
        yield records.slice(2, 3)
        raise AssertionError("a shard waited for records it does not hold")

    first, second = (shard["id"].to_pylist() for _, shard in zip(range(2), corpus_shards(pieces_then_failing(), 2)))
    assert (first, second) == (["d0", "d1"], ["d2", "d3"])
    shards = list(corpus_shards([records.slice(0, 1), records.slice(1, 0), records.slice(1, 6)], 3))
    assert [shard["id"].to_pylist() for shard in shards] == [["d0", "d1", "d2"], ["d3", "d4", "d5"], ["d6"]]
    assert [shard.num_rows for shard in corpus_shards([], 3)] == [0]
    assert [shard.num_rows for shard in corpus_shards([records.slice(0, 3)], 3)] == [3]


def test_a_corpus_written_from_pieces_is_the_corpus_written_whole(tmp_path):
    records = corpus_records(11)
    for folder in ("whole", "pieces"):
        (tmp_path / folder).mkdir()
    write_corpus([records], tmp_path / "whole", 4)
    files, _ = write_corpus(iter([records.slice(0, 3), records.slice(3, 1), records.slice(4)]), tmp_path / "pieces", 4)
    assert len(files) == 7  # three shards as gzipped JSONL and as Parquet, and corpus.jsonl
    for name in files:
        assert (tmp_path / "pieces" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


# The strings of test_json_lines' AWKWARD (every escape json.dumps makes, characters of one to four UTF-8 bytes).
AWKWARD_TEXTS = [text for text in AWKWARD if text is not None]


def legacy_record(record: dict) -> dict:
    """A record in corpus.jsonl's schema 2 shape: doc_id, title, source, url, published (null when unknown),
    language, text."""
    metadata = record["metadata"]
    fields = {name: metadata[name] or None for name in ("title", "source", "url", "published", "language")}
    return {"doc_id": record["id"], **fields, "text": record["text"]}


def test_every_corpus_line_is_what_json_dumps_writes_of_its_record(tmp_path):
    metadata = {field.name: ("x" if pa.types.is_string(field.type) else 1) for field in CORPUS_METADATA}
    rows = [
        {
            "id": f"d{n}",
            "text": text,
            "source": 'si"te',
            "metadata": metadata | {"title": AWKWARD_TEXTS[-n], "url": None, "kept_share": 0.1 * n},
        }
        for n, text in enumerate(AWKWARD_TEXTS)
    ]
    write_corpus([pa.Table.from_pylist(rows, CORPUS)], tmp_path, 2)
    shards = [gzip.decompress((tmp_path / SHARD_PATH.format(number)).read_bytes()) for number in range(3)]
    lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in rows]
    assert b"".join(shards) == "".join(lines).encode()
    legacy = [json.dumps(legacy_record(row), ensure_ascii=False) + "\n" for row in rows]
    assert (tmp_path / LEGACY_PATH).read_bytes() == "".join(legacy).encode()


def test_pieces_are_written_with_each_span_copied_from_its_file_even_where_the_kernel_will_not(tmp_path, monkeypatch):
    source = tmp_path / "previous"
    source.write_bytes(bytes(range(256)) * 10_000)
    whole = source.read_bytes()
    with open(source, "rb") as stream:
        spans = [Span(stream.fileno(), 3, 1_000), Span(stream.fileno(), 0, len(whole)), Span(stream.fileno(), 7, 0)]
        pieces = [b"head", spans[0], b"x" * (WRITE_BYTES + 5), b"y", spans[1], spans[2], b"tail"]
        expected = b"".join([b"head", whole[3:1_003], b"x" * (WRITE_BYTES + 5), b"y", whole, b"tail"])
        write_pieces(pieces, tmp_path / "copied")
        assert (tmp_path / "copied").read_bytes() == expected
        short = [Span(stream.fileno(), len(whole) - 2, 3)]
        with pytest.raises(OSError, match=f"{re.escape(str(source))} ends before byte {len(whole) + 1}.*--force"):
            write_pieces(short, tmp_path / "short")

        def refused(*arguments: object) -> int:
            raise OSError(errno.EXDEV, "cross-device copy refused")

        monkeypatch.setattr(os, "copy_file_range", refused)
        write_pieces(pieces, tmp_path / "read")
        assert (tmp_path / "read").read_bytes() == expected
        with pytest.raises(OSError, match=f"{re.escape(str(source))} ends before byte"):
            write_pieces(short, tmp_path / "short")
    assert not list(tmp_path.glob(".short*"))
