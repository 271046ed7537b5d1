"""The stored spelling evidence: an update counts only changed paragraphs and equals a count from scratch."""

import tracemalloc
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cleaners.spelling import Vocabulary, decide_corrections, evidence_table, paragraph_digest, summed_evidence
from flows.stages.column_texts import ColumnTexts
from flows.stages.dictionary import load_base_dictionary
from flows.state import vocabulary_store
from flows.state.alignment_store import digest_numbers, text_digests
from flows.state.vocabulary_store import (
    COUNTS,
    COUNTS_FILE,
    EMPTY_VOCABULARY,
    ITEM_PARTS,
    added_counts,
    counted_folder,
    item_parts,
    load_vocabulary,
    text_keys,
    updated_vocabulary,
    with_change,
    write_counted,
    write_vocabulary,
)

BEFORE = [
    "Trade negotiations resumed in Geneva on Monday, said Maria Lopez.",
    "The negotiations stalled after the minister left.The talks will go on.",
    "Officials expect the negotiations to finish by the end of the month.",
    "A spokesman said the negotiatons would take time and the deal is a long- term plan.",
    "Trade negotiations resumed in Geneva on Monday, said Maria Lopez.",
]
AFTER = [
    *BEFORE[1:4],  # one copy of the first paragraph removed, the last kept once
    "Trade negotiations resumed in Geneva on Monday, said Maria Lopez.",
    "Critics called the negotiatons a waste; supporters said the negotiatons were overdue.",
]


SORTED = [("kind", "ascending"), ("item", "ascending")]


def read(texts):
    """Every paragraph of `texts` as the spelling stage reads them: a column and the positions counted."""
    return ColumnTexts(pa.chunked_array([texts], pa.string())), np.arange(len(texts))


def from_scratch(texts):
    return updated_vocabulary(EMPTY_VOCABULARY, *read(texts))


def test_an_update_equals_a_count_from_scratch_when_paragraphs_come_and_go():
    updated = updated_vocabulary(from_scratch(BEFORE), *read(AFTER))
    rebuilt = from_scratch(AFTER)
    assert updated.counts.equals(rebuilt.counts)
    assert updated.paragraphs.equals(rebuilt.paragraphs)
    assert Vocabulary.from_table(updated.counts) == Vocabulary.from_texts(AFTER)


def test_only_the_paragraphs_at_the_positions_are_counted_from_a_column_of_several_chunks():
    foreign = "Les négociations reprennent lundi à Genève, a dit Maria Lopez."
    column = pa.chunked_array([BEFORE[:2], [foreign], BEFORE[2:]], pa.string())
    counted = updated_vocabulary(EMPTY_VOCABULARY, ColumnTexts(column), np.array([0, 1, 3, 4, 5]))
    assert counted.counts.equals(from_scratch(BEFORE).counts)
    assert counted.paragraphs.equals(from_scratch(BEFORE).paragraphs)
    assert foreign not in counted.paragraphs["text"].to_pylist()


def test_an_update_counts_a_removed_paragraph_out_of_every_sum():
    updated = updated_vocabulary(from_scratch(BEFORE), *read(BEFORE[1:3]))
    vocabulary = Vocabulary.from_table(updated.counts)
    assert vocabulary.forms["negotiations"] == 2
    assert "negotiatons" not in vocabulary.forms
    assert "Geneva" not in vocabulary.forms and not vocabulary.neighbours_of(["Lopez"])
    assert not vocabulary.spans["long- term"]
    assert vocabulary.spans["left.The"] == 1


def test_a_change_added_to_the_stored_sums_keeps_them_sorted_and_drops_what_falls_to_zero():
    stored = from_scratch(BEFORE).counts
    change = evidence_table([(BEFORE[3], -1), (AFTER[-1], 1)])  # "long- term" falls to zero, "Critics" comes
    added = with_change(stored, change)
    assert added.equals(from_scratch([*BEFORE[:3], BEFORE[4], AFTER[-1]]).counts)
    assert added.equals(added.sort_by(SORTED))
    assert with_change(stored, evidence_table([])).equals(stored)
    counted_anew = change.filter(pc.greater(change["count"], 0))
    assert with_change(COUNTS.empty_table(), counted_anew).equals(counted_anew.sort_by(SORTED))


