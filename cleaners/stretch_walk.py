"""The words two copies print in each other's place, walked in one compiled pass over many pairs of coded copies.

Each stretch where two copies disagree between the words they share (`cleaners.word_blocks.disagreeing_stretches`) is
aligned by edit distance: a word may face nothing (`unpaired` the cost), one word (the cost of facing it: 1 less
difflib's `SequenceMatcher(None, word.lower(), other.lower(), autojunk=False).ratio()`, the ratio of the letters
both share in difflib's matching blocks) or the two words it runs together (no cost). Of the cheapest ways, the one
Python's `min` took over (cost, step) tuples is taken, so a tie goes to the smallest step, (0, 1) first: the walk is
the one `tests/test_word_blocks.py` keeps in Python as its reference. Words are `cleaners.spelling._WORD`'s (ASCII
letters joined by hyphens and apostrophes), so lower-casing them is lower-casing their ASCII letters. The walk is
given the stretches, and the letters, made outside it: numba's cache of a kernel is kept by its own file alone, so a
kernel calling another file's kernel would go on running a stale copy of it once that file changed.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from cleaners.word_blocks import disagreeing_stretches
from dedup.text_hash import bytes_and_starts


def spelled_letters(spellings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Each spelling's code points with ASCII letters lower-cased, one array (spelling s's:
    letters[starts[s]:starts[s + 1]]): their bytes decoded as one string, each start moved back by the
    continuation bytes before it."""
    data, starts = bytes_and_starts(spellings)
    used = data[starts[0] : starts[-1]]
    points = np.frombuffer(used.tobytes().decode("utf-8").encode("utf-32-le"), np.uint32).astype(np.int32)
    offsets = starts - starts[0]
    continuing = np.concatenate([[0], np.cumsum((used & 0xC0) == 0x80)])
    return np.where((points >= ord("A")) & (points <= ord("Z")), points + 32, points), offsets - continuing[offsets]


def substitution_columns(
    codes: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    pairs: np.ndarray,
    spellings: pa.Array,
    longest: int,
    unpaired: float,
) -> tuple[pa.ListArray, pa.ListArray]:
    """What each pair of copies (rows of `pairs`: two texts, text t's words coded `codes[starts[t]:ends[t]]`, each
    code's spelling in `spellings`) prints in the other's place, as two Arrow list columns: the first copy's words,
    and at the same places the second's (two words a run-together word faces joined by a space); stretches of more
    than `longest` words on either side are left out."""
    # Each side as its own contiguous array: the kernel is compiled (and warmed up) for contiguous arrays only.
    firsts, seconds = (np.ascontiguousarray(pairs[:, side], dtype=np.int64) for side in (0, 1))
    stretches = disagreeing_stretches(codes, starts, ends, firsts, seconds, longest)
    places = substitution_places(codes, stretches, longest, *spelled_letters(spellings), unpaired)
    facings = np.bincount(places[:, 0], minlength=len(pairs))
    offsets = pa.array(np.concatenate([[0], np.cumsum(facings)]), pa.int32())
    first = _spelled(codes, spellings, places[:, 1], places[:, 2])
    second = _spelled(codes, spellings, places[:, 3], places[:, 4])
    return pa.ListArray.from_arrays(offsets, first), pa.ListArray.from_arrays(offsets, second)


def _spelled(codes: np.ndarray, spellings: pa.Array, at: np.ndarray, count: np.ndarray) -> pa.Array:
    """The word at each place of `codes`, or the `count` (1 or 2) words from there joined by a space."""
    single = count == 1
    first = spellings.take(pa.array(codes[at]))
    second = spellings.take(pa.array(codes[at + count - 1], mask=single))
    return pc.binary_join_element_wise(first, second, " ", null_handling="skip")


@njit(cache=True)
def substitution_places(
    codes, stretches, longest, letters, letter_starts, unpaired
):  # pragma: no cover - compiled; tested against the Python walk
    """Each facing the walk of the pairs' disagreeing stretches (rows of `disagreeing_stretches`, of at most
    `longest` words a side) finds, as a row (pair, first's place in `codes`, its words, second's place, its words),
    pairs in order and each pair's facings in the texts' order."""
    found = np.empty((max(16, 2 * len(stretches)), 5), dtype=np.int64)
    cost = np.empty((longest + 1, longest + 1), dtype=np.float64)
    steps = np.empty((longest + 1, longest + 1, 2), dtype=np.int64)
    walked = np.empty((longest + 1, 4), dtype=np.int64)
    count = 0
    for row in range(len(stretches)):
        left, right = stretches[row, 1], stretches[row, 3]
        left_words, right_words = stretches[row, 2] - left, stretches[row, 4] - right
        facings = _walk(
            codes, left, left_words, right, right_words, letters, letter_starts, unpaired, cost, steps, walked
        )
        if count + facings > len(found):
            found = np.concatenate((found, np.empty_like(found)))
        for facing in range(facings - 1, -1, -1):  # walked from the stretch's end
            found[count, 0] = stretches[row, 0]
            found[count, 1:] = walked[facing]
            count += 1
    return found[:count]


