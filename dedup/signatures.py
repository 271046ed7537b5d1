"""MinHash signatures in bulk, equal to datasketch's: one compiled pass over the paragraphs' UTF-8 bytes.

datasketch 2.x `MinHash` (scheme affine32) hashes each shingle with `hashfunc`, then takes the minimum of
`a * fmix32(h) + b mod 2**32` over the shingles for each permutation (a, b). The same arithmetic runs here in
numba, with a hash that is cheap to compute while scanning words: each word's MurmurHash3 (x86, 32-bit,
seed 0), folded over the shingle's words. `shingle_hash32` is that hash for one shingle, so
`MinHash(num_perm, seed, hashfunc=shingle_hash32)` gives exactly the signature computed here, and the
rows work with datasketch's LSH and its storage backends (`as_lean_minhash`).

Words are those of `dedup.shingles.normalised_words`. The compiled scan folds ASCII and common punctuation
itself (lower case, apostrophes dropped, curly quotes, dashes and currency signs end a word); a text with
other characters (accented letters, say) is folded in Python and scanned again as its words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import mmh3
import numpy as np
import pyarrow as pa
from numba import njit, uint8, uint32

from dedup.shingles import fold_text, has_word_character, normalised_words
from dedup.text_hash import bytes_and_starts

if TYPE_CHECKING:  # datasketch (scipy, redis: seconds) loads where used, not in processes that only read and clean
    from datasketch import LeanMinHash

_SHINGLE_MULTIPLIER = 0x9E3779B1
_MASK32 = 0xFFFFFFFF
_MAX_HASH = np.uint32(_MASK32)

# Character classes of the compiled scan. Complex characters (letters and marks outside ASCII, which
# NFKC or case folding may change) send their text through Python's folding first.
_SEPARATOR, _WORD, _DROP, _CAPITAL, _COMPLEX = 0, 1, 2, 3, 4
# Non-ASCII blocks of punctuation and symbols the scan folds itself: Latin-1's, general punctuation
# (curly quotes, dashes, spaces) and currency signs.
_SCANNED_BLOCKS = (range(0x80, 0xC0), range(0x2000, 0x2070), range(0x20A0, 0x20D0))


def _character_classes() -> np.ndarray:
    """Class of every code point of the Basic Multilingual Plane, as `normalised_words` treats it alone."""
    classes = np.full(0x10000, _COMPLEX, dtype=np.uint8)
    classes[:128] = _SEPARATOR
    classes[[*b"abcdefghijklmnopqrstuvwxyz0123456789_"]] = _WORD
    classes[[*b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"]] = _CAPITAL
    classes[[*b"'`"]] = _DROP
    for code_point in (code_point for block in _SCANNED_BLOCKS for code_point in block):
        folded = fold_text(chr(code_point))
        classes[code_point] = _DROP if not folded else _SEPARATOR if not has_word_character(folded) else _COMPLEX
    return classes


_CHARACTER_CLASSES = _character_classes()


def _fmix32_int(value: int) -> int:
    """MurmurHash3's 32-bit finaliser on a Python int."""
    value ^= value >> 16
    value = (value * 0x85EBCA6B) & _MASK32
    value ^= value >> 13
    value = (value * 0xC2B2AE35) & _MASK32
    return value ^ (value >> 16)


def shingle_hash32(shingle: bytes) -> int:
    """The 32-bit hash of a shingle (words joined by single spaces), for `datasketch.MinHash(hashfunc=...)`."""
    value = 0
    for word in shingle.split(b" "):
        value = _fmix32_int((value * _SHINGLE_MULTIPLIER + mmh3.hash(word, 0, signed=False)) & _MASK32)
    return value


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a, b) for this num_perm and seed, drawn as its
    `MinHash._init_permutations` draws them (an odd a), so that processes that only sign need not import it."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    return a, generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)


def as_lean_minhash(signature: np.ndarray, seed: int) -> LeanMinHash:
    """A signature row as datasketch's LeanMinHash, for its LSH and storage backends."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=signature, scheme="affine32")


def paragraph_signatures(texts: Sequence[str], shingle_size: int, num_perm: int, seed: int) -> np.ndarray:
    """One MinHash signature per text over its `shingle_size`-word shingles: an (n, num_perm) uint32 array.

    A text with fewer words than `shingle_size` has one shingle of all its words; one with no words keeps
    datasketch's empty value (2**32 - 1 everywhere).
    """
    return signatures_and_word_counts(texts, shingle_size, num_perm, seed)[0]


def signatures_and_word_counts(
    texts: Sequence[str], shingle_size: int, num_perm: int, seed: int, encoded: EncodedTexts | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`paragraph_signatures`, and each text's number of normalised words from the same scan (of `encoded`, the
    texts' `encoded_texts`, when given)."""
    hashes = shingle_hashes(texts, shingle_size, encoded)
    a, b = permutations(num_perm, seed)
    return _minimum_hashes(hashes.values, hashes.offsets, a, b), hashes.word_counts


