"""BLAKE2b digests of 16 bytes, compiled, of many messages at once: what `hashlib.blake2b(message,
digest_size=16)` gives each, with no Python call a message. The stored pair and trim keys (dedup/carry.py) are
such digests of the texts' 128-bit hashes joined, so a message here is a run of whole uint64 words."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

_IV = np.array(
    [
        0x6A09E667F3BCC908,
        0xBB67AE8584CAA73B,
        0x3C6EF372FE94F82B,
        0xA54FF53A5F1D36F1,
        0x510E527FADE682D1,
        0x9B05688C2B3E6C1F,
        0x1F83D9ABFB41BD6B,
        0x5BE0CD19137E2179,
    ],
    dtype=np.uint64,
)
_SIGMA = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ],
    dtype=np.int64,
)
# The parameter block's first word for a 16-byte digest, no key: fanout 1, depth 1, digest length 16.
_PARAMETERS = np.uint64(0x01010010)
_BLOCK_WORDS = 16
_DIGEST = pa.binary(16)


def word_digests(words: np.ndarray, bounds: np.ndarray) -> pa.Array:
    """The 16-byte BLAKE2b digest of each message, message r being the bytes of `words[bounds[r]:bounds[r + 1]]`
    (uint64, as the machine stores them), as a binary(16) column; no message may be empty."""
    digests = np.empty((len(bounds) - 1, 2), dtype=np.uint64)
    _digests(np.ascontiguousarray(words, dtype=np.uint64).ravel(), np.asarray(bounds, dtype=np.int64), digests)
    return pa.FixedSizeBinaryArray.from_buffers(_DIGEST, len(digests), [None, pa.py_buffer(digests)])


@njit(cache=True, nogil=True)
def _digests(words, bounds, digests):  # pragma: no cover - compiled; tested against hashlib
    """BLAKE2b-128 of each message (RFC 7693), its blocks of 16 words compressed in turn, the last zero-padded."""
    state, block = np.empty(8, dtype=np.uint64), np.empty(_BLOCK_WORDS, dtype=np.uint64)
    work = np.empty(16, dtype=np.uint64)
    for message in range(len(bounds) - 1):
        start, end = bounds[message], bounds[message + 1]
        state[:] = _IV
        state[0] ^= _PARAMETERS
        at = start
        while True:
            size = min(_BLOCK_WORDS, end - at)
            block[:] = 0
            block[:size] = words[at : at + size]
            at += size
            _compress(state, block, work, np.uint64(8 * (at - start)), at == end)
            if at == end:
                break
        digests[message, 0], digests[message, 1] = state[0], state[1]


@njit(inline="always")
def _compress(state, block, work, counted, last):  # pragma: no cover - compiled
    """Mix one block into the state: `counted` bytes so far, `last` for the message's final block."""
    work[:8] = state
    work[8:] = _IV
    work[12] ^= counted
    if last:
        work[14] = ~work[14]
    for round_ in range(12):
        sigma = _SIGMA[round_ % 10]
        _mix(work, 0, 4, 8, 12, block[sigma[0]], block[sigma[1]])
        _mix(work, 1, 5, 9, 13, block[sigma[2]], block[sigma[3]])
        _mix(work, 2, 6, 10, 14, block[sigma[4]], block[sigma[5]])
        _mix(work, 3, 7, 11, 15, block[sigma[6]], block[sigma[7]])
        _mix(work, 0, 5, 10, 15, block[sigma[8]], block[sigma[9]])
        _mix(work, 1, 6, 11, 12, block[sigma[10]], block[sigma[11]])
        _mix(work, 2, 7, 8, 13, block[sigma[12]], block[sigma[13]])
        _mix(work, 3, 4, 9, 14, block[sigma[14]], block[sigma[15]])
    for lane in range(8):
        state[lane] ^= work[lane] ^ work[lane + 8]


@njit(inline="always")
def _mix(work, a, b, c, d, first, second):  # pragma: no cover - compiled
    """BLAKE2b's G function on four words of the work vector with two message words."""
    work[a] = work[a] + work[b] + first
    work[d] = _rotated(work[d] ^ work[a], 32)
    work[c] = work[c] + work[d]
    work[b] = _rotated(work[b] ^ work[c], 24)
    work[a] = work[a] + work[b] + second
    work[d] = _rotated(work[d] ^ work[a], 16)
    work[c] = work[c] + work[d]
    work[b] = _rotated(work[b] ^ work[c], 63)


@njit(inline="always")
def _rotated(value, shift):  # pragma: no cover - compiled
    """The 64-bit word rotated right by `shift` bits."""
    return (value >> np.uint64(shift)) | (value << np.uint64(64 - shift))
