"""The band-key store (flows/band_store.py, flows/band_matches.py): matches equal to find_matches on the same
texts, and a run over a stored state signs and verifies only texts it has not seen."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from dedup.deduplicate import Matches, find_matches
from dedup.signatures import count_words
from dedup.text_signing import paragraph_sentences, text_keys
from flows.band_matches import StoredMatches, stored_matches
from flows.band_store import BANDS_FOLDER, NO_BANDS, StoredBands, load_band_store, write_band_store
from flows.config import load_config
from flows.state import STATE_VERSION, state_problem
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
    assert_same_matches(stored_matches(texts, SETTINGS, NO_BANDS).matches, expected)


def test_a_second_run_on_the_same_texts_signs_and_verifies_nothing(articles, tmp_path):
    texts = flat(articles)
    first = stored_run(texts, NO_BANDS, tmp_path / "first")
    assert first.signed > len(set(texts)), "every distinct paragraph and sentence signed once"
    again = stored_run(texts, load_band_store(tmp_path / "first"), tmp_path / "again")
    assert (again.signed, again.verified) == (0, 0)
    assert_same_matches(again.matches, first.matches)


def distinct_texts(texts: list[str]) -> set[int]:
    """Keys of the texts and of the sentences of those of `min_words` words or more: what a run signs."""
    long = [text for text, words in zip(texts, count_words(texts).tolist()) if words >= SETTINGS.min_words]
    return set(text_keys(texts).tolist()) | set(text_keys(paragraph_sentences(long).texts).tolist())


def test_new_articles_sign_only_their_unseen_texts_and_verify_only_pairs_with_them(articles, tmp_path):
    old, added = articles[:-40], articles[-40:]
    stored_run(flat(old), NO_BANDS, tmp_path / "old")
    texts = flat(articles)
    run = stored_run(texts, load_band_store(tmp_path / "old"), tmp_path / "new")
    unseen = distinct_texts(flat(added)) - distinct_texts(flat(old))
    assert set(run.update.new["texts"]["key"].to_pylist()) == unseen
    assert run.signed == len(unseen) > 0
    assert_same_matches(run.matches, find_matches(texts, SETTINGS))
    keys = text_keys(texts)
    with_new = [pair for pair in (*run.matches.overlaps, *run.matches.partial) if unseen & {*keys[list(pair)].tolist()}]
    assert 0 < run.verified < run.matches.candidate_count
    assert run.verified >= len(with_new), "every pair with a new text is verified"


def test_a_run_keeps_only_the_texts_still_present(articles, tmp_path):
    stored_run(flat(articles), NO_BANDS, tmp_path / "all")
    kept = articles[: len(articles) // 2]
    stored_run(flat(kept), load_band_store(tmp_path / "all"), tmp_path / "half")
    stored = pq.read_table(tmp_path / "half" / BANDS_FOLDER / "texts")
    assert set(stored["key"].to_pylist()) == distinct_texts(flat(kept))
    checked = pq.read_table(tmp_path / "half" / BANDS_FOLDER / "checked")
    assert np.all(checked["first_key"].to_numpy() < checked["second_key"].to_numpy())
    assert set(checked["first_key"].to_pylist()) <= set(text_keys(flat(kept)).tolist())


def test_a_state_written_under_other_dedup_settings_is_not_used(tmp_path):
    config = tmp_path / "copydesk.toml"
    config.write_text((REPO / "copydesk.toml").read_text(encoding="utf-8").replace("num_perm = 128", "num_perm = 256"))
    changed = load_config(config)
    assert changed.dedup.num_perm == 256
    manifest = {"state_version": STATE_VERSION, "config_sha256": load_config(None).sha256}
    assert state_problem(manifest, changed.sha256) == "the config changed"