def test_a_change_is_added_to_the_stored_sums_without_a_python_string_of_each_stored_item():
    items = [f"{number:06d}" + "x" * 300 for number in range(100_000)]  # a Python string of each: over 30 MB
    stored = pa.table({"kind": ["forms"] * len(items), "item": items, "count": [1] * len(items)}, schema=COUNTS)
    del items
    change = pa.table({"kind": ["forms", "forms"], "item": ["000007" + "x" * 300, "new"], "count": [2, 1]}, COUNTS)
    with_change(stored.slice(0, 10), change)  # compiled before it is measured
    tracemalloc.start()
    try:
        added = with_change(stored, change)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert added.num_rows == 100_001 and added["count"][7].as_py() == 3 and added["item"][-1].as_py() == "new"
    assert peak < 10_000_000  # NumPy's arrays of a number a stored row, not Python strings


def test_the_stored_vocabulary_reads_back_as_written(tmp_path):
    stored = from_scratch(BEFORE)
    write_vocabulary(tmp_path, stored)
    loaded = load_vocabulary(tmp_path)
    assert loaded.counts.equals(stored.counts) and loaded.paragraphs.equals(stored.paragraphs)


def test_the_stored_texts_are_written_neither_compressed_nor_dictionary_encoded(tmp_path):
    write_vocabulary(tmp_path, from_scratch(BEFORE))
    written = pq.ParquetFile(tmp_path / "vocabulary" / "texts" / "000000.parquet").metadata
    texts = [written.row_group(group).column(0) for group in range(written.num_row_groups)]
    assert {column.path_in_schema for column in texts} == {"text"}
    assert {column.compression for column in texts} == {"UNCOMPRESSED"}, "a run rereads them whole"
    assert not any(column.has_dictionary_page for column in texts)


def test_a_state_without_a_vocabulary_counts_everything_again(tmp_path):
    assert updated_vocabulary(load_vocabulary(tmp_path), *read(BEFORE)).counts.equals(from_scratch(BEFORE).counts)


def test_decisions_follow_the_merged_counts_when_a_rare_spelling_becomes_common(config):
    base, rules = load_base_dictionary(), config.spelling
    before = from_scratch(BEFORE)
    decided = decide_corrections(Vocabulary.from_table(before.counts), base, rules)
    assert decided["negotiatons"].replacement == "negotiations"
    after = updated_vocabulary(before, *read(AFTER))
    assert "negotiatons" not in decide_corrections(Vocabulary.from_table(after.counts), base, rules)


def test_articles_cleaned_again_are_counted_out_then_in_by_their_paragraphs():
    stored = from_scratch(BEFORE)
    recleaned = [(text, -1) for text in BEFORE[3:]] + [(text, 1) for text in AFTER[3:]]
    assert added_counts(stored.counts, recleaned).equals(from_scratch([*BEFORE[:3], *AFTER[3:]]).counts)


class CountedHere:
    """A Ticker that keeps how many paragraphs the stage counted itself."""

    def __init__(self) -> None:
        self.paragraphs = 0

    def phase(self, label: str, total: int, unit: str) -> None:
        self.paragraphs = total

    def advance(self, amount: int = 1) -> None:
        """Nothing to keep."""


def counted_by_tasks(shards: list[list[str]], folder: Path) -> list[Path]:
    """The folders finishing tasks leave for these shards of paragraphs."""
    folders = [counted_folder(folder / f"finished-{number:05d}.parquet") for number in range(len(shards))]
    for shard, counted in zip(shards, folders, strict=True):
        write_counted(Counter(shard), counted)
    return folders


