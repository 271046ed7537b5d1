"""Floats rounded to some decimal places by array, each exactly as Python's `round(value, digits)` rounds it (the
report's scores, the corpus's kept shares: a `round` call a row took most of their building's time)."""

from __future__ import annotations

import numpy as np

# Scaled values within this of a half (or past LARGEST) are rounded by `round` itself: there the product's own
# rounding error could decide which way they go. Below LARGEST that error (half a unit in the last place, at most
# 2**-21) is under NEAR_HALF.
NEAR_HALF = 1e-6
LARGEST = 2.0**32


def rounded(values: np.ndarray, digits: int) -> np.ndarray:
    """Each value rounded to `digits` decimal places as `round(value, digits)` gives it: the nearest integer to the
    value times 10**digits (exact wherever it lies clear of a half), divided by 10**digits (one IEEE division of two
    exact doubles: the double nearest the decimal, as `round` returns it)."""
    values = np.asarray(values, dtype=np.float64)
    scale = 10.0**digits
    scaled = values * scale
    result = np.rint(scaled) / scale
    with np.errstate(invalid="ignore"):
        unsure = ~(np.abs(scaled - np.floor(scaled) - 0.5) > NEAR_HALF) | ~(np.abs(scaled) < LARGEST)
    for position in np.flatnonzero(unsure).tolist():
        result[position] = round(float(values[position]), digits)
    return result
