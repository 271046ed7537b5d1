"""WARC input (flows/reading/warc.py): crawls written with FastWARC's own writer, gzipped and plain, read back.

The pages wrap the seed articles in real site furniture; every test writes real files into tmp_path.
"""

from __future__ import annotations

import gzip
import html
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from fastwarc.stream_io import GzipWriter
from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from flows.outputs.schema import TABLES
from flows.reading.warc import canonical_url, source_name
from flows.stages.steps import finish_cleaning, latest_captures, read_and_prepare
from tests.conftest import SEED_NAMES, SEEDS_DIR
from tests.test_pipeline import run_cli

NYT = "https://www.nytimes.com/2019/02/28/world/asia/trump-kim-summit.html"
NYT_FROM_FEED = NYT + "?utm_source=rss"
DESK = "https://www.worldnewsdesk.example/news/talks-ended"
PRESS = "https://www.presstv.example/detail/239617"
TITLES = {
    NYT: "Trump-Kim Summit Updates: Talks Collapse",
    DESK: "Trump’s Talks With Kim Jong-un Abruptly Ended",
    PRESS: "North Korea, US meeting breaks up without a joint statement",
}
CORRECTION = "This article was updated on Friday with the North Korean foreign minister's late-night statement."
NAV = ["Home", "World", "Business", "Opinion", "Subscribe"]
EXPECTED_SKIPS = {
    "error status": 1,
    "not HTML": 1,
    "not a response record (request)": 1,
    "not a response record (warcinfo)": 1,
    "redirect": 1,
    "robots.txt": 1,
    "truncated": 1,
}


def seed_prose(name: str) -> list[str]:
    """A seed's lines of running prose (12 words or more): the body of its page."""
    lines = (SEEDS_DIR / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if len(line.split()) >= 12]


