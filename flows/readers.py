"""Reading the raw folder: discovery, decompression, decoding, HTML extraction, JSONL lines.

Every input becomes articles or a rejection with a reason; nothing is skipped silently.
Nothing from inside an input (a JSONL id, a URL) ever becomes a path.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import os
import zlib
from pathlib import Path

import trafilatura

from cleaners.body import body_words
from cleaners.metadata import ArticleMetadata, parse_published
from flows.config import HtmlSettings
from flows.html_text import visible_text
from flows.records import RawArticle, Rejection

# The JSONL fields an article is made of; any other field of a record is carried to the corpus as it is.
JSONL_ARTICLE_FIELDS = frozenset({"id", "text", "html", "title", "source", "url", "published"})
FORMATS = {".txt": "txt", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}
# WARC archives (.warc, .warc.gz) hold many pages and are read record by record by flows/warc.py.
SUPPORTED_SUFFIXES = ", ".join(sorted([*FORMATS, ".warc"]))
# htmldate's extensive search turns a "(c) 2019" footer into 2019-01-01: only dates the page states count.
DATE_EXTRACTION = {"extensive_search": False, "original_date": True}
# The [html] settings a caller that passes none gets (copydesk.toml's defaults).
DEFAULT_HTML = HtmlSettings()


def _cp1252_for_bad_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejects as cp1252 (latin-1 where cp1252 has no character)."""
    bad = error.object[error.start : error.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), error.end


codecs.register_error("copydesk-cp1252", _cp1252_for_bad_bytes)


class InputError(Exception):
    """An input that cannot become an article; the message is the rejection reason."""


def discover_inputs(raw_dir: Path) -> tuple[list[str], list[Rejection]]:
    """Every file under raw_dir as sorted relative paths, and the folders that were not read and why.

    Symlinked folders are not followed (they could loop or leave raw_dir); each one is a rejection.
    """
    found: list[str] = []
    skipped: list[Rejection] = []

    def unreadable(error: OSError) -> None:
        skipped.append(Rejection(os.path.relpath(error.filename, raw_dir), f"unreadable folder: {error.strerror}"))

    for folder, subfolders, files in os.walk(raw_dir, onerror=unreadable, followlinks=False):
        for name in subfolders:
            if os.path.islink(os.path.join(folder, name)):
                relative = os.path.relpath(os.path.join(folder, name), raw_dir)
                skipped.append(Rejection(relative, "symlinked folder not followed"))
        for name in files:
            found.append(os.path.relpath(os.path.join(folder, name), raw_dir))
    return sorted(found), sorted(skipped, key=lambda rejection: rejection.source_path)


def input_format(relative_path: str) -> tuple[str | None, bool]:
    """The format a file name announces ("txt", "html", "jsonl" or None) and whether it is gzipped."""
    name = relative_path.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    return FORMATS.get(Path(name).suffix), compressed


def make_doc_id(source_path: str, item: str | None = None) -> str:
    """A doc_id that depends only on where the article came from, so it is stable across runs.

    `item` distinguishes the articles of one JSONL file ("id:<id>" or "line:<n>", never colliding).
    """
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
    """Decode bytes as UTF-8; text that is not UTF-8 is cp1252 (latin-1 where cp1252 has a gap).

    Mostly-UTF-8 text with a few stray cp1252 bytes keeps its UTF-8 characters ("utf-8+cp1252").
    Binary data (NUL bytes) and empty text are rejected.
    """
    if b"\x00" in data:
        raise InputError("binary data (NUL bytes), not text")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        has_utf8_sequences = any(byte >= 0xC2 for byte in data) and _utf8_share(data) > 0.5
        if has_utf8_sequences:
            text, encoding = data.decode("utf-8-sig", errors="copydesk-cp1252"), "utf-8+cp1252"
        else:
            text = data.decode("cp1252", errors="copydesk-cp1252")
            encoding = "cp1252"
    if not text.strip():
        raise InputError("empty: no text")
    return text, encoding


def _utf8_share(data: bytes) -> float:
    """Share of the non-ASCII bytes that belong to valid UTF-8 sequences."""
    non_ascii = sum(byte >= 0x80 for byte in data)
    valid = sum(len(char.encode()) for char in data.decode("utf-8", errors="ignore") if ord(char) >= 0x80)
    return valid / non_ascii if non_ascii else 1.0


