"""Reading WARC archives (`.warc`, `.warc.gz`) as crawlers write them, one record at a time in bounded memory.

Each HTML `response` record becomes an article through the HTML path of flows/reading/readers.py; every other
record is skipped with a reason (`SKIP_*`), a page that cannot be read is a rejection naming its record's
offset, and a file that cannot be read as WARC is one rejection.

The library is FastWARC. On the same generated 50 MB `.warc.gz` (10,595 records; `make bench-warc`)
it iterates 36,500 records/s reading every payload against warcio 1.8.1's 14,000, neither growing in
memory. Both are far faster than the HTML extraction that sets copydesk's pace (about 200 pages/s per
core), so robustness decided as much: on a file cut off mid-record FastWARC hands over the cut record,
where warcio drops it silently or raises AttributeError, and it refuses a file that is not WARC where
warcio invents a record. FastWARC's own decoding of HTTP encodings stays off (`auto_decode="none"`):
one malformed chunked or gzip payload ends its whole iteration, so each payload is decoded here instead.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from fastwarc.stream_io import BrotliReader, ChunkedReader, GzipReader
from fastwarc.warc import ArchiveIterator, HeaderMap, WarcRecord, WarcRecordType
from lxml import etree

from cleaners.metadata import parse_published
from flows.config import HtmlSettings, WarcSettings
from flows.reading.extraction import extract_html
from flows.reading.readers import decode_text, make_doc_id, open_regular, unreadable
from flows.stages.records import Capture, InputError, RawArticle, Rejection

WARC_SUFFIXES = (".warc", ".warc.gz")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Charsets decode_text already handles (UTF-8 first, then cp1252, a superset of Latin-1 in practice).
TRIED_CHARSETS = frozenset({"ascii", "utf-8", "iso8859-1", "cp1252"})
GZIP_WBITS = 31
TAIL_CHUNK = 1 << 16

SKIP_TRUNCATED = "truncated"
SKIP_NOT_RESPONSE = "not a response record ({})"
SKIP_NOT_WEB = "not an http(s) URL"
SKIP_ROBOTS = "robots.txt"
SKIP_MALFORMED = "malformed HTTP response"
SKIP_REDIRECT = "redirect"
SKIP_ERROR_STATUS = "error status"
SKIP_OTHER_STATUS = "not 200 OK"
SKIP_NOT_HTML = "not HTML"
SKIP_TOO_LARGE = "over the size limit"


@dataclass(frozen=True)
class SkippedRecord:
    """A WARC record that is not meant to be an article (a request, an image, a redirect), and why."""

    reason: str


WarcOutcome = RawArticle | Rejection | SkippedRecord


def is_warc(relative_path: str) -> bool:
    """True for a file name that announces a WARC archive, gzipped or not."""
    return relative_path.lower().endswith(WARC_SUFFIXES)


def read_warc(
    raw_dir: Path, relative_path: str, max_bytes: int, html: HtmlSettings, warc: WarcSettings
) -> Iterator[WarcOutcome]:
    """Every record of a WARC file as an article, a rejection or a skip, in file order, one at a time."""
    try:
        with open_regular(raw_dir / relative_path) as stream:
            yield from warc_records(stream, relative_path, max_bytes, html, warc)
    except OSError as error:
        yield Rejection(relative_path, unreadable(error))
    except InputError as error:
        yield Rejection(relative_path, str(error))


def warc_records(
    stream: BinaryIO, relative_path: str, max_bytes: int, html: HtmlSettings, warc: WarcSettings
) -> Iterator[WarcOutcome]:
    """The records of an open WARC file; where FastWARC stops on damage, a rejection says after which record."""
    records, pages, last_offset = 0, 0, 0
    try:
        for record in ArchiveIterator(stream, parse_http=True, auto_decode="none"):
            records, last_offset = records + 1, record.stream_pos
            outcome = record_outcome(record, relative_path, max_bytes, html, warc)
            pages += not isinstance(outcome, SkippedRecord)
            yield outcome
    except OSError as error:
        where = f" after offset {last_offset} (the rest of the file is not read)" if records else ""
        yield Rejection(relative_path, f"unreadable WARC{where}: {error}")
        return
    if relative_path.lower().endswith(".gz") and records and record_cut_off_after(stream, last_offset):
        yield SkippedRecord(SKIP_TRUNCATED)
    if not records:
        yield Rejection(relative_path, "empty: no complete WARC record")
    elif not pages:
        yield Rejection(relative_path, f"no HTML page among its {records:,} records (all skipped)")


def record_outcome(
    record: WarcRecord, relative_path: str, max_bytes: int, html: HtmlSettings, warc: WarcSettings
) -> WarcOutcome:
    """What one record gives: an article from its HTML page, a rejection naming its offset, or a skip."""
    reason = skip_reason(record)
    if reason:
        return SkippedRecord(reason)
    payload = record.reader.read(max_bytes + 1)
    if len(payload) > max_bytes:
        return SkippedRecord(SKIP_TOO_LARGE)
    if len(payload) < record.content_length:
        return SkippedRecord(SKIP_TRUNCATED)
    page = decoded_payload(payload, record.http_headers, max_bytes)
    if len(page) > max_bytes:
        return SkippedRecord(SKIP_TOO_LARGE)
    try:
        text, encoding = decode_page(page, record.http_charset)
        return page_article(text, encoding, page, record, relative_path, html, warc)
    except InputError as error:
        return Rejection(relative_path, f"record at offset {record.stream_pos}: {error}")


def skip_reason(record: WarcRecord) -> str | None:
    """Why a record is not an HTML page to read (None when it is one), from its WARC and HTTP headers."""
    if record.headers.get("Content-Length") is None or record.headers.get("WARC-Truncated"):
        return SKIP_TRUNCATED
    if record.record_type != WarcRecordType.response:
        return SKIP_NOT_RESPONSE.format(record.record_type)
    url = normalised_url(target_url(record))
    if url is None:
        return SKIP_NOT_WEB
    if urlsplit(url).path == "/robots.txt":
        return SKIP_ROBOTS
    status = record.http_headers.status_code if record.is_http else None
    if status is None:
        return SKIP_MALFORMED
    if 300 <= status < 400:
        return SKIP_REDIRECT
    if status >= 400:
        return SKIP_ERROR_STATUS
    if status != 200:
        return SKIP_OTHER_STATUS
    if (record.http_content_type or "").strip().lower() not in HTML_TYPES:
        return SKIP_NOT_HTML
    return None


def target_url(record: WarcRecord) -> str:
    """The record's WARC-Target-URI (WARC 1.0 drafts wrapped it in angle brackets)."""
    return (record.headers.get("WARC-Target-URI") or "").strip().strip("<>")


