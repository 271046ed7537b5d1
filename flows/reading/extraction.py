"""HTML pages to article text: trafilatura on one parse of the page, with the page's text dump as a
fallback where trafilatura keeps much less of the body than the dump holds (beside readers' comments), and
the dump lines trafilatura leaves out that both its own readability fallback and copydesk's dump cleaning
keep put back in (a vote of extractors), unless they are a figure's, a caption's or an author box's (not the article's text);
table rows that are only links (navigation bars laid out as tables) left out, and a layout table's row written as
its cells' blocks, one a line."""

from __future__ import annotations

import threading
from contextlib import suppress

import ftfy
import trafilatura
import trafilatura.external
from htmldate import find_date
from lxml import etree
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document
from trafilatura.utils import load_html

from cleaners.body import body_words, trim_outside_body
from cleaners.keep import NOTHING_KEPT
from cleaners.line_model import drop_unlikely_lines
from cleaners.metadata import ArticleMetadata, parse_published
from cleaners.rules import BodyRules
from flows.config import HtmlSettings
from flows.reading.html_text import limit_nesting, nested_too_deep, tree_text, visible_text
from flows.reading.layout_cells import split_layout_rows
from flows.reading.line_vote import add_agreed_lines, ballot, may_add_lines, words_of
from flows.reading.link_rows import drop_link_rows
from flows.stages.records import InputError

# htmldate's extensive search turns a "(c) 2019" footer into 2019-01-01: only dates the page states count.
DATE_EXTRACTION = {"extensive_search": False, "original_date": True}
# The [html] settings a caller that passes none gets (copydesk.toml's defaults).
DEFAULT_HTML = HtmlSettings()
# A C1 control character in a page is mojibake (UTF-8 read as Latin-1: "â\x80\x99" for "’"); trafilatura drops
# such characters and leaves "â", which no later repair can undo. Each is looked for on its own: 32 searches for one
# character are a quarter of the time of one search for a class of characters.
_C1_CONTROLS = tuple(map(chr, range(0x80, 0xA0)))
# A page's figures, captions and author boxes (by their tag, or a class naming a caption, a credit or an author):
# trafilatura leaves them out, and the vote never puts their lines back.
_CAPTIONS_AND_AUTHORS = etree.XPath(
    "//figure|//figcaption|//*[contains(@class, 'caption') or contains(@class, 'credit') or contains(@class, 'author')]"
)
# Where trafilatura's author XPaths (trafilatura.xpaths.AUTHOR_XPATHS, 2.3.1) can match: an <author> element, an element
# with a <rel> child, or an element whose class, id, itemprop, data-component, data-testid or rel holds one of
# _AUTHOR_CLUES (each value and pattern they test holds one: "uthor" stands for "author", "Author" and "[Aa]uthor").
# The values come as plain strings (no smart strings that know their element: half the time).
_AUTHOR_TAGS = ("author", "rel")
_AUTHOR_ATTRIBUTES = etree.XPath(
    "//@class|//@id|//@itemprop|//@data-component|//@data-testid|//@rel", smart_strings=False
)
_AUTHOR_CLUES = (
    "uthor",
    "byl",
    "yline",
    "username",
    "BBL",
    "zuozhe",
    "bianji",
    "xiaobian",
    "channel-name",
    "submitted-by",
    "posted-by",
    "journalist-name",
    "screenname",
    "writer",
)


# trafilatura runs readability-lxml's algorithm (its own port) on every page to check its own extraction, and
# keeps the result only when it prefers it; copydesk keeps the first run's tree of each page for its vote.
_trafilatura_readability = trafilatura.external.try_readability
_readability_seen = threading.local()


def _remembered_readability(tree: etree._Element) -> etree._Element:
    """trafilatura's readability check, its first result on the page remembered for the line vote."""
    result = _trafilatura_readability(tree)
    if getattr(_readability_seen, "tree", None) is None:
        _readability_seen.tree = result
    return result


trafilatura.external.try_readability = _remembered_readability


def readability_text() -> str:
    """The text of the readability tree trafilatura computed on the page it last extracted in this thread."""
    tree = getattr(_readability_seen, "tree", None)
    return tree_text(tree) if tree is not None else ""


def dump_body_lines(dump_lines: list[str], rules: BodyRules) -> list[str]:
    """The dump lines copydesk's dump cleaning keeps: its body, less the lines the line model finds unlikely."""
    lines, _, _ = trim_outside_body(dump_lines, rules, NOTHING_KEPT)
    lines, _, _ = drop_unlikely_lines(lines, rules, NOTHING_KEPT)
    return lines


def caption_and_author_words(tree: etree._Element) -> set[str]:
    """The words (as words_of gives them) of each line of the page's figures, captions and author boxes."""
    return {
        words_of(line) for element in _CAPTIONS_AND_AUTHORS(tree) for line in tree_text(element).split("\n") if line
    }


def has_c1_control(html: str) -> bool:
    """Whether a page holds a C1 control character (an ASCII page holds none)."""
    return not html.isascii() and any(control in html for control in _C1_CONTROLS)


def repair_mojibake(html: str) -> str:
    """The page with UTF-8 read as Latin-1 or Windows-1252 decoded again (ftfy's encoding fix), where it holds a
    C1 control character (otherwise as it is): before parsing, while the bytes that tell how are still there."""
    return ftfy.fix_encoding(html) if has_c1_control(html) else html


def parse_page(html: str) -> tuple[str, etree._Element | None]:
    """The page and its tree as trafilatura parses it (None when it cannot); a page libxml2 parses nested
    deeper than MAX_NESTING is parsed again with its nesting limited (limit_nesting), so no text is lost."""
    tree = load_html(html)
    if tree is not None and not nested_too_deep(tree):
        return html, tree
    page = limit_nesting(html)
    return page, (load_html(page) if page != html else tree)


