"""Pages laid out as tables: trafilatura prints a table row as one line, "| cell | cell |", so an old page whose
article sits in one cell reaches the text as a single line of its every heading, paragraph and post footer
("… Tuesday December 26, 2006 \\| permalink \\| comments (0) Merry Christmas …"), where no line rule can
take the junk from the prose. A row with a cell of MIN_CELL_WORDS+ words that holds two or more of the page's
text-dump lines (one block a line) is such a layout, and is written as its cells' blocks, one a line."""

from __future__ import annotations

import re

# A cell of this many words is a layout's, not a data table's (whose cells are a value, a name, a sentence).
MIN_CELL_WORDS = 50
# trafilatura writes a cell's own "|" as "\|"; a bare "|" is a border between cells.
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def lines_by_first_word(dump_lines: list[list[str]]) -> dict[str, list[int]]:
    """The positions of the dump lines (as lists of words) by their first word, in the page's order."""
    starts: dict[str, list[int]] = {}
    for index, words in enumerate(dump_lines):
        if words:
            starts.setdefault(words[0], []).append(index)
    return starts


def cell_words(cell: str) -> list[str]:
    """A cell's words, with its own "|" as the page prints it."""
    return cell.replace("\\|", "|").split()


def cell_blocks(words: list[str], dump_lines: list[list[str]], starts: dict[str, list[int]]) -> list[str]:
    """A cell's `words` cut into the dump lines it holds whole, in the page's order (at each word, the first line
    after the last one found that opens there), and the runs of words between them; [] when it holds fewer
    than two such lines."""
    blocks: list[str] = []
    run: list[str] = []
    position, after, found_lines = 0, 0, 0
    while position < len(words):
        found = next(
            (
                index
                for index in starts.get(words[position], ())
                if index >= after and words[position : position + len(dump_lines[index])] == dump_lines[index]
            ),
            None,
        )
        if found is None:
            run.append(words[position])
            position += 1
            continue
        blocks.extend([" ".join(run)] if run else [])
        blocks.append(" ".join(dump_lines[found]))
        run, after, found_lines = [], found + 1, found_lines + 1
        position += len(dump_lines[found])
    blocks.extend([" ".join(run)] if run else [])
    return blocks if found_lines >= 2 else []


def split_layout_rows(text: str, dump: str) -> str:
    """`text` (trafilatura's, one block a line) with each table row that holds a layout cell written as its
    cells' blocks, one a line (the page's `dump`, one block a line, tells where the blocks are)."""
    lines = text.split("\n")
    if not any(line.lstrip().startswith("|") and len(line.split()) >= MIN_CELL_WORDS for line in lines):
        return text
    dump_lines = [line.split() for line in dump.split("\n")]
    starts = lines_by_first_word(dump_lines)
    written = []
    for line in lines:
        is_row = line.lstrip().startswith("|")
        cells = [cell_words(cell) for cell in _CELL_BORDER.split(line)[1:]] if is_row else []
        blocks = [cell_blocks(words, dump_lines, starts) if len(words) >= MIN_CELL_WORDS else [] for words in cells]
        if not any(blocks):
            written.append(line)
            continue
        for words, found in zip(cells, blocks):
            written.extend(found or ([" ".join(words)] if words else []))
    return "\n".join(written)
