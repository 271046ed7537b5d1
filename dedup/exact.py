"""Exact copies grouped before any pair is sought, so a paragraph printed a thousand times costs linear work.

Paragraphs with the same normalised words have the same shingles: one representative (the first) stands
for its group in candidate search and verification. Clustering then spreads the representative's pairs
over the group through a hub, the group's member the canonical policy likes best: the hub pairs with every
copy and with every member of each matching group, and every member pairs with the other group's hub.
That gives each paragraph the partners clustering needs (a centre is always a hub or alone) in pairs
linear in the group sizes, where all pairs of a group would be quadratic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
from numba import njit

from dedup.pair_table import PairTable, ascending, packed_pairs, pair_measures, pair_positions
from dedup.shingles import exact_key, normalised_words
from dedup.text_signing import copy_groups, text_sip_keys
from dedup.verify import Overlap

EXACT = Overlap(1.0, 1.0, 1.0)
Pairs = Mapping[tuple[int, int], Overlap]
# Pairs spread at once (their spread pairs' arrays held meanwhile).
_SPREAD_AT_ONCE = 1 << 20


def exact_copies(texts: Sequence[str], min_words: int, max_short_group: int) -> dict[int, list[int]]:
    """Each group of paragraphs with the same normalised words, as its first position -> the other positions.

    A short paragraph (under min_words) printed more than max_short_group times (a stock line) is matched to
    nothing, as the exact short-text pairs would not match it; empty paragraphs are never grouped.
    """
    words = [normalised_words(text) for text in texts]
    counts = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    return copy_groups(text_sip_keys(list(map(exact_key, words))), counts, min_words, max_short_group)


def copies_still_exact(
    copies: dict[int, list[int]], texts: Sequence[str], changed: set[int] | None = None
) -> tuple[dict[int, list[int]], list[tuple[int, int]]]:
    """The groups after the texts changed (spelling fixes): members no longer equal to their representative
    leave the group, each returned as a (representative, member) pair to measure. With `changed` (the positions
    whose text changed), a group holding none of them stays as it was (found by array: only the groups holding a
    changed text are read)."""
    kept = dict(copies)
    left: list[tuple[int, int]] = []
    keys: dict[str, str] = {}  # by text: most copies are the same text, normalised once

    def key_of(position: int) -> str:
        text = texts[position]
        if (key := keys.get(text)) is None:
            key = keys[text] = exact_key(normalised_words(text))
        return key

    for representative in _groups_holding(copies, changed):
        others = copies[representative]
        key = key_of(representative)
        same = [other for other in others if key_of(other) == key]
        still = set(same)
        left += [(representative, other) for other in others if other not in still]
        if same:
            kept[representative] = same
        else:
            del kept[representative]
    return kept, left


def _groups_holding(copies: dict[int, list[int]], changed: set[int] | None) -> list[int]:
    """The representatives, in order, of the groups holding one of the `changed` positions (None: every group)."""
    if changed is None:
        return list(copies)
    representatives = np.fromiter(copies, dtype=np.int64, count=len(copies))
    sizes = np.fromiter(map(len, copies.values()), dtype=np.int64, count=len(copies))
    others = np.fromiter(chain.from_iterable(copies.values()), dtype=np.int64, count=int(sizes.sum()))
    is_changed = np.zeros(1 + max(int(others.max(initial=-1)), int(representatives.max(initial=-1))), dtype=bool)
    is_changed[[position for position in changed if position < len(is_changed)]] = True
    holding = np.bincount(np.repeat(np.arange(len(copies)), sizes)[is_changed[others]], minlength=len(copies)) > 0
    return representatives[holding | is_changed[representatives]].tolist()


def copy_counts(count: int, overlaps: Pairs, copies: dict[int, list[int]]) -> np.ndarray:
    """How many verified copies each of `count` paragraphs has, counting every member of the groups involved (summed
    by array: integers, so in any order)."""
    size = np.ones(count, dtype=np.int64)
    representatives = np.fromiter(copies, dtype=np.int64, count=len(copies))
    group_sizes = np.fromiter(map(len, copies.values()), dtype=np.int64, count=len(copies))
    size[representatives] += group_sizes
    pairs = pair_positions(overlaps)
    counts = sum(np.bincount(pairs[:, side], size[pairs[:, 1 - side]], count) for side in (0, 1)).astype(np.int64)
    members = np.fromiter(chain.from_iterable(copies.values()), dtype=np.int64, count=int(group_sizes.sum()))
    totals = counts[representatives] + group_sizes
    counts[members] = np.repeat(totals, group_sizes)
    counts[representatives] = totals
    return counts


def hubs(copies: dict[int, list[int]], rank: np.ndarray) -> dict[int, int]:
    """Each group's hub, by its representative: the member first in policy order (`rank`, by position, holds every
    member's `dedup.canonical.policy_ranks`; among equals the first in the group), found by array."""
    representatives = np.fromiter(copies, dtype=np.int64, count=len(copies))
    sizes = 1 + np.fromiter(map(len, copies.values()), dtype=np.int64, count=len(copies))
    starts = np.cumsum(sizes) - sizes
    members = np.empty(int(sizes.sum()), dtype=np.int64)
    is_start = np.zeros(len(members), dtype=bool)
    is_start[starts] = True
    members[starts] = representatives
    members[~is_start] = np.fromiter(chain.from_iterable(copies.values()), np.int64, len(members) - len(copies))
    order = np.lexsort((np.arange(len(members)), rank[members], np.repeat(np.arange(len(copies)), sizes)))
    return dict(zip(representatives.tolist(), members[order[starts]].tolist()))


