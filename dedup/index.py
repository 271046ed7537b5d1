"""Candidate pairs: MinHash LSH with bands and rows chosen explicitly, shared keys for containment
and short text.

datasketch's automatic (b, r) choice for a threshold optimises a weighted error and misses many
pairs just above it; copydesk sets b and r itself so the recall curve 1 - (1 - s^r)^b is known.
A paragraph merged into a bigger one has high containment but low Jaccard, so LSH finds it only by
chance: pairs that share a whole normalised sentence are candidates too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from datasketch import MinHash, MinHashLSH


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that a pair with this Jaccard similarity becomes an LSH candidate."""
    return 1 - (1 - similarity**rows) ** bands


def lsh_candidate_pairs(signatures: Sequence[MinHash], bands: int, rows: int) -> set[tuple[int, int]]:
    """Return index pairs (i < j) that share at least one LSH band."""
    if not signatures:
        return set()
    lsh = MinHashLSH(num_perm=len(signatures[0].hashvalues), params=(bands, rows))
    with lsh.insertion_session() as session:
        for position, signature in enumerate(signatures):
            session.insert(position, signature, check_duplication=False)
    pairs = set()
    for position, signature in enumerate(signatures):
        for other in lsh.query(signature):
            if other != position:
                pairs.add((min(position, other), max(position, other)))
    return pairs


def shared_key_pairs(keys: Iterable[tuple[int, str]], max_group: int = 1000) -> set[tuple[int, int]]:
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
