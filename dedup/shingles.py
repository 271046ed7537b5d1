"""Paragraph normalisation and word shingles.

Case, punctuation, quote and dash styles are folded so that "“It was,” he said" and
"\"It was\", he said" shingle alike.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})


def fold_text(text: str) -> str:
    """NFKC, apostrophes of every style dropped, case folded."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold().replace("'", "")


def has_word_character(text: str) -> bool:
    """Whether any character of the text can be part of a word."""
    return _NON_WORD.fullmatch(text) is None


def normalised_words(text: str) -> list[str]:
    """Return the paragraph's words, case-folded, accents kept, punctuation and quote styles dropped."""
    return _NON_WORD.sub(" ", fold_text(text)).split()


def paragraph_fingerprint(text: str) -> str:
    """A stable name for a paragraph's text: the short SHA-256 of its normalised words, so quote styles,
    case and punctuation do not change it."""
    return hashlib.sha256(" ".join(normalised_words(text)).encode()).hexdigest()[:16]


def word_shingles(words: list[str], size: int) -> set[str]:
    """Return the set of `size`-word shingles; a text shorter than `size` gives one shingle of all its words."""
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def exact_key(words: list[str]) -> str:
    """Key under which short paragraphs are matched exactly."""
    return " ".join(words)


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")


_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Sr|Jr|Gen|Sen|Rep|Gov|Prof|Lt|Col|Capt|Sgt|Inc|Ltd|Co|Corp|No|vs|etc|Jan|Feb|Mar|Apr|"
    r"Aug|Sept|Sep|Oct|Nov|Dec)|\b[A-Z]|\b(?:[A-Za-z]\.)+[A-Za-z])\.$"
)


def split_sentences(text: str) -> list[str]:
    """The sentences of a paragraph, as written; a full stop after "Mr", an initial or "U.S" ends none."""
    sentences: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if not piece.strip():
            continue
        if sentences and _ABBREVIATION.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences
