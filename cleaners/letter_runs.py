"""Which texts hold one of some runs of ASCII letters as a whole run (no ASCII letter either side), found by one
compiled scan of their UTF-8 bytes: each run of letters of a text hashed and looked up among the runs sought. It
finds what Arrow's RE2 finds with `cleaners.spelling.STANDING_ALONE` around the runs, at a cost that does not grow
with how many runs are sought (RE2 takes a pass over every text per `ALTERNATIVES_PER_PATTERN` of them)."""

from __future__ import annotations

import re
from collections.abc import Collection

import numpy as np
import pyarrow as pa
from numba import njit, uint64

from dedup.text_hash import bytes_and_starts

_LETTER_RUN = re.compile("[A-Za-z]+")
_FNV_OFFSET, _FNV_PRIME = np.uint64(14695981039346656037), np.uint64(1099511628211)
# Slots of the table a text's run is first looked up in, per run sought (a power of two, at least this many).
_SLOTS_PER_RUN = 8


def longest_runs(words: Collection[str]) -> set[str]:
    """The longest run of ASCII letters of each word (the first of the longest; none for a word without letters):
    wherever a word or span stands as `_WORD`, `_HYPHEN_BREAK` or `_MISSING_SPACE` find it, each of its letter runs
    is a whole run of the text."""
    return {max(found, key=len) for word in words if (found := _LETTER_RUN.findall(word))}


def holding_runs(texts: pa.Array | pa.ChunkedArray, *runs: Collection[str]) -> tuple[np.ndarray, ...]:
    """Per collection of `runs` (each run made of ASCII letters only, at most 8 collections): per text, whether one of
    them is a whole run of ASCII letters of it; the texts scanned once for all."""
    named = [run for some in runs for run in some]
    kinds = np.array([1 << kind for kind, some in enumerate(runs) for _ in some], dtype=np.uint8)
    held = np.zeros(len(texts), dtype=np.uint8)
    if named:
        sought_data, sought_starts = bytes_and_starts(pa.array(named, pa.string()))
        hashes = _whole_hashes(sought_data, sought_starts)
        order = np.argsort(hashes, kind="stable")
        slots = 1 << max(10, (len(named) * _SLOTS_PER_RUN - 1).bit_length())
        filled = np.zeros(slots, dtype=bool)
        filled[(hashes & np.uint64(slots - 1)).astype(np.int64)] = True
        sought = (filled, hashes[order], order, kinds, sought_data, sought_starts)
        chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
        found = [_held_kinds(*bytes_and_starts(chunk), *sought) for chunk in chunks if len(chunk)]
        held = np.concatenate(found) if found else held
    return tuple((held & (1 << kind)).astype(bool) for kind in range(len(runs)))


@njit(inline="always")
def _is_letter(byte):
    """Whether a byte is an ASCII letter (no byte of a multi-byte UTF-8 character is)."""
    return 65 <= byte <= 90 or 97 <= byte <= 122


@njit(inline="always")
def _hash(data, start, end):
    """FNV-1a of the bytes from `start` to `end`."""
    value = _FNV_OFFSET
    for position in range(start, end):
        value = (value ^ uint64(data[position])) * _FNV_PRIME
    return value


@njit(cache=True, nogil=True)
def _whole_hashes(data, starts):  # pragma: no cover - compiled; tested against RE2
    """Each string's hash, taken whole."""
    hashes = np.empty(len(starts) - 1, dtype=np.uint64)
    for string in range(len(hashes)):
        hashes[string] = _hash(data, starts[string], starts[string + 1])
    return hashes


@njit(cache=True, nogil=True)
def _held_kinds(data, starts, filled, hashes, order, kinds, sought_data, sought_starts):  # pragma: no cover
    """Per text: the kinds (bits) of the sought runs among its letter runs. A run is hashed as it is walked (`_hash`)
    and looked up by its hash: its slot `filled`, then among the sought runs' hashes (sorted; `order` their runs),
    then by its bytes."""
    texts = len(starts) - 1
    held = np.zeros(texts, dtype=np.uint8)
    every_kind = np.uint8(0)
    for kind in kinds:
        every_kind |= kind
    mask = uint64(len(filled) - 1)
    for text in range(texts):
        position, end = starts[text], starts[text + 1]
        while position < end and held[text] != every_kind:
            if not _is_letter(data[position]):
                position += 1
                continue
            run_start = position
            value = _FNV_OFFSET
            while position < end and _is_letter(data[position]):
                value = (value ^ uint64(data[position])) * _FNV_PRIME
                position += 1
            if not filled[np.int64(value & mask)]:
                continue
            at = np.searchsorted(hashes, value)
            while at < len(hashes) and hashes[at] == value:
                sought = order[at]
                first, last = sought_starts[sought], sought_starts[sought + 1]
                if last - first == position - run_start and np.all(sought_data[first:last] == data[run_start:position]):
                    held[text] |= kinds[sought]
                at += 1
    return held
