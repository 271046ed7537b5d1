"""HTML pages to article text: trafilatura on one parse of the page, with the page's text dump as a
fallback where trafilatura keeps much less of the body than the dump holds (beside readers' comments)."""

from __future__ import annotations

import trafilatura
from trafilatura.utils import load_html

from cleaners.body import body_words
from cleaners.metadata import ArticleMetadata, parse_published
from flows.config import HtmlSettings
from flows.html_text import limit_nesting, tree_text, visible_text
from flows.records import InputError

# htmldate's extensive search turns a "(c) 2019" footer into 2019-01-01: only dates the page states count.
DATE_EXTRACTION = {"extensive_search": False, "original_date": True}
# The [html] settings a caller that passes none gets (copydesk.toml's defaults).
DEFAULT_HTML = HtmlSettings()


def extraction_options(settings: HtmlSettings) -> dict[str, object]:
    """trafilatura's keyword options as copydesk.toml's [html] sets them (metadata and dates always on)."""
    return {
        "with_metadata": True,
        "include_comments": True,
        "include_tables": settings.include_tables,
        "favor_precision": settings.favor_precision,
        "favor_recall": settings.favor_recall,
        "date_extraction_params": DATE_EXTRACTION,
    }


def falls_short(extracted_words: int, dump: str, comments: str, settings: HtmlSettings) -> bool:
    """Whether trafilatura kept fewer than dump_fallback_ratio of the words of prose the body finder sees in
    the dump, less the readers' comments. The body never holds more words than the whole dump, so where
    trafilatura kept that share of the dump's words the body finder is not asked (most article pages)."""
    if extracted_words >= settings.dump_fallback_ratio * len(dump.split()):
        return False
    return extracted_words < settings.dump_fallback_ratio * (
        body_words(dump.splitlines(), settings.body) - len(comments.split())
    )


def extract_html(
    html: str, url: str | None = None, settings: HtmlSettings = DEFAULT_HTML
) -> tuple[str, ArticleMetadata, str]:
    """Main text, metadata and format ("html", or "html-dump" when trafilatura finds nothing or the page's
    text dump keeps much more of the body than trafilatura, readers' comments not counted) of an HTML page."""
    page = limit_nesting(html)
    tree = load_html(page)
    dump = tree_text(tree) if tree is not None else visible_text(page)
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
        text, article_format = extracted, "html"
    if document is None:
        return text, ArticleMetadata(url=url), article_format
    metadata = ArticleMetadata(
        title=document.title or None,
        source=document.sitename or None,
        url=document.url or url,
        published=parse_published(document.date) if document.date else None,
        authors=[name.strip() for name in (document.author or "").split(";") if name.strip()],
    )
    return text, metadata, article_format
