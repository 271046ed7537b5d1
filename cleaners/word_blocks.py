"""difflib's matching blocks of two word lists, compiled: the same blocks `SequenceMatcher(None, a, b,
autojunk=False).get_matching_blocks()` finds, in a fraction of its time.

SequenceMatcher without junk finds the longest block the two lists share (of the longest, the one that starts first
in `a`, then first in `b`), then recursively the longest blocks left of it and right of it, and joins blocks that
touch. `_blocks_into` does the same on word codes (`CodedWords`: each spelling one integer, given to many texts'
words at once), so words compare as integers, and `_longest_match` walks `b`'s places of each word of `a` in the
order difflib's `b2j` lists hold them. With no junk word, difflib's loops that extend the block it found over junk
change nothing, so they have no counterpart here (tests/test_word_blocks.py checks the blocks against difflib's on
real copies and on Hypothesis's lists).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, islice

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

# Texts whose words are coded together: what bounds the memory of coding (their words as Python strings at once).
CODE_CHUNK_TEXTS = 4096


@dataclass(frozen=True)
class CodedWords:
    """Texts' words as codes: one integer array a text, the same code for the same spelling, and each code's
    spelling."""

    texts: list[np.ndarray]
    spellings: list[str]

    @classmethod
    def of(
        cls, word_lists: Iterable[list[str]], chunk_texts: int = CODE_CHUNK_TEXTS, codes: dict[str, int] | None = None
    ) -> CodedWords:
        """The words of these texts coded together: `chunk_texts` texts' words at a time by an Arrow dictionary
        encoding, whose distinct spellings alone are given their codes in Python (`codes`, when given, holds
        earlier codes to keep and is given the new ones, so texts coded before compare with these)."""
        codes = {} if codes is None else codes
        texts: list[np.ndarray] = []
        lists = iter(word_lists)
        while chunk := list(islice(lists, chunk_texts)):
            encoded = pa.array(list(chain.from_iterable(chunk)), pa.string()).dictionary_encode()
            spelling_codes = np.array(
                [codes.setdefault(spelling, len(codes)) for spelling in encoded.dictionary.to_pylist()], np.int64
            )
            chunk_codes = spelling_codes[encoded.indices.to_numpy(zero_copy_only=False)]
            texts.extend(np.split(chunk_codes, np.cumsum([len(words) for words in chunk[:-1]], dtype=np.int64)))
        return cls(texts, list(codes))


@dataclass(frozen=True)
class CodedColumn:
    """Texts' words as codes in one array (text t's are `codes[starts[t]:ends[t]]`), the same code for the same
    spelling, and each code's spelling (an Arrow string array)."""

    codes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    spellings: pa.Array

    @classmethod
    def of_lists(cls, word_lists: pa.ListArray | pa.ChunkedArray) -> CodedColumn:
        """The words of these texts (an Arrow list a text) coded together by one Arrow dictionary encoding, no word
        made a Python string."""
        if not len(word_lists):
            nothing = np.empty(0, np.int64)
            return cls(nothing, nothing, nothing, pa.array([], pa.string()))
        words = pc.list_flatten(word_lists)
        encoded = (words.combine_chunks() if isinstance(words, pa.ChunkedArray) else words).dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        ends = np.cumsum(pc.list_value_length(word_lists).to_numpy(zero_copy_only=False), dtype=np.int64)
        return cls(codes, np.concatenate([[0], ends[:-1]]), ends, encoded.dictionary)

    def reordered(self, order: np.ndarray) -> CodedColumn:
        """The texts at these places, in this order (their codes left where they are)."""
        return CodedColumn(self.codes, self.starts[order], self.ends[order], self.spellings)


@njit(cache=True)
def differing_middle(a, b):  # pragma: no cover - compiled; tested through the spelling's alignments
    """How many codes the two arrays begin with in common, and where their common ending starts in each."""
    start = 0
    shortest = min(len(a), len(b))
    while start < shortest and a[start] == b[start]:
        start += 1
    a_end, b_end = len(a), len(b)
    while a_end > start and b_end > start and a[a_end - 1] == b[b_end - 1]:
        a_end -= 1
        b_end -= 1
    return start, a_end, b_end


@njit(cache=True)
def disagreeing_stretches(codes, starts, ends, firsts, seconds, longest):  # pragma: no cover - compiled
    """Where each pair of coded texts (text t: codes[starts[t]:ends[t]]; a pair, the texts firsts[p] and
    seconds[p]) disagrees between the words they share: past the words both begin and end with, each stretch
    between two matching blocks (difflib's "replace" opcodes) of at most `longest` words on either side, as rows
    (pair, first's start, first's end, second's start, second's end) in places of `codes`, pairs in order and each
    pair's stretches in the texts' order."""
    found = np.empty((1024, 5), dtype=np.int64)
    count = 0
    scratch = _block_scratch(np.max(codes) + 1 if len(codes) else 0, np.max(ends - starts) if len(ends) else 0)
    for pair in range(len(firsts)):
        a_start, b_start = starts[firsts[pair]], starts[seconds[pair]]
        a, b = codes[a_start : ends[firsts[pair]]], codes[b_start : ends[seconds[pair]]]
        start, a_end, b_end = differing_middle(a, b)
        if a_end == start or b_end == start:
            continue
        blocks = _blocks_into(a[start:a_end], b[start:b_end], scratch)
        i = j = 0
        for row in range(len(blocks)):
            block_i, block_j, size = blocks[row, 0], blocks[row, 1], blocks[row, 2]
            if i < block_i and j < block_j and max(block_i - i, block_j - j) <= longest:
                if count == len(found):
                    found = np.concatenate((found, np.empty_like(found)))
                a_at, b_at = a_start + start, b_start + start
                found[count, 0], found[count, 1], found[count, 2] = pair, a_at + i, a_at + block_i
                found[count, 3], found[count, 4] = b_at + j, b_at + block_j
                count += 1
            i, j = block_i + size, block_j + size
    return found[:count]


