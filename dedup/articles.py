"""Article-level syndication: an article whose words are nearly all copies of one other article."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from dedup.records import ParagraphRecord
from dedup.verify import Overlap


def copied_share(
    records: Sequence[ParagraphRecord], overlaps: dict[tuple[int, int], Overlap], word_counts: Sequence[int]
) -> dict[str, dict[str, float]]:
    """For each article, the share of its words found in each other article.

    A paragraph counts as copied from another article in proportion to how much of it that article's
    verified matches contain (summed over them, at most all of it): quoting one sentence of a long
    paragraph does not make the whole paragraph a copy, and a paragraph merged from two of the other
    article's paragraphs is wholly copied.
    """
    contained: dict[tuple[int, str], float] = defaultdict(float)
    for (i, j), measured in overlaps.items():
        doc_i, doc_j = records[i].doc_id, records[j].doc_id
        if doc_i != doc_j:
            contained[(i, doc_j)] += measured.a_in_b
            contained[(j, doc_i)] += measured.b_in_a
    total_words: dict[str, int] = defaultdict(int)
    for record, words in zip(records, word_counts):
        total_words[record.doc_id] += words
    shared_words: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (position, other), share in contained.items():
        shared_words[records[position].doc_id][other] += min(1.0, share) * word_counts[position]
    return {
        doc: {other: min(1.0, shared / total_words[doc]) for other, shared in others.items()}
        for doc, others in shared_words.items()
        if total_words[doc]
    }


def duplicate_of(
    shares: dict[str, dict[str, float]], threshold: float, preferred: Callable[[str], tuple]
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
