"""Clusters and trims carried over from the previous run: components of the overlapping pairs whose paragraphs,
policy keys, texts and pairs did not change keep their stored clusters, and trims whose paragraph and keepers' texts
did not change keep their stored corpus text, and pairs measured again after spelling fixes whose two texts did not
change keep their stored measure; the result always equals clustering, trimming and measuring everything again."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import random
from pathlib import Path

import mmh3
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dedup.carry import MEASURE_COLUMNS, NOTHING_CARRIED, carry_trims, measure_keys, measure_table, trim_keys
from dedup.components import (
    _PAIR_TAGS,
    Signatures,
    component_labels,
    component_signatures,
    key_hashes,
    mix64,
    paragraph_hashes,
)
from dedup.constraints import cluster_constraints
from dedup.deduplicate import DedupResult, cluster_matches, find_matches, remeasure
from dedup.pair_table import PairTable
from dedup.shingles import paragraph_fingerprint
from dedup.text_hash import TEXT_SEED, text_hashes
from dedup.trim import NO_KEEPERS, Keepers
from flows.runtime.collector import frozen_heap
from flows.stages.column_texts import ColumnTexts
from flows.state.cluster_store import (
    CLUSTERS_FILE,
    MEASURES_FILE,
    NO_CLUSTERS,
    TRIMS_FILE,
    ClusterUpdate,
    StoredClusters,
    load_clusters,
    write_clusters,
)
from tests.test_dedup import (
    DETERRENT,
    KCNA,
    LIAISON,
    MOON,
    POLICY,
    RELATIONS,
    SETTINGS,
    SWEETENER,
    Paragraph,
    article,
    change_word,
    links_by_doc,
    merged,
    records_of,
    shares_by_doc,
    syndicated_corpus,
    texts_of,
    with_junk,
)


def clustered(records: list[Paragraph], stored: StoredClusters = NO_CLUSTERS, constraints=None) -> DedupResult:
    """Match and cluster the records, carrying over what `stored` holds."""
    texts = texts_of(records)
    extra = {} if constraints is None else {"constraints": constraints}
    return cluster_matches(
        records_of(records), texts, find_matches(texts, SETTINGS), SETTINGS, POLICY, carried=stored, **extra
    )


def stored(folder: Path, records: list[Paragraph], result: DedupResult, previous=NO_CLUSTERS) -> StoredClusters:
    """The run's clusters written into a state folder and read back, as the next run reads them."""
    folder.mkdir(exist_ok=True)
    write_clusters(folder, ClusterUpdate(previous, records_of(records), result))
    return load_clusters(folder)


def assert_same_result(carried: DedupResult, fresh: DedupResult) -> None:
    assert carried.memberships == fresh.memberships
    assert carried.corpus_trims == fresh.corpus_trims
    assert carried.overlaps == fresh.overlaps
    assert shares_by_doc(carried.copied_share) == shares_by_doc(fresh.copied_share)
    assert links_by_doc(carried.duplicate_of) == links_by_doc(fresh.duplicate_of)


def marked(store: StoredClusters) -> StoredClusters:
    """The store with every stored membership's match renamed, to see which memberships a run took from it."""
    match = store.table["match"].to_pylist()
    column = store.table.schema.get_field_index("match")
    return StoredClusters(store.table.set_column(column, "match", [[f"stored {m}" for m in match]]))


def marked_trims(store: StoredClusters) -> StoredClusters:
    """The store with every stored trim's corpus text renamed, to see which trims a run took from it."""
    texts = [None if text is None else f"stored {text}" for text in store.trim_table["corpus_text"].to_pylist()]
    column = store.trim_table.schema.get_field_index("corpus_text")
    return StoredClusters(store.table, store.trim_table.set_column(column, "corpus_text", [texts]))


def two_merges() -> list[Paragraph]:
    """Two different merges sharing SWEETENER: a partial pair; the blog's copy is trimmed to LIAISON."""
    return [
        *article("first", [merged(DETERRENT, SWEETENER)], source="Reuters"),
        *article("second", [merged(SWEETENER, LIAISON)], source="Some Blog"),
    ]


