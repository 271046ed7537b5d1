"""Partial repeats in the canonical corpus: two outlets merged different pairs of the same paragraphs
(A+B and B+C), so neither covers the other and both are canonical; the corpus keeps the one the policy
prefers whole and drops from the other the sentences the first already holds (B), keeping C.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain

import numpy as np
from numba import njit

from dedup.backlog import Backlog
from dedup.cores import usable_cores
from dedup.pair_table import pair_positions
from dedup.settings import DedupSettings
from dedup.shingles import split_sentences
from dedup.signatures import ShingleHashes, TextColumn, column_encoded, shingle_hashes
from dedup.verify import Overlap

# Paragraphs split into sentences at once, then handed to the comparing thread.
_SPLIT_AT_ONCE = 8_192
# Chunks of split paragraphs that may wait for the keepers' shingle sets (some 7 MB of sentences a chunk).
_CHUNKS_AHEAD = 16


@dataclass(frozen=True)
class Keepers:
    """Each canonical paragraph to trim (`others`, in the order first met) with its keepers in policy order:
    `ahead[bounds[row]:bounds[row + 1]]` for row `row`, as arrays (no Python list a paragraph)."""

    others: np.ndarray
    bounds: np.ndarray
    ahead: np.ndarray

    def __len__(self) -> int:
        return len(self.others)

    def as_dict(self, rows: np.ndarray) -> dict[int, list[int]]:
        """The paragraphs at `rows` (ascending) with their keepers, as `trim_partial_repeats` takes them."""
        starts, ends = self.bounds[rows].tolist(), self.bounds[rows + 1].tolist()
        return {
            other: self.ahead[start:end].tolist() for other, start, end in zip(self.others[rows].tolist(), starts, ends)
        }


NO_KEEPERS = Keepers(np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int64))


def trim_keepers(canonical: Collection[int], partial: Mapping[tuple[int, int], Overlap], rank: np.ndarray) -> Keepers:
    """Each canonical paragraph partly paired with a canonical one the policy prefers (lower `rank`, by position:
    `dedup.canonical.policy_ranks`), with its keepers: the canonical paragraphs it is partly paired with and trails,
    in policy order (among equals, in the pairs' order); the paragraphs in the order first met, in one compiled pass
    over the pairs (most partial pairs hold a copy) and a sort of each paragraph's few keepers."""
    positions = pair_positions(partial)
    marked = np.fromiter(canonical, dtype=np.int64, count=len(canonical))
    is_canonical = np.zeros(1 + max(int(positions.max(initial=-1)), int(marked.max(initial=-1))), dtype=bool)
    is_canonical[marked] = True
    others, bounds, ahead = _grouped_keepers(positions, is_canonical, np.ascontiguousarray(rank, dtype=np.int64))
    return Keepers(others, bounds, ahead) if len(others) else NO_KEEPERS


@njit(cache=True, nogil=True)
def _grouped_keepers(positions, is_canonical, rank):  # pragma: no cover - compiled; tested through trim_keepers
    """`Keepers`' arrays of the pairs of two canonical paragraphs (`positions`, an (m, 2) array): the paragraph each
    pair's other trails (the later in `rank`; the first when they tie), grouped in the order first met, a group's
    keepers in `rank` order, among equals in the pairs' order."""
    count = 0  # the pairs of two canonical paragraphs: the arrays below are their size, not all the pairs'
    for pair in range(len(positions)):
        count += is_canonical[positions[pair, 0]] and is_canonical[positions[pair, 1]]
    group = np.full(len(is_canonical), -1, dtype=np.int64)
    others, sizes = np.empty(count, dtype=np.int64), np.zeros(count + 1, dtype=np.int64)
    pair_group, pair_keeper = np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64)
    count, groups = 0, 0
    for pair in range(len(positions)):
        first, second = positions[pair, 0], positions[pair, 1]
        if not (is_canonical[first] and is_canonical[second]):
            continue
        keeper, other = (first, second) if rank[first] < rank[second] else (second, first)
        if group[other] < 0:
            group[other], others[groups] = groups, other
            groups += 1
        pair_group[count], pair_keeper[count] = group[other], keeper
        sizes[group[other] + 1] += 1
        count += 1
    bounds = np.cumsum(sizes[: groups + 1])
    ahead, placed = np.empty(count, dtype=np.int64), bounds[:groups].copy()
    for pair in range(count):  # each group's keepers in the pairs' order
        ahead[placed[pair_group[pair]]] = pair_keeper[pair]
        placed[pair_group[pair]] += 1
    for found in range(groups):  # then in rank order, stably
        start, end = bounds[found], bounds[found + 1]
        if end - start > 1:
            kept = ahead[start:end]
            ahead[start:end] = kept[np.argsort(rank[kept], kind="mergesort")]
    return others[:groups].copy(), bounds, ahead


