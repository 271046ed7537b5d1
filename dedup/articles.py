"""Article-level syndication: an article whose words are nearly all copies of one other article."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from dedup.pair_table import pair_measures, pair_positions
from dedup.records import ParagraphRecord, article_numbers
from dedup.verify import Overlap


def copied_share(
    records: Sequence[ParagraphRecord], overlaps: Mapping[tuple[int, int], Overlap], word_counts: Sequence[int]
) -> dict[str, dict[str, float]]:
    """For each article, the share of its words found in each other article.

    A paragraph counts as copied from another article in proportion to how much of it that article's
    verified matches contain (summed over them, at most all of it): quoting one sentence of a long
    paragraph does not make the whole paragraph a copy, and a paragraph merged from two of the other
    article's paragraphs is wholly copied. Summed by array, each sum's terms added in the pairs' order, and the
    articles (and each one's others) in the order they are first met, as a walk over the pairs would.
    """
    article, names = article_numbers(records)
    count = len(names)
    pairs, shares = pair_positions(overlaps), pair_measures(overlaps)[:, 1:]
    across = article[pairs[:, 0]] != article[pairs[:, 1]]
    pairs, shares = pairs[across], shares[across].reshape(-1, 2)
    # Each paragraph's share inside each other article: (paragraph, other article), a pair's two sides in turn.
    inside = np.stack([pairs[:, 0] * count + article[pairs[:, 1]], pairs[:, 1] * count + article[pairs[:, 0]]], 1)
    contained, held = _sums_in_order(inside.ravel(), shares.ravel())
    paragraph = contained // count
    copied = np.minimum(1.0, held) * np.asarray(word_counts, np.float64)[paragraph]
    shared_keys, shared = _sums_in_order(article[paragraph] * count + contained % count, copied)
    totals = np.bincount(article, weights=np.asarray(word_counts, np.float64), minlength=count).tolist()
    result: dict[str, dict[str, float]] = {}
    for key, words in zip(shared_keys.tolist(), shared.tolist()):
        doc, other = divmod(key, count)
        if totals[doc]:
            result.setdefault(names[doc], {})[names[other]] = min(1.0, words / totals[doc])
    return result


def _sums_in_order(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct key, in the order first met, and the sum of its values, added in their order."""
    distinct, first, group = np.unique(keys, return_index=True, return_inverse=True)
    sums = np.bincount(group.ravel(), weights=values, minlength=len(distinct))
    order = np.argsort(first, kind="stable")
    return distinct[order], sums[order]


def duplicate_of(
    shares: dict[str, dict[str, float]], threshold: float, preferred: Callable[[str], int]
) -> dict[str, str]:
    """Map each wholly copied article to the article it copies.

    When two articles copy each other (both shares above the threshold), the one the policy
    prefers (`preferred` gives the smaller key) stays the original.
    """
    links: dict[str, str] = {}
    for doc, others in shares.items():
        candidates = [other for other, share in others.items() if share >= threshold]
        if not candidates:
            continue
        original = min(candidates, key=lambda other: (-others[other], preferred(other)))
        mutual = shares.get(original, {}).get(doc, 0.0) >= threshold
        if not mutual or preferred(original) < preferred(doc):
            links[doc] = original
    return links
