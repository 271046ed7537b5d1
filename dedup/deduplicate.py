"""Paragraph dedup end to end: shingle, sign, find candidates, verify, cluster, choose canonicals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dedup.articles import copied_share, duplicate_of
from dedup.canonical import priority_key
from dedup.cluster import centre_clusters
from dedup.index import lsh_candidate_pairs, shared_key_pairs
from dedup.records import ClusterMembership, ParagraphRecord
from dedup.settings import CanonicalPolicy, DedupSettings
from dedup.shingles import exact_key, normalised_words, sentence_keys, word_shingles
from dedup.signatures import minhash_signatures
from dedup.verify import Overlap, overlap


@dataclass
class DedupResult:
    """Cluster membership per input paragraph (same order), verified pairs, and article links."""

    memberships: list[ClusterMembership]
    overlaps: dict[tuple[int, int], Overlap]
    candidate_count: int
    copied_share: dict[str, dict[str, float]]
    duplicate_of: dict[str, str]


def paragraph_id(record: ParagraphRecord) -> str:
    """A readable, stable id for a paragraph: its article's doc_id and its index."""
    return f"{record.doc_id}-{record.para_idx}"


def deduplicate(records: Sequence[ParagraphRecord], settings: DedupSettings, policy: CanonicalPolicy) -> DedupResult:
    """Cluster near-duplicate and contained paragraphs and pick one canonical paragraph per cluster."""
    words = [normalised_words(record.text) for record in records]
    shingles = [word_shingles(paragraph_words, settings.shingle_size) for paragraph_words in words]
    long_positions = [i for i, paragraph_words in enumerate(words) if len(paragraph_words) >= settings.min_words]
    signatures = minhash_signatures([shingles[i] for i in long_positions], settings.num_perm, settings.seed)
    candidates = {
        (long_positions[a], long_positions[b])
        for a, b in lsh_candidate_pairs(signatures, settings.lsh_bands, settings.lsh_rows)
    }
    short_keys = ((i, exact_key(w)) for i, w in enumerate(words) if 0 < len(w) < settings.min_words)
    candidates |= shared_key_pairs(short_keys)
    sentences = ((i, key) for i in long_positions for key in sentence_keys(records[i].text, settings.min_words))
    candidates |= shared_key_pairs(sentences)
    overlaps = {}
    for i, j in candidates:
        measured = overlap(shingles[i], shingles[j])
        if max(measured.jaccard, measured.a_in_b, measured.b_in_a) >= min(
            settings.jaccard_threshold, settings.containment_threshold
        ):
            overlaps[(i, j)] = measured
    key = priority_key(policy)
    order = sorted(range(len(records)), key=lambda i: key(records[i], len(words[i])))
    ids = [paragraph_id(record) for record in records]
    memberships = centre_clusters(order, overlaps, ids, settings.jaccard_threshold, settings.containment_threshold)
    word_counts = [len(w) for w in words]
    article_key = _article_priority(records, word_counts, key)
    shares = copied_share(records, overlaps, word_counts)
    links = duplicate_of(shares, settings.article_duplicate_share, article_key.__getitem__)
    return DedupResult(memberships, overlaps, len(candidates), shares, links)


def _article_priority(
    records: Sequence[ParagraphRecord], word_counts: Sequence[int], key: Callable[[ParagraphRecord, int], tuple]
) -> dict[str, tuple]:
    """Rank whole articles with the paragraph policy, using the article's total words."""
    totals: dict[str, int] = {}
    first: dict[str, ParagraphRecord] = {}
    for record, count in zip(records, word_counts):
        totals[record.doc_id] = totals.get(record.doc_id, 0) + count
        first.setdefault(record.doc_id, record)
    return {doc: key(first[doc], totals[doc])[:-1] for doc in totals}
