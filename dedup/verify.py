"""Exact verification of candidate pairs: Jaccard similarity and containment of shingle sets.

In bulk the sets are of 32-bit shingle hashes (`dedup.signatures.ShingleHashes.as_sets`), intersected in
compiled code; two different shingles of a pair share a hash about once in a million pairs, which moves
the pair's overlap by one shingle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from dedup.signatures import ShingleHashes


@dataclass(frozen=True)
class Overlap:
    """How two shingle sets overlap: Jaccard, and the share of each one found in the other."""

    jaccard: float
    a_in_b: float
    b_in_a: float


def overlap(a: set[str], b: set[str]) -> Overlap:
    """Measure the exact overlap of two shingle sets."""
    if not a or not b:
        return Overlap(0.0, 0.0, 0.0)
    shared = len(a & b)
    return Overlap(shared / len(a | b), shared / len(a), shared / len(b))


def pair_shares(pairs: np.ndarray, sets: ShingleHashes) -> np.ndarray:
    """The overlap of each pair (rows of `sets`, an (m, 2) array) of hashed shingle sets as an (m, 3) float
    array: Jaccard, share of the first in the second, of the second in the first (all 0 when either is empty)."""
    return _pair_shares(sets.values, sets.offsets, pairs)


@njit(cache=True, nogil=True)
def _pair_shares(values, offsets, pairs):  # pragma: no cover - compiled; tested against overlap()
    """`pair_shares` in one pass: how many values each pair of sorted segments has in common, by a merge walk
    without a branch on the values (both sides step on a tie; a set holds a value once), divided as floats."""
    shares = np.zeros((len(pairs), 3), dtype=np.float64)
    for index in range(len(pairs)):
        i, i_end = offsets[pairs[index, 0]], offsets[pairs[index, 0] + 1]
        j, j_end = offsets[pairs[index, 1]], offsets[pairs[index, 1] + 1]
        first, second = i_end - i, j_end - j
        if first == 0 or second == 0:
            continue
        shared = 0
        while i < i_end and j < j_end:
            left, right = values[i], values[j]
            shared += left == right
            i += left <= right
            j += right <= left
        shares[index, 0] = shared / (first + second - shared)
        shares[index, 1] = shared / first
        shares[index, 2] = shared / second
    return shares


def covers(
    center: set[str], member: set[str], jaccard_threshold: float, containment_threshold: float
) -> Overlap | None:
    """Return the overlap if `member` is a near-duplicate of `center` or contained in it, else None."""
    measured = overlap(member, center)
    if measured.jaccard >= jaccard_threshold or measured.a_in_b >= containment_threshold:
        return measured
    return None
