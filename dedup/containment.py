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
from dataclasses import replace

from dedup.records import ClusterMembership
from dedup.verify import Overlap


def parts_inside(
    overlaps: Mapping[tuple[int, int], Overlap], containment_threshold: float, margin: float
) -> Iterator[tuple[int, int, Overlap]]:
    """(part, container, the pair's overlap seen from the part) of each verified pair where one paragraph lies
    inside a clearly bigger one (by `margin`)."""
    for (i, j), pair in overlaps.items():
        if pair.a_in_b >= containment_threshold and pair.a_in_b - pair.b_in_a >= margin:
            yield i, j, pair
        elif pair.b_in_a >= containment_threshold and pair.b_in_a - pair.a_in_b >= margin:
            yield j, i, Overlap(pair.jaccard, pair.b_in_a, pair.a_in_b)


def containers_of(
    memberships: Sequence[ClusterMembership],
    overlaps: Mapping[tuple[int, int], Overlap],
    containment_threshold: float,
    margin: float,
) -> dict[int, dict[int, Overlap]]:
    """For each paragraph (by position), the paragraphs of other clusters it lies inside, with the pair's
    overlap seen from it (`a_in_b`: its share inside the container)."""
    containers: dict[int, dict[int, Overlap]] = defaultdict(dict)
    for part, container, pair in parts_inside(overlaps, containment_threshold, margin):
        if memberships[part].cluster_id != memberships[container].cluster_id:
            containers[part][container] = pair
    return containers


def kept_in_corpus(memberships: Sequence[ClusterMembership], containers: dict[int, dict[int, Overlap]]) -> list[bool]:
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
    containment_threshold: float,
    margin: float,
) -> list[ClusterMembership]:
    """The memberships with `contained_in` set, and canonical paragraphs whose text a kept container holds
    turned "contained" (measured against that container) and left out of the corpus."""
    rank = {position: index for index, position in enumerate(order)}
    containers = containers_of(memberships, overlaps, containment_threshold, margin)
    kept = kept_in_corpus(memberships, containers)
    linked = []
    for position, membership in enumerate(memberships):
        if position not in containers:
            linked.append(membership)
            continue
        container = min(containers[position], key=lambda other: (not kept[other], rank[other]))
        pair = containers[position][container]
        if membership.is_canonical and not kept[position]:
            linked.append(
                ClusterMembership(
                    membership.cluster_id,
                    False,
                    "contained",
                    round(pair.jaccard, 4),
                    round(pair.a_in_b, 4),
                    ids[container],
                )
            )
        else:
            linked.append(replace(membership, contained_in=ids[container]))
    return linked
