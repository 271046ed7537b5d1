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
    _UNPAIRED_COST,
    aligned_substitutions,
    pairs_substitutions,
    text_words,
)
from cleaners.stretch_walk import _pair_cost, spelled_letters, substitution_columns
from cleaners.word_blocks import CodedColumn, CodedWords, _block_scratch, _blocks_into

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
    first, second = CodedWords.of([a, b]).texts
    scratch = _block_scratch(max(first.max(initial=0), second.max(initial=0)) + 1, max(len(first), len(second)))
    return [tuple(block) for block in _blocks_into(first, second, scratch).tolist()]


def python_walk(left: list[str], right: list[str]) -> list[tuple[str, str]]:
    """How the spelling stage walked a disagreeing stretch before the compiled walk (`cleaners.stretch_walk`): by
    edit distance, the cheapest (cost, step) tuple taken at each cell, then the facings as far from the stretch's
    start, or its end, on both sides."""
    rows, columns = len(left) + 1, len(right) + 1
    cost = [[0.0] * columns for _ in range(rows)]
    step: list[list[tuple[int, int]]] = [[(0, 0)] * columns for _ in range(rows)]
    for i in range(rows):
        for j in range(columns):
            if i == j == 0:
                continue
            options = []
            if i:
                options.append((cost[i - 1][j] + _UNPAIRED_COST, (1, 0)))
            if j:
                options.append((cost[i][j - 1] + _UNPAIRED_COST, (0, 1)))
            if i and j:
                options.append((cost[i - 1][j - 1] + python_pair_cost(left[i - 1], right[j - 1]), (1, 1)))
            if i and j >= 2 and left[i - 1].lower() == (right[j - 2] + right[j - 1]).lower():
                options.append((cost[i - 1][j - 2], (1, 2)))
            if j and i >= 2 and right[j - 1].lower() == (left[i - 2] + left[i - 1]).lower():
                options.append((cost[i - 2][j - 1], (2, 1)))
            cost[i][j], step[i][j] = min(options)
    pairs = []
    i, j = rows - 1, columns - 1
    while i or j:
        di, dj = step[i][j]
        anchored = i - di == j - dj or rows - i == columns - j
        if di and dj and anchored:
            pairs.append((" ".join(left[i - di : i]), " ".join(right[j - dj : j])))
        i, j = i - di, j - dj
    return pairs[::-1]


def python_pair_cost(word: str, other: str) -> float:
    return 1.0 - SequenceMatcher(None, word.lower(), other.lower(), autojunk=False).ratio()


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
            pairs.extend(python_walk(left[i1:i2], right[j1:j2]))
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
    spellings = coded.spellings.to_pylist()
    spelled = [[spellings[code] for code in coded.codes[start:end]] for start, end in zip(coded.starts, coded.ends)]
    assert spelled == texts and coded.codes[1] == coded.codes[coded.starts[2] + 1] != coded.codes[0]
    reordered = coded.reordered(np.array([2, 0]))
    assert [spellings[code] for code in reordered.codes[reordered.starts[0] : reordered.ends[0]]] == texts[2]
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


spelled_words = st.lists(
    st.sampled_from(
        [
            "the",
            "The",
            "tHe",
            "a",
            "minister",
            "Minister",
            "minster",
            "said",
            "officials",
            "officialssaid",
            "Officials-Said",
            "don’t",
            "dont",
            "don't",
            "Sang-Hun",
            "sanghun",
            "talks",
            "stalks",
            "ta",
            "lks",
        ]
    ),
    max_size=14,
)


@settings(max_examples=500, deadline=None)
@given(spelled_words, spelled_words)
def test_the_compiled_walk_of_a_stretch_is_the_python_walk(left, right):
    """Case, apostrophes (one of them past ASCII), hyphens, run-together words and ties of cost, on stretches of up to
    fourteen words (more than the longest aligned, which are left out)."""
    coded = CodedWords.of([left, right])
    codes = np.concatenate(coded.texts).astype(np.int64)
    bounds = np.array([0, len(left), len(codes)], np.int64)
    longest = max(len(left), len(right), 1)  # the whole lists, one stretch
    first, second = substitution_columns(
        codes,
        bounds[:2],
        bounds[1:],
        np.array([[0, 1]]),
        pa.array(coded.spellings, pa.string()),
        longest,
        _UNPAIRED_COST,
    )
    walked = list(zip(first.to_pylist()[0], second.to_pylist()[0]))
    start = next((at for at, (a, b) in enumerate(zip(left, right)) if a != b), min(len(left), len(right)))
    end = 0
    while end < min(len(left), len(right)) - start and left[-1 - end] == right[-1 - end]:
        end += 1
    expected = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(
        None, left[start : len(left) - end], right[start : len(right) - end], autojunk=False
    ).get_opcodes():
        if tag == "replace":
            expected.extend(python_walk(left[start + i1 : start + i2], right[start + j1 : start + j2]))
    assert walked == expected


@settings(max_examples=500, deadline=None)
@given(st.text("aAbB’-'c", max_size=12), st.text("abB’-'cC", max_size=12))
def test_the_compiled_cost_of_facing_two_words_is_difflibs(word, other):
    letters, starts = spelled_letters(pa.array([word, other]))
    assert _pair_cost(letters, starts, 0, 1) == python_pair_cost(word, other)


def test_a_stretch_of_many_facings_in_many_pairs_grows_the_compiled_pass_room():
    left = "the minister said talks were over on Tuesday in the capital country".split()
    right = ["the", *(word[::-1] + "x" for word in left[1:-1]), "country"]  # every word between faces another
    coded = CodedColumn.of_lists(pa.array([left, right], pa.list_(pa.string())))
    pairs = np.tile(np.array([[0, 1], [1, 0]]), (50, 1))
    at_once = pairs_substitutions(coded.codes, coded.starts, coded.ends, pairs, coded.spellings)
    assert at_once == [difflib_substitutions(*(left, right)[:: 1 if first == 0 else -1]) for first, _ in pairs.tolist()]
    assert len(at_once[0]) == len(left) - 2 > 2


def test_every_pair_of_the_seed_paragraphs_aligned_in_one_pass_shows_what_difflib_shows():
    """One compiled pass over many pairs reuses its room for the blocks (each code's places, the lengths) from pair
    to pair: nothing one pair leaves may change the next."""
    paragraphs = [
        text_words(paragraph)
        for path in sorted(SEEDS.glob("*.txt"))
        for paragraph in path.read_text(encoding="utf-8").split("\n\n")
    ]
    coded = CodedColumn.of_lists(pa.array(paragraphs, pa.list_(pa.string())))
    pairs = np.array([*combinations(range(len(paragraphs)), 2)])
    pairs = np.concatenate([pairs, pairs[:, ::-1]])
    at_once = pairs_substitutions(coded.codes, coded.starts, coded.ends, pairs, coded.spellings)
    expected = [difflib_substitutions(paragraphs[first], paragraphs[second]) for first, second in pairs.tolist()]
    assert at_once == expected and sum(map(len, at_once)) > 100


def test_the_letters_of_a_slice_of_spellings_start_where_their_code_points_do():
    letters, starts = spelled_letters(pa.array(["x", "Don’t", "A-b"], pa.string()).slice(1))
    assert letters.tolist() == [*map(ord, "don’ta-b")] and starts.tolist() == [0, 5, 8]
