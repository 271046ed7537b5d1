"""The band-key store (flows/state/band_store.py, flows/stages/band_matches.py): matches equal to find_matches on the same
texts, and a run over a stored state signs and verifies only texts it has not seen."""

from __future__ import annotations

import importlib
import shutil
import sys
from itertools import pairwise
from pathlib import Path
from typing import Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dedup import deduplicate
from dedup.deduplicate import Matches, find_matches
from dedup.pair_table import ascending
from dedup.signatures import count_words, shingle_hashes
from dedup.text_signing import copy_groups, paragraph_sentences, text_sip_keys
from flows.config import load_config
from flows.stages import band_matches, band_search
from flows.stages.band_matches import StoredMatches, signed_rows, stored_matches
from flows.stages.column_texts import ColumnTexts
from flows.stages.new_rows import PartRows
from flows.stages.signed_pool import SignedPool, read_signed, signed_folder, write_signed
from flows.state import band_store
from flows.state.band_store import BANDS_FOLDER, NO_BANDS, SCHEMAS, StoredBands, load_band_store, write_band_store
from flows.state.folder import STATE_VERSION, state_problem
from flows.state.parts import part_paths
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR

BENCHMARKS = REPO / "benchmarks"
BBC = REPO.parent / "shared" / "data" / "bbc-news-2004.jsonl.gz"
SETTINGS = load_config(None).dedup
GENERATED = 240

pytestmark = pytest.mark.skipif(not BBC.exists(), reason=f"shared BBC data (the corpus generator's) not at {BBC}")


def paragraphs(path: Path) -> list[str]:
    """A file's non-blank lines: the paragraphs (and the junk lines) of a scraped text dump."""
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def articles(tmp_path_factory) -> list[list[str]]:
    """The seeds and generated wire stories with their syndicated copies, each article's paragraphs."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        scale_corpus = importlib.import_module("scale_corpus")
    finally:
        sys.path.remove(str(BENCHMARKS))
    folder = tmp_path_factory.mktemp("generated")
    scale_corpus.write_corpus(folder, 0, GENERATED, as_html=False, workers=1)
    files = [SEEDS_DIR / name for name in SEED_NAMES] + sorted(folder.rglob("*.txt"))
    return [paragraphs(path) for path in files]


def flat(articles: list[list[str]]) -> list[str]:
    return [paragraph for article in articles for paragraph in article]


def assert_same_matches(got: Matches, expected: Matches) -> None:
    assert got.overlaps == expected.overlaps
    assert got.partial == expected.partial
    assert got.copies == expected.copies
    assert got.candidate_count == expected.candidate_count


def stored_run(texts: list[str], stored: StoredBands, state: Path) -> StoredMatches:
    """Match the texts over a stored state and write the run's own store into `state`."""
    state.mkdir()
    run = stored_matches(texts, SETTINGS, stored)
    write_band_store(state, run.update)
    return run


def test_the_store_finds_the_matches_find_matches_finds(articles):
    texts = flat(articles)
    expected = find_matches(texts, SETTINGS)
    assert expected.overlaps and expected.partial and expected.copies, "the corpus has copies of every kind"
    matched = stored_matches(texts, SETTINGS, NO_BANDS).matches
    assert_same_matches(matched, expected)
    assert matched.word_counts.tolist() == count_words(texts).tolist(), "each text's words, for clustering"


def test_a_second_run_on_the_same_texts_signs_and_verifies_nothing(articles, tmp_path):
    texts = flat(articles)
    first = stored_run(texts, NO_BANDS, tmp_path / "first")
    assert first.signed > len(set(texts)), "every distinct paragraph and sentence signed once"
    again = stored_run(texts, load_band_store(tmp_path / "first"), tmp_path / "again")
    assert (again.signed, again.verified) == (0, 0)
    assert_same_matches(again.matches, first.matches)
    assert first.update.checked.num_rows == first.matches.candidate_count
    assert again.update.checked.num_rows == again.update.dropped_pairs.num_rows == 0, "every pair carried as stored"


def distinct_texts(texts: list[str]) -> set[int]:
    """Keys of the texts and of the sentences of those of `min_words` words or more: what a run signs."""
    long = [text for text, words in zip(texts, count_words(texts).tolist()) if words >= SETTINGS.min_words]
    return set(text_sip_keys(texts).tolist()) | set(text_sip_keys(paragraph_sentences(long).texts).tolist())