def test_components_are_connected_positions_named_by_their_smallest():
    pairs = np.array([[5, 1], [1, 3], [6, 7], [3, 5]], dtype=np.int64)
    assert component_labels(8, pairs).tolist() == [0, 1, 2, 1, 4, 1, 6, 6]
    assert component_labels(3, np.zeros((0, 2), dtype=np.int64)).tolist() == [0, 1, 2]


def test_components_of_long_chains_and_cycles_are_named_by_their_smallest_position():
    rng = np.random.default_rng(14)
    count = 2_000
    chain = rng.permutation(count)[:1_500]  # one long path, its links in random order
    pairs = np.concatenate([np.stack([chain[:-1], chain[1:]], 1), rng.integers(0, count, (300, 2))])
    pairs = pairs[rng.permutation(len(pairs))]
    labels = component_labels(count, pairs)
    neighbours: dict[int, set[int]] = {}
    for first, second in pairs.tolist():
        neighbours.setdefault(first, set()).add(second)
        neighbours.setdefault(second, set()).add(first)
    expected = np.arange(count)
    for start in range(count):
        if expected[start] < start:
            continue  # met from a smaller position
        reached, frontier = {start}, [start]
        while frontier:
            frontier = [found for at in frontier for found in neighbours.get(at, set()) - reached]
            reached.update(frontier)
        expected[list(reached)] = start
    assert labels.tolist() == expected.tolist()


def test_an_unchanged_corpus_carries_every_cluster_over(tmp_path):
    records = syndicated_corpus()
    first = clustered(records)
    assert len(first.components.signatures) and not first.components.carried.any()
    store = marked(stored(tmp_path / "state", records, first))
    again = clustered(records, store)
    assert carried_signatures(again) == set(first.components.signatures.column.to_pylist())
    signed = set(first.components.signatures.labels.tolist())
    shared = {position for position, label in enumerate(first.components.labels) if label in signed}
    assert {p for p, m in enumerate(again.memberships) if m.match.startswith("stored")} == shared


def test_a_new_article_before_the_others_moves_positions_but_not_the_carried_clusters(tmp_path):
    records = syndicated_corpus()
    store = stored(tmp_path / "state", records, clustered(records))
    newcomer = article("aaa", [MOON + " Seoul said so on Friday.", "A paragraph about the weather in Hanoi today."])
    grown = [*newcomer, *records]
    carried, fresh = clustered(grown, store), clustered(grown)
    assert_same_result(carried, fresh)
    assert carried.components.carried.any(), "the wire story's components did not change"
    moon = next(p for p, r in enumerate(grown) if r.text == MOON)
    components = carried.components
    assert not components.carried[np.searchsorted(components.signatures.labels, components.labels[moon])]


def test_a_cluster_gaining_a_member_and_a_preferred_copy_are_clustered_again(tmp_path):
    records = syndicated_corpus()
    store = marked(stored(tmp_path / "state", records, clustered(records)))
    copy = article("reuters-copy", [change_word(KCNA, "Deep", "Profound"), LIAISON], source="Reuters")
    grown = [*records, *copy]
    carried, fresh = clustered(grown, store), clustered(grown)
    unmarked = [dataclasses.replace(m, match=m.match.removeprefix("stored ")) for m in carried.memberships]
    assert unmarked == fresh.memberships
    liaison = [p for p, r in enumerate(grown) if r.text == LIAISON]
    assert not any(carried.memberships[p].match.startswith("stored") for p in liaison)
    assert any(m.match.startswith("stored") for m in carried.memberships), "untouched clusters came from the store"


def test_a_member_deleted_with_its_article_unstores_its_component(tmp_path):
    records = syndicated_corpus()
    store = stored(tmp_path / "state", records, clustered(records))
    fewer = [record for record in records if record.doc_id != "ap"]
    carried, fresh = clustered(fewer, store), clustered(fewer)
    assert_same_result(carried, fresh)
    assert len(carried_signatures(carried)) < len(set(store.table["signature"].to_pylist()))
    assert stored(tmp_path / "next", fewer, carried, store).table.num_rows < store.table.num_rows


