"""The state's finished table kept as parts (flows/state/finished.py, flows/state/parts.py): a run links the previous run's
parts whose rows it carries unchanged, writes the rest anew, merges small parts past the bound, and reads a state
of the older layouts (one finished.parquet; parts without the paragraphs' keys, which are worked out as read)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from dedup.text_signing import text_sip_keys
from flows.stages.column_texts import ColumnTexts
from flows.state import finished, parts
from flows.state.alignment_store import text_digests
from flows.state.finished import FINISHED, FINISHED_FILE, FINISHED_FOLDER, KEPT_FILE, FinishedCleaning
from flows.state.parts import ARROW, part_paths
from tests.cleaned_articles import lineage_by_identity

SUMMIT = "The second meeting between the two leaders ended without a deal, officials said on Friday."
TALKS = "Negotiators met again on Tuesday and the government said talks would resume next month."
MARKETS = "Stocks rose in Seoul as investors bet the government would ease its limits on exports."
WEATHER = "Heavy rain is expected across the region, and forecasters urged drivers to take care."
ARTICLES = {
    "summit.txt": [SUMMIT, WEATHER],
    "talks.txt": [TALKS],
    "markets.txt": [MARKETS],
    "weather.txt": [WEATHER],
    "rain.txt": [WEATHER, TALKS],
    "seoul.txt": [MARKETS, SUMMIT],
}

LONG = {path: [paragraph * 40 for paragraph in paragraphs] for path, paragraphs in ARTICLES.items()}


@pytest.fixture(autouse=True)
def parts_of_two(monkeypatch):
    monkeypatch.setattr(finished, "PART_ROWS", 2)


def finished_table(articles: dict[str, list[str]]) -> pa.Table:
    """A run's finished table holding these articles (source path: paragraphs)."""
    rows = [
        {"source_path": path, "doc_id": path.removesuffix(".txt"), "paragraphs": paragraphs, "language": "en"}
        for path, paragraphs in articles.items()
    ]
    return pa.Table.from_pylist(rows, FINISHED)


def stored(table: pa.Table, previous: FinishedCleaning, folder: Path) -> FinishedCleaning:
    """Write the table into a state folder as a run does, and read it back as the next run does."""
    folder.mkdir(parents=True)
    carried = finished.carried_parts(table, lineage_by_identity(table, previous), previous)
    finished.write_finished(folder, table, carried, frozenset())
    return finished.load_finished(folder)


def rows(table: pa.Table) -> list[dict]:
    """The articles of a finished table, in order of identity (the parts hold them in any order)."""
    return sorted(table.to_pylist(), key=lambda row: (row["source_path"], row["doc_id"]))


def inodes(folder: Path) -> set[int]:
    return {part.stat().st_ino for part in part_paths(folder / FINISHED_FOLDER)}


def test_unchanged_parts_are_linked_and_a_changed_part_is_written_anew(tmp_path):
    first = stored(finished_table(ARTICLES), FinishedCleaning(), tmp_path / "first")
    assert first.parts.rows == [2, 2, 2]
    changed = ARTICLES | {"markets.txt": [MARKETS, WEATHER]}
    second = stored(finished_table(changed), first, tmp_path / "second")
    linked = inodes(tmp_path / "first") & inodes(tmp_path / "second")
    assert len(linked) == 2, "the parts of summit and talks, rain and seoul are the previous run's files"
    assert rows(second.table) == rows(finished_table(changed))
    assert second.table.take([second.rows[("markets.txt", "markets")]])["paragraphs"].to_pylist() == [
        [MARKETS, WEATHER]
    ]


def test_a_gone_article_rewrites_its_part_and_a_new_one_is_added(tmp_path):
    first = stored(finished_table(ARTICLES), FinishedCleaning(), tmp_path / "first")
    later = {path: paragraphs for path, paragraphs in ARTICLES.items() if path != "talks.txt"}
    later["storm.txt"] = [WEATHER, MARKETS]
    second = stored(finished_table(later), first, tmp_path / "second")
    assert len(inodes(tmp_path / "first") & inodes(tmp_path / "second")) == 2
    assert ("talks.txt", "talks") not in second.rows and ("storm.txt", "storm") in second.rows
    assert rows(second.table) == rows(finished_table(later))


def test_small_parts_are_merged_once_there_are_more_than_the_bound(monkeypatch, tmp_path):
    monkeypatch.setattr(finished, "MAX_SMALL_PARTS", 1)
    articles, previous = dict(ARTICLES), FinishedCleaning()
    for run, extra in enumerate(["storm", "flood", "drought"]):
        articles[f"{extra}.txt"] = [f"{extra.title()} news: {WEATHER}"]
        previous = stored(finished_table(articles), previous, tmp_path / f"run-{run}")
        assert sum(count < finished.PART_ROWS for count in previous.parts.rows) <= 1
    assert rows(previous.table) == rows(finished_table(articles))


def kinds(folder: Path) -> set[str]:
    return {part.suffix for part in part_paths(folder / FINISHED_FOLDER)}


def loaded_allocating(folder: Path) -> tuple[FinishedCleaning, int]:
    """The stored finished articles of a state folder, and how many bytes Arrow allocated to hold them."""
    before = pa.total_allocated_bytes()
    state = finished.load_finished(folder)
    return state, pa.total_allocated_bytes() - before


