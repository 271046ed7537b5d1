"""A symspell index built for the words it will be asked about: the same suggestions, a fraction of the deletes.

symspellpy's index keeps, for every delete of every word's prefix (its first `prefix_length` letters with up to
`max_edit_distance` of them taken out), the words it came from; `SymSpell.lookup` of a phrase reads only the entries
of the deletes of the phrase's own prefix. The spelling judge looks up a few thousand rare words in an index of
tens of thousands: `partial_index` works out every word's deletes at once as Arrow arrays, keeps the entries whose
delete a lookup of one of `phrases` reads, and hands symspellpy's own `lookup` that table. Building the full table
word by word in Python was the judge's largest cost after the copies' alignments.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from itertools import combinations

import pyarrow as pa
import pyarrow.compute as pc
from symspellpy import SymSpell, Verbosity
from symspellpy.suggest_item import SuggestItem


class PartialIndex(SymSpell):
    """A SymSpell index whose delete table holds only what lookups of `phrases` read: looking up any other
    phrase is refused, since its suggestions could be missing."""

    def __init__(self, max_edit_distance: int, phrases: Collection[str]) -> None:
        super().__init__(max_dictionary_edit_distance=max_edit_distance)
        self.phrases = phrases

    def lookup(
        self, phrase: str, verbosity: Verbosity, max_edit_distance: int | None = None, **options
    ) -> list[SuggestItem]:
        """symspellpy's lookup, for one of the phrases the index was built for."""
        if phrase not in self.phrases:
            raise KeyError(f"{phrase!r} is not a phrase this index was built for")
        return super().lookup(phrase, verbosity, max_edit_distance, **options)


def partial_index(words: Iterable[str], phrases: Collection[str], max_edit_distance: int) -> PartialIndex:
    """The index of distinct `words` (each with count 1, as `create_dictionary_entry(word, 1)` adds them, in this
    order) that looks up `phrases` exactly as the full index would."""
    index = PartialIndex(max_edit_distance, phrases)
    listed = list(words)
    index._words = dict.fromkeys(listed, 1)
    index._max_length = max(map(len, listed), default=0)
    read = pc.unique(_deletes(pa.array(list(phrases), pa.string()), index).column("delete"))
    entries = _deletes(pa.array(listed, pa.string()), index)
    entries = entries.filter(pc.is_in(entries.column("delete"), value_set=read))
    entries = entries.group_by(["delete", "word"], use_threads=False).aggregate([]).sort_by("word")
    for delete, word in zip(entries.column("delete").to_pylist(), entries.column("word").to_pylist()):
        index._deletes[delete].append(listed[word])
    return index


def _deletes(words: pa.Array, index: SymSpell) -> pa.Table:
    """Every (delete, word) of the words' prefixes, by the word's place in `words`, as symspellpy's `_edits_prefix`
    makes them: the prefix, and the prefix without any one to `max_edit_distance` of its letters (the empty delete
    of a word as short as that included); repeats are left in."""
    prefixes = pc.utf8_slice_codeunits(words, 0, index._prefix_length)
    places = pa.array(range(len(words)), pa.int64())
    parts = [pa.table({"delete": prefixes, "word": places})]
    for taken in range(1, index._max_dictionary_edit_distance + 1):
        for letters in combinations(range(index._prefix_length), taken):
            parts.append(pa.table({"delete": _without(prefixes, letters), "word": places}))
    return pa.concat_tables(parts)


def _without(prefixes: pa.Array, letters: tuple[int, ...]) -> pa.Array:
    """Each prefix without the letters at these places (increasing); a place past a prefix's end takes nothing."""
    kept = []
    start = 0
    for letter in letters:
        kept.append(pc.utf8_slice_codeunits(prefixes, start, letter))
        start = letter + 1
    kept.append(pc.utf8_slice_codeunits(prefixes, start))
    return pc.binary_join_element_wise(*kept, "")