def extraction_options(settings: HtmlSettings) -> dict[str, object]:
    """trafilatura's keyword options as copydesk.toml's [html] sets them (metadata and dates always on)."""
    return {
        "with_metadata": True,
        "include_comments": settings.include_comments,
        "include_tables": settings.include_tables,
        "favor_precision": settings.favor_precision,
        "favor_recall": settings.favor_recall,
        "date_extraction_params": DATE_EXTRACTION,
    }


def extract_html(
    html: str, url: str | None = None, settings: HtmlSettings = DEFAULT_HTML
) -> tuple[str, ArticleMetadata, str]:
    """Main text, metadata and format ("html", or "html-dump" when the page's text dump keeps much
    more of the body than trafilatura) of an HTML page."""
    document = trafilatura.bare_extraction(html, url=url, **extraction_options(settings))
    extracted = (document.text or "") if document is not None else ""
    dump = visible_text(html)
    dump_body = body_words(dump.splitlines(), settings.body)
    if len(extracted.split()) < settings.dump_fallback_ratio * dump_body:
        text, article_format = dump, "html-dump"
    elif extracted.strip():
        text, article_format = extracted, "html"
    else:
        raise InputError("no article text found in the HTML")
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


def _text_field(record: dict, key: str) -> str | None:
    value = record.get(key)
    return value.strip() or None if isinstance(value, str) else None


def jsonl_article(
    record: object, source_path: str, line_no: int, raw_line: bytes, encoding: str, html: HtmlSettings
) -> RawArticle:
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
        text, extracted, extraction = extract_html(record["html"], url, html)
        article_format = f"jsonl+{extraction}"
        for name in ("title", "source", "url", "published"):
            setattr(metadata, name, getattr(metadata, name) or getattr(extracted, name))
        metadata.authors = extracted.authors
    else:
        raise InputError("no 'text' or 'html' field")
    record_id = str(record["id"]).strip() if record.get("id") is not None else ""
    item = f"id:{record_id}" if record_id else f"line:{line_no}"
    carried = {key: value for key, value in sorted(record.items()) if key not in JSONL_ARTICLE_FIELDS}
    return RawArticle(
        doc_id=make_doc_id(source_path, item),
        source_path=source_path,
        source_item=record_id or item,
        format=article_format,
        text=text,
        metadata=metadata,
        content_hash=hashlib.sha256(raw_line).hexdigest(),
        encoding=encoding,
        input_id=record_id,
        input_fields=json.dumps(carried, ensure_ascii=False),
    )


def read_jsonl(data: bytes, source_path: str, html: HtmlSettings) -> tuple[list[RawArticle], list[Rejection]]:
    """Every good line of a JSONL file as an article; each bad line is a rejection naming its number."""
    articles, rejections = [], []
    for line_no, raw_line in enumerate(data.splitlines(), start=1):
        if not raw_line.strip():
            continue
        try:
            line_text, encoding = decode_text(raw_line)
            record = json.loads(line_text)
            articles.append(jsonl_article(record, source_path, line_no, raw_line, encoding, html))
        except json.JSONDecodeError as error:
            rejections.append(Rejection(source_path, f"line {line_no}: invalid JSON ({error.msg})"))
        except (ValueError, RecursionError) as error:
            rejections.append(Rejection(source_path, f"line {line_no}: unreadable JSON ({type(error).__name__})"))
        except InputError as error:
            rejections.append(Rejection(source_path, f"line {line_no}: {error}"))
    if not articles and not rejections:
        rejections.append(Rejection(source_path, "empty: no JSONL lines"))
    return articles, rejections


def read_input(
    raw_dir: Path, relative_path: str, max_bytes: int, html: HtmlSettings = DEFAULT_HTML
) -> tuple[list[RawArticle], list[Rejection]]:
    """Read one input file into articles, or explain why it cannot be read."""
    article_format, compressed = input_format(relative_path)
    try:
        if article_format is None:
            raise InputError(f"unsupported file type (expected {SUPPORTED_SUFFIXES}, or .gz of one)")
        data = read_capped(raw_dir / relative_path, compressed, max_bytes)
        if article_format == "jsonl":
            return read_jsonl(data, relative_path, html)
        text, encoding = decode_text(data)
        metadata = ArticleMetadata()
        if article_format == "html":
            text, metadata, article_format = extract_html(text, settings=html)
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
