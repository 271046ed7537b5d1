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

A run queries the previous store in place with DuckDB (`store_connection`) and writes its own by linking every
previous shard and adding the new rows as new shards, so writing costs what the run added. The rows of texts no
longer present stay (a text's rows depend on its text alone: a query reaches them only through present texts, and a
text that comes back finds them); the pairs no longer candidates are listed in `gone_pairs` and hidden when the store
is read. A table is written again without those rows once they are STALE_SHARE of it. The search tables and
`gone_pairs` are small and written whole.
"""

from __future__ import annotations

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
# The stored pairs no longer candidates (a run's `dropped_pairs`, kept from run to run), whose rows stay in `checked`'s
# shards: hidden when the store is read, until a run makes the pair again (its stored overlap is its overlap still)
# or the shards are written again without them.
GONE_PAIRS = "gone_pairs"
GONE_SCHEMA = pa.schema([("first_key", pa.uint64()), ("second_key", pa.uint64())])
# Rows no longer live (of texts no longer present, of pairs gone) stay in a table's shards until they are this share
# of its rows; then its shards are written again without them: each row is written again once per this share of the
# store dropped, and every scan of the store reads at most about this share more (a scan of every band row is what
# an incremental search costs most, session 23).
STALE_SHARE = 0.05
# What a stored table's readers see of its shards: every row, but the gone pairs of `checked`.
_HIDDEN = {"checked": "ANTI JOIN previous_gone_pairs USING (first_key, second_key)"}
# The rows no longer live: those of the texts no longer present (neither a paragraph text of this run nor a sentence
# of one), of the paragraph texts no longer present, and the gone pairs; for each table, the dropped keys and the
# columns that match them. Every new row is live.
_DROPPED = {
    "dropped_texts": "SELECT key FROM stored_texts ANTI JOIN kept_texts USING (key)",
    "dropped_paragraphs": "SELECT DISTINCT key FROM stored_sentences ANTI JOIN present USING (key)",
}
# The pairs gone after this run: those gone before that it did not make again, and those it drops.
_GONE = """
CREATE TEMP TABLE gone_pairs AS
SELECT first_key, second_key FROM previous_gone_pairs ANTI JOIN checked_now USING (first_key, second_key)
UNION ALL
SELECT first_key, second_key FROM dropped_pairs
"""
# The pairs this run measured that the shards do not hold: a measured pair was not a stored one its readers see (its
# overlap would have been taken, not measured), so the shards hold it only as a gone pair made again. Only the few
# gone pairs are joined, not every stored pair.
_NEW_CHECKED = "SELECT * FROM checked_now ANTI JOIN previous_gone_pairs USING (first_key, second_key)"
# A run's new rows of a table: an Arrow table, or Parquet parts in the run's work folder (flows/stages/new_rows.py).
NewRows = Mapping[str, pa.Table | Sequence[Path]]
_DROPS = {
    "texts": ("dropped_texts", "key"),
    "bands": ("dropped_texts", "key"),
    "sentences": ("dropped_paragraphs", "key"),
    "checked": ("gone_pairs", "first_key, second_key"),
}
# The tables written again together when the rows of texts no longer present are STALE_SHARE of `texts` (a text's
# rows in one table are never dropped while those in another are kept).
_TEXT_TABLES = ("texts", "bands", "sentences")


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
    """This run's store: the previous one's rows of the `present` paragraph texts and their sentences (`kept`: the
    keys of those texts and of their sentences, each once), the `new` rows of each table, the candidate pairs this
    run measured (a table, or Parquet parts: those whose overlap no stored pair its readers see held), the stored
    pairs it drops (`dropped_pairs`: first_key, second_key), what its candidate search leaves for the next run
    (`search`, tables of SEARCH_SCHEMAS) and where DuckDB may spill."""

    previous: StoredBands
    present: pa.Table
    kept: pa.Table
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
    whose views `texts`, `bands`, `sentences` and `checked` are the stored shards (`<name>_shards`, scanned in place by
    DuckDB's Parquet reader; `stored_<name>` without the gone pairs) followed by the `new` rows; `previous_<name>` are
    the stored tables of SEARCH_SCHEMAS and GONE_PAIRS (empty when the store has none)."""
    connection = bounded_duckdb(spill)
    _register_rows(connection, f"previous_{GONE_PAIRS}", _stored_parts(stored.folder, GONE_PAIRS), GONE_SCHEMA)
    hidden = _HIDDEN if _holds_gone_pairs(stored) else {}  # no join for none
    for name, schema in SCHEMAS.items():
        _register_rows(connection, f"{name}_shards", _stored_parts(stored.folder, name), schema)
        connection.execute(f"CREATE VIEW stored_{name} AS SELECT * FROM {name}_shards {hidden.get(name, '')}")
        _register_rows(connection, f"new_{name}", new.get(name, ()), schema)
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM stored_{name} UNION ALL SELECT * FROM new_{name}")
    for name, schema in SEARCH_SCHEMAS.items():
        parts = _stored_parts(stored.folder if stored.searched else None, name)
        _register_rows(connection, f"previous_{name}", parts, schema)
    return connection


