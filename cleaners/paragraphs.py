"""Paragraph boundaries: blank lines separate paragraphs, and so does a line break after a
finished sentence; a line broken mid-sentence (hard wrap) is joined to the one before it.
"""

from __future__ import annotations

from cleaners.sentence_end import ends_with_mark

# A line ends its paragraph when it ends with one of these (closing quotes and brackets after it aside).
_PARAGRAPH_MARKS = ".!?:;"


def is_wrapped_continuation(previous: str, line: str) -> bool:
    """True when `line` continues `previous` (a hard wrap), not a new paragraph."""
    return not ends_with_mark(previous, _PARAGRAPH_MARKS) and line[:1].islower()


def split_paragraphs(lines: list[str]) -> list[str]:
    """Group cleaned lines into paragraphs."""
    paragraphs: list[str] = []
    previous_blank = True
    for line in lines:
        if not line:
            previous_blank = True
            continue
        if not previous_blank and paragraphs and is_wrapped_continuation(paragraphs[-1], line):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
        previous_blank = False
    return paragraphs
