"""articles.parquet and paragraphs.parquet as folders of parts cut where the articles' ids say: a part holding the rows
the previous run wrote is linked from that run's folder, byte for byte the file a rebuild writes."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flows.config import CorpusSettings
from flows.outputs import table_parts
from flows.outputs.files import Digest, file_sha256
from flows.outputs.table_parts import (
    CUT_SUFFIX,
    FINGERPRINT,
    OLDER_FINGERPRINT,
    PARTED_TABLES,
    PARTS_FILE,
    PartedTable,
    PreviousParts,
    column_fingerprint,
    fingerprints,
    part_starts,
    previous_parts,
    write_parts_index,
)
from flows.outputs.tables import article_tables
from flows.outputs.write import write_article_tables
from tests.test_tables import AFTER, MARKETS, SUMMIT, WEATHER, document, run_result

SETTINGS = CorpusSettings(min_words=5, min_kept_share=0.0, documents_per_shard=10)


def fingerprint(table: pa.Table, algorithm: str = FINGERPRINT) -> bytes:
    """A part's fingerprint made one way."""
    return fingerprints(table, [algorithm])[algorithm]


def ids(count: int, salt: str = "") -> list[str]:
    """Article ids as copydesk makes them: 16 hex characters of a hash."""
    return [hashlib.sha256(f"{salt}{number}".encode()).hexdigest()[:16] for number in range(count)]


def parts_of(doc_ids: list[str], min_articles: int, max_articles: int) -> list[tuple[str, ...]]:
    starts = part_starts(pa.array(doc_ids), min_articles, max_articles)
    return [tuple(doc_ids[start:end]) for start, end in zip(starts, [*starts[1:], len(doc_ids)], strict=True)]


def test_parts_end_after_ids_ending_in_the_cut_suffix_within_their_bounds():
    doc_ids = ids(20_000)
    parts = parts_of(doc_ids, 100, 10_000)
    assert sum(map(len, parts)) == len(doc_ids) and all(100 <= len(part) <= 10_000 for part in parts[:-1])
    cut = [part[-1].endswith(CUT_SUFFIX) for part in parts[:-1]]
    assert sum(cut) >= len(parts) - 2  # one in 4,096 ids cuts: a forced cut at 10,000 is rare
    assert part_starts(pa.array([], pa.string())) == [0]
    assert parts_of(["a000", "b000", "c000", "d"], 1, 2) == [("a000",), ("b000",), ("c000",), ("d",)]
    assert parts_of(["a000", "b000", "c000", "d"], 2, 2) == [("a000", "b000"), ("c000", "d")]
    assert parts_of(["a", "b", "c", "d", "e"], 1, 2) == [("a", "b"), ("c", "d"), ("e",)]


def test_articles_added_change_only_the_parts_they_fall_in():
    doc_ids = ids(40_000)
    grown = [*doc_ids[:15_000], *ids(50, "new"), *doc_ids[15_000:30_000], *ids(7, "late"), *doc_ids[30_000:]]
    before, after = set(parts_of(doc_ids, 1_024, 16_384)), parts_of(grown, 1_024, 16_384)
    changed = [part for part in after if part not in before]
    assert len(after) >= 8 and 1 <= len(changed) <= 4, (len(after), len(changed))
    assert sum(map(len, changed)) < 20_000


def test_a_parts_fingerprint_is_its_rows_not_its_chunks():
    table = pa.table({"doc_id": ["a", "b", "c", "d"], "n": [1, 2, None, 4]})
    rechunked = pa.concat_tables([pa.table({"doc_id": ["x", "a"], "n": [0, 1]}).slice(1), table.slice(1)])
    assert fingerprint(rechunked) == fingerprint(table)
    # A slice's buffers hold the rows after it: they are not its rows.
    assert fingerprint(pa.table({"n": pa.array([1, 2, 3, 4]).slice(0, 3)})) == fingerprint(pa.table({"n": [1, 2, 3]}))
    assert fingerprint(table.set_column(1, "n", pa.array([1, 2, 3, 4]))) != fingerprint(table)
    assert fingerprint(table.cast(pa.schema([("doc_id", pa.large_string()), ("n", pa.int64())]))) != fingerprint(table)


def written_run(result, folder: Path, starts: list[int], previous_state: Path | None = None) -> Path:
    """The two parted tables written into `folder`, with their parts index in `folder/state` (as a run writes it);
    each part's SHA-256, linked or written, is its file's."""
    (folder / "state").mkdir(parents=True)
    written = write_article_tables(result, folder, SETTINGS, previous_parts(previous_state), starts)
    for parted in written.parts.values():
        assert list(parted.sha256) == parted.files()
        assert all(file_sha256(folder / path) == digest for path, digest in parted.sha256.items())
    write_parts_index(folder / "state", written.parts.values())
    return folder


