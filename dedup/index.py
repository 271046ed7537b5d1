"""Candidate pairs: MinHash LSH with bands and rows chosen explicitly, and exact keys for short text.

datasketch's automatic (b, r) choice for a threshold optimises a weighted error and misses many
pairs just above it; copydesk sets b and r itself so the recall curve 1 - (1 - s^r)^b is known.
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


def exact_candidate_pairs(keys: Iterable[tuple[int, str]]) -> set[tuple[int, int]]:
    """Return index pairs whose normalised text is identical."""
    groups: dict[str, list[int]] = defaultdict(list)
    for position, key in keys:
        groups[key].append(position)
    return {(a, b) for members in groups.values() for i, a in enumerate(members) for b in members[i + 1 :]}
