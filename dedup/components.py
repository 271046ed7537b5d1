"""Components of the pair graph and a signature of what clustering one of them takes in (issue 14).

Clustering never reaches across components: a cluster, its canonical choice, containment links and trims are
decided from the component's paragraphs (their policy keys and texts) and its pairs alone. A component whose
signature the previous run stored was clustered from the same input, so its result can be carried over.
A signature sums 128-bit hashes of its paragraphs and of its pairs (each pair oriented by its paragraphs'
hashes, not their positions, which move between runs), so it does not depend on where the paragraphs sit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numba import njit

from dedup.pair_table import pair_measures, pair_positions
from dedup.text_hash import column_hashes
from dedup.verify import Overlap

Pairs = Mapping[tuple[int, int], Overlap]
_LANES = 2
# A component's signature as stored: its two lanes' bytes.
SIGNATURE = pa.binary(16)
_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
# One tag a kind of pair, so a near-duplicate and a partial pair of the same measure differ.
_PAIR_TAGS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD6E8FEB86659FD93))
# Mixed into a paragraph's key hash before its text hash, so a key and a text are never taken for each other.
_KEY_TAG = np.uint64(0xA0761D6478BD642F)
# Each lane's start when a key's parts are mixed in, so the two lanes of a number differ.
_LANE_SEEDS = np.array([0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3], dtype=np.uint64)


def component_labels(count: int, pairs: np.ndarray) -> np.ndarray:
    """Each of `count` positions' component, named by its smallest position; `pairs` is an (m, 2) array."""
    first, second = (np.ascontiguousarray(pairs[:, side], dtype=np.int64) for side in (0, 1))
    return _smallest_roots(count, first, second)


@njit(cache=True)
def _smallest_roots(count, first, second):  # pragma: no cover - compiled; tested through component_labels
    """Union-find in one pass over the pairs, paths halved as they are walked: each set's root is its smallest
    position (the larger root joins the smaller), so every position's root is below it."""
    roots = np.arange(count)
    for pair in range(len(first)):
        low, high = _root(roots, first[pair]), _root(roots, second[pair])
        if low > high:
            low, high = high, low
        roots[high] = low
    for position in range(count):
        roots[position] = roots[roots[position]]  # a root is smaller than its set's positions: already final
    return roots


@njit(inline="always")
def _root(roots, position):
    while roots[position] != position:
        roots[position] = roots[roots[position]]
        position = roots[position]
    return position


def paragraph_hashes(count: int, positions: np.ndarray, keys: np.ndarray, texts: np.ndarray) -> np.ndarray:
    """A 128-bit hash (two uint64 lanes a row) of each of `count` paragraphs' policy key (which ends in its id)
    and text, for the `positions` whose `key_hashes` `keys` holds (a row each, in order); the others' rows are 0.
    `texts` holds the texts' 128-bit hashes (`dedup.text_hash.text_hashes`, a row a position); the two are mixed
    lane by lane."""
    hashes = np.zeros((count, _LANES), dtype=np.uint64)
    hashes[positions] = mix64(mix64(keys ^ _KEY_TAG) ^ texts[positions])
    return hashes


def key_hashes(keys: pa.Table) -> np.ndarray:
    """A 128-bit hash (two uint64 lanes a row) of each row of a table of policy keys (`dedup.canonical.policy_table`),
    its parts mixed in in order: strings by their `text_hashes`, numbers and booleans by value (mixed in place by a
    compiled pass a part: `mix64` of the whole array made six arrays its size a part)."""
    hashes = np.tile(_LANE_SEEDS, (keys.num_rows, 1))
    for part in keys.columns:
        if pa.types.is_string(part.type) or pa.types.is_large_string(part.type):
            values = column_hashes(part)
        else:
            values = np.array(part.to_numpy(), dtype=np.int64).view(np.uint64).reshape(-1, 1)  # a copy: writable
        _mix_in(hashes, values)
    return hashes