def extraction_options(settings: HtmlSettings) -> dict[str, object]:
    """trafilatura's keyword options as copydesk.toml's [html] sets them (metadata comes from page_metadata)."""
    return {
        "with_metadata": False,
        "include_comments": True,
        "include_tables": settings.include_tables,
        "favor_precision": settings.favor_precision,
        "favor_recall": settings.favor_recall,
        "date_extraction_params": DATE_EXTRACTION,
    }


def may_name_author(tree: etree._Element) -> bool:
    """Whether trafilatura's author XPaths could match an element of the page (where none can, extract_author
    finds no author: its copy of the page and three XPaths over every element are spared)."""
    if next(tree.iter(*_AUTHOR_TAGS), None) is not None:
        return True
    values = "\n".join(_AUTHOR_ATTRIBUTES(tree))
    return any(clue in values for clue in _AUTHOR_CLUES)


def page_metadata(tree: etree._Element, url: str | None) -> ArticleMetadata:
    """Title, site name, URL, date and authors as trafilatura's extract_metadata finds them, step for step,
    without the categories, tags and licence it also looks for (a quarter of its time; copydesk keeps none)."""
    found: Document = examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None
    with suppress(Exception):  # as trafilatura guards its JSON-LD parsing: the meta tags' findings stay
        found = extract_meta_json(tree, found)
    found.title = found.title or extract_title(tree)
    found.author = found.author or (extract_author(tree) if may_name_author(tree) else None)
    found.url = found.url or extract_url(tree, url)
    found.date = find_date(tree, **DATE_EXTRACTION, url=found.url)
    found.sitename = found.sitename or extract_sitename(tree)
    if found.sitename:
        found.sitename = found.sitename.lstrip("@")
        if found.sitename and "." not in found.sitename and not found.sitename[0].isupper():
            found.sitename = found.sitename.title()
    elif found.url and (match := META_URL.match(found.url)):
        found.sitename = match[1]
    found.clean_and_trim()
    return ArticleMetadata(
        title=found.title or None,
        source=found.sitename or None,
        url=found.url or url,
        published=parse_published(found.date) if found.date else None,
        authors=[name.strip() for name in (found.author or "").split(";") if name.strip()],
    )


def falls_short(extracted_words: int, dump: str, comments: str, settings: HtmlSettings) -> bool:
    """Whether trafilatura kept fewer than dump_fallback_ratio of the words of prose the body finder sees in
    the dump, less the readers' comments. The body never holds more words than the whole dump, so where
    trafilatura kept that share of the dump's words the body finder is not asked (most article pages)."""
    if extracted_words >= settings.dump_fallback_ratio * len(dump.split()):
        return False
    return extracted_words < settings.dump_fallback_ratio * (
        body_words(dump.splitlines(), settings.body) - len(comments.split())
    )


def voted_text(extracted: str, dump: str, tree: etree._Element, settings: HtmlSettings) -> str:
    """trafilatura's text with the dump lines it left out that its readability check and the dump cleaning both
    keep, less the lines of figures, captions and author boxes (looked up only where the vote adds a line: the
    veto only takes lines away, so where nothing is added without it nothing is with it). The dump is cleaned
    only where the vote could add a line (may_add_lines). Each text's words are found once (ballot)."""
    vote = ballot(extracted, [readability_text()])
    if not may_add_lines(vote):
        return extracted
    dump_lines = dump.split("\n")
    kept = dump_body_lines(dump_lines, settings.body)
    voted = add_agreed_lines(vote, dump_lines, kept)
    if voted == extracted:
        return voted
    left_out = caption_and_author_words(tree)
    allowed = [line for line in kept if words_of(line) not in left_out]
    return voted if len(allowed) == len(kept) else add_agreed_lines(vote, dump_lines, allowed)


def extract_html(
    html: str, url: str | None = None, settings: HtmlSettings = DEFAULT_HTML
) -> tuple[str, ArticleMetadata, str]:
    """Main text, metadata and format ("html", or "html-dump" when trafilatura finds nothing or the page's
    text dump keeps much more of the body than trafilatura, readers' comments not counted) of an HTML page.
    With [html] vote_lines, the dump lines that trafilatura left out and both its readability check and the
    dump cleaning keep are added to its text, each after the line before it in the page; a line of a figure,
    a caption or an author box is not. Table rows that are only links (navigation bars) go, and a row of a page
    laid out as a table is written as its cells' blocks, one a line."""
    page, tree = parse_page(repair_mojibake(html))
    dump = tree_text(tree) if tree is not None else visible_text(page)
    # metadata first: trafilatura reads it from the tree it then extracts from (htmldate may prune that tree)
    metadata = page_metadata(tree, url) if tree is not None else ArticleMetadata(url=url)
    _readability_seen.tree = None
    document = trafilatura.bare_extraction(tree, url=url, **extraction_options(settings)) if tree is not None else None
    extracted = (document.text or "") if document is not None else ""
    comments = (document.comments or "") if document is not None else ""
    if settings.include_comments:
        extracted = "\n".join(part for part in (extracted, comments) if part)
    if not (extracted.strip() or dump):
        raise InputError("no article text found in the HTML")
    if not extracted.strip() or falls_short(len(extracted.split()), dump, comments, settings):
        text, article_format = dump, "html-dump"
    else:
        voted = voted_text(extracted, dump, tree, settings) if settings.vote_lines else extracted
        text, article_format = split_layout_rows(drop_link_rows(voted, tree), dump), "html"
    return text, metadata if document is not None else ArticleMetadata(url=url), article_format