def test_a_tasks_counted_rows_add_up_to_the_evidence_of_its_paragraphs(tmp_path):
    texts = Counter(BEFORE + AFTER)
    folder = counted_by_tasks([BEFORE + AFTER], tmp_path)[0]
    rows = pq.read_table(folder / COUNTS_FILE).drop_columns(["part"])
    sort = [("kind", "ascending"), ("item", "ascending")]
    assert summed_evidence([rows]).sort_by(sort).equals(evidence_table(texts.items()).sort_by(sort))
    spans = rows.filter(rows["kind"].to_numpy(zero_copy_only=False) == "spans").to_pydict()
    assert sorted(zip(spans["item"], spans["count"])) == [("left.The", 2), ("long- term", 2)]


def test_what_the_finishing_tasks_counted_adds_up_to_a_count_from_scratch(tmp_path):
    here = CountedHere()
    shards = [BEFORE[:2], BEFORE[2:]]  # the first paragraph twice, in both shards
    updated = updated_vocabulary(EMPTY_VOCABULARY, *read(BEFORE), here, counted_by_tasks(shards, tmp_path))
    assert here.paragraphs == 0
    assert updated.counts.equals(from_scratch(BEFORE).counts)
    assert updated.paragraphs.equals(from_scratch(BEFORE).paragraphs)


def test_articles_finished_again_count_out_their_old_paragraphs_and_count_in_what_the_tasks_counted(tmp_path):
    carried, refinished, deleted = BEFORE[:2], BEFORE[2:4], BEFORE[4:]
    new = [AFTER[2], AFTER[4], "Geneva officials met Maria Lopez again."]
    here = CountedHere()
    counted = counted_by_tasks([new], tmp_path)
    updated = updated_vocabulary(from_scratch(carried + refinished + deleted), *read(carried + new), here, counted)
    rebuilt = from_scratch(carried + new)
    assert updated.counts.equals(rebuilt.counts) and updated.paragraphs.equals(rebuilt.paragraphs)
    assert here.paragraphs == 3, "the old paragraphs of the articles finished again or deleted are counted out here"


def test_a_text_the_tasks_counted_that_is_neither_here_nor_stored_is_counted_here_instead(tmp_path):
    here = CountedHere()
    counted = counted_by_tasks([AFTER, ["A paragraph of an article no longer in the run."]], tmp_path)
    updated = updated_vocabulary(EMPTY_VOCABULARY, *read(AFTER), here, counted)
    assert here.paragraphs == len(set(AFTER))
    assert updated.counts.equals(from_scratch(AFTER).counts)


def test_the_vocabulary_to_store_points_at_the_runs_texts_and_is_written_a_slice_at_a_time(tmp_path, monkeypatch):
    texts, positions = read([*AFTER, *BEFORE])
    counted = updated_vocabulary(EMPTY_VOCABULARY, texts, positions)
    assert counted.texts is texts.column and "text" not in counted.counted.column_names, "no text copied"
    monkeypatch.setattr(vocabulary_store, "WRITE_ROWS", 2)
    write_vocabulary(tmp_path, counted)
    written = pq.ParquetFile(tmp_path / "vocabulary" / "texts" / "000000.parquet")
    assert written.metadata.num_row_groups == 3, "5 distinct paragraphs, 2 at a time"
    assert load_vocabulary(tmp_path).paragraphs.equals(from_scratch(AFTER + BEFORE).paragraphs)
    assert written.read()["text"].to_pylist() == counted.paragraphs["text"].to_pylist()


