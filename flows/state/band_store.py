"""The band-key store: in each run folder's state/bands/, Parquet shards of what dedup knows about every
distinct paragraph and sentence text of that run, so the next run signs and verifies only new texts.

- `texts`: key (64-bit hash of the text as written), key of its normalised words, word count;
- `bands`: key, band, band key, one row per LSH band of each text of `min_words` words or more (the paragraph
  index's `lsh_bands` bands, then the sentence index's `sentence_lsh_bands`);
- `sentences`: key of a long paragraph text, index, key of the sentence (sentences are texts too);
- `checked`: every candidate pair of the run by text keys (first < second) with its exact overlap;
- `representatives`: each text key that stood for its exact copies, with how many positions it stood at;
- `crowded`: the band runs of more than MAX_RUN rows, with the key of their first owner;
- `crowded_groups`: the short texts' normalised keys shared by more than MAX_SHARED_GROUP rows.

The last three let the next run search candidates only where something changed (flows/stages/band_matches.py); a
store without them (written by an older copydesk) is still read, and the next run searches everywhere.

A run queries the previous store in place with DuckDB (`store_connection`) and writes its own by linking
the previous shards whose rows it keeps, rewriting those it drops rows of, and adding the new rows as new
shards; the last three tables are small and written whole.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from flows.runtime.memory import bounded_duckdb
from flows.state.parts import compact_small_parts, link_part, part_paths, write_parts

BANDS_FOLDER = "bands"
SHARD_ROWS = 1_000_000
# A table's parts of fewer than SHARD_ROWS rows (one an incremental run, mostly) merged once there are more.
MAX_SMALL_PARTS = 8
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
SEARCH_SCHEMAS = {
    "representatives": pa.schema([("key", pa.uint64()), ("count", pa.int64())]),
    "crowded": pa.schema(
        [("kind", pa.int8()), ("band", pa.int16()), ("band_key", pa.uint64()), ("first_key", pa.uint64())]
    ),
    "crowded_groups": pa.schema([("normalised_key", pa.uint64())]),
}
# The previous rows the next run drops: those of the texts no longer present (neither a paragraph text of this
# run nor a sentence of one), of the paragraph texts no longer present, and the pairs the run names (`dropped_pairs`,
# those it no longer holds candidates); for each table, the dropped keys and the columns that match them. Every new
# row is kept.
_DROPPED = {
    "dropped_texts": "SELECT key FROM stored_texts ANTI JOIN kept_texts USING (key)",
    "dropped_paragraphs": "SELECT DISTINCT key FROM stored_sentences ANTI JOIN present USING (key)",
}
# A run's new rows of a table: an Arrow table, or Parquet parts in the run's work folder (flows/stages/new_rows.py).
NewRows = Mapping[str, pa.Table | Sequence[Path]]
_DROPS = {
    "texts": ("dropped_texts", "key"),
    "bands": ("dropped_texts", "key"),
    "sentences": ("dropped_paragraphs", "key"),
    "checked": ("dropped_pairs", "first_key, second_key"),
}


@dataclass(frozen=True)
class StoredBands:
    """The previous run's store (its folder), or none: then every text is new."""

    folder: Path | None = None

    @property
    def searched(self) -> bool:
        """Whether the store holds what its run's candidate search left (`SEARCH_SCHEMAS`)."""
        return self.folder is not None and _holds_tables(self.folder, SEARCH_SCHEMAS)


NO_BANDS = StoredBands()


@dataclass
class BandUpdate:
    """This run's store: the previous one's rows of the `present` paragraph texts and their sentences, the
    `new` rows of each table, the candidate pairs this run checked (a table, or Parquet parts: those it did not carry
    as stored), the stored pairs it drops (`dropped_pairs`: first_key, second_key), what its candidate search leaves
    for the next run (`search`, tables of SEARCH_SCHEMAS) and where DuckDB may spill."""

    previous: StoredBands
    present: pa.Table
    checked: pa.Table | Sequence[Path]
    dropped_pairs: pa.Table
    new: NewRows = field(default_factory=dict)
    search: dict[str, pa.Table] = field(default_factory=dict)
    spill: Path | None = None


def load_band_store(state_folder: Path) -> StoredBands:
    """The store of a run's state folder (none when that run wrote none)."""
    folder = state_folder / BANDS_FOLDER
    return StoredBands(folder if _holds_tables(folder, SCHEMAS) else None)


def _holds_tables(folder: Path, tables: dict[str, pa.Schema]) -> bool:
    """Whether a store folder holds a folder for each of these tables."""
    return all((folder / name).is_dir() for name in tables)