def test_components_a_maintainer_merged_are_neither_stored_nor_carried(tmp_path):
    records = [
        *article("wire", [DETERRENT, SWEETENER, RELATIONS], source="Reuters"),
        *article("ap", [merged(DETERRENT, SWEETENER), with_junk(RELATIONS)], source="AP"),
    ]
    fingerprints = [paragraph_fingerprint(record.text) for record in records]
    constraints = cluster_constraints(fingerprints, [(fingerprints[0], fingerprints[1])], [])
    first = clustered(records, constraints=constraints)
    store = stored(tmp_path / "state", records, first)
    labels = first.components.labels
    assert int(labels[0]) not in first.components.signatures.labels
    again = clustered(records, store, constraints)
    assert_same_result(again, first)
    assert "merged" in {again.memberships[0].match, again.memberships[1].match}


def test_only_paragraphs_in_a_pair_are_hashed_for_signing():
    """A paragraph in no pair is a component of its own, never stored: its hash row stays 0, and the others'
    rows are the hashes of their keys and texts wherever they sit."""
    texts = [LIAISON, MOON, KCNA]
    keys = key_hashes(pa.table({"0": [False, False], "1": ["a", "c"], "2": [0, 0]}))
    hashes = paragraph_hashes(3, np.array([0, 2]), keys, text_hashes(texts))
    assert not hashes[1].any()
    assert np.array_equal(hashes[[0, 2]], paragraph_hashes(2, np.array([0, 1]), keys, text_hashes([LIAISON, KCNA])))
    moved = paragraph_hashes(3, np.array([0, 2]), keys[::-1], text_hashes(texts))
    assert not (moved[[0, 2]] == hashes[[0, 2]]).all(axis=1).any(), "a key with another text hashes apart"


def by_label(signatures: Signatures) -> dict[int, bytes]:
    """The signatures as a dict, by component label."""
    return dict(zip(signatures.labels.tolist(), signatures.column.to_pylist(), strict=True))


def carried_signatures(result: DedupResult) -> set[bytes]:
    """The signatures of the components whose clusters a run carried over."""
    components = result.components
    return set(components.signatures.column.filter(pa.array(components.carried)).to_pylist())


def _signatures_by_arrays(labels: np.ndarray, hashes: np.ndarray, positions: np.ndarray, measures: np.ndarray) -> dict:
    """The component signatures as NumPy summed them until session 34 (the stored states' signatures)."""
    first, second = hashes[positions[:, 0]], hashes[positions[:, 1]]
    flipped = first[:, 0] > second[:, 0]
    low, high = np.where(flipped[:, None], second, first), np.where(flipped[:, None], first, second)
    inside = np.where(flipped, measures[:, 2], measures[:, 1]), np.where(flipped, measures[:, 1], measures[:, 2])
    mixed = np.full(len(positions), _PAIR_TAGS[0], dtype=np.uint64)
    for value in (measures[:, 0], *inside):
        mixed = mix64(mixed ^ np.ascontiguousarray(value).view(np.uint64))
    pair_hashes = np.stack([mix64(mix64(mixed ^ high[:, lane]) ^ low[:, lane]) for lane in range(2)], axis=1)
    sums = np.zeros((len(labels), 2), dtype=np.uint64)
    for rows, values in ((labels, hashes), (labels[positions[:, 0]], pair_hashes)):
        for lane in range(2):
            np.add.at(sums[:, lane], rows, values[:, lane])
    shared = np.flatnonzero(np.bincount(labels, minlength=len(labels)) > 1)
    return {label: sums[label].tobytes() for label in shared.tolist()}


