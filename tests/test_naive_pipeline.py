"""The scale benchmark's baseline (benchmarks/naive_pipeline.py): ftfy, a MinHash a paragraph, MinHashLSH."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import import_benchmark

FLOODS = (
    "Heavy rain swept across the north of England on Tuesday, flooding hundreds of homes and forcing the closure "
    "of several main roads, while forecasters warned that more storms were expected before the weekend."
)
VOTE = (
    "Members of parliament voted by a narrow margin to approve the new transport budget, which sets aside money "
    "for rural bus routes and for repairs to bridges damaged in last winter's storms."
)
VOTE_EDITED = VOTE.replace("narrow", "slim")
CAFE_MOJIBAKE = "The cafÃ© owner said trade had fallen by half since the bridge closed in March."
CAFE = "The café owner said trade had fallen by half since the bridge closed in March."
STRIKE = "Train drivers in the south west will strike for two days next month after talks over pay broke down."


@pytest.fixture(scope="module")
def naive() -> ModuleType:
    """The naive pipeline module."""
    return import_benchmark("naive_pipeline")


def test_later_copies_and_near_copies_of_paragraphs_are_dropped_and_counted(naive: ModuleType, tmp_path: Path) -> None:
    raw, out_file = tmp_path / "raw", tmp_path / "naive.jsonl"
    (raw / "site").mkdir(parents=True)
    (raw / "site" / "a.txt").write_text(f"{FLOODS}\n\n{VOTE}\n\n{CAFE_MOJIBAKE}\n", encoding="utf-8")
    (raw / "site" / "b.txt").write_text(f"{FLOODS}\n{VOTE_EDITED}\n{STRIKE}\n", encoding="utf-8")  # a line each
    (raw / "site" / "c.txt").write_text(f"{FLOODS}\n", encoding="utf-8")

    counts = naive.run(raw, out_file, naive.NaiveSettings(shingle_size=2, num_perm=128, seed=1, threshold=0.7))

    assert counts == naive.NaiveCounts(articles=3, articles_written=2, paragraphs=7, paragraphs_dropped=3)
    written = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert written == [
        {"path": "site/a.txt", "text": f"{FLOODS}\n\n{VOTE}\n\n{CAFE}"},
        {"path": "site/b.txt", "text": STRIKE},
    ]


def test_a_paragraph_shorter_than_a_shingle_is_signed_by_its_words(naive: ModuleType) -> None:
    assert naive.shingles_of("Sport", 2) == {b"sport"}
    assert naive.shingles_of("Rain fell, again.", 2) == {b"rain fell", b"fell again"}
