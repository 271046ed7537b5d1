"""The base English dictionary (word and word-pair frequencies) that symspellpy ships, and the common words of
other languages (wordfreq's lists) that spelling leaves alone."""

from __future__ import annotations

import gzip
import importlib.resources
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

import msgpack
import wordfreq

from cleaners.rules import SpellingRules
from cleaners.spelling import BaseDictionary

WORDS_FILE = "frequency_dictionary_en_82_765.txt"
BIGRAMS_FILE = "frequency_bigramdictionary_en_243_342.txt"
# wordfreq's lists hold one bucket of words per centibel: bucket i's words have a Zipf frequency of 9 - i / 100.
_BUCKETS_PER_ZIPF = 100
_MAX_ZIPF = 9


@lru_cache(maxsize=1)
def english_dictionary() -> BaseDictionary:
    """Load symspellpy's English frequency lists once per process."""
    package = importlib.resources.files("symspellpy")
    words = (package / WORDS_FILE).read_text(encoding="utf-8").splitlines()
    bigrams = (package / BIGRAMS_FILE).read_text(encoding="utf-8").splitlines()
    return BaseDictionary.from_lines(words, bigrams)


@lru_cache(maxsize=4)
def load_base_dictionary(
    foreign_languages: tuple[str, ...] = (), foreign_min_zipf: float = SpellingRules.foreign_word_min_zipf
) -> BaseDictionary:
    """The English dictionary with the words of `foreign_languages` at least `foreign_min_zipf` common (and not
    English) as its foreign words."""
    english = english_dictionary()
    if not foreign_languages:
        return english
    foreign = common_words(foreign_languages, foreign_min_zipf) - english.counts.keys()
    return replace(english, foreign=frozenset(foreign))


def common_words(languages: Iterable[str], min_zipf: float) -> set[str]:
    """The words of Latin letters only (all spelling can change) that are at least `min_zipf` common in one of the
    languages (Zipf frequency: log10 of occurrences per billion words; 3 is once per million); wordfreq's lists are
    let go once read."""
    buckets_kept = round((_MAX_ZIPF - min_zipf) * _BUCKETS_PER_ZIPF) + 1
    files = wordfreq.available_languages("best")
    return {
        word
        for language in languages
        for bucket in first_buckets(files[language], buckets_kept)
        for word in bucket
        if word.isascii() and word.isalpha()
    }


def first_buckets(path: str, count: int) -> list[list[str]]:
    """The first `count` buckets of a wordfreq list (its cBpack file: gzipped msgpack, a header then a bucket of
    words per centibel), as `wordfreq.get_frequency_list` reads them, unpacked one by one and the rest left unread:
    the common words are a small part of the file."""
    with gzip.open(path, "rb") as packed:
        unpacker = msgpack.Unpacker(packed, raw=False)
        items = unpacker.read_array_header()
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
            raise ValueError(f"{path}: not a wordfreq cBpack list (header {header!r})")
        return [unpacker.unpack() for _ in range(min(count, items - 1))]
