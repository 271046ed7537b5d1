"""bench-typos' ground truth: where each copy's words stand in the story, and which errors another copy prints right."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.conftest import import_benchmark

STORY = ["The minister said talks would resume.", "Exports rose 5 per cent in May."]


@pytest.fixture(scope="module")
def typo_corpus() -> ModuleType:
    return import_benchmark("typo_corpus")


@pytest.fixture(scope="module")
def bench_typos() -> ModuleType:
    return import_benchmark("bench_typos")


def story_tokens(typo_corpus: ModuleType) -> list[str]:
    return typo_corpus.tokens(" ".join(STORY))


def test_positions_follow_swapped_restyled_and_datelined_paragraphs(typo_corpus):
    copy = ["PARIS, Jan 3 (Metro Wire) - Exports rose 5 percent in May.", "The minister says talks would resume."]
    positions = typo_corpus.story_positions(story_tokens(typo_corpus), copy)
    words = typo_corpus.tokens(" ".join(copy))
    assert dict(zip(words, positions, strict=True)) == {
        "PARIS": -1,
        "Jan": -1,
        "3": -1,
        "Metro": -1,
        "Wire": -1,
        "Exports": 6,
        "rose": 7,
        "5": 8,
        "percent": -1,
        "in": 11,
        "May": 12,
        "The": 0,
        "minister": 1,
        "says": 2,
        "talks": 3,
        "would": 4,
        "resume": 5,
    }


def outlet_copy(typo_corpus, outlet: str, paragraphs: list[str], errors: dict[int, tuple[str, str]]):
    """A copy of STORY with errors by clean token index: (kind, typo)."""
    clean = typo_corpus.tokens(" ".join(paragraphs))
    recorded, corrupted, index = [], [], 0
    while index < len(clean):
        kind, typo = errors.get(index, ("", clean[index]))
        truth = f"{clean[index]} {clean[index + 1]}" if kind == "runon" else clean[index]
        if kind:
            recorded.append(typo_corpus.Error(kind, index, len(corrupted), truth, typo))
        corrupted.append(typo)
        index += 2 if kind == "runon" else 1
    positions = typo_corpus.story_positions(story_tokens(typo_corpus), paragraphs)
    body = "\n\n".join(paragraphs)
    return typo_corpus.Copy(f"{outlet}/s.txt", "s", outlet, "T", body, body, clean, corrupted, recorded, [], positions)


def test_an_error_is_evidenced_only_where_another_copy_prints_the_true_words_at_its_place(typo_corpus, bench_typos):
    first = outlet_copy(typo_corpus, "a", STORY, {1: ("misspelling", "minster"), 3: ("runon", "talkswould")})
    restyled = ["The minister says talks would resume.", "Exports rose 5 percent in May."]
    second = outlet_copy(typo_corpus, "b", restyled, {6: ("misspelling", "Exprots")})
    third = outlet_copy(typo_corpus, "c", STORY[:1], {2: ("misspelling", "sayd"), 4: ("misspelling", "wuold")})
    assert bench_typos.evidenced_errors([first, second, third]) == {
        ("a/s.txt", 1),  # "minister": b and c print it
        ("a/s.txt", 3),  # "talks would": b and c print both words apart
        ("b/s.txt", 6),  # "Exports": a prints it
        ("c/s.txt", 2),  # "said": a prints it
        ("c/s.txt", 4),  # "would": b prints it
    }
    # c dropped the paragraph with "Exports"; b prints "says" for "said"; a ran "would" into "talks", c misspelt it
    assert bench_typos.evidenced_errors([second, third]) == {("c/s.txt", 4)}
    assert bench_typos.evidenced_errors([first, third]) == {("a/s.txt", 1), ("c/s.txt", 2)}
