"""Article-level syndication: an article whose words are nearly all copies of one other article.

Held as arrays of article numbers (each doc_id once, numbered in the order first met): a pair of articles sharing
text is two numbers and a share (24 bytes), not a dict entry of Python objects made one by one (until session 23).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dedup.lookup import sorted_rows
from dedup.pair_table import pair_measures, pair_positions
from dedup.records import ParagraphRecord, article_numbers
from dedup.verify import Overlap


@dataclass(frozen=True, eq=False)
class ArticleShares:
    """Each article's share of its words found in each other article: a row a pair of articles sharing text
    (`article`'s words found in `other`), sorted by article then other, both numbers into `doc_ids`."""

    doc_ids: pa.StringArray
    article: np.ndarray
    other: np.ndarray
    share: np.ndarray

    def named(self, rows: np.ndarray) -> list[tuple[str, str, float]]:
        """The rows at `rows` as (doc_id, the other's doc_id, share): only these become Python objects."""
        doc_ids, others = (
            self.doc_ids.take(pa.array(numbers[rows])).to_pylist() for numbers in (self.article, self.other)
        )
        return list(zip(doc_ids, others, self.share[rows].tolist(), strict=True))


@dataclass(frozen=True, eq=False)
class ArticleLinks:
    """Each wholly copied article's original: `original` by article number (-1 for an article that copies none),
    numbers into `doc_ids`."""

    doc_ids: pa.StringArray
    original: np.ndarray

    def __len__(self) -> int:
        return int(np.count_nonzero(self.original >= 0))

    def originals(self, doc_ids: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        """The doc_id of the original each of these doc_ids wholly copies, null where it copies none (or is not an
        article of the shares)."""
        copying = np.flatnonzero(self.original >= 0)
        found = pc.index_in(doc_ids, value_set=self.doc_ids.take(pa.array(copying)))
        return pc.take(self.doc_ids, pc.take(pa.array(self.original[copying]), found))


def copied_share(
    records: Sequence[ParagraphRecord], overlaps: Mapping[tuple[int, int], Overlap], word_counts: Sequence[int]
) -> ArticleShares:
    """For each article, the share of its words found in each other article (an article of no words has none).

    A paragraph counts as copied from another article in proportion to how much of it that article's
    verified matches contain (summed over them, at most all of it): quoting one sentence of a long
    paragraph does not make the whole paragraph a copy, and a paragraph merged from two of the other
    article's paragraphs is wholly copied. Summed by array, each sum's terms added in the order a walk over the
    pairs would add them (a paragraph's shares in the pairs' order, an article's paragraphs in the order first met).
    """
    article, doc_ids = article_numbers(records)
    count = len(doc_ids)
    pairs, shares = pair_positions(overlaps), pair_measures(overlaps)[:, 1:]
    across = article[pairs[:, 0]] != article[pairs[:, 1]]
    pairs, shares = pairs[across], shares[across].reshape(-1, 2)
    # Each paragraph's share inside each other article: (paragraph, other article), a pair's two sides in turn.
    inside = np.stack([pairs[:, 0] * count + article[pairs[:, 1]], pairs[:, 1] * count + article[pairs[:, 0]]], 1)
    contained, held = _sums(inside.ravel(), shares.ravel(), in_order_met=True)
    paragraph = contained // count
    copied = np.minimum(1.0, held) * np.asarray(word_counts, np.float64)[paragraph]
    shared_keys, shared = _sums(article[paragraph] * count + contained % count, copied)
    totals = np.bincount(article, weights=np.asarray(word_counts, np.float64), minlength=count)
    copier, other = np.divmod(shared_keys, count)
    worded = totals[copier] > 0
    copier, other, shared = copier[worded], other[worded], shared[worded]
    return ArticleShares(doc_ids, copier, other, np.minimum(1.0, shared / totals[copier]))


def _sums(keys: np.ndarray, values: np.ndarray, in_order_met: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct key, ascending (or in the order first met), and the sum of its values, added in their order.
    Grouped by an unstable sort (`np.unique` sorts stably when asked where each key is first met, which takes half
    as long again): a key's first place is the least of its group's."""
    by_key = np.argsort(keys)
    ordered = keys[by_key]
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    group = np.empty(len(keys), dtype=np.int64)
    group[by_key] = np.cumsum(new) - 1
    sums = np.bincount(group, weights=values, minlength=len(starts))
    distinct = ordered[starts]
    if not in_order_met:
        return distinct, sums
    order = np.argsort(np.minimum.reduceat(by_key, starts) if len(starts) else starts)  # first places differ
    return distinct[order], sums[order]


def duplicate_of(shares: ArticleShares, threshold: float, ranks: np.ndarray) -> ArticleLinks:
    """Link each wholly copied article to the article it copies: of the others holding at least `threshold` of its
    words, the one holding the most, then the one the policy prefers (`ranks`: each article's policy rank by number,
    the smaller preferred).

    When two articles copy each other (both shares above the threshold), the one the policy
    prefers stays the original.
    """
    above = shares.share >= threshold
    article, other, share = shares.article[above], shares.other[above], shares.share[above]
    best = np.lexsort((ranks[other], -share, article))
    first = np.ones(len(best), dtype=bool)
    first[1:] = article[best[1:]] != article[best[:-1]]
    copier, original = article[best[first]], other[best[first]]
    count = len(shares.doc_ids)
    pair_keys = shares.article * count + shares.other  # ascending, as the rows are sorted
    back = original * count + copier
    row, held = sorted_rows(pair_keys, back)
    mutual = np.where(held, shares.share[row], 0.0) >= threshold  # a share not held is 0
    linked = ~mutual | (ranks[original] < ranks[copier])
    originals = np.full(count, -1, dtype=np.int64)
    originals[copier[linked]] = original[linked]
    return ArticleLinks(shares.doc_ids, originals)
