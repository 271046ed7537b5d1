"""Reading the raw folder: discovery, decompression, decoding, HTML extraction, JSONL lines.

Every input becomes articles or a rejection with a reason; nothing is skipped silently.
Nothing from inside an input (a JSONL id, a URL) ever becomes a path.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from pathlib import Path

import trafilatura

from cleaners.metadata import ArticleMetadata, parse_published
from flows.records import RawArticle, Rejection

FORMATS = {".txt": "txt", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}


class InputError(Exception):
    """An input that cannot become an article; the message is the rejection reason."""


def discover_inputs(raw_dir: Path) -> list[str]:
    """Every file under raw_dir (recursive, symlinked folders not followed), as sorted relative paths."""
    found = []
    for folder, subfolders, files in os.walk(raw_dir, followlinks=False):
        subfolders.sort()
        for name in files:
            found.append(os.path.relpath(os.path.join(folder, name), raw_dir))
    return sorted(found)


def input_format(relative_path: str) -> tuple[str | None, bool]:
    """The format a file name announces ("txt", "html", "jsonl" or None) and whether it is gzipped."""
    name = relative_path.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    return FORMATS.get(Path(name).suffix), compressed


def make_doc_id(source_path: str, item: str | None = None) -> str:
    """A doc_id that depends only on where the article came from, so it is stable across runs."""
    return hashlib.sha256(f"{source_path}\x00{item or ''}".encode()).hexdigest()[:16]


def read_capped(path: Path, compressed: bool, max_bytes: int) -> bytes:
    """Read a file (gunzipping it if asked), refusing more than max_bytes of content."""
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise InputError(f"corrupt or truncated gzip: {error}") from None
    except OSError as error:
        raise InputError(f"unreadable: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise InputError(f"larger than the {max_bytes:,}-byte limit (input.max_file_bytes)")
    return data


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8, falling back to cp1252 then latin-1; reject binary data."""
    if b"\x00" in data:
        raise InputError("binary data (NUL bytes), not text")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not text.strip():
            raise InputError("empty: no text")
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise AssertionError("latin-1 decodes any bytes")


def extract_html(html: str, url: str | None = None) -> tuple[str, ArticleMetadata]:
    """Main text and metadata of an HTML page through trafilatura (comments off, tables on)."""
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    if document is None or not (document.text or "").strip():
        raise InputError("no article text found in the HTML")
    metadata = ArticleMetadata(
        title=document.title or None,
        source=document.sitename or None,
        url=document.url or url,
        published=parse_published(document.date) if document.date else None,
        authors=[name.strip() for name in (document.author or "").split(";") if name.strip()],
    )
    return document.text, metadata


def _text_field(record: dict, key: str) -> str | None:
    value = record.get(key)
    return value.strip() or None if isinstance(value, str) else None


def jsonl_article(record: object, source_path: str, line_no: int, raw_line: bytes) -> RawArticle:
    """One JSONL record (`text` or `html`, optional id, url, source, title, published) as an article."""
    if not isinstance(record, dict):
        raise InputError("not a JSON object")
    url = _text_field(record, "url")
    metadata = ArticleMetadata(
        title=_text_field(record, "title"),
        source=_text_field(record, "source"),
        url=url,
        published=parse_published(record["published"]) if _text_field(record, "published") else None,
    )
    if _text_field(record, "text"):
        text, article_format = record["text"], "jsonl"
    elif _text_field(record, "html"):
        text, extracted = extract_html(record["html"], url)
        article_format = "jsonl+html"
        for name in ("title", "source", "url", "published"):
            setattr(metadata, name, getattr(metadata, name) or getattr(extracted, name))
        metadata.authors = extracted.authors
    else:
        raise InputError("no 'text' or 'html' field")
    item = str(record["id"]) if record.get("id") is not None else f"line:{line_no}"
    return RawArticle(
        doc_id=make_doc_id(source_path, item),
        source_path=source_path,
        source_item=item,
        format=article_format,
        text=text,
        metadata=metadata,
        content_hash=hashlib.sha256(raw_line).hexdigest(),
    )


def read_jsonl(data: bytes, source_path: str) -> tuple[list[RawArticle], list[Rejection]]:
    """Every good line of a JSONL file as an article; each bad line is a rejection naming its number."""
    articles, rejections = [], []
    for line_no, raw_line in enumerate(data.splitlines(), start=1):
        if not raw_line.strip():
            continue
        try:
            line_text, _ = decode_text(raw_line)
            articles.append(jsonl_article(json.loads(line_text), source_path, line_no, raw_line))
        except json.JSONDecodeError as error:
            rejections.append(Rejection(source_path, f"line {line_no}: invalid JSON ({error.msg})"))
        except InputError as error:
            rejections.append(Rejection(source_path, f"line {line_no}: {error}"))
    if not articles and not rejections:
        rejections.append(Rejection(source_path, "empty: no JSONL lines"))
    return articles, rejections


def read_input(raw_dir: Path, relative_path: str, max_bytes: int) -> tuple[list[RawArticle], list[Rejection]]:
    """Read one input file into articles, or explain why it cannot be read."""
    article_format, compressed = input_format(relative_path)
    try:
        if article_format is None:
            raise InputError(f"unsupported file type (expected {', '.join(sorted(FORMATS))}, or .gz of one)")
        data = read_capped(raw_dir / relative_path, compressed, max_bytes)
        if article_format == "jsonl":
            return read_jsonl(data, relative_path)
        text, encoding = decode_text(data)
        metadata = ArticleMetadata()
        if article_format == "html":
            text, metadata = extract_html(text)
    except InputError as error:
        return [], [Rejection(relative_path, str(error))]
    article = RawArticle(
        doc_id=make_doc_id(relative_path),
        source_path=relative_path,
        source_item=None,
        format=article_format,
        text=text,
        metadata=metadata,
        content_hash=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )
    return [article], []
