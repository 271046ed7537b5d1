"""Clusters carried over from the previous run (issue 14): a component of the pair graph whose signature the
previous run stored (same paragraphs, policy keys, texts and pairs) keeps the memberships and corpus trims it
had; only the others are clustered again. Components a maintainer's merge or split touches are always clustered
again and never stored, as the signature does not hold the constraints.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from dedup.components import Pairs, component_labels, component_signatures, paragraph_hashes
from dedup.constraints import ClusterConstraints
from dedup.records import ClusterMembership


@dataclass(frozen=True)
class CarriedRows:
    """The stored rows of some components as the run that clustered them left them, column by column: the
    signatures found, and each row's paragraph id, membership and, for a trimmed canonical paragraph, corpus text."""

    signatures: frozenset[bytes] = frozenset()
    paragraph_ids: list[str] = field(default_factory=list)
    memberships: list[ClusterMembership] = field(default_factory=list)
    corpus_texts: list[str | None] = field(default_factory=list)


class CarriedClusters(Protocol):
    """The previous run's clustered components, by signature."""

    def members(self, signatures: Collection[bytes]) -> CarriedRows:
        """The stored rows of those of the signatures that are stored."""
        ...


class NothingCarried:
    """No previous run: every component is clustered."""

    def members(self, signatures: Collection[bytes]) -> CarriedRows:
        return CarriedRows()


NOTHING_CARRIED = NothingCarried()


@dataclass
class Components:
    """This run's components of more than one paragraph that may be stored: each position's component label, the
    signature of each such component (by label), and the signatures whose clusters were carried over."""

    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    signatures: dict[int, bytes] = field(default_factory=dict)
    carried: frozenset[bytes] = frozenset()


@dataclass
class CarriedOver:
    """The components, and what was carried over for their positions: memberships and corpus trims."""

    components: Components
    memberships: dict[int, ClusterMembership]
    trims: dict[int, str]


def carry_over(
    ids: Sequence[str],
    keys: Mapping[int, tuple],
    texts: Sequence[str],
    overlaps: Pairs,
    partial: Pairs,
    constraints: ClusterConstraints,
    carried: CarriedClusters,
) -> CarriedOver:
    """Sign every component of the overlapping and partial pairs and take the clusters of those stored; `keys`
    holds the policy key of each paragraph in a pair (the others are alone, never signed)."""
    pairs = np.array([*overlaps, *partial], dtype=np.int64).reshape(-1, 2)
    labels = component_labels(len(ids), pairs)
    signatures = component_signatures(labels, paragraph_hashes(len(ids), keys, texts), (overlaps, partial))
    for label in {int(labels[position]) for position in constraints.positions()}:
        signatures.pop(label, None)
    stored = carried.members(signatures.values())
    position_of = {ids[position]: position for position in keys} if stored.paragraph_ids else {}
    positions = [position_of[paragraph_id] for paragraph_id in stored.paragraph_ids]
    memberships = dict(zip(positions, stored.memberships))
    trims = {position: text for position, text in zip(positions, stored.corpus_texts) if text is not None}
    return CarriedOver(Components(labels, signatures, stored.signatures), memberships, trims)
