"""A vote between extractors over a page's text-dump lines: the lines the main extractor left out that the
dump cleaning keeps and another extractor keeps too go back into its text, in the page's order (Bevendorff
et al., SIGIR 2023: a vote of extractors beats each of them). Lines are compared by their lowercased words,
so markup and spacing do not matter; a text holds a line when it holds the line's words in a row."""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^\w\n]+")
_WORD = re.compile(r"\w+")
NO_WORDS = "  "


def words_by_line(text: str) -> list[str]:
    """Each line's lowercased words, one space apart and padded with a space each side (for whole-word
    search; a line without words gives NO_WORDS), found for the whole text at once."""
    return [f" {line.strip()} " for line in _NOT_WORD.sub(" ", text.lower()).split("\n")]


def words_of(text: str) -> str:
    """A text's lowercased words over all its lines, one space apart and padded with a space each side (found
    as runs of word characters: a third quicker than replacing what lies between them)."""
    return f" {' '.join(_WORD.findall(text.lower()))} "


def joined_words(line_words: list[str]) -> str:
    """A text's words over all its lines (its words_by_line), one space apart and padded with a space each side."""
    return f" {' '.join(words.strip() for words in line_words if words != NO_WORDS)} "


def may_add_lines(extracted: str, other_texts: list[str]) -> bool:
    """Whether add_agreed_lines could add a line to `extracted`: it adds only a line whose words every other text
    holds in a row and `extracted` does not, so none where one other text's words all lie in a row in `extracted`."""
    whole_extracted = joined_words(words_by_line(extracted))
    return not any(words_of(text) in whole_extracted for text in other_texts)


def add_agreed_lines(extracted: str, dump_lines: list[str], dump_kept: list[str], other_texts: list[str]) -> str:
    """`extracted` with each line of `dump_kept` (the dump lines a dump cleaning keeps, as they are) whose
    words it lacks and each of `other_texts` holds, placed after the line of `extracted` that holds the
    last dump line before it that `extracted` has, kept or word for word (at the start when none)."""
    extracted_lines = extracted.split("\n")
    extracted_words = words_by_line(extracted)
    line_number = {line: index for index, line in reversed(list(enumerate(extracted_lines)))}
    whole_extracted = joined_words(extracted_words)
    kept = set(dump_kept)
    others = [words_of(text) for text in other_texts]
    added_after: dict[int, list[str]] = {}
    anchor = -1
    for line in dump_lines:
        if line in line_number:
            anchor = max(anchor, line_number[line])
            continue
        words = words_of(line) if line in kept else NO_WORDS
        if words == NO_WORDS:
            continue
        if words in whole_extracted:
            holder = next((i for i in range(max(anchor, 0), len(extracted_words)) if words in extracted_words[i]), None)
            anchor = anchor if holder is None else holder
        elif all(words in other for other in others):
            added_after.setdefault(anchor, []).append(line)
    if not added_after:
        return extracted
    voted = list(added_after.get(-1, []))
    for index, line in enumerate(extracted_lines):
        voted.append(line)
        voted.extend(added_after.get(index, []))
    return "\n".join(voted)