def normalised_url(url: str) -> str | None:
    """An http(s) URL with scheme and host in lower case and no fragment, or None for anything else."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def decoded_payload(payload: bytes, headers: HeaderMap, max_bytes: int) -> bytes:
    """The page's bytes with chunked transfer and gzip, deflate or brotli content encodings undone, at most
    max_bytes + 1; a payload that does not decode is taken as stored (crawlers that decode keep the header)."""
    stream = io.BytesIO(payload)
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        stream = ChunkedReader(stream)
    for coding in reversed((headers.get("Content-Encoding") or "").lower().split(",")):
        coding = coding.strip()
        if coding in ("gzip", "x-gzip"):
            stream = GzipReader(stream)
        elif coding == "deflate":
            stream = GzipReader(stream, zlib=True)
        elif coding == "br":
            stream = BrotliReader(stream)
    try:
        return stream.read(max_bytes + 1)
    except OSError:
        return payload


def decode_page(page: bytes, charset: str | None) -> tuple[str, str]:
    """Decode a page in the charset its response declares when decode_text would not try it and the bytes
    fit it (a Cyrillic or Japanese page), else as any input."""
    try:
        codec = codecs.lookup(charset).name if charset else None
        text = page.decode(codec) if codec and codec not in TRIED_CHARSETS else None
    except (LookupError, ValueError):
        text = None
    if text and text.strip() and "\x00" not in text:
        return text, codec
    return decode_text(page)


def page_article(
    text: str,
    encoding: str,
    page: bytes,
    record: WarcRecord,
    relative_path: str,
    html: HtmlSettings,
    warc: WarcSettings,
) -> RawArticle:
    """A captured HTML page as an article: its doc_id from its canonical URL, so every capture of it shares
    one, its source from the host, its capture's URL, date and offset kept."""
    url = normalised_url(target_url(record))
    body, metadata, extraction = extract_html(text, url, html)
    metadata.url = canonical_url(text, url)
    metadata.source = source_name(site_host(url), warc.source_names)
    offset = record.stream_pos
    return RawArticle(
        doc_id=url_doc_id(metadata.url),
        source_path=relative_path,
        source_item=f"offset:{offset}",
        format=f"warc+{extraction}",
        text=body,
        metadata=metadata,
        content_hash=hashlib.sha256(page).hexdigest(),
        encoding=encoding,
        capture=Capture(url, parse_published(record.headers.get("WARC-Date") or ""), offset),
    )


