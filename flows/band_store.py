"""The band-key store: in each run folder's state/bands/, Parquet shards of what dedup knows about every
distinct paragraph and sentence text of that run, so the next run signs and verifies only new texts.

- `texts`: key (64-bit hash of the text as written), key of its normalised words, word count;
- `bands`: key, band, band key, one row per LSH band of each text of `min_words` words or more;
- `sentences`: key of a long paragraph text, index, key of the sentence (sentences are texts too);
- `checked`: every candidate pair of the run by text keys (first < second) with its exact overlap.

A run queries the previous store in place with DuckDB (`store_connection`) and writes its own by filtering
the previous rows to the texts still present and adding the new ones, a shard at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

BANDS_FOLDER = "bands"
SHARD_ROWS = 1_000_000
SCHEMAS = {
    "texts": pa.schema([("key", pa.uint64()), ("normalised_key", pa.uint64()), ("words", pa.int64())]),
    "bands": pa.schema([("key", pa.uint64()), ("band", pa.int16()), ("band_key", pa.uint64())]),
    "sentences": pa.schema([("key", pa.uint64()), ("sentence", pa.int32()), ("sentence_key", pa.uint64())]),
    "checked": pa.schema(
        [
            ("first_key", pa.uint64()),
            ("second_key", pa.uint64()),
            ("jaccard", pa.float64()),
            ("first_in_second", pa.float64()),
            ("second_in_first", pa.float64()),
        ]
    ),
}
# What the next run keeps of each table: the rows of the paragraph texts present now and of their sentences.
_KEPT = {
    "texts": "SELECT * FROM texts WHERE key IN (SELECT key FROM kept_texts)",
    "bands": "SELECT * FROM bands WHERE key IN (SELECT key FROM kept_texts)",
    "sentences": "SELECT * FROM sentences WHERE key IN (SELECT key FROM present)",
    "checked": "SELECT * FROM checked_now",
}


@dataclass(frozen=True)
class StoredBands:
    """The previous run's store (its folder), or none: then every text is new."""

    folder: Path | None = None


NO_BANDS = StoredBands()


@dataclass
class BandUpdate:
    """This run's store: the previous one's rows of the `present` paragraph texts and their sentences, the
    `new` rows of each table, and every candidate pair this run checked."""

    previous: StoredBands
    present: pa.Table
    checked: pa.Table
    new: dict[str, pa.Table] = field(default_factory=dict)


def load_band_store(state_folder: Path) -> StoredBands:
    """The store of a run's state folder (none when that run wrote none)."""
    folder = state_folder / BANDS_FOLDER
    return StoredBands(folder if all((folder / name).is_dir() for name in SCHEMAS) else None)


def store_connection(stored: StoredBands, new: dict[str, pa.Table]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose views `texts`, `bands`, `sentences` and `checked` are the stored shards (scanned
    in place as Arrow datasets, so no path is read as a glob) followed by the `new` rows."""
    connection = duckdb.connect(":memory:")
    for name, schema in SCHEMAS.items():
        shards = ds.dataset(stored.folder / name, schema, format="parquet") if stored.folder else schema.empty_table()
        connection.register(f"stored_{name}", shards)
        connection.register(f"new_{name}", new.get(name, schema.empty_table()))
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM stored_{name} UNION ALL SELECT * FROM new_{name}")
    return connection


def write_band_store(state_folder: Path, update: BandUpdate | None) -> None:
    """Write this run's store into its state folder, in shards of at most SHARD_ROWS rows (nothing when the run
    kept none: the next run signs every text)."""
    if update is None:
        return
    folder = state_folder / BANDS_FOLDER
    with store_connection(update.previous, update.new) as connection:
        connection.register("present", update.present)
        connection.register("checked_now", update.checked)
        connection.execute(
            "CREATE TEMP TABLE kept_texts AS SELECT key FROM present UNION "
            "SELECT sentence_key FROM sentences WHERE key IN (SELECT key FROM present)"
        )
        for name, query in _KEPT.items():
            _write_shards(connection.sql(query).to_arrow_reader(SHARD_ROWS), SCHEMAS[name], folder / name)


def _write_shards(batches: pa.RecordBatchReader, schema: pa.Schema, folder: Path) -> None:
    """One Parquet file per batch (at least one, so an empty table still has its schema on disk)."""
    folder.mkdir(parents=True)
    written = 0
    for batch in batches:
        pq.write_table(pa.Table.from_batches([batch]).cast(schema), folder / f"part-{written:05d}.parquet")
        written += 1
    if not written:
        pq.write_table(schema.empty_table(), folder / "part-00000.parquet")
