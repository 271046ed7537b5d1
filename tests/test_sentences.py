"""Sentence splitting (dedup.shingles.split_sentences): the faster search for sentence ends finds the splits the
one look-behind pattern finds, and abbreviations join the same sentences."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.shingles import _ABBREVIATION, _SENTENCE_END, split_sentences
from tests.test_signatures import HOSTILE, seed_paragraphs

# Sentence ends, closing quotes and brackets, spaces, abbreviations and initials, full-width endings.
_SENTENCE_ALPHABET = "ab MrU.S!?…\"'”’)]\n\u00a0。！？」』）x"


def split_by_the_pattern(text: str) -> list[str]:
    """The sentences as the look-behind pattern splits them, each whole sentence searched for an abbreviation."""
    sentences: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if not piece.strip():
            continue
        if sentences and _ABBREVIATION.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def test_seed_paragraphs_split_as_the_pattern_splits_them():
    texts = [*seed_paragraphs(), *HOSTILE, "Mr. Smith met Dr. J. R. Jones of the U.S. Army. “Yes!” he said.) Then…  no"]
    assert [split_sentences(text) for text in texts] == [split_by_the_pattern(text) for text in texts]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_SENTENCE_ALPHABET, max_size=80))
def test_any_text_splits_as_the_pattern_splits_it(text):
    assert split_sentences(text) == split_by_the_pattern(text)