def test_parquet_parts_are_read_and_written_anew_as_parts_the_next_run_maps(tmp_path):
    # long texts, so a copy of them stands out from the few bytes reading allocates otherwise
    old = tmp_path / "old"
    parts.write_parts(finished_table(LONG), FINISHED, old / FINISHED_FOLDER, finished.PART_ROWS)
    pq.write_table(pa.Table.from_pylist([], finished.KEPT), old / KEPT_FILE)
    previous, read_bytes = loaded_allocating(old)
    assert rows(previous.table) == rows(finished_table(LONG)) and previous.parts.rows == [2, 2, 2]
    assert read_bytes >= previous.table.nbytes, "Parquet parts are decoded into memory"
    stored(finished_table(LONG), previous, tmp_path / "new")
    assert kinds(tmp_path / "new") == {ARROW} and not inodes(old) & inodes(tmp_path / "new")
    mapped, mapped_bytes = loaded_allocating(tmp_path / "new")
    assert rows(mapped.table) == rows(finished_table(LONG))
    assert mapped_bytes < mapped.table.nbytes / 10, "Arrow IPC parts are mapped, not copied"
    stored(finished_table(LONG), mapped, tmp_path / "later")
    assert inodes(tmp_path / "later") == inodes(tmp_path / "new")


def test_a_state_of_the_older_layout_is_read_and_its_rows_written_anew_as_arrow_parts(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    pq.write_table(finished_table(ARTICLES), old / FINISHED_FILE)
    pq.write_table(pa.Table.from_pylist([], finished.KEPT), old / KEPT_FILE)
    previous = finished.load_finished(old)
    assert previous.table.equals(finished_table(ARTICLES)) and previous.parts.rows == [len(ARTICLES)]
    renewed = stored(finished_table(ARTICLES), previous, tmp_path / "new")
    assert kinds(tmp_path / "new") == {ARROW} and (old / FINISHED_FILE).stat().st_ino not in inodes(tmp_path / "new")
    assert rows(renewed.table) == rows(finished_table(ARTICLES))


def hashed_keys(table: pa.Table) -> tuple[list[int], list[bytes]]:
    """The match keys and digests of a finished table's paragraphs, hashed from their texts as the stages did."""
    texts = ColumnTexts(pc.list_flatten(table["paragraphs"]))
    return text_sip_keys(texts).tolist(), text_digests(texts).tolist()


def carried_keys(table: pa.Table) -> tuple[list[int], list[bytes]]:
    """The match keys and digests a finished table carries for its paragraphs."""
    keys = finished.paragraph_keys(table)
    return keys.match.tolist(), keys.digests.tolist()


def test_each_paragraphs_keys_equal_those_hashed_from_its_text_in_every_chunk():
    rejected = {"source_path": "empty.txt", "doc_id": "empty", "rejection": "no article text left after cleaning"}
    unkeyed = pa.concat_tables(
        [finished_table(dict(list(ARTICLES.items())[:2])), pa.Table.from_pylist([rejected], FINISHED)]
    ).slice(1)  # a chunk sliced, and one of a rejection (no paragraphs)
    table = pa.concat_tables(
        [finished.with_paragraph_keys(unkeyed), finished.with_paragraph_keys(finished_table(LONG))]
    )
    assert table.num_rows == 2 + len(LONG) and table.column("paragraph_keys").num_chunks == 3
    assert carried_keys(table) == hashed_keys(table) and len(carried_keys(table)[0]) == 1 + 9
    assert table["paragraph_keys"].to_pylist()[1] is None


def test_carried_keys_of_a_table_without_them_are_refused():
    with pytest.raises(ValueError, match="paragraphs hold"):
        finished.paragraph_keys(finished_table(ARTICLES))


def test_parts_written_without_keys_are_keyed_as_read_and_each_written_anew_whole_then_linked(tmp_path):
    old = tmp_path / "old"
    unkeyed = finished_table(ARTICLES).drop_columns([name for name, _ in finished.PARAGRAPH_KEYS])
    parts.write_parts(unkeyed, unkeyed.schema, old / FINISHED_FOLDER, finished.PART_ROWS, ARROW)
    pq.write_table(pa.Table.from_pylist([], finished.KEPT), old / KEPT_FILE)
    previous = finished.load_finished(old)
    assert previous.parts.older == frozenset(previous.parts.paths) and previous.parts.rows == [2, 2, 2]
    assert carried_keys(previous.table) == hashed_keys(previous.table)
    assert rows(previous.table.drop_columns([name for name, _ in finished.PARAGRAPH_KEYS])) == rows(unkeyed)
    renewed = stored(finished.with_paragraph_keys(finished_table(ARTICLES)), previous, tmp_path / "new")
    assert not inodes(old) & inodes(tmp_path / "new") and not renewed.parts.older
    assert renewed.table.equals(previous.table) and renewed.parts.rows == [2, 2, 2], "each part renewed whole"
    stored(finished.with_paragraph_keys(finished_table(ARTICLES)), renewed, tmp_path / "later")
    assert inodes(tmp_path / "later") == inodes(tmp_path / "new")