def test_new_articles_sign_only_their_unseen_texts_and_verify_only_pairs_with_them(articles, tmp_path):
    old, added = articles[:-40], articles[-40:]
    stored_run(flat(old), NO_BANDS, tmp_path / "old")
    texts = flat(articles)
    run = stored_run(texts, load_band_store(tmp_path / "old"), tmp_path / "new")
    unseen = distinct_texts(flat(added)) - distinct_texts(flat(old))
    assert set(run.update.new["texts"]["key"].to_pylist()) == unseen
    assert run.signed == len(unseen) > 0
    assert_same_matches(run.matches, find_matches(texts, SETTINGS))
    assert run.matches.word_counts.tolist() == count_words(texts).tolist(), "stored texts' words read from the store"
    keys = text_sip_keys(texts)
    with_new = [pair for pair in (*run.matches.overlaps, *run.matches.partial) if unseen & {*keys[list(pair)].tolist()}]
    assert 0 < run.verified < run.matches.candidate_count
    assert run.verified >= len(with_new), "every pair with a new text is verified"


def test_an_incremental_runs_verified_and_carried_matches_come_in_order_of_positions(articles, tmp_path):
    """New articles put among stored ones: the pairs verified now and those carried as stored interleave by position,
    and the stage returns them as one list in order of positions (the carried ones sorted once, the verified merged
    in), as find_matches finds them."""
    stored_run(flat(articles[:-40]), NO_BANDS, tmp_path / "old")
    texts = flat(articles[:100] + articles[-40:] + articles[100:-40])
    run = stored_run(texts, load_band_store(tmp_path / "old"), tmp_path / "new")
    assert_same_matches(run.matches, find_matches(texts, SETTINGS))
    keys = text_sip_keys(texts)
    measured = set(zip(*(run.update.checked[name].to_pylist() for name in ("first_key", "second_key")), strict=True))
    for pairs in (run.matches.overlaps, run.matches.partial):
        assert ascending(pairs.positions)
        first, second = keys[pairs.positions[:, 0]], keys[pairs.positions[:, 1]]
        by_key = zip(np.minimum(first, second).tolist(), np.maximum(first, second).tolist(), strict=True)
        verified = [pair in measured for pair in by_key]
        assert sum(changed for changed in np.diff(verified)) > 2, "verified and carried pairs interleave"


def test_an_incremental_search_finds_again_only_the_pairs_the_store_does_not_carry(articles, monkeypatch, tmp_path):
    # the buckets the new texts touch hold stored texts copied many times: their pairs among themselves are stored
    found, looked_up = [], []

    def counted(connection, stored, pairs, keys, *table):
        pairs_looked_up = band_matches_looked_up(connection, stored, pairs, keys, *table)
        found.append(len(pairs))
        looked_up.append(pairs_looked_up.found)
        return pairs_looked_up

    band_matches_looked_up = band_matches.looked_up
    monkeypatch.setattr(band_matches, "looked_up", counted)
    stored_run(flat(articles[:-40]), NO_BANDS, tmp_path / "old")
    texts = flat(articles)
    run = stored_run(texts, load_band_store(tmp_path / "old"), tmp_path / "new")
    assert_same_matches(run.matches, find_matches(texts, SETTINGS))
    assert found[-1] == looked_up[-1] < run.matches.candidate_count, "no pair found only to be carried"
    assert 0 < run.verified <= found[-1]


def test_an_incremental_run_reads_from_the_stored_pairs_only_those_it_looks_up_drops_or_carries_as_matches(
    articles, monkeypatch, tmp_path
):
    read = []

    def counted(connection, *arguments):
        read.append(
            connection.sql("SELECT (SELECT count(*) FROM stored_read), (SELECT count(*) FROM checked)").fetchall()
        )
        return band_matches_looked_up(connection, *arguments)

    band_matches_looked_up = band_matches.looked_up
    monkeypatch.setattr(band_matches, "looked_up", counted)
    stored_run(flat(articles[:-40]), NO_BANDS, tmp_path / "old")
    texts = flat(articles[:-20])
    run = stored_run(texts, load_band_store(tmp_path / "old"), tmp_path / "new")
    assert_same_matches(run.matches, find_matches(texts, SETTINGS))
    [(stored_read, stored)] = read[-1]
    assert 0 < stored_read < stored, "a share of the stored pairs read once, not every one"
    again = flat(articles[:-30])
    rerun = stored_run(again, load_band_store(tmp_path / "new"), tmp_path / "again")
    assert_same_matches(rerun.matches, find_matches(again, SETTINGS))
    stored_run(again, NO_BANDS, tmp_path / "rebuilt")
    assert live_rows(tmp_path / "again", again) == live_rows(tmp_path / "rebuilt", again), "the pairs dropped too"


