"""Candidate pairs: MinHash LSH with bands and rows chosen explicitly, shared keys for containment
and short text.

datasketch's automatic (b, r) choice for a threshold optimises a weighted error and misses many
pairs just above it; copydesk sets b and r itself so the recall curve 1 - (1 - s^r)^b is known.
The bands are grouped column-wise in numpy (sort each band's keys, pair equal runs, drop repeats by hashing): the same pairs
datasketch's MinHashLSH finds, without a Python object per signature and band.
A paragraph merged into a bigger one has high containment but low Jaccard, so LSH finds it only by
chance: pairs that share a whole normalised sentence are candidates too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import pandas as pd
from numba import njit

# An odd 64-bit multiplier (from splitmix64) that folds a band's hash values into one key.
_FOLD = np.uint64(0x9E3779B97F4A7C15)
# Runs of equal band keys longer than this pair only their first member with the rest.
MAX_RUN = 1000
# A key (short text, a sentence) shared by more paragraphs than this pairs none of them: a stock phrase.
MAX_SHARED_GROUP = 1000
# Band pairs are merged into the distinct ones once this many (or as many as those) are pending.
_MERGE_AT = 1 << 22


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that a pair with this Jaccard similarity becomes an LSH candidate."""
    return 1 - (1 - similarity**rows) ** bands


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """An (n, bands) uint64 array: each band's `rows` hash values folded into one key.

    Two signatures share a key when they agree on the whole band; a 64-bit fold of 32-bit values can also
    collide by chance (about 2**-64 a pair), which only adds a candidate that verification then drops.
    """
    blocks = signatures[:, : bands * rows].reshape(len(signatures), bands, rows)
    keys = blocks[:, :, 0].astype(np.uint64)
    for row in range(1, rows):  # in place: no copy of the signatures as uint64, no temporary a row
        keys *= _FOLD
        keys += blocks[:, :, row].astype(np.uint64, copy=False)
    return keys


def lsh_candidate_pairs(signatures: np.ndarray, bands: int, rows: int, max_run: int = MAX_RUN) -> np.ndarray:
    """Index pairs (i < j) that share at least one LSH band, as a sorted (m, 2) int64 array.

    Each band is one column of keys: sorted, split into runs of equal keys, and every pair inside a run
    is a candidate. Pairs are kept as packed int64s and merged whenever the new ones outgrow the distinct
    ones so far, so memory grows with the distinct pairs, not with bands x pairs. A run longer than
    `max_run` (a stock paragraph in thousands of articles) pairs only its first member with the rest,
    instead of growing quadratically.
    """
    count = len(signatures)
    if count < 2:
        return np.empty((0, 2), dtype=np.int64)
    keys = band_keys(signatures, bands, rows)
    packed = np.empty(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    for band in range(bands):
        pending.append(_run_pairs(keys[:, band], count, max_run))
        if band == bands - 1 or sum(map(len, pending)) > max(len(packed), _MERGE_AT):
            packed = pd.unique(np.concatenate([packed, *pending]))
            pending = []
    packed.sort()
    return np.stack([packed // count, packed % count], axis=1)


def _run_pairs(column: np.ndarray, count: int, max_run: int) -> np.ndarray:
    """Packed pairs i * count + j (i < j) of positions holding equal keys in this column."""
    order = np.argsort(column, kind="stable")  # each run of equal keys in ascending positions
    ordered = column[order]
    first, second = run_pairs(np.r_[np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]), count], order, max_run)
    return first.astype(np.int64) * count + second


def run_pairs(
    starts: np.ndarray, owners: np.ndarray, max_run: int, known: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The owner pairs (first < second) of rows laid out in consecutive runs (`starts`: each run's first row, then
    the number of rows), each run's owners ascending: every pair inside a run of at most `max_run` rows, and the
    first row's owner of a longer run with each other one; a pair of one owner with itself is left out, and so is a
    pair of two `known` rows (a mask of the rows, when given: pairs the caller holds already)."""
    mask = np.zeros(0, dtype=np.bool_) if known is None else np.ascontiguousarray(known, dtype=np.bool_)
    return _run_pairs_compiled(starts.astype(np.int64, copy=False), owners.astype(np.int64, copy=False), max_run, mask)


@njit(cache=True, nogil=True)
def _run_pairs_compiled(starts, owners, max_run, known):  # pragma: no cover - compiled; tested through run_pairs
    """`run_pairs` in two passes over the runs: count the pairs, then write them (`known` empty: none known)."""
    masked = len(known) > 0
    pairs = 0
    for run in range(len(starts) - 1):
        start, end = starts[run], starts[run + 1]
        for left in range(start, end if end - start <= max_run else start + 1):
            for right in range(left + 1, end):
                pairs += owners[left] < owners[right] and not (masked and known[left] and known[right])
    first = np.empty(pairs, dtype=np.int64)
    second = np.empty(pairs, dtype=np.int64)
    written = 0
    for run in range(len(starts) - 1):
        start, end = starts[run], starts[run + 1]
        for left in range(start, end if end - start <= max_run else start + 1):
            for right in range(left + 1, end):
                if owners[left] < owners[right] and not (masked and known[left] and known[right]):
                    first[written], second[written] = owners[left], owners[right]
                    written += 1
    return first, second


def shared_key_pairs(keys: Iterable[tuple[int, str]], max_group: int = MAX_SHARED_GROUP) -> set[tuple[int, int]]:
    """Return index pairs (i < j) that share a key (a normalised text or sentence).

    A key shared by more than `max_group` paragraphs (site boilerplate, a stock phrase) is skipped:
    it says nothing about which of them are copies, and its pairs grow quadratically.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for position, key in keys:
        groups[key].append(position)
    pairs = set()
    for members in groups.values():
        if 1 < len(members) <= max_group:
            members = sorted(set(members))
            pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return pairs
