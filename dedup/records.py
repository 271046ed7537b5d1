"""What dedup takes in (a paragraph's place and its article's facts; its text comes beside it, in a sequence of the
same order) and gives back (its cluster): one of each per paragraph of the corpus, so slotted (no per-object
dict)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParagraphRecord:
    """A cleaned paragraph's place and the facts of its article that the canonical policy weighs; `preferred` when
    a maintainer chose it as its cluster's canonical copy. It holds no text: the caller holds the texts once."""

    doc_id: str
    para_idx: int
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
