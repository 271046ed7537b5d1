"""A line's words as `str.split` counts them, and its runs of letters and apostrophes once lowercased with how many of
them are stopwords: what the body heuristics ask of every distinct line, read from its UTF-8 bytes by one compiled
pass instead of splitting it twice in Python."""

from __future__ import annotations

import numpy as np
from numba import njit

from cleaners.stopwords import STOPWORDS

# Every code point of the Basic Multilingual Plane that `str.split` splits at (none lies beyond it).
SPACES = np.array([chr(point).isspace() for point in range(0x10000)], dtype=np.bool_)
# The only characters past ASCII whose lowercase holds an ASCII letter ("İ" -> "i̇", the Kelvin sign -> "k"): a line
# with one is left to Python (the pass reads every byte past ASCII as no letter).
LOWERED_TO_ASCII = ("\u0130", "\u212a")
_STOPWORD_SLOTS = 512  # a power of two, several times the stopwords, so a probe ends after a slot or two
_SLOT_SHIFT = 64 - (_STOPWORD_SLOTS.bit_length() - 1)  # a 64-bit product's top bits: a slot
_FIBONACCI = 0x9E3779B97F4A7C15  # 2**64 divided by the golden ratio, odd
_LONGEST_STOPWORD = max(map(len, STOPWORDS))


def _word_code(word: bytes) -> int:
    """A run of at most 8 bytes (none of them 0) as one integer: its bytes in order, 8 bits each."""
    code = 0
    for byte in word:
        code = code << 8 | byte
    return code


def _slot(code: int) -> int:
    """A code's first slot in the stopword table (Fibonacci hashing; `_is_stopword` computes it alike)."""
    return ((code * _FIBONACCI) & 0xFFFFFFFFFFFFFFFF) >> _SLOT_SHIFT


def _stopword_table() -> np.ndarray:
    """The stopwords' codes in an open-addressing table of `_STOPWORD_SLOTS` slots (0: empty)."""
    table = np.zeros(_STOPWORD_SLOTS, dtype=np.int64)
    for word in STOPWORDS:
        code = _word_code(word.encode())
        slot = _slot(code)
        while table[slot]:
            slot = (slot + 1) % _STOPWORD_SLOTS
        table[slot] = code
    return table


STOPWORD_TABLE = _stopword_table()


def line_words(line: str) -> tuple[int, int, int] | None:
    """`len(line.split())`, the runs of a-z and "'" in `line.lower()`, and how many of those are STOPWORDS; None for a
    line holding a character of LOWERED_TO_ASCII."""
    if not line.isascii() and any(character in line for character in LOWERED_TO_ASCII):
        return None
    return _line_words(line.encode("utf-8", "surrogatepass"), SPACES, STOPWORD_TABLE, _LONGEST_STOPWORD)


@njit(inline="always")
def _is_stopword(table, code):
    """1 when `code` is in the stopword table, else 0."""
    slot = (np.uint64(code) * np.uint64(_FIBONACCI)) >> np.uint64(_SLOT_SHIFT)
    while table[slot] != 0:
        if table[slot] == code:
            return 1
        slot = (slot + np.uint64(1)) & np.uint64(_STOPWORD_SLOTS - 1)
    return 0


@njit(cache=True, nogil=True)
def _line_words(data, spaces, table, longest):  # pragma: no cover - compiled; tested against str.split and re
    """The words, runs and stopword runs of a line's UTF-8 bytes (`line_words`): a code point is read at each lead
    byte for `spaces`; a byte past ASCII ends a run of letters, as do all but a-z, A-Z and "'"."""
    words = runs = stopwords = 0
    in_word = False
    run = code = 0
    position = 0
    while position < len(data):
        lead = np.int64(data[position])
        if lead < 0x80:
            width, space = 1, spaces[lead]
        elif lead < 0xE0:
            width, space = 2, spaces[((lead & 0x1F) << 6) | (np.int64(data[position + 1]) & 0x3F)]
        elif lead < 0xF0:
            point = ((lead & 0x0F) << 12) | ((np.int64(data[position + 1]) & 0x3F) << 6)
            width, space = 3, spaces[point | (np.int64(data[position + 2]) & 0x3F)]
        else:
            width, space = 4, False
        if space:
            in_word = False
        elif not in_word:
            in_word = True
            words += 1
        letter = lead | 0x20 if 65 <= lead <= 90 else lead
        if 97 <= letter <= 122 or letter == 39:
            run += 1
            code = code << 8 | letter
        elif run:
            runs += 1
            stopwords += _is_stopword(table, code) if run <= longest else 0
            run = code = 0
        position += width
    if run:
        runs += 1
        stopwords += _is_stopword(table, code) if run <= longest else 0
    return words, runs, stopwords