def store_connection(stored: StoredBands, new: NewRows, spill: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB, its memory bounded (spilling into `spill`, when given) and one thread per core,
    whose views `texts`, `bands`, `sentences` and `checked` are the stored shards (scanned in place by DuckDB's
    Parquet reader) followed by the `new` rows; `previous_<name>` are the stored tables of SEARCH_SCHEMAS (empty
    when the store has none)."""
    connection = bounded_duckdb(spill)
    for name, schema in SCHEMAS.items():
        _register_rows(connection, f"stored_{name}", _stored_parts(stored.folder, name), schema)
        _register_rows(connection, f"new_{name}", new.get(name, ()), schema)
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM stored_{name} UNION ALL SELECT * FROM new_{name}")
    for name, schema in SEARCH_SCHEMAS.items():
        parts = _stored_parts(stored.folder if stored.searched else None, name)
        _register_rows(connection, f"previous_{name}", parts, schema)
    return connection


def _stored_parts(folder: Path | None, name: str) -> list[Path]:
    """A stored table's shards (none without a store)."""
    return part_paths(folder / name) if folder else []


def _register_rows(
    connection: duckdb.DuckDBPyConnection, view: str, rows: pa.Table | Sequence[Path], schema: pa.Schema
) -> None:
    """Rows as the view `view`: an Arrow table, or Parquet files read by DuckDB's own Parquet reader (each file
    named, so no path is read as a glob; about half the CPU of scanning them as Arrow datasets)."""
    if isinstance(rows, pa.Table):
        connection.register(view, rows)
    elif not rows:
        connection.register(view, schema.empty_table())
    else:
        connection.read_parquet([str(part) for part in rows]).create_view(view)


def write_band_store(state_folder: Path, update: BandUpdate | None) -> None:
    """Write this run's store into its state folder: the previous shards linked when the run keeps all their rows,
    else rewritten with those it keeps, then the new rows in shards of at most SHARD_ROWS rows, linked when they
    are parts already (nothing when the run kept no store: the next run signs every text)."""
    if update is None:
        return
    folder = state_folder / BANDS_FOLDER
    with store_connection(update.previous, update.new, update.spill) as connection:
        connection.register("present", update.present)
        connection.register("dropped_pairs", update.dropped_pairs)
        _register_rows(connection, "checked_now", update.checked, SCHEMAS["checked"])
        connection.execute(
            "CREATE TEMP TABLE kept_texts AS SELECT key FROM present UNION "
            "SELECT sentence_key FROM sentences WHERE key IN (SELECT key FROM present)"
        )
        for name, query in _DROPPED.items():
            connection.execute(f"CREATE TEMP TABLE {name} AS {query}")
        new_checked = connection.sql("SELECT * FROM checked_now ANTI JOIN stored_checked USING (first_key, second_key)")
        news = update.new | {"checked": new_checked}
        for name, schema in SCHEMAS.items():
            previous = sorted((update.previous.folder / name).glob("*.parquet")) if update.previous.folder else []
            _carry_shards(connection, previous, _DROPS[name], schema, folder / name)
            _add_new(news.get(name, ()), schema, folder / name)
            compact_small_parts(schema, folder / name, SHARD_ROWS, MAX_SMALL_PARTS)
    for name, schema in SEARCH_SCHEMAS.items():
        write_parts(update.search.get(name, schema.empty_table()), schema, folder / name, SHARD_ROWS)


def _add_new(rows: pa.Table | Sequence[Path] | duckdb.DuckDBPyRelation, schema: pa.Schema, folder: Path) -> None:
    """A table's new rows added to its folder: a table written in shards of SHARD_ROWS rows, a query's rows too (read
    a shard at a time), parts linked (and an empty part written when the folder would hold none)."""
    if isinstance(rows, pa.Table):
        write_parts(rows, schema, folder, SHARD_ROWS)
        return
    if isinstance(rows, duckdb.DuckDBPyRelation):
        for batch in rows.to_arrow_reader(SHARD_ROWS):
            write_parts(pa.Table.from_batches([batch]), schema, folder, SHARD_ROWS)
    else:
        for part in rows:
            link_part(part, folder)
    write_parts(schema.empty_table(), schema, folder, SHARD_ROWS)


def _carry_shards(
    connection: duckdb.DuckDBPyConnection,
    previous: list[Path],
    dropped: tuple[str, str],
    schema: pa.Schema,
    folder: Path,
) -> None:
    """Carry a table's previous shards into `folder`: linked when none of their rows is `dropped` (a table of
    keys and the columns that match them; a shard's key columns alone tell), else rewritten without those rows
    (or left out, when all are)."""
    dropped_keys, columns = dropped
    anything_dropped = connection.sql(f"SELECT count(*) FROM {dropped_keys}").fetchall()[0][0]
    folder.mkdir(parents=True)
    written = 0
    for shard in previous:
        rows = pq.ParquetFile(shard).metadata.num_rows
        kept = None
        if anything_dropped:
            connection.read_parquet([str(shard)]).create_view("rows")
            if _holds_dropped(connection, dropped):
                kept = connection.sql(f"SELECT * FROM rows ANTI JOIN {dropped_keys} USING ({columns})").to_arrow_table()
            connection.execute("DROP VIEW rows")
        target = folder / f"part-{written:05d}.parquet"
        if kept is not None:
            if kept.num_rows:
                pq.write_table(kept.cast(schema), target)
                written += 1
        elif rows:
            os.link(shard, target)  # both stores are in the same OUT_DIR
            written += 1


def _holds_dropped(connection: duckdb.DuckDBPyConnection, dropped: tuple[str, str]) -> bool:
    """Whether the shard registered as `rows` holds a dropped row (found from its key columns alone)."""
    dropped_keys, columns = dropped
    query = f"SELECT EXISTS (SELECT 1 FROM rows SEMI JOIN {dropped_keys} USING ({columns}))"
    return bool(connection.sql(query).fetchall()[0][0])
