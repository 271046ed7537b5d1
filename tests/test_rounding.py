"""Floats rounded by array exactly as Python's round rounds each: the report's cluster scores and the corpus's kept
shares, which were made a `round` call a row."""

from __future__ import annotations

import numpy as np

from flows.outputs.corpus import kept_shares
from flows.outputs.rounding import rounded


def test_values_are_rounded_as_round_rounds_each_one_halves_and_their_neighbours_too():
    generator = np.random.default_rng(34)
    shares = generator.integers(0, 5_000, 20_000) / generator.integers(1, 5_000, 20_000)
    for digits in (3, 4):
        halves = (np.arange(-2_000, 20_000) + 0.5) / 10**digits  # the decimal halves, as near as doubles get
        near = np.concatenate([halves, np.nextafter(halves, -np.inf), np.nextafter(halves, np.inf)])
        special = [0.0, -0.0, 1.0, 2.675, 1.0005, 0.285, 1e12 + 0.5, 2.0**60, np.inf, -np.inf, np.nan]
        values = np.concatenate([shares, near, special])
        expected = [repr(round(value, digits)) for value in values.tolist()]
        assert [repr(value) for value in rounded(values, digits).tolist()] == expected


def test_a_records_kept_share_is_its_words_over_its_articles_at_most_one_and_zero_for_an_empty_article():
    words, article_words = np.array([1, 2, 7, 0, 5, 3]), np.array([3, 3, 7, 0, 4, 7])
    expected = [round(min(1.0, kept / whole), 4) if whole else 0.0 for kept, whole in zip(words, article_words)]
    assert kept_shares(words, article_words).tolist() == expected == [0.3333, 0.6667, 1.0, 0.0, 1.0, 0.4286]