def _holds_gone_pairs(stored: StoredBands) -> bool:
    """Whether a store lists any gone pairs (from its parts' metadata)."""
    return any(pq.ParquetFile(part).metadata.num_rows for part in _stored_parts(stored.folder, GONE_PAIRS))


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
    """Write this run's store into its state folder: the previous shards linked, then the new rows in shards of at
    most SHARD_ROWS rows, linked when they are parts already, and the pairs gone; a table whose rows no longer live
    are STALE_SHARE of it is written again without them (nothing when the run kept no store: the next run signs
    every text)."""
    if update is None:
        return
    folder = state_folder / BANDS_FOLDER
    with store_connection(update.previous, update.new, update.spill) as connection:
        connection.register("present", update.present)
        connection.register("kept_texts", update.kept)
        connection.register("dropped_pairs", update.dropped_pairs)
        _register_rows(connection, "checked_now", update.checked, SCHEMAS["checked"])
        connection.execute(_GONE)
        news = update.new | {"checked": _new_checked(connection, update)}
        rewritten = _rewritten_tables(connection)
        for name in {_DROPS[name][0] for name in rewritten} - {"gone_pairs"}:
            connection.execute(f"CREATE TEMP TABLE {name} AS {_DROPPED[name]}")
        for name, schema in SCHEMAS.items():
            previous = _stored_parts(update.previous.folder, name)
            _carry_shards(connection, previous, _DROPS[name] if name in rewritten else None, schema, folder / name)
            _add_new(news.get(name, ()), schema, folder / name)
            compact_small_parts(schema, folder / name, SHARD_ROWS, MAX_SMALL_PARTS)
        gone = connection.sql("SELECT * FROM gone_pairs ORDER BY ALL").to_arrow_table()  # sorted: the same files
        if "checked" in rewritten:
            gone = GONE_SCHEMA.empty_table()
    write_parts(gone, GONE_SCHEMA, folder / GONE_PAIRS, SHARD_ROWS)
    for name, schema in SEARCH_SCHEMAS.items():
        write_parts(update.search.get(name, schema.empty_table()), schema, folder / name, SHARD_ROWS)


def _new_checked(
    connection: duckdb.DuckDBPyConnection, update: BandUpdate
) -> pa.Table | Sequence[Path] | duckdb.DuckDBPyRelation:
    """The measured pairs the shards do not hold (`_NEW_CHECKED`): all of them when the previous store lists no gone
    pairs (a full run's, or one after a full run), so their parts are linked in as they are, not read and written
    again."""
    return update.checked if not _holds_gone_pairs(update.previous) else connection.sql(_NEW_CHECKED)


def _rewritten_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables to write again without the rows no longer live: those of texts when the texts no longer present
    are STALE_SHARE of the stored and new ones, `checked` when the gone pairs are that share of its stored rows."""
    counts = ("texts", "kept_texts", "checked_shards", "gone_pairs")
    texts, live_texts, pairs, gone = connection.sql(
        "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in counts)
    ).fetchall()[0]
    rewritten = set(_TEXT_TABLES) if texts - live_texts > STALE_SHARE * texts else set()
    return rewritten | ({"checked"} if gone > STALE_SHARE * pairs else set())


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
    dropped: tuple[str, str] | None,
    schema: pa.Schema,
    folder: Path,
) -> None:
    """Carry a table's previous shards into `folder`: linked, or when the table is written again without the rows
    `dropped` (a table of keys and the columns that match them), those holding none linked and the others' kept
    rows written together in shards of SHARD_ROWS rows (a shard's key columns alone tell which hold one)."""
    folder.mkdir(parents=True)
    kept: list[pa.Table] = []
    for shard in previous:
        rows = None if dropped is None else _rows_kept(connection, shard, dropped, schema)
        if rows is not None:
            kept = _written_whole(pa.concat_tables([*kept, rows]), schema, folder)
        elif pq.ParquetFile(shard).metadata.num_rows:
            link_part(shard, folder)
    left_over = pa.concat_tables([schema.empty_table(), *kept])
    if left_over.num_rows:
        write_parts(left_over, schema, folder, SHARD_ROWS)


def _rows_kept(
    connection: duckdb.DuckDBPyConnection, shard: Path, dropped: tuple[str, str], schema: pa.Schema
) -> pa.Table | None:
    """A shard's rows but the `dropped` ones, or None when it holds none (found from its key columns alone)."""
    dropped_keys, columns = dropped
    connection.read_parquet([str(shard)]).create_view("rows")
    query = f"SELECT EXISTS (SELECT 1 FROM rows SEMI JOIN {dropped_keys} USING ({columns}))"
    kept = None
    if connection.sql(query).fetchall()[0][0]:
        kept = connection.sql(f"SELECT * FROM rows ANTI JOIN {dropped_keys} USING ({columns})").to_arrow_table()
    connection.execute("DROP VIEW rows")
    return None if kept is None else kept.cast(schema)


def _written_whole(rows: pa.Table, schema: pa.Schema, folder: Path) -> list[pa.Table]:
    """Write the full shards of SHARD_ROWS rows of `rows` into `folder`; the rows left over."""
    whole = rows.num_rows - rows.num_rows % SHARD_ROWS
    if whole:
        write_parts(rows.slice(0, whole), schema, folder, SHARD_ROWS)
    return [rows.slice(whole)]
