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
    blocks = signatures[:, : bands * rows].reshape(len(signatures), bands, rows).astype(np.uint64)
    keys = blocks[:, :, 0].copy()
    for row in range(1, rows):
        keys = keys * _FOLD + blocks[:, :, row]
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
    order = np.argsort(column, kind="stable")
    ordered = column[order]
    run_starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    left, right = run_pair_indexes(np.diff(np.r_[run_starts, count]), max_run)
    first, second = order[left], order[right]
    return np.minimum(first, second).astype(np.int64) * count + np.maximum(first, second)


def run_pair_indexes(run_sizes: np.ndarray, max_run: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (left < right) of rows laid out in consecutive runs of these sizes: every pair inside a run
    of at most `max_run` rows, and the first row of a longer run with each other one."""
    count = int(run_sizes.sum())
    run_starts = np.cumsum(run_sizes) - run_sizes
    later = np.repeat(run_starts + run_sizes, run_sizes) - np.arange(count) - 1  # run members after each one
    long_runs = run_sizes > max_run
    later[np.repeat(long_runs, run_sizes)] = 0
    later[run_starts[long_runs]] = run_sizes[long_runs] - 1
    left = np.repeat(np.arange(count), later)
    right = left + np.arange(len(left)) - np.repeat(np.cumsum(later) - later, later) + 1
    return left, right


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
