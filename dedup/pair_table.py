"""Measured pairs held as two arrays, their positions and their measures, and read as a mapping of (i, j) to
`Overlap`: a pair costs 40 bytes instead of the ten Python objects (about 420 bytes) a dict entry holds, and the
flow keeps every verified pair from the match stage to the write stage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import chain
from operator import attrgetter

import numpy as np
from numba import njit

from dedup.verify import Overlap

# Pairs turned into Python tuples at once while iterating (the rest stay arrays).
_CHUNK = 65_536
_MEASURES = attrgetter("jaccard", "a_in_b", "b_in_a")
_LOW_HALF = np.uint64(0xFFFFFFFF)  # a packed pair's second position


class PairTable(Mapping[tuple[int, int], Overlap]):
    """Pairs of positions and their (Jaccard, a_in_b, b_in_a), in the order given; each pair at most once. A pair
    is looked up by binary search over the packed pairs, sorted when first asked for unless already in order."""

    __slots__ = ("_order", "_sorted", "measures", "positions")

    def __init__(self, positions: np.ndarray, measures: np.ndarray) -> None:
        self.positions = np.ascontiguousarray(positions, dtype=np.int64).reshape(-1, 2)
        self.measures = np.ascontiguousarray(measures, dtype=np.float64).reshape(-1, 3)
        self._sorted: np.ndarray | None = None
        self._order: np.ndarray | None = None

    @classmethod
    def empty(cls) -> PairTable:
        return cls(np.zeros((0, 2), np.int64), np.zeros((0, 3), np.float64))

    @classmethod
    def joined(cls, tables: Sequence[PairTable]) -> PairTable:
        """The tables' pairs one after the other (no pair in two of them)."""
        if not tables:
            return cls.empty()
        positions, measures = (
            np.concatenate([getattr(table, name) for table in tables]) for name in ("positions", "measures")
        )
        return cls(positions, measures)

    def __len__(self) -> int:
        return len(self.positions)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for start in range(0, len(self.positions), _CHUNK):
            yield from map(tuple, self.positions[start : start + _CHUNK].tolist())

    def __getitem__(self, pair: tuple[int, int]) -> Overlap:
        row = self._row(pair)
        if row < 0:
            raise KeyError(pair)
        return Overlap(*self.measures[row].tolist())

    def __contains__(self, pair: object) -> bool:
        return isinstance(pair, tuple) and len(pair) == 2 and self._row(pair) >= 0

    def get(self, pair: tuple[int, int], default: Overlap | None = None) -> Overlap | None:
        row = self._row(pair)
        return default if row < 0 else Overlap(*self.measures[row].tolist())

    def items(self) -> Iterator[tuple[tuple[int, int], Overlap]]:  # type: ignore[override]
        return zip(iter(self), self.values())

    def values(self) -> Iterator[Overlap]:  # type: ignore[override]
        for start in range(0, len(self.measures), _CHUNK):
            yield from (Overlap(*row) for row in self.measures[start : start + _CHUNK].tolist())

    def __repr__(self) -> str:
        return f"PairTable({dict(self.items())!r})"

    def _row(self, pair: tuple[int, int]) -> int:
        """The row of the pair, or -1."""
        packed = self._index()
        key = (int(pair[0]) << 32) + int(pair[1])
        at = int(np.searchsorted(packed, key))
        if at == len(packed) or packed[at] != key:
            return -1
        return at if self._order is None else int(self._order[at])

    def _index(self) -> np.ndarray:
        """The packed pairs in ascending order, sorted (and their rows kept in `_order`) when first asked for."""
        if self._sorted is None:
            packed = packed_pairs(self.positions)
            if len(packed) > 1 and not (packed[1:] > packed[:-1]).all():
                self._order = np.argsort(packed, kind="stable")
                packed = packed[self._order]
            self._sorted = packed
        return self._sorted


def packed_pairs(positions: np.ndarray) -> np.ndarray:
    """Each pair of an (m, 2) array of positions as one integer, ordered as the pairs are (positions under 2**31)."""
    packed = positions[:, 0] << 32
    packed += positions[:, 1]  # in place: one array of the pairs' size made, not two
    return packed


