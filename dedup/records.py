"""What dedup takes in (a paragraph with its article's facts) and gives back (its cluster): one of each per
paragraph of the corpus, so slotted (no per-object dict)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParagraphRecord:
    """A cleaned paragraph and the facts of its article that the canonical policy weighs; `preferred` when a
    maintainer chose it as its cluster's canonical copy."""

    doc_id: str
    para_idx: int
    text: str
    source: str | None = None
    published: str | None = None
    article_edits: int = 0
    incumbent: bool = False
    preferred: bool = False


@dataclass(frozen=True, slots=True)
class ClusterMembership:
    """A paragraph's cluster, whether the corpus keeps it as the canonical copy, how it matched the canonical
    one (or its container), and the paragraph of another cluster its text lies inside, if any."""

    cluster_id: str
    is_canonical: bool
    match: str
    jaccard: float
    containment: float
    contained_in: str | None = None
