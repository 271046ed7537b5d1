"""Values looked up among keys by binary search: the row of each wanted value and whether the keys hold it."""

from __future__ import annotations

import numpy as np


def sorted_rows(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each wanted value's row in the ascending `keys` (the first of equal ones; a row within bounds when missing)
    and a mask of the values the keys hold."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    rows = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return rows, keys[rows] == wanted


def rows_or_missing(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Each wanted value's row in `keys` in any order (the first of equal ones), -1 for a value they lack."""
    order = np.argsort(keys, kind="stable")
    rows, found = sorted_rows(keys[order], wanted)
    return np.where(found, order[rows] if len(keys) else rows, -1)