# How many texts count_words scans at once: their bytes and word hashes are held for so many only.
COUNT_AT_ONCE = 10_000


def count_words(texts: Sequence[str]) -> np.ndarray:
    """Each text's number of normalised words, from the compiled scan, COUNT_AT_ONCE texts at a time."""
    return chunkwise(lambda chunk: shingle_hashes(chunk, 1).word_counts, texts, COUNT_AT_ONCE)


def chunkwise(per_chunk: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str], size: int) -> np.ndarray:
    """`per_chunk`'s array of each `size` texts in turn, joined: what it holds at once is bounded by one chunk."""
    starts = range(0, len(texts), size) or range(1)  # no texts: one empty chunk gives the empty array
    return np.concatenate([per_chunk(texts[start : start + size]) for start in starts])


@dataclass(frozen=True)
class ShingleHashes:
    """Every text's shingle hashes (`shingle_hash32`) in one flat array: text i's are
    values[offsets[i]:offsets[i + 1]], in text order; and each text's number of words."""

    values: np.ndarray
    offsets: np.ndarray
    word_counts: np.ndarray

    @classmethod
    def joined(cls, parts: Iterable[ShingleHashes]) -> ShingleHashes:
        """The texts of several parts, one part's after another's."""
        parts = list(parts)
        ends = np.cumsum([0] + [len(part.values) for part in parts])
        offsets = [part.offsets[:-1] + end for part, end in zip(parts, ends)]
        return cls(
            np.concatenate([part.values for part in parts]),
            np.concatenate([*offsets, ends[-1:]]).astype(parts[0].offsets.dtype),
            np.concatenate([part.word_counts for part in parts]),
        )

    def as_sets(self) -> ShingleHashes:
        """The same texts with each one's hashes sorted and repeats dropped (sets, for exact overlaps)."""
        values, offsets = _sorted_sets(self.values, self.offsets)
        return ShingleHashes(values, offsets, self.word_counts)


@dataclass(frozen=True)
class EncodedTexts:
    """Texts' UTF-8 bytes in one array and where each starts (with the end last): what the compiled scans read,
    encoded once for every scan of the same texts."""

    data: np.ndarray
    starts: np.ndarray


def encoded_texts(texts: Sequence[str]) -> EncodedTexts:
    """The texts' UTF-8 bytes, joined."""
    return _joined([text.encode() for text in texts])


@runtime_checkable
class TextColumn(Protocol):
    """Texts held in an Arrow column, read as Python strings when asked (flows/stages/column_texts.py's
    ColumnTexts): the compiled scans read their bytes as the column holds them."""

    @property
    def column(self) -> pa.ChunkedArray: ...

    def take(self, positions: Sequence[int]) -> TextColumn: ...

    def __getitem__(self, position: int) -> str: ...


def column_encoded(column: pa.Array | pa.ChunkedArray) -> EncodedTexts:
    """A column of texts' UTF-8 bytes as `encoded_texts` gives them, read from its buffers: no Python string made."""
    data, offsets = bytes_and_starts(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    data = data[offsets[0] : offsets[-1]]
    data.setflags(write=False)  # as `encoded_texts` gives it: the compiled scan is compiled for read-only bytes
    return EncodedTexts(data, offsets - offsets[0])


def shingle_hashes(texts: Sequence[str], shingle_size: int, encoded: EncodedTexts | None = None) -> ShingleHashes:
    """Hash every `shingle_size`-word shingle of every text in one compiled scan (of `encoded`, the texts'
    `encoded_texts`, when given); a text with fewer words has one shingle of all of them."""
    values, offsets, word_counts, complex_texts = _scan(encoded or encoded_texts(texts), shingle_size, False)
    complex_positions = np.flatnonzero(complex_texts)
    if len(complex_positions):
        folded = [" ".join(normalised_words(texts[position])).encode() for position in complex_positions]
        folded_values, folded_offsets, word_counts[complex_positions], _ = _scan(_joined(folded), shingle_size, True)
        values, offsets = _replace_segments(values, offsets, complex_positions, folded_values, folded_offsets)
    return ShingleHashes(values, offsets, word_counts)


def normalised_texts(texts: Sequence[str]) -> list[str]:
    """Each text's normalised words joined by single spaces (`exact_key(normalised_words(text))`), written by
    the compiled scan; a text with characters the scan does not fold goes through Python."""
    column, unfolded = normalised_column(encoded_texts(texts))
    normalised = column.to_pylist()
    for position in unfolded.tolist():
        normalised[position] = " ".join(normalised_words(texts[position]))
    return normalised


def normalised_column(encoded: EncodedTexts) -> tuple[pa.LargeStringArray, np.ndarray]:
    """Each text's normalised words joined by single spaces as the compiled scan writes them (`encoded`: the texts'
    `encoded_texts`), as an Arrow column made of its bytes; and the positions of the texts it does not fold, left
    empty in the column (`normalised_words` folds them)."""
    written, offsets, complex_texts = _normalised_bytes(encoded.data, encoded.starts, _CHARACTER_CLASSES)
    column = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(written))
    return column, np.flatnonzero(complex_texts)


