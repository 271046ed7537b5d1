"""Paragraph normalisation and word shingles.

Case, punctuation, quote and dash styles are folded so that "“It was,” he said" and
"\"It was\", he said" shingle alike. Scripts written without spaces between words (Chinese, Japanese,
Thai, Lao, Khmer, Burmese) have no words to split on: each run of them gives its overlapping character
pairs as its "words", so "政府宣布" is ["政府", "府宣", "宣布"] and its 2-word shingles are character trigrams.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+")
# Letters, marks and digits of the scripts written without spaces: Thai, Lao, Burmese, Khmer, the Japanese kana
# and the CJK ideographs (with the iteration marks 々〆〇); their punctuation ("。", "、", "・", "ฯ") separates.
_UNSPACED = (
    "\u0e01-\u0e4e\u0e50-\u0e59\u0e81-\u0edf\u1000-\u1049\u1050-\u109f\u1780-\u17d3\u17dc\u17dd\u17e0-\u17e9"
    "\u3005-\u3007\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002fa1f"
)
_UNSPACED_CHARACTER = re.compile(f"[{_UNSPACED}]")
_UNSPACED_RUN_OR_WORD = re.compile(f"([{_UNSPACED}]+)|[^\\W{_UNSPACED}]+")
_CHARACTERS_PER_WORD = 2
# Apostrophes of every style; str.replace drops them some 40x faster than str.translate with a table.
_APOSTROPHES = ("’", "‘", "`", "´", "'")


def fold_text(text: str) -> str:
    """NFKC, apostrophes of every style dropped, case folded."""
    folded = unicodedata.normalize("NFKC", text)
    for apostrophe in _APOSTROPHES:
        folded = folded.replace(apostrophe, "")
    return folded.casefold()


def has_word_character(text: str) -> bool:
    """Whether any character of the text can be part of a word."""
    return _NON_WORD.fullmatch(text) is None


def normalised_words(text: str) -> list[str]:
    """Return the paragraph's words, case-folded, accents kept, punctuation and quote styles dropped; a run of a
    script without spaces gives its overlapping character pairs (a lone character is one word)."""
    folded = fold_text(text)
    if _UNSPACED_CHARACTER.search(folded) is None:
        return _NON_WORD.sub(" ", folded).split()
    words: list[str] = []
    for match in _UNSPACED_RUN_OR_WORD.finditer(folded):
        run = match.group(1)
        if run is None:
            words.append(match.group())
        else:
            words.extend(run[start : start + _CHARACTERS_PER_WORD] for start in range(max(1, len(run) - 1)))
    return words


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


# A sentence ends at ".", "!", "?" or "…" (then closing quotes or brackets) before a space, or at a full-width
# "。", "！" or "？" with its closing quote or bracket ("。」"), space or none after it (Chinese and Japanese).
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|(?:(?<=[。！？])(?![」』”’）])|(?<=[。！？][」』”’）]))\s*")
# Without a full-width ending the same splits are the matches of this, the ending kept with the sentence before it:
# found some 3x faster than by the look-behinds, which the regex engine tries at every character.
_LATIN_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+")
_FULL_WIDTH_END = re.compile("[。！？]")


_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Sr|Jr|Gen|Sen|Rep|Gov|Prof|Lt|Col|Capt|Sgt|Inc|Ltd|Co|Corp|No|vs|etc|Jan|Feb|Mar|Apr|"
    r"Aug|Sept|Sep|Oct|Nov|Dec)|\b[A-Z]|\b(?:[A-Za-z]\.)+[A-Za-z])\.$"
)


def split_sentences(text: str) -> list[str]:
    """The sentences of a paragraph, as written; a full stop after "Mr", an initial or "U.S" ends none."""
    sentences: list[str] = []
    for piece in _sentence_pieces(text):
        if not piece.strip():
            continue
        # An abbreviation holds no space: only the last sentence's text after its last space is searched.
        if sentences and _ABBREVIATION.search(sentences[-1][sentences[-1].rfind(" ") + 1 :]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def _sentence_pieces(text: str) -> list[str]:
    """The text split at every sentence end (`_SENTENCE_END`), before abbreviations are joined again."""
    if _FULL_WIDTH_END.search(text):
        return _SENTENCE_END.split(text)
    pieces, start = [], 0
    for end in _LATIN_SENTENCE_END.finditer(text):
        pieces.append(text[start : end.start() + 1])
        start = end.end()
    pieces.append(text[start:])
    return pieces
