"""The compiled matching blocks (cleaners/word_blocks.py) are difflib's, on real copies and on Hypothesis's lists."""

from __future__ import annotations

from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.spelling import text_words
from cleaners.word_blocks import matching_blocks

SEEDS = Path(__file__).parent.parent / "raw"
WIRE = (
    'SEOUL, Dec 3 (Reuters) - North Korea reported on Tuesday that its foreign minister says "the talks are '
    'over", Rodong Sinmun said. Exports rose 5 pct to 120 mln dlrs in October, and the politicals parties in '
    "Pyongyang were silent. Choe Sang-Hun said the 2 reactors at Yongbyon would restart within tpw months."
)
COPY = (
    'North Korea reporte on Tuesday that its foreign minester ssy "the talks are over", Rodong Sinmun says. '
    "Exports rose 5 percent to 120 million dollars in October, and the political parties in Pyongyang "
    "were silent. Choe Sang-Hun says the 2 reactors at Yongbyon would restart within two months."
)


def difflib_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    return [tuple(block) for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()]


def test_the_blocks_of_two_copies_are_difflibs():
    wire, copy = text_words(WIRE), text_words(COPY)
    assert matching_blocks(wire, copy) == difflib_blocks(wire, copy)
    assert matching_blocks(copy, wire) == difflib_blocks(copy, wire)


def test_the_blocks_of_every_pair_of_the_seed_articles_paragraphs_are_difflibs():
    paragraphs = [
        text_words(paragraph)
        for path in sorted(SEEDS.glob("*.txt"))
        for paragraph in path.read_text(encoding="utf-8").split("\n\n")
    ]
    assert len(paragraphs) > 20
    for first, second in combinations(paragraphs, 2):
        assert matching_blocks(first, second) == difflib_blocks(first, second)


def test_lists_with_nothing_in_common_or_nothing_at_all_have_only_the_end_block():
    assert matching_blocks([], []) == [(0, 0, 0)]
    assert matching_blocks(["a", "b"], []) == [(2, 0, 0)]
    assert matching_blocks(["a"], ["b", "c"]) == [(1, 2, 0)]


few_words = st.lists(st.sampled_from(["the", "a", "said", "minister", "talks", "Sinmun"]), max_size=40)


@settings(max_examples=500, deadline=None)
@given(few_words, few_words)
def test_the_blocks_of_any_two_word_lists_are_difflibs(a, b):
    assert matching_blocks(a, b) == difflib_blocks(a, b)


@settings(max_examples=300, deadline=None)
@given(few_words, st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["", "the", "minster", "Sinmun"]))))
def test_the_blocks_of_a_list_and_its_edited_copy_are_difflibs(a, edits):
    copy = list(a)
    for place, word in edits:  # "" drops the word at the place, any other word is put in there
        if word:
            copy.insert(min(place, len(copy)), word)
        elif copy:
            del copy[place % len(copy)]
    assert matching_blocks(a, copy) == difflib_blocks(a, copy)
