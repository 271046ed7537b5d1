"""Paragraph dedup end to end: shingle, sign, find candidates, verify, cluster, choose canonicals.

The flow runs it in two halves: matches are found first so the spelling stage can use the copies they
reveal, then measured again on the corrected text and clustered.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain

import numpy as np
import pyarrow as pa

from dedup.articles import ArticleLinks, ArticleShares, copied_share, duplicate_of
from dedup.canonical import policy_ranks, policy_table
from dedup.carry import (
    MEASURE_COLUMNS,
    NOTHING_CARRIED,
    TRIM_COLUMNS,
    CarriedClusters,
    CarriedOver,
    Components,
    carry_over,
    carry_trims,
    measure_keys,
    measure_table,
)
from dedup.centres import array_memberships
from dedup.cluster import centre_clusters
from dedup.components import key_hashes
from dedup.constraints import NO_CONSTRAINTS, ClusterConstraints, constrained_overlaps
from dedup.containment import link_containers
from dedup.cores import usable_cores
from dedup.exact import copies_still_exact, copy_counts, exact_copies, hubs, spread_over_copies
from dedup.index import MAX_SHARED_GROUP, lsh_candidate_pairs, shared_key_pairs
from dedup.pair_table import PairTable, merged_untouched, pair_measures, pair_positions
from dedup.records import (
    ClusterMembership,
    Memberships,
    ParagraphIds,
    ParagraphRecord,
    PlacedMemberships,
    article_numbers,
    membership_columns,
    record_table,
)
from dedup.redis_index import index_basename, redis_candidate_pairs
from dedup.settings import CanonicalPolicy, DedupSettings
from dedup.shingles import exact_key, normalised_words, split_sentences, word_shingles
from dedup.signatures import (
    ShingleHashes,
    TextColumn,
    column_encoded,
    count_words,
    shingle_hashes,
    signatures_and_word_counts,
)
from dedup.sorted_sets import distinct
from dedup.text_hash import text_hashes
from dedup.trim import trim_keepers
from dedup.verify import Overlap, overlap, pair_shares

# Pairs below which verifying stays on one thread (a part of fewer is not worth a thread).
_PAIRS_A_THREAD = 2048
# Texts whose shingle sets the verifying pass hashes at once on a core (their strings and bytes held meanwhile).
HASH_AT_ONCE = 10_000


@dataclass
class DedupResult:
    """Cluster membership and container per input paragraph (same order), verified pairs, article links, and
    the canonical paragraphs whose corpus text drops sentences another canonical paragraph already holds; the
    components of the overlapping pairs, the trims' keys and the measures of the pairs measured again (by
    `measure_keys`, as MEASURE_COLUMNS) to store for the next run; each paragraph's number of words (`count_words`,
    for the write stage)."""

    memberships: Memberships
    overlaps: Mapping[tuple[int, int], Overlap]
    candidate_count: int
    copied_share: ArticleShares
    duplicate_of: ArticleLinks
    corpus_trims: dict[int, str] = field(default_factory=dict)
    components: Components = field(default_factory=Components)
    trims: pa.Table = field(default_factory=TRIM_COLUMNS.empty_table)
    measures: pa.Table = field(default_factory=MEASURE_COLUMNS.empty_table)
    word_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class Matches:
    """Verified overlapping paragraph pairs (by position, i < j), pairs that share only a part (two
    different merges of the same paragraph), and how many candidates were checked; exact copies are
    grouped (`copies`: representative -> its copies) and only representatives appear in the pairs; after
    `remeasure`, the measure of each pair it measured again, by `measure_keys` (kept or not; as MEASURE_COLUMNS);
    each text's number of words (`count_words`) when the matching knew them (None: clustering counts them); after
    `remeasure`, each text's `text_hashes` (None: clustering hashes them)."""

    overlaps: Mapping[tuple[int, int], Overlap]
    candidate_count: int
    partial: Mapping[tuple[int, int], Overlap] = field(default_factory=PairTable.empty)
    copies: dict[int, list[int]] = field(default_factory=dict)
    remeasured: pa.Table = field(default_factory=MEASURE_COLUMNS.empty_table)
    word_counts: np.ndarray | None = None
    text_hashes: np.ndarray | None = None


