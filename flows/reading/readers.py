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
import stat
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import BinaryIO, NamedTuple

import pyarrow as pa

from cleaners.metadata import ArticleMetadata, parse_published
from flows.config import HtmlSettings
from flows.outputs.manifest import stamps_table
from flows.outputs.publish import CURRENT, RUNS
from flows.reading.extraction import DEFAULT_HTML, extract_html
from flows.runtime.lock import LOCK_NAME
from flows.stages.records import InputError, RawArticle, Rejection

# The JSONL fields an article is made of; any other field of a record is carried to the corpus as it is.
JSONL_ARTICLE_FIELDS = frozenset({"id", "text", "html", "title", "source", "url", "published"})
FORMATS = {".txt": "txt", ".html": "html", ".htm": "html", ".jsonl": "jsonl"}
# WARC archives (.warc, .warc.gz) hold many pages and are read record by record by flows/reading/warc.py.
SUPPORTED_SUFFIXES = ", ".join(sorted([*FORMATS, ".warc"]))
# How much of an over-long JSONL line is read at a time while skipping it.
_SKIP_CHUNK = 1 << 20
# How much of each input `prefetch` asks the kernel to read ahead: a scraped article or a page whole, the start of a
# larger file (a WARC archive, read as a stream).
PREFETCH_BYTES = 1 << 20


def _cp1252_for_bad_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejects as cp1252 (latin-1 where cp1252 has no character)."""
    bad = error.object[error.start : error.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), error.end


codecs.register_error("copydesk-cp1252", _cp1252_for_bad_bytes)


class Discovered(NamedTuple):
    """What discovery found under RAW_DIR: the inputs as sorted relative paths, what was not read and why, and each
    input's size and modification time (ns) as discovery stat'ed it (manifest.STAMPS rows, in the inputs' order)."""

    inputs: list[str]
    rejections: list[Rejection]
    stamps: pa.Table


def discover_inputs(raw_dir: Path, out_dir: Path | None = None) -> Discovered:
    """Every readable file under raw_dir as sorted relative paths, what was not read and why, and each input's stamp
    (from the one lstat, through its folder's listing, that found it regular; its relative path made from its
    folder's).

    Symlinked folders are not followed (they could loop or leave raw_dir); FIFOs, devices, sockets and
    symlinks leading out of raw_dir or to anything but a regular file are rejections, never opened.
    copydesk's outputs are never inputs: a folder holding a run's lock (out_dir, or an earlier one) is a
    rejection, not read; when out_dir is raw_dir, its run folders, lock and output links are left out.
    """
    raw_root = os.path.realpath(raw_dir)
    out_root = own_output_root(raw_root, out_dir)
    paths: list[str] = []
    sizes, times = array("q"), array("q")  # the inputs' stamps as found: no Python object kept an input
    skipped: list[Rejection] = []
    folders = [(os.fspath(raw_dir), "")]  # folders still to list, each with its relative path's prefix ("" or "a/")
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            skipped.append(Rejection(os.path.relpath(error.filename, raw_dir), f"unreadable folder: {error.strerror}"))
            continue
        for entry in entries:
            relative = prefix + entry.name
            if out_root is not None and is_own_output(entry.path, out_root):
                continue
            if not is_utf8(entry.name):  # no table nor path column could hold it: rejected, its bytes shown escaped
                kind = "folder" if is_folder(entry) else "file"
                skipped.append(Rejection(escaped_name(relative), f"{kind} name is not valid UTF-8, not read"))
                continue
            status = unread_folder_reason(entry.path) if is_folder(entry) else file_status(entry, raw_root)
            if isinstance(status, str):
                skipped.append(Rejection(relative, status))
            elif status is None:
                folders.append((entry.path, relative + "/"))
            else:
                paths.append(relative)
                sizes.append(status.st_size)
                times.append(status.st_mtime_ns)
    order = sorted(range(len(paths)), key=paths.__getitem__)
    rejections = sorted(skipped, key=lambda rejection: rejection.source_path)
    return Discovered([paths[row] for row in order], rejections, stamps_table(sizes, times, order))


def is_utf8(name: str) -> bool:
    """Whether a name listed from the file system is valid UTF-8 (Python gives other bytes as lone surrogates)."""
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escaped_name(name: str) -> str:
    """A listed name whose bytes are not all UTF-8, with those bytes written as \\xNN escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def own_output_root(raw_root: str, out_dir: Path | None) -> str | None:
    """OUT_DIR's real path when it lies inside RAW_DIR (its own files are then left out), else None."""
    out_root = os.path.realpath(out_dir) if out_dir is not None else None
    if out_root is not None and os.path.commonpath([out_root, raw_root]) != raw_root:
        return None  # outside RAW_DIR: a link into it leads outside RAW_DIR, and is refused as such
    return out_root


def is_folder(entry: os.DirEntry) -> bool:
    """Whether a listed name is a folder, or a symlink to one (as os.walk decides: False when that cannot be told)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def unread_folder_reason(path: str) -> str | None:
    """Why a folder found under RAW_DIR is not read (a symlink, or a copydesk output folder), or None to read it."""
    if os.path.islink(path):
        return "symlinked folder not followed"
    if os.path.exists(os.path.join(path, LOCK_NAME)):
        return "a copydesk output folder, not read"
    return None


def is_own_output(path: str, out_root: str) -> bool:
    """True for copydesk's own files in OUT_DIR: its run folders, current-run link and lock, and anything
    that leads into its run folders (the output links)."""
    located = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    if located in {os.path.join(out_root, name) for name in (RUNS, CURRENT, LOCK_NAME)}:
        return True
    runs = os.path.join(out_root, RUNS)
    return os.path.commonpath([os.path.realpath(path), runs]) == runs


_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def file_status(entry: os.DirEntry, raw_root: str) -> os.stat_result | str:
    """A listed file's status if it is regular (of what a symlink inside RAW_DIR leads to), or why a file found under
    RAW_DIR is not read; decided from lstat and stat, without opening it."""
    try:
        status = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(status.st_mode):
            if os.path.commonpath([os.path.realpath(entry.path), raw_root]) != raw_root:
                return "symlink to a file outside RAW_DIR, not read"
            status = os.stat(entry.path)
    except OSError as error:
        return unreadable(error)
    return status if stat.S_ISREG(status.st_mode) else not_regular(status.st_mode)


def unreadable(error: OSError) -> str:
    """The reason an input an OS error kept from being read is refused for."""
    return f"unreadable: {error.strerror or error}"


def not_regular(mode: int) -> str:
    """The rejection reason for a file of this mode that is not a regular file."""
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a file")
    return f"not a regular file ({kind}), not read"


def prefetch(raw_dir: Path, relative_paths: Iterable[str]) -> None:
    """Ask the kernel to read a batch's inputs into the page cache at once (posix_fadvise WILLNEED, the first
    PREFETCH_BYTES of each), before they are read one after another: a file not cached would otherwise keep its
    reader waiting on the disk alone (some 0.4 ms a scraped article). Opened as `regular_descriptor` opens them
    (O_NONBLOCK: a FIFO never blocks); an input that cannot be opened or advised is left to its reader to report."""
    if not hasattr(os, "posix_fadvise"):  # not on macOS
        return
    for relative_path in relative_paths:
        with suppress(OSError):
            descriptor = os.open(os.path.join(raw_dir, relative_path), os.O_RDONLY | os.O_NONBLOCK)
            try:
                os.posix_fadvise(descriptor, 0, PREFETCH_BYTES, os.POSIX_FADV_WILLNEED)
            finally:
                os.close(descriptor)


def open_regular(path: str | Path) -> BinaryIO:
    """Open a file for reading only if it is a regular file (see `regular_descriptor`)."""
    return os.fdopen(regular_descriptor(path)[0], "rb")


def regular_descriptor(path: str | Path) -> tuple[int, int]:
    """A file's descriptor, open for reading, and its size, only if it is a regular file: a FIFO or device swapped
    in after discovery is refused without blocking (O_NONBLOCK), never read."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        raise InputError(not_regular(status.st_mode))
    return descriptor, status.st_size


def input_format(relative_path: str) -> tuple[str | None, bool]:
    """The format a file name announces ("txt", "html", "jsonl" or None) and whether it is gzipped."""
    name = relative_path.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    return FORMATS.get(_suffix(name)), compressed


def _suffix(relative_path: str) -> str:
    """`Path(relative_path).suffix` of a file's relative path, without making a Path (2 µs an input, read twice)."""
    name = relative_path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def make_doc_id(source_path: str, item: str | None = None) -> str:
    """A doc_id that depends only on where the article came from, so it is stable across runs.

    `item` distinguishes the articles of one JSONL file ("id:<id>" or "line:<n>", never colliding).
    """
    return hashlib.sha256(f"{source_path}\x00{item or ''}".encode()).hexdigest()[:16]


@contextmanager
def input_stream(path: str | Path, compressed: bool) -> Iterator[BinaryIO]:
    """A regular file's bytes (gunzipped if asked); gzip and OS errors, also while reading, are InputErrors."""
    try:
        with open_regular(path) as file, gzip.GzipFile(fileobj=file) if compressed else file as stream:
            yield stream
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise InputError(f"corrupt or truncated gzip: {error}") from None
    except OSError as error:
        raise InputError(unreadable(error)) from None


def read_capped(path: str | Path, compressed: bool, max_bytes: int) -> bytes:
    """Read a file (gunzipping it if asked), refusing more than max_bytes of content."""
    if compressed:
        with input_stream(path, compressed) as stream:
            data = read_at_most(stream.read, os.fstat(stream.fileno()).st_size, max_bytes + 1)
    else:
        data = read_plain(path, max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"larger than the {max_bytes:,}-byte limit (input.max_file_bytes)")
    return data


def read_plain(path: str | Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file, read from its descriptor without a file object (8 against 17 µs a
    scraped article); OS errors, also while reading, are InputErrors."""
    try:
        descriptor, size = regular_descriptor(path)
        try:
            return read_at_most(partial(os.read, descriptor), size, limit)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise InputError(unreadable(error)) from None


def read_at_most(read: Callable[[int], bytes], size: int, limit: int) -> bytes:
    """At most `limit` bytes from `read` (a file's, of `size` bytes on disk: a gzipped file's compressed size), read
    in pieces from that size on, each twice the last: one read of `limit` bytes allocates them all, however small
    the file (22 µs an input at the default 50 MB, half of what reading a scraped article costs)."""
    pieces = []
    piece = size + 1
    while limit > 0 and (data := read(min(piece, limit))):
        pieces.append(data)
        limit -= len(data)
        piece *= 2
    return b"".join(pieces)


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


def jsonl_lines(stream: BinaryIO, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Each line of a JSONL stream with its number, holding at most max_bytes of one line in memory; a longer
    line comes as None (the rest of it is skipped unread into memory)."""
    line_no = 0
    while line := stream.readline(max_bytes + 1):
        line_no += 1
        if len(line.removesuffix(b"\n")) <= max_bytes:
            yield line_no, line
            continue
        while line and not line.endswith(b"\n"):
            line = stream.readline(_SKIP_CHUNK)
        yield line_no, None


def read_jsonl(
    path: Path, compressed: bool, source_path: str, max_bytes: int, html: HtmlSettings
) -> tuple[list[RawArticle], list[Rejection]]:
    """Every good line of a JSONL file (streamed, gzipped or not) as an article; each bad line, or line over
    max_bytes, is a rejection naming its number. A repeated id is a second article if its text differs, else
    a rejection naming the line it repeats."""
    articles, rejections = [], []
    first_seen: dict[str, tuple[int, str]] = {}
    try:
        with input_stream(path, compressed) as stream:
            for line_no, raw_line in jsonl_lines(stream, max_bytes):
                if raw_line is None:
                    limit = f"larger than the {max_bytes:,}-byte limit (input.max_file_bytes)"
                    rejections.append(Rejection(source_path, f"line {line_no}: {limit}"))
                elif raw_line.strip():
                    outcome = jsonl_outcome(raw_line, line_no, source_path, html, first_seen)
                    (articles if isinstance(outcome, RawArticle) else rejections).append(outcome)
    except InputError as error:
        rejections.append(Rejection(source_path, str(error)))
    if not articles and not rejections:
        rejections.append(Rejection(source_path, "empty: no JSONL lines"))
    return articles, rejections


def jsonl_outcome(
    raw_line: bytes, line_no: int, source_path: str, html: HtmlSettings, first_seen: dict[str, tuple[int, str]]
) -> RawArticle | Rejection:
    """One JSONL line as an article or a rejection; `first_seen` maps each doc_id so far to its line and text
    hash, so a repeated id never gives two articles one doc_id."""
    try:
        line_text, encoding = decode_text(raw_line)
        article = jsonl_article(json.loads(line_text), source_path, line_no, raw_line, encoding, html)
    except json.JSONDecodeError as error:
        return Rejection(source_path, f"line {line_no}: invalid JSON ({error.msg})")
    except (ValueError, RecursionError) as error:
        return Rejection(source_path, f"line {line_no}: unreadable JSON ({type(error).__name__})")
    except InputError as error:
        return Rejection(source_path, f"line {line_no}: {error}")
    text_hash = hashlib.sha256(article.text.encode()).hexdigest()
    first = first_seen.setdefault(article.doc_id, (line_no, text_hash))
    if first[0] == line_no:
        return article
    if first[1] == text_hash:
        return Rejection(source_path, f"line {line_no}: duplicate of line {first[0]} (same id, same text)")
    return replace(
        article,
        doc_id=make_doc_id(source_path, f"line:{line_no}"),
        source_item=f"{article.source_item} (line {line_no})",
    )


def read_input(
    raw_dir: Path, relative_path: str, max_bytes: int, html: HtmlSettings = DEFAULT_HTML
) -> tuple[list[RawArticle], list[Rejection]]:
    """Read one input file into articles, or explain why it cannot be read."""
    article_format, compressed = input_format(relative_path)
    try:
        if article_format is None:
            raise InputError(f"unsupported file type (expected {SUPPORTED_SUFFIXES}, or .gz of one)")
        if article_format == "jsonl":
            return read_jsonl(raw_dir / relative_path, compressed, relative_path, max_bytes, html)
        data = read_capped(os.path.join(raw_dir, relative_path), compressed, max_bytes)  # 3 µs less than a Path
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
