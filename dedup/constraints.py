"""Maintainers' cluster decisions as constraints on paragraph positions (`copydesk review merge / split`).

A merged pair is a verified match whatever it measures, and the paragraphs merged with each other,
directly or through a chain of merges, always share one cluster. A split pair is never a match, and no
cluster may hold both paragraphs, also when each matches a third one. Decisions name paragraphs by their
text's fingerprint, so a pair covers every copy of either text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from dedup.verify import Overlap


@dataclass(frozen=True)
class ClusterConstraints:
    """Position pairs (i < j) merged or split, each position's merge group (the other positions), and the
    positions each one may never share a cluster with."""

    merged: frozenset[tuple[int, int]] = frozenset()
    split: frozenset[tuple[int, int]] = frozenset()
    groups: dict[int, tuple[int, ...]] = field(default_factory=dict)
    apart: dict[int, frozenset[int]] = field(default_factory=dict)

    def allowed(self, cluster: Collection[int], newcomer: int) -> bool:
        """True when no paragraph of the cluster was split from the newcomer."""
        barred = self.apart.get(newcomer)
        return not barred or barred.isdisjoint(cluster)

    def positions(self) -> set[int]:
        """Every position a merge or a split names."""
        return {position for pair in self.merged | self.split for position in pair}

    def renumbered(self, index: dict[int, int]) -> ClusterConstraints:
        """The constraints with each position replaced by its number in `index` (which holds every position)."""
        if not (self.merged or self.split):
            return self

        def pairs(named: frozenset[tuple[int, int]]) -> frozenset[tuple[int, int]]:
            return frozenset((index[i], index[j]) for i, j in named)

        return ClusterConstraints(
            pairs(self.merged),
            pairs(self.split),
            {index[p]: tuple(index[other] for other in group) for p, group in self.groups.items()},
            {index[p]: frozenset(index[other] for other in barred) for p, barred in self.apart.items()},
        )


NO_CONSTRAINTS = ClusterConstraints()


def _position_pairs(
    positions_of: dict[str, list[int]], fingerprint_pairs: Iterable[tuple[str, str]]
) -> frozenset[tuple[int, int]]:
    """Every position pair (i < j) the fingerprint pairs name."""
    return frozenset(
        (min(i, j), max(i, j))
        for first, second in fingerprint_pairs
        for i in positions_of.get(first, ())
        for j in positions_of.get(second, ())
        if i != j
    )


def _merge_groups(pairs: Iterable[tuple[int, int]]) -> dict[int, tuple[int, ...]]:
    """Connected components of the merged pairs: each position's fellow members, in order."""
    parent: dict[int, int] = {}

    def root(position: int) -> int:
        while parent.setdefault(position, position) != position:
            parent[position] = parent[parent[position]]
            position = parent[position]
        return position

    for i, j in pairs:
        parent[root(i)] = root(j)
    members: dict[int, list[int]] = defaultdict(list)
    for position in sorted(parent):
        members[root(position)].append(position)
    return {
        position: tuple(other for other in group if other != position)
        for group in members.values()
        for position in group
    }


def cluster_constraints(
    fingerprints: Sequence[str], merge: Iterable[tuple[str, str]], split: Iterable[tuple[str, str]]
) -> ClusterConstraints:
    """The constraints that merged and split fingerprint pairs put on the paragraphs (by position) carrying them."""
    positions_of: dict[str, list[int]] = defaultdict(list)
    for position, fingerprint in enumerate(fingerprints):
        positions_of[fingerprint].append(position)
    merged, split_pairs = _position_pairs(positions_of, merge), _position_pairs(positions_of, split)
    apart: dict[int, set[int]] = defaultdict(set)
    for i, j in split_pairs:
        apart[i].add(j)
        apart[j].add(i)
    return ClusterConstraints(
        merged, split_pairs, _merge_groups(merged), {position: frozenset(others) for position, others in apart.items()}
    )


def constrained_overlaps(
    overlaps: Mapping[tuple[int, int], Overlap],
    constraints: ClusterConstraints,
    measure: Callable[[int, int], Overlap],
) -> Mapping[tuple[int, int], Overlap]:
    """The verified pairs without the split ones and with the merged ones (measured by `measure(i, j)`); without
    either, the verified pairs themselves (not a copy)."""
    if not (constraints.split or constraints.merged):
        return overlaps
    kept = {pair: measured for pair, measured in overlaps.items() if pair not in constraints.split}
    for pair in sorted(constraints.merged - kept.keys() - constraints.split):
        kept[pair] = measure(*pair)
    return kept
