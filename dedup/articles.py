"""Article-level syndication: an article whose words are nearly all copies of one other article."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from dedup.records import ClusterMembership, ParagraphRecord


def copied_share(
    records: Sequence[ParagraphRecord], memberships: Sequence[ClusterMembership], word_counts: Sequence[int]
) -> dict[str, dict[str, float]]:
    """For each article, the share of its words in paragraphs clustered with each other article."""
    docs_by_cluster: dict[str, set[str]] = defaultdict(set)
    for record, membership in zip(records, memberships):
        docs_by_cluster[membership.cluster_id].add(record.doc_id)
    total_words: dict[str, int] = defaultdict(int)
    shared_words: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for record, membership, words in zip(records, memberships, word_counts):
        total_words[record.doc_id] += words
        for other in docs_by_cluster[membership.cluster_id] - {record.doc_id}:
            shared_words[record.doc_id][other] += words
    return {
        doc: {other: shared / total_words[doc] for other, shared in others.items()}
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