def test_a_run_stores_only_the_pairs_it_measured_each_once_and_knows_its_texts_without_the_store(
    articles, crowded, monkeypatch, tmp_path
):
    """Articles inserted, deleted and back (crowded runs and copies moving) make stored pairs candidates again with
    their stored overlap (taken, not stored again) and gone pairs again (measured, their rows kept once); every run
    passes on the keys of its texts and their sentences, for the store to tell the rows no longer live, and leaves
    the live rows a rebuild leaves."""
    monkeypatch.setattr(band_store, "STALE_SHARE", 0.5)  # the gone pairs' rows stay in the shards
    counts, looked_up = [], []

    def counted(connection, *arguments):
        pairs = band_matches_looked_up(connection, *arguments)
        counts.append((pairs.found, pairs.unknown))
        return pairs

    band_matches_looked_up = band_matches.looked_up
    monkeypatch.setattr(band_matches, "looked_up", counted)
    runs = [
        articles[5:-40],
        articles[:3] + articles[5:100] + articles[110:],
        articles[2:90] + articles[100:],
        articles[5:-40],
    ]
    stored = NO_BANDS
    for number, run_articles in enumerate(runs):
        texts = flat(run_articles)
        run = stored_run(texts, stored, tmp_path / f"run-{number}")
        looked_up.append(counts[-1])
        assert run.update.checked.num_rows == run.verified, "only the pairs measured are passed on"
        assert set(run.update.kept["key"].to_pylist()) == distinct_texts(texts)
        checked = pq.read_table(
            tmp_path / f"run-{number}" / BANDS_FOLDER / "checked", columns=["first_key", "second_key"]
        )
        assert len(set(zip(*checked.to_pydict().values()))) == checked.num_rows, "each pair stored once"
        stored_run(texts, NO_BANDS, tmp_path / f"rebuilt-{number}")
        assert live_rows(tmp_path / f"run-{number}", texts) == live_rows(tmp_path / f"rebuilt-{number}", texts)
        stored = load_band_store(tmp_path / f"run-{number}")
    assert all(found > measured for found, measured in looked_up[1:]), "stored pairs taken with their overlap"
    gone = stored_rows(tmp_path / "run-2")[band_store.GONE_PAIRS]
    assert gone and gone - stored_rows(tmp_path / "run-3")[band_store.GONE_PAIRS], "gone pairs made again"


