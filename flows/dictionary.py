"""The base English dictionary (word and word-pair frequencies) that symspellpy ships."""

from __future__ import annotations

import importlib.resources
from functools import lru_cache

from cleaners.spelling import BaseDictionary

WORDS_FILE = "frequency_dictionary_en_82_765.txt"
BIGRAMS_FILE = "frequency_bigramdictionary_en_243_342.txt"


@lru_cache(maxsize=1)
def load_base_dictionary() -> BaseDictionary:
    """Load symspellpy's English frequency lists once per process."""
    package = importlib.resources.files("symspellpy")
    words = (package / WORDS_FILE).read_text(encoding="utf-8").splitlines()
    bigrams = (package / BIGRAMS_FILE).read_text(encoding="utf-8").splitlines()
    return BaseDictionary.from_lines(words, bigrams)
