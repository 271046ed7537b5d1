"""Partial repeats in the canonical corpus: two outlets merged different pairs of the same paragraphs
(A+B and B+C), so neither covers the other and both are canonical; the corpus keeps the one the policy
prefers whole and drops from the other the sentences the first already holds (B), keeping C.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from dedup.settings import DedupSettings
from dedup.shingles import normalised_words, split_sentences
from dedup.signatures import normalised_texts
from dedup.verify import Overlap


def trim_keepers(
    canonical: Collection[int], partial: dict[tuple[int, int], Overlap], rank: Callable[[int], Any]
) -> dict[int, list[int]]:
    """Each canonical paragraph partly paired with a canonical one the policy prefers (lower `rank`), with its
    keepers: the canonical paragraphs it is partly paired with and trails, in policy order."""
    keepers: dict[int, list[int]] = {}
    for i, j in partial:
        if i in canonical and j in canonical:
            keeper, other = (i, j) if rank(i) < rank(j) else (j, i)
            keepers.setdefault(other, []).append(keeper)
    for ahead in keepers.values():
        ahead.sort(key=rank)
    return keepers


def trim_partial_repeats(
    texts: Sequence[str], keepers: dict[int, list[int]], settings: DedupSettings
) -> dict[int, str]:
    """Corpus text of each paragraph of `keepers` (`trim_keepers`) that repeats sentences of one ahead of it
    ("" when nothing of it is left): each keeper in turn drops from it the sentences its whole text holds."""
    if not keepers:
        return {}
    shingles = _Shingles(settings.shingle_size)
    shingles.normalise([texts[keeper] for ahead in keepers.values() for keeper in ahead])
    shingles.normalise([sentence for other in keepers for sentence in shingles.sentences(texts[other])])
    trimmed: dict[int, str] = {}
    for other, ahead in keepers.items():
        for keeper in ahead:
            held = shingles.of(texts[keeper])
            sentences = shingles.sentences(trimmed.get(other, texts[other]))
            kept = [sentence for sentence in sentences if not _held(shingles.of(sentence), held, settings)]
            if len(kept) < len(sentences):
                trimmed[other] = " ".join(kept)
    return trimmed


class _Shingles:
    """Each text's sentences and shingle set, made once however many pairs the text is in. A shingle is a tuple
    of words (words hold no space, so tuples are equal when `word_shingles`' joined strings are), made without
    joining strings: the pairs grow faster than the corpus, as a sentence printed again pairs its paragraphs."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.words: dict[str, list[str]] = {}
        self.made: dict[str, set[tuple[str, ...]]] = {}
        self.split: dict[str, list[str]] = {}

    def normalise(self, texts: list[str]) -> None:
        """Find the words of many texts at once with the compiled scan (`normalised_texts`), each text once."""
        new = [text for text in dict.fromkeys(texts) if text not in self.words]
        if not new:
            return
        for text, joined in zip(new, normalised_texts(new)):
            self.words[text] = joined.split(" ") if joined else []

    def of(self, text: str) -> set[tuple[str, ...]]:
        if (found := self.made.get(text)) is None:
            words = self.words.get(text)
            if words is None:
                words = normalised_words(text)
            if len(words) < self.size:
                found = {tuple(words)} if words else set()
            else:
                found = set(zip(*(words[start:] for start in range(self.size))))
            self.made[text] = found
        return found

    def sentences(self, text: str) -> list[str]:
        if (found := self.split.get(text)) is None:
            found = self.split[text] = split_sentences(text)
        return found


def _held(shingles: set[tuple[str, ...]], held: set[tuple[str, ...]], settings: DedupSettings) -> bool:
    """True when most of a sentence's shingles are in the preferred paragraph."""
    return bool(shingles) and len(shingles & held) / len(shingles) >= settings.containment_threshold
