"""The match stage over the band-key store: take the rows of texts the store has not seen from those the
finishing tasks signed (flows/stages/signed_pool.py), signing only what they lack, find candidate pairs by DuckDB joins on
the band keys where they changed (flows/stages/band_search.py), carry the stored pairs where nothing changed (read once,
for their matches: never written again) and verify only pairs not checked before. The Matches equal
`dedup.deduplicate.find_matches` on the same texts (exact copies, `MAX_RUN` and `MAX_SHARED_GROUP` included).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dedup import sorted_sets
from dedup.deduplicate import NO_SETS, Matches, PositionSets, classified, hashed_sets
from dedup.index import MAX_SHARED_GROUP
from dedup.pair_table import PairTable, packed_pairs
from dedup.settings import DedupSettings
from dedup.text_signing import copy_groups, paragraph_sentences, sign_texts, text_sip_keys
from flows.runtime.progress import NO_PROGRESS, Ticker, in_chunks, ticking
from flows.stages.band_search import candidate_pairs
from flows.stages.looked_up import SHARES, LookedUp, looked_up
from flows.stages.new_rows import HeldRows, NewRowSink, PartRows
from flows.stages.signed_pool import NOTHING_SIGNED, SignedPool, bands_table
from flows.state.band_store import SCHEMAS, BandUpdate, StoredBands, store_connection

# The stored pairs the stage reads after its search (`stored_read`), taken in one scan of a store its search left:
# those with a key of `wanted` (the dirt keys, and both keys of each found pair that has no dirt key: a pair in a
# crowded bucket, or of a key standing at several positions) or a largest share of at least `floor`. They hold every
# stored pair a found pair can be (one of its keys is wanted), every stored pair not carried (a key dirt: `_UNCARRIED`)
# and every carried pair that may match (`_CARRIED_MATCHING`): the store's pairs are scanned once, not once for each.
# In a store searched in full (no search tables), every stored pair.
_WANTED = """
CREATE OR REPLACE TEMP TABLE wanted AS
SELECT key FROM dirt
UNION
SELECT unnest([a.key, b.key]) FROM found c JOIN reps a ON a.pos = c.i JOIN reps b ON b.pos = c.j
WHERE a.key NOT IN (SELECT key FROM dirt) AND b.key NOT IN (SELECT key FROM dirt)
"""
_STORED_READ = {
    True: """
        CREATE OR REPLACE TEMP TABLE stored_read AS SELECT * FROM stored_checked
        WHERE first_key IN (SELECT key FROM wanted) OR second_key IN (SELECT key FROM wanted)
            OR greatest(jaccard, first_in_second, second_in_first) >= getvariable('floor')
    """,
    False: "CREATE OR REPLACE TEMP VIEW stored_read AS SELECT * FROM stored_checked",
}
# The stored pairs between `clean` representatives (by position, as flows/stages/looked_up.py's pairs), carried as
# stored: candidates of this run without a pass of their own.
_CARRIED = """
SELECT least(a.pos, b.pos) AS i, greatest(a.pos, b.pos) AS j, a.pos > b.pos AS swapped, c.first_key, c.second_key,
    c.jaccard, c.first_in_second, c.second_in_first
FROM stored_read c JOIN clean a ON a.key = c.first_key JOIN clean b ON b.key = c.second_key
"""
# The carried pairs that may match: their largest share at least `floor`.
_CARRIED_MATCHING = f"""
SELECT * FROM ({_CARRIED}) WHERE greatest(jaccard, first_in_second, second_in_first) >= getvariable('floor')
"""
# The stored pairs not carried (a key not `clean`), found in one pass over the store: few where little changed, so the
# carried ones are counted as the rest, not by a join of every stored pair. Every live pair of a store its search left
# (`searched`) has keys that stood for copies in the run that wrote it (it was verified then, or carried as clean), so
# its key is not clean exactly when its count changed (`dirt`): the few dirt keys are probed, not every clean one. A
# store searched in full carries nothing. The stored pairs its readers see are counted as the shards' rows (from
# their metadata) less the gone pairs (each a row of the shards, once), not by a join of every stored pair.
_UNCARRIED = "CREATE OR REPLACE TEMP TABLE uncarried AS SELECT first_key, second_key FROM stored_read WHERE {}"
_NOT_CLEAN = {True: "first_key IN (SELECT key FROM dirt) OR second_key IN (SELECT key FROM dirt)", False: "true"}
_CARRIED_COUNT = """
SELECT (SELECT count(*) FROM checked_shards) - (SELECT count(*) FROM previous_gone_pairs)
    - (SELECT count(*) FROM uncarried)