def test_a_components_signature_is_the_one_older_states_stored():
    """The pairs' hashes added in one compiled pass give the signatures the arrays gave (so an older state's
    components are carried): a fixed example's signatures as stored, and random pairs, equal first lanes among them."""
    positions = np.array([[0, 1], [1, 2], [3, 4], [2, 5]], dtype=np.int64)
    measures = np.array([[0.9, 0.95, 0.92], [0.8, 1.0, 0.75], [0.5, 0.6, 1.0], [1.0, 1.0, 1.0]])
    hashes = np.array([[3, 30], [1, 10], [2, 20], [7, 70], [7, 71], [5, 50], [9, 90]], dtype=np.uint64)
    labels = component_labels(7, positions)
    signatures = by_label(component_signatures(labels, hashes, (PairTable(positions, measures),)))
    assert {label: signature.hex() for label, signature in signatures.items()} == {
        0: "39503ab2846d76bf19f470192ec70312",
        3: "1e73c84614237a9a949aa1d409107a50",
    }
    rng = np.random.default_rng(34)
    positions = np.unique(np.sort(rng.integers(0, 500, (800, 2)), axis=1), axis=0)
    positions = positions[positions[:, 0] < positions[:, 1]]
    measures = rng.random((len(positions), 3)).round(2)
    hashes = rng.integers(0, 1 << 62, (500, 2)).astype(np.uint64)
    hashes[::5, 0] = hashes[1::5, 0][: len(hashes[::5])]
    labels = component_labels(500, positions)
    expected = _signatures_by_arrays(labels, hashes, positions, measures)
    assert by_label(component_signatures(labels, hashes, (PairTable(positions, measures),))) == expected


def test_every_part_of_a_policy_key_and_its_place_change_its_hash():
    """Two keys that differ in one part, or hold the same values in other parts, hash apart, and a key hashes
    the same wherever its row is."""
    keys = pa.table(
        {"0": [False, True, False, False, False], "1": ["a-1", "a-1", "a-1", "a", "a-1"], "2": [1, 1, 2, 1, 1]}
    )
    hashes = key_hashes(keys)
    assert len({row.tobytes() for row in hashes[:4]}) == 4
    assert np.array_equal(hashes[0], hashes[4])
    assert np.array_equal(key_hashes(keys.slice(2))[0], hashes[2])


def test_a_policy_keys_hash_is_the_one_older_states_stored():
    """Each part mixed in place by the compiled pass gives the hashes `mix64` of the whole arrays gave (so an older
    state's signatures still match): a fixed example of the default policy's shape, as stored, and the arrays'
    formula over booleans, numbers and strings in chunks."""
    keys = pa.table(
        {
            "0": pa.array([False, True, False]),
            "1": pa.array([0, 4, 2], pa.int64()),
            "2": pa.array(["2024-01-02", "9999", "2023"], pa.string()),
            "3": pa.array([-3, -1, -7], pa.int64()),
            "4": pa.chunked_array([pa.array(["a-1"], pa.large_string()), pa.array(["b-2", "c"], pa.large_string())]),
            "5": pa.array([0, 1, 12], pa.int64()),
        }
    )
    assert [row.tobytes().hex() for row in key_hashes(keys)] == [
        "e0a7312def94c7b22ffe21c87c283487",
        "d7043e45609e0dfdbb99e3ceeb7f4020",
        "6f11021ffa8eb31beb2a575482d0adbd",
    ]
    expected = np.tile(np.array([0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3], dtype=np.uint64), (3, 1))
    for part in keys.columns:
        if pa.types.is_integer(part.type) or pa.types.is_boolean(part.type):
            values = np.asarray(part.to_numpy(), dtype=np.int64).view(np.uint64)[:, None]
        else:
            values = text_hashes(part.to_pylist())
        expected = mix64(expected ^ values)
    assert np.array_equal(key_hashes(keys), expected)


def test_texts_are_hashed_from_their_arrow_bytes_as_murmur3_hashes_them():
    """text_hashes reads an Arrow column's buffers (chunks of both string types, sliced) and equals mmh3's
    MurmurHash3 x64_128 of each text's UTF-8 bytes, every tail length included."""
    texts = [LIAISON, MOON, "", "Pyongyang\u00a0", "ñ" * 9, *(KCNA[:length] for length in range(40))]
    expected = np.array([mmh3.hash64(text.encode(), TEXT_SEED, signed=False) for text in texts], dtype=np.uint64)
    assert np.array_equal(text_hashes(texts), expected)
    large = pa.array(["skipped", *texts], pa.large_string()).slice(1)
    column = pa.chunked_array([pa.array(texts[:3], pa.string()).cast(pa.large_string()), large.slice(3)])
    assert np.array_equal(text_hashes(ColumnTexts(column)), expected)
    assert text_hashes([]).shape == (0, 2)


def test_paragraphs_in_no_pair_are_unique_whether_clusters_are_carried_or_not(tmp_path):
    records = syndicated_corpus()
    first = clustered(records)
    again = clustered(records, stored(tmp_path, records, first))
    alone = [
        position
        for position in range(len(records))
        if not any(
            position in pair for pair in (*first.overlaps, *find_matches([r.text for r in records], SETTINGS).partial)
        )
    ]
    assert alone
    for result in (first, again):
        for position in alone:
            membership = result.memberships[position]
            assert (membership.cluster_id, membership.match) == (
                f"{records[position].doc_id}-{records[position].para_idx}",
                "unique",
            )


def test_a_partial_pair_joins_no_component_but_its_trim_is_keyed():
    records = two_merges()
    result = clustered(records)
    assert result.corpus_trims == {1: LIAISON}
    assert not len(result.components.signatures), "each merge is alone among the overlapping pairs"
    assert result.trims.num_rows == 1 and result.trims["corpus_text"].to_pylist() == [LIAISON]


def test_an_unchanged_trim_is_carried_wherever_its_paragraphs_moved(tmp_path):
    records = two_merges()
    store = marked_trims(stored(tmp_path / "state", records, clustered(records)))
    grown = [*article("aaa", ["A paragraph about the weather in Hanoi today."]), *records]
    assert clustered(grown, store).corpus_trims == {2: f"stored {LIAISON}"}
    assert clustered(grown).corpus_trims == {2: LIAISON}


def test_a_trim_whose_keepers_changed_is_made_again(tmp_path):
    records = two_merges()
    store = marked_trims(stored(tmp_path / "state", records, clustered(records)))
    grown = [*records, *article("third", [merged(LIAISON, KCNA)], source="AP")]
    carried, fresh = clustered(grown, store), clustered(grown)
    assert_same_result(carried, fresh)
    assert carried.corpus_trims[1] == "", "the AP copy now holds LIAISON too: nothing of the blog's is left"


def test_a_trim_that_dropped_nothing_is_stored_as_null_and_carried(tmp_path):
    """Two canonical paragraphs partly paired by a sentence printed again with another ending: the repeat holds
    too little of the keeper's sentence to be dropped, and the next run does not look at it again. (The two
    sentences' Jaccard is 0.65, a candidate of the sentence index's 24 x 5 bands with probability 0.95: this
    wording is one its MinHash makes a candidate; "Wednesday" is not.)"""
    dinner = "The two leaders met for dinner at the Metropole hotel on Tuesday"
    records = [
        *article(
            "wire", [f"{dinner} evening in central Hanoi. Officials said the talks resume on Thursday."], "Reuters"
        ),
        *article("blog", [f"{dinner} before cameras left. Analysts in Seoul expected little progress from it."]),
    ]
    result = clustered(records)
    assert result.trims.num_rows == 1 and not result.corpus_trims
    store = stored(tmp_path / "state", records, result)
    found, texts = store.trims(result.trims["key"].combine_chunks())
    assert found.tolist() == [True] and texts.to_pylist() == [None]
    assert_same_result(clustered(records, store), result)


def test_a_store_with_trims_in_its_clusters_file_is_read_and_its_trims_made_again(tmp_path):
    """A state written before trims were stored apart: clusters.parquet holds a corpus_text column, no trims.parquet."""
    records = syndicated_corpus()
    first = clustered(records)
    store = stored(tmp_path, records, first)
    older = store.table.append_column("corpus_text", pa.array([None] * store.table.num_rows, pa.string()))
    pq.write_table(older, tmp_path / CLUSTERS_FILE)
    (tmp_path / TRIMS_FILE).unlink()
    (tmp_path / MEASURES_FILE).unlink()
    loaded = load_clusters(tmp_path)
    assert loaded.table.equals(store.table) and not loaded.trim_table.num_rows and not loaded.measure_table.num_rows
    again = clustered(records, loaded)
    assert_same_result(again, first)
    assert carried_signatures(again) == set(first.components.signatures.column.to_pylist())


