"""All visible text of an HTML page, one block element a line: the page as a text dump.

copydesk falls back to this (then trims it to its body like any text dump) when trafilatura keeps
much less of a page than the body heuristics find in it, as on list, table and forum pages.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_SPACE = re.compile(r"\s+")
DROPPED_TAGS = frozenset(("script", "style", "noscript", "head", "template", "svg"))
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
    return tree_text(root)


def tree_text(root: etree._Element) -> str:
    """The visible text of a parsed page, one block a line, without changing the tree (no recursion)."""
    pieces: list[str] = []
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        element, closing = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else None
        if closing or tag is None or tag in DROPPED_TAGS:
            if closing and tag in BLOCK_TAGS:
                pieces.append("\n")
            if element is not root:
                pieces.append(_SPACE.sub(" ", element.tail or ""))
            continue
        if tag in BLOCK_TAGS:
            pieces.append("\n")
        pieces.append(_SPACE.sub(" ", element.text or ""))
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)
