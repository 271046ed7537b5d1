"""What the band-key store keeps per distinct text, computed only for texts it has not seen: a 64-bit key of
the text as written, the key of its normalised words (exact copies share it), its word count and its LSH band
keys; and the sentences of each long paragraph, the unit of the sentence index.

Keys are pandas' 64-bit SipHash of the string (`pandas.util.hash_array`, fixed hash key, so stable across runs
and machines; computed from Arrow buffers by `dedup.text_hash.sip_hashes`); two different texts share a key about
once in 2**64 pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dedup.components import mix64
from dedup.index import band_keys
from dedup.settings import DedupSettings
from dedup.shingles import exact_key, normalised_words, split_sentences
from dedup.signatures import EncodedTexts, encoded_texts, normalised_column, signatures_and_word_counts
from dedup.text_hash import sip_hashes, text_column

# pandas' default `hash_key` (`pandas.util.hash_array`'s), the key of every band-key store's text keys.
_PANDAS_HASH_KEY = b"0123456789123456"


def text_sip_keys(texts: Sequence[str]) -> np.ndarray:
    """Each text's stable 64-bit key, as a uint64 array: `pandas.util.hash_array` of the strings (a null hashed as
    pandas hashes None, as "None"), computed from the bytes of an Arrow column, no Python string made."""
    return column_sip_keys(text_column(texts))


def column_sip_keys(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """`text_sip_keys` of the strings of an Arrow column, hashed from its buffers."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    keys = [mix64(sip_hashes(pc.fill_null(chunk, "None"), _PANDAS_HASH_KEY)) for chunk in chunks]
    return np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True)
class SignedTexts:
    """Per text (same order): key, key of its normalised words, word count, and band keys (n x `stored_bands`:
    the paragraph index's, then the sentence index's; rows of texts under `min_words` words are never read)."""

    keys: np.ndarray
    normalised_keys: np.ndarray
    word_counts: np.ndarray
    band_keys: np.ndarray


def sign_texts(texts: Sequence[str], keys: np.ndarray, settings: DedupSettings) -> SignedTexts:
    """Sign texts (whose `text_sip_keys` are `keys`) in one compiled scan, and key their normalised words."""
    encoded = encoded_texts(texts)
    signing = (settings.shingle_size, settings.num_perm, settings.seed)
    signatures, word_counts = signatures_and_word_counts(texts, *signing, encoded)
    return SignedTexts(
        keys,
        normalised_keys(texts, encoded),
        word_counts,
        np.hstack(
            [
                band_keys(signatures, settings.lsh_bands, settings.lsh_rows),
                band_keys(signatures, settings.sentence_lsh_bands, settings.sentence_lsh_rows),
            ]
        ),
    )


def normalised_keys(texts: Sequence[str], encoded: EncodedTexts) -> np.ndarray:
    """`text_sip_keys(normalised_texts(texts))` (`encoded`: the texts' `encoded_texts`), hashed from the bytes the
    compiled scan writes: a Python string is made only for a text it does not fold."""
    column, unfolded = normalised_column(encoded)
    keys = column_sip_keys(column)
    if len(unfolded):
        keys[unfolded] = text_sip_keys([exact_key(normalised_words(texts[position])) for position in unfolded.tolist()])
    return keys


@dataclass(frozen=True)
class Sentences:
    """The sentences of some paragraphs, in order: the row of the paragraph each belongs to, its index in it,
    and its text."""

    owners: np.ndarray
    indexes: np.ndarray
    texts: list[str]


def paragraph_sentences(texts: Iterable[str]) -> Sentences:
    """Every sentence of each text (`split_sentences`), in text order."""
    split = [split_sentences(text) for text in texts]
    lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return Sentences(
        np.repeat(np.arange(len(split)), lengths),
        np.arange(int(lengths.sum())) - starts,
        [sentence for sentences in split for sentence in sentences],
    )


def copy_groups(
    normalised_keys: np.ndarray, word_counts: np.ndarray, min_words: int, max_short_group: int
) -> dict[int, list[int]]:
    """Each group of positions with the same normalised words, as its first position -> the others, in order
    of first positions; empty texts are never grouped, and a short text (under min_words) in more than
    max_short_group positions (a stock line) is not grouped either."""
    positions = np.flatnonzero(word_counts > 0)
    codes, _ = pd.factorize(normalised_keys[positions])
    sizes = np.bincount(codes)[codes]
    grouped = (sizes > 1) & ~((word_counts[positions] < min_words) & (sizes > max_short_group))
    positions, codes = positions[grouped], codes[grouped]
    order = np.argsort(codes, kind="stable")
    positions, codes = positions[order], codes[order]
    if not len(codes):
        return {}
    bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True]).tolist()
    held = positions.tolist()  # Python ints sliced: no array made per group
    return {held[start]: held[start + 1 : end] for start, end in pairwise(bounds)}