def spelled(records: list[Paragraph], position: int, old: str, new: str) -> list[Paragraph]:
    """The records after a spelling fix changed one word of the paragraph at `position`."""
    fixed = dataclasses.replace(records[position], text=change_word(records[position].text, old, new))
    return [*records[:position], fixed, *records[position + 1 :]]


def test_a_pair_measured_again_keeps_its_stored_measure_until_one_of_its_texts_changes(tmp_path):
    """Spelling fixes change a paragraph after matching: its pairs are measured again, and the next run, whose text
    is the same, takes the stored measures; a fix that changes the text again measures them again."""
    records = syndicated_corpus()
    matches = find_matches([record.text for record in records], SETTINGS)
    kcna = next(p for p, r in enumerate(records) if r.text == KCNA)
    fixed = spelled(records, kcna, "Deep", "Profound")
    first = remeasure(matches, [r.text for r in fixed], SETTINGS, {kcna})
    assert first.remeasured.num_rows, "the fixed paragraph's pairs were measured again"
    result = cluster_matches(records_of(fixed), texts_of(fixed), first, SETTINGS, POLICY)
    store = stored(tmp_path / "state", fixed, result)
    assert store.measure_table.equals(first.remeasured)
    column = store.measure_table.schema.get_field_index("jaccard")
    marked_store = StoredClusters(
        store.table,
        store.trim_table,
        store.measure_table.set_column(column, "jaccard", [[0.999] * first.remeasured.num_rows]),
    )
    again = remeasure(matches, [r.text for r in fixed], SETTINGS, {kcna}, marked_store)
    assert set(again.remeasured["jaccard"].to_pylist()) == {0.999}, "every measure came from the store"
    assert remeasure(matches, [r.text for r in fixed], SETTINGS, {kcna}, store).overlaps == first.overlaps
    refixed = spelled(records, kcna, "Deep", "Frank")
    fresh = remeasure(matches, [r.text for r in refixed], SETTINGS, {kcna})
    carried = remeasure(matches, [r.text for r in refixed], SETTINGS, {kcna}, marked_store)
    assert list(carried.overlaps.items()) == list(fresh.overlaps.items())
    assert list(carried.partial.items()) == list(fresh.partial.items())
    assert 0.999 not in carried.remeasured["jaccard"].to_pylist()


def test_clustering_on_a_frozen_heap_collects_nothing_and_gives_the_same_result(tmp_path):
    """The flow clusters on a frozen heap (`flows.runtime.memory.frozen_heap`): full collections would walk every article
    and paragraph of the run, so they grow with the corpus; the collector is back as it was afterwards."""
    records = syndicated_corpus()
    store = stored(tmp_path / "state", records, clustered(records))
    grown = [*article("aaa", [MOON + " Seoul said so on Friday."]), *records]
    collections: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        with frozen_heap():
            frozen = clustered(grown, store)
            assert not gc.isenabled()
    finally:
        gc.callbacks.remove(seen)
    assert collections == []
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert_same_result(frozen, clustered(grown, store))


def test_a_trims_key_is_the_hash_of_its_paragraphs_text_and_its_keepers_texts_in_order():
    """Each key hashes the 128-bit text hashes of the trimmed paragraph and its keepers, in their order, and only
    those: keys stored by earlier runs stay valid."""
    chance = random.Random(23)
    texts = [f"paragraph {n} of the wire story" for n in range(40)]
    hashes = text_hashes(texts)
    keepers = {other: chance.sample(range(40), chance.randint(1, 6)) for other in chance.sample(range(40), 25)}
    lengths = [len(ahead) for ahead in keepers.values()]
    keys = trim_keys(
        hashes,
        Keepers(
            np.array(list(keepers)),
            np.cumsum([0, *lengths]),
            np.array([k for ahead in keepers.values() for k in ahead]),
        ),
    ).to_pylist()
    for key, (other, ahead) in zip(keys, keepers.items(), strict=True):
        assert key == hashlib.blake2b(hashes[[other, *ahead]].tobytes(), digest_size=16).digest()
    assert len(set(keys)) == len(keepers) and len(trim_keys(hashes, NO_KEEPERS)) == 0