def spread_over_copies(pairs: Pairs, copies: dict[int, list[int]], hub: dict[int, int], within: bool) -> PairTable:
    """The representatives' pairs spread over their groups through the hubs (see the module docstring), and
    with `within`, each group's hub paired with its own copies; each pair ordered by position, in the order first
    met. Put by array, `_SPREAD_AT_ONCE` pairs at a time."""
    positions = pair_positions(pairs)
    groups = _Groups.of(copies, hub, 1 + max(int(positions.max(initial=-1)), max(copies, default=-1)))
    measures = np.concatenate([pair_measures(pairs), [[EXACT.jaccard, EXACT.a_in_b, EXACT.b_in_a]]])
    if groups.spread_once(positions):
        return groups.spread_once_by_kernel(positions, measures, within)
    return _placed(*_put(groups, positions, within), measures)


def _put(groups: _Groups, positions: np.ndarray, within: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs put of two paragraphs (a paragraph put with itself left out), as columns: first, second and the
    row of the measure each takes; with `within`, each group's hub with its copies first, then the representatives'
    pairs (`positions`) spread `_SPREAD_AT_ONCE` at a time. Only the parts are held beside the columns."""
    put = [
        _apart(*_spread(groups, positions[start : start + _SPREAD_AT_ONCE], start))
        for start in range(0, max(len(positions), 1), _SPREAD_AT_ONCE)
    ]
    if within:
        put.insert(0, _apart(*groups.hubs_with_copies(len(positions))))
    firsts, seconds, rows = (np.concatenate(column) for column in zip(*put))
    return firsts, seconds, rows


def _apart(first: np.ndarray, second: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs put whose two paragraphs differ."""
    apart = first != second
    return first[apart], second[apart], row[apart]


@dataclass(frozen=True)
class _Groups:
    """Each paragraph's group as a run of `members` (its `start` and `size`; a paragraph in no group is a run of
    itself, after the groups' runs) and its group's hub (itself when in no group); the representatives in order."""

    representatives: np.ndarray
    members: np.ndarray
    start: np.ndarray
    size: np.ndarray
    hub: np.ndarray

    @classmethod
    def of(cls, copies: dict[int, list[int]], hub: dict[int, int], count: int) -> _Groups:
        """The groups of `copies` (representative first, then its copies) and their `hub`s, over `count` positions."""
        representatives = np.fromiter(copies, dtype=np.int64, count=len(copies))
        sizes = 1 + np.fromiter(map(len, copies.values()), dtype=np.int64, count=len(copies))
        grouped = np.fromiter(
            chain.from_iterable((first, *others) for first, others in copies.items()), np.int64, int(sizes.sum())
        )
        start, size, hubs_of = len(grouped) + np.arange(count), np.ones(count, dtype=np.int64), np.arange(count)
        start[representatives], size[representatives] = np.cumsum(sizes) - sizes, sizes
        hubs_of[representatives] = np.fromiter(map(hub.__getitem__, copies), dtype=np.int64, count=len(copies))
        return cls(representatives, np.concatenate([grouped, np.arange(count)]), start, size, hubs_of)

    def spread_once(self, positions: np.ndarray) -> bool:
        """Whether the spread of these pairs (an (m, 2) array) puts every pair once but the two hubs of each: true
        when the pairs are ascending and each (low, high), no two groups share a paragraph and no pair holds a copy
        (only representatives and paragraphs in no group), as the matches are after `remeasure`. Then a pair put
        from two pairs would join the same two groups, so they are one pair; and the hub-with-copies pairs lie
        within a group, the spread ones across two."""
        if not ascending(positions):
            return False
        grouped = self.members[: len(self.members) - len(self.start)]
        held = np.bincount(grouped, minlength=len(self.start))
        copy = held.astype(bool)
        copy[self.representatives] = False
        return bool(held.max(initial=0) <= 1) and not copy[positions].any()

    def spread_once_by_kernel(self, positions: np.ndarray, measures: np.ndarray, within: bool) -> PairTable:
        """The spread when `spread_once` holds: the pairs `_put` and `_placed` give, put in one compiled pass into
        arrays of the size their groups give, the second put of each pair's hubs left out (no pair joins a paragraph
        to itself: its groups are apart); `measures` ends in the hub-with-copies row."""
        count = int(self.size[positions].sum()) - len(positions)  # a pair's two groups, its hubs put once
        if within:
            count += int(self.size[self.representatives].sum()) - len(self.representatives)  # each hub's copies
        placed, measured = np.empty((count, 2), dtype=np.int64), np.empty((count, 3))
        arguments = (positions, measures, self.hub, self.members, self.start, self.size, self.representatives, within)
        _spread_once(*arguments, placed, measured)
        return PairTable(placed, measured)

    def hubs_with_copies(self, row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each group's hub put with each of its group, group by group, all measured by `row`."""
        sizes = self.size[self.representatives]
        grouped = self.members[: int(sizes.sum())]
        return np.repeat(self.hub[self.representatives], sizes), grouped, np.full(len(grouped), row, dtype=np.int64)


def _spread(groups: _Groups, positions: np.ndarray, first_row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs put for these pairs (`positions`, rows from `first_row`), each pair's in turn: i's hub with each of
    j's group, then each of i's group with j's hub."""
    i, j = positions[:, 0], positions[:, 1]
    size_i, size_j = groups.size[i], groups.size[j]
    block = size_i + size_j
    at = np.arange(int(block.sum())) - np.repeat(np.cumsum(block) - block, block)
    in_j = at < np.repeat(size_j, block)
    first, second = np.repeat(groups.hub[i], block), np.repeat(groups.hub[j], block)
    second[in_j] = groups.members[(np.repeat(groups.start[j], block) + at)[in_j]]
    first[~in_j] = groups.members[(np.repeat(groups.start[i] - size_j, block) + at)[~in_j]]
    return first, second, np.repeat(np.arange(first_row, first_row + len(positions)), block)


def _placed(first: np.ndarray, second: np.ndarray, row: np.ndarray, measures: np.ndarray) -> PairTable:
    """The pairs put (of two paragraphs each), as a dict would hold them: each pair (low, high) once, where it was
    first put, its measure's two shares swapped where it was put as (high, low). (A pair put twice
    is the two hubs of a representatives' pair, put twice with the same measure.)"""
    ordered = np.empty((len(first), 2), dtype=np.int64)
    np.minimum(first, second, out=ordered[:, 0])
    np.maximum(first, second, out=ordered[:, 1])
    placed = np.flatnonzero(~pd.Series(packed_pairs(ordered)).duplicated().to_numpy())  # hashed: no sort
    chosen = measures[row[placed]]
    swapped = first[placed] > second[placed]
    chosen[swapped] = chosen[swapped][:, [0, 2, 1]]
    return PairTable(ordered[placed], chosen)


@njit(cache=True, nogil=True)
def _spread_once(
    pairs, measures, hub, members, start, size, representatives, within, placed, measured
):  # pragma: no cover
    """Write the pairs put, in `_put`'s order, into `placed` and `measured` (as many rows as `spread_once_by_kernel`
    counts), each (low, high) with its measure's two shares swapped where put (high, low): a hub put with itself,
    and i's hub put with j's hub a second time, are left out."""
    count = 0
    if within:
        for representative in representatives:
            centre = hub[representative]
            for member in members[start[representative] : start[representative] + size[representative]]:
                if member != centre:
                    _place(placed, measured, count, centre, member, measures[len(pairs)])
                    count += 1
    for pair in range(len(pairs)):
        i, j = pairs[pair, 0], pairs[pair, 1]
        hub_i, hub_j = hub[i], hub[j]
        for member in members[start[j] : start[j] + size[j]]:
            _place(placed, measured, count, hub_i, member, measures[pair])
            count += 1
        for member in members[start[i] : start[i] + size[i]]:
            if member != hub_i:
                _place(placed, measured, count, member, hub_j, measures[pair])
                count += 1


@njit(inline="always")
def _place(placed, measured, row, first, second, measure):  # pragma: no cover - compiled
    """Put the pair (first, second) at `row`, ordered (low, high), its shares swapped when put (high, low)."""
    swapped = first > second
    placed[row, 0], placed[row, 1] = (second, first) if swapped else (first, second)
    measured[row, 0] = measure[0]
    measured[row, 1], measured[row, 2] = (measure[2], measure[1]) if swapped else (measure[1], measure[2])
