"""Values looked up among keys by binary search: the row of each wanted value and whether the keys hold it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numba import njit

from dedup.text_hash import bytes_and_starts


def sorted_rows(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each wanted value's row in the ascending `keys` (the first of equal ones; a row within bounds when missing)
    and a mask of the values the keys hold."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    rows = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return rows, keys[rows] == wanted


@dataclass(frozen=True)
class KeyIndex:
    """Keys in any order sorted once, for many lookups: their rows in ascending order, and the keys so ordered."""

    order: np.ndarray
    ascending: np.ndarray

    @classmethod
    def of(cls, keys: np.ndarray) -> KeyIndex:
        """Sort the keys (equal ones in their order)."""
        order = np.argsort(keys, kind="stable")
        return cls(order, keys[order])

    def rows_or_missing(self, wanted: np.ndarray) -> np.ndarray:
        """Each wanted value's row in the keys (the first of equal ones), -1 for a value they lack."""
        rows, found = sorted_rows(self.ascending, wanted)
        return np.where(found, self.order[rows] if len(self.order) else rows, -1)


def rows_or_missing(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Each wanted value's row in `keys` in any order (the first of equal ones), -1 for a value they lack."""
    return KeyIndex.of(keys).rows_or_missing(wanted)


def sorted_string_places(keys: pa.Array, wanted: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Each wanted string's place among the strings `keys`, ascending by their UTF-8 bytes as Arrow sorts them
    (`np.searchsorted`'s: the first of equal ones, or where it would stand), and a mask of the strings the keys
    hold; compared in their columns' buffers, so no Python string is made."""
    return _byte_places(*bytes_and_starts(keys), *bytes_and_starts(wanted))


@njit(cache=True)
def _byte_places(key_bytes, key_starts, wanted_bytes, wanted_starts):  # pragma: no cover - compiled
    """A binary search of each wanted string's bytes among the ascending keys' bytes."""
    key_count, wanted_count = len(key_starts) - 1, len(wanted_starts) - 1
    places = np.empty(wanted_count, dtype=np.int64)
    found = np.zeros(wanted_count, dtype=np.bool_)
    for index in range(wanted_count):
        start, end = wanted_starts[index], wanted_starts[index + 1]
        low, high = 0, key_count
        while low < high:
            middle = (low + high) // 2
            if _compared(key_bytes, key_starts[middle], key_starts[middle + 1], wanted_bytes, start, end) < 0:
                low = middle + 1
            else:
                high = middle
        places[index] = low
        if low < key_count:
            found[index] = _compared(key_bytes, key_starts[low], key_starts[low + 1], wanted_bytes, start, end) == 0
    return places, found


@njit(inline="always")
def _compared(left, left_start, left_end, right, right_start, right_end):  # pragma: no cover - compiled
    """Below, at or above zero as the bytes left[left_start:left_end] sort before, with or after right's."""
    left_length, right_length = left_end - left_start, right_end - right_start
    for offset in range(min(left_length, right_length)):
        left_byte, right_byte = left[left_start + offset], right[right_start + offset]
        if left_byte != right_byte:
            return -1 if left_byte < right_byte else 1
    return left_length - right_length