def test_a_pairs_measure_key_is_the_hash_of_its_two_texts_the_lower_positions_first():
    """Each key hashes the 128-bit text hashes of the pair's two texts, the one at the lower position first, and
    only those: keys stored by earlier runs stay valid."""
    hashes = text_hashes([f"paragraph {n} of the wire story" for n in range(12)])
    pairs = np.array([[0, 1], [3, 7], [2, 11], [5, 6]], np.int64)
    expected = [hashlib.blake2b(hashes[pair].tobytes(), digest_size=16).digest() for pair in pairs]
    assert measure_keys(hashes, pairs).to_pylist() == expected
    assert len(measure_keys(hashes, np.zeros((0, 2), np.int64))) == 0


def test_keys_alike_in_their_first_half_are_told_apart_by_their_second():
    """Distinct keys are stored once each, where each first comes, even when two share their first eight bytes."""
    lanes = np.array([[5, 1], [5, 2], [9, 1], [5, 1], [5, 2], [4, 4]], dtype=np.uint64)
    keys = pa.FixedSizeBinaryArray.from_buffers(MEASURE_COLUMNS.field("key").type, 6, [None, pa.py_buffer(lanes)])
    shares = np.arange(18, dtype=np.float64).reshape(6, 3)
    table = measure_table(keys, shares)
    assert table["key"].to_pylist() == keys.take([0, 1, 2, 5]).to_pylist()
    assert table["jaccard"].to_pylist() == [0.0, 3.0, 6.0, 15.0]


def test_the_measures_are_stored_once_a_pair_of_texts_and_looked_up_in_the_order_asked():
    """Two pairs of the same two texts (copies at other positions) are stored as one row, the first's; a lookup gives
    each asked key its stored measure in the order asked, and NaN for a key never stored."""
    hashes = text_hashes(["one text", "another text", "one text", "another text", "a third"])
    keys = measure_keys(hashes, np.array([[0, 1], [2, 3], [0, 4]], np.int64))
    shares = np.array([[0.5, 0.6, 0.7], [0.5, 0.6, 0.7], [0.1, 0.2, 0.3]])
    table = measure_table(keys, shares)
    assert table.schema == MEASURE_COLUMNS and table["key"].to_pylist() == [keys[0].as_py(), keys[2].as_py()]
    store = StoredClusters(measure_table=table)
    asked = measure_keys(hashes, np.array([[0, 4], [1, 4], [2, 3]], np.int64))
    found = store.measures(asked)
    assert found[[0, 2]].tolist() == [[0.1, 0.2, 0.3], [0.5, 0.6, 0.7]] and np.isnan(found[1]).all()


def test_two_trims_of_the_same_texts_are_stored_once_where_the_first_comes():
    """Two paragraphs of one text trailing the same keeper read the same texts: one key, one stored row (the
    first's), as the state's trims were stored when a dict of keys held them; both get their corpus text."""
    texts = [merged(LIAISON, KCNA), merged(KCNA, MOON), "a paragraph of its own", merged(LIAISON, KCNA)]
    keepers = Keepers(np.array([0, 2, 3]), np.array([0, 1, 2, 3]), np.array([1, 1, 1]))
    trims = carry_trims(texts, text_hashes(texts), keepers, SETTINGS, NOTHING_CARRIED)
    assert trims.table["key"].to_pylist() == trim_keys(text_hashes(texts), keepers).take([0, 1]).to_pylist()
    assert trims.texts == {0: LIAISON, 3: LIAISON}
    assert trims.table["corpus_text"].to_pylist() == [LIAISON, None]
