"""The compiled matching blocks (cleaners/word_blocks.py) are difflib's, and the copies' substitutions found with them
are those found with difflib, on real copies and on Hypothesis's lists."""

from __future__ import annotations

from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.spelling import (
    _MAX_ALIGNED_STRETCH,
    _walk_block,
    aligned_substitutions,
    pairs_substitutions,
    text_words,
)
from cleaners.word_blocks import CodedColumn, CodedWords, _matching_blocks

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


def blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """The compiled kernel's blocks of two word lists, the last one (len(a), len(b), 0) included."""
    return [tuple(block) for block in _matching_blocks(*CodedWords.of([a, b]).texts).tolist()]


def difflib_substitutions(left: list[str], right: list[str]) -> tuple[tuple[str, str], ...]:
    """What the spelling stage aligned before the compiled blocks: difflib's "replace" opcodes past the words both
    lists begin and end with."""
    start = next((at for at, (a, b) in enumerate(zip(left, right)) if a != b), min(len(left), len(right)))
    end = 0
    while end < min(len(left), len(right)) - start and left[-1 - end] == right[-1 - end]:
        end += 1
    left, right = left[start : len(left) - end], right[start : len(right) - end]
    pairs = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
        if tag == "replace" and max(i2 - i1, j2 - j1) <= _MAX_ALIGNED_STRETCH:
            pairs.extend(_walk_block(left[i1:i2], right[j1:j2]))
    return tuple(pairs)


def substitutions(left: list[str], right: list[str]) -> tuple[tuple[str, str], ...]:
    coded = CodedWords.of([left, right])
    return aligned_substitutions(*coded.texts, coded.spellings)


def test_the_blocks_of_two_copies_are_difflibs():
    wire, copy = text_words(WIRE), text_words(COPY)
    assert blocks(wire, copy) == difflib_blocks(wire, copy)
    assert blocks(copy, wire) == difflib_blocks(copy, wire)


def test_the_blocks_of_every_pair_of_the_seed_articles_paragraphs_are_difflibs():
    paragraphs = [
        text_words(paragraph)
        for path in sorted(SEEDS.glob("*.txt"))
        for paragraph in path.read_text(encoding="utf-8").split("\n\n")
    ]
    assert len(paragraphs) > 20
    for first, second in combinations(paragraphs, 2):
        assert blocks(first, second) == difflib_blocks(first, second)
        assert substitutions(first, second) == difflib_substitutions(first, second)


def test_lists_with_nothing_in_common_or_nothing_at_all_have_only_the_end_block():
    assert blocks([], []) == [(0, 0, 0)]
    assert blocks(["a", "b"], []) == [(2, 0, 0)]
    assert blocks(["a"], ["b", "c"]) == [(1, 2, 0)]


@pytest.mark.parametrize("chunk_texts", [1, 2, 4096])
def test_texts_coded_together_share_a_code_for_a_spelling_whatever_the_chunks(chunk_texts):
    texts = [["the", "minister", "said"], [], ["The", "minister"]]
    coded = CodedWords.of(texts, chunk_texts)
    first, nothing, second = coded.texts
    assert len(nothing) == 0 and first[1] == second[1] and first[0] != second[0]
    assert [[coded.spellings[code] for code in codes] for codes in coded.texts] == texts
    assert CodedWords.of([]).texts == []


few_words = st.lists(st.sampled_from(["the", "a", "said", "minister", "talks", "Sinmun"]), max_size=40)


@settings(max_examples=500, deadline=None)
@given(few_words, few_words)
def test_the_blocks_of_any_two_word_lists_are_difflibs(a, b):
    assert blocks(a, b) == difflib_blocks(a, b)
    assert substitutions(a, b) == difflib_substitutions(a, b)


@settings(max_examples=300, deadline=None)
@given(few_words, st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["", "the", "minster", "Sinmun"]))))
def test_the_blocks_of_a_list_and_its_edited_copy_are_difflibs(a, edits):
    copy = list(a)
    for place, word in edits:  # "" drops the word at the place, any other word is put in there
        if word:
            copy.insert(min(place, len(copy)), word)
        elif copy:
            del copy[place % len(copy)]
    assert blocks(a, copy) == difflib_blocks(a, copy)
    assert substitutions(a, copy) == difflib_substitutions(a, copy)


def test_texts_coded_from_arrow_lists_read_as_their_words_and_share_codes():
    texts = [["the", "minister", "said"], [], ["The", "minister"]]
    coded = CodedColumn.of_lists(pa.array(texts, pa.list_(pa.string())))
    spelled = [
        [coded.spellings[code] for code in coded.codes[start:end]] for start, end in zip(coded.starts, coded.ends)
    ]
    assert spelled == texts and coded.codes[1] == coded.codes[coded.starts[2] + 1] != coded.codes[0]
    reordered = coded.reordered(np.array([2, 0]))
    assert [coded.spellings[code] for code in reordered.codes[reordered.starts[0] : reordered.ends[0]]] == texts[2]
    assert len(CodedColumn.of_lists(pa.array([], pa.list_(pa.string()))).starts) == 0


def test_many_pairs_of_copies_aligned_at_once_show_what_each_pair_shows_alone():
    wire, copy = text_words(WIRE), text_words(COPY)
    texts = [wire, copy, wire[3:], copy[:-4], [], wire]
    coded = CodedColumn.of_lists(pa.array(texts, pa.list_(pa.string())))
    pairs = np.array([*combinations(range(len(texts)), 2), (1, 0), (0, 0)])
    pairs = np.tile(pairs, (100, 1))  # more stretches than the compiled pass first makes room for
    at_once = pairs_substitutions(coded.codes, coded.starts, coded.ends, pairs, coded.spellings)
    assert at_once == [difflib_substitutions(texts[first], texts[second]) for first, second in pairs.tolist()]
    assert sum(map(len, at_once)) > 1024 and at_once[-1] == ()