@pytest.mark.parametrize("pass_rows", [7, 1])  # several passes; a pass a partition (no more passes than ITEM_PARTS)
def test_evidence_summed_in_passes_over_hash_partitions_of_the_items_equals_one_pass(tmp_path, monkeypatch, pass_rows):
    folders = counted_by_tasks([BEFORE[:3], BEFORE[2:], AFTER], tmp_path)
    recleaned = [(text, -1) for text in BEFORE[:2]]
    in_one_pass = added_counts(from_scratch(BEFORE).counts, recleaned, folders)
    monkeypatch.setattr(vocabulary_store, "SUM_PASS_ROWS", pass_rows)
    assert added_counts(from_scratch(BEFORE).counts, recleaned, folders).equals(in_one_pass)


def test_a_tasks_counted_rows_stand_a_row_group_a_partition_of_their_items_in_order(tmp_path):
    folder = counted_by_tasks([BEFORE + AFTER], tmp_path)[0]
    written = pq.ParquetFile(folder / COUNTS_FILE)
    groups = [written.read_row_group(group) for group in range(written.metadata.num_row_groups)]
    parts = [set(group["part"].to_pylist()) for group in groups]
    assert all(len(part) == 1 for part in parts), "a row group holds one partition"
    assert [part.pop() for part in parts] == sorted({*item_parts(pa.concat_tables(groups)["item"]).tolist()})
    for group in groups:
        assert item_parts(group["item"]).tolist() == group["part"].to_pylist()
    assert 1 < written.metadata.num_row_groups <= ITEM_PARTS


def test_the_texts_the_store_counted_take_its_digests_and_only_new_texts_are_hashed(tmp_path):
    write_vocabulary(tmp_path, from_scratch(BEFORE))
    stored = load_vocabulary(tmp_path)
    texts, _ = read(AFTER)
    assert stored.digests_of(texts).tolist() == text_digests(texts).tolist()
    marked = stored.counted.set_column(0, "digest", pa.array(["f" * 16] * stored.counted.num_rows))
    recalled = replace(stored, counted=marked).digests_of(texts).tolist()
    assert recalled == [b"f" * 16] * 4 + [paragraph_digest(AFTER[4]).encode()], "the new paragraph alone is hashed"


def test_the_store_is_read_with_its_texts_keys_and_finds_the_texts_it_counted_by_them(tmp_path):
    write_vocabulary(tmp_path, from_scratch(BEFORE))
    stored = load_vocabulary(tmp_path)
    assert stored.text_keys.equals(text_keys(stored.texts)), "worked out as the store is read"
    texts, _ = read(AFTER)
    assert stored.digests_of(texts).tolist() == text_digests(texts).tolist()
    marked = stored.counted.set_column(0, "digest", pa.array(["f" * 16] * stored.counted.num_rows))
    unkeyed = pa.array([bytes(16)] * len(stored.texts), pa.binary(16))  # keys no text has: every text hashed anew
    assert replace(stored, counted=marked, text_keys=unkeyed).digests_of(texts).tolist() == text_digests(texts).tolist()


def test_the_texts_the_finishing_tasks_counted_take_their_digests_and_only_the_others_are_hashed(tmp_path, monkeypatch):
    counted = counted_by_tasks([AFTER[:2], AFTER[1:4]], tmp_path)
    texts, _ = read(AFTER)
    expected = text_digests(texts).tolist()
    hashed = []

    def recording(some_texts):
        hashed.extend(some_texts)
        return text_digests(some_texts)

    monkeypatch.setattr(vocabulary_store, "text_digests", recording)
    assert EMPTY_VOCABULARY.digests_of(texts, counted).tolist() == expected
    assert hashed == [AFTER[4]], "the texts the tasks counted are not hashed again"


def written_run(folder, stored, texts):
    """The vocabulary a run brings up to `texts` from `stored`, written into the state `folder` and read back."""
    folder.mkdir()
    write_vocabulary(folder, updated_vocabulary(stored, *read(texts)))
    return load_vocabulary(folder)