@njit(cache=True)
def _walk(
    codes, left, rows, right, columns, letters, letter_starts, unpaired, cost, steps, walked
):  # pragma: no cover - compiled
    """Align the `rows` words at `left` of `codes` with the `columns` words at `right`, and write the facings that
    stand as far from the stretch's start, or its end, on both sides (what the shared words around it anchor) into
    `walked` from the stretch's end, as (left place, words, right place, words); how many."""
    cost[0, 0] = 0.0
    for i in range(rows + 1):
        for j in range(columns + 1):
            if i == 0 and j == 0:
                continue
            best, best_i, best_j = np.inf, 0, 0
            if j:
                option = cost[i, j - 1] + unpaired
                if option < best:
                    best, best_i, best_j = option, 0, 1
            if i:
                option = cost[i - 1, j] + unpaired
                if option < best:
                    best, best_i, best_j = option, 1, 0
            if i and j:
                option = cost[i - 1, j - 1] + _pair_cost(
                    letters, letter_starts, codes[left + i - 1], codes[right + j - 1]
                )
                if option < best:
                    best, best_i, best_j = option, 1, 1
            if (
                i
                and j >= 2
                and _runs_together(
                    letters, letter_starts, codes[left + i - 1], codes[right + j - 2], codes[right + j - 1]
                )
            ):
                option = cost[i - 1, j - 2]
                if option < best:
                    best, best_i, best_j = option, 1, 2
            if (
                j
                and i >= 2
                and _runs_together(
                    letters, letter_starts, codes[right + j - 1], codes[left + i - 2], codes[left + i - 1]
                )
            ):
                option = cost[i - 2, j - 1]
                if option < best:
                    best, best_i, best_j = option, 2, 1
            cost[i, j], steps[i, j, 0], steps[i, j, 1] = best, best_i, best_j
    count = 0
    i, j = rows, columns
    while i or j:
        step_i, step_j = steps[i, j, 0], steps[i, j, 1]
        anchored = i - step_i == j - step_j or rows - i == columns - j
        if step_i and step_j and anchored:
            walked[count, 0], walked[count, 1] = left + i - step_i, step_i
            walked[count, 2], walked[count, 3] = right + j - step_j, step_j
            count += 1
        i, j = i - step_i, j - step_j
    return count


@njit(cache=True)
def _runs_together(letters, letter_starts, word, first, second):  # pragma: no cover - compiled
    """Whether the word reads, lower-cased, as the two words `first` and `second` run together."""
    at, first_at, second_at = letter_starts[word], letter_starts[first], letter_starts[second]
    first_length = letter_starts[first + 1] - first_at
    length = letter_starts[word + 1] - at
    if length != first_length + letter_starts[second + 1] - second_at:
        return False
    for place in range(first_length):
        if letters[at + place] != letters[first_at + place]:
            return False
    for place in range(length - first_length):
        if letters[at + first_length + place] != letters[second_at + place]:
            return False
    return True


@njit(cache=True)
def _pair_cost(letters, letter_starts, word, other):  # pragma: no cover - compiled
    """How unlike two words are, 0 (same letters) to 1 (nothing in common): 1 less difflib's ratio of their
    lower-cased letters."""
    a = letters[letter_starts[word] : letter_starts[word + 1]]
    b = letters[letter_starts[other] : letter_starts[other + 1]]
    total = len(a) + len(b)
    if total == 0:
        return 0.0
    return 1.0 - 2.0 * _matched_letters(a, b) / total


@njit(cache=True)
def _matched_letters(a, b):  # pragma: no cover - compiled
    """How many letters difflib's matching blocks of `a` and `b` (without junk) hold: the longest block (the first
    in `a`, then in `b`, of the longest), then those left and right of it."""
    lengths = np.zeros((2, len(b) + 1), dtype=np.int64)  # a block's length ending at b[j - 1]: last row, this one
    queue = np.empty((len(a) + 1, 4), dtype=np.int64)
    queue[0, 0], queue[0, 1], queue[0, 2], queue[0, 3] = 0, len(a), 0, len(b)
    waiting, matched = 1, 0
    while waiting:
        waiting -= 1
        a_low, a_high, b_low, b_high = queue[waiting, 0], queue[waiting, 1], queue[waiting, 2], queue[waiting, 3]
        lengths[:, b_low : b_high + 1] = 0
        best_i, best_j, size, last = a_low, b_low, 0, 0
        for i in range(a_low, a_high):
            row = 1 - last
            for j in range(b_low, b_high):
                if a[i] == b[j]:
                    length = lengths[last, j] + 1
                    if length > size:
                        best_i, best_j, size = i - length + 1, j - length + 1, length
                else:
                    length = 0
                lengths[row, j + 1] = length
            last = row
        if size:
            matched += size
            if a_low < best_i and b_low < best_j:
                queue[waiting, 0], queue[waiting, 1], queue[waiting, 2], queue[waiting, 3] = (
                    a_low,
                    best_i,
                    b_low,
                    best_j,
                )
                waiting += 1
            if best_i + size < a_high and best_j + size < b_high:
                queue[waiting, 0], queue[waiting, 1] = best_i + size, a_high
                queue[waiting, 2], queue[waiting, 3] = best_j + size, b_high
                waiting += 1
    return matched
