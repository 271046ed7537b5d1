"""Clusters and trims carried over from the previous run (issue 14). A component of the graph of overlapping
pairs whose signature the previous run stored (same paragraphs, policy keys, texts and pairs) keeps the memberships
it had; only the others are clustered again. Components a maintainer's merge or split touches are always clustered
again and never stored, as the signature does not hold the constraints. Partial pairs decide only the corpus trims
between canonical paragraphs: a trim whose key (its paragraph's text and its keepers' texts in policy order, all
it reads) the previous run stored keeps the corpus text it had; only the others are trimmed again. A pair measured
again after spelling fixes whose two texts the previous run measured keeps the measure it had (`measure_keys`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Protocol

import numpy as np
import pyarrow as pa

from dedup.blake2 import word_digests
from dedup.components import Pairs, Signatures, component_labels, component_signatures, paragraph_hashes
from dedup.constraints import ClusterConstraints
from dedup.pair_table import pair_positions
from dedup.records import MEMBERSHIP_COLUMNS, ParagraphIds
from dedup.settings import DedupSettings
from dedup.trim import Keepers, trim_partial_repeats
from dedup.verify import Overlap

# A pair's `measure_keys` key, and a pair measured again as stored: its key and its overlap (float64, as `Overlap`).
MEASURE_KEY = pa.binary(16)
MEASURE_COLUMNS = pa.schema([("key", MEASURE_KEY), *((part.name, pa.float64()) for part in fields(Overlap))])
# A trim as stored: its `trim_keys` key and the corpus text it gave (null: nothing trimmed).
TRIM_COLUMNS = pa.schema([("key", MEASURE_KEY), ("corpus_text", pa.string())])


@dataclass(frozen=True)
class CarriedRows:
    """The stored rows of some components as the run that clustered them left them, as columns: whether each
    signature asked for is stored, and each row's paragraph id and membership (MEMBERSHIP_COLUMNS)."""

    found: np.ndarray
    paragraph_ids: pa.ChunkedArray = field(default_factory=lambda: pa.chunked_array([], pa.string()))
    memberships: pa.Table = field(default_factory=MEMBERSHIP_COLUMNS.empty_table)


class CarriedClusters(Protocol):
    """The previous run's clustered components, by signature, and its trims, by key."""

    def members(self, signatures: pa.Array) -> CarriedRows:
        """The stored rows of those of the signatures (a SIGNATURE column) that are stored."""
        ...

    def trims(self, keys: pa.Array) -> tuple[np.ndarray, pa.ChunkedArray]:
        """Whether each of the trim keys (`trim_keys`) is stored, and the corpus text stored for it (null where
        nothing was trimmed or none is stored)."""
        ...

    def measures(self, keys: pa.Array) -> np.ndarray:
        """The overlap stored for each of the pair keys (`measure_keys`), a row (jaccard, a_in_b, b_in_a) each,
        NaN where none is stored."""
        ...


class NothingCarried:
    """No previous run: every component is clustered, every trim made."""

    def members(self, signatures: pa.Array) -> CarriedRows:
        return CarriedRows(np.zeros(len(signatures), dtype=bool))

    def trims(self, keys: pa.Array) -> tuple[np.ndarray, pa.ChunkedArray]:
        return np.zeros(len(keys), dtype=bool), pa.chunked_array([pa.nulls(len(keys), pa.string())])

    def measures(self, keys: pa.Array) -> np.ndarray:
        return np.full((len(keys), 3), np.nan)


NOTHING_CARRIED = NothingCarried()


@dataclass
class Components:
    """This run's components of more than one paragraph that may be stored: each position's component label, the
    signature of each such component, and whether each signature's clusters were carried over (a row each)."""

    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    signatures: Signatures = field(default_factory=Signatures)
    carried: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass
class CarriedOver:
    """The components, and the memberships carried over (MEMBERSHIP_COLUMNS, a row for each of `positions`)."""

    components: Components
    positions: np.ndarray
    memberships: pa.Table


def carry_over(
    ids: ParagraphIds,
    paired: np.ndarray,
    keys: np.ndarray,
    hashes: np.ndarray,
    overlaps: Pairs,
    constraints: ClusterConstraints,
    carried: CarriedClusters,
) -> CarriedOver:
    """Sign every component of the overlapping pairs and take the clusters of those stored; `keys` holds the
    `key_hashes` of the policy key of each paragraph in a pair (`paired`, ascending; the others are alone, never
    signed), `hashes` each text's `dedup.text_hash.text_hashes`."""
    labels = component_labels(len(ids), pair_positions(overlaps))
    signatures = component_signatures(labels, paragraph_hashes(len(ids), paired, keys, hashes), (overlaps,))
    decided = labels[sorted(constraints.positions())]
    if len(decided):
        signatures = signatures.taken(~np.isin(signatures.labels, decided))
    stored = carried.members(signatures.column)
    positions = np.zeros(0, dtype=np.int64)
    if len(stored.paragraph_ids):
        among = paired[np.isin(labels[paired], signatures.labels[stored.found])]  # a stored row's id is one of these
        positions = ids.find(stored.paragraph_ids, among)
    return CarriedOver(Components(labels, signatures, stored.found), positions, stored.memberships)


