"""A 128-bit hash of each text, read straight from the bytes of an Arrow column of strings (no Python string is
made): MurmurHash3 x64_128 of its UTF-8 bytes, compiled (equal to `mmh3.hash64(text, TEXT_SEED, signed=False)`,
tests/test_carry.py). What the cluster stage identifies texts by across runs (dedup/carry.py: component signatures,
trim and measure keys): hashing every paragraph costs about as much as reading its bytes once. Also each text's
SipHash-2-4 under a key, as pandas' `hash_array` computes it from Python strings (the corpus's record digests).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from numba import njit, uint64

TEXT_SEED = 0x636F7079  # "copy"
_C1, _C2 = 0x87C37B91114253D5, 0x4CF5AD432745937F


def text_hashes(texts: Sequence[str]) -> np.ndarray:
    """Each text's 128-bit hash, as an (n, 2) uint64 array (MurmurHash3 x64_128's h1 and h2). A sequence that holds
    an Arrow column (`column`, as flows' ColumnTexts does) is hashed from its buffers; any other is made one."""
    return column_hashes(text_column(texts))


def text_column(texts: Sequence[str]) -> pa.Array | pa.ChunkedArray:
    """The texts as an Arrow column of strings: the one a sequence holds (`column`, as flows' ColumnTexts does), or
    one made of any other."""
    column = getattr(texts, "column", None)
    return pa.array(list(texts), pa.large_string()) if column is None else column


def column_hashes(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """`text_hashes` of an Arrow column of strings, hashed from its buffers."""
    parts = [_chunk_hashes(chunk) for chunk in (column.chunks if isinstance(column, pa.ChunkedArray) else [column])]
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.uint64)


def _chunk_hashes(chunk: pa.Array) -> np.ndarray:
    return _murmur3_128(*bytes_and_starts(chunk), uint64(TEXT_SEED))


def bytes_and_starts(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """An Arrow array of strings' bytes and where each string starts in them (and the last ends), as int64."""
    if chunk.type not in (pa.string(), pa.large_string()):
        chunk = chunk.cast(pa.large_string())
    _, offsets, data = chunk.buffers()
    width = np.int64 if chunk.type == pa.large_string() else np.int32
    starts = np.frombuffer(offsets, dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1].astype(np.int64)
    return np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8), starts


def sip_hashes(column: pa.Array, key: bytes) -> np.ndarray:
    """Each string's SipHash-2-4 of its UTF-8 bytes under the 16-byte `key` (a null's as the empty string's), from
    the column's buffers: pandas' `hash_object_array` of the strings, hashed without making one a Python object."""
    if len(key) != 16:
        raise ValueError("SipHash takes a key of 16 bytes")
    halves = np.frombuffer(key, dtype="<u8")
    return _siphash_2_4(*bytes_and_starts(column), uint64(halves[0]), uint64(halves[1]))


@njit(inline="always")
def _rotl64(value, shift):
    return (value << uint64(shift)) | (value >> uint64(64 - shift))


@njit(inline="always")
def _fmix64(value):
    value ^= value >> uint64(33)
    value *= uint64(0xFF51AFD7ED558CCD)
    value ^= value >> uint64(33)
    value *= uint64(0xC4CEB9FE1A85EC53)
    return value ^ (value >> uint64(33))


@njit(inline="always")
def _word(data, start, length):
    """The little-endian number of `length` (at most 8) bytes from `start`."""
    value = uint64(0)
    for index in range(length):
        value |= uint64(data[start + index]) << uint64(8 * index)
    return value


@njit(cache=True)
def _murmur3_128(data, starts, seed):  # pragma: no cover - compiled; tested against mmh3
    """MurmurHash3 x64_128 of each text's bytes, data[starts[i]:starts[i + 1]]."""
    c1, c2 = uint64(_C1), uint64(_C2)
    hashes = np.empty((len(starts) - 1, 2), dtype=np.uint64)
    for text in range(len(starts) - 1):
        start, end = starts[text], starts[text + 1]
        length = end - start
        h1, h2 = seed, seed
        blocks_end = start + (length // 16) * 16
        for block in range(start, blocks_end, 16):
            k1, k2 = _word(data, block, 8), _word(data, block + 8, 8)
            k1 = _rotl64(k1 * c1, 31) * c2
            h1 ^= k1
            h1 = (_rotl64(h1, 27) + h2) * uint64(5) + uint64(0x52DCE729)
            k2 = _rotl64(k2 * c2, 33) * c1
            h2 ^= k2
            h2 = (_rotl64(h2, 31) + h1) * uint64(5) + uint64(0x38495AB5)
        tail = end - blocks_end
        if tail > 8:
            k2 = _word(data, blocks_end + 8, tail - 8)
            h2 ^= _rotl64(k2 * c2, 33) * c1
        if tail > 0:
            k1 = _word(data, blocks_end, min(tail, 8))
            h1 ^= _rotl64(k1 * c1, 31) * c2
        h1 ^= uint64(length)
        h2 ^= uint64(length)
        h1 += h2
        h2 += h1
        h1, h2 = _fmix64(h1), _fmix64(h2)
        h1 += h2
        h2 += h1
        hashes[text, 0], hashes[text, 1] = h1, h2
    return hashes


@njit(inline="always")
def _sip_round(v0, v1, v2, v3):
    v0 += v1
    v1 = _rotl64(v1, 13) ^ v0
    v0 = _rotl64(v0, 32)
    v2 += v3
    v3 = _rotl64(v3, 16) ^ v2
    v0 += v3
    v3 = _rotl64(v3, 21) ^ v0
    v2 += v1
    v1 = _rotl64(v1, 17) ^ v2
    return v0, v1, _rotl64(v2, 32), v3


@njit(cache=True, nogil=True)
def _siphash_2_4(data, starts, k0, k1):  # pragma: no cover - compiled; tested against pandas
    """SipHash-2-4 of each text's bytes, data[starts[i]:starts[i + 1]], under the key's halves k0 and k1."""
    hashes = np.empty(len(starts) - 1, dtype=np.uint64)
    for text in range(len(starts) - 1):
        start, end = starts[text], starts[text + 1]
        v0, v1 = k0 ^ uint64(0x736F6D6570736575), k1 ^ uint64(0x646F72616E646F6D)
        v2, v3 = k0 ^ uint64(0x6C7967656E657261), k1 ^ uint64(0x7465646279746573)
        words_end = start + ((end - start) // 8) * 8
        for word in range(start, words_end, 8):
            message = _word(data, word, 8)
            v3 ^= message
            for _ in range(2):
                v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
            v0 ^= message
        last = (uint64(end - start) << uint64(56)) | _word(data, words_end, end - words_end)
        v3 ^= last
        for _ in range(2):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 ^= last
        v2 ^= uint64(0xFF)
        for _ in range(4):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        hashes[text] = v0 ^ v1 ^ v2 ^ v3
    return hashes
