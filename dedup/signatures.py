"""MinHash signatures of shingle sets (datasketch, affine32 scheme, fixed seed)."""

from __future__ import annotations

from collections.abc import Sequence

from datasketch import MinHash


def minhash_signatures(shingle_sets: Sequence[set[str]], num_perm: int, seed: int) -> list[MinHash]:
    """Return one MinHash per shingle set, computed in bulk with shared permutations."""
    encoded = ([shingle.encode("utf-8") for shingle in sorted(shingles)] for shingles in shingle_sets)
    return MinHash.bulk(encoded, num_perm=num_perm, seed=seed)