@njit(cache=True, nogil=True)
def _mix_in(hashes, values):  # pragma: no cover - compiled; tested through key_hashes against mix64
    """Each row of `hashes` mixed with its row of `values` (one column: the same value for every lane) in place:
    `mix64(hashes ^ values)` lane by lane."""
    shared = values.shape[1] == 1
    for row in range(hashes.shape[0]):
        for lane in range(hashes.shape[1]):
            hashes[row, lane] = _mixed(hashes[row, lane] ^ values[row, 0 if shared else lane])


@dataclass(frozen=True)
class Signatures:
    """The signature of each of some components: their labels (ascending) and a 16-byte signature each, a column
    (no Python object a component)."""

    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    column: pa.Array = field(default_factory=lambda: pa.array([], SIGNATURE))

    def __len__(self) -> int:
        return len(self.labels)

    def taken(self, rows: np.ndarray) -> Signatures:
        """The signatures at `rows` (a mask, or ascending rows)."""
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows
        return Signatures(self.labels[rows], self.column.take(pa.array(rows, pa.int64())))


def component_signatures(labels: np.ndarray, hashes: np.ndarray, pair_kinds: Sequence[Pairs]) -> Signatures:
    """The signature of each component of more than one paragraph: its paragraphs' hashes and its pairs of each kind
    (with their measures) summed."""
    sums = np.zeros((len(labels), _LANES), dtype=np.uint64)
    _add_rows(sums, labels, hashes)
    for tag, pairs in zip(_PAIR_TAGS, pair_kinds):
        if pairs:
            positions, measures = pair_positions(pairs), np.ascontiguousarray(pair_measures(pairs))
            _add_pair_hashes(sums, labels, hashes, positions, measures.view(np.uint64), tag)
    sizes = np.bincount(labels, minlength=len(labels))
    shared = np.flatnonzero(sizes > 1)
    signed = np.ascontiguousarray(sums[shared])
    return Signatures(
        shared, pa.FixedSizeBinaryArray.from_buffers(SIGNATURE, len(shared), [None, pa.py_buffer(signed)])
    )


def _add_rows(sums: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """Add each row of `values` into the row of `sums` that `rows` names (wrapping, as uint64 adds), a lane at a time:
    `np.add.at` on whole rows takes ten times as long as on a column."""
    for lane in range(sums.shape[1]):
        np.add.at(sums[:, lane], rows, values[:, lane])  # the column is a view: added in place


@njit(cache=True, nogil=True)
def _add_pair_hashes(sums, labels, hashes, positions, measures, tag):  # pragma: no cover - compiled
    """Add each pair's hash into its component's row of `sums` (wrapping): its paragraphs' hashes, the lower (by its
    first lane) first, and its measures (`measures`: their bits, a row (jaccard, a_in_b, b_in_a) a pair) seen from
    that one, mixed by `_mixed` after `tag`. One pass, no array of the pairs' hashes made."""
    for pair in range(len(positions)):
        low, high = positions[pair, 0], positions[pair, 1]
        jaccard, low_in_high, high_in_low = measures[pair, 0], measures[pair, 1], measures[pair, 2]
        if hashes[low, 0] > hashes[high, 0]:
            low, high = high, low
            low_in_high, high_in_low = high_in_low, low_in_high
        mixed = _mixed(_mixed(_mixed(tag ^ jaccard) ^ low_in_high) ^ high_in_low)
        row = labels[positions[pair, 0]]
        for lane in range(sums.shape[1]):
            sums[row, lane] += _mixed(_mixed(mixed ^ hashes[high, lane]) ^ hashes[low, lane])


@njit(inline="always")
def _mixed(value):  # pragma: no cover - compiled
    """`mix64` of one value, in compiled code."""
    value = (value ^ (value >> np.uint64(30))) * _MIX_1
    value = (value ^ (value >> np.uint64(27))) * _MIX_2
    return value ^ (value >> np.uint64(31))


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    values = (values ^ (values >> np.uint64(30))) * _MIX_1
    values = (values ^ (values >> np.uint64(27))) * _MIX_2
    return values ^ (values >> np.uint64(31))
