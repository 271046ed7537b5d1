"""Paragraph dedup end to end: shingle, sign, find candidates, verify, cluster, choose canonicals.

The flow runs it in two halves: matches are found first so the spelling stage can use the copies they
reveal, then measured again on the corrected text and clustered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from dedup.articles import copied_share, duplicate_of
from dedup.canonical import priority_key
from dedup.cluster import centre_clusters
from dedup.index import lsh_candidate_pairs, shared_key_pairs
from dedup.records import ClusterMembership, ParagraphRecord
from dedup.redis_index import index_basename, redis_candidate_pairs
from dedup.settings import CanonicalPolicy, DedupSettings
from dedup.shingles import exact_key, normalised_words, sentence_words, split_sentences, word_shingles
from dedup.signatures import paragraph_signatures, signatures_and_word_counts
from dedup.trim import trim_partial_repeats
from dedup.verify import Overlap, overlap


@dataclass
class DedupResult:
    """Cluster membership per input paragraph (same order), verified pairs, article links, and the
    canonical paragraphs whose corpus text drops sentences another canonical paragraph already holds."""

    memberships: list[ClusterMembership]
    overlaps: dict[tuple[int, int], Overlap]
    candidate_count: int
    copied_share: dict[str, dict[str, float]]
    duplicate_of: dict[str, str]
    corpus_trims: dict[int, str] = field(default_factory=dict)


def paragraph_id(record: ParagraphRecord) -> str:
    """A readable, stable id for a paragraph: its article's doc_id and its index."""
    return f"{record.doc_id}-{record.para_idx}"


@dataclass
class Matches:
    """Verified overlapping paragraph pairs (by position, i < j), pairs that share only a part (two
    different merges of the same paragraph), and how many candidates were checked."""

    overlaps: dict[tuple[int, int], Overlap]
    candidate_count: int
    partial: dict[tuple[int, int], Overlap] = field(default_factory=dict)


def _shingle_sets(texts: Sequence[str], settings: DedupSettings) -> tuple[list[list[str]], list[set[str]]]:
    words = [normalised_words(text) for text in texts]
    return words, [word_shingles(paragraph_words, settings.shingle_size) for paragraph_words in words]


def _verified(
    pairs: Iterable[tuple[int, int]], shingles: Sequence[set[str]], settings: DedupSettings, candidate_count: int
) -> Matches:
    """Exact overlap of each pair: a match when it is a near-duplicate or a containment, partial when
    they share at least `partial_share` of one of them."""
    floor = min(settings.jaccard_threshold, settings.containment_threshold)
    matches = Matches({}, candidate_count)
    for i, j in pairs:
        measured = overlap(shingles[i], shingles[j])
        shared = max(measured.jaccard, measured.a_in_b, measured.b_in_a)
        if shared >= floor:
            matches.overlaps[(i, j)] = measured
        elif shared >= settings.partial_share:
            matches.partial[(i, j)] = measured
    return matches


def find_matches(texts: Sequence[str], settings: DedupSettings) -> Matches:
    """Candidate pairs from LSH, shared sentences and exact short text, each verified exactly."""
    words, shingles = _shingle_sets(texts, settings)
    long_positions = np.array(
        [i for i, paragraph_words in enumerate(words) if len(paragraph_words) >= settings.min_words], dtype=np.int64
    )
    signatures = paragraph_signatures([texts[i] for i in long_positions], *_signing(settings))
    candidates = _pairs_at(long_positions, _lsh_pairs(signatures, settings, "paragraphs"))
    candidates |= shared_key_pairs(_short_text_keys(texts, words, long_positions, settings))
    candidates |= _sentence_candidates(texts, long_positions, settings)
    return _verified(candidates, shingles, settings, len(candidates))


def _lsh_pairs(signatures: np.ndarray, settings: DedupSettings, index: str) -> np.ndarray:
    """LSH candidate pairs of the signatures' rows, grouped in memory, or in Redis when `redis_url` is set."""
    if settings.redis_url:
        return redis_candidate_pairs(
            signatures, settings.lsh_bands, settings.lsh_rows, settings.seed, settings.redis_url, index_basename(index)
        )
    return lsh_candidate_pairs(signatures, settings.lsh_bands, settings.lsh_rows)


