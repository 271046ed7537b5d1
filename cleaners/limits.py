"""Bounded work per article and per paragraph: text too long to be news is refused before it costs time.

A whole article over the limits is rejected; a paragraph over them (a page that lost its line breaks, a
data dump) is removed with a reason, so the rest of its article is still cleaned.
"""

from __future__ import annotations

from cleaners.edits import Removal

TOO_LONG_PARAGRAPH = "too_long_paragraph"


def size_problem(text: str, max_chars: int, max_words: int, settings: str) -> str | None:
    """Why a text is over the limits (`settings` names the config keys' prefix), or None when it is within them.

    Characters are checked first, so counting the words of a huge text is never needed.
    """
    if len(text) > max_chars:
        return f"{len(text):,} characters (input.max_{settings}_chars is {max_chars:,})"
    words = len(text.split())
    if words > max_words:
        return f"{words:,} words (input.max_{settings}_words is {max_words:,})"
    return None


def drop_long_paragraphs(paragraphs: list[str], max_chars: int, max_words: int) -> tuple[list[str], list[Removal]]:
    """The paragraphs within the limits, and a removal for each one over them."""
    kept: list[str] = []
    removals: list[Removal] = []
    for paragraph in paragraphs:
        if size_problem(paragraph, max_chars, max_words, "paragraph") is None:
            kept.append(paragraph)
        else:
            removals.append(Removal(text=paragraph, reason=TOO_LONG_PARAGRAPH))
    return kept, removals