@njit(cache=True)
def _block_scratch(codes, words):  # pragma: no cover - compiled
    """Room for `_blocks_into` over codes below `codes` in arrays of at most `words` words, made once for many pairs:
    each code's first place in `b` (-1: none), each place's next place of its code, a block's lengths ending at
    b[j - 1] (last row and this one), the places they were set at and how many, the blocks found, the ranges left to
    search, and the joined blocks; the chains, lengths and counts are left as made between pairs."""
    return (
        np.full(codes, -1, dtype=np.int64),
        np.empty(words, dtype=np.int64),
        np.zeros((2, words + 1), dtype=np.int64),
        np.zeros((2, words), dtype=np.int64),
        np.zeros(2, dtype=np.int64),
        np.empty((words + 1, 3), dtype=np.int64),
        np.empty((words + 1, 4), dtype=np.int64),
        np.empty((words + 1, 3), dtype=np.int64),
    )


@njit(cache=True)
def _blocks_into(a, b, scratch):  # pragma: no cover - compiled; tested against difflib
    """The matching blocks of two code arrays as difflib joins them, one row (i, j, size) a block, then the end, in
    the scratch's rows (a view of them, valid until the next pair)."""
    first_place, next_place, lengths, touched, counts, found, queue, joined = scratch
    for j in range(len(b) - 1, -1, -1):  # each code's places in b in ascending order, as in difflib's b2j
        next_place[j] = first_place[b[j]]
        first_place[b[j]] = j
    count = 0
    queue[0, 0], queue[0, 1], queue[0, 2], queue[0, 3] = 0, len(a), 0, len(b)
    waiting = 1
    while waiting:
        waiting -= 1
        a_low, a_high, b_low, b_high = queue[waiting, 0], queue[waiting, 1], queue[waiting, 2], queue[waiting, 3]
        i, j, size = _longest_match(a, first_place, next_place, a_low, a_high, b_low, b_high, lengths, touched, counts)
        if size:
            found[count, 0], found[count, 1], found[count, 2] = i, j, size
            count += 1
            if a_low < i and b_low < j:
                queue[waiting, 0], queue[waiting, 1], queue[waiting, 2], queue[waiting, 3] = a_low, i, b_low, j
                waiting += 1
            if i + size < a_high and j + size < b_high:
                queue[waiting, 0], queue[waiting, 1] = i + size, a_high
                queue[waiting, 2], queue[waiting, 3] = j + size, b_high
                waiting += 1
    for j in range(len(b)):
        first_place[b[j]] = -1
    for row in range(1, count):  # in order of their start in `a` (blocks never share one)
        at = row
        while at and found[at - 1, 0] > found[at, 0]:
            for column in range(3):
                found[at - 1, column], found[at, column] = found[at, column], found[at - 1, column]
            at -= 1
    kept = 0
    first_i = first_j = size = 0
    for row in range(count):
        i, j, k = found[row, 0], found[row, 1], found[row, 2]
        if first_i + size == i and first_j + size == j:
            size += k
        else:
            if size:
                joined[kept, 0], joined[kept, 1], joined[kept, 2] = first_i, first_j, size
                kept += 1
            first_i, first_j, size = i, j, k
    if size:
        joined[kept, 0], joined[kept, 1], joined[kept, 2] = first_i, first_j, size
        kept += 1
    joined[kept, 0], joined[kept, 1], joined[kept, 2] = len(a), len(b), 0
    return joined[: kept + 1]


@njit(cache=True)
def _longest_match(
    a, first_place, next_place, a_low, a_high, b_low, b_high, lengths, touched, counts
):  # pragma: no cover
    """difflib's `find_longest_match` without junk: the longest block of a[a_low:a_high] and b[b_low:b_high], the
    first to end in `a` (then in `b`) of the longest, walking each code's places in `b` (`first_place`, then
    `next_place`); `lengths`, `touched` and `counts` are scratch, left all zero."""
    best_i, best_j, best_size = a_low, b_low, 0
    last = 0
    for i in range(a_low, a_high):
        row = 1 - last
        j = first_place[a[i]]
        while j != -1 and j < b_low:
            j = next_place[j]
        while j != -1 and j < b_high:
            size = lengths[last, j] + 1
            lengths[row, j + 1] = size
            touched[row, counts[row]] = j + 1
            counts[row] += 1
            if size > best_size:
                best_i, best_j, best_size = i - size + 1, j - size + 1, size
            j = next_place[j]
        for t in range(counts[last]):
            lengths[last, touched[last, t]] = 0
        counts[last] = 0
        last = row
    for t in range(counts[last]):
        lengths[last, touched[last, t]] = 0
    counts[last] = 0
    return best_i, best_j, best_size
