"""Clusters without chaining: each cluster is a canonical centre and the near-duplicates it covers.

Paragraphs are visited in canonical-policy order, except that a paragraph contained in a clearly
bigger one waits until every container has had its turn (a paragraph with a sentence more is the
canonical copy over it whatever the policy says). An unassigned paragraph becomes a centre and takes
every unassigned verified neighbour that is a near-duplicate of it and not clearly bigger: Jaccard at the
threshold, or contained in it without being clearly smaller (a copy reworded in a few places). So every
member matches its canonical copy directly: A~B and B~C never pull an unrelated C in with A, and the
two parts of a merged paragraph are two clusters, not members of the merge (containment is its own
relation, dedup/containment.py).

Maintainers' decisions (dedup/constraints.py) come first: a paragraph joins a cluster with every
paragraph merged with it ("merged" when it is not a near-duplicate of the canonical copy itself), and
never joins a cluster holding a paragraph split from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from dedup.constraints import NO_CONSTRAINTS, ClusterConstraints
from dedup.containment import Links, parts_inside
from dedup.pair_table import pair_measures, pair_positions
from dedup.records import ClusterMembership
from dedup.settings import DedupSettings
from dedup.verify import Overlap


def cover_links(pairs: np.ndarray, measures: np.ndarray, settings: DedupSettings) -> Links:
    """A link from centre to member for each way round of each pair (positions, measures as `pair_measures` gives
    them) in which the centre takes the member into its cluster: a near-duplicate (Jaccard at the threshold, or
    inside it without being clearly smaller) that is not clearly bigger. The pairs' first-to-second links come
    first, then their second-to-first ones; each way is found on its own, so no array of both ways is made whole."""
    jaccard, a_in_b, b_in_a = measures.T
    ways = (
        _covers(pairs[:, 0], pairs[:, 1], jaccard, b_in_a, a_in_b, settings),
        _covers(pairs[:, 1], pairs[:, 0], jaccard, a_in_b, b_in_a, settings),
    )
    return Links(*(np.concatenate(column) for column in zip(*ways)))


def _covers(
    centre: np.ndarray,
    member: np.ndarray,
    jaccard: np.ndarray,
    member_in_centre: np.ndarray,
    centre_in_member: np.ndarray,
    settings: DedupSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`cover_links`'s links one way round: centre, member, Jaccard and the member's share inside the centre."""
    gap, margin = member_in_centre - centre_in_member, settings.container_margin
    near = (jaccard >= settings.jaccard_threshold) | (
        (member_in_centre >= settings.containment_threshold) & (gap < margin)
    )
    rows = np.flatnonzero(near & (gap > -margin))
    return centre[rows], member[rows], jaccard[rows], member_in_centre[rows]


def containers_first(
    order: Sequence[int], overlaps: Mapping[tuple[int, int], Overlap], settings: DedupSettings
) -> list[int]:
    """Policy order, with paragraphs contained in a clearly bigger one moved after the rest."""
    contained = set(parts_inside(overlaps, settings).target.tolist())
    return [p for p in order if p not in contained] + [p for p in order if p in contained]


def centre_clusters(
    order: Sequence[int],
    overlaps: Mapping[tuple[int, int], Overlap],
    ids: Sequence[str],
    settings: DedupSettings,
    constraints: ClusterConstraints = NO_CONSTRAINTS,
    measure: Callable[[int, int], Overlap] | None = None,
) -> list[ClusterMembership]:
    """Assign every paragraph (by position) to a cluster; `overlaps[(i, j)]` holds verified pairs, i < j, and
    `measure(i, j)` measures a merged pair that is not one (needed only with merge constraints)."""
    neighbours: dict[int, list[int]] = {}
    for i, j in overlaps:
        neighbours.setdefault(i, []).append(j)
        neighbours.setdefault(j, []).append(i)
    covers = cover_links(pair_positions(overlaps), pair_measures(overlaps), settings)
    covering = {(centre, member): (jaccard, share) for centre, member, jaccard, share in covers.rows()}

    def covered(centre: int, member: int) -> ClusterMembership | None:
        """The member's place in the centre's cluster, if the centre covers it (`cover_links`)."""
        found = covering.get((centre, member))
        if found is None:
            return None
        jaccard, share = found
        kind = "exact" if jaccard >= 1.0 else "near_duplicate"
        return ClusterMembership(ids[centre], False, kind, round(jaccard, 4), round(share, 4))

    def merged(centre: int, member: int) -> ClusterMembership:
        """A member that joins through a maintainer's merge, measured against the centre."""
        key = (min(centre, member), max(centre, member))
        pair = overlaps.get(key) or measure(*key)
        member_in_centre = pair.a_in_b if member < centre else pair.b_in_a
        return ClusterMembership(ids[centre], False, "merged", round(pair.jaccard, 4), round(member_in_centre, 4))

    memberships: dict[int, ClusterMembership] = {}
    for centre in containers_first(order, overlaps, settings):
        if centre in memberships:
            continue
        memberships[centre] = ClusterMembership(ids[centre], True, "canonical", 1.0, 1.0)
        cluster = {centre}
        group = constraints.groups.get(centre, ())
        for member in [*group, *sorted(neighbours.get(centre, ()))]:
            if member in memberships or not constraints.allowed(cluster, member):
                continue
            joining = covered(centre, member) or (merged(centre, member) if member in group else None)
            if joining is None:
                continue
            memberships[member] = joining
            cluster.add(member)
            for partner in constraints.groups.get(member, ()):
                if partner not in memberships and constraints.allowed(cluster, partner):
                    memberships[partner] = covered(centre, partner) or merged(centre, partner)
                    cluster.add(partner)
    has_members = {membership.cluster_id for membership in memberships.values() if not membership.is_canonical}
    for position, membership in memberships.items():
        if membership.is_canonical and membership.cluster_id not in has_members:
            memberships[position] = ClusterMembership(membership.cluster_id, True, "unique", 1.0, 1.0)
    return [memberships[position] for position in range(len(ids))]
