"""The clustered components and the trims of each run, kept in its state. state/clusters.parquet: a row per
paragraph of every component of the overlapping pairs that may be stored (dedup/carry.py), with the component's
signature and the paragraph's membership. state/trims.parquet: a row per trim the run asked for, its key and the
corpus text it gave (null: nothing trimmed). state/remeasured.parquet: a row per pair measured again after spelling
fixes, the key of its two texts and its overlap. The next run carries over the clusters of the components whose
signature is stored, the trims and the measures whose key is, and clusters, trims and measures only the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dedup.carry import MEASURE_COLUMNS, TRIM_COLUMNS, CarriedRows
from dedup.components import SIGNATURE
from dedup.deduplicate import DedupResult
from dedup.records import MEMBERSHIP_COLUMNS, ParagraphIds, ParagraphRecord
from flows.outputs.files import write_table
from flows.outputs.schema import MEMBERSHIP

CLUSTERS_FILE = "clusters.parquet"
TRIMS_FILE = "trims.parquet"
MEASURES_FILE = "remeasured.parquet"
# The membership columns of paragraphs.parquet, with the overlaps kept as clustering measured them (float64).
_MEMBERSHIP = [field.with_type(pa.float64()) if pa.types.is_floating(field.type) else field for field in MEMBERSHIP]
CLUSTERS = pa.schema([("signature", SIGNATURE), ("paragraph_id", pa.string()), *_MEMBERSHIP])


@dataclass(frozen=True)
class StoredClusters:
    """The previous run's clustered components, trims and pairs measured again (none when it stored none)."""

    table: pa.Table = field(default_factory=CLUSTERS.empty_table)
    trim_table: pa.Table = field(default_factory=TRIM_COLUMNS.empty_table)
    measure_table: pa.Table = field(default_factory=MEASURE_COLUMNS.empty_table)

    def members(self, signatures: pa.Array) -> CarriedRows:
        """The stored rows of those of the signatures (a SIGNATURE column) that are stored."""
        if not self.table.num_rows or not len(signatures):
            return CarriedRows(np.zeros(len(signatures), dtype=bool))
        found = self.table.filter(pc.is_in(self.table["signature"], value_set=signatures))
        memberships = found.select(MEMBERSHIP_COLUMNS.names).cast(MEMBERSHIP_COLUMNS)
        stored = pc.is_in(signatures, value_set=pc.unique(found["signature"]))
        return CarriedRows(stored.to_numpy(zero_copy_only=False), found["paragraph_id"], memberships)

    def trims(self, keys: pa.Array) -> tuple[np.ndarray, pa.ChunkedArray]:
        """Whether each of the trim keys is stored, and the corpus text stored for it (null where nothing was
        trimmed or none is stored; looked up by Arrow)."""
        rows = pc.index_in(keys, value_set=self.trim_table["key"].combine_chunks())
        return rows.is_valid().to_numpy(zero_copy_only=False), self.trim_table["corpus_text"].take(rows)

    def measures(self, keys: pa.Array) -> np.ndarray:
        """The overlap stored for each of the pair keys, a row (jaccard, a_in_b, b_in_a) each, NaN where none is
        stored (looked up by Arrow)."""
        rows = pc.index_in(keys, value_set=self.measure_table["key"].combine_chunks())
        found = rows.is_valid().to_numpy(zero_copy_only=False)
        shares = np.full((len(keys), 3), np.nan)
        taken = self.measure_table.select(MEASURE_COLUMNS.names[1:]).take(rows.drop_null())
        shares[found] = np.column_stack([column.to_numpy() for column in taken.columns]).reshape(-1, 3)
        return shares


NO_CLUSTERS = StoredClusters()


@dataclass
class ClusterUpdate:
    """What the next run's store is made of: the previous store (for the components carried over) and this run's
    paragraphs and clusters."""

    previous: StoredClusters
    records: Sequence[ParagraphRecord]
    dedup: DedupResult


def load_clusters(folder: Path) -> StoredClusters:
    """The stored components, trims and measures of a state folder (none in a state written before they were
    stored)."""
    clusters, trims, measures = folder / CLUSTERS_FILE, folder / TRIMS_FILE, folder / MEASURES_FILE
    return StoredClusters(
        pq.read_table(clusters, columns=CLUSTERS.names).cast(CLUSTERS)
        if clusters.is_file()
        else CLUSTERS.empty_table(),
        pq.read_table(trims, schema=TRIM_COLUMNS) if trims.is_file() else TRIM_COLUMNS.empty_table(),
        pq.read_table(measures, schema=MEASURE_COLUMNS) if measures.is_file() else MEASURE_COLUMNS.empty_table(),
    )


def write_clusters(folder: Path, update: ClusterUpdate | None) -> None:
    """Write this run's store: the carried components' rows as they were, and a row per paragraph of each
    component clustered this run; a row per trim this run asked for; a row per pair it measured again."""
    if update is None:
        return
    previous, components = update.previous.table, update.dedup.components
    signatures = components.signatures
    carried = previous.filter(pc.is_in(previous["signature"], value_set=signatures.taken(components.carried).column))
    clustered = signatures.taken(~components.carried)
    positions = np.flatnonzero(np.isin(components.labels, clustered.labels))
    rows = np.searchsorted(clustered.labels, components.labels[positions])  # the labels are ascending
    memberships = update.dedup.memberships.columns(positions)
    columns = {
        "signature": clustered.column.take(pa.array(rows, pa.int64())),
        "paragraph_id": ParagraphIds(update.records).column(positions),
        **{field.name: memberships[field.name] for field in MEMBERSHIP},
    }
    write_table(pa.concat_tables([carried, pa.table(columns, schema=CLUSTERS)]), folder / CLUSTERS_FILE)
    write_table(update.dedup.trims, folder / TRIMS_FILE)
    write_table(update.dedup.measures, folder / MEASURES_FILE)