"""
# Candidate pairs verified a batch of this many at a time: the flow holds one batch's arrays and shingle sets.
VERIFY_ROWS = 1_000_000


@dataclass
class StoredMatches:
    """The stage's matches, the store the run leaves for the next one, and how many texts (paragraphs and
    sentences) it signed and candidate pairs it verified."""

    matches: Matches
    update: BandUpdate | None
    signed: int
    verified: int


def stored_matches(
    texts: Sequence[str],
    settings: DedupSettings,
    stored: StoredBands,
    progress: Ticker = NO_PROGRESS,
    spill: Path | None = None,
    signed: SignedPool = NOTHING_SIGNED,
    parts: Path | None = None,
    keys: np.ndarray | None = None,
) -> StoredMatches:
    """Matches of the texts, taking the rows the stored bands do not hold from `signed` (signing only what it
    lacks), searching candidates only where they changed, carrying the stored pairs of representatives that did not
    change as stored and verifying only new pairs; `progress` sees each pass
    (signing paragraphs, splitting and signing sentences, finding candidates, verifying pairs) as it goes; DuckDB
    spills into `spill`, when given. The flow holds the candidate pairs packed (8 bytes a pair) and verifies them
    VERIFY_ROWS at a time, keeping only the matches among them. The store's new rows and the checked pairs are
    written as Parquet parts into `parts` as they are taken, signed or verified, when given, else held; `keys`: the
    texts' `text_sip_keys`, when the caller has them (the finished table carries them), else hashed here."""
    keys = text_sip_keys(texts) if keys is None else keys
    distinct, first, rows = np.unique(keys, return_index=True, return_inverse=True)
    sink = PartRows(parts) if parts else HeldRows()
    with store_connection(stored, {}, spill) as connection:
        described, sentence_keys = _described(
            partial(_rows_of, connection), texts, distinct, first, signed, settings, progress, sink
        )
    new = sink.rows()
    words = described["words"].to_numpy()[rows]
    copies = copy_groups(described["normalised_key"].to_numpy()[rows], words, settings.min_words, MAX_SHARED_GROUP)
    grouped = np.zeros(len(texts), dtype=bool)
    grouped[[position for others in copies.values() for position in others]] = True
    positions = np.flatnonzero(~grouped)
    checked = PartRows(parts, tables=("checked",)) if parts else HeldRows(("checked",))
    with store_connection(stored, new, spill) as connection:
        progress.phase("candidates", len(positions), "paragraphs")
        reps = pa.table({"pos": positions, "key": keys[positions], "words": words[positions]})
        search = candidate_pairs(connection, reps, settings, stored.searched, signed, spill)
        if stored.searched:
            connection.execute(_WANTED)
        connection.execute(f"SET VARIABLE floor = {_floor(settings)!r}::DOUBLE")
        connection.execute(_STORED_READ[stored.searched])
        pairs = looked_up(connection, stored.folder is not None, search.found, keys, "stored_read")
        progress.advance(len(positions))
        connection.execute(_UNCARRIED.format(_NOT_CLEAN[stored.searched]))
        (carried,) = connection.sql(_CARRIED_COUNT).fetchall()[0]
        progress.phase("verifying", pairs.unknown, "pairs")
        verified = _looked_up_matches(pairs, texts, settings, checked, progress)
        verified += _carried_matches(connection, settings)
        dropped = pairs.dropped()
    overlaps, partial_pairs = (
        _in_order(PairTable.joined([getattr(one, kind) for one in verified])) for kind in ("overlaps", "partial")
    )
    matches = Matches(overlaps, pairs.found + carried, partial_pairs, copies, word_counts=words)
    kept = pa.table({"key": sorted_sets.distinct(np.concatenate([distinct, sentence_keys]))})
    update = BandUpdate(
        stored, pa.table({"key": distinct}), kept, checked.rows()["checked"], dropped, new, search.left, spill
    )
    return StoredMatches(matches, update, sink.count("texts"), pairs.unknown)


def _looked_up_matches(
    pairs: LookedUp, texts: Sequence[str], settings: DedupSettings, checked: NewRowSink, progress: Ticker
) -> list[Matches]:
    """The matches among the looked-up `pairs`, verified VERIFY_ROWS at a time (in order), the overlaps of each
    batch's unknown pairs (those the store had not checked, so measured) added to `checked`: the shingle sets of the
    texts in the unknown pairs are hashed once for every batch, not again in each batch a text's pairs fall in."""
    sets = hashed_sets(pairs.unchecked_positions(), texts, settings.shingle_size, pairs.unknown)
    verified = []
    for batch in pairs.batches(VERIFY_ROWS):
        batch_matches, shares, measured = _verify_batch(batch, sets, settings)
        checked.add("checked", _checked_rows(batch, shares, measured))
        verified.append(batch_matches)
        progress.advance(len(measured))
    return verified


