"""Bounded paragraphs: one over the limits is split at sentence ends, and only a sentence over them alone goes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.limits import TOO_LONG_PARAGRAPH, size_problem, split_long_paragraphs

SENTENCES = [
    "Choe Sang-Hun reported from Seoul that the talks on Yongbyon had stalled.",
    "Mr. Kim told Rodong Sinmun the plant would reopen on May 3.",
    "Officials in Hanoi said on Thursday that the talks had ended early.",
    '"We will meet again," the U.S. envoy said.',
]
BLOCK = " ".join(SENTENCES * 5)


def test_a_paragraph_within_the_limits_is_kept_as_it_is():
    assert split_long_paragraphs([BLOCK, SENTENCES[0]], 10_000, 1_000) == ([BLOCK, SENTENCES[0]], [])


def test_a_paragraph_over_the_word_limit_is_split_at_sentence_ends_into_paragraphs_within_it():
    kept, removals = split_long_paragraphs([BLOCK], 10_000, 30)
    assert removals == []
    assert len(kept) > 1 and all(len(piece.split()) <= 30 for piece in kept)
    assert " ".join(kept) == BLOCK  # every word kept, in order; "Mr." and "U.S." end no piece
    assert all(piece.startswith(tuple(sentence[:12] for sentence in SENTENCES)) for piece in kept)


def test_a_paragraph_over_the_character_limit_is_split_into_paragraphs_within_it():
    kept, removals = split_long_paragraphs([BLOCK], 200, 1_000)
    assert removals == [] and " ".join(kept) == BLOCK
    assert all(len(piece) <= 200 for piece in kept)


def test_a_sentence_over_the_limits_alone_is_removed_with_a_reason_and_the_rest_kept():
    dump = " ".join(["4711"] * 40)
    kept, removals = split_long_paragraphs([f"{SENTENCES[0]} {dump} {SENTENCES[1]}"], 10_000, 30)
    assert [(removal.text, removal.reason) for removal in removals] == [(dump + " " + SENTENCES[1], TOO_LONG_PARAGRAPH)]
    assert kept == [SENTENCES[0]]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab \n\t\u00a0", max_size=12), st.integers(min_value=1, max_value=7))
def test_a_text_is_over_the_word_limit_exactly_when_it_has_more_words(text, max_words):
    words = len(text.split())
    problem = size_problem(text, 1_000, max_words, "article")
    assert problem == (f"{words:,} words (input.max_article_words is {max_words:,})" if words > max_words else None)


def test_the_shortest_text_over_the_word_limit_is_refused():
    assert size_problem("a b c", 1_000, 2, "article") == "3 words (input.max_article_words is 2)"
    assert size_problem("a b c", 1_000, 3, "article") is None