def test_unchanged_parts_are_linked_from_the_previous_run_and_equal_a_rebuild(tmp_path):
    documents = [document("a", [SUMMIT, AFTER]), document("b", [MARKETS]), document("c", [WEATHER])]
    first = written_run(run_result(documents), tmp_path / "first", [0, 2])
    # "c" changes: the part of "a" and "b" holds the same rows, the part of "c" does not.
    changed = [*documents[:2], document("c", [WEATHER, "Rail services were cancelled across the region."])]
    result = run_result(changed)
    second = written_run(result, tmp_path / "second", [0, 2], first / "state")
    rebuilt = written_run(result, tmp_path / "rebuilt", [0, 2])
    for name in ("articles.parquet", "paragraphs.parquet"):
        linked, written = (second / name / "00000.parquet").stat(), (second / name / "00001.parquet").stat()
        assert linked.st_ino == (first / name / "00000.parquet").stat().st_ino and linked.st_nlink == 2
        assert written.st_ino != (first / name / "00001.parquet").stat().st_ino and written.st_nlink == 1
        for part in ("00000.parquet", "00001.parquet"):
            assert (second / name / part).read_bytes() == (rebuilt / name / part).read_bytes(), (name, part)
    assert pq.read_table(second / "articles.parquet")["doc_id"].to_pylist() == ["a", "b", "c"]
    assert pq.read_table(second / "state" / "table_parts.parquet").equals(
        pq.read_table(rebuilt / "state" / "table_parts.parquet")
    )


def test_a_part_gone_from_the_previous_run_is_written_again(tmp_path):
    result = run_result([document("a", [SUMMIT]), document("b", [MARKETS])])
    first = written_run(result, tmp_path / "first", [0])
    (first / "paragraphs.parquet" / "00000.parquet").unlink()
    second = written_run(result, tmp_path / "second", [0], first / "state")
    assert (second / "articles.parquet" / "00000.parquet").stat().st_nlink == 2
    assert (second / "paragraphs.parquet" / "00000.parquet").stat().st_nlink == 1
    assert pq.read_table(second / "paragraphs.parquet")["text"].to_pylist() == [SUMMIT, MARKETS]


def as_an_older_index(folder: Path, result, starts: list[int]) -> None:
    """Rewrite the parts index of a run of `result` cut at `starts` as a state written before the index named how its
    fingerprints were made kept it: BLAKE2b fingerprints of the parts' rows, no `algorithm` column (nor the column
    fingerprints of session 39)."""
    index = pq.read_table(folder / "state" / PARTS_FILE)
    built = [table for tables in article_tables(result, starts) for table in (tables.articles, tables.paragraphs)]
    by_name = {("articles.parquet", f"{number:05d}.parquet"): table for number, table in enumerate(built[::2])}
    by_name |= {("paragraphs.parquet", f"{number:05d}.parquet"): table for number, table in enumerate(built[1::2])}
    older = []
    for table, digest, name in zip(*index.select(["table", "fingerprint", "name"]).to_pydict().values(), strict=True):
        assert fingerprint(by_name[table, name]) == digest
        older.append(fingerprint(by_name[table, name], OLDER_FINGERPRINT))
    fingerprints = pa.array(older, pa.binary(16))
    index = index.drop_columns(["algorithm", "text_fingerprint"]).set_column(1, "fingerprint", fingerprints)
    pq.write_table(index, folder / "state" / PARTS_FILE)


def test_an_older_states_parts_fingerprinted_by_blake2b_are_still_linked_then_known_by_the_new_fingerprint(tmp_path):
    documents = [document("a", [SUMMIT, AFTER]), document("b", [MARKETS]), document("c", [WEATHER])]
    first = written_run(run_result(documents), tmp_path / "first", [0, 2])
    as_an_older_index(first, run_result(documents), [0, 2])
    assert set(previous_parts(first / "state")["articles.parquet"].by_algorithm) == {OLDER_FINGERPRINT}
    changed = [*documents[:2], document("c", [WEATHER, "Rail services were cancelled across the region."])]
    result = run_result(changed)
    second = written_run(result, tmp_path / "second", [0, 2], first / "state")
    rebuilt = written_run(result, tmp_path / "rebuilt", [0, 2])
    for name in ("articles.parquet", "paragraphs.parquet"):
        assert (second / name / "00000.parquet").stat().st_ino == (first / name / "00000.parquet").stat().st_ino
        assert (second / name / "00001.parquet").stat().st_nlink == 1
    index = pq.read_table(second / "state" / PARTS_FILE)
    assert index.equals(pq.read_table(rebuilt / "state" / PARTS_FILE))
    assert set(index["algorithm"].to_pylist()) == {FINGERPRINT}
    # The next run finds every part by the new fingerprints alone.
    assert set(previous_parts(second / "state")["paragraphs.parquet"].by_algorithm) == {FINGERPRINT}
    third = written_run(result, tmp_path / "third", [0, 2], second / "state")
    for name in ("articles.parquet", "paragraphs.parquet"):
        for part in ("00000.parquet", "00001.parquet"):
            assert (third / name / part).stat().st_ino == (second / name / part).stat().st_ino, (name, part)


