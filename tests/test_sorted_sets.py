"""Sets of integers by sorting (dedup/sorted_sets.py): the same answers as NumPy's `np.unique` and `np.isin`."""

from __future__ import annotations

import numpy as np

from dedup.sorted_sets import contained, distinct


def test_distinct_values_are_numpys_unique_sorted_for_keys_positions_and_pairs():
    rng = np.random.default_rng(14)
    keys = rng.integers(0, 2**64 - 1, 5_000, dtype=np.uint64, endpoint=True)[rng.integers(0, 5_000, 20_000)]
    pairs = rng.integers(0, 300, (4_000, 2))
    for values in (keys, pairs, np.array([7], dtype=np.int32), np.empty(0, dtype=np.uint64)):
        assert np.array_equal(distinct(values), np.unique(values))
        assert distinct(values).dtype == values.dtype


def test_values_contained_in_a_set_are_those_numpys_isin_finds():
    rng = np.random.default_rng(26)
    wanted = rng.integers(0, 2**64 - 1, 3_000, dtype=np.uint64, endpoint=True)
    values = np.concatenate([wanted[::3], rng.integers(0, 2**64 - 1, 3_000, dtype=np.uint64, endpoint=True)])
    rng.shuffle(values)
    assert np.array_equal(contained(values, wanted), np.isin(values, wanted))
    assert contained(values, wanted).sum() == 1_000
    assert not contained(values, wanted[:0]).any()
    assert contained(wanted[:0], values).shape == (0,)