def news_page(title: str, paragraphs: list[str], canonical: str | None = None, published: str | None = None) -> bytes:
    """An article page as news sites serve it: title and metadata, a menu, the story, a footer."""
    head = [
        f"<title>{html.escape(title)} | World News Desk</title>",
        f'<meta property="og:title" content="{html.escape(title)}">',
    ]
    if canonical:
        head += [f'<link rel="canonical" href="{canonical}">', f'<meta property="og:url" content="{canonical}">']
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    menu = "".join(f'<li><a href="/{item.lower()}">{item}</a></li>' for item in NAV)
    body = "".join(f"<p>{html.escape(paragraph)}</p>\n" for paragraph in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">{"".join(head)}</head>
<body><header><nav><ul>{menu}</ul></nav></header>
<main><article><h1>{html.escape(title)}</h1>
{body}</article></main>
<footer><p>Copyright World News Desk. All rights reserved.</p><a href="/privacy">Privacy Policy</a></footer>
</body></html>""".encode()


def seed_page(
    url: str,
    seed: str,
    paragraphs: list[str] | None = None,
    canonical: str | None = None,
    published: str | None = None,
) -> bytes:
    """The page at url holding a seed article (or the given paragraphs of it)."""
    return news_page(TITLES[url], paragraphs or seed_prose(seed), canonical, published)


def warc_record(kind: WarcRecordType, url: str | None, date: str, block: bytes, **headers: str) -> WarcRecord:
    """A WARC record built with FastWARC; header names are given with underscores for hyphens."""
    record = WarcRecord()
    record.init_headers(kind)
    record.headers["WARC-Date"] = date
    if url:
        record.headers["WARC-Target-URI"] = url
    for name, value in headers.items():
        record.headers[name.replace("_", "-")] = value
    record.set_bytes_content(block)
    return record


def response(
    url: str, date: str, body: bytes, status: str = "200 OK", content_type: str = "text/html; charset=utf-8", **http
) -> WarcRecord:
    """An HTTP response record as a crawler stores it: status line, headers, body."""
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in http.items()]
    block = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return warc_record(WarcRecordType.response, url, date, block, Content_Type="application/http; msgtype=response")


def write_warc(path: Path, records: list[WarcRecord]) -> Path:
    """Write records with FastWARC's writer; a .warc.gz gets one gzip member per record, as crawlers write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as stream:
        for record in records:
            if path.name.endswith(".gz"):
                writer = GzipWriter(stream)
                record.write(writer)
                writer.finish()
            else:
                record.write(stream)
    return path


def truncated_by_crawler(record: WarcRecord) -> WarcRecord:
    """The record marked as cut short by the crawler (at its size limit, `WARC-Truncated: length`)."""
    record.headers["WARC-Truncated"] = "length"
    return record


def crawl() -> list[WarcRecord]:
    """A crawler's output: the three seeds as pages, the NYT story also under its feed URL earlier, the
    PressTV story captured twice, and a warcinfo, a request, a redirect, a 404, an image, robots.txt and
    a record the crawler truncated."""
    nyt, desk, press = SEED_NAMES
    later = seed_prose(press) + [CORRECTION]
    return [
        warc_record(WarcRecordType.warcinfo, None, "2019-02-28T11:00:00Z", b"software: test-crawler\r\n"),
        response(NYT_FROM_FEED, "2019-02-28T12:00:00Z", seed_page(NYT, nyt, canonical=NYT, published="2019-02-28")),
        warc_record(
            WarcRecordType.request, NYT, "2019-03-01T09:00:00Z", b"GET / HTTP/1.1\r\nHost: nytimes.com\r\n\r\n"
        ),
        response(NYT, "2019-03-01T09:00:00Z", seed_page(NYT, nyt, canonical=NYT, published="2019-02-28")),
        response(DESK, "2019-03-01T09:05:00Z", seed_page(DESK, desk)),
        response(PRESS, "2019-03-01T04:00:00Z", seed_page(PRESS, press, canonical=PRESS, published="2019-03-01")),
        response("http://nytimes.com/trump-kim", "2019-03-01T09:06:00Z", b"", "301 Moved Permanently", Location=NYT),
        response(DESK + "-2", "2019-03-01T09:07:00Z", news_page("Page not found", ["Not found."]), "404 Not Found"),
        response(
            DESK + ".jpg", "2019-03-01T09:08:00Z", b"\xff\xd8\xff\xe0" + bytes(range(256)), content_type="image/jpeg"
        ),
        response(
            DESK.replace("news/talks-ended", "robots.txt"),
            "2019-03-01T09:09:00Z",
            b"User-agent: *\n",
            "200 OK",
            "text/plain",
        ),
        response(
            PRESS,
            "2019-03-01T18:00:00Z",
            seed_page(PRESS, press, paragraphs=later, canonical=PRESS, published="2019-03-01"),
        ),
        truncated_by_crawler(response(DESK + "-3", "2019-03-01T09:10:00Z", seed_page(DESK, desk)[:1500])),
    ]


def target_at(path: Path, source_item: str) -> str:
    """The target URL of the record that a source_item's offset points at, found as a maintainer would."""
    with open(path, "rb") as stream:
        stream.seek(int(source_item.removeprefix("offset:")))
        return next(iter(ArchiveIterator(stream))).headers["WARC-Target-URI"]


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_a_crawl_gives_the_latest_capture_of_each_article_its_earlier_captures_and_its_skips(tmp_path, config, name):
    path = write_warc(tmp_path / name, crawl())

    read = read_and_prepare(tmp_path, [name], config)[name]
    articles, versions = latest_captures(read.prepared)

    assert read.rejections == []
    assert dict(read.skipped) == EXPECTED_SKIPS
    assert [(item.raw.capture.url, item.raw.metadata.url) for item in articles] == [
        (NYT, NYT),
        (DESK, DESK),
        (PRESS, PRESS),
    ]
    assert [(version.url, version.canonical_url, version.reason) for version in versions] == [
        (NYT_FROM_FEED, NYT, "same_canonical_url"),
        (PRESS, PRESS, "same_url"),
    ]
    doc_ids = {item.raw.capture.url: item.raw.doc_id for item in articles}
    assert [version.doc_id for version in versions] == [doc_ids[NYT], doc_ids[PRESS]]
    assert len(set(doc_ids.values())) == 3
    for item in articles:
        assert item.raw.source_path == name and item.raw.format == "warc+html"
        assert target_at(path, item.raw.source_item) == item.raw.capture.url
    for version in versions:
        assert target_at(path, version.source_item) == version.url

    documents, rejections = finish_cleaning(articles, {}, config)
    assert rejections == []
    nyt, desk, press = documents
    assert [document.metadata.source for document in documents] == [
        "Nytimes",
        "worldnewsdesk.example",
        "presstv.example",
    ]
    assert [document.metadata.title for document in documents] == [TITLES[NYT], TITLES[DESK], TITLES[PRESS]]
    assert (nyt.metadata.published, nyt.published_is_fallback) == ("2019-02-28", False)
    assert (desk.metadata.published, desk.published_is_fallback) == ("2019-03-01T09:05:00+00:00", True)
    assert (press.metadata.published, press.published_is_fallback) == ("2019-03-01", False)
    assert press.paragraphs[-1] == CORRECTION, "the latest capture is the article"
    text = "\n".join(paragraph for document in documents for paragraph in document.paragraphs)
    assert not any(item in text.split("\n") for item in NAV) and "Privacy Policy" not in text


def test_a_crawl_runs_end_to_end_into_articles_versions_and_counted_skips(prefect_harness, tmp_path, capsys):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    write_warc(raw / "crawls" / "crawl.warc.gz", crawl())

    assert run_cli(raw, out) == 0

    printed = capsys.readouterr().out
    assert "versions             2  (earlier captures, versions.parquet)" in printed
    assert "skipped              7  (WARC records: 1 error status, 1 not HTML," in printed
    articles = pd.read_parquet(out / "articles.parquet")
    assert list(articles.url) == [NYT, DESK, PRESS]
    assert (
        set(articles.source_path) == {"crawls/crawl.warc.gz"} and articles.source_item.str.match(r"offset:\d+$").all()
    )
    assert list(articles.published_is_fallback) == [False, True, False]
    assert list(articles.site) == ["nytimes.com", "worldnewsdesk.example", "presstv.example"]
    versions = pd.read_parquet(out / "versions.parquet")
    assert list(versions.reason) == ["same_canonical_url", "same_url"]
    assert set(versions.doc_id) <= set(articles.doc_id)
    assert len(pd.read_parquet(out / "rejected.parquet")) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["skipped_records"] == EXPECTED_SKIPS
    assert (manifest["counts"]["skipped"], manifest["counts"]["versions"], manifest["counts"]["articles"]) == (7, 2, 3)


def test_a_new_crawl_file_recaptures_an_article_incrementally_like_a_rebuild(prefect_harness, tmp_path):
    nyt, desk, press = SEED_NAMES
    raw, out = tmp_path / "raw", tmp_path / "clean"
    first_crawl = [
        response(NYT, "2019-02-28T12:00:00Z", seed_page(NYT, nyt, canonical=NYT, published="2019-02-28")),
        response(PRESS, "2019-03-01T04:00:00Z", seed_page(PRESS, press, canonical=PRESS)),
        response(DESK + "-2", "2019-03-01T09:07:00Z", news_page("Page not found", ["Not found."]), "404 Not Found"),
    ]
    write_warc(raw / "crawl-1.warc.gz", first_crawl)
    assert run_cli(raw, out) == 0
    first_ids = dict(pd.read_parquet(out / "articles.parquet")[["url", "doc_id"]].values)

    later = seed_prose(press) + [CORRECTION]
    second_crawl = [response(PRESS, "2019-03-01T18:00:00Z", seed_page(PRESS, press, paragraphs=later, canonical=PRESS))]
    write_warc(raw / "crawl-2.warc.gz", second_crawl + [response(DESK, "2019-03-01T19:00:00Z", seed_page(DESK, desk))])
    assert run_cli(raw, out) == 0

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["inputs_read"], manifest["inputs_reused"]) == (1, 1)
    assert manifest["skipped_records"] == {"error status": 1}, "the reused file's skips still count"
    articles = pd.read_parquet(out / "articles.parquet").set_index("url")
    assert articles.loc[PRESS, "source_path"] == "crawl-2.warc.gz" and articles.loc[PRESS, "text"].endswith(CORRECTION)
    assert {url: articles.loc[url, "doc_id"] for url in first_ids} == first_ids, "a recaptured article keeps its doc_id"
    versions = pd.read_parquet(out / "versions.parquet")
    assert list(zip(versions.url, versions.source_path, versions.reason)) == [(PRESS, "crawl-1.warc.gz", "same_url")]

    rebuilt = tmp_path / "rebuilt"
    assert run_cli(raw, rebuilt) == 0
    for name in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(rebuilt / name), obj=name)


