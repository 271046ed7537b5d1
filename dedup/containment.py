"""Containment, a relation of its own beside clusters: a paragraph whose text lies inside a paragraph of
another cluster (a part of a merged paragraph, a copy a sentence short) names it in `contained_in`.

A paragraph lies inside another when at least `containment_threshold` of its shingles are there and the
other is clearly bigger (holding `container_margin` less of itself in it), so the relation never runs in
a circle; two paragraphs of about one size inside each other are near-duplicates, one cluster's business.
A cluster's canonical paragraph lying inside a paragraph the corpus keeps is not kept itself (match
"contained"): its text is already there. Containers are decided before what they hold, so along a chain
A in AB in ABC only ABC is kept. Each paragraph names, of its containers, one the corpus keeps if there
is one, and among those the one the policy prefers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from dedup.pair_table import pair_measures, pair_positions
from dedup.records import ClusterMembership
from dedup.settings import DedupSettings
from dedup.verify import Overlap

# A part's link to a container: the pair's Jaccard and the part's share inside the container.
Held = tuple[float, float]


@dataclass(frozen=True)
class Links:
    """Directed links between paragraphs (numbered 0..n-1): `source[k]` to `target[k]`, with the pair's Jaccard and
    the target's share inside the source (`share`)."""

    source: np.ndarray
    target: np.ndarray
    jaccard: np.ndarray
    share: np.ndarray

    def taken(self, rows: np.ndarray) -> Links:
        """The links at `rows`, in that order."""
        return Links(self.source[rows], self.target[rows], self.jaccard[rows], self.share[rows])

    def rows(self) -> Iterator[tuple[int, int, float, float]]:
        """(source, target, Jaccard, share) of each link, as Python numbers."""
        return zip(*(column.tolist() for column in (self.source, self.target, self.jaccard, self.share)), strict=True)


def inside_links(pairs: np.ndarray, measures: np.ndarray, threshold: float, margin: float) -> Links:
    """A link from container to part for each pair (positions, measures as `pair_measures` gives them) where one
    paragraph has `threshold` of itself inside a clearly bigger one (holding `margin` less of itself in it)."""
    jaccard, a_in_b, b_in_a = measures.T
    first_inside = (a_in_b >= threshold) & (a_in_b - b_in_a >= margin)
    second_inside = ~first_inside & (b_in_a >= threshold) & (b_in_a - a_in_b >= margin)
    first, second = np.flatnonzero(first_inside), np.flatnonzero(second_inside)
    return Links(
        np.concatenate([pairs[first, 1], pairs[second, 0]]),
        np.concatenate([pairs[first, 0], pairs[second, 1]]),
        np.concatenate([jaccard[first], jaccard[second]]),
        np.concatenate([a_in_b[first], b_in_a[second]]),
    )


def parts_inside(overlaps: Mapping[tuple[int, int], Overlap], settings: DedupSettings) -> Links:
    """The container-to-part links (`inside_links`) of the verified pairs."""
    return inside_links(
        pair_positions(overlaps), pair_measures(overlaps), settings.containment_threshold, settings.container_margin
    )


def containers_of(
    memberships: Sequence[ClusterMembership], overlaps: Mapping[tuple[int, int], Overlap], settings: DedupSettings
) -> dict[int, dict[int, Held]]:
    """For each paragraph (by position), the paragraphs of other clusters it lies inside, with the pair's Jaccard
    and its share inside each."""
    containers: dict[int, dict[int, Held]] = defaultdict(dict)
    for container, part, jaccard, share in parts_inside(overlaps, settings).rows():
        if memberships[part].cluster_id != memberships[container].cluster_id:
            containers[part][container] = (jaccard, share)
    return containers


def kept_in_corpus(memberships: Sequence[ClusterMembership], containers: dict[int, dict[int, Held]]) -> list[bool]:
    """Whether the corpus keeps each paragraph: a canonical one that lies inside no kept paragraph, its
    containers decided first."""
    kept: dict[int, bool] = {}
    for start in containers:
        stack = [start]
        while stack:
            position = stack[-1]
            undecided = [other for other in containers.get(position, ()) if other not in kept]
            if undecided:
                stack.extend(undecided)
                continue
            stack.pop()
            kept[position] = memberships[position].is_canonical and not any(
                kept[other] for other in containers.get(position, ())
            )
    return [kept.get(position, membership.is_canonical) for position, membership in enumerate(memberships)]


def link_containers(
    memberships: Sequence[ClusterMembership],
    order: Sequence[int],
    overlaps: Mapping[tuple[int, int], Overlap],
    ids: Sequence[str],
    settings: DedupSettings,
) -> list[ClusterMembership]:
    """The memberships with `contained_in` set, and canonical paragraphs whose text a kept container holds
    turned "contained" (measured against that container) and left out of the corpus."""
    rank = {position: index for index, position in enumerate(order)}
    containers = containers_of(memberships, overlaps, settings)
    kept = kept_in_corpus(memberships, containers)
    linked = []
    for position, membership in enumerate(memberships):
        if position not in containers:
            linked.append(membership)
            continue
        container = min(containers[position], key=lambda other: (not kept[other], rank[other]))
        jaccard, share = containers[position][container]
        if membership.is_canonical and not kept[position]:
            linked.append(
                ClusterMembership(
                    membership.cluster_id, False, "contained", round(jaccard, 4), round(share, 4), ids[container]
                )
            )
        else:
            linked.append(replace(membership, contained_in=ids[container]))
    return linked