def _signing(settings: DedupSettings) -> tuple[int, int, int]:
    return settings.shingle_size, settings.num_perm, settings.seed


def _pairs_at(positions: np.ndarray, pairs: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of row numbers mapped to the positions those rows stand for, each ordered (low, high)."""
    mapped = np.sort(positions[pairs], axis=1) if len(pairs) else pairs
    return {(first, second) for first, second in mapped.tolist() if first != second}


def _short_text_keys(
    texts: Sequence[str], words: Sequence[list[str]], long_positions: Sequence[int], settings: DedupSettings
) -> Iterator[tuple[int, str]]:
    """Exact keys of short paragraphs, and of every sentence of the long ones: a short paragraph matches
    an identical one, or a long paragraph it was split from."""
    for position, paragraph_words in enumerate(words):
        if 0 < len(paragraph_words) < settings.min_words:
            yield position, exact_key(paragraph_words)
    for position in long_positions:
        for sentence in sentence_words(texts[position], 1):
            if len(sentence) < settings.min_words:
                yield position, exact_key(sentence)


def _sentence_candidates(
    texts: Sequence[str], positions: Sequence[int], settings: DedupSettings
) -> set[tuple[int, int]]:
    """Paragraph pairs with a near-duplicate sentence: LSH over sentences finds a reworded part inside a
    merged paragraph, whose Jaccard with the whole is too low for paragraph LSH."""
    owners = [position for position in positions for _ in split_sentences(texts[position])]
    sentences = [sentence for position in positions for sentence in split_sentences(texts[position])]
    signatures, word_counts = signatures_and_word_counts(sentences, *_signing(settings))
    long_enough = np.flatnonzero(word_counts >= settings.min_words)
    pairs = _lsh_pairs(signatures[long_enough], settings, "sentences")
    return _pairs_at(np.asarray(owners, dtype=np.int64)[long_enough], pairs)


def remeasure(matches: Matches, texts: Sequence[str], settings: DedupSettings) -> Matches:
    """Measure the verified pairs again on changed texts (after spelling fixes), keeping those that still match."""
    _, shingles = _shingle_sets(texts, settings)
    return _verified([*matches.overlaps, *matches.partial], shingles, settings, matches.candidate_count)


def cluster_matches(
    records: Sequence[ParagraphRecord], matches: Matches, settings: DedupSettings, policy: CanonicalPolicy
) -> DedupResult:
    """Cluster verified pairs around canonical paragraphs chosen by the policy; link copied articles."""
    word_counts = [len(normalised_words(record.text)) for record in records]
    copies = Counter(position for pair in matches.overlaps for position in pair)
    key = priority_key(policy)
    order = sorted(range(len(records)), key=lambda i: key(records[i], word_counts[i], copies[i]))
    ids = [paragraph_id(record) for record in records]
    overlaps = matches.overlaps
    memberships = centre_clusters(
        order, overlaps, ids, settings.jaccard_threshold, settings.containment_threshold, settings.container_margin
    )
    article_key = _article_priority(records, word_counts, key)
    shares = copied_share(records, overlaps, word_counts)
    links = duplicate_of(shares, settings.article_duplicate_share, article_key.__getitem__)
    canonical = {position for position, membership in enumerate(memberships) if membership.is_canonical}
    trims = trim_partial_repeats([record.text for record in records], canonical, order, matches.partial, settings)
    return DedupResult(memberships, overlaps, matches.candidate_count, shares, links, trims)


def deduplicate(records: Sequence[ParagraphRecord], settings: DedupSettings, policy: CanonicalPolicy) -> DedupResult:
    """Cluster near-duplicate and contained paragraphs and pick one canonical paragraph per cluster."""
    return cluster_matches(records, find_matches([record.text for record in records], settings), settings, policy)


def _article_priority(
    records: Sequence[ParagraphRecord], word_counts: Sequence[int], key: Callable[..., tuple]
) -> dict[str, tuple]:
    """Rank whole articles with the paragraph policy, using the article's total words."""
    totals: dict[str, int] = {}
    first: dict[str, ParagraphRecord] = {}
    for record, count in zip(records, word_counts):
        totals[record.doc_id] = totals.get(record.doc_id, 0) + count
        first.setdefault(record.doc_id, record)
    return {doc: key(first[doc], totals[doc])[:-1] for doc in totals}
