"""Benchmark copydesk's WARC reader against bare iteration of the WARC libraries on the same file.

Generates (once, cached under /tmp) a crawl of BBC stories as a `.warc.gz` of about --megabytes MB,
written as crawlers write it: one gzip member per record, each page a request and a response record,
each page wrapped in its outlet's furniture (inline style and script, menu, related links, footer),
and among them images, redirects, 404 pages and robots.txt. Then, each in a fresh process, it reads the
whole file with bare FastWARC (every payload read), bare warcio (when installed) and copydesk's
reader (flows/reading/warc.py: every record classified, every page through the HTML path into an article),
and prints records/s (wall clock; CPU seconds beside it, as the machine may be shared), articles/s and
the resident memory before reading and at its peak: a streaming reader's peak stays near its start.

    .venv/bin/python benchmarks/bench_warc.py [--megabytes 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import BinaryIO

from fastwarc.stream_io import GzipWriter
from fastwarc.warc import WarcRecord, WarcRecordType
from harness import PROJECT, bbc_records, format_table

BBC = PROJECT.parent / "shared" / "data" / "bbc-news-2004.jsonl.gz"
CACHE = Path("/tmp/copydesk-bench-warc")
SITES = ["dailywire", "metro-herald", "northpost", "the-courier", "globe-times", "citydesk", "wirefeed", "newsnow"]
IMAGE_EVERY, REDIRECT_EVERY, MISSING_EVERY = 5, 25, 50
IMAGE_BYTES = 20_000
READERS = ("fastwarc", "warcio", "copydesk")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line: the crawl's size, or (internally) one reader to measure in this process."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=1024, help="size of the generated .warc.gz (default 1024)")
    parser.add_argument("--measure", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class Outlet:
    """A fake news site: its host and the furniture every one of its pages carries."""

    def __init__(self, name: str, rng: random.Random) -> None:
        self.host = f"www.{name}.example"
        self.name = name.replace("-", " ").title()
        self.style = "".join(f".{name}-c{i}{{margin:{i % 9}px;color:#{rng.randrange(16**6):06x}}}" for i in range(120))
        self.script = "".join(
            f"function {name.replace('-', '_')}_{i}(a,b){{return a*{i}+b-{rng.randrange(999)}}}\n" for i in range(300)
        )
        self.menu = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(40))
        self.footer = "".join(f'<a href="/about/{i}">About us {i}</a> ' for i in range(30))

    def page(self, story: dict, url: str, published: str, related: list[dict]) -> bytes:
        """A story as this outlet serves it."""
        paragraphs = "".join(f"<p>{escape(paragraph)}</p>\n" for paragraph in story["text"].split("\n\n"))
        links = "".join(
            f'<li><a href="/news/{escape(other["id"])}">{escape(other["title"])}</a></li>' for other in related
        )
        title = escape(story["title"])
        return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | {self.name}</title>
<link rel="canonical" href="{url}"><meta property="og:url" content="{url}"><meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}"><style>{self.style}</style><script>{self.script}</script>
</head><body><header><nav><ul>{self.menu}</ul></nav></header><main><article><h1>{title}</h1>
<p class="byline">By {self.name} staff</p>{paragraphs}</article><aside><h2>Related stories</h2><ul>{links}</ul></aside>
</main><footer>{self.footer}<p>Copyright {self.name}. All rights reserved.</p></footer></body></html>""".encode()


def warc_record(kind: WarcRecordType, url: str, date: datetime, block: bytes) -> WarcRecord:
    """A request or response record of an HTTP exchange."""
    record = WarcRecord()
    record.init_headers(kind)
    record.headers["WARC-Target-URI"] = url
    record.headers["WARC-Date"] = date.strftime("%Y-%m-%dT%H:%M:%SZ")
    record.headers["Content-Type"] = f"application/http; msgtype={kind}"
    record.set_bytes_content(block)
    return record


def http_response(status: str, content_type: str, body: bytes, *headers: str) -> bytes:
    """An HTTP response as a crawler stores it."""
    head = "\r\n".join([f"HTTP/1.1 {status}", f"Content-Type: {content_type}", *headers])
    return f"{head}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def crawl_records(stories: list[dict], rng: random.Random) -> Iterator[WarcRecord]:
    """An endless crawl: for each story a request and a response, and now and then another kind of record."""
    outlets = [Outlet(name, rng) for name in SITES]
    date = datetime(2024, 1, 1, tzinfo=UTC)
    for outlet in outlets:
        robots = http_response("200 OK", "text/plain", b"User-agent: *\nDisallow: /search\n")
        yield warc_record(WarcRecordType.response, f"https://{outlet.host}/robots.txt", date, robots)
    for count in range(1, sys.maxsize):
        story, outlet = stories[count % len(stories)], outlets[count % len(outlets)]
        url = f"https://{outlet.host}/news/{story['category']}/{count}"
        date += timedelta(seconds=rng.randrange(1, 30))
        request = f"GET {url.split(outlet.host, 1)[1]} HTTP/1.1\r\nHost: {outlet.host}\r\n\r\n".encode()
        yield warc_record(WarcRecordType.request, url, date, request)
        page = outlet.page(story, url, date.date().isoformat(), rng.sample(stories, 15))
        yield warc_record(WarcRecordType.response, url, date, http_response("200 OK", "text/html; charset=utf-8", page))
        if count % IMAGE_EVERY == 0:
            image = http_response("200 OK", "image/jpeg", b"\xff\xd8\xff\xe0" + rng.randbytes(IMAGE_BYTES))
            yield warc_record(WarcRecordType.response, url + ".jpg", date, image)
        if count % REDIRECT_EVERY == 0:
            moved = http_response("301 Moved Permanently", "text/html", b"", f"Location: {url}")
            yield warc_record(WarcRecordType.response, url.replace("https://www.", "http://"), date, moved)
        if count % MISSING_EVERY == 0:
            missing = http_response("404 Not Found", "text/html", b"<html><body><h1>Page not found</h1></body></html>")
            yield warc_record(WarcRecordType.response, url + "-old", date, missing)


