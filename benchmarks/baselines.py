"""The extractors copydesk is measured against, each page's output cached under /tmp (never in the repo).

HTML systems read the page; dump systems read its careless text dump (one block a line).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

import justext
import lxml.html
import trafilatura
from cleaneval import c4_filter
from lxml import etree
from readability import Document

CACHE = Path("/tmp/copydesk-bench-clean-cache")
_STOPLIST = justext.get_stoplist("English")


def trafilatura_default(html: str) -> str:
    """Bare `trafilatura.extract` with its defaults."""
    return trafilatura.extract(html) or ""


def trafilatura_no_comments(html: str) -> str:
    """Bare `trafilatura.extract(include_comments=False)`: readers' comments left out, as copydesk leaves them."""
    return trafilatura.extract(html, include_comments=False) or ""


def trafilatura_precision(html: str) -> str:
    """Bare `trafilatura.extract(favor_precision=True)`."""
    return trafilatura.extract(html, favor_precision=True) or ""


def trafilatura_precision_no_comments(html: str) -> str:
    """Bare `trafilatura.extract(favor_precision=True, include_comments=False)`."""
    return trafilatura.extract(html, favor_precision=True, include_comments=False) or ""


def readability_text(html: str) -> str:
    """readability-lxml's article, as text (one block a line)."""
    try:
        summary = Document(html).summary(html_partial=True)
        return "\n".join(" ".join(text.split()) for text in lxml.html.fromstring(summary).itertext() if text.strip())
    except (etree.ParserError, ValueError, TypeError):
        return ""


def justext_html(html: str) -> str:
    """jusText's good paragraphs of the page."""
    try:
        paragraphs = justext.justext(html.encode("utf-8", errors="replace"), _STOPLIST)
    except (etree.ParserError, ValueError, TypeError):
        return ""
    return "\n".join(paragraph.text for paragraph in paragraphs if not paragraph.is_boilerplate)


def justext_dump(dump: str) -> str:
    """jusText's paragraph classifier on a text dump, each line a paragraph."""
    if not dump.strip():
        return ""
    escaped = (line.replace("&", "&amp;").replace("<", "&lt;") for line in dump.splitlines())
    return justext_html("<html><body>" + "".join(f"<p>{line}</p>" for line in escaped) + "</body></html>")


HTML_SYSTEMS: dict[str, Callable[[str], str]] = {
    "trafilatura": trafilatura_default,
    "trafilatura-no-comments": trafilatura_no_comments,
    "trafilatura-precision": trafilatura_precision,
    "trafilatura-precision-no-comments": trafilatura_precision_no_comments,
    "readability": readability_text,
    "justext": justext_html,
}
DUMP_SYSTEMS: dict[str, Callable[[str], str]] = {"c4-filter": c4_filter, "justext-dump": justext_dump}


def cached_outputs(system: str, run: Callable[[str], str], inputs: dict[str, str]) -> dict[str, str]:
    """One system's output for every input (name -> text), from the cache where the same input was seen."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{system}.json"
    cache = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    outputs, changed = {}, False
    for name, text in inputs.items():
        key = hashlib.sha256(f"{name}\x00{text}".encode()).hexdigest()
        if key not in cache:
            cache[key], changed = run(text), True
        outputs[name] = cache[key]
    if changed:
        path.write_text(json.dumps(cache), encoding="utf-8")
    return outputs