def _verified(
    pairs: Collection[tuple[int, int]], texts: Sequence[str], settings: DedupSettings, candidate_count: int
) -> Matches:
    """Exact overlap of each pair, classified (`classified`)."""
    ordered = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    return classified(ordered, measured_shares(ordered, texts, settings.shingle_size), settings, candidate_count)


def measured_shares(pairs: np.ndarray, texts: Sequence[str], shingle_size: int) -> np.ndarray:
    """Exact overlap of each pair of positions (rows of an (m, 2) array) of the texts' shingle sets, as
    `dedup.verify.pair_shares` gives it: the sets of the texts in the pairs hashed (`hashed_sets`), then measured."""
    return hashed_sets(distinct(pairs), texts, shingle_size, len(pairs)).shares(pairs)


@dataclass(frozen=True)
class PositionSets:
    """The hashed shingle sets of the texts at some positions (sorted), for the overlaps of pairs among them."""

    positions: np.ndarray
    sets: ShingleHashes

    def shares(self, pairs: np.ndarray) -> np.ndarray:
        """Exact overlap of each pair of positions (rows of an (m, 2) array, each position one of `positions`), as
        `dedup.verify.pair_shares` gives it: a part of the pairs on each core (threads: the compiled kernel lets go
        of the GIL)."""
        parts = _parts(len(pairs))
        rows = self._rows[pairs]
        with ThreadPoolExecutor(parts) as pool:
            return np.concatenate([*pool.map(lambda part: pair_shares(part, self.sets), np.array_split(rows, parts))])

    @cached_property
    def _rows(self) -> np.ndarray:
        """Each position's row of `sets`, indexed by position (a gather per pair: `np.searchsorted` of every pair's
        positions cost about a fifth of measuring them at 300,000 articles)."""
        rows = np.zeros(self.positions[-1] + 1 if len(self.positions) else 0, dtype=np.int64)
        rows[self.positions] = np.arange(len(self.positions))
        return rows


# The sets of no texts: what verifying measures from when every pair's overlap is known.
NO_SETS = PositionSets(
    np.empty(0, dtype=np.int64),
    ShingleHashes(np.empty(0, dtype=np.uint32), np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int64)),
)


