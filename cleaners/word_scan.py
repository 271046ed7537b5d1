"""The words `cleaners.spelling._WORD` finds in texts, found by one compiled scan over their UTF-8 bytes.

`_WORD` is `(?<![\\w'’-])[A-Za-z]+(?:[-'’][A-Za-z]+)*(?![\\w-])`: a match opens a run of Python's `\\w`, "'", "’" and
"-" (the look-behind), so a run holds at most one, and it is the run's longest start of letters joined by single
"-", "'" or "’" that the run's end or an apostrophe follows (the look-ahead, backtracking). The scan reads each
run so, with `\\w` taken from Python's own tables for every code point of the Basic Multilingual Plane; a text with a
character past it is left to Python (`skipped`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

from dedup.text_hash import bytes_and_starts

# Character classes of the scan: outside a run, an ASCII letter, another word character (`\w`), an apostrophe, "-".
_OUTSIDE, _LETTER, _WORD_CHARACTER, _APOSTROPHE, _HYPHEN = 0, 1, 2, 3, 4


def _character_classes() -> np.ndarray:
    """The class of every code point of the Basic Multilingual Plane, as `re`'s `\\w` reads it."""
    classes = np.full(0x10000, _OUTSIDE, dtype=np.uint8)
    classes[[point for point in range(0x10000) if chr(point).isalnum() or point == ord("_")]] = _WORD_CHARACTER
    classes[[*b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"]] = _LETTER
    classes[[ord("'"), ord("’")]] = _APOSTROPHE
    classes[ord("-")] = _HYPHEN
    return classes


WORD_CLASSES = _character_classes()


def scanned_words(column: pa.StringArray, skipped: np.ndarray) -> tuple[np.ndarray, pa.StringArray]:
    """Each text's number of `_WORD` matches (none for the texts `skipped`, a mask), and the matches of all of them
    in order, from one compiled scan of the column's bytes."""
    data, starts = bytes_and_starts(column)
    counts, offsets, written = _scan_words(data, starts, skipped, WORD_CLASSES)
    words = pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(written))
    return counts, words


@njit(inline="always")
def _code_point(data, position):
    """The code point at `position` of UTF-8 bytes and its length in bytes."""
    lead = data[position]
    if lead < 0x80:
        return np.int64(lead), 1
    if lead < 0xE0:
        return ((np.int64(lead) & 0x1F) << 6) | (np.int64(data[position + 1]) & 0x3F), 2
    if lead < 0xF0:
        high = ((np.int64(lead) & 0x0F) << 12) | ((np.int64(data[position + 1]) & 0x3F) << 6)
        return high | (np.int64(data[position + 2]) & 0x3F), 3
    return np.int64(-1), 4


@njit(cache=True, nogil=True)
def _scan_words(data, starts, skipped, classes):  # pragma: no cover - compiled; tested against `re`
    """Per text the number of words, and every word's bytes (int32 offsets, bytes) in order."""
    texts = len(starts) - 1
    counts = np.zeros(texts, dtype=np.int64)
    offsets = np.zeros(len(data) + 1, dtype=np.int32)  # a word takes a letter at least
    written = np.empty(len(data), dtype=np.uint8)
    words, size = 0, 0
    for text in range(texts):
        if skipped[text]:
            continue
        position, end = starts[text], starts[text + 1]
        kind, width = _OUTSIDE, 0
        if position < end:
            point, width = _code_point(data, position)
            kind = classes[point] if point >= 0 else _WORD_CHARACTER
        while position < end:
            if kind == _OUTSIDE:
                position += width
                if position < end:
                    point, width = _code_point(data, position)
                    kind = classes[point] if point >= 0 else _WORD_CHARACTER
                continue
            run_start, word_end, joinable = position, -1, kind == _LETTER
            # Walk the run: after each group of letters reached by single joiners, note it as the word's end when
            # the run's end or an apostrophe follows.
            while position < end and kind != _OUTSIDE:
                was_letter = kind == _LETTER
                position += width
                if position < end:
                    point, width = _code_point(data, position)
                    kind = classes[point] if point >= 0 else _WORD_CHARACTER
                else:
                    kind = _OUTSIDE
                if joinable and was_letter and kind != _LETTER:
                    if kind == _OUTSIDE or kind == _APOSTROPHE:
                        word_end = position
                    if kind == _WORD_CHARACTER:
                        joinable = False
                elif joinable and not was_letter:
                    # a joiner: the word goes on only if a letter comes next
                    joinable = kind == _LETTER
            if word_end > 0:
                for index in range(run_start, word_end):
                    written[size] = data[index]
                    size += 1
                words += 1
                offsets[words] = size
                counts[text] += 1
    return counts, offsets[: words + 1].copy(), written[:size].copy()
