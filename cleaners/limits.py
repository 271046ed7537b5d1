"""Bounded work per article and per paragraph: text too long to be news is refused before it costs time.

A whole article over the limits is rejected. A paragraph over them (a page that lost its line breaks, an
essay printed as one block) is split at sentence ends into paragraphs within them; a sentence still over
them (a data dump) is removed with a reason, so the rest of its article is still cleaned.
"""

from __future__ import annotations

from cleaners.edits import Removal
from dedup.shingles import normalised_words, split_sentences
from dedup.signatures import count_words

TOO_LONG_PARAGRAPH = "too_long_paragraph"


def size_problem(text: str, max_chars: int, max_words: int, settings: str) -> str | None:
    """Why a text is over the limits (`settings` names the config keys' prefix), or None when it is within them.

    Characters are checked first, so counting the words of a huge text is never needed; nor are the words of a
    text too short to hold more than max_words (n characters hold at most (n + 1) // 2 words).
    """
    if len(text) > max_chars:
        return f"{len(text):,} characters (input.max_{settings}_chars is {max_chars:,})"
    if (len(text) + 1) // 2 <= max_words:
        return None
    words = len(text.split())
    if words > max_words:
        return f"{words:,} words (input.max_{settings}_words is {max_words:,})"
    return None


def split_long_paragraphs(paragraphs: list[str], max_chars: int, max_words: int) -> tuple[list[str], list[Removal]]:
    """The paragraphs within the limits, one over them split at sentence ends into runs of sentences within them,
    and a removal for each sentence that alone is over them."""
    kept: list[str] = []
    removals: list[Removal] = []
    for paragraph in paragraphs:
        if size_problem(paragraph, max_chars, max_words, "paragraph") is None:
            kept.append(paragraph)
            continue
        run: list[str] = []
        run_chars, run_words = -1, 0  # the joined run's characters: its sentences and a space between each two
        for sentence in split_sentences(paragraph):
            chars, words = len(sentence), len(sentence.split())
            if chars > max_chars or words > max_words:
                removals.append(Removal(text=sentence, reason=TOO_LONG_PARAGRAPH))
                continue
            if run and (run_chars + 1 + chars > max_chars or run_words + words > max_words):
                kept.append(" ".join(run))
                run, run_chars, run_words = [], -1, 0
            run.append(sentence)
            run_chars, run_words = run_chars + 1 + chars, run_words + words
        if run:
            kept.append(" ".join(run))
    return kept, removals


def words_short_of(paragraphs: list[str], minimum: int) -> int | None:
    """The paragraphs' words (as count_words counts them) when fewer than `minimum`, else None; the first paragraph
    alone settles most articles, since no paragraph lowers the count (its normalised_words are the words
    count_words counts, without the compiled scan's cost per call)."""
    if paragraphs and len(normalised_words(paragraphs[0])) >= minimum:
        return None
    words = int(count_words(paragraphs).sum())
    return words if words < minimum else None
