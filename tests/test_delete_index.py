"""The partial symspell index (cleaners/delete_index.py) suggests what symspellpy's full index suggests."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from symspellpy import SymSpell, Verbosity

from cleaners.delete_index import partial_index
from flows.stages.dictionary import english_dictionary


def full_index(words: list[str], max_edit_distance: int) -> SymSpell:
    index = SymSpell(max_dictionary_edit_distance=max_edit_distance)
    for word in words:
        index.create_dictionary_entry(word, 1)
    return index


def suggestions(index: SymSpell, phrase: str, verbosity: Verbosity, distance: int) -> list[tuple[str, int, int]]:
    return [(item.term, item.distance, item.count) for item in index.lookup(phrase, verbosity, distance)]


def assert_same_lookups(words: list[str], phrases: set[str], max_edit_distance: int) -> None:
    full, partial = full_index(words, max_edit_distance), partial_index(words, phrases, max_edit_distance)
    for phrase in phrases:
        for verbosity in (Verbosity.CLOSEST, Verbosity.ALL, Verbosity.TOP):
            for distance in range(max_edit_distance + 1):
                want = suggestions(full, phrase, verbosity, distance)
                assert suggestions(partial, phrase, verbosity, distance) == want, (phrase, verbosity, distance)


def misspelt(word: str, rng: random.Random) -> str:
    """The word with a letter dropped, doubled, swapped with the next or replaced."""
    place = rng.randrange(len(word))
    letter = rng.choice("aeiounrst")
    return rng.choice(
        [
            word[:place] + word[place + 1 :],
            word[:place] + word[place] + word[place:],
            word[:place] + word[place + 1 : place + 2] + word[place] + word[place + 2 :],
            word[:place] + letter + word[place + 1 :],
        ]
    )


def test_typos_of_english_words_get_the_full_indexs_suggestions():
    rng = random.Random(3)
    english = sorted(english_dictionary().counts, key=english_dictionary().ranks.__getitem__)
    words = [word for word in english[:20000] if word.isalpha()]
    phrases = {misspelt(word, rng) for word in rng.sample(words, 600)} | set(rng.sample(words, 100)) | {"a", "xz"}
    assert_same_lookups(words, phrases, 2)
    assert_same_lookups([word.title() for word in words[:5000]], {phrase.title() for phrase in phrases}, 1)


def test_a_phrase_the_index_was_not_built_for_is_refused():
    index = partial_index(["minister", "talks"], {"minster"}, 2)
    assert [item.term for item in index.lookup("minster", Verbosity.CLOSEST, 2)] == ["minister"]
    with pytest.raises(KeyError):
        index.lookup("tlaks", Verbosity.CLOSEST, 2)


short_words = st.text(alphabet="abcd", min_size=1, max_size=10)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(short_words, unique=True, max_size=30), st.sets(short_words, min_size=1, max_size=10), st.integers(1, 3)
)
def test_any_words_and_phrases_get_the_full_indexs_suggestions(words, phrases, max_edit_distance):
    assert_same_lookups(words, phrases, max_edit_distance)
