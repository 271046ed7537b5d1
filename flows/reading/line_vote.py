"""A vote between extractors over a page's text-dump lines: the lines the main extractor left out that the
dump cleaning keeps and another extractor keeps too go back into its text, in the page's order (Bevendorff
et al., SIGIR 2023: a vote of extractors beats each of them). Lines are compared by their lowercased words,
so markup and spacing do not matter; a text holds a line when it holds the line's words in a row."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Ballot:
    """What a vote compares, each text's words found once: the main extractor's text, its words_by_line and
    joined_words, and the words_of each other text."""

    extracted: str
    line_words: list[str]
    whole_words: str
    other_words: list[str]


def ballot(extracted: str, other_texts: list[str]) -> Ballot:
    """The Ballot of `extracted` (the main extractor's text) against `other_texts`."""
    line_words = words_by_line(extracted)
    return Ballot(extracted, line_words, joined_words(line_words), [words_of(text) for text in other_texts])


def may_add_lines(vote: Ballot) -> bool:
    """Whether add_agreed_lines could add a line to the extracted text: it adds only a line whose words every other
    text holds in a row and the extracted text does not, so none where one other text's words all lie in a row in it."""
    return not any(words in vote.whole_words for words in vote.other_words)


def add_agreed_lines(vote: Ballot, dump_lines: list[str], dump_kept: list[str]) -> str:
    """The extracted text with each line of `dump_kept` (the dump lines a dump cleaning keeps, as they are) whose
    words it lacks and each other text holds, placed after the line of the extracted text that holds the last dump
    line before it that the text has, kept or word for word (at the start when none)."""
    extracted_lines = vote.extracted.split("\n")
    extracted_words = vote.line_words
    line_number = {line: index for index, line in reversed(list(enumerate(extracted_lines)))}
    kept = set(dump_kept)
    added_after: dict[int, list[str]] = {}
    anchor = -1
    for line in dump_lines:
        if line in line_number:
            anchor = max(anchor, line_number[line])
            continue
        words = words_of(line) if line in kept else NO_WORDS
        if words == NO_WORDS:
            continue
        if words in vote.whole_words:
            holder = next((i for i in range(max(anchor, 0), len(extracted_words)) if words in extracted_words[i]), None)
            anchor = anchor if holder is None else holder
        elif all(words in other for other in vote.other_words):
            added_after.setdefault(anchor, []).append(line)
    if not added_after:
        return vote.extracted
    voted = list(added_after.get(-1, []))
    for index, line in enumerate(extracted_lines):
        voted.append(line)
        voted.extend(added_after.get(index, []))
    return "\n".join(voted)