def _joined(encoded: list[bytes]) -> EncodedTexts:
    """The encoded texts as one byte array, and where each starts (with the end last)."""
    starts = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=starts[1:])
    return EncodedTexts(np.frombuffer(b"".join(encoded), dtype=np.uint8), starts)


def _scan(encoded: EncodedTexts, size: int, folded: bool) -> tuple[np.ndarray, ...]:
    return _hash_shingles(encoded.data, encoded.starts, size, _CHARACTER_CLASSES, folded)


@njit(inline="always")
def _rotl32(value, shift):
    return uint32((value << uint32(shift)) | (value >> uint32(32 - shift)))


@njit(inline="always")
def _fmix32(value):
    value ^= value >> uint32(16)
    value = uint32(value * uint32(0x85EBCA6B))
    value ^= value >> uint32(13)
    value = uint32(value * uint32(0xC2B2AE35))
    return value ^ (value >> uint32(16))


@njit(inline="always")
def _mix_block(block):
    block = uint32(block * uint32(0xCC9E2D51))
    return uint32(_rotl32(block, 15) * uint32(0x1B873593))


@njit(inline="always")
def _fold_shingle(word_hashes, first, size):
    value = uint32(0)
    for slot in range(first, size):
        value = _fmix32(uint32(value * uint32(_SHINGLE_MULTIPLIER) + word_hashes[slot]))
    return value


@njit(cache=True)
def _minimum_hashes(values, offsets, a, b):  # pragma: no cover - compiled; tested against datasketch
    """datasketch's affine32 MinHash of each text's shingle hashes: the minimum of a * fmix32(h) + b."""
    signatures = np.full((len(offsets) - 1, len(a)), _MAX_HASH, dtype=np.uint32)
    for text in range(len(offsets) - 1):
        row = signatures[text]
        for index in range(offsets[text], offsets[text + 1]):
            shingle = _fmix32(values[index])  # datasketch mixes every hashfunc value before permuting it
            for permutation in range(len(a)):
                row[permutation] = min(row[permutation], uint32(a[permutation] * shingle + b[permutation]))
    return signatures


@njit(inline="always")
def _character(data, position, classes, folded):
    """Class and UTF-8 length of the character at `position`; in folded text every non-ASCII byte is a
    word byte."""
    lead = data[position]
    if lead < 0x80:
        return classes[lead], 1
    if folded:
        return uint8(_WORD), 1
    if lead < 0xE0:
        return classes[((uint32(lead) & 0x1F) << 6) | (uint32(data[position + 1]) & 0x3F)], 2
    if lead < 0xF0:
        code_point = ((uint32(lead) & 0x0F) << 12) | ((uint32(data[position + 1]) & 0x3F) << 6)
        return classes[code_point | (uint32(data[position + 2]) & 0x3F)], 3
    return uint8(_COMPLEX), 4


