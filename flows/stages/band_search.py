"""Candidate pairs of the match stage, by DuckDB joins over the band-key store (flows/state/band_store.py): the pairs
`dedup.deduplicate.find_matches` finds among the representatives of exact copies.

A pair is a candidate when a bucket both are in makes it: a band run (rows sharing an LSH band key in the
paragraph index, a text's first `lsh_bands` bands, or in the sentence index, the rest) makes every pair of a
run of at most MAX_RUN rows, and its first owner (the smallest position) with each other one beyond that, as
dedup/index.py; a short-text group (owners sharing the normalised words of a short paragraph or sentence) makes
every pair of a group of 2 to MAX_SHARED_GROUP rows, as `dedup.index.shared_key_pairs`.

A full search reads every stored band. An incremental one reads only the buckets of the representatives whose
count changed since the previous run (`dirt`: new, gone, now a copy or no longer one), and every run crowded
before (its first owner can move with the positions); each bucket it does not read has the same owners as
before, so it makes the same pairs, and the previous run's candidates between representatives of no changed
bucket (`clean`) carry over. A bucket read can stop making a pair it made before only by becoming crowded or
by a crowded run's first owner moving: then the owners concerned are dirt too, and their buckets are read. A band
run read that is crowded neither now nor in the previous run had the same clean owners then and made every pair of
them, which the store holds and carries: only its pairs with a dirt owner are found again (`CarriedRows`), so what
the search finds grows with the pairs of what changed, not with the pairs of every owner of a bucket it touches.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from dedup import lookup
from dedup.index import MAX_RUN, MAX_SHARED_GROUP, run_pairs
from dedup.settings import DedupSettings
from dedup.sorted_sets import SortedUnion, contained, distinct
from flows.stages.signed_pool import SignedPool
from flows.state.band_store import SEARCH_SCHEMAS

_LONG_REPS = (
    "CREATE OR REPLACE TEMP TABLE long_reps AS SELECT pos, key FROM reps WHERE words >= getvariable('min_words')"
)
# The rows of the band runs and short-text groups searched: every one, or those `touched`.
_BAND_ROWS = """
CREATE OR REPLACE TEMP VIEW band_rows AS
SELECT * FROM (
    SELECT 0::TINYINT AS kind, b.band, b.band_key, r.pos AS owner FROM long_reps r JOIN ({bands}) b USING (key)
    WHERE b.band < getvariable('paragraph_bands')
    UNION ALL
    SELECT 1::TINYINT, b.band, b.band_key, r.pos
    FROM long_reps r JOIN sentences s USING (key) JOIN ({bands}) b ON b.key = s.sentence_key
    WHERE b.band >= getvariable('paragraph_bands')
) {restricted}
"""
_SHORT_ROWS = """
CREATE OR REPLACE TEMP TABLE short_rows AS
SELECT r.pos AS owner, t.normalised_key FROM reps r JOIN ({texts}) t USING (key)
WHERE r.words > 0 AND r.words < getvariable('min_words')
UNION ALL
SELECT r.pos, t.normalised_key FROM long_reps r JOIN sentences s USING (key) JOIN ({texts}) t ON t.key = s.sentence_key
WHERE t.words > 0 AND t.words < getvariable('min_words')
"""
# A full search reads (and sorts) the band rows a slice of the bands at a time; an incremental one reads those
# of the touched band keys (`touched_bands`, one scan of the bands for both kinds).
# A slice DuckDB cannot sort within its memory is read again a group of its band keys at a time (`part` of `parts`).
_SLICE = "band % getvariable('slices') = getvariable('slice') AND band_key % getvariable('parts') = getvariable('part')"
# The most groups a slice is split into before its out-of-memory error is raised.
MAX_PARTS = 64
_EVERY = {"bands": "SELECT * FROM bands", "texts": "SELECT * FROM texts", "restricted": ""}
_TOUCHED_ONLY = {
    "bands": "SELECT * FROM touched_bands",
    "texts": "SELECT * FROM texts WHERE normalised_key IN (SELECT normalised_key FROM touched_groups)",
    "restricted": "SEMI JOIN touched USING (kind, band, band_key)",
}
_GROUPS = """
CREATE OR REPLACE TEMP TABLE groups AS
SELECT normalised_key, count(*) AS size FROM short_rows GROUP BY ALL HAVING count(*) > 1
"""
# The band rows of a slice (of `slice_rows`: `band_rows`, or the slice's partition), sorted so that each bucket's rows
# are consecutive, its first owner first.
_SORTED_ROWS = f"SELECT kind, band, band_key, owner FROM slice_rows WHERE {_SLICE} ORDER BY ALL"
# A full search of several slices writes the band rows once, partitioned by slice, and sorts each slice from its part.
_PARTITIONED = "SELECT kind, band, band_key, owner, band % getvariable('slices') AS slice FROM band_rows"
# A full search sorts its band rows in slices of about this many (counted as the stored and new rows of `bands`).
SORTED_ROWS = 10_000_000
# The rows of the short-text groups that pair their owners (2 to `max_group` rows), each group's rows consecutive.
_SHORT_SHARED = """
SELECT owner, normalised_key FROM short_rows JOIN groups USING (normalised_key) WHERE size <= getvariable('max_group')
ORDER BY normalised_key, owner
"""
# The candidate pairs the buckets read make (i < j, each once, ascending; in an incremental search, less the pairs of
# two clean positions in a band run crowded neither now nor before), as a view the verification reads, of
# `found_pairs` (each pair packed i << 32 | j); the previous run's pairs between `clean` representatives are
# candidates too, carried by the verification as stored.
_FOUND = """
CREATE OR REPLACE TEMP VIEW found AS
SELECT (pair >> 32)::BIGINT AS i, (pair & 4294967295)::BIGINT AS j FROM found_pairs
"""
# Each representative key with its count of positions, and the keys whose count changed (all of them when
# the previous run left no representatives).
_COUNTS = """
CREATE OR REPLACE TEMP TABLE rep_counts AS SELECT key, count(*) AS count, min(pos) AS pos FROM reps GROUP BY key;
CREATE OR REPLACE TEMP TABLE dirt AS
SELECT key FROM rep_counts n FULL JOIN previous_representatives p USING (key) WHERE n.count IS DISTINCT FROM p.count;
CREATE OR REPLACE TEMP TABLE touched_groups (normalised_key UBIGINT);
"""
# The texts whose bands a dirt key still present touches (its own, kind 0, and its sentences', kind 1), and how many
# of those with bands this run's signed rows lack (`signed_bands`: the finishing tasks' rows of every text they
# signed). A key gone needs no bucket read: the pairs of a bucket it leaves are stored unless the bucket was crowded,
# and every bucket crowded before is read.
_DIRT_TEXTS = """
CREATE OR REPLACE TEMP TABLE dirt_texts AS
WITH present AS (SELECT key FROM dirt SEMI JOIN rep_counts USING (key))
SELECT key, 0::TINYINT AS kind FROM present
UNION ALL
SELECT sentence_key, 1::TINYINT FROM sentences WHERE key IN (SELECT key FROM present)
"""
_UNSIGNED = """
SELECT count(*) FROM dirt_texts d JOIN texts t USING (key)
WHERE t.words >= getvariable('min_words') AND d.key NOT IN (SELECT key FROM signed_bands)
"""
# The buckets touched (those of the dirt texts' bands, read from `{dirt_bands}`: the signed rows when they hold every
# dirt text's, else the store, and every crowded run) and the band rows of those buckets: one scan of the bands.
_TOUCHED = """
CREATE OR REPLACE TEMP TABLE touched AS
SELECT d.kind, b.band, b.band_key FROM {dirt_bands} b JOIN dirt_texts d USING (key)
WHERE (b.band < getvariable('paragraph_bands')) = (d.kind = 0)
UNION
SELECT kind, band, band_key FROM previous_crowded;
CREATE OR REPLACE TEMP TABLE touched_bands AS SELECT * FROM bands WHERE band_key IN (SELECT band_key FROM touched);
CREATE OR REPLACE TEMP TABLE touched_groups AS
SELECT normalised_key FROM texts
WHERE key IN (SELECT key FROM dirt) AND words > 0 AND words < getvariable('min_words')
UNION
SELECT t.normalised_key FROM sentences s JOIN texts t ON t.key = s.sentence_key
WHERE s.key IN (SELECT key FROM dirt) AND t.words > 0 AND t.words < getvariable('min_words');
"""
# Owners whose previous pairs a touched bucket may have made and no longer makes: every owner of a run or
# group crowded now and not before, and the previous first owner of a run still crowded but led by another.
_DIRTY = """
CREATE OR REPLACE TEMP TABLE dirty AS
SELECT DISTINCT r.key FROM (
    SELECT owner FROM crowded_rows ANTI JOIN previous_crowded USING (kind, band, band_key)
    UNION ALL
    SELECT owner FROM (
        SELECT s.owner, normalised_key FROM short_rows s JOIN groups USING (normalised_key)
        WHERE size > getvariable('max_group')
    ) ANTI JOIN previous_crowded_groups USING (normalised_key)
    UNION ALL
    SELECT c.pos FROM previous_crowded p JOIN crowded_runs r USING (kind, band, band_key)
    JOIN rep_counts c ON c.key = p.first_key WHERE c.pos <> r.first
) moved JOIN reps r ON r.pos = moved.owner
ANTI JOIN dirt USING (key)
"""
_CLEAN = "CREATE OR REPLACE TEMP TABLE clean AS SELECT key, pos FROM rep_counts ANTI JOIN dirt USING (key)"
# The positions `clean` will hold once the buckets are read with the `dirt` of now, ascending.
_CLEAN_POSITIONS = "SELECT pos FROM rep_counts ANTI JOIN dirt USING (key) ORDER BY pos"
_CROWDED_BEFORE = "SELECT kind, band, band_key FROM previous_crowded"
# What the search leaves for the next one (SEARCH_SCHEMAS): a crowded group it did not read stays crowded. Sorted:
# DuckDB's threads finish a group-by or join in no fixed order, and the same run must write the same files.
_LEFT = {
    "representatives": "SELECT key, count FROM rep_counts ORDER BY key",
    "crowded": """
        SELECT kind, band, band_key, r.key AS first_key FROM crowded_runs c JOIN reps r ON r.pos = c.first
        ORDER BY kind, band, band_key, first_key
    """,
    "crowded_groups": """
        SELECT normalised_key FROM groups WHERE size > getvariable('max_group')
        UNION ALL
        SELECT normalised_key FROM previous_crowded_groups ANTI JOIN touched_groups USING (normalised_key)
        ORDER BY normalised_key
    """,
}


@dataclass(frozen=True)
class Search:
    """What a candidate search found: the pairs of the buckets read (`found`: i < j positions packed i << 32 | j,
    each pair once, sorted; in an incremental search, less those `CarriedRows` leaves out) and what it leaves for the
    next run (`left`, tables of SEARCH_SCHEMAS)."""

    found: np.ndarray
    left: dict[str, pa.Table]


def candidate_pairs(
    connection: duckdb.DuckDBPyConnection,
    reps: pa.Table,
    settings: DedupSettings,
    incremental: bool,
    signed: SignedPool,
    scratch: Path | None = None,
) -> Search:
    """Find the candidate pairs of the representatives `reps` (pos, key, words) over a `store_connection` holding
    this run's texts, also left in the connection: the view `found` (i < j positions) of the pairs the buckets read
    make (but those the store carries from a band run crowded neither now nor before), and the table `clean` (key,
    pos) of the representatives whose stored pairs (`stored_checked`) are candidates still; return those pairs and
    what the search leaves for the next run. Searched incrementally when the store holds what the previous search
    left (else `clean` is empty), reading the bands of the texts that changed from the rows this run's tasks `signed`
    when they hold them all, so the store's bands are scanned once; a full search partitions its band rows under
    `scratch`."""
    connection.register("reps", reps)
    if incremental:  # a full search reads every band: the signed rows' bands are not read into memory
        connection.register("signed_bands", signed.bands())
    variables = {"min_words": settings.min_words, "max_group": MAX_SHARED_GROUP, "paragraph_bands": settings.lsh_bands}
    for name, value in variables.items():
        connection.execute(f"SET VARIABLE {name} = {int(value)}")
    connection.execute(_LONG_REPS)
    connection.execute(_COUNTS)
    found = _read_buckets(connection, incremental, scratch)
    if incremental:
        connection.execute(_DIRTY)
        if connection.sql("SELECT count(*) FROM dirty").fetchall()[0][0]:
            connection.execute("INSERT INTO dirt SELECT key FROM dirty")
            found = _read_buckets(connection, incremental, scratch)
    connection.execute(_CLEAN)
    connection.register("found_pairs", pa.table({"pair": found}))
    connection.execute(_FOUND)
    left = {name: connection.sql(query).to_arrow_table().cast(SEARCH_SCHEMAS[name]) for name, query in _LEFT.items()}
    return Search(found, left)


def _read_buckets(connection: duckdb.DuckDBPyConnection, incremental: bool, scratch: Path | None) -> np.ndarray:
    """The rows, runs and groups of the buckets searched: those `dirt` touches, or all (a full search's partitioned
    band rows written under `scratch`, the system's temporary folder when None); the pairs they make (packed,
    sorted, each once)."""
    searched = _TOUCHED_ONLY if incremental else _EVERY
    if incremental:
        connection.execute(_DIRT_TEXTS)
        unsigned = connection.sql(_UNSIGNED).fetchall()[0][0]
        connection.execute(_TOUCHED.format(dirt_bands="bands" if unsigned else "signed_bands"))
    connection.execute(_BAND_ROWS.format(**searched))
    connection.execute(_SHORT_ROWS.format(**searched))
    connection.execute(_GROUPS)
    pairs = SortedUnion(np.dtype(np.uint64))
    carried = _carried_rows(connection) if incremental else None
    _band_runs(connection, incremental, scratch, pairs, carried)
    pairs.add(_short_pairs(connection, carried))
    return pairs.values()


def _short_pairs(connection: duckdb.DuckDBPyConnection, carried: CarriedRows | None) -> np.ndarray:
    """The distinct pairs (packed, sorted) of owners sharing a short-text group of 2 to MAX_SHARED_GROUP rows (but
    those of two `carried` rows, when given)."""
    rows = connection.sql(_SHORT_SHARED).fetchnumpy()
    group, owner = rows["normalised_key"], rows["owner"]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(owner)])
    known = None if carried is None else carried.group_rows(group, owner, starts, sizes)
    return distinct_pairs(*run_pairs(np.r_[starts, len(owner)], owner, MAX_SHARED_GROUP, known))


def _band_runs(
    connection: duckdb.DuckDBPyConnection,
    incremental: bool,
    scratch: Path | None,
    pairs: SortedUnion,
    carried: CarriedRows | None,
) -> None:
    """Add the pairs of owners of each band run to `pairs` (distinct, packed; but those of two `carried` rows) from
    the band rows sorted by bucket, and keep the crowded runs (`crowded_runs`: more than MAX_RUN rows, with their
    first owner) and their rows (`crowded_rows`). A full search sorts a slice of the bands at a time (about
    SORTED_ROWS rows, so the sort fits DuckDB's memory), read from the band rows partitioned once by slice (`band`
    modulo the slices: a bucket's rows share their band), not by a scan of every band row a slice; an incremental one
    reads few rows and sorts them at once. A slice's runs are found and their pairs merged into `pairs` on a second
    thread while DuckDB sorts the next slice."""
    slices = 1 if incremental else -(-connection.sql("SELECT count(*) FROM bands").fetchall()[0][0] // SORTED_ROWS) or 1
    connection.execute(f"SET VARIABLE slices = {slices}")
    crowded: list[dict[str, pa.Table]] = []
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as partitions, ThreadPoolExecutor(1) as runs_thread:
        if slices > 1:
            connection.sql(_PARTITIONED).write_parquet(partitions, partition_by=["slice"])
        pending: list[Future[dict[str, pa.Table]]] = []
        for part in range(slices):
            connection.execute(f"SET VARIABLE slice = {part}")
            _slice_rows(connection, Path(partitions) / f"slice={part}" if slices > 1 else None)
            sorted_groups = _sorted_slice(connection, 1, not incremental)
            crowded.extend(runs.result() for runs in pending)
            pending = [runs_thread.submit(_runs_in, rows, pairs, carried) for rows in sorted_groups]
        crowded.extend(runs.result() for runs in pending)
    for name in crowded[0]:
        connection.register(name, pa.concat_tables([tables[name] for tables in crowded]))


def _slice_rows(connection: duckdb.DuckDBPyConnection, partition: Path | None) -> None:
    """The view `slice_rows`: the band rows of a slice's partition (none when it holds no file), or all of them."""
    if partition is None:
        connection.execute("CREATE OR REPLACE TEMP VIEW slice_rows AS SELECT * FROM band_rows")
    elif files := sorted(map(str, partition.glob("*.parquet"))):
        connection.read_parquet(files).create_view("slice_rows")
    else:
        connection.execute("CREATE OR REPLACE TEMP VIEW slice_rows AS SELECT * FROM band_rows LIMIT 0")


def _sorted_slice(connection: duckdb.DuckDBPyConnection, groups: int, may_split: bool) -> list[pa.Table]:
    """The band rows of the current slice sorted by bucket (as `_SORTED_ROWS`), its band keys read in `groups`
    groups; when DuckDB runs out of memory sorting one and the search may split (a full one), the slice is read
    again in twice as many groups, up to MAX_PARTS (a bucket's rows share their band key, so each stays in one group)."""
    connection.execute(f"SET VARIABLE parts = {groups}")
    try:
        found = []
        for part in range(groups):
            connection.execute(f"SET VARIABLE part = {part}")
            found.append(connection.sql(_SORTED_ROWS).to_arrow_table())
        return found
    except duckdb.OutOfMemoryException:
        if not may_split or groups >= MAX_PARTS:
            raise
        return _sorted_slice(connection, groups * 2, may_split)


def _runs_in(sorted_rows: pa.Table, pairs: SortedUnion, carried: CarriedRows | None) -> dict[str, pa.Table]:
    """Add the distinct pairs of band rows sorted by bucket and owner to `pairs` (but those of two `carried` rows,
    when given); their crowded runs and crowded rows (as `_band_runs`)."""
    columns = [column.to_numpy() for column in sorted_rows.columns]
    kind, band, band_key, owner = columns
    starts = np.flatnonzero(
        np.r_[True, (kind[1:] != kind[:-1]) | (band[1:] != band[:-1]) | (band_key[1:] != band_key[:-1])]
    )
    sizes = np.diff(np.r_[starts, len(owner)])
    known = None if carried is None else carried.band_rows(kind, band, band_key, owner, starts, sizes)
    pairs.add(distinct_pairs(*run_pairs(np.r_[starts, len(owner)], owner, MAX_RUN, known)))
    crowded = sizes > MAX_RUN
    in_crowded = np.repeat(crowded, sizes)
    names = ("kind", "band", "band_key")
    return {
        "crowded_runs": pa.table(
            {**{name: column[starts[crowded]] for name, column in zip(names, columns)}, "first": owner[starts[crowded]]}
        ),
        "crowded_rows": pa.table(
            {**{name: column[in_crowded] for name, column in zip(names, columns)}, "owner": owner[in_crowded]}
        ),
    }


@dataclass(frozen=True)
class CarriedRows:
    """The rows of an incremental search's buckets whose pairs among themselves the store carries: those of a `clean`
    position (its key not dirt; `clean`, sorted) in a band run of at most MAX_RUN rows, or a short-text group (of at
    most MAX_SHARED_GROUP rows, the only ones paired), that was not crowded in the previous run either (the buckets
    `crowded_before`: kind, band, band_key; the groups' normalised keys `groups_crowded_before`). Such a bucket had the
    same clean owners then (their texts, so their band rows and sentences, are the same), it made every pair of them,
    and the store holds those pairs (every candidate of the previous run) between keys still clean: band_matches.py
    carries them, so they need not be found again."""

    clean: np.ndarray
    crowded_before: pa.Table
    groups_crowded_before: np.ndarray

    def band_rows(
        self,
        kind: np.ndarray,
        band: np.ndarray,
        band_key: np.ndarray,
        owner: np.ndarray,
        starts: np.ndarray,
        sizes: np.ndarray,
    ) -> np.ndarray:
        """A mask of the carried rows among band rows sorted by bucket (each run's first row and size given)."""
        if not len(owner):  # one empty run: no row to mark
            return np.zeros(0, dtype=bool)
        ordinary = (sizes <= MAX_RUN) & ~self._crowded_before(kind[starts], band[starts], band_key[starts])
        return self._clean_rows(ordinary, owner, sizes)

    def group_rows(self, group: np.ndarray, owner: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """A mask of the carried rows among the rows of short-text groups of 2 to MAX_SHARED_GROUP rows, sorted by
        group (each group's normalised key, first row and size given)."""
        if not len(owner):  # one empty group: no row to mark
            return np.zeros(0, dtype=bool)
        return self._clean_rows(~contained(group[starts], self.groups_crowded_before), owner, sizes)

    def _clean_rows(self, ordinary: np.ndarray, owner: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """The rows of a clean owner in an `ordinary` bucket (one flag a bucket, of `sizes` rows each)."""
        return np.repeat(ordinary, sizes) & lookup.sorted_rows(self.clean, owner)[1]

    def _crowded_before(self, kind: np.ndarray, band: np.ndarray, band_key: np.ndarray) -> np.ndarray:
        """Whether each bucket (kind, band, band key) was crowded in the previous run."""
        before = self.crowded_before
        crowded = contained(band_key, before["band_key"].to_numpy())
        buckets = set(zip(*(before[name].to_pylist() for name in ("kind", "band", "band_key")), strict=True))
        for run in np.flatnonzero(crowded).tolist():
            crowded[run] = (int(kind[run]), int(band[run]), int(band_key[run])) in buckets
        return crowded


def _carried_rows(connection: duckdb.DuckDBPyConnection) -> CarriedRows:
    """The `CarriedRows` of a search reading its buckets with the connection's `dirt` of now."""
    clean = connection.sql(_CLEAN_POSITIONS).fetchnumpy()["pos"]
    groups = connection.sql("SELECT normalised_key FROM previous_crowded_groups").fetchnumpy()["normalised_key"]
    return CarriedRows(
        np.asarray(clean, dtype=np.int64),
        connection.sql(_CROWDED_BEFORE).to_arrow_table(),
        np.asarray(groups, dtype=np.uint64),
    )


def distinct_pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The distinct pairs of owner positions (each below 2**32), each packed first << 32 | second, sorted: a pair
    found in several band runs once."""
    return distinct(first.astype(np.uint64) << np.uint64(32) | second.astype(np.uint64))