def test_a_page_joins_its_canonical_url_only_on_its_own_site():
    page = (
        '<html><head><link rel="Canonical" href="{}"><meta property="og:url" content="{}"></head><body></body></html>'
    )
    capture = "https://m.example.com/news/1?ref=home"

    assert canonical_url(page.format("https://www.example.com/news/1", ""), capture) == "https://www.example.com/news/1"
    assert canonical_url(page.format("/news/1", ""), capture) == "https://m.example.com/news/1"
    assert canonical_url(page.format("", "https://example.com/news/1#top"), capture) == "https://example.com/news/1"
    assert canonical_url(page.format("https://another-site.com/news/1", ""), capture) == capture
    assert canonical_url(page.format("https://www.example.com/", ""), capture) == capture, "not the home page"
    assert canonical_url(page.format("javascript:alert(1)", ""), capture) == capture
    assert canonical_url(page.format("http://[::1/news/1", ""), capture) == capture
    assert canonical_url("<html><body><p>no head</p></body></html>", capture) == capture


def test_a_source_is_the_configured_name_of_the_host_or_its_domain_else_the_host():
    names = {"reuters.com": "Reuters", "uk.reuters.com": "Reuters UK"}
    assert source_name("reuters.com", names) == "Reuters"
    assert source_name("uk.reuters.com", names) == "Reuters UK"
    assert source_name("live.uk.reuters.com", names) == "Reuters UK"
    assert source_name("in.reuters.com", names) == "Reuters"
    assert source_name("notreuters.com", names) == "notreuters.com"


