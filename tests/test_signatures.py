"""Bulk MinHash signatures equal datasketch's own, shingle for shingle, on real and hostile text."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from datasketch import LeanMinHash, MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.shingles import exact_key, normalised_words, split_sentences, word_shingles
from dedup.signatures import (
    _SCANNED_BLOCKS,
    as_lean_minhash,
    column_encoded,
    count_words,
    encoded_texts,
    normalised_texts,
    paragraph_signatures,
    permutations,
    shingle_hash32,
    shingle_hashes,
    signatures_and_word_counts,
)
from dedup.text_signing import normalised_keys, text_sip_keys
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR

HOSTILE = [
    "“It’s Ri Yong Ho’s,” said Choe Sang-Hun — in Yongbyon, Rodong Sinmun reported.",
    "Café naïve ÄÖÜ ß STRASSE İstanbul ǅemal ﬁnance ＦＵＬＬＷＩＤＴＨ ①②",
    "price\u00a0£600m (€1.2bn; $1.13bn) … up 76%",
    "denucle\u00adarization and co\u0301mbining marks, e\u0301 vs é",
    "emoji 🎉 party 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 北朝鮮 외무상 text",
    "Don't  `quote` it_now 'single' ‘curly’ ´acute´",
    "",
    "   ",
    "one",
    "— —",
    "a b",
    # Scripts without spaces: each run's character pairs are its words.
    "连接两座沿海城市的新高铁线路于周一上午正式开通运营，全程仅需一个半小时。",
    "日本のGDPは2.3%成長した。東京・大阪で「夏祭り」々",
    "ภาษาไทยที่นี่ ครับ ฯ",
    "的",
    "Café 北京 naïve",
]


def seed_paragraphs() -> list[str]:
    """Every paragraph of the three seed articles."""
    texts = [(SEEDS_DIR / name).read_text(encoding="utf-8") for name in SEED_NAMES]
    return [paragraph.strip() for text in texts for paragraph in text.split("\n\n") if paragraph.strip()]


def datasketch_signature(text: str, size: int, num_perm: int, seed: int) -> np.ndarray:
    """datasketch's own MinHash of the text's shingles, hashed with shingle_hash32."""
    minhash = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash32)
    minhash.update_batch([shingle.encode() for shingle in word_shingles(normalised_words(text), size)])
    return minhash.hashvalues


@pytest.mark.parametrize(("size", "num_perm", "seed"), [(2, 128, 1), (1, 64, 7), (3, 256, 42)])
def test_signatures_equal_datasketch_on_the_seeds_and_hostile_text(size, num_perm, seed):
    texts = seed_paragraphs() + HOSTILE
    signatures, word_counts = signatures_and_word_counts(texts, size, num_perm, seed)
    assert signatures.shape == (len(texts), num_perm) and signatures.dtype == np.uint32
    np.testing.assert_array_equal(count_words(texts), word_counts)
    for text, signature, count in zip(texts, signatures, word_counts):
        assert count == len(normalised_words(text)), text
        np.testing.assert_array_equal(signature, datasketch_signature(text, size, num_perm, seed), err_msg=text)


def test_signatures_equal_datasketch_bulk_and_load_as_lean_minhashes():
    texts = seed_paragraphs()
    shingles = [[shingle.encode() for shingle in word_shingles(normalised_words(text), 2)] for text in texts]
    bulk = MinHash.bulk(shingles, num_perm=128, seed=1, hashfunc=shingle_hash32)
    signatures = paragraph_signatures(texts, 2, 128, 1)
    for minhash, row in zip(bulk, signatures):
        np.testing.assert_array_equal(minhash.hashvalues, row)
        assert as_lean_minhash(row, 1) == LeanMinHash(minhash)


def test_every_scanned_punctuation_character_splits_or_joins_words_as_python_does():
    texts = [f"Ab{chr(code)}Cd e{chr(code)} {chr(code)}f" for block in _SCANNED_BLOCKS for code in block]
    signatures, word_counts = signatures_and_word_counts(texts, 2, 32, 1)
    for text, signature, count in zip(texts, signatures, word_counts):
        assert count == len(normalised_words(text)), repr(text)
        np.testing.assert_array_equal(signature, datasketch_signature(text, 2, 32, 1), err_msg=repr(text))


def test_text_without_words_keeps_the_empty_signature():
    (empty,) = paragraph_signatures(["— … —"], 2, 16, 1)
    np.testing.assert_array_equal(empty, MinHash(num_perm=16, seed=1).hashvalues)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=5), st.integers(min_value=1, max_value=3))
def test_any_text_gets_datasketchs_signature(texts, size):
    signatures, word_counts = signatures_and_word_counts(texts, size, 16, 3)
    for text, signature, count in zip(texts, signatures, word_counts):
        assert count == len(normalised_words(text))
        np.testing.assert_array_equal(signature, datasketch_signature(text, size, 16, 3))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60) | st.sampled_from(HOSTILE), max_size=5))
def test_the_words_of_paragraphs_joined_are_the_sum_of_theirs(texts):
    # No word spans a paragraph break: the write stage sums a corpus record's words from its paragraphs'.
    assert count_words(["\n\n".join(texts)]).tolist() == [sum(count_words(texts).tolist())]


# Runs of Chinese, Japanese and Thai with Latin words, digits and punctuation between them.
_MIXED_SCRIPTS = "政府宣布新规定的日本のカレー々ภาษาไทย ี่abcXYZ019 ,.。、「」・-"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=_MIXED_SCRIPTS, max_size=40), min_size=1, max_size=5), st.integers(1, 3))
def test_text_without_spaces_gets_datasketchs_signature(texts, size):
    signatures, word_counts = signatures_and_word_counts(texts, size, 16, 5)
    for text, signature, count in zip(texts, signatures, word_counts):
        assert count == len(normalised_words(text))
        np.testing.assert_array_equal(signature, datasketch_signature(text, size, 16, 5))


def python_normalised(texts: list[str]) -> list[str]:
    """The key short texts and exact copies are matched by, folded in Python."""
    return [exact_key(normalised_words(text)) for text in texts]


def test_normalised_texts_equal_pythons_on_the_seeds_their_sentences_and_hostile_text():
    paragraphs = seed_paragraphs()
    texts = paragraphs + [sentence for text in paragraphs for sentence in split_sentences(text)] + HOSTILE
    assert normalised_texts(texts) == python_normalised(texts)


def test_every_scanned_punctuation_character_normalises_as_python_does():
    texts = [f"Ab{chr(code)}Cd e{chr(code)} {chr(code)}f" for block in _SCANNED_BLOCKS for code in block]
    assert normalised_texts(texts) == python_normalised(texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=5))
def test_any_text_normalises_as_python_does(texts):
    assert normalised_texts(texts) == python_normalised(texts)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=_MIXED_SCRIPTS + "Don't ‘x’ — A1_b", max_size=40), max_size=5))
def test_mixed_scripts_normalise_as_python_does(texts):
    assert normalised_texts(texts) == python_normalised(texts)


def test_normalised_keys_are_the_keys_of_the_normalised_texts_on_the_seeds_their_sentences_and_hostile_text():
    paragraphs = seed_paragraphs()
    texts = paragraphs + [sentence for text in paragraphs for sentence in split_sentences(text)] + HOSTILE
    expected = text_sip_keys(python_normalised(texts))
    assert normalised_keys(texts, encoded_texts(texts)).tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=5))
def test_any_texts_normalised_keys_are_their_normalised_texts_keys(texts):
    expected = text_sip_keys(python_normalised(texts))
    assert normalised_keys(texts, encoded_texts(texts)).tolist() == expected.tolist()


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (16, 3), (1, 0), (256, 42)])
def test_the_permutations_are_datasketchs(num_perm, seed):
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    np.testing.assert_array_equal(np.stack(permutations(num_perm, seed)), np.stack([a, b]).astype(np.uint32))


def test_a_finishing_task_signs_its_paragraphs_without_importing_datasketch():
    """Worker processes sign what they clean; datasketch (scipy, redis) would cost each a share of a second."""
    code = (
        "import sys; from flows.stages.band_matches import signed_rows; from flows.config import load_config; "
        "rows = signed_rows(['Talks ended early in Hanoi. Both sides said they would meet again soon.'], "
        "load_config(None).dedup); assert rows['bands'].num_rows and 'datasketch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_a_columns_bytes_are_its_texts_encoded_and_scan_to_their_shingles():
    """`column_encoded` reads a column's UTF-8 bytes (in chunks, sliced, of every script, empty texts too) as
    `encoded_texts` encodes its strings, read-only as they are: the shingles scanned from them are the texts'."""
    texts = HOSTILE + seed_paragraphs()
    chunked = pa.chunked_array([texts[:5], texts[5:]], pa.string())
    sliced = pa.array(["before", *texts, "after"], pa.large_string()).slice(1, len(texts))
    expected = encoded_texts(texts)
    for column in (chunked, sliced):
        encoded = column_encoded(column)
        assert encoded.data.tobytes() == expected.data.tobytes()
        assert encoded.starts.tolist() == expected.starts.tolist()
        assert not encoded.data.flags.writeable
        scanned, own = shingle_hashes(texts, 2, encoded), shingle_hashes(texts, 2)
        assert scanned.values.tolist() == own.values.tolist() and scanned.offsets.tolist() == own.offsets.tolist()
    assert column_encoded(pa.array(["", ""], pa.string())).starts.tolist() == [0, 0, 0]
