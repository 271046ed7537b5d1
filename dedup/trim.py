"""Partial repeats in the canonical corpus: two outlets merged different pairs of the same paragraphs
(A+B and B+C), so neither covers the other and both are canonical; the corpus keeps the one the policy
prefers whole and drops from the other the sentences the first already holds (B), keeping C.
"""

from __future__ import annotations

from collections.abc import Sequence

from dedup.settings import DedupSettings
from dedup.shingles import normalised_words, split_sentences, word_shingles
from dedup.verify import Overlap


def trim_partial_repeats(
    texts: Sequence[str],
    canonical: set[int],
    order: Sequence[int],
    partial: dict[tuple[int, int], Overlap],
    settings: DedupSettings,
) -> dict[int, str]:
    """Corpus text of each canonical paragraph that repeats sentences of a preferred canonical one
    ("" when nothing of it is left)."""
    rank = {position: index for index, position in enumerate(order)}
    pairs = [(i, j) for i, j in partial if i in canonical and j in canonical]
    trimmed: dict[int, str] = {}
    for i, j in sorted(pairs, key=lambda pair: (min(rank[pair[0]], rank[pair[1]]), max(rank[pair[0]], rank[pair[1]]))):
        keeper, other = (i, j) if rank[i] < rank[j] else (j, i)
        held = word_shingles(normalised_words(texts[keeper]), settings.shingle_size)
        sentences = split_sentences(trimmed.get(other, texts[other]))
        kept = [sentence for sentence in sentences if not _held(sentence, held, settings)]
        if len(kept) < len(sentences):
            trimmed[other] = " ".join(kept)
    return trimmed


def _held(sentence: str, held: set[str], settings: DedupSettings) -> bool:
    """True when most of a sentence's shingles are in the preferred paragraph."""
    shingles = word_shingles(normalised_words(sentence), settings.shingle_size)
    return bool(shingles) and len(shingles & held) / len(shingles) >= settings.containment_threshold
