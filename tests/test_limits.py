"""Bounded paragraphs: one over the limits is split at sentence ends, and only a sentence over them alone goes."""

from cleaners.limits import TOO_LONG_PARAGRAPH, split_long_paragraphs

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