@dataclass
class CarriedTrims:
    """The corpus text of each trimmed canonical paragraph (by position), and a row for every distinct trim this run
    asked for, trimmed or not (TRIM_COLUMNS: its key and corpus text, null when nothing was trimmed; where its key
    first comes), for the next run."""

    texts: dict[int, str]
    table: pa.Table


def carry_trims(
    texts: Sequence[str], hashes: np.ndarray, keepers: Keepers, settings: DedupSettings, carried: CarriedClusters
) -> CarriedTrims:
    """The trims of `keepers` (`dedup.trim.trim_keepers`): those whose key is stored taken as stored, the others
    made (`trim_partial_repeats`); `hashes` holds each text's `dedup.text_hash.text_hashes`. By array: only the
    trims made and the stored ones that trimmed something become Python objects."""
    keys = trim_keys(hashes, keepers)
    stored, stored_texts = carried.trims(keys)
    unstored = np.flatnonzero(~stored)
    made = trim_partial_repeats(texts, keepers.as_dict(unstored), settings)
    made_texts = pa.array([made.get(other) for other in keepers.others[unstored].tolist()], pa.string())
    texts_of = pa.chunked_array([*stored_texts.chunks, made_texts], pa.string())  # the stored, then those made
    rows = np.arange(len(keepers))  # each trim's row of `texts_of`: only the rows wanted are taken, no column whole
    rows[unstored] = len(keepers) + np.arange(len(unstored))
    trimmed = texts_of.is_valid().to_numpy(zero_copy_only=False)[rows]
    positions, found = keepers.others[trimmed], texts_of.take(pa.array(rows[trimmed])).to_pylist()
    in_order = np.argsort(positions).tolist()  # distinct positions
    stored_rows = _first_rows(keys)  # two trims of the same texts give one text: stored once
    return CarriedTrims(
        {int(positions[row]): found[row] for row in in_order},
        pa.Table.from_arrays(
            [keys.take(pa.array(stored_rows)), texts_of.take(pa.array(rows[stored_rows]))], schema=TRIM_COLUMNS
        ),
    )


def trim_keys(hashes: np.ndarray, keepers: Keepers) -> pa.Array:
    """A 128-bit key of all a trim reads, a MEASURE_KEY column in the order of `keepers`: the text of the paragraph
    trimmed and its keepers' texts, in order (`hashes`: each text's `dedup.text_hash.text_hashes`), their hashes
    joined and digested (`dedup.blake2.word_digests`, compiled)."""
    lengths = 1 + np.diff(keepers.bounds)
    read = np.empty(int(lengths.sum()), dtype=np.int64)
    firsts = np.cumsum(lengths) - lengths
    is_first = np.zeros(len(read), dtype=bool)
    is_first[firsts] = True
    read[firsts], read[~is_first] = keepers.others, keepers.ahead
    lanes = hashes.shape[1]
    return word_digests(hashes[read], np.append(firsts, len(read)) * lanes)


def measure_keys(hashes: np.ndarray, pairs: np.ndarray) -> pa.Array:
    """A 128-bit key of all measuring a pair reads, as a MEASURE_KEY column: its two texts, the one at the lower
    position first (the measures are oriented so), their hashes joined and digested (`dedup.blake2.word_digests`);
    `pairs` is an (m, 2) array of positions, `hashes` each text's `dedup.text_hash.text_hashes`."""
    pairs = pairs.reshape(-1, 2)
    width = 2 * hashes.shape[1]
    return word_digests(hashes[pairs], np.arange(0, width * len(pairs) + 1, width))


def measure_table(keys: pa.Array, shares: np.ndarray) -> pa.Table:
    """The pairs measured again as MEASURE_COLUMNS: each distinct key (`measure_keys`) once, where it first comes,
    with its row of `shares` (pairs of the same two texts measure the same)."""
    first = _first_rows(keys)
    columns = [keys.take(pa.array(first)), *(pa.array(shares[first, lane]) for lane in range(3))]
    return pa.Table.from_arrays(columns, schema=MEASURE_COLUMNS)


def _first_rows(keys: pa.Array) -> np.ndarray:
    """The rows (ascending) where each distinct key of a MEASURE_KEY column first comes: the keys sorted stably by
    their first 8 bytes (a row's place among equal keys is its order), by both halves only when two keys share the
    first half but not the second (np.unique over rows sorts them as 16-byte records: six times as long)."""
    lanes = np.frombuffer(keys.buffers()[1], dtype=np.uint64, count=2 * len(keys), offset=keys.offset * 16)
    lanes = lanes.reshape(-1, 2)
    order = np.argsort(lanes[:, 0], kind="stable")
    first, second = lanes[order, 0], lanes[order, 1]
    new = np.ones(len(order), dtype=bool)
    np.not_equal(first[1:], first[:-1], out=new[1:])
    if (~new[1:] & (second[1:] != second[:-1])).any():
        order = np.lexsort((lanes[:, 1], lanes[:, 0]))
        new[1:] = (lanes[order[1:]] != lanes[order[:-1]]).any(axis=1)
    return np.sort(order[new])
