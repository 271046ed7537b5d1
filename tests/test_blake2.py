"""The compiled BLAKE2b-128 of runs of uint64 words: the digests hashlib gives, so keys stored by earlier runs
(made by hashlib) stay valid."""

from __future__ import annotations

import hashlib
from itertools import pairwise

import numpy as np

from dedup.blake2 import word_digests


def test_each_digest_is_hashlibs_blake2b_of_the_words_bytes_whatever_their_number_of_blocks() -> None:
    """Messages of 1 to 40 words (a block is 16: one, two and three blocks, full and padded), in one call."""
    words = np.random.default_rng(7).integers(0, 2**63, size=1000, dtype=np.int64).view(np.uint64)
    words[:3] = [0, np.uint64(2**64 - 1), 1]  # the extremes of a word
    lengths = np.arange(1, 41)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    digests = word_digests(words, bounds).to_pylist()
    expected = [hashlib.blake2b(words[a:b].tobytes(), digest_size=16).digest() for a, b in pairwise(bounds)]
    assert digests == expected


def test_no_messages_give_an_empty_column() -> None:
    assert len(word_digests(np.zeros(0, dtype=np.uint64), np.zeros(1, dtype=np.int64))) == 0
