"""Exact verification of candidate pairs: Jaccard similarity and containment of shingle sets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Overlap:
    """How two shingle sets overlap: Jaccard, and the share of each one found in the other."""

    jaccard: float
    a_in_b: float
    b_in_a: float


def overlap(a: set[str], b: set[str]) -> Overlap:
    """Measure the exact overlap of two shingle sets."""
    if not a or not b:
        return Overlap(0.0, 0.0, 0.0)
    shared = len(a & b)
    return Overlap(shared / len(a | b), shared / len(a), shared / len(b))


def covers(
    center: set[str], member: set[str], jaccard_threshold: float, containment_threshold: float
) -> Overlap | None:
    """Return the overlap if `member` is a near-duplicate of `center` or contained in it, else None."""
    measured = overlap(member, center)
    if measured.jaccard >= jaccard_threshold or measured.a_in_b >= containment_threshold:
        return measured
    return None