def hashed_sets(positions: np.ndarray, texts: Sequence[str], shingle_size: int, pairs: int) -> PositionSets:
    """The shingle sets of the texts at `positions` (sorted, distinct), for the overlaps of `pairs` pairs among
    them: hashed HASH_AT_ONCE texts at a time (so the texts' strings are held a chunk at a time), on as many cores
    as the pairs' measuring uses."""
    parts = _parts(pairs)
    chunks = np.array_split(positions, max(parts, -(-len(positions) // HASH_AT_ONCE)))
    with ThreadPoolExecutor(parts) as pool:
        sets = ShingleHashes.joined(pool.map(lambda chunk: _sets_at(texts, chunk, shingle_size), chunks))
    return PositionSets(positions, sets)


def _sets_at(texts: Sequence[str], positions: np.ndarray, shingle_size: int) -> ShingleHashes:
    """The shingle sets of the texts at some positions: of texts in an Arrow column (`TextColumn`) scanned from the
    column's bytes, a Python string made only for a text the compiled scan does not fold."""
    if isinstance(texts, TextColumn):
        taken = texts.take(positions)
        return shingle_hashes(taken, shingle_size, column_encoded(taken.column)).as_sets()
    return shingle_hashes([texts[position] for position in positions.tolist()], shingle_size).as_sets()


def _parts(pairs: int) -> int:
    """The threads that hash and measure for this many pairs: one a core, at most one a _PAIRS_A_THREAD pairs."""
    return max(1, min(usable_cores(), pairs // _PAIRS_A_THREAD))


def classified(pairs: np.ndarray, shares: np.ndarray, settings: DedupSettings, candidate_count: int) -> Matches:
    """Measured pairs (ordered, with their `pair_shares`) as matches: a match when a near-duplicate or a
    containment, partial when they share at least `partial_share` of one of them."""
    floor = min(settings.jaccard_threshold, settings.containment_threshold)
    most = shares.max(axis=1, initial=0.0)
    overlapping, partial = most >= floor, (most < floor) & (most >= settings.partial_share)
    return Matches(
        PairTable(pairs[overlapping], shares[overlapping]), candidate_count, PairTable(pairs[partial], shares[partial])
    )


def find_matches(texts: Sequence[str], settings: DedupSettings) -> Matches:
    """Exact copies grouped, then candidate pairs of the groups' representatives from LSH over paragraphs and
    over their sentences, and from exact short text (a short paragraph, or a short sentence of a long one),
    each verified exactly."""
    copies = exact_copies(texts, settings.min_words, MAX_SHARED_GROUP)
    grouped = {position for others in copies.values() for position in others}
    representatives = np.array([p for p in range(len(texts)) if p not in grouped], dtype=np.int64)
    matches = _representative_matches([texts[p] for p in representatives.tolist()], settings)
    return Matches(
        _at_positions(matches.overlaps, representatives),
        matches.candidate_count,
        _at_positions(matches.partial, representatives),
        copies,
    )


def _at_positions(pairs: Mapping[tuple[int, int], Overlap], positions: np.ndarray) -> PairTable:
    """Pairs of row numbers as the (ascending) positions those rows stand for."""
    return PairTable(positions[pair_positions(pairs)], pair_measures(pairs))


def _representative_matches(texts: Sequence[str], settings: DedupSettings) -> Matches:
    """Verified pairs among the exact-copy groups' representatives and the paragraphs in no group."""
    signatures, word_counts = signatures_and_word_counts(texts, *_signing(settings))
    long_positions = np.flatnonzero(word_counts >= settings.min_words)
    candidates = _pairs_at(long_positions, _lsh_pairs(signatures[long_positions], settings, "paragraphs"))
    split = [split_sentences(texts[position]) for position in long_positions.tolist()]
    owners = np.repeat(long_positions, [len(paragraph_sentences) for paragraph_sentences in split])
    sentences = [sentence for paragraph_sentences in split for sentence in paragraph_sentences]
    sentence_signatures, sentence_counts = signatures_and_word_counts(sentences, *_signing(settings))
    long_sentences = np.flatnonzero(sentence_counts >= settings.min_words)
    candidates |= _pairs_at(
        owners[long_sentences], _lsh_pairs(sentence_signatures[long_sentences], settings, "sentences")
    )
    short_keys = (
        *_exact_keys(texts, np.flatnonzero((word_counts > 0) & (word_counts < settings.min_words))),
        *_exact_keys(sentences, np.flatnonzero((sentence_counts > 0) & (sentence_counts < settings.min_words)), owners),
    )
    candidates |= shared_key_pairs(short_keys)
    return _verified(candidates, texts, settings, len(candidates))


def _exact_keys(
    texts: Sequence[str], positions: np.ndarray, owners: np.ndarray | None = None
) -> Iterator[tuple[int, str]]:
    """(owner, exact key) of the texts at these positions; a sentence's owner is its paragraph."""
    for position in positions.tolist():
        yield (position if owners is None else int(owners[position])), exact_key(normalised_words(texts[position]))


def _lsh_pairs(signatures: np.ndarray, settings: DedupSettings, index: str) -> np.ndarray:
    """LSH candidate pairs of the signatures' rows under the bands and rows of their `index` (paragraphs or
    sentences), grouped in memory, or in Redis when `redis_url` is set."""
    bands, rows = (
        (settings.sentence_lsh_bands, settings.sentence_lsh_rows)
        if index == "sentences"
        else (settings.lsh_bands, settings.lsh_rows)
    )
    if settings.redis_url:
        return redis_candidate_pairs(signatures, bands, rows, settings.seed, settings.redis_url, index_basename(index))
    return lsh_candidate_pairs(signatures, bands, rows)


def _signing(settings: DedupSettings) -> tuple[int, int, int]:
    return settings.shingle_size, settings.num_perm, settings.seed


def _pairs_at(positions: np.ndarray, pairs: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of row numbers mapped to the positions those rows stand for, each ordered (low, high)."""
    mapped = np.sort(positions[pairs], axis=1) if len(pairs) else pairs
    return {(first, second) for first, second in mapped.tolist() if first != second}


def remeasure(
    matches: Matches,
    texts: Sequence[str],
    settings: DedupSettings,
    changed: Collection[int] | None = None,
    carried: CarriedClusters = NOTHING_CARRIED,
    hashes: np.ndarray | None = None,
) -> Matches:
    """Measure the verified pairs again on changed texts (after spelling fixes), keeping those that still match;
    a copy that no longer equals its group's representative is measured against it instead. With `changed` (the
    positions whose text changed), only pairs holding one are measured again: the others measure as they did,
    and a pair whose two texts `carried` measured takes that measure. `hashes`: the texts' `text_hashes`, when the
    caller made them."""
    touched = None if changed is None else set(changed)
    copies, left = copies_still_exact(matches.copies, texts, touched)
    hashes = text_hashes(texts) if hashes is None else hashes
    if touched is None:
        measured = _verified([*matches.overlaps, *matches.partial, *left], texts, settings, matches.candidate_count)
    else:
        is_touched = np.zeros(len(texts), dtype=bool)
        is_touched[np.fromiter(touched, dtype=np.int64, count=len(touched))] = True
        pairs = np.concatenate(
            [pair_positions(matches.overlaps), pair_positions(matches.partial), np.array(left, np.int64).reshape(-1, 2)]
        )
        again = pairs[is_touched[pairs].any(axis=1)]
        again = again[np.lexsort((again[:, 1], again[:, 0]))]
        keys = measure_keys(hashes, again)
        shares = _carried_shares(again, keys, texts, settings.shingle_size, carried)
        measured = classified(again, shares, settings, matches.candidate_count)
        measured.remeasured = measure_table(keys, shares)
        measured.overlaps = _with_untouched(measured.overlaps, matches.overlaps, is_touched)
        measured.partial = _with_untouched(measured.partial, matches.partial, is_touched)
    measured.copies = copies
    measured.word_counts = _recounted(matches.word_counts, texts, touched)
    measured.text_hashes = hashes
    return measured


def _with_untouched(
    kept: Mapping[tuple[int, int], Overlap], found: Mapping[tuple[int, int], Overlap], is_touched: np.ndarray
) -> PairTable:
    """The pairs measured again (`kept`) and those `found` before that hold no touched position and are not kept,
    ordered by position (as `dict(sorted(...))` orders them): merged in one compiled pass when both are ascending
    (as a run's are), by array otherwise."""
    found_positions, kept_positions = pair_positions(found), pair_positions(kept)
    merged = merged_untouched(
        PairTable(kept_positions, pair_measures(kept)), PairTable(found_positions, pair_measures(found)), is_touched
    )
    if merged is not None:
        return merged
    untouched = np.flatnonzero(~is_touched[found_positions].any(axis=1))
    positions = np.concatenate([kept_positions, found_positions[untouched]])
    measures = np.concatenate([pair_measures(kept), pair_measures(found)[untouched]])
    _, first = np.unique(positions[:, 0] * len(is_touched) + positions[:, 1], return_index=True)  # kept's first
    return PairTable(positions[first], measures[first])


def _recounted(word_counts: np.ndarray | None, texts: Sequence[str], changed: set[int] | None) -> np.ndarray | None:
    """The texts' word counts with the `changed` positions counted again (None when unknown or all changed)."""
    if word_counts is None or changed is None:
        return None
    positions = sorted(changed)
    recounted = word_counts.copy()
    recounted[positions] = count_words([texts[position] for position in positions])
    return recounted


def _carried_shares(
    pairs: np.ndarray, keys: pa.Array, texts: Sequence[str], shingle_size: int, carried: CarriedClusters
) -> np.ndarray:
    """`measured_shares` of the pairs, those whose key `carried` holds taken as stored."""
    shares = carried.measures(keys)
    unknown = np.isnan(shares[:, 0])
    if unknown.any():
        shares[unknown] = measured_shares(pairs[unknown], texts, shingle_size)
    return shares


def cluster_matches(
    records: Sequence[ParagraphRecord],
    texts: Sequence[str],
    matches: Matches,
    settings: DedupSettings,
    policy: CanonicalPolicy,
    constraints: ClusterConstraints = NO_CONSTRAINTS,
    carried: CarriedClusters = NOTHING_CARRIED,
) -> DedupResult:
    """Cluster near-duplicate pairs around canonical paragraphs chosen by the policy, within a maintainer's
    merge and split constraints; link contained paragraphs to their containers and copied articles; trim the
    canonical paragraphs sharing a part. Components of the overlapping pairs and trims `carried` holds from the
    previous run keep their clusters and corpus texts (dedup/carry.py). `texts` are the records' texts, in order."""
    counted = count_words(texts) if matches.word_counts is None else matches.word_counts

    def measure(i: int, j: int) -> Overlap:
        """Exact overlap of two paragraphs no candidate search paired."""
        return overlap(*(word_shingles(normalised_words(texts[k]), settings.shingle_size) for k in (i, j)))

    copies = copy_counts(len(records), matches.overlaps, matches.copies)
    paired = _paired(len(records), matches, constraints)
    keys = policy_table(policy, record_table(records, paired), counted[paired], copies[paired])
    rank = np.full(len(records), np.iinfo(np.int64).max, dtype=np.int64)  # the unpaired are never ranked
    rank[paired] = policy_ranks(keys)
    hub = hubs(matches.copies, rank)
    spread = spread_over_copies(matches.overlaps, matches.copies, hub, within=True)
    overlaps = constrained_overlaps(spread, constraints, measure)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="shares") as beside:
        linked = beside.submit(_article_links, records, overlaps, counted, settings, policy)
        decided = constraints.merged | constraints.split
        partial = spread_over_copies(matches.partial, matches.copies, hub, within=False)
        if decided:
            partial = {pair: measured for pair, measured in partial.items() if pair not in decided}
        ids = ParagraphIds(records)
        hashes = text_hashes(texts) if matches.text_hashes is None else matches.text_hashes
        kept = carry_over(ids, paired, key_hashes(keys), hashes, overlaps, constraints, carried)
        clustering = _clustering(kept, constraints)
        rest = clustering[np.argsort(rank[clustering], kind="stable")]  # policy order
        memberships = _cluster_rest(kept, ClusteringInputs(rest, overlaps, ids, settings, constraints, measure))
        canonical = paired[memberships.canonical()[paired]].tolist()
        trims = carry_trims(texts, hashes, trim_keepers(canonical, partial, rank), settings, carried)
        shares, links = linked.result()
    return DedupResult(
        memberships,
        overlaps,
        matches.candidate_count,
        shares,
        links,
        trims.texts,
        kept.components,
        trims.table,
        matches.remeasured,
        counted,
    )


@dataclass
class ClusteringInputs:
    """What clustering a set of paragraphs takes in: the policy order of their positions, their overlapping pairs,
    ids, the settings, the maintainers' constraints and how to measure an unpaired pair."""

    order: Sequence[int]
    overlaps: Mapping[tuple[int, int], Overlap]
    ids: ParagraphIds
    settings: DedupSettings
    constraints: ClusterConstraints
    measure: Callable[[int, int], Overlap]

    def restricted_to(self, positions: Sequence[int]) -> ClusteringInputs:
        """The same inputs for the paragraphs at `positions` (ascending), numbered 0.. in that order; no pair
        may leave them."""
        index = {position: number for number, position in enumerate(positions)}
        numbers = np.full(len(self.ids), -1, dtype=np.int64)
        numbers[np.fromiter(positions, dtype=np.int64, count=len(positions))] = np.arange(len(positions))

        def renumbered(pairs: Mapping[tuple[int, int], Overlap]) -> PairTable:
            """The pairs among the positions, renumbered, in their order (by array: most pairs are elsewhere)."""
            found = pair_positions(pairs)
            rows = np.flatnonzero(numbers[found[:, 0]] >= 0)
            return PairTable(numbers[found[rows]], pair_measures(pairs)[rows])

        return ClusteringInputs(
            [index[position] for position in self.order if position in index],
            renumbered(self.overlaps),
            ParagraphIds([self.ids.records[position] for position in positions]),
            self.settings,
            self.constraints.renumbered(index),
            lambda i, j: self.measure(positions[i], positions[j]),
        )


def _paired(count: int, matches: Matches, constraints: ClusterConstraints) -> np.ndarray:
    """The positions (ascending) in a pair, an exact-copy group or a maintainer's merge or split: each of the
    others is a component of its own, its paragraph a cluster of its own."""
    named = np.zeros(count, dtype=bool)
    for pairs in (matches.overlaps, matches.partial):
        named[pair_positions(pairs).ravel()] = True
    copies = matches.copies
    named[np.fromiter(copies, dtype=np.int64, count=len(copies))] = True
    named[np.fromiter(chain.from_iterable(copies.values()), dtype=np.int64)] = True
    named[list(constraints.positions())] = True
    return np.flatnonzero(named)


def _clustering(kept: CarriedOver, constraints: ClusterConstraints) -> np.ndarray:
    """The positions (ascending) to cluster: those of a component of more than one paragraph not carried over, or of
    a maintainer's merge or split; a paragraph alone in its component is unique whatever it is partly paired with."""
    labels = kept.components.labels
    clustering = np.bincount(labels, minlength=len(labels))[labels] > 1
    clustering[list(constraints.positions())] = True
    clustering[kept.positions] = False
    return np.flatnonzero(clustering)


def _cluster_rest(kept: CarriedOver, inputs: ClusteringInputs) -> Memberships:
    """Every paragraph's membership: the carried ones, the paired rest (`inputs.order`, in policy order) clustered
    (no pair leaves a component: the components a maintainer's decision touches walked as a smaller corpus, numbered
    afresh, the others by array, dedup/centres.py), and each paragraph in no overlapping pair unique."""
    order = np.asarray(inputs.order, dtype=np.int64)
    labels = kept.components.labels
    decided = np.isin(labels[order], labels[sorted(inputs.constraints.positions())])
    walked, by_array = np.sort(order[decided]), order[~decided]
    positions = np.sort(by_array)
    clustered = [array_memberships(positions, by_array, inputs.overlaps, inputs.ids, inputs.settings)]
    if len(walked):
        clustered.append(membership_columns(_clustered(inputs.restricted_to(walked.tolist()))))
        positions = np.concatenate([positions, walked])
    positions = np.concatenate([kept.positions, positions])
    return Memberships(inputs.ids, PlacedMemberships(positions, pa.concat_tables([kept.memberships, *clustered])))


def _clustered(inputs: ClusteringInputs) -> list[ClusterMembership]:
    """Centre clusters and containment links."""
    settings = inputs.settings
    memberships = centre_clusters(
        inputs.order, inputs.overlaps, inputs.ids, settings, inputs.constraints, inputs.measure
    )
    return link_containers(memberships, inputs.order, inputs.overlaps, inputs.ids, settings)


def deduplicate(
    records: Sequence[ParagraphRecord], texts: Sequence[str], settings: DedupSettings, policy: CanonicalPolicy
) -> DedupResult:
    """Cluster near-duplicate paragraphs (the records' `texts`, in order), pick one canonical paragraph per cluster,
    link contained ones."""
    return cluster_matches(records, texts, find_matches(texts, settings), settings, policy)


def _article_links(
    records: Sequence[ParagraphRecord],
    overlaps: Mapping[tuple[int, int], Overlap],
    word_counts: np.ndarray,
    settings: DedupSettings,
    policy: CanonicalPolicy,
) -> tuple[ArticleShares, ArticleLinks]:
    """Each article's share of its words in each other article (`copied_share`) and the wholly copied articles'
    originals (`duplicate_of`): clustering's work does not read them, so a thread makes them beside it (their sorts
    and sums let go of the GIL)."""
    shares = copied_share(records, overlaps, word_counts)
    return shares, duplicate_of(shares, settings.article_duplicate_share, _article_ranks(records, word_counts, policy))


def _article_ranks(records: Sequence[ParagraphRecord], word_counts: np.ndarray, policy: CanonicalPolicy) -> np.ndarray:
    """Rank whole articles with the paragraph policy (`policy_table`, without the paragraph's index), using the
    article's first record and its total words: each article's `policy_ranks` among the articles, by its number
    (`article_numbers`)."""
    article, doc_ids = article_numbers(records)
    totals = np.bincount(article, word_counts, len(doc_ids)).astype(np.int64)
    numbered, first = np.unique(article, return_index=True)  # every number, ascending
    keys = policy_table(policy, record_table(records, first), totals[numbered], np.zeros(len(first), dtype=np.int64))
    return policy_ranks(keys.remove_column(keys.num_columns - 1))