def generated_crawl(megabytes: int) -> Path:
    """The cached crawl of about `megabytes` MB, written first when missing (to a temporary name, then renamed)."""
    path = CACHE / f"bbc-crawl-{megabytes}mb.warc.gz"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    started = time.monotonic()
    with open(temporary, "wb") as stream:
        for record in crawl_records(bbc_records(BBC), random.Random(7)):
            writer = GzipWriter(stream, compression_level=6)
            record.write(writer)
            writer.finish()
            if stream.tell() >= megabytes * 1_000_000:
                break
    temporary.rename(path)
    print(f"generated {path} in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    return path


def reader_function(reader: str) -> Callable[[Path], tuple[int, int]]:
    """One reader, its imports done: it reads a whole file, every payload, and returns (records, articles)."""
    if reader == "copydesk":
        from flows.config import load_config
        from flows.reading.warc import read_warc
        from flows.stages.records import RawArticle

        config = load_config(PROJECT / "copydesk.toml")

        def outcomes(path: Path) -> Iterator[object]:
            return read_warc(path.parent, path.name, config.input.max_file_bytes, config.html, config.warc)

        def read(path: Path) -> tuple[int, int]:
            kinds = Counter(isinstance(outcome, RawArticle) for outcome in outcomes(path))
            return kinds.total(), kinds[True]

        return read
    if reader == "fastwarc":
        from fastwarc.warc import ArchiveIterator

        def payloads(stream: BinaryIO) -> Iterator[bytes]:
            return (record.reader.read() for record in ArchiveIterator(stream, auto_decode="none"))
    else:
        from warcio.archiveiterator import ArchiveIterator

        def payloads(stream: BinaryIO) -> Iterator[bytes]:
            return (record.content_stream().read() for record in ArchiveIterator(stream))

    def read(path: Path) -> tuple[int, int]:
        with open(path, "rb") as stream:
            return sum(1 for _ in payloads(stream)), 0

    return read


def measure(reader: str, path: Path) -> dict:
    """Read the file with one reader in this process: records, articles, wall and CPU seconds, and the
    resident memory before reading (imports done) and at its peak, in MB."""
    read = reader_function(reader)
    start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.monotonic(), time.process_time()
    records, articles = read(path)
    seconds, cpu_seconds = time.monotonic() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "records": records,
        "articles": articles,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "start_mb": start_mb,
        "peak_mb": peak_mb,
    }


def installed(package: str) -> str | None:
    """The installed version of a package, or None."""
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the crawl if needed, measure each reader in its own process, print the table."""
    arguments = parse_args(argv)
    if arguments.measure:
        reader, path = arguments.measure
        print(json.dumps(measure(reader, Path(path))))
        return 0
    if not BBC.is_file():
        sys.exit(f"bench_warc: {BBC} not found")
    path = generated_crawl(arguments.megabytes)
    labels = {
        "fastwarc": f"FastWARC {installed('fastwarc')}, bare iteration",
        "warcio": f"warcio {installed('warcio')}, bare iteration",
        "copydesk": "copydesk flows/reading/warc.py (FastWARC + HTML path)",
    }
    rows = []
    for reader in READERS:
        if reader == "warcio" and not installed("warcio"):
            continue
        command = [sys.executable, __file__, "--measure", reader, str(path)]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, cwd=PROJECT).stdout)
        rate = result["records"] / result["seconds"]
        articles = f"{result['articles'] / result['seconds']:,.0f}" if result["articles"] else ""
        rows.append(
            [
                labels[reader],
                f"{result['records']:,}",
                f"{result['seconds']:,.1f}",
                f"{result['cpu_seconds']:,.1f}",
                f"{rate:,.0f}",
                articles,
                f"{result['start_mb']:,.0f} -> {result['peak_mb']:,.0f}",
            ]
        )
    size_mb = os.path.getsize(path) / 1_000_000
    print(f"WARC reading: {path} ({size_mb:,.0f} MB)")
    headers = ["reader", "records", "seconds", "CPU s", "records/s", "articles/s", "RSS MB (start -> peak)"]
    print(format_table(headers, rows, "lrrrrrr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
