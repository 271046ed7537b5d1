"""Bounded paragraphs: one over the limits is split at sentence ends, and only a sentence over them alone goes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.limits import TOO_LONG_PARAGRAPH, size_problem, split_long_paragraphs, words_short_of
from dedup.signatures import count_words

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


def test_an_article_short_of_words_is_told_its_count_and_one_long_enough_none():
    short = ["Seoul, Monday.", "Talks stall."]
    assert words_short_of(short, 5) == int(count_words(short).sum()) == 4
    assert words_short_of([*short, "Officials in Hanoi said on Thursday that the talks had ended."], 5) is None
    assert words_short_of(["首脳会談は決裂した。"], 5) is None  # a script without spaces has words


def test_a_long_first_paragraph_settles_the_word_count_whatever_follows():
    assert words_short_of([SENTENCES[0], "", "ok"], 5) is None
    assert words_short_of([SENTENCES[0]], 14) == 13  # "Sang-Hun" is two words


def test_a_text_is_over_the_word_limit_only_by_its_words():
    assert size_problem("Talks stall in Hanoi", 100, 4, "paragraph") is None
    assert size_problem("Talks stall in Hanoi again", 100, 4, "paragraph") == "5 words (input.max_paragraph_words is 4)"
    assert size_problem("Seoul", 100, 5, "paragraph") is None
