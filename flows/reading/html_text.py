"""All visible text of an HTML page, one block element a line: the page as a text dump; and HTML nesting
kept within what libxml2 parses.

copydesk falls back to this (then trims it to its body like any text dump) when trafilatura keeps
much less of a page than the body heuristics find in it, as on list, table and forum pages.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

# Where tree_text breaks a line: a character no parsed page holds (libxml2 never keeps a NUL in text).
BLOCK_BREAK = "\x00"
DROPPED_TAGS = frozenset(("script", "style", "noscript", "head", "template", "svg"))
BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption center dd div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol option p pre section table tbody td tfoot th thead title tr ul".split()
)


# libxml2 gives up on elements nested deeper than 256 (and drops the rest of the page); copydesk keeps
# pages well within that, leaving room for the wrappers trafilatura and lxml add.
MAX_NESTING = 200
# One tag, or a comment, script or style block copied whole (a "<" inside a script is not a tag).
_TAG = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<(/?)([a-zA-Z][\w:-]*)[^>]*>", re.DOTALL | re.IGNORECASE)
VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# An element of these kinds ends where the next one of its kind starts, closed or not.
SIBLING_CLOSED = frozenset("p li dt dd option tr td th".split())
# Whether a parsed page holds an element deeper than MAX_NESTING (its root at depth 1), in one XPath.
_DEEPER_THAN_LIMIT = etree.XPath(f"boolean({'/*' * (MAX_NESTING + 1)})")


def nested_too_deep(tree: etree._Element) -> bool:
    """Whether a parsed page nests deeper than MAX_NESTING: libxml2 stopped at its own limit (and dropped the
    rest of the page), or came so near it that the wrappers trafilatura and lxml add could reach it."""
    return bool(_DEEPER_THAN_LIMIT(tree))


def limit_nesting(html: str, max_depth: int = MAX_NESTING) -> str:
    """The page with every tag that would open an element deeper than max_depth left out (with its end tag),
    so text in thousands of unclosed <font> or <span> tags is kept; inline tags go from half that depth, so
    the blocks inside them keep their lines. A page nested less is returned as is."""
    if html.count("<") <= max_depth:
        return html
    open_tags: list[str] = []
    dropped: dict[str, int] = {}

    def visit(tag: re.Match[str]) -> str:
        closing, name = tag[2], (tag[3] or "").lower()
        if not name or name in VOID_TAGS or tag[0].endswith("/>"):
            return tag[0]
        if closing:
            if dropped.get(name):
                dropped[name] -= 1
                return ""
            if name in open_tags:
                del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]
            return tag[0]
        if name in SIBLING_CLOSED and open_tags and open_tags[-1] == name:
            open_tags.pop()
        if len(open_tags) >= (max_depth if name in BLOCK_TAGS else max_depth // 2):
            dropped[name] = dropped.get(name, 0) + 1
            return ""
        open_tags.append(name)
        return tag[0]

    return _TAG.sub(visit, html)


def visible_text(html: str) -> str:
    """The page's visible text, one block a line; scripts, styles and comments dropped."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    return tree_text(root)


def tree_text(root: etree._Element) -> str:
    """The visible text of a parsed page, one block a line, without changing the tree (no recursion): its
    text pieces as they are, with a BLOCK_BREAK at each block's start and end, split at those once."""
    pieces: list[str] = []
    walk = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, element in walk:
        if event == "start":
            if element.tag in DROPPED_TAGS:
                walk.skip_subtree()  # its end event still comes, with its tail
                continue
            if element.tag in BLOCK_TAGS:
                pieces.append(BLOCK_BREAK)
            if element.text:
                pieces.append(element.text)
            continue
        if event == "end" and element.tag in BLOCK_TAGS:
            pieces.append(BLOCK_BREAK)
        if element.tail and element is not root:
            pieces.append(element.tail)
    lines = (" ".join(line.split()) for line in "".join(pieces).split(BLOCK_BREAK))
    return "\n".join(line for line in lines if line)
