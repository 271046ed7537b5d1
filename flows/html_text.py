"""All visible text of an HTML page, one block element a line: the page as a text dump.

copydesk falls back to this (then trims it to its body like any text dump) when trafilatura keeps
much less of a page than the body heuristics find in it, as on list, table and forum pages.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_SPACE = re.compile(r"\s+")
DROPPED_TAGS = ("script", "style", "noscript", "head", "template", "svg")
BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption center dd div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol option p pre section table tbody td tfoot th thead title tr ul".split()
)


def visible_text(html: str) -> str:
    """The page's visible text, one block a line; scripts, styles and comments dropped."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    etree.strip_elements(root, *DROPPED_TAGS, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    pieces: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        text = element.text if event == "start" else element.tail
        if element.tag in BLOCK_TAGS:
            pieces.append("\n")
        pieces.append(_SPACE.sub(" ", text or ""))
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)
