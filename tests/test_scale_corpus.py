"""The scale benchmark's corpus generator (benchmarks/scale_corpus.py): deterministic, sized, copies that copy."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from dedup.shingles import normalised_words, split_sentences
from tests.conftest import REPO, import_benchmark

BBC = REPO.parent / "shared" / "data" / "bbc-news-2004.jsonl.gz"
SEED = 7

pytestmark = pytest.mark.skipif(not BBC.exists(), reason=f"shared BBC data not found at {BBC}")


@pytest.fixture(scope="module")
def scale_corpus() -> ModuleType:
    """The generator module."""
    return import_benchmark("scale_corpus")


def files(folder: Path) -> dict[str, str]:
    """Every file under folder by relative path, with its text."""
    return {str(path.relative_to(folder)): path.read_text(encoding="utf-8") for path in folder.rglob("*.*")}


def sentences(paragraphs: list[str]) -> set[str]:
    """The paragraphs' sentences of five words or more, normalised (quote styles and case folded)."""
    normalised = (normalised_words(s) for p in paragraphs for s in split_sentences(p))
    return {" ".join(words) for words in normalised if len(words) >= 5}


def test_same_seed_writes_the_same_files_and_the_requested_count(scale_corpus: ModuleType, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert scale_corpus.write_corpus(first, 0, 150, False, SEED, workers=1) == 150
    scale_corpus.write_corpus(second, 0, 150, False, SEED, workers=1)
    written = files(first)
    assert len(written) == 150
    assert written == files(second)
    assert all(len(list(folder.iterdir())) <= scale_corpus.FOLDER for folder in first.glob("*/*"))


def test_copies_share_sentences_with_their_original(scale_corpus: ModuleType) -> None:
    articles = scale_corpus.block_articles(SEED, 3)
    originals = {a.story_id: sentences(a.body) for a in articles if a.role == "original"}
    copies = [a for a in articles if a.role == "copy" and a.story_id in originals]
    assert 0.3 < sum(a.role == "copy" for a in articles) / len(articles) < 0.5
    for copy in copies:
        own = sentences(copy.body)
        assert len(own & originals[copy.story_id]) >= 0.5 * len(own), copy.path


def test_distinct_stories_share_no_sentences(scale_corpus: ModuleType) -> None:
    articles = [a for a in scale_corpus.block_articles(SEED, 3) if a.role == "original"][:100]
    seen: set[str] = set()
    shared = 0
    for article in articles:
        own = sentences(article.body)
        shared += len(own & seen)
        seen |= own
    assert shared <= 0.01 * len(seen)


def test_a_new_batch_adds_files_beside_the_earlier_ones(scale_corpus: ModuleType, tmp_path: Path) -> None:
    scale_corpus.write_corpus(tmp_path, 0, 120, False, SEED, workers=1)
    earlier = files(tmp_path)
    scale_corpus.write_corpus(tmp_path, 120, 30, True, SEED, workers=1)
    now = files(tmp_path)
    assert len(now) == 150
    assert {path: now[path] for path in earlier} == earlier
    added = set(now) - set(earlier)
    assert all(path.endswith(".html") and "<article>" in now[path] for path in added)
    scale_corpus.remove_articles(tmp_path, 120, 30)
    assert files(tmp_path) == earlier