def test_each_tables_parts_are_written_in_order_on_a_thread_of_its_own(tmp_path, monkeypatch):
    """articles.parquet's and paragraphs.parquet's parts are encoded side by side (a thread a table), each table's
    in order."""
    written: list[tuple[str, str, str]] = []
    write_part = table_parts.write_table_carrying

    def recorded(table: pa.Table, carried: dict, target: Path, digest: Digest | None = None) -> None:
        written.append((target.parent.name, target.name, threading.current_thread().name))
        write_part(table, carried, target, digest)

    monkeypatch.setattr(table_parts, "write_table_carrying", recorded)
    documents = [document(name, [text]) for name, text in zip("abcd", [SUMMIT, AFTER, MARKETS, WEATHER], strict=True)]
    written_run(run_result(documents), tmp_path / "run", [0, 1, 2, 3])
    by_table = {name: [(part, thread) for table, part, thread in written if table == name] for name in PARTED_TABLES}
    assert all([part for part, _ in parts] == [f"{n:05d}.parquet" for n in range(4)] for parts in by_table.values())
    threads = [{thread for _, thread in parts} for parts in by_table.values()]
    assert all(len(names) == 1 for names in threads) and threads[0] != threads[1]


def with_texts_gzipped(part: Path) -> None:
    """Rewrite a part with its texts' column chunk compressed by gzip (the same values, other bytes than any run
    writes), so a part that carries those bytes shows it."""
    pq.write_table(pq.read_table(part), part, compression={"text": "gzip"})


def codecs(part: Path) -> dict[str, str]:
    group = pq.ParquetFile(part).metadata.row_group(0)
    return {group.column(i).path_in_schema: group.column(i).compression for i in range(group.num_columns)}


def first_run_with_gzipped_texts(folder: Path, rows: pa.Table) -> Path:
    """A first run's articles.parquet of these rows in `folder`, its texts then gzipped (`with_texts_gzipped`); its
    state folder."""
    (folder / "state").mkdir(parents=True)
    parted = PartedTable(folder, "articles.parquet", PreviousParts())
    parted.add(rows)
    write_parts_index(folder / "state", [parted])
    with_texts_gzipped(folder / "articles.parquet" / "00000.parquet")
    return folder / "state"


def test_a_parts_texts_are_carried_from_the_previous_part_holding_them_while_its_other_columns_are_encoded(tmp_path):
    rows = pa.table({"doc_id": ["a", "b", "c"], "text": [SUMMIT, MARKETS, WEATHER], "n_words": [3, 4, 5]})
    first = first_run_with_gzipped_texts(tmp_path / "first", rows)
    index = pq.read_table(first / PARTS_FILE)
    assert index["text_fingerprint"].to_pylist() == [column_fingerprint(rows, "text")]
    # The counts change, the texts do not: the part is written, its texts' bytes copied from the previous part.
    changed = rows.set_column(2, "n_words", pa.array([7, 8, 9]))
    second = tmp_path / "second"
    second.mkdir()
    carrying = PartedTable(second, "articles.parquet", previous_parts(first)["articles.parquet"])
    carrying.add(changed)
    part = second / "articles.parquet" / "00000.parquet"
    assert part.stat().st_nlink == 1 and pq.read_table(part).equals(changed)
    assert codecs(part) == {"doc_id": "ZSTD", "text": "GZIP", "n_words": "ZSTD"}
    assert carrying.sha256 == {"articles.parquet/00000.parquet": file_sha256(part)}
    # Other texts are encoded.
    third = tmp_path / "third"
    third.mkdir()
    other = PartedTable(third, "articles.parquet", previous_parts(first)["articles.parquet"])
    other.add(changed.set_column(1, "text", pa.array([SUMMIT, MARKETS, AFTER])))
    assert set(codecs(third / "articles.parquet" / "00000.parquet").values()) == {"ZSTD"}


def test_an_index_without_column_fingerprints_carries_no_texts_and_the_next_index_has_them(tmp_path):
    rows = pa.table({"doc_id": ["a", "b"], "text": [SUMMIT, MARKETS], "n_words": [3, 4]})
    first = first_run_with_gzipped_texts(tmp_path / "first", rows)
    pq.write_table(pq.read_table(first / PARTS_FILE).drop_columns(["text_fingerprint"]), first / PARTS_FILE)
    previous = previous_parts(first)["articles.parquet"]
    assert not previous.by_column
    second = tmp_path / "second"
    (second / "state").mkdir(parents=True)
    written = PartedTable(second, "articles.parquet", previous)
    written.add(rows.set_column(2, "n_words", pa.array([5, 6])))
    write_parts_index(second / "state", [written])
    assert set(codecs(second / "articles.parquet" / "00000.parquet").values()) == {"ZSTD"}
    assert pq.read_table(second / "state" / PARTS_FILE)["text_fingerprint"].null_count == 0
