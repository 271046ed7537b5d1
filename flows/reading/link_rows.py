"""Navigation bars laid out as tables: trafilatura keeps a page's tables and prints each row as "| cell | cell |",
so an old page's menus and footers ("| About BostonWorks \\| Press Releases \\| Advertise |", "| E-Mail This Article |")
reach the article text. A row whose every cell is, word for word, a link's text or the texts of links that follow
each other on the page is such a bar, and goes; a data table's row holds a cell that is not a link."""

from __future__ import annotations

import re

from lxml import etree

from flows.reading.line_vote import words_of

# trafilatura writes a cell's own "|" as "\|": both split a row, so each link of a bar "A \| B \| C" is a cell.
_CELL_BORDER = re.compile(r"\\?\|")
Words = tuple[str, ...]


def link_texts(tree: etree._Element) -> list[Words]:
    """The words (as words_of gives them) of each link of the page that has any, in the page's order."""
    texts = (tuple(words_of(" ".join(link.itertext())).split()) for link in tree.iter("a"))
    return [words for words in texts if words]


def positions_by_first_word(links: list[Words]) -> dict[str, list[int]]:
    """Each first word of `links` and the positions of the links that open with it."""
    starts: dict[str, list[int]] = {}
    for index, words in enumerate(links):
        starts.setdefault(words[0], []).append(index)
    return starts


def is_link_run(words: Words, links: list[Words], starts: dict[str, list[int]]) -> bool:
    """Whether `words` are the words of one link, or of links that follow each other, of `links` (`starts`: their
    positions_by_first_word)."""
    for first in starts.get(words[0], ()):
        matched, index = 0, first
        while index < len(links) and words[matched : matched + len(links[index])] == links[index]:
            matched += len(links[index])
            index += 1
            if matched == len(words):
                return True
    return False


def is_link_row(line: str, links: list[Words], starts: dict[str, list[int]]) -> bool:
    """Whether a line is a table row (trafilatura's "| cell | cell |") whose every cell with words is a run of links."""
    if not line.startswith("|"):
        return False
    cells = [tuple(words) for cell in _CELL_BORDER.split(line) if (words := words_of(cell).split())]
    return bool(cells) and all(is_link_run(cell, links, starts) for cell in cells)


def drop_link_rows(text: str, tree: etree._Element) -> str:
    """`text` (trafilatura's, one block a line) without its table rows whose every cell is link text on the page."""
    lines = text.split("\n")
    if not any(line.startswith("|") for line in lines):
        return text
    links = link_texts(tree)
    starts = positions_by_first_word(links)
    return "\n".join(line for line in lines if not is_link_row(line, links, starts))