def test_a_run_links_the_stored_texts_and_writes_only_the_texts_it_counted_anew(tmp_path):
    first = written_run(tmp_path / "first", EMPTY_VOCABULARY, BEFORE)
    second = written_run(tmp_path / "second", first, [*BEFORE, AFTER[-1]])
    old, new = (tmp_path / "second" / "vocabulary" / "texts" / name for name in ("000000.parquet", "000001.parquet"))
    assert old.samefile(tmp_path / "first" / "vocabulary" / "texts" / "000000.parquet"), "linked, not written"
    assert pq.read_table(new)["text"].to_pylist() == [AFTER[-1]]
    assert second.paragraphs.equals(from_scratch([*BEFORE, AFTER[-1]]).paragraphs)
    assert second.counts.equals(from_scratch([*BEFORE, AFTER[-1]]).counts)
    assert second.text_keys.equals(text_keys(second.texts)), "the keys read with the texts"


def test_the_texts_are_written_again_as_one_part_once_too_many_are_no_longer_counted(tmp_path):
    first = written_run(tmp_path / "first", EMPTY_VOCABULARY, BEFORE)
    kept = written_run(tmp_path / "kept", first, [*BEFORE[1:4], AFTER[-1]])  # 1 idle text of 4 counted: kept
    assert len(kept.parts.paths) == 2
    rewritten = written_run(tmp_path / "rewritten", kept, [AFTER[-1], BEFORE[1]])  # 3 idle of 2 counted
    assert [path.name for path in rewritten.parts.paths] == ["000002.parquet"]
    assert rewritten.paragraphs.equals(from_scratch([AFTER[-1], BEFORE[1]]).paragraphs)
    assert rewritten.counts.equals(from_scratch([AFTER[-1], BEFORE[1]]).counts)


def test_a_state_written_before_parts_is_read_and_carried_as_a_part(tmp_path):
    stored = from_scratch(BEFORE)
    (tmp_path / "old" / "vocabulary").mkdir(parents=True)
    unparted = tmp_path / "old" / "vocabulary" / "paragraphs.parquet"
    pq.write_table(stored.paragraphs, unparted)  # digest, occurrences, text: as sessions before wrote it
    pq.write_table(stored.counts, tmp_path / "old" / "vocabulary" / "counts.parquet")
    old = load_vocabulary(tmp_path / "old")
    assert old.paragraphs.equals(stored.paragraphs) and old.text_keys.equals(text_keys(old.texts))
    carried = written_run(tmp_path / "new", old, AFTER)
    assert (tmp_path / "new" / "vocabulary" / "texts" / "000000.parquet").samefile(unparted)
    assert carried.paragraphs.equals(from_scratch(AFTER).paragraphs)
    assert carried.counts.equals(from_scratch(AFTER).counts)


def test_the_paragraphs_to_store_stand_in_digest_order():
    texts = [f"Paragraph number {number} of the wire story." for number in range(300)]
    updated = updated_vocabulary(from_scratch(texts[::2]), *read(texts))
    digests = updated.counted.column("digest").to_pylist()
    assert digests == sorted(map(paragraph_digest, texts))


def test_digests_numbers_are_the_numbers_their_hex_digits_write_and_sort_as_the_digests_do():
    texts = [*BEFORE, *AFTER, "", "Ünïcode café", *(f"paragraph {number}" for number in range(200))]
    digests = text_digests(ColumnTexts(pa.chunked_array([texts], pa.string())))
    numbers = digest_numbers(digests)
    assert numbers.dtype == np.uint64
    assert numbers.tolist() == [int(paragraph_digest(text), 16) for text in texts]
    assert np.array_equal(np.argsort(numbers, kind="stable"), np.argsort(digests, kind="stable"))


def test_an_update_given_the_digests_equals_one_that_hashes_them():
    column, positions = read(AFTER)
    hashed = updated_vocabulary(from_scratch(BEFORE), column, positions)
    given = updated_vocabulary(from_scratch(BEFORE), column, positions, digests=text_digests(column))
    assert given.counted.equals(hashed.counted) and given.counts.equals(hashed.counts)
    assert np.array_equal(given.part_rows, hashed.part_rows)
