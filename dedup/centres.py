"""Centre clusters and containment links by array, for the paragraphs no maintainer's decision touches: what
dedup/cluster.py's walk (`centre_clusters`) and dedup/containment.py's `link_containers` give, found as the fixed
point of the rule each follows instead of by a walk in Python over every paragraph and pair.

In clustering order a paragraph joins the first centre before it that covers it, or is a centre itself: its
membership depends only on the memberships of paragraphs before it. Applying that rule to every paragraph at once,
round after round, settles one more link of the longest chain of paragraphs each covering the next every round, and
the rule has one fixed point (the walk's result), so the first round that changes nothing ends it. The corpus keeps a
canonical paragraph unless a kept paragraph of another cluster holds it; containers are strictly bigger, so the
same rounds settle that too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from dedup.cluster import cover_links
from dedup.containment import Links, inside_links
from dedup.pair_table import pair_measures, pair_positions
from dedup.records import MEMBERSHIP_COLUMNS, ParagraphIds
from dedup.settings import DedupSettings
from dedup.verify import Overlap

# The `match` of a membership, by code.
_MATCHES = pa.array(["canonical", "unique", "exact", "near_duplicate", "contained"], pa.string())
_CANONICAL, _UNIQUE, _EXACT, _NEAR, _CONTAINED = range(5)


def array_memberships(
    positions: np.ndarray,
    order: np.ndarray,
    overlaps: Mapping[tuple[int, int], Overlap],
    ids: ParagraphIds,
    settings: DedupSettings,
) -> pa.Table:
    """The memberships (MEMBERSHIP_COLUMNS, a row for each of `positions`, ascending) of clustering those paragraphs,
    `order` being the same positions in policy order; no pair of `overlaps` may leave them."""
    count = len(positions)
    numbers = np.full(len(ids), -1, dtype=np.int64)
    numbers[positions] = np.arange(count)
    pairs, measures = _pairs_among(numbers, overlaps)
    rank = np.empty(count, dtype=np.int64)
    rank[numbers[order]] = np.arange(count)
    inside = inside_links(pairs, measures, settings.containment_threshold, settings.container_margin)
    contained = np.zeros(count, dtype=bool)
    contained[inside.target] = True
    turn = np.empty(count, dtype=np.int64)
    turn[np.lexsort((rank, contained))] = np.arange(count)  # policy order, contained paragraphs last
    joined = centre_links(count, cover_links(pairs, measures, settings), turn)
    cluster = np.arange(count)
    cluster[joined.target] = joined.source
    match = np.full(count, _UNIQUE, dtype=np.int64)
    match[joined.source] = _CANONICAL
    match[joined.target] = np.where(joined.jaccard >= 1.0, _EXACT, _NEAR)
    jaccard, share = np.ones(count), np.ones(count)
    jaccard[joined.target], share[joined.target] = joined.jaccard, joined.share
    is_centre = cluster == np.arange(count)
    held = inside.taken(np.flatnonzero(cluster[inside.source] != cluster[inside.target]))
    holder, kept = container_links(held, is_centre, rank)
    contained_in = np.full(count, -1, dtype=np.int64)
    contained_in[holder.target] = holder.source
    dropped = holder.taken(np.flatnonzero(~kept[holder.target] & is_centre[holder.target]))
    match[dropped.target] = _CONTAINED
    jaccard[dropped.target], share[dropped.target] = dropped.jaccard, dropped.share
    return _membership_table(ids.column(positions), cluster, is_centre & kept, match, jaccard, share, contained_in)


def _pairs_among(numbers: np.ndarray, overlaps: Mapping[tuple[int, int], Overlap]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of `overlaps` among the numbered positions (`numbers[position] >= 0`), by their numbers, and their
    measures; when every pair is among them (a full run), the measures as they are, not copied."""
    found, measures = pair_positions(overlaps), pair_measures(overlaps)
    among = numbers[found[:, 0]] >= 0
    if among.all():
        return numbers[found], measures
    rows = np.flatnonzero(among)
    return numbers[found[rows]], measures[rows]


def centre_links(count: int, covers: Links, turn: np.ndarray) -> Links:
    """The link from its centre to each member, among `count` paragraphs visited in `turn` order: each joins the
    first centre before it that covers it; a paragraph no centre before it covers is a centre."""
    ahead = covers.taken(np.flatnonzero(turn[covers.source] < turn[covers.target]))
    ahead = ahead.taken(np.lexsort((turn[ahead.source], ahead.target)))
    is_centre = np.ones(count, dtype=bool)
    for _ in range(count + 1):  # a round settles at least one more paragraph
        firsts = _first_of_each(ahead.target, np.flatnonzero(is_centre[ahead.source]))
        settled = np.ones(count, dtype=bool)
        settled[ahead.target[firsts]] = False
        if np.array_equal(settled, is_centre):
            return ahead.taken(firsts)
        is_centre = settled
    raise AssertionError("centre rounds did not settle")


def container_links(held: Links, is_centre: np.ndarray, rank: np.ndarray) -> tuple[Links, np.ndarray]:
    """For each paragraph inside a paragraph of another cluster (`held`: container to part), the link to the
    container it names: a kept one if any, among those the first in policy `rank`; a centre is kept unless a kept
    container holds it (`dedup.containment.kept_in_corpus`); and whether the corpus keeps each paragraph."""
    kept = is_centre.copy()
    for _ in range(len(kept) + 1):  # containers are bigger: a round settles at least one more paragraph
        settled = is_centre.copy()
        settled[held.target[kept[held.source]]] = False
        if np.array_equal(settled, kept):
            break
        kept = settled
    else:
        raise ValueError("containment runs in a circle: a container must be bigger than what it holds")
    held = held.taken(np.lexsort((rank[held.source], ~kept[held.source], held.target)))
    chosen = held.taken(_first_of_each(held.target, np.arange(len(held.target))))
    return chosen, kept


def _first_of_each(keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Of `rows` (ascending) into `keys` (sorted), the first row of each key they hold."""
    found = keys[rows]
    return rows[np.flatnonzero(np.r_[True, found[1:] != found[:-1]])] if len(rows) else rows


def _membership_table(
    ids: pa.Array,
    cluster: np.ndarray,
    is_canonical: np.ndarray,
    match: np.ndarray,
    jaccard: np.ndarray,
    share: np.ndarray,
    contained_in: np.ndarray,
) -> pa.Table:
    """The memberships as MEMBERSHIP_COLUMNS; the measures rounded to four places as Python rounds them (as the
    walk does)."""
    return pa.table(
        {
            "cluster_id": ids.take(pa.array(cluster)),
            "is_canonical": pa.array(is_canonical),
            "match": _MATCHES.take(pa.array(match)),
            "jaccard": pa.array(rounded(jaccard), pa.float64()),
            "containment": pa.array(rounded(share), pa.float64()),
            "contained_in": ids.take(pa.array(contained_in, mask=contained_in < 0)),
        },
        MEMBERSHIP_COLUMNS,
    )


def rounded(values: np.ndarray) -> np.ndarray:
    """The values rounded to four places as Python's `round` rounds them, each distinct value rounded once: a
    corpus's measures are ratios of small counts, so far fewer distinct values than paragraphs."""
    distinct, found = np.unique(values, return_inverse=True)
    return np.array([round(value, 4) for value in distinct.tolist()], dtype=np.float64)[found.ravel()]