def unpacked_pairs(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first and second positions (int64) of pairs packed first << 32 | second (uint64, as the candidate search
    packs them)."""
    return (packed >> np.uint64(32)).astype(np.int64), (packed & _LOW_HALF).astype(np.int64)


def ascending(positions: np.ndarray) -> bool:
    """Whether the pairs of an (m, 2) array of positions are each (low, high) and strictly ascending (so distinct)."""
    if len(positions) and not (positions[:, 0] < positions[:, 1]).all():
        return False
    return len(positions) < 2 or bool((np.diff(packed_pairs(positions)) > 0).all())


def pair_positions(pairs: Mapping[tuple[int, int], Overlap]) -> np.ndarray:
    """The pairs' positions as an (m, 2) int64 array, in the mapping's order."""
    if isinstance(pairs, PairTable):
        return pairs.positions
    return np.fromiter(chain.from_iterable(pairs), dtype=np.int64, count=2 * len(pairs)).reshape(-1, 2)


def pair_measures(pairs: Mapping[tuple[int, int], Overlap]) -> np.ndarray:
    """The pairs' overlaps as an (m, 3) float64 array (Jaccard, a_in_b, b_in_a), in the mapping's order."""
    if isinstance(pairs, PairTable):
        return pairs.measures
    found = chain.from_iterable(map(_MEASURES, pairs.values()))
    return np.fromiter(found, dtype=np.float64, count=3 * len(pairs)).reshape(-1, 3)


def merged_untouched(kept: PairTable, found: PairTable, is_touched: np.ndarray) -> PairTable | None:
    """The pairs of `kept` and those of `found` holding no touched position (`is_touched`, by position), as one
    ascending table, merged in one compiled pass: when both are ascending (`ascending`) and every pair of `kept`
    holds a touched position (so no pair is in both); None otherwise."""
    merged, positions, measures = _merge_untouched(
        kept.positions, kept.measures, found.positions, found.measures, np.ascontiguousarray(is_touched, dtype=np.bool_)
    )
    return PairTable(positions, measures) if merged else None


@njit(cache=True, nogil=True)
def _merge_untouched(kept_positions, kept_measures, found_positions, found_measures, is_touched):  # pragma: no cover
    """(True, positions, measures) of `merged_untouched`'s merge, or (False, empty, empty) when a pair of either is
    not (low, high) after the one before it, or a kept pair holds no touched position."""
    nothing = (False, np.empty((0, 2), dtype=np.int64), np.empty((0, 3), dtype=np.float64))
    for row in range(len(kept_positions)):
        if not _follows(kept_positions, row) or not _touches(kept_positions, row, is_touched):
            return nothing
    count = len(kept_positions)
    for row in range(len(found_positions)):
        if not _follows(found_positions, row):
            return nothing
        count += not _touches(found_positions, row, is_touched)
    positions, measures = np.empty((count, 2), dtype=np.int64), np.empty((count, 3), dtype=np.float64)
    at, taken = 0, 0
    for row in range(len(found_positions)):
        if _touches(found_positions, row, is_touched):
            continue
        while taken < len(kept_positions) and _before(kept_positions, taken, found_positions, row):
            positions[at], measures[at] = kept_positions[taken], kept_measures[taken]
            at, taken = at + 1, taken + 1
        positions[at], measures[at] = found_positions[row], found_measures[row]
        at += 1
    while taken < len(kept_positions):
        positions[at], measures[at] = kept_positions[taken], kept_measures[taken]
        at, taken = at + 1, taken + 1
    return True, positions, measures


@njit(inline="always")
def _touches(positions, row, is_touched):  # pragma: no cover - compiled
    """Whether pair `row` holds a touched position."""
    return is_touched[positions[row, 0]] or is_touched[positions[row, 1]]


@njit(inline="always")
def _follows(positions, row):  # pragma: no cover - compiled
    """Whether pair `row` is (low, high) and after the pair before it."""
    if positions[row, 0] >= positions[row, 1]:
        return False
    return row == 0 or _before(positions, row - 1, positions, row)


@njit(inline="always")
def _before(first, first_row, second, second_row):  # pragma: no cover - compiled
    """Whether pair `first_row` of `first` comes before pair `second_row` of `second` (by first position, then
    second)."""
    low, high = second[second_row, 0], second[second_row, 1]
    return first[first_row, 0] < low or (first[first_row, 0] == low and first[first_row, 1] < high)