def trim_partial_repeats(
    texts: Sequence[str], keepers: dict[int, list[int]], settings: DedupSettings
) -> dict[int, str]:
    """Corpus text of each paragraph of `keepers` (`trim_keepers`) that repeats sentences of one ahead of it
    ("" when nothing of it is left): the sentences most of whose shingles a keeper's whole text holds dropped.
    Each paragraph's sentences and each keeper are shingled once (`shingle_hashes`), however many pairs hold them:
    the pairs grow faster than the corpus, as a sentence printed again pairs all the paragraphs holding it.
    The sentence split is Python and holds the interpreter; the shingling and the comparing are compiled and let it
    go, so a second thread shingles the keepers (a part on each core) while a third compares each `_SPLIT_AT_ONCE`
    paragraphs as they are split: until the keepers are shingled the split runs up to `_CHUNKS_AHEAD` chunks ahead of
    the comparing, then no more than one chunk of paragraphs' sentences waits for it."""
    if not keepers:
        return {}
    ahead = dict.fromkeys(keeper for found in keepers.values() for keeper in found)
    number = {keeper: index for index, keeper in enumerate(ahead)}
    others = list(keepers)
    trimmed: dict[int, str] = {}
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="trim-keepers") as hashing,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="trim") as comparing,
    ):
        held = hashing.submit(_keeper_sets, texts, list(ahead), settings.shingle_size)
        compared: Backlog[Compared] = Backlog(comparing, 1)
        for start in range(0, len(others), _SPLIT_AT_ONCE):
            chunk = others[start : start + _SPLIT_AT_ONCE]
            split = [split_sentences(texts[other]) for other in chunk]
            numbers = [[number[keeper] for keeper in keepers[other]] for other in chunk]
            wait = held.done() or start >= _CHUNKS_AHEAD * _SPLIT_AT_ONCE
            for done in compared.submit(_compared, chunk, split, numbers, held, settings, wait=wait):
                trimmed.update(_kept_sentences(*done))
        for done in compared.finish():
            trimmed.update(_kept_sentences(*done))
    return trimmed


# Some paragraphs, their sentences, and for each sentence whether a keeper of its paragraph holds it.
Compared = tuple[list[int], list[list[str]], list[bool]]


def _compared(
    others: list[int],
    split: list[list[str]],
    numbers: list[list[int]],
    held: Future[ShingleHashes],
    settings: DedupSettings,
) -> Compared:
    """The paragraphs `others` and their sentences `split`, with whether each sentence's paragraph has a keeper
    (`numbers`: the keepers' rows in `held`, the keepers' shingle sets) holding most of its shingles."""
    sentences = _shingle_sets(list(chain.from_iterable(split)), settings.shingle_size)
    keepers = held.result()
    bounds = np.zeros(len(split) + 1, dtype=np.int64)
    np.cumsum([len(found) for found in split], out=bounds[1:])
    dropped = _dropped_sentences(
        sentences.values,
        sentences.offsets,
        keepers.values,
        keepers.offsets,
        bounds,
        np.repeat(np.arange(len(split)), [len(ahead) for ahead in numbers]),
        np.fromiter(chain.from_iterable(numbers), dtype=np.int64),
        settings.containment_threshold,
    )
    return others, split, dropped.tolist()


def _kept_sentences(others: list[int], split: list[list[str]], flags: list[bool]) -> Iterator[tuple[int, str]]:
    """Each of `others` that loses a sentence (`flags`: whether each of their sentences is dropped), with the
    sentences it keeps joined by a space."""
    start = 0
    for other, found in zip(others, split):
        gone = flags[start : start + len(found)]
        start += len(found)
        if any(gone):
            yield other, " ".join(sentence for sentence, out in zip(found, gone) if not out)


def _keeper_sets(texts: Sequence[str], keepers: list[int], shingle_size: int) -> ShingleHashes:
    """The shingle sets of the keepers' texts, `_SPLIT_AT_ONCE` at a time, a part on each core (the scan and the sets
    are compiled and let go of the interpreter; the comparing waits for all of them): of texts in an Arrow column
    (`TextColumn`), from its bytes, a Python string made only for a text the compiled scan does not fold."""
    parts = [keepers[start : start + _SPLIT_AT_ONCE] for start in range(0, len(keepers), _SPLIT_AT_ONCE)]
    with ThreadPoolExecutor(max(1, min(usable_cores(), len(parts))), thread_name_prefix="trim-keeper-part") as pool:
        if isinstance(texts, TextColumn):
            column = texts
            return ShingleHashes.joined(pool.map(lambda part: _column_sets(column.take(part), shingle_size), parts))
        return ShingleHashes.joined(
            pool.map(lambda part: _shingle_sets([texts[keeper] for keeper in part], shingle_size), parts)
        )


def _column_sets(texts: TextColumn, shingle_size: int) -> ShingleHashes:
    """Each text's shingle hashes as a sorted set, scanned from the column's bytes."""
    return shingle_hashes(texts, shingle_size, column_encoded(texts.column)).as_sets()


def _shingle_sets(texts: list[str], shingle_size: int) -> ShingleHashes:
    """Each text's shingle hashes as a sorted set."""
    return shingle_hashes(texts, shingle_size).as_sets()


@njit(cache=True, nogil=True)
def _dropped_sentences(values, offsets, held, held_offsets, bounds, others, keepers, threshold):  # pragma: no cover
    """For every sentence (its shingle-hash set at values[offsets[s]:offsets[s + 1]]), whether a keeper of its
    paragraph holds at least `threshold` of it; paragraph o's sentences are bounds[o]:bounds[o + 1], and pair p
    is paragraph others[p] with the keeper whose set is held[held_offsets[keepers[p]]:...]."""
    dropped = np.zeros(len(offsets) - 1, dtype=np.bool_)
    for pair in range(len(others)):
        keeper = held[held_offsets[keepers[pair]] : held_offsets[keepers[pair] + 1]]
        for sentence in range(bounds[others[pair]], bounds[others[pair] + 1]):
            start, end = offsets[sentence], offsets[sentence + 1]
            if dropped[sentence] or end == start:
                continue
            found, at = 0, 0
            for index in range(start, end):  # both sorted: one walk through the keeper's set
                while at < len(keeper) and keeper[at] < values[index]:
                    at += 1
                if at < len(keeper) and keeper[at] == values[index]:
                    found += 1
            dropped[sentence] = found / (end - start) >= threshold
    return dropped
