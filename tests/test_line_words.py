import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.body import words_and_stopword_share
from cleaners.line_words import LOWERED_TO_ASCII, SPACES, line_words
from cleaners.stopwords import STOPWORDS


def expected(line: str) -> tuple[int, int, int]:
    """What `line_words` counts, as Python's split and `re` find it."""
    runs = re.findall(r"[a-z']+", line.lower())
    return len(line.split()), len(runs), sum(run in STOPWORDS for run in runs)


# Stopwords in every case and beside apostrophes, runs longer than 8 bytes ending in one, whitespace of every width in
# UTF-8 (the pass reads a code point at each lead byte), lone surrogates, characters past the Basic Multilingual Plane.
LINES = [
    "",
    " ",
    "The THE tHe the",
    "it's don't 'the' the' a-b",
    "aboutthe wouldwould xxxxxxxxthe aboutabout which",
    "a\tb\nc\x0bd\x0ce\rf\x1cg\x1dh\x1ei\x1fj k",
    "the\x85of\xa0and\u1680to\u2000a\u200ain\u2028is\u2029it\u202fon\u205fas\u3000by",
    "“It was a blessing,” he said — and ² ٣ é the of",
    "lone \ud800 surrogate the \udfff of",
    "emoji 😀 the 𝐀 of",
    "İstanbul and the K\u212a of it",
]


@pytest.mark.parametrize("line", LINES)
def test_line_words_counts_what_split_and_the_runs_of_letters_find(line):
    counted = line_words(line)
    assert counted is None if any(c in line for c in LOWERED_TO_ASCII) else counted == expected(line)


@pytest.mark.parametrize("line", LINES)
def test_words_and_stopword_share_is_the_split_and_the_share_of_stopword_runs(line):
    words, runs, stopwords = expected(line)
    assert words_and_stopword_share(line) == (words, stopwords / runs if runs else 0.0)


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.characters(exclude_categories=()), max_size=80)
    | st.text(alphabet="The of a\u212a\u0130'’ \t\xa0\x1cx", max_size=40)
)
def test_words_and_stopword_share_of_any_text(line):
    words, runs, stopwords = expected(line)
    assert words_and_stopword_share(line) == (words, stopwords / runs if runs else 0.0)


def test_only_the_characters_lowered_to_ascii_are_left_to_python_and_no_space_lies_past_the_plane():
    lowered = [
        chr(point) for point in range(0x80, sys.maxunicode + 1) if re.search("[\\x00-\\x7f]", chr(point).lower())
    ]
    assert tuple(lowered) == LOWERED_TO_ASCII
    assert not any(chr(point).isspace() for point in range(len(SPACES), sys.maxunicode + 1))