def test_a_run_keeps_only_the_texts_still_present_once_the_others_are_a_share_of_the_store(articles, tmp_path):
    stored_run(flat(articles), NO_BANDS, tmp_path / "all")
    kept = articles[: len(articles) // 2]
    stored_run(flat(kept), load_band_store(tmp_path / "all"), tmp_path / "half")
    stored = pq.read_table(tmp_path / "half" / BANDS_FOLDER / "texts")
    assert set(stored["key"].to_pylist()) == distinct_texts(flat(kept))
    checked = pq.read_table(tmp_path / "half" / BANDS_FOLDER / "checked")
    assert np.all(checked["first_key"].to_numpy() < checked["second_key"].to_numpy())
    assert set(checked["first_key"].to_pylist()) <= set(text_sip_keys(flat(kept)).tolist())
    assert not stored_rows(tmp_path / "half")[band_store.GONE_PAIRS], "the gone pairs are no longer in `checked`"


def test_a_state_written_under_other_dedup_settings_is_not_used(tmp_path):
    config = tmp_path / "copydesk.toml"
    config.write_text((REPO / "copydesk.toml").read_text(encoding="utf-8").replace("num_perm = 128", "num_perm = 256"))
    changed = load_config(config)
    assert changed.dedup.num_perm == 256
    manifest = {"state_version": STATE_VERSION, "config_sha256": load_config(None).sha256}
    assert state_problem(manifest, changed.sha256) == "the config changed"


def test_the_states_of_the_layouts_before_paragraph_keys_and_line_count_parts_are_used_and_an_older_one_is_not():
    """Version 6 (line counts without parts of changes) and 7 (finished parts without the paragraphs' keys) read as 8
    does; an older copydesk takes 8 as none (its check is a set of 6 and 7), so it never reads finished parts whose
    columns it does not know."""
    config_sha256 = load_config(None).sha256
    assert STATE_VERSION == 8
    for readable in (6, 7, 8):
        assert state_problem({"state_version": readable, "config_sha256": config_sha256}, config_sha256) is None
    assert state_problem({"state_version": 5, "config_sha256": config_sha256}, config_sha256) == (
        "state version 5 is not one of [6, 7, 8]"
    )


def stored_rows(state: Path) -> dict[str, set[tuple]]:
    """Every table of a written store, as a set of rows (shards and row order aside)."""
    folder = state / BANDS_FOLDER
    return {table.name: set(zip(*pq.read_table(table).to_pydict().values())) for table in sorted(folder.iterdir())}


def live_rows(state: Path, texts: list[str]) -> dict[str, set[tuple]]:
    """The rows of a written store its readers see for a run over `texts`: those of the texts present (the
    paragraphs and their sentences; the store may keep others' rows) and the pairs not gone; the gone pairs left out."""
    rows = stored_rows(state)
    paragraphs = set(text_sip_keys(texts).tolist())
    rows["sentences"] = {row for row in rows["sentences"] if row[0] in paragraphs}
    present = paragraphs | {sentence_key for _, _, sentence_key in rows["sentences"]}
    for table in ("texts", "bands"):
        rows[table] = {row for row in rows[table] if row[0] in present}
    gone = rows.pop(band_store.GONE_PAIRS)
    rows["checked"] = {row for row in rows["checked"] if row[:2] not in gone}
    return rows


@pytest.fixture
def crowded(monkeypatch):
    """Band runs over 2 rows and short-text groups over 3 owners are crowded, so they arise, grow and move."""
    monkeypatch.setattr(band_search, "MAX_RUN", 2)
    monkeypatch.setattr(band_search, "MAX_SHARED_GROUP", 3)
    monkeypatch.setattr(band_matches, "MAX_SHARED_GROUP", 3)


def incremental_runs(runs: list[list[list[str]]], tmp_path: Path) -> StoredMatches:
    """Each run's articles matched over the store the run before wrote, and rebuilt: the same matches and the same
    rows seen in both stores; the last incremental run."""
    stored = NO_BANDS
    for number, run_articles in enumerate(runs):
        texts = flat(run_articles)
        incremental = stored_run(texts, stored, tmp_path / f"incremental-{number}")
        rebuilt = stored_run(texts, NO_BANDS, tmp_path / f"rebuilt-{number}")
        assert_same_matches(incremental.matches, rebuilt.matches)
        assert live_rows(tmp_path / f"incremental-{number}", texts) == live_rows(tmp_path / f"rebuilt-{number}", texts)
        stored = load_band_store(tmp_path / f"incremental-{number}")
        assert stored.searched
    return incremental


def test_an_incremental_search_finds_the_pairs_a_full_one_finds_as_copies_crowd_and_move(articles, crowded, tmp_path):
    # articles inserted before the others (moving the first owner of crowded runs and exact copies'
    # representatives), some deleted, new ones added; then some of the first ones deleted again
    runs = [articles[5:-40], articles[:3] + articles[5:100] + articles[110:], articles[2:90] + articles[100:]]
    incremental_runs(runs, tmp_path)
    first_owners = [
        {(kind, band, key): first for kind, band, key, first in stored_rows(tmp_path / f"rebuilt-{number}")["crowded"]}
        for number in range(len(runs))
    ]
    assert any(
        before[bucket] != after[bucket]
        for before, after in pairwise(first_owners)
        for bucket in before.keys() & after.keys()
    ), "a crowded run's first owner moved between runs"
    assert all(stored_rows(tmp_path / f"rebuilt-{number}")["crowded_groups"] for number in range(len(runs)))


def test_a_store_without_the_search_tables_is_searched_in_full(articles, tmp_path):
    texts = flat(articles)
    stored_run(flat(articles[:-40]), NO_BANDS, tmp_path / "old")
    shutil.rmtree(tmp_path / "old" / BANDS_FOLDER / "representatives")
    older = load_band_store(tmp_path / "old")
    assert older.folder is not None and not older.searched
    assert_same_matches(stored_run(texts, older, tmp_path / "new").matches, find_matches(texts, SETTINGS))


def inodes(state: Path, table: str) -> set[int]:
    """The inodes of a written table's shards."""
    return {shard.stat().st_ino for shard in (state / BANDS_FOLDER / table).iterdir()}


def test_a_run_that_drops_texts_links_every_shard_and_hides_the_pairs_gone(articles, monkeypatch, tmp_path):
    monkeypatch.setattr(band_store, "STALE_SHARE", 0.5)  # the 40 articles' rows are under half of the store's
    stored_run(flat(articles), NO_BANDS, tmp_path / "first")
    stored_run(flat(articles), load_band_store(tmp_path / "first"), tmp_path / "again")
    fewer = flat(articles[:-40])
    stored_run(fewer, load_band_store(tmp_path / "again"), tmp_path / "fewer")
    stored_run(fewer, NO_BANDS, tmp_path / "rebuilt")
    for table in SCHEMAS:
        assert inodes(tmp_path / "again", table) == inodes(tmp_path / "first", table)
        assert inodes(tmp_path / "first", table) <= inodes(tmp_path / "fewer", table), "every shard linked"
    assert stored_rows(tmp_path / "again") == stored_rows(tmp_path / "first")
    assert live_rows(tmp_path / "fewer", fewer) == live_rows(tmp_path / "rebuilt", fewer)
    kept_rows = stored_rows(tmp_path / "fewer")
    assert len(kept_rows["texts"]) > len(distinct_texts(fewer)), "the texts no longer present are still stored"
    assert kept_rows[band_store.GONE_PAIRS] and kept_rows[band_store.GONE_PAIRS] <= {
        row[:2] for row in kept_rows["checked"]
    }


def test_a_store_whose_rows_no_longer_live_pass_the_share_is_written_again_without_them(
    articles, monkeypatch, tmp_path
):
    stored_run(flat(articles), NO_BANDS, tmp_path / "first")
    fewer = flat(articles[:-40])
    monkeypatch.setattr(band_store, "STALE_SHARE", 0.0)
    stored_run(fewer, load_band_store(tmp_path / "first"), tmp_path / "fewer")
    stored_run(fewer, NO_BANDS, tmp_path / "rebuilt")
    assert stored_rows(tmp_path / "fewer") == stored_rows(tmp_path / "rebuilt")
    for table in SCHEMAS:
        assert not inodes(tmp_path / "fewer", table) & inodes(tmp_path / "first", table)


def test_texts_deleted_and_back_and_a_copy_that_stops_being_one_find_what_a_rebuild_finds(
    articles, monkeypatch, tmp_path
):
    """Articles deleted come back: their texts' stored rows are found again (nothing signed); an article edited so its
    paragraphs are no longer copies, then restored; the pairs gone in between are made again."""
    monkeypatch.setattr(band_store, "STALE_SHARE", 0.5)  # the rows of the texts gone stay
    edited = [[f"{paragraph} Updated later." for paragraph in article] for article in articles[120:125]]
    runs = [articles, articles[:100] + edited + articles[125:], articles]
    assert incremental_runs(runs, tmp_path).signed == 0, "the texts back were never dropped from the store"
    gone = [stored_rows(tmp_path / f"incremental-{number}")[band_store.GONE_PAIRS] for number in (1, 2)]
    assert gone[0] and not gone[0] & gone[1], "the pairs gone are made again"


def test_a_full_search_in_slices_of_the_bands_finds_what_one_slice_finds(articles, monkeypatch, tmp_path):
    texts = flat(articles)
    monkeypatch.setattr(band_search, "SORTED_ROWS", 1000)
    sliced = stored_run(texts, NO_BANDS, tmp_path / "sliced")
    assert_same_matches(sliced.matches, find_matches(texts, SETTINGS))


def test_a_full_search_in_more_slices_than_bands_sorts_each_from_its_partition_as_one_slice_does(
    articles, monkeypatch, tmp_path
):
    texts = flat(articles)
    whole = stored_run(texts, NO_BANDS, tmp_path / "whole")
    stored_bands = part_paths(tmp_path / "whole" / BANDS_FOLDER / "bands")
    rows = sum(pq.ParquetFile(part).metadata.num_rows for part in stored_bands)
    monkeypatch.setattr(band_search, "SORTED_ROWS", rows // 80)  # 80 slices of 56 bands: some partitions are empty
    sliced = stored_run(texts, NO_BANDS, tmp_path / "sliced")
    assert_same_matches(sliced.matches, whole.matches)
    assert stored_rows(tmp_path / "sliced") == stored_rows(tmp_path / "whole")


def test_a_slice_read_a_group_of_its_band_keys_at_a_time_finds_what_one_read_finds(articles, monkeypatch, tmp_path):
    """What a full search does when DuckDB runs out of memory sorting a slice: each bucket stays in one group."""
    texts = flat(articles)
    read_slice = band_search._sorted_slice
    monkeypatch.setattr(
        band_search, "_sorted_slice", lambda connection, groups, split: read_slice(connection, 4, split)
    )
    grouped = stored_run(texts, NO_BANDS, tmp_path / "grouped")
    assert_same_matches(grouped.matches, find_matches(texts, SETTINGS))


def test_pairs_found_in_several_band_runs_are_kept_once_sorted_up_to_the_largest_positions():
    top = 2**32 - 1
    first, second = np.array([5, 0, 5, 7, 0, top - 1]), np.array([9, 3, 9, top, 3, top])
    kept = band_search.distinct_pairs(first, second)
    assert [(kept >> 32).tolist(), (kept & 0xFFFFFFFF).tolist()] == [[0, 5, 7, top - 1], [3, 9, top, top]]


def test_pairs_verified_in_small_batches_from_the_sliced_search_find_what_find_matches_finds(
    articles, monkeypatch, tmp_path
):
    texts = flat(articles)
    monkeypatch.setattr(band_search, "SORTED_ROWS", 1000)
    monkeypatch.setattr(band_matches, "VERIFY_ROWS", 7)
    batched = stored_run(texts, NO_BANDS, tmp_path / "batched")
    assert_same_matches(batched.matches, find_matches(texts, SETTINGS))


def test_texts_whose_pairs_fall_in_several_batches_are_hashed_once_as_in_one_batch(articles, monkeypatch):
    texts = flat(articles)
    hashed = []

    def counted(chunk, shingle_size):
        hashed.append(len(chunk))
        return shingle_hashes(chunk, shingle_size)

    monkeypatch.setattr(deduplicate, "shingle_hashes", counted)
    whole = stored_matches(texts, SETTINGS, NO_BANDS)
    in_one_batch, hashed[:] = sum(hashed), []
    monkeypatch.setattr(band_matches, "VERIFY_ROWS", 7)
    batched = stored_matches(texts, SETTINGS, NO_BANDS)
    assert_same_matches(batched.matches, whole.matches)
    assert batched.verified > 10 * 7 and sum(hashed) == in_one_batch <= 2 * batched.verified


def test_an_incremental_run_verifying_small_batches_into_parts_keeps_what_one_held_batch_keeps(
    articles, monkeypatch, tmp_path
):
    """Batches mix pairs the previous store checked with new ones; the checked pairs go to parts, not memory."""
    stored_run(flat(articles[:-40]), NO_BANDS, tmp_path / "old")
    stored = load_band_store(tmp_path / "old")
    texts = flat(articles)
    whole = stored_run(texts, stored, tmp_path / "whole")
    monkeypatch.setattr(band_matches, "VERIFY_ROWS", 7)
    batched = stored_matches(texts, SETTINGS, stored, parts=tmp_path / "new")
    (tmp_path / "batched").mkdir()
    write_band_store(tmp_path / "batched", batched.update)
    assert_same_matches(batched.matches, whole.matches)
    assert batched.verified == whole.verified and 0 < batched.verified < batched.matches.candidate_count
    assert pq.read_table(batched.update.checked).num_rows == whole.update.checked.num_rows > 0
    assert stored_rows(tmp_path / "batched") == stored_rows(tmp_path / "whole")


def test_a_full_run_links_the_parts_of_the_pairs_it_measured_into_its_store(articles, tmp_path):
    """With no gone pairs in the previous store (none at all in a full run), every measured pair is new to the
    shards: the verifying pass's parts are linked in, not read and written again, and the store is the same."""
    texts = flat(articles)
    held = stored_run(texts, NO_BANDS, tmp_path / "held")
    run = stored_matches(texts, SETTINGS, NO_BANDS, parts=tmp_path / "new")
    (tmp_path / "parts").mkdir()
    write_band_store(tmp_path / "parts", run.update)
    stored = part_paths(tmp_path / "parts" / BANDS_FOLDER / "checked")
    assert run.update.checked and held.update.checked.num_rows > 0
    assert {part.stat().st_ino for part in run.update.checked} <= {part.stat().st_ino for part in stored}, "linked"
    assert stored_rows(tmp_path / "parts") == stored_rows(tmp_path / "held")


def test_small_parts_are_merged_once_there_are_more_than_the_bound(articles, monkeypatch, tmp_path):
    monkeypatch.setattr(band_store, "MAX_SMALL_PARTS", 2)
    stored = NO_BANDS
    for number, end in enumerate(range(len(articles) - 40, len(articles) + 1, 10)):
        stored_run(flat(articles[:end]), stored, tmp_path / f"run-{number}")
        stored = load_band_store(tmp_path / f"run-{number}")
    stored_run(flat(articles), NO_BANDS, tmp_path / "rebuilt")
    for table in SCHEMAS:
        parts = list((tmp_path / f"run-{number}" / BANDS_FOLDER / table).iterdir())
        assert sum(pq.ParquetFile(part).metadata.num_rows < band_store.SHARD_ROWS for part in parts) <= 2
    assert live_rows(tmp_path / f"run-{number}", flat(articles)) == live_rows(tmp_path / "rebuilt", flat(articles))


class SigningPhases:
    """A Ticker that keeps how many texts each signing or splitting pass of the match stage had to do."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}

    def phase(self, label: str, total: int, unit: str) -> None:
        self.totals[label] = total

    def advance(self, amount: int = 1) -> None:
        """Nothing to keep."""

    def signed_here(self) -> int:
        return sum(total for label, total in self.totals.items() if label.startswith(("signing", "splitting")))


def signed_by_tasks(shards: list[list[list[str]]], folder: Path) -> SignedPool:
    """The signed rows finishing tasks leave for these shards of articles, read back as the match stage reads them."""
    folders = [signed_folder(folder / f"finished-{number:05d}.parquet") for number in range(len(shards))]
    for shard, signed in zip(shards, folders, strict=True):
        write_signed(signed_rows(flat(shard), SETTINGS), signed)
    return read_signed(folders, SETTINGS)


def new_rows(run: StoredMatches) -> dict[str, set[tuple]]:
    """The run's new rows of each table, held or written as parts, as a set of rows."""
    tables = {
        name: rows if isinstance(rows, pa.Table) else pq.read_table(rows) for name, rows in run.update.new.items()
    }
    return {name: set(zip(*table.to_pydict().values())) for name, table in tables.items()}


def test_a_shards_signed_rows_hold_each_distinct_text_once_with_its_bands_in_order(articles):
    texts = flat(articles[:60] + articles[:30])
    rows = signed_rows(texts, SETTINGS)
    keys = rows["texts"]["key"].to_numpy()
    assert len(np.unique(keys)) == len(keys) and set(keys.tolist()) == distinct_texts(flat(articles[:60]))
    long = keys[rows["texts"]["words"].to_numpy() >= SETTINGS.min_words]
    assert np.array_equal(rows["bands"]["key"].to_numpy(), np.repeat(long, SETTINGS.stored_bands))
    split = set(zip(rows["sentences"]["key"].to_pylist(), rows["sentences"]["sentence"].to_pylist()))
    long_paragraphs = text_sip_keys(texts)[count_words(texts) >= SETTINGS.min_words]
    assert len(split) == rows["sentences"].num_rows and set(rows["sentences"]["key"].to_pylist()) == set(
        long_paragraphs.tolist()
    )


def test_the_stage_takes_what_the_finishing_tasks_signed_and_signs_nothing_again(articles, tmp_path):
    texts = flat(articles)
    shards = [articles[::3], articles[1::3], articles[2::3]]  # copies of a story in several shards
    phases = SigningPhases()
    pool = signed_by_tasks(shards, tmp_path)
    taken = stored_matches(texts, SETTINGS, NO_BANDS, phases, signed=pool, parts=tmp_path / "new")
    signed_here = stored_matches(texts, SETTINGS, NO_BANDS)
    assert phases.signed_here() == 0
    assert_same_matches(taken.matches, signed_here.matches)
    assert new_rows(taken) == new_rows(signed_here)
    assert taken.signed == signed_here.signed
    written = {name: pq.read_table(parts).num_rows for name, parts in taken.update.new.items()}
    assert written == {name: table.num_rows for name, table in signed_here.update.new.items()}, "each row once"


def test_texts_neither_stored_nor_signed_by_a_task_are_signed_in_the_stage(articles, tmp_path):
    """After a run that kept no store (Redis), the carried articles' texts are in no file: the stage signs them."""
    texts = flat(articles)
    phases = SigningPhases()
    run = stored_matches(texts, SETTINGS, NO_BANDS, phases, signed=signed_by_tasks([articles[-40:]], tmp_path))
    signed_here = stored_matches(texts, SETTINGS, NO_BANDS)
    assert 0 < phases.totals["signing paragraphs"] <= len(set(texts) - set(flat(articles[-40:])))
    assert_same_matches(run.matches, signed_here.matches)
    assert new_rows(run) == new_rows(signed_here)


class RecordedQuery(str):
    """A query whose `format` calls record where the touched buckets' bands were read from."""

    def __new__(cls, query: str, sources: list[str]) -> Self:
        made = super().__new__(cls, query)
        made.sources = sources
        return made

    def format(self, **names: str) -> str:
        self.sources.append(names["dirt_bands"])
        return str(self).format(**names)


def test_an_incremental_run_takes_its_new_texts_from_the_tasks_and_keeps_the_store_of_one_that_signs(
    articles, monkeypatch, tmp_path
):
    sources = []
    monkeypatch.setattr(band_search, "_TOUCHED", RecordedQuery(band_search._TOUCHED, sources))
    old, added = articles[:-40], articles[-40:]
    stored_run(flat(old), NO_BANDS, tmp_path / "old")
    stored = load_band_store(tmp_path / "old")
    texts = flat(articles)
    phases = SigningPhases()
    pool = signed_by_tasks([added[:25], added[25:]], tmp_path)
    (tmp_path / "taken").mkdir()
    taken = stored_matches(texts, SETTINGS, stored, phases, signed=pool, parts=tmp_path / "new")
    assert sources[0] == "signed_bands", "the changed texts' bands taken from the tasks: the store's scanned once"
    write_band_store(tmp_path / "taken", taken.update)
    signed_here = stored_run(texts, stored, tmp_path / "signed")
    assert sources[-1] == "bands", "without the tasks' rows, the changed texts' bands are read from the store"
    assert phases.signed_here() == 0
    assert_same_matches(taken.matches, signed_here.matches)
    assert stored_rows(tmp_path / "taken") == stored_rows(tmp_path / "signed")
    new_bands = taken.update.new["bands"]
    stored_bands = part_paths(tmp_path / "taken" / BANDS_FOLDER / "bands")
    assert {part.stat().st_ino for part in new_bands} <= {part.stat().st_ino for part in stored_bands}, "linked in"


def test_new_rows_are_written_in_parts_of_at_most_so_many_rows_in_the_order_they_come(tmp_path):
    sink = PartRows(tmp_path / "new", rows_per_part=5)
    for first, last in ((0, 3), (3, 3), (3, 10), (10, 11)):
        sink.add(
            "texts",
            pa.table(
                {
                    "key": np.arange(first, last, dtype=np.uint64),
                    "normalised_key": np.arange(first, last, dtype=np.uint64),
                    "words": np.arange(first, last),
                }
            ),
        )
    parts = sink.rows()
    assert [pq.read_metadata(part).num_rows for part in parts["texts"]] == [5, 5, 1]
    assert pq.read_table(parts["texts"])["key"].to_pylist() == list(range(11)) and sink.count("texts") == 11
    assert parts["bands"] == [] and parts["sentences"] == []


class UnreadTexts(ColumnTexts):
    """A column of texts that refuses to be read as Python strings."""

    def __getitem__(self, position):
        raise AssertionError("a text was made a Python string")

    def __iter__(self):
        raise AssertionError("the texts were read as Python strings")


def test_text_sip_keys_are_pandas_hash_array_of_the_strings_hashed_from_the_column_without_a_python_string(articles):
    texts = [*flat(articles[:40]), "", "Señor Kim’s “talks” — 東京 😀", None, "None", "a" * 8, "b" * 16]
    expected = pd.util.hash_array(np.array(texts, dtype=object), categorize=False)
    column = pa.chunked_array([texts[:7], texts[7:20], [], texts[20:]], pa.string())
    assert text_sip_keys(UnreadTexts(column)).tolist() == expected.tolist()
    sliced = pa.array(["before", *texts], pa.large_string()).slice(1)  # a chunk that starts inside its buffers
    assert text_sip_keys(UnreadTexts(pa.chunked_array([sliced]))).tolist() == expected.tolist()
    assert text_sip_keys([text for text in texts if text is not None]).tolist() == [
        key for key, text in zip(expected.tolist(), texts, strict=True) if text is not None
    ]
    assert text_sip_keys([]).tolist() == [] == text_sip_keys(UnreadTexts(pa.chunked_array([], pa.string()))).tolist()


def test_copy_groups_are_each_first_position_with_the_others_in_order_of_first_positions():
    normalised = np.array([7, 3, 7, 0, 3, 9, 7, 5, 5, 5], dtype=np.uint64)
    words = np.array([9, 9, 9, 0, 9, 9, 9, 2, 2, 2])
    assert copy_groups(normalised, words, min_words=4, max_short_group=3) == {0: [2, 6], 1: [4], 7: [8, 9]}
    assert copy_groups(normalised, words, min_words=4, max_short_group=2) == {0: [2, 6], 1: [4]}
    assert copy_groups(normalised[:0], words[:0], min_words=4, max_short_group=3) == {}
