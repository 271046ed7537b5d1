"""Sets of integers by sorting (dedup/sorted_sets.py): the same answers as NumPy's `np.unique` and `np.isin`."""

from __future__ import annotations

import numpy as np

from dedup.sorted_sets import SortedUnion, contained, distinct, union


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


def test_the_union_of_two_sorted_sets_is_their_distinct_values_merged():
    rng = np.random.default_rng(35)
    top = np.uint64(2**64 - 1)
    first = distinct(np.r_[rng.integers(0, 2**64 - 1, 3_000, dtype=np.uint64, endpoint=True), top])
    second = distinct(np.r_[first[::4], rng.integers(0, 2**64 - 1, 2_000, dtype=np.uint64, endpoint=True), top])
    for one, other in ((first, second), (second, first), (first, first), (first, first[:0]), (first[:0], first[:0])):
        merged = union(one, other)
        assert np.array_equal(merged, np.union1d(one, other))
        assert merged.dtype == np.uint64


def test_a_sorted_union_of_many_sets_added_one_at_a_time_holds_their_distinct_values():
    rng = np.random.default_rng(36)
    sets = [distinct(rng.integers(0, 10_000, size, dtype=np.uint64)) for size in (5, 4_000, 0, 300, 300, 1, 9_000, 50)]
    gathered = SortedUnion(np.dtype(np.uint64))
    for values in sets:
        gathered.add(values)
    assert np.array_equal(gathered.values(), np.unique(np.concatenate(sets)))
    assert SortedUnion(np.dtype(np.uint64)).values().shape == (0,)