def url_doc_id(canonical: str) -> str:
    """The doc_id of a crawled article, from its canonical URL (no input path is empty, so it never equals
    the doc_id of an article read from a file)."""
    return make_doc_id("", canonical)


def site_host(url: str) -> str:
    """The host of an http(s) URL in lower case, "www." dropped."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


def source_name(host: str, names: dict[str, str]) -> str:
    """The configured name of a host or of the nearest domain above it, else the host itself."""
    labels = host.split(".")
    for start in range(len(labels)):
        name = names.get(".".join(labels[start:]))
        if name:
            return name
    return host


def canonical_url(html: str, url: str) -> str:
    """The page's canonical URL (`<link rel=canonical>`, else `og:url`) when it is another page of the
    capture's own site, never its home page; else the capture's URL.

    A page may not claim another site's article: its host and the canonical's must be the same, or one a
    subdomain of the other (m.example.com and example.com). Sites that point every page at the home page
    would otherwise make all their articles one.
    """
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return url
    links = [link.get("href") for link in root.iter("link") if "canonical" in (link.get("rel") or "").lower().split()]
    og_urls = [meta.get("content") for meta in root.iter("meta") if (meta.get("property") or "").lower() == "og:url"]
    for candidate in links + og_urls:
        resolved = resolved_url(candidate, url) if candidate else None
        if resolved and same_site(site_host(resolved), site_host(url)) and not is_home_page(resolved, url):
            return resolved
    return url


def resolved_url(href: str, base: str) -> str | None:
    """A link resolved against the page's URL and normalised; None unless it is an http(s) URL."""
    try:
        return normalised_url(urljoin(base, href.strip()))
    except ValueError:
        return None


def same_site(host: str, other: str) -> bool:
    """True when two hosts are one, or one is a subdomain of the other."""
    return host == other or host.endswith("." + other) or other.endswith("." + host)


def is_home_page(candidate: str, url: str) -> bool:
    """True when a canonical URL names the site's home page but the capture is of another page."""
    return urlsplit(candidate).path == "/" and urlsplit(url).path != "/"


def record_cut_off_after(stream: BinaryIO, offset: int) -> bool:
    """True when a gzip member after the one at `offset` (the last record FastWARC handed over) stops short:
    a record the crawler was still writing, too short for FastWARC to see."""
    stream.seek(offset)
    decompressor, members, in_member = zlib.decompressobj(GZIP_WBITS), 0, False
    try:
        for chunk in iter(lambda: stream.read(TAIL_CHUNK), b""):
            while chunk:
                in_member = True
                decompressor.decompress(chunk, TAIL_CHUNK)
                if decompressor.eof:
                    chunk, members, in_member = decompressor.unused_data, members + 1, False
                    decompressor = zlib.decompressobj(GZIP_WBITS)
                else:
                    chunk = decompressor.unconsumed_tail
    except zlib.error:
        return members > 0
    return in_member and members > 0