@njit(cache=True, nogil=True)
def _hash_shingles(data, starts, size, classes, folded):  # pragma: no cover - compiled; tested against datasketch
    """Scan each text's bytes once: MurmurHash3 each word as it ends and fold the last `size` into a shingle
    hash; count the words, and flag the texts to fold in Python first."""
    values = np.empty(len(data) // 2 + len(starts), dtype=np.uint32)  # a word takes a byte and a separator
    offsets = np.zeros(len(starts), dtype=np.int64)
    word_counts = np.zeros(len(starts) - 1, dtype=np.int64)
    complex_texts = np.zeros(len(starts) - 1, dtype=np.bool_)
    recent = np.zeros(size, dtype=np.uint32)  # hashes of the last `size` words, oldest first
    count = 0
    for text in range(len(starts) - 1):
        words = 0
        state, block, block_bytes, length = uint32(0), uint32(0), 0, 0
        position, end = starts[text], starts[text + 1]
        while position <= end:
            kind, width = _character(data, position, classes, folded) if position < end else (uint8(_SEPARATOR), 1)
            if kind == _COMPLEX:
                complex_texts[text] = True
                break
            if kind == _WORD or kind == _CAPITAL:
                block |= (uint32(data[position]) + uint32(32 if kind == _CAPITAL else 0)) << uint32(8 * block_bytes)
                block_bytes += 1
                length += 1
                if block_bytes == 4:
                    state = uint32(_rotl32(state ^ _mix_block(block), 13) * uint32(5) + uint32(0xE6546B64))
                    block, block_bytes = uint32(0), 0
            elif kind == _SEPARATOR and length > 0:
                if block_bytes > 0:
                    state ^= _mix_block(block)
                for slot in range(size - 1):
                    recent[slot] = recent[slot + 1]
                recent[size - 1] = _fmix32(state ^ uint32(length))
                words += 1
                if words >= size:
                    values[count] = _fold_shingle(recent, 0, size)
                    count += 1
                state, block, block_bytes, length = uint32(0), uint32(0), 0, 0
            position += width
        if 0 < words < size:
            values[count] = _fold_shingle(recent, size - words, size)
            count += 1
        word_counts[text] = words
        offsets[text + 1] = count
    return values[:count].copy(), offsets, word_counts, complex_texts


@njit(cache=True)
def _normalised_bytes(data, starts, classes):  # pragma: no cover - compiled; tested against normalised_words
    """Each text's words as the scan reads them, lower case, joined by single spaces (ASCII: a text with any
    other word character is flagged to fold in Python, and left empty here)."""
    written = np.empty(len(data), dtype=np.uint8)  # a space is written only for a separator read
    offsets = np.zeros(len(starts), dtype=np.int64)
    complex_texts = np.zeros(len(starts) - 1, dtype=np.bool_)
    count = 0
    for text in range(len(starts) - 1):
        first, in_word = count, False
        position, end = starts[text], starts[text + 1]
        while position < end:
            kind, width = _character(data, position, classes, False)
            if kind == _COMPLEX:
                complex_texts[text] = True
                count = first
                break
            if kind == _WORD or kind == _CAPITAL:
                if not in_word and count > first:
                    written[count] = 32
                    count += 1
                written[count] = data[position] + (32 if kind == _CAPITAL else 0)
                count += 1
                in_word = True
            elif kind == _SEPARATOR:
                in_word = False
            position += width
        offsets[text + 1] = count
    return written[:count].copy(), offsets, complex_texts


@njit(cache=True, nogil=True)
def _replace_segments(values, offsets, positions, new_values, new_offsets):  # pragma: no cover - compiled
    """The flat arrays with the segments of the texts at `positions` replaced by the new ones, in order."""
    lengths = offsets[1:] - offsets[:-1]
    for index in range(len(positions)):
        lengths[positions[index]] = new_offsets[index + 1] - new_offsets[index]
    merged_offsets = np.zeros(len(offsets), dtype=np.int64)
    merged_offsets[1:] = np.cumsum(lengths)
    merged = np.empty(merged_offsets[-1], dtype=np.uint32)
    replaced = 0
    for text in range(len(offsets) - 1):
        if replaced < len(positions) and positions[replaced] == text:
            source, start = new_values, new_offsets[replaced]
            replaced += 1
        else:
            source, start = values, offsets[text]
        merged[merged_offsets[text] : merged_offsets[text + 1]] = source[start : start + lengths[text]]
    return merged, merged_offsets


@njit(cache=True, nogil=True)
def _sorted_sets(values, offsets):  # pragma: no cover - compiled
    """Each text's segment sorted with repeats dropped, compacted into new flat arrays."""
    sets = np.empty(len(values), dtype=np.uint32)
    set_offsets = np.zeros(len(offsets), dtype=np.int64)
    count = 0
    for text in range(len(offsets) - 1):
        segment = np.sort(values[offsets[text] : offsets[text + 1]])
        for index in range(len(segment)):
            if index == 0 or segment[index] != segment[index - 1]:
                sets[count] = segment[index]
                count += 1
        set_offsets[text + 1] = count
    return sets[:count].copy(), set_offsets