def _verify_batch(
    batch: pa.RecordBatch, sets: PositionSets, settings: DedupSettings
) -> tuple[Matches, np.ndarray, np.ndarray]:
    """Verify a batch of looked-up pairs (in order), measuring those the store had not checked from their texts'
    `sets`: the matches among them, every pair's overlap as the store orders its keys, and the rows measured."""
    pairs = np.stack([batch["i"].to_numpy(), batch["j"].to_numpy()], axis=1).reshape(-1, 2)
    swapped = batch["swapped"].to_numpy(zero_copy_only=False)
    # jaccard, share of the first in the second, of the second in the first: NaN where not checked before
    shares = np.stack([batch[name].to_numpy(zero_copy_only=False) for name in SHARES], axis=1).reshape(-1, 3)
    shares[swapped] = shares[swapped][:, [0, 2, 1]]  # the store orders a pair by key, the matches by position
    unknown = np.flatnonzero(np.isnan(shares[:, 0]))
    if len(unknown):
        shares[unknown] = sets.shares(pairs[unknown])
    found = classified(pairs, shares, settings, len(pairs))
    shares[swapped] = shares[swapped][:, [0, 2, 1]]
    return found, shares, unknown


def _floor(settings: DedupSettings) -> float:
    """The least share of a pair that may match (as one of its kinds)."""
    return float(min(settings.jaccard_threshold, settings.containment_threshold, settings.partial_share))


def _carried_matches(connection: duckdb.DuckDBPyConnection, settings: DedupSettings) -> list[Matches]:
    """The matches among the carried pairs, from their stored overlaps (none measured), a batch at a time (the
    connection's variable `floor` set)."""
    batches = connection.sql(_CARRIED_MATCHING).to_arrow_reader(VERIFY_ROWS)
    return [_verify_batch(batch, NO_SETS, settings)[0] for batch in batches]


def _checked_rows(batch: pa.RecordBatch, shares: np.ndarray, measured: np.ndarray) -> pa.Table:
    """The store's `checked` rows of a verified batch's `measured` rows: each pair's keys with its overlap (the
    others' are stored already)."""
    keys = {name: batch[name].take(measured) for name in ("first_key", "second_key")}
    return pa.table({**keys, **dict(zip(SHARES, shares[measured].T))}, schema=SCHEMAS["checked"])


def _in_order(pairs: PairTable) -> PairTable:
    """The pairs ordered by position (the verified and the carried ones hold no pair in common)."""
    order = np.argsort(packed_pairs(pairs.positions), kind="stable")
    return PairTable(pairs.positions[order], pairs.measures[order])


# The rows of a stored table (by name) whose key is one of some keys.
StoredRows = Callable[[str, np.ndarray], pa.Table]


def signed_rows(texts: Sequence[str], settings: DedupSettings, keys: np.ndarray | None = None) -> dict[str, pa.Table]:
    """The `texts`, `bands` and `sentences` rows of the distinct texts and of their sentences, each distinct text
    once (bands in the order of their texts; `keys`: the texts' `text_sip_keys`, when the caller has them): what a
    finishing task leaves beside its shard. No store is asked (a worker has none), so no DuckDB is opened."""
    distinct, first = np.unique(text_sip_keys(texts) if keys is None else keys, return_index=True)
    rows = HeldRows()
    _described(_nothing_stored, texts, distinct, first, NOTHING_SIGNED, settings, NO_PROGRESS, rows)
    return rows.rows()


def _nothing_stored(table: str, keys: np.ndarray) -> pa.Table:
    """No rows of a stored table: what an empty store holds for any keys."""
    return SCHEMAS[table].empty_table()


def _rows_of(connection: duckdb.DuckDBPyConnection, table: str, keys: np.ndarray) -> pa.Table:
    """The rows of a stored table whose key is one of `keys`."""
    connection.register("wanted", pa.table({"key": keys}))
    rows = connection.sql(f"SELECT * FROM {table} WHERE key IN (SELECT key FROM wanted)").to_arrow_table()
    connection.unregister("wanted")
    return rows.cast(SCHEMAS[table])