def test_chunked_and_compressed_payloads_and_declared_charsets_are_decoded(tmp_path, config):
    prose = seed_prose(SEED_NAMES[2])[:3]
    packed = gzip.compress(news_page(TITLES[PRESS], prose))
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(packed), packed)
    cyrillic = "Переговоры в Ханое закончились без совместного заявления, сообщили официальные лица в четверг."
    records = [
        response(PRESS, "2019-03-01T04:00:00Z", chunked, Content_Encoding="gzip", Transfer_Encoding="chunked"),
        response(
            DESK,
            "2019-03-01T04:00:00Z",
            news_page("Ханой", [cyrillic]).decode().encode("koi8-r"),
            content_type="text/html; charset=KOI8-R",
        ),
        # A crawler that stored the page decoded but kept the header: the payload is taken as it is.
        response(NYT, "2019-03-01T04:00:00Z", news_page(TITLES[NYT], prose), Content_Encoding="gzip"),
    ]
    write_warc(tmp_path / "encoded.warc", records)

    read = read_and_prepare(tmp_path, ["encoded.warc"], config)["encoded.warc"]

    assert read.rejections == [] and not read.skipped
    press, desk, nyt = read.prepared
    assert prose[0] in press.prepared.lines and prose[0] in nyt.prepared.lines
    assert (cyrillic in desk.prepared.lines, desk.raw.encoding) == (True, "koi8-r")


@pytest.mark.parametrize("name", ["cut.warc.gz", "cut.warc"])
@pytest.mark.parametrize("kept", [12, 3000], ids=["in-its-first-bytes", "mid-page"])
def test_a_file_cut_off_mid_record_keeps_the_records_before_and_counts_one_truncated(tmp_path, config, name, kept):
    before_last = write_warc(tmp_path / name, crawl()[1:4]).stat().st_size
    whole = write_warc(tmp_path / name, crawl()[1:5]).read_bytes()
    (tmp_path / name).write_bytes(whole[: before_last + kept])

    read = read_and_prepare(tmp_path, [name], config)[name]

    assert [item.raw.capture.url for item in read.prepared] == [NYT_FROM_FEED, NYT]
    assert dict(read.skipped) == {"truncated": 1, "not a response record (request)": 1}
    assert read.rejections == []


def test_warc_files_that_cannot_be_read_are_rejected_with_a_reason(tmp_path, config):
    write_warc(tmp_path / "good-then-bad.warc.gz", crawl()[1:4])
    damaged = bytearray((tmp_path / "good-then-bad.warc.gz").read_bytes())
    damaged[-200:-150] = b"\x00" * 50
    (tmp_path / "good-then-bad.warc.gz").write_bytes(bytes(damaged))
    (tmp_path / "notes.warc").write_text("These are my notes, not a web archive.\n", encoding="utf-8")
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    write_warc(tmp_path / "only-images.warc", [crawl()[8]])
    names = ["good-then-bad.warc.gz", "notes.warc", "empty.warc.gz", "only-images.warc"]

    reads = read_and_prepare(tmp_path, names, config)

    assert [item.raw.capture.url for item in reads["good-then-bad.warc.gz"].prepared] == [NYT_FROM_FEED]
    reasons = {name: [rejection.reason for rejection in read.rejections] for name, read in reads.items()}
    [damage] = reasons["good-then-bad.warc.gz"]
    assert damage.startswith("unreadable WARC after offset ") and "(the rest of the file is not read)" in damage
    assert reasons["notes.warc"] == ["unreadable WARC: Invalid WARC header"]
    assert reasons["empty.warc.gz"] == ["empty: no complete WARC record"]
    assert reasons["only-images.warc"] == ["no HTML page among its 1 records (all skipped)"]
    assert reads["only-images.warc"].skipped == {"not HTML": 1}


def test_a_page_larger_than_the_limit_is_skipped_and_one_without_text_is_rejected(tmp_path, config):
    big = news_page(TITLES[DESK], seed_prose(SEED_NAMES[1]) * 400)
    assert len(big) > 1_000_000
    blank = b"<html><head><title>Nothing</title></head><body></body></html>"
    write_warc(
        tmp_path / "crawl.warc",
        [response(DESK, "2019-03-01T04:00:00Z", big), response(PRESS, "2019-03-01T04:00:00Z", blank)],
    )
    limited = replace(config, input=replace(config.input, max_file_bytes=1_000_000))

    read = read_and_prepare(tmp_path, ["crawl.warc"], limited)["crawl.warc"]

    assert read.skipped == {"over the size limit": 1}
    [rejection] = read.rejections
    assert rejection.reason.startswith("record at offset ") and rejection.reason.endswith(
        ": no article text found in the HTML"
    )
