"""Partial repeats in the canonical corpus: two outlets merged different pairs of the same paragraphs
(A+B and B+C), so neither covers the other and both are canonical; the corpus keeps the one the policy
prefers whole and drops from the other the sentences the first already holds (B), keeping C.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
from numba import njit

from dedup.pair_table import pair_positions
from dedup.settings import DedupSettings
from dedup.shingles import split_sentences
from dedup.signatures import shingle_hashes
from dedup.verify import Overlap


def trim_keepers(
    canonical: Collection[int], partial: Mapping[tuple[int, int], Overlap], rank: np.ndarray
) -> dict[int, list[int]]:
    """Each canonical paragraph partly paired with a canonical one the policy prefers (lower `rank`, by position:
    `dedup.canonical.policy_ranks`), with its keepers: the canonical paragraphs it is partly paired with and trails,
    in policy order (among equals, in the pairs' order); the paragraphs in the order first met, by array."""
    positions = pair_positions(partial)
    marked = np.fromiter(canonical, dtype=np.int64, count=len(canonical))
    is_canonical = np.zeros(1 + max(int(positions.max(initial=-1)), int(marked.max(initial=-1))), dtype=bool)
    is_canonical[marked] = True
    first, second = positions[is_canonical[positions].all(axis=1)].T  # most partial pairs hold a copy
    if not len(first):
        return {}
    first_keeps = rank[first] < rank[second]
    keeper, other = np.where(first_keeps, first, second), np.where(first_keeps, second, first)
    _, met, found = np.unique(other, return_index=True, return_inverse=True)
    order = np.lexsort((np.arange(len(other)), rank[keeper], met[found.ravel()]))
    keeper, other = keeper[order], other[order]
    starts = np.flatnonzero(np.r_[True, other[1:] != other[:-1]])
    return dict(zip(other[starts].tolist(), (ahead.tolist() for ahead in np.split(keeper, starts[1:]))))


def trim_partial_repeats(
    texts: Sequence[str], keepers: dict[int, list[int]], settings: DedupSettings
) -> dict[int, str]:
    """Corpus text of each paragraph of `keepers` (`trim_keepers`) that repeats sentences of one ahead of it
    ("" when nothing of it is left): the sentences most of whose shingles a keeper's whole text holds dropped.
    Each paragraph's sentences and each keeper are shingled once (`shingle_hashes`), however many pairs hold them:
    the pairs grow faster than the corpus, as a sentence printed again pairs all the paragraphs holding it."""
    if not keepers:
        return {}
    split = [split_sentences(texts[other]) for other in keepers]
    sentences = shingle_hashes([sentence for found in split for sentence in found], settings.shingle_size).as_sets()
    ahead = dict.fromkeys(keeper for found in keepers.values() for keeper in found)
    held = shingle_hashes([texts[keeper] for keeper in ahead], settings.shingle_size).as_sets()
    number = {keeper: index for index, keeper in enumerate(ahead)}
    bounds = np.zeros(len(split) + 1, dtype=np.int64)
    np.cumsum([len(found) for found in split], out=bounds[1:])
    dropped = _dropped_sentences(
        sentences.values,
        sentences.offsets,
        held.values,
        held.offsets,
        bounds,
        np.repeat(np.arange(len(split)), [len(found) for found in keepers.values()]),
        np.array([number[keeper] for found in keepers.values() for keeper in found], dtype=np.int64),
        settings.containment_threshold,
    ).tolist()
    trimmed: dict[int, str] = {}
    for other, found, start in zip(keepers, split, bounds.tolist()):
        gone = dropped[start : start + len(found)]
        if any(gone):
            trimmed[other] = " ".join(sentence for sentence, out in zip(found, gone) if not out)
    return trimmed


@njit(cache=True)
def _dropped_sentences(values, offsets, held, held_offsets, bounds, others, keepers, threshold):  # pragma: no cover
    """For every sentence (its shingle-hash set at values[offsets[s]:offsets[s + 1]]), whether a keeper of its
    paragraph holds at least `threshold` of it; paragraph o's sentences are bounds[o]:bounds[o + 1], and pair p
    is paragraph others[p] with the keeper whose set is held[held_offsets[keepers[p]]:...]."""
    dropped = np.zeros(len(offsets) - 1, dtype=np.bool_)
    for pair in range(len(others)):
        keeper = held[held_offsets[keepers[pair]] : held_offsets[keepers[pair] + 1]]
        for sentence in range(bounds[others[pair]], bounds[others[pair] + 1]):
            start, end = offsets[sentence], offsets[sentence + 1]
            if dropped[sentence] or end == start:
                continue
            found, at = 0, 0
            for index in range(start, end):  # both sorted: one walk through the keeper's set
                while at < len(keeper) and keeper[at] < values[index]:
                    at += 1
                if at < len(keeper) and keeper[at] == values[index]:
                    found += 1
            dropped[sentence] = found / (end - start) >= threshold
    return dropped
