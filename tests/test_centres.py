"""Clustering by array (dedup/centres.py) gives what the walk gives (dedup/cluster.py's `centre_clusters`, then
dedup/containment.py's `link_containers`): on random graphs of pairs of every kind the thresholds tell apart, in
any policy order, and on the seed articles' paragraphs with their syndicated copies."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dedup.centres import array_memberships, rounded
from dedup.cluster import centre_clusters
from dedup.containment import link_containers
from dedup.deduplicate import find_matches
from dedup.pair_table import PairTable
from dedup.records import ParagraphIds, ParagraphRecord, membership_columns
from dedup.settings import DedupSettings
from tests.test_dedup import records_of, syndicated_corpus, texts_of

SETTINGS = DedupSettings()


def walked(order: list[int], pairs: PairTable, ids: list[str]) -> list:
    """The walk's memberships, as the columns the array path gives."""
    memberships = centre_clusters(order, pairs, ids, SETTINGS)
    linked = link_containers(memberships, order, pairs, ids, SETTINGS)
    return membership_columns(linked).to_pylist()


def random_pairs(rng: random.Random, count: int, density: float) -> PairTable:
    """Pairs among `count` paragraphs of random sizes (in shingles), each pair sharing a random number of shingles,
    measured as verification measures them: many near each threshold, some exact copies."""
    sizes = [rng.choice((10, 12, 20, 23, 40)) for _ in range(count)]
    rows, measures = [], []
    for i in range(count):
        for j in range(i + 1, count):
            if rng.random() < density:
                smaller = min(sizes[i], sizes[j])
                shared = smaller if rng.random() < 0.4 else rng.randint(smaller // 2, smaller)
                rows.append((i, j))
                measures.append((shared / (sizes[i] + sizes[j] - shared), shared / sizes[i], shared / sizes[j]))
    return PairTable(np.array(rows, np.int64).reshape(-1, 2), np.array(measures, np.float64).reshape(-1, 3))


@pytest.mark.parametrize("seed", range(60))
def test_random_graphs_cluster_as_the_walk_clusters_them(seed):
    rng = random.Random(seed)
    count = rng.choice((2, 5, 12, 40, 90))
    pairs = random_pairs(rng, count, rng.choice((0.05, 0.2, 0.6)))
    records = [ParagraphRecord(f"doc{rng.randrange(20)}", position) for position in range(count)]
    ids = ParagraphIds(records)
    order = list(range(count))
    rng.shuffle(order)
    by_array = array_memberships(np.arange(count), np.array(order), pairs, ids, SETTINGS).to_pylist()
    assert by_array == walked(order, pairs, [ids[position] for position in range(count)])


def test_a_subset_of_positions_clusters_as_the_walk_clusters_it_alone():
    rng = random.Random(7)
    pairs = random_pairs(rng, 60, 0.1)
    inside = np.array(sorted({position for pair in pairs for position in pair}), np.int64)
    records = [ParagraphRecord("doc", position) for position in range(80)]
    ids = ParagraphIds(records)
    order = inside[::-1]
    by_array = array_memberships(inside, order, pairs, ids, SETTINGS).to_pylist()
    number = {int(position): index for index, position in enumerate(inside)}
    renumbered = PairTable(np.array([(number[i], number[j]) for i, j in pairs], np.int64), pairs.measures)
    assert by_array == walked([number[int(p)] for p in order], renumbered, [ids[int(p)] for p in inside])


def test_the_seed_articles_and_their_copies_cluster_as_the_walk_clusters_them():
    paragraphs = syndicated_corpus()
    texts = texts_of(paragraphs)
    matches = find_matches(texts, SETTINGS)
    ids = ParagraphIds(records_of(paragraphs))
    for order in (list(range(len(texts))), list(reversed(range(len(texts))))):
        by_array = array_memberships(np.arange(len(texts)), np.array(order), matches.overlaps, ids, SETTINGS)
        rows = by_array.to_pylist()
        assert rows == walked(order, matches.overlaps, [ids[position] for position in range(len(texts))])
        assert {row["match"] for row in rows} >= {"canonical", "unique", "near_duplicate", "contained"}


def test_measures_are_rounded_as_pythons_round_rounds_each_of_them():
    rng = np.random.default_rng(11)
    ratios = rng.integers(0, 400, 5000) / rng.integers(1, 400, 5000)
    ties = np.array([0.00005, 0.00015, 0.12345, 0.99995, 2.675, 1.0, 0.0, 0.5])
    values = np.concatenate([ratios, ties, ratios[::-1]])
    assert rounded(values).tolist() == [round(value, 4) for value in values.tolist()]