def _described(
    stored_rows: StoredRows,
    texts: Sequence[str],
    distinct: np.ndarray,
    first: np.ndarray,
    signed: SignedPool,
    settings: DedupSettings,
    progress: Ticker,
    into: NewRowSink,
) -> tuple[pa.Table, np.ndarray]:
    """The `texts` rows of the distinct paragraph texts (`distinct` keys, first at positions `first`), sorted by
    key, and the keys of their sentences (stored and new); the new rows of every table for those the store
    (`stored_rows`) does not hold and their sentences are added to `into`."""
    known = stored_rows("texts", distinct)
    fresh = distinct[~sorted_sets.contained(distinct, known["key"].to_numpy())]
    paragraphs = _taken_or_signed(
        fresh,
        lambda lacking: [texts[position] for position in first[np.searchsorted(distinct, lacking)].tolist()],
        signed,
        settings,
        progress,
        "paragraphs",
        into,
    )
    described = pa.concat_tables([known, paragraphs]).sort_by("key")
    return described, _new_sentences(stored_rows, texts, distinct, first, described, signed, settings, progress, into)


def _taken_or_signed(
    keys: np.ndarray,
    texts_of: Callable[[np.ndarray], list[str]],
    signed: SignedPool,
    settings: DedupSettings,
    progress: Ticker,
    unit: str,
    into: NewRowSink,
) -> pa.Table:
    """Rows of `texts` and `bands` for distinct keys the store does not hold, added to `into`: taken from
    `signed` where it holds them, the rest signed from their texts (`texts_of` the lacking keys); their `texts`
    rows."""
    taken = signed.take(keys, into)
    lacking = keys[~sorted_sets.contained(keys, taken["key"].to_numpy())]
    progress.phase(f"signing {unit}", len(lacking), unit)
    made = [
        _signed_chunk(chunk, chunk_keys, settings, progress, into)
        for chunk, chunk_keys in zip(in_chunks(texts_of(lacking)), in_chunks(lacking), strict=True)
    ]
    return pa.concat_tables([taken, *made])


def _signed_chunk(
    texts: Sequence[str], keys: np.ndarray, settings: DedupSettings, progress: Ticker, into: NewRowSink
) -> pa.Table:
    """Rows of `texts` and `bands` for some distinct texts (with their `text_sip_keys`) the store does not hold,
    added to `into` (advancing `progress`); their `texts` rows."""
    signed = sign_texts(texts, keys, settings)
    progress.advance(len(texts))
    long = signed.word_counts >= settings.min_words
    columns = (signed.keys, signed.normalised_keys, signed.word_counts)
    rows = pa.table(dict(zip(SCHEMAS["texts"].names, columns)), schema=SCHEMAS["texts"])
    into.add("texts", rows)
    into.add("bands", bands_table(signed.keys[long], signed.band_keys[long]))
    return rows


def _new_sentences(
    stored_rows: StoredRows,
    texts: Sequence[str],
    distinct: np.ndarray,
    first: np.ndarray,
    described: pa.Table,
    signed: SignedPool,
    settings: DedupSettings,
    progress: Ticker,
    into: NewRowSink,
) -> np.ndarray:
    """Add to `into` the rows of `sentences` for the long paragraph texts the store never split, and of `texts`
    and `bands` for their sentences it does not hold: taken from `signed` where it holds them, else split and
    signed here; the sentence keys of every long paragraph text (stored rows and new, a key once a row)."""
    long_keys = described.filter(pc.greater_equal(described["words"], settings.min_words))["key"].to_numpy()
    stored_sentences = stored_rows("sentences", long_keys)
    split = stored_sentences["key"].to_numpy()
    unsplit = long_keys[~sorted_sets.contained(long_keys, split)]
    taken = signed.sentences_of(unsplit)
    lacking = unsplit[~sorted_sets.contained(unsplit, taken["key"].to_numpy())]
    owners = first[np.searchsorted(distinct, lacking)]
    progress.phase("splitting sentences", len(owners), "paragraphs")
    sentences = paragraph_sentences(ticking((texts[position] for position in owners.tolist()), progress.advance))
    sentence_keys = text_sip_keys(sentences.texts)
    table = pa.concat_tables(
        [
            taken,
            pa.table(
                {"key": lacking[sentences.owners], "sentence": sentences.indexes, "sentence_key": sentence_keys},
                schema=SCHEMAS["sentences"],
            ),
        ]
    )
    into.add("sentences", table)
    unseen = sorted_sets.distinct(table["sentence_key"].to_numpy())
    unseen = unseen[~sorted_sets.contained(unseen, described["key"].to_numpy())]
    unseen = unseen[~sorted_sets.contained(unseen, stored_rows("texts", unseen)["key"].to_numpy())]
    split_keys, where = np.unique(sentence_keys, return_index=True)  # the sentences of `taken` are in `signed`
    _taken_or_signed(
        unseen,
        lambda lacking: [sentences.texts[row] for row in where[np.searchsorted(split_keys, lacking)].tolist()],
        signed,
        settings,
        progress,
        "sentences",
        into,
    )
    return np.concatenate([stored_sentences["sentence_key"].to_numpy(), table["sentence_key"].to_numpy()])
