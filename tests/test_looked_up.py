"""The candidate pairs the match stage verifies (flows/stages/looked_up.py): made in NumPy for a run without a store,
the same batches, positions and counts DuckDB's lookup in an empty store gives."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from flows.stages.band_search import _FOUND, distinct_pairs
from flows.stages.looked_up import NewPairs, StoredLookup, looked_up
from flows.state.band_store import NO_BANDS, store_connection


def test_pairs_made_without_a_store_are_those_looked_up_in_an_empty_one_batch_for_batch():
    rng = np.random.default_rng(35)
    positions = 3_000
    keys = rng.integers(0, 2**64 - 1, positions, dtype=np.uint64, endpoint=True)
    keys[[7, 70, 700]] = keys[5]  # a key standing at several positions: its pairs are not swapped either way
    first, second = rng.integers(0, positions, (2, 20_000))
    low, high = np.r_[np.minimum(first, second), 5], np.r_[np.maximum(first, second), 7]
    found = distinct_pairs(low[low < high], high[low < high])
    with store_connection(NO_BANDS, {}) as connection:
        connection.register("reps", pa.table({"pos": np.arange(positions), "key": keys}))
        connection.register("found_pairs", pa.table({"pair": found}))
        connection.execute(_FOUND)
        connection.execute("CREATE TEMP TABLE clean (key UBIGINT, pos BIGINT)")
        connection.execute("CREATE TEMP TABLE uncarried (first_key UBIGINT, second_key UBIGINT)")
        stored, new = StoredLookup(connection, "checked"), looked_up(connection, False, found, keys, "checked")
        assert isinstance(new, NewPairs)
        assert (new.found, new.unknown) == (stored.found, stored.unknown) == (len(found), len(found))
        assert np.array_equal(new.unchecked_positions(), stored.unchecked_positions())
        for rows in (997, len(found)):
            made, read = (pa.Table.from_batches(list(pairs.batches(rows))) for pairs in (new, stored))
            assert [batch.num_rows for batch in new.batches(rows)] == [batch.num_rows for batch in stored.batches(rows)]
            for name in read.column_names:
                assert np.array_equal(
                    made[name].to_numpy(zero_copy_only=False), read[name].to_numpy(zero_copy_only=False), equal_nan=True
                ), name
        assert new.dropped().num_rows == stored.dropped().num_rows == 0
