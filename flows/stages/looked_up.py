"""The candidate pairs the match stage verifies (flows/stages/band_matches.py), in order of positions (i, j): each
pair with its keys as the store orders them (`first_key` < `second_key`; `swapped` when the second position's key is
the smaller) and the overlap the store's `checked` holds for those keys (NaN where it holds none), less the pairs it
carries as stored (both representatives `clean`, the pair checked). Looked up by DuckDB joins over a previous run's
store; without one (a full run) no pair was checked or is carried, so each batch is made from the search's sorted
pairs and the positions' keys in NumPy: no join, no DuckDB table and no sort of every candidate pair."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa

from dedup.pair_table import unpacked_pairs
from flows.state.band_store import GONE_SCHEMA

# The candidate pairs the buckets read made that the store does not carry (by position), each with its keys as the
# store orders them (`swapped` when the second position's is the smaller) and the overlap the stored pairs `{stored}`
# hold for those keys (null when none), kept for the verifying pass. A pair is carried when both its positions stand
# for `clean` keys and the store holds it (band_matches.py `_CARRIED`).
_LOOKED_UP = """
CREATE OR REPLACE TEMP TABLE looked_up AS
SELECT c.i, c.j, a.key > b.key AS swapped, least(a.key, b.key) AS first_key, greatest(a.key, b.key) AS second_key,
    k.jaccard, k.first_in_second, k.second_in_first
FROM found c JOIN reps a ON a.pos = c.i JOIN reps b ON b.pos = c.j
LEFT JOIN {stored} k ON k.first_key = least(a.key, b.key) AND k.second_key = greatest(a.key, b.key)
LEFT JOIN clean ci ON ci.pos = c.i LEFT JOIN clean cj ON cj.pos = c.j
WHERE k.first_key IS NULL OR ci.pos IS NULL OR cj.pos IS NULL
"""
_COUNTS = "SELECT count(*), count(*) - count(jaccard) FROM looked_up"
_IN_ORDER = "SELECT * FROM looked_up ORDER BY i, j"
# The positions in the `looked_up` pairs the store had not checked (each once, sorted): the texts verifying measures.
_UNCHECKED_POSITIONS = """
SELECT i AS pos FROM looked_up WHERE jaccard IS NULL UNION SELECT j FROM looked_up WHERE jaccard IS NULL ORDER BY pos
"""
# The stored pairs this run drops: those not carried (band_matches.py `uncarried`) that the buckets read did not make
# again.
_DROPPED_PAIRS = "SELECT first_key, second_key FROM uncarried EXCEPT SELECT first_key, second_key FROM looked_up"
# The overlaps of a pair the store keeps, in its `checked` columns' order.
SHARES = ("jaccard", "first_in_second", "second_in_first")
# Pairs unpacked this many at a time, for the positions they hold.
_CHUNK = 1 << 22


class LookedUp(Protocol):
    """The candidate pairs to verify: how many (`found`), how many of them the store had not checked (`unknown`)."""

    found: int
    unknown: int

    def unchecked_positions(self) -> np.ndarray:
        """The positions in the pairs the store had not checked, each once, sorted."""
        ...

    def batches(self, rows: int) -> Iterator[pa.RecordBatch]:
        """The pairs in order, `rows` at a time: i, j, swapped, first_key, second_key and the three shares."""
        ...

    def dropped(self) -> pa.Table:
        """The stored pairs the run drops (first_key, second_key)."""
        ...


def looked_up(
    connection: duckdb.DuckDBPyConnection, stored: bool, found: np.ndarray, keys: np.ndarray, pairs: str
) -> LookedUp:
    """The search's `found` pairs (packed i << 32 | j, sorted, also the connection's view `found`) looked up in a
    previous run's store when there is one (`stored`: in its table or view `pairs` of stored pairs, holding every
    one a found pair can be), else made new from each position's key (`keys`)."""
    return StoredLookup(connection, pairs) if stored else NewPairs(found, keys)


class StoredLookup:
    """The pairs looked up in a store by DuckDB joins, held as the connection's table `looked_up`."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, pairs: str) -> None:
        connection.execute(_LOOKED_UP.format(stored=pairs))
        self._connection = connection
        self.found, self.unknown = connection.sql(_COUNTS).fetchall()[0]

    def unchecked_positions(self) -> np.ndarray:
        """The positions in the pairs the store had not checked, each once, sorted."""
        return self._connection.sql(_UNCHECKED_POSITIONS).fetchnumpy()["pos"]

    def batches(self, rows: int) -> Iterator[pa.RecordBatch]:
        """The pairs in order, `rows` at a time."""
        return iter(self._connection.sql(_IN_ORDER).to_arrow_reader(rows))

    def dropped(self) -> pa.Table:
        """The stored pairs not carried that the search did not find again."""
        return self._connection.sql(_DROPPED_PAIRS).to_arrow_table()


class NewPairs:
    """The pairs of a run without a previous store: none checked, carried or dropped; each batch made when read."""

    def __init__(self, pairs: np.ndarray, keys: np.ndarray) -> None:
        self._pairs, self._keys = pairs, keys
        self.found = self.unknown = len(pairs)

    def unchecked_positions(self) -> np.ndarray:
        """Every position in the pairs, each once, sorted."""
        seen = np.zeros(len(self._keys), dtype=bool)
        for start in range(0, len(self._pairs), _CHUNK):
            for positions in unpacked_pairs(self._pairs[start : start + _CHUNK]):
                seen[positions] = True
        return np.flatnonzero(seen)

    def batches(self, rows: int) -> Iterator[pa.RecordBatch]:
        """The pairs in order, `rows` at a time, each with its keys and unknown (NaN) shares."""
        for start in range(0, len(self._pairs), rows):
            first, second = unpacked_pairs(self._pairs[start : start + rows])
            first_keys, second_keys = self._keys[first], self._keys[second]
            unknown = np.full(len(first), np.nan)
            columns = {
                "i": first,
                "j": second,
                "swapped": first_keys > second_keys,
                "first_key": np.minimum(first_keys, second_keys),
                "second_key": np.maximum(first_keys, second_keys),
            }
            yield pa.record_batch(columns | dict.fromkeys(SHARES, unknown))

    def dropped(self) -> pa.Table:
        """None: there was no stored pair."""
        return GONE_SCHEMA.empty_table()
