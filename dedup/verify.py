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
    shared = _shared_counts(sets.values, sets.offsets, pairs).astype(np.float64)
    sizes = np.diff(sets.offsets).astype(np.float64)
    first, second = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.stack([shared / (first + second - shared), shared / first, shared / second], axis=1)
    shares[(first == 0) | (second == 0)] = 0.0
    return shares


@njit(cache=True, nogil=True)
def _shared_counts(values, offsets, pairs):  # pragma: no cover - compiled; tested against overlap()
    """How many values each pair of sorted segments has in common (a merge walk)."""
    shared = np.zeros(len(pairs), dtype=np.int64)
    for index in range(len(pairs)):
        i, i_end = offsets[pairs[index, 0]], offsets[pairs[index, 0] + 1]
        j, j_end = offsets[pairs[index, 1]], offsets[pairs[index, 1] + 1]
        while i < i_end and j < j_end:
            if values[i] == values[j]:
                shared[index] += 1
                i += 1
                j += 1
            elif values[i] < values[j]:
                i += 1
            else:
                j += 1
    return shared


def covers(
    center: set[str], member: set[str], jaccard_threshold: float, containment_threshold: float
) -> Overlap | None:
    """Return the overlap if `member` is a near-duplicate of `center` or contained in it, else None."""
    measured = overlap(member, center)
    if measured.jaccard >= jaccard_threshold or measured.a_in_b >= containment_threshold:
        return measured
    return None
