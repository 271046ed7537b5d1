"""PairTable: verified pairs held as arrays read exactly as the dict of pairs they replace, and the spread of a
representative's pairs over exact copies equal to the dict the spread used to build; the pairs measured again joined
with the untouched ones as a sorted dict would join them."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dedup.deduplicate import _with_untouched
from dedup.exact import EXACT, _Groups, spread_over_copies
from dedup.pair_table import PairTable, ascending, merged_untouched, pair_measures, pair_positions
from dedup.verify import Overlap


def _random_pairs(rng: random.Random, count: int, positions: int) -> dict[tuple[int, int], Overlap]:
    pairs: dict[tuple[int, int], Overlap] = {}
    while len(pairs) < count:
        i, j = sorted(rng.sample(range(positions), 2))
        pairs[(i, j)] = Overlap(round(rng.random(), 4), round(rng.random(), 4), round(rng.random(), 4))
    return pairs


@pytest.mark.parametrize("ordered", [True, False])
def test_a_pair_table_reads_as_the_dict_it_holds(ordered: bool) -> None:
    rng = random.Random(7)
    pairs = _random_pairs(rng, 500, 200)
    if ordered:
        pairs = dict(sorted(pairs.items()))
    table = PairTable(pair_positions(pairs), pair_measures(pairs))
    assert len(table) == len(pairs)
    assert list(table) == list(pairs)  # the order given, sorted or not
    assert list(table.items()) == list(pairs.items())
    assert table == pairs and dict(table) == pairs
    for pair, measured in pairs.items():
        assert pair in table and table[pair] == measured and table.get(pair) == measured
    for absent in [(0, 0), (199, 0), (5, 10_000), (-1, 3)]:
        if absent not in pairs:
            assert absent not in table and table.get(absent) is None
            with pytest.raises(KeyError):
                table[absent]
    assert "not a pair" not in table


def test_an_empty_pair_table() -> None:
    table = PairTable.empty()
    assert len(table) == 0 and table == {} and table.get((1, 2)) is None and list(table.items()) == []
    assert pair_positions(table).shape == (0, 2) and pair_measures(table).shape == (0, 3)


def _spread_by_dict(pairs, copies, hub, within):
    """The spread as a dict built it (the implementation PairTable replaced): first put places, last put measures."""
    spread: dict[tuple[int, int], Overlap] = {}

    def put(first: int, second: int, measured: Overlap) -> None:
        if first < second:
            spread[(first, second)] = measured
        elif first > second:
            spread[(second, first)] = Overlap(measured.jaccard, measured.b_in_a, measured.a_in_b)

    if within:
        for representative, others in copies.items():
            for member in (representative, *others):
                put(hub[representative], member, EXACT)
    for (i, j), measured in pairs.items():
        for member in (j, *copies.get(j, ())):
            put(hub.get(i, i), member, measured)
        for member in (i, *copies.get(i, ())):
            put(member, hub.get(j, j), measured)
    return spread


def _copies_and_pairs(seed: int) -> tuple[dict[int, list[int]], dict[int, int], dict[tuple[int, int], Overlap]]:
    """Ten groups of copies among 120 positions, their hubs, and 150-odd pairs of the positions in no group or
    representing one, in no order."""
    rng = random.Random(seed)
    positions = list(range(120))
    rng.shuffle(positions)
    copies: dict[int, list[int]] = {}
    for start in range(0, 60, 6):  # ten groups of two to six copies; their representatives are their lowest
        group = sorted(positions[start : start + rng.randint(2, 6)])
        copies[group[0]] = group[1:]
    grouped = {member for others in copies.values() for member in others}
    hub = {representative: rng.choice([representative, *others]) for representative, others in copies.items()}
    standing = [position for position in range(120) if position not in grouped]
    pairs = {
        pair: measured
        for pair, measured in _random_pairs(rng, 150, len(standing)).items()
        if standing[pair[0]] != standing[pair[1]]
    }
    pairs = {(standing[i], standing[j]): measured for (i, j), measured in pairs.items()}
    return copies, hub, pairs


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("within", [True, False])
@pytest.mark.parametrize("ascending", [True, False])
def test_the_spread_over_copies_equals_the_dict_it_replaced(seed: int, within: bool, ascending: bool) -> None:
    copies, hub, pairs = _copies_and_pairs(seed)
    if ascending:  # as the matches are after remeasure: each pair put once but the hubs, found without hashing
        pairs = dict(sorted(pairs.items()))
    spread = spread_over_copies(pairs, copies, hub, within)
    expected = _spread_by_dict(pairs, copies, hub, within)
    assert list(spread.items()) == list(expected.items())
    assert np.array_equal(pair_positions(spread), pair_positions(expected))


def test_a_spread_puts_each_pair_once_but_the_hubs_only_when_the_pairs_say_so() -> None:
    """Pairs ascending, of representatives and ungrouped paragraphs, groups apart: every pair put once (no hashing);
    unordered pairs, a pair twice, a pair holding a copy, or two groups sharing a paragraph: the pairs put are
    hashed."""
    copies, hub, pairs = _copies_and_pairs(0)
    ascending = pair_positions(dict(sorted(pairs.items())))
    groups = _Groups.of(copies, hub, 120)
    assert groups.spread_once(ascending)
    assert not groups.spread_once(ascending[::-1])
    assert not groups.spread_once(ascending[[0, 0]])
    copy = next(iter(copies.values()))[0]
    standing = ascending[0, 0] if ascending[0, 0] != copy else ascending[0, 1]
    assert not groups.spread_once(np.sort(np.array([[copy, standing]]), axis=1))
    apart = sorted({int(p) for p in ascending.ravel()} - set(copies))  # in a pair, in no group
    sharing = {**copies, apart[0]: [copy]}
    assert not _Groups.of(sharing, {**hub, apart[0]: apart[0]}, 120).spread_once(ascending)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("in_order", [True, False])
def test_the_pairs_measured_again_join_the_untouched_ones_as_a_sorted_dict_would(seed: int, in_order: bool) -> None:
    """Ascending pairs (as the match stage's and remeasure's are) are merged by array, others sorted; both give the
    pairs measured again (`kept`) and the untouched ones found before, in the order of `dict(sorted(...))`."""
    rng = random.Random(seed)
    found = _random_pairs(rng, 400, 150)
    touched = set(rng.sample(range(150), 20))
    is_touched = np.zeros(150, dtype=bool)
    is_touched[list(touched)] = True
    kept = {pair: Overlap(0.5, 0.5, 0.5) for pair in _random_pairs(rng, 300, 150) if touched & set(pair)}
    if in_order:
        found, kept = dict(sorted(found.items())), dict(sorted(kept.items()))
    assert ascending(pair_positions(found)) == ascending(pair_positions(kept)) == in_order
    expected = {pair: measured for pair, measured in found.items() if not touched & set(pair)} | kept
    joined = _with_untouched(PairTable(pair_positions(kept), pair_measures(kept)), found, is_touched)
    assert list(joined.items()) == sorted(expected.items())


def test_the_compiled_merge_takes_only_ascending_pairs_and_kept_ones_each_holding_a_touched_position() -> None:
    """`merged_untouched` merges the kept pairs among the untouched found ones (before, between and after them, or
    none), and declines (None) pairs out of order, a pair (high, low), a pair twice, or a kept pair holding no
    touched position: the caller then sorts them."""
    is_touched = np.zeros(10, dtype=bool)
    is_touched[[2, 7]] = True
    found = PairTable(np.array([[0, 1], [0, 2], [1, 3], [3, 4], [5, 9]]), np.arange(15.0).reshape(5, 3))
    kept = PairTable(np.array([[0, 7], [2, 3], [7, 9]]), -np.arange(1, 10.0).reshape(3, 3))
    merged = merged_untouched(kept, found, is_touched)
    assert merged is not None
    assert merged.positions.tolist() == [[0, 1], [0, 7], [1, 3], [2, 3], [3, 4], [5, 9], [7, 9]]
    assert merged.measures[:, 0].tolist() == [0.0, -1.0, 6.0, -4.0, 9.0, 12.0, -7.0]
    alone = merged_untouched(PairTable.empty(), found, is_touched)
    assert alone is not None and alone.positions.tolist() == [[0, 1], [1, 3], [3, 4], [5, 9]]
    only_kept = merged_untouched(kept, PairTable.empty(), is_touched)
    assert only_kept is not None and only_kept.positions.tolist() == kept.positions.tolist()
    for positions in ([[1, 3], [0, 1]], [[0, 1], [0, 1]], [[1, 0]]):
        unordered = PairTable(np.array(positions), np.zeros((len(positions), 3)))
        assert merged_untouched(kept, unordered, is_touched) is None
        assert merged_untouched(PairTable(unordered.positions + 2, unordered.measures), found, is_touched) is None
    assert merged_untouched(PairTable(np.array([[0, 1]]), np.zeros((1, 3))), found, is_touched) is None


def test_ascending_pairs_are_each_low_then_high_and_strictly_ascending() -> None:
    assert ascending(np.zeros((0, 2), np.int64)) and ascending(np.array([[0, 1]]))
    assert ascending(np.array([[0, 1], [0, 2], [1, 2]]))
    assert not ascending(np.array([[0, 1], [0, 1]])) and not ascending(np.array([[0, 2], [0, 1]]))
    assert not ascending(np.array([[1, 0]]))
