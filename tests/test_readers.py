"""flows/reading/readers.py: discovery, format detection, decompression, decoding, HTML and JSONL reading.

Every test writes real files into pytest's tmp_path and reads them back through the public
functions; nothing is mocked.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from pathlib import Path

import pyarrow as pa
import pytest

from cleaners.body import body_words
from flows import __version__
from flows.config import HtmlSettings, load_config
from flows.outputs.manifest import STAMPS, inputs_fingerprint
from flows.outputs.publish import CURRENT, RUNS
from flows.outputs.schema import SCHEMA_VERSION
from flows.reading.extraction import falls_short
from flows.reading.readers import (
    FORMATS,
    PREFETCH_BYTES,
    discover_inputs,
    input_format,
    prefetch,
    read_at_most,
    read_input,
)
from flows.runtime.lock import LOCK_NAME
from flows.stages.records import RawArticle, Rejection
from flows.stages.steps import finish_cleaning, read_and_prepare

REPO = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO / "raw"
SEED = "004_956c6de8b9b8fa00.txt"
OTHER_SEEDS = ("000_7f6a571870bd5064.txt", "001_fbf9d736c58d5084.txt")
CLEANEVAL_INPUT = Path("/work/shared/data/cleaneval-dev/input")
LIMIT = 1_000_000
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def seed_bytes(name: str = SEED) -> bytes:
    return (SEEDS_DIR / name).read_bytes()


def seed_paragraphs(count: int = 4) -> list[str]:
    """The first `count` long body paragraphs of the seed article (real news text)."""
    lines = seed_bytes().decode("utf-8").splitlines()
    return [line for line in lines if len(line) > 150][:count]


def write(raw: Path, relative: str, data: bytes) -> Path:
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def read_one(raw: Path, relative: str, max_bytes: int = LIMIT) -> RawArticle:
    articles, rejections = read_input(raw, relative, max_bytes)
    assert rejections == []
    assert len(articles) == 1
    return articles[0]


def read_rejected(raw: Path, relative: str, max_bytes: int = LIMIT) -> str:
    articles, rejections = read_input(raw, relative, max_bytes)
    assert articles == []
    assert len(rejections) == 1
    assert rejections[0].source_path == relative
    return rejections[0].reason


def jsonl(*records: object) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records).encode("utf-8") + b"\n"


# --------------------------------------------------------------------------- discover_inputs


def test_discover_inputs_lists_files_recursively_as_sorted_relative_paths(tmp_path):
    for relative in ["b.txt", "a/z.html", "a/b/deep.jsonl", "A.txt", "c/d/e/f.txt.gz"]:
        write(tmp_path, relative, b"x")
    (tmp_path / "empty_folder").mkdir()

    assert discover_inputs(tmp_path)[0] == ["A.txt", "a/b/deep.jsonl", "a/z.html", "b.txt", "c/d/e/f.txt.gz"]


def test_discover_inputs_on_empty_folder_is_empty(tmp_path):
    assert discover_inputs(tmp_path)[0] == []


def test_discover_inputs_does_not_follow_a_symlinked_folder_loop(tmp_path):
    raw = tmp_path / "raw"
    write(raw, "top.txt", b"x")
    write(raw, "sub/inner.txt", b"y")
    os.symlink(raw, raw / "sub" / "loop")  # raw/sub/loop -> raw: a cycle if followed
    os.symlink(raw / "sub", raw / "alias")  # a second symlinked folder, not a cycle

    # Neither symlinked folder is descended into: no duplicates, no endless recursion; each is reported.
    found, skipped, _ = discover_inputs(raw)
    assert found == ["sub/inner.txt", "top.txt"]
    assert [(r.source_path, r.reason) for r in skipped] == [
        ("alias", "symlinked folder not followed"),
        ("sub/loop", "symlinked folder not followed"),
    ]


def test_discover_inputs_finds_odd_file_names(tmp_path):
    names = ["with space.txt", "-leading-dash.txt", "café – naïve 北京.html", "--.jsonl", "  padded .txt"]
    for name in names:
        write(tmp_path, name, b"x")

    assert discover_inputs(tmp_path)[0] == sorted(names)
    for name in discover_inputs(tmp_path)[0]:
        assert (tmp_path / name).is_file()


def test_discover_inputs_stamps_each_input_as_stat_sees_it_through_a_symlink_inside_raw(tmp_path):
    write(tmp_path, "b/story.txt", seed_bytes())
    write(tmp_path, "a.html", b"<p>x</p>")
    os.symlink(tmp_path / "b" / "story.txt", tmp_path / "c.txt")  # a symlink inside RAW_DIR: its target's stamp

    found, _, stamps = discover_inputs(tmp_path)
    assert found == ["a.html", "b/story.txt", "c.txt"]
    expected = [os.stat(tmp_path / name) for name in found]
    assert stamps.to_pydict() == {
        "size": [status.st_size for status in expected],
        "mtime_ns": [status.st_mtime_ns for status in expected],
    }
    assert stamps.slice(2).equals(stamps.slice(1, 1)) and stamps["size"][0].as_py() == len(b"<p>x</p>")


def test_discovered_odd_file_name_can_be_read(tmp_path):
    name = "-café article ü.txt"
    write(tmp_path, name, seed_bytes())

    [found] = discover_inputs(tmp_path)[0]
    article = read_one(tmp_path, found)
    assert article.source_path == name
    assert article.text == seed_bytes().decode("utf-8")


# --------------------------------------------------------------------------- input_format


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", ("txt", False)),
        ("a.html", ("html", False)),
        ("a.htm", ("html", False)),
        ("a.jsonl", ("jsonl", False)),
        ("dir/sub/a.txt", ("txt", False)),
        ("A.TXT", ("txt", False)),
        ("Page.HTML", ("html", False)),
        ("Page.HtM", ("html", False)),
        ("LINES.JSONL", ("jsonl", False)),
        ("a.txt.gz", ("txt", True)),
        ("a.html.gz", ("html", True)),
        ("a.htm.gz", ("html", True)),
        ("a.jsonl.gz", ("jsonl", True)),
        ("A.TXT.GZ", ("txt", True)),
        ("a.Jsonl.Gz", ("jsonl", True)),
    ],
)
def test_input_format_recognises_supported_suffixes(name, expected):
    assert input_format(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notes.pdf", (None, False)),
        ("data.json", (None, False)),
        ("README", (None, False)),
        ("a.txt.bak", (None, False)),
        ("a.tar.gz", (None, True)),
        ("bare.gz", (None, True)),
        ("a.txt.gz.gz", (None, True)),
        ("a.txt.zip", (None, False)),
        ("folder.txt/file", (None, False)),
    ],
)
def test_input_format_returns_none_for_unsupported_types(name, expected):
    assert input_format(name) == expected


@pytest.mark.parametrize(
    "name",
    ["bbc/0001/0001234_s00012-003.txt", "a/.txt", ".htm", "..txt", "notes.", "a.b/c", "a/b.c.html", "x/y/z", "Z.JSONL"],
)
def test_input_format_reads_the_suffix_as_pathlib_does(name):
    assert input_format(name) == (FORMATS.get(Path(name.lower()).suffix), False)


# --------------------------------------------------------------------------- .txt


def test_read_txt_seed_gives_one_utf8_article_with_the_file_text(tmp_path):
    write(tmp_path, SEED, seed_bytes())

    article = read_one(tmp_path, SEED)

    assert article.format == "txt"
    assert article.encoding == "utf-8"
    assert article.source_path == SEED
    assert article.source_item is None
    assert article.text == seed_bytes().decode("utf-8")
    assert HEX16.match(article.doc_id)
    assert re.fullmatch(r"[0-9a-f]{64}", article.content_hash)
    # A .txt file carries no container metadata; lifting it from the text is the cleaners' job.
    assert article.metadata.title is None and article.metadata.published is None


def test_txt_doc_id_is_stable_for_the_same_path(tmp_path):
    write(tmp_path, SEED, seed_bytes())
    first = read_one(tmp_path, SEED)
    second = read_one(tmp_path, SEED)
    assert first.doc_id == second.doc_id
    assert first.content_hash == second.content_hash


def test_txt_doc_id_depends_on_relative_path_not_on_raw_folder_location(tmp_path):
    write(tmp_path / "run1", SEED, seed_bytes())
    write(tmp_path / "run2", SEED, seed_bytes())
    assert read_one(tmp_path / "run1", SEED).doc_id == read_one(tmp_path / "run2", SEED).doc_id


def test_txt_doc_id_differs_for_a_different_path_with_the_same_content(tmp_path):
    write(tmp_path, SEED, seed_bytes())
    write(tmp_path, "copy/" + SEED, seed_bytes())
    original = read_one(tmp_path, SEED)
    copy = read_one(tmp_path, "copy/" + SEED)
    assert original.doc_id != copy.doc_id
    assert original.content_hash == copy.content_hash


def test_txt_doc_id_ignores_content_but_content_hash_follows_it(tmp_path):
    path = write(tmp_path, SEED, seed_bytes())
    before = read_one(tmp_path, SEED)

    path.write_bytes(seed_bytes() + b"\nA correction was appended to this article.\n")
    after = read_one(tmp_path, SEED)

    assert after.doc_id == before.doc_id
    assert after.content_hash != before.content_hash
    assert after.text.endswith("A correction was appended to this article.\n")


# --------------------------------------------------------------------------- gzip


def test_txt_gz_gives_the_same_text_as_the_plain_file(tmp_path):
    write(tmp_path, SEED, seed_bytes())
    write(tmp_path, SEED + ".gz", gzip.compress(seed_bytes()))

    plain = read_one(tmp_path, SEED)
    packed = read_one(tmp_path, SEED + ".gz")

    assert packed.text == plain.text
    assert packed.format == "txt"
    assert packed.encoding == "utf-8"
    # The hash is of the decompressed content, so the two are recognised as the same bytes.
    assert packed.content_hash == plain.content_hash
    assert packed.doc_id != plain.doc_id


def test_truncated_gzip_is_rejected_as_gzip_without_raising(tmp_path):
    compressed = gzip.compress(seed_bytes())
    write(tmp_path, "cut.txt.gz", compressed[: len(compressed) // 2])

    reason = read_rejected(tmp_path, "cut.txt.gz")

    assert reason.startswith("corrupt or truncated gzip:")


def test_gz_file_that_is_not_gzip_is_rejected_as_gzip(tmp_path):
    write(tmp_path, "fake.txt.gz", seed_bytes())
    assert read_rejected(tmp_path, "fake.txt.gz").startswith("corrupt or truncated gzip:")


@pytest.mark.parametrize("filler", [b"\x00", b" "], ids=["zeros", "spaces"])
def test_gzip_decompression_bomb_is_rejected_at_the_limit(tmp_path, filler):
    bomb = gzip.compress(filler * 2_000_000)
    assert len(bomb) < 100_000  # the compressed file itself is under the limit
    write(tmp_path, "bomb.txt.gz", bomb)

    reason = read_rejected(tmp_path, "bomb.txt.gz", max_bytes=100_000)

    assert reason == "larger than the 100,000-byte limit (input.max_file_bytes)"


def test_plain_file_over_the_limit_is_rejected_and_one_at_the_limit_is_read(tmp_path):
    write(tmp_path, "big.txt", b"a" * 1001)
    write(tmp_path, "fits.txt", b"a" * 1000)
    assert (
        read_rejected(tmp_path, "big.txt", max_bytes=1000) == "larger than the 1,000-byte limit (input.max_file_bytes)"
    )
    assert read_one(tmp_path, "fits.txt", max_bytes=1000).text == "a" * 1000


def test_a_gzipped_file_many_times_its_size_is_read_whole_up_to_the_limit(tmp_path):
    text = "".join(f"Paragraph {n} of a long wire story about the Hanoi summit.\n" for n in range(5000))
    write(tmp_path, "long.txt.gz", gzip.compress(text.encode()))
    assert os.path.getsize(tmp_path / "long.txt.gz") * 10 < len(text)  # read in pieces past the file's size
    assert read_one(tmp_path, "long.txt.gz").text == text
    with open(tmp_path / "long.txt.gz", "rb") as file, gzip.GzipFile(fileobj=file) as stream:
        size = os.path.getsize(tmp_path / "long.txt.gz")
        assert read_at_most(stream.read, size, 100_001) == text.encode()[:100_001]


# --------------------------------------------------------------------------- decoding


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  \n"], ids=["empty", "whitespace"])
def test_empty_or_whitespace_only_file_is_rejected_as_empty(tmp_path, content):
    write(tmp_path, "blank.txt", content)
    assert read_rejected(tmp_path, "blank.txt") == "empty: no text"


def test_file_with_nul_bytes_is_rejected_as_binary(tmp_path):
    write(tmp_path, "blob.txt", b"Looks like text\x00\x01\x02 but is not")
    assert read_rejected(tmp_path, "blob.txt") == "binary data (NUL bytes), not text"


def test_cp1252_bytes_are_decoded_and_the_encoding_recorded(tmp_path):
    write(tmp_path, "windows.txt", b"\x93quoted\x94 caf\xe9")

    article = read_one(tmp_path, "windows.txt")

    assert article.encoding == "cp1252"
    assert article.text == "\u201cquoted\u201d caf\u00e9"


def test_utf8_bom_is_not_part_of_the_text(tmp_path):
    write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + "Caf\u00e9 opens.".encode("utf-8"))

    article = read_one(tmp_path, "bom.txt")

    assert article.text == "Caf\u00e9 opens."
    assert "\ufeff" not in article.text
    assert article.encoding == "utf-8"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file, so it cannot be made unreadable")
def test_unreadable_file_is_rejected(tmp_path):
    path = write(tmp_path, "locked.txt", seed_bytes())
    path.chmod(0)
    try:
        reason = read_rejected(tmp_path, "locked.txt")
    finally:
        path.chmod(0o644)
    assert reason.startswith("unreadable:")


def test_directory_named_like_a_text_file_is_rejected_unread(tmp_path):
    (tmp_path / "folder.txt").mkdir()
    assert read_rejected(tmp_path, "folder.txt") == "not a regular file (a folder), not read"


def test_missing_file_is_rejected_as_unreadable(tmp_path):
    assert read_rejected(tmp_path, "gone.txt").startswith("unreadable:")


def test_symlink_loop_file_is_rejected_as_unreadable(tmp_path):
    os.symlink(tmp_path / "self.txt", tmp_path / "self.txt")
    found, skipped, stamps = discover_inputs(tmp_path)
    assert (found, skipped, stamps.num_rows) == (
        [],
        [Rejection("self.txt", "unreadable: Too many levels of symbolic links")],
        0,
    )
    assert read_rejected(tmp_path, "self.txt").startswith("unreadable:")


def nested_folders(raw: Path, min_length: int) -> tuple[str, int]:
    """Folders of 200-character names nested under raw until its path is at least min_length characters long: the
    deepest one's path relative to raw, and a descriptor open on it (its files' paths may be too long to name)."""
    relative, descriptor = "", os.open(raw, os.O_RDONLY | os.O_DIRECTORY)
    while len(os.path.join(raw, relative)) < min_length:
        os.mkdir("d" * 200, dir_fd=descriptor)
        inner = os.open("d" * 200, os.O_RDONLY | os.O_DIRECTORY, dir_fd=descriptor)
        os.close(descriptor)
        relative, descriptor = relative + "d" * 200 + "/", inner
    return relative, descriptor


def test_discover_inputs_sorts_out_every_odd_kind_of_entry_in_a_tree(tmp_path):
    raw, outside = tmp_path / "raw", tmp_path / "outside"
    for relative in ["news.txt", "news/a.txt", "news-b.txt", "news b.txt", "news0.txt", "news/deep/c.html"]:
        write(raw, relative, relative.encode())
    (raw / "empty").mkdir()
    write(outside, "secret.txt", b"secret")
    os.symlink(raw / "news", raw / "alias")  # a symlinked folder inside RAW_DIR
    os.symlink(outside, raw / "news" / "away")  # a symlinked folder out of RAW_DIR
    os.symlink(outside / "secret.txt", raw / "passwd.txt")
    os.symlink(raw / "news" / "a.txt", raw / "link.txt")  # a symlink inside RAW_DIR: its target's stamp
    os.symlink(raw / "gone.txt", raw / "broken.txt")
    os.mkfifo(raw / "news" / "pipe.txt")
    os.symlink(raw / "news" / "pipe.txt", raw / "pipe-link.txt")
    write(raw, "old-out/articles.parquet", b"x")  # an earlier run's OUT_DIR, its lock still there
    write(raw, f"old-out/{LOCK_NAME}", b"")
    write(raw, f"{RUNS}/run1/articles.parquet", b"x")  # OUT_DIR is RAW_DIR: its run folders, links and lock
    os.symlink(f"{RUNS}/run1", raw / CURRENT)
    os.symlink(f"{CURRENT}/articles.parquet", raw / "articles.parquet")
    write(raw, LOCK_NAME, b"")
    # A folder whose path is just short enough to list, its file's and subfolder's paths too long (ENAMETOOLONG).
    deep, descriptor = nested_folders(raw, os.pathconf(raw, "PC_PATH_MAX") - 250)
    os.close(os.open("f" * 250, os.O_CREAT | os.O_WRONLY, dir_fd=descriptor))
    os.mkdir("g" * 250, dir_fd=descriptor)
    os.close(descriptor)

    found, skipped, stamps = discover_inputs(raw, raw)

    assert found == ["link.txt", "news b.txt", "news-b.txt", "news.txt", "news/a.txt", "news/deep/c.html", "news0.txt"]
    assert [(rejection.source_path, rejection.reason) for rejection in skipped] == [
        ("alias", "symlinked folder not followed"),
        ("broken.txt", "unreadable: No such file or directory"),
        (deep + "f" * 250, "unreadable: File name too long"),
        (deep + "g" * 250, "unreadable folder: File name too long"),
        ("news/away", "symlinked folder not followed"),
        ("news/pipe.txt", "not a regular file (a FIFO), not read"),
        ("old-out", "a copydesk output folder, not read"),
        ("passwd.txt", "symlink to a file outside RAW_DIR, not read"),
        ("pipe-link.txt", "not a regular file (a FIFO), not read"),
    ]
    statuses = [os.stat(raw / relative) for relative in found]
    assert stamps.to_pydict() == {
        "size": [status.st_size for status in statuses],
        "mtime_ns": [status.st_mtime_ns for status in statuses],
    }


@pytest.mark.parametrize("count", [0, 4])
def test_the_inputs_fingerprint_hashes_the_bytes_earlier_runs_hashed(count):
    """Each input's path, size and time, each after a NUL, as earlier versions hashed them one input at a time: a
    different fingerprint would make every existing OUT_DIR read all its inputs again."""
    config = load_config(REPO / "copydesk.toml")
    paths = ["a.txt", "café – naïve 北京.html", "news/-dash .txt", "z"][:count]
    sizes, times = [0, 1, 2**63 - 1, 7][:count], [-1, 0, -(2**63), 1_700_000_000_123_456_789][:count]
    expected = hashlib.sha256(f"{__version__}\x00{SCHEMA_VERSION}\x00{config.sha256}".encode())
    for path, size, time in zip(paths, sizes, times, strict=True):
        expected.update(f"\x00{path}\x00{size}\x00{time}".encode())
    stamps = pa.table([pa.array(sizes, pa.int64()), pa.array(times, pa.int64())], STAMPS)
    assert inputs_fingerprint(paths, stamps, config) == expected.hexdigest()


# --------------------------------------------------------------------------- HTML


NAV_ITEMS = ["Home", "World Affairs", "Sport Scores", "Subscribe Today"]
FOOTER_TEXT = "Copyright World News Desk. All rights reserved."
OG_TITLE = "North Korea, US meeting breaks up without a joint statement"


def article_page(paragraphs: list[str]) -> str:
    menu = "".join(f'<li><a href="/{i}">{item}</a></li>' for i, item in enumerate(NAV_ITEMS))
    body = "\n".join(f"      <p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>North Korea, US meeting breaks up | World News Desk</title>
  <meta property="og:title" content="{OG_TITLE}">
  <meta property="og:site_name" content="World News Desk">
</head>
<body>
  <header><nav class="menu"><ul>{menu}</ul></nav></header>
  <main>
    <article>
      <h1>{OG_TITLE}</h1>
{body}
    </article>
  </main>
  <footer><p>{FOOTER_TEXT}</p><a href="/privacy">Privacy Policy</a></footer>
</body>
</html>
"""


def test_html_article_page_keeps_body_paragraphs_and_drops_nav_and_footer(tmp_path):
    paragraphs = seed_paragraphs()
    assert len(paragraphs) == 4
    write(tmp_path, "page.html", article_page(paragraphs).encode("utf-8"))

    article = read_one(tmp_path, "page.html")

    assert article.format == "html"
    assert article.encoding == "utf-8"
    for paragraph in paragraphs:
        assert paragraph in article.text
    for item in NAV_ITEMS:
        assert item not in article.text
    assert "Copyright" not in article.text
    assert "Privacy Policy" not in article.text
    assert article.metadata.title == OG_TITLE
    assert article.metadata.source == "World News Desk"


def test_html_gz_reads_like_the_plain_page(tmp_path):
    page = article_page(seed_paragraphs()).encode("utf-8")
    write(tmp_path, "page.html", page)
    write(tmp_path, "page.htm.gz", gzip.compress(page))

    plain = read_one(tmp_path, "page.html")
    packed = read_one(tmp_path, "page.htm.gz")

    assert packed.format == "html"
    assert packed.text == plain.text
    assert packed.metadata == plain.metadata


def test_real_cleaneval_page_gives_an_article_with_its_main_text(tmp_path):
    if not CLEANEVAL_INPUT.is_dir():
        pytest.skip(f"CleanEval dev set not present at {CLEANEVAL_INPUT}")
    page = CLEANEVAL_INPUT / "54.html"
    if not page.is_file():
        pytest.skip(f"{page} is not in this copy of the CleanEval dev set")
    write(tmp_path, "54.html", page.read_bytes())

    article = read_one(tmp_path, "54.html", max_bytes=10_000_000)

    assert article.format == "html"
    assert len(article.text.strip()) > 1000
    # Opening of the hand-cleaned gold text (GoldStandard/54.txt), with its run-together words fixed.
    assert "The year was 1931. Universal was a struggling Hollywood studio." in article.text
    assert article.metadata.title == (
        "Standing in the Way of Ceremony: Production Code Objections to The Bride of Frankenstein"
    )


def test_real_page_trafilatura_cannot_read_falls_back_to_its_text_dump(tmp_path):
    """CleanEval page 49 (tune split) without CleanEval's <text> wrapper is a bare <table> fragment that
    trafilatura's parser refuses; its text dump still holds the page."""
    page = CLEANEVAL_INPUT / "49.html"
    if not page.is_file():
        pytest.skip(f"CleanEval dev page not present at {page}")
    write(tmp_path, "49.html", re.sub(rb"^\s*<text\b[^>]*>|</text>\s*$", b"", page.read_bytes()))

    article = read_one(tmp_path, "49.html", max_bytes=10_000_000)

    assert article.format == "html-dump"
    assert "Residential Long Distance Phone Service" in article.text


def test_html_with_an_empty_body_is_rejected_as_no_article_text(tmp_path):
    write(tmp_path, "blank.html", b"<html><head><title>Nothing</title></head><body></body></html>")
    assert read_rejected(tmp_path, "blank.html") == "no article text found in the HTML"


def test_html_with_only_a_nav_menu_is_rejected_as_too_short(tmp_path, config):
    """trafilatura's fallback returns the nav text "Home"; the article-size minimum rejects it."""
    write(tmp_path, "nav.html", b"<html><body><nav>Home</nav></body></html>")
    read = read_and_prepare(tmp_path, ["nav.html"], config)["nav.html"]
    documents, rejections = finish_cleaning(read.prepared, {}, config)
    assert read.rejections == []
    assert documents == []
    assert [r.reason for r in rejections] == ["too short after cleaning: 1 words (input.min_article_words is 5)"]


def test_html_copyright_year_is_not_taken_as_the_publication_date(tmp_path):
    page = article_page(seed_paragraphs()).replace(FOOTER_TEXT, "&copy; 2019 World News Desk")
    write(tmp_path, "page.html", page.encode("utf-8"))

    article = read_one(tmp_path, "page.html")

    assert article.metadata.published is None


# --------------------------------------------------------------------------- JSONL


def test_jsonl_good_lines_become_articles_and_bad_lines_rejections_with_line_numbers(tmp_path):
    paragraphs = seed_paragraphs()
    data = jsonl(
        {"id": "n-1", "text": paragraphs[0], "url": "https://example.com/a", "source": "AFP", "title": "Summit"},
        "{not json",
        [1, 2, 3],
        {"title": "A record with neither body field", "url": "https://example.com/x"},
        {"html": article_page(paragraphs[1:3]), "source": "Desk"},
        {"text": "   ", "html": ""},
    )
    write(tmp_path, "feed.jsonl", data)

    articles, rejections = read_input(tmp_path, "feed.jsonl", LIMIT)

    assert [(r.source_path, r.reason) for r in rejections] == [
        ("feed.jsonl", "line 2: invalid JSON (Expecting property name enclosed in double quotes)"),
        ("feed.jsonl", "line 3: not a JSON object"),
        ("feed.jsonl", "line 4: no 'text' or 'html' field"),
        ("feed.jsonl", "line 6: no 'text' or 'html' field"),
    ]
    assert len(articles) == 2
    text_article, html_article = articles

    assert text_article.format == "jsonl"
    assert text_article.text == paragraphs[0]
    assert text_article.source_item == "n-1"
    assert text_article.source_path == "feed.jsonl"
    assert text_article.metadata.title == "Summit"
    assert text_article.metadata.source == "AFP"
    assert text_article.metadata.url == "https://example.com/a"

    assert html_article.format == "jsonl+html"
    assert html_article.source_item == "line:5"
    assert paragraphs[1] in html_article.text and paragraphs[2] in html_article.text
    assert "Subscribe Today" not in html_article.text
    assert html_article.metadata.source == "Desk"  # the record's own field wins over the page's
    assert html_article.metadata.title == OG_TITLE  # missing from the record, taken from the page


def test_jsonl_blank_lines_are_skipped_but_still_counted(tmp_path):
    write(tmp_path, "gaps.jsonl", b'\n\n{"text": "third line"}\n   \n{oops\n')

    articles, rejections = read_input(tmp_path, "gaps.jsonl", LIMIT)

    assert [a.source_item for a in articles] == ["line:3"]
    assert [r.reason for r in rejections] == [
        "line 5: invalid JSON (Expecting property name enclosed in double quotes)"
    ]


def test_jsonl_with_no_lines_is_rejected_as_empty(tmp_path):
    write(tmp_path, "none.jsonl", b"\n  \n\n")
    assert read_rejected(tmp_path, "none.jsonl") == "empty: no JSONL lines"


def test_jsonl_line_with_html_but_no_article_is_a_line_rejection(tmp_path):
    write(tmp_path, "h.jsonl", jsonl({"text": "fine"}, {"html": "<html><body></body></html>"}))

    articles, rejections = read_input(tmp_path, "h.jsonl", LIMIT)

    assert [a.text for a in articles] == ["fine"]
    assert rejections == [Rejection("h.jsonl", "line 2: no article text found in the HTML")]


def test_jsonl_doc_id_uses_the_record_id(tmp_path):
    write(tmp_path, "ids.jsonl", jsonl({"id": "alpha", "text": "one"}, {"id": "beta", "text": "two"}))
    write(tmp_path, "swapped.jsonl", jsonl({"id": "beta", "text": "other"}, {"id": "alpha", "text": "more"}))

    alpha, beta = read_input(tmp_path, "ids.jsonl", LIMIT)[0]
    beta2, alpha2 = read_input(tmp_path, "swapped.jsonl", LIMIT)[0]

    assert HEX16.match(alpha.doc_id) and HEX16.match(beta.doc_id)
    assert alpha.doc_id != beta.doc_id
    assert (alpha.source_item, beta.source_item) == ("alpha", "beta")
    # The same id in another file is another article.
    assert alpha2.doc_id != alpha.doc_id and beta2.doc_id != beta.doc_id


def test_jsonl_doc_id_for_an_id_is_stable_across_reads_edits_and_line_moves(tmp_path):
    path = write(tmp_path, "feed.jsonl", jsonl({"id": "story-7", "text": "first version"}))
    before = read_input(tmp_path, "feed.jsonl", LIMIT)[0][0]

    path.write_bytes(jsonl({"id": "other", "text": "new line on top"}, {"id": "story-7", "text": "second version"}))
    after = read_input(tmp_path, "feed.jsonl", LIMIT)[0][1]

    assert after.doc_id == before.doc_id
    assert after.content_hash != before.content_hash


def test_jsonl_same_id_twice_in_one_file_is_a_second_article_or_a_duplicate_line(tmp_path):
    records = ({"id": 42, "text": "one"}, {"id": "42", "text": "two"}, {"id": "42", "text": "one"})
    write(tmp_path, "dup.jsonl", jsonl(*records))

    (first, second), rejections = read_input(tmp_path, "dup.jsonl", LIMIT)

    assert (first.source_item, second.source_item) == ("42", "42 (line 2)")
    assert first.doc_id != second.doc_id and (first.text, second.text) == ("one", "two")
    assert rejections == [Rejection("dup.jsonl", "line 3: duplicate of line 1 (same id, same text)")]


def test_jsonl_doc_id_falls_back_to_the_line_number(tmp_path):
    write(tmp_path, "noid.jsonl", jsonl({"text": "same"}, {"text": "same"}, {"id": None, "text": "same"}))

    articles, rejections = read_input(tmp_path, "noid.jsonl", LIMIT)

    assert rejections == []
    assert [a.source_item for a in articles] == ["line:1", "line:2", "line:3"]
    assert len({a.doc_id for a in articles}) == 3
    assert articles[0].content_hash == articles[1].content_hash  # identical lines hash alike


def test_jsonl_explicit_id_cannot_collide_with_a_line_number_fallback(tmp_path):
    write(tmp_path, "clash.jsonl", jsonl({"id": "line:2", "text": "first article"}, {"text": "second article"}))

    first, second = read_input(tmp_path, "clash.jsonl", LIMIT)[0]

    assert first.doc_id != second.doc_id


@pytest.mark.parametrize("published", ["2019-03-01T03:37:00Z", "March 1, 2019", "0337 GMT March 01, 2019"])
def test_jsonl_published_is_parsed_to_iso(tmp_path, published):
    write(tmp_path, "dated.jsonl", jsonl({"text": "body", "published": published}))

    article = read_one(tmp_path, "dated.jsonl")

    assert article.metadata.published.startswith("2019-03-01")


def test_jsonl_published_values_exactly(tmp_path):
    write(
        tmp_path,
        "dated.jsonl",
        jsonl(
            {"text": "a", "published": "2019-03-01T03:37:00Z"},
            {"text": "b", "published": "March 1, 2019"},
            {"text": "c", "published": "next Tuesday"},
            {"text": "d", "published": 20190301},
            {"text": "e", "published": "  "},
        ),
    )

    articles, rejections = read_input(tmp_path, "dated.jsonl", LIMIT)

    assert rejections == []
    assert [a.metadata.published for a in articles] == ["2019-03-01T03:37:00+00:00", "2019-03-01", None, None, None]


def test_jsonl_path_like_id_is_only_a_string(tmp_path):
    raw = tmp_path / "raw"
    write(raw, "evil.jsonl", jsonl({"id": "../../etc/passwd", "url": "file:///etc/passwd", "text": "harmless"}))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    article = read_one(raw, "evil.jsonl")

    assert article.source_item == "../../etc/passwd"
    assert HEX16.match(article.doc_id)
    assert article.text == "harmless"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_jsonl_gz_is_read_line_by_line(tmp_path):
    write(tmp_path, "feed.jsonl.gz", gzip.compress(jsonl({"id": "a", "text": "one"}, "oops")))

    articles, rejections = read_input(tmp_path, "feed.jsonl.gz", LIMIT)

    assert [(a.source_item, a.text, a.format) for a in articles] == [("a", "one", "jsonl")]
    assert [r.reason for r in rejections] == ["line 2: invalid JSON (Expecting value)"]


def test_jsonl_line_with_nul_bytes_is_a_line_rejection(tmp_path):
    write(tmp_path, "nul.jsonl", b'{"text": "ok"}\n{"text": "b\x00d"}\n')

    articles, rejections = read_input(tmp_path, "nul.jsonl", LIMIT)

    assert [a.text for a in articles] == ["ok"]
    assert rejections == [Rejection("nul.jsonl", "line 2: binary data (NUL bytes), not text")]


def test_jsonl_cp1252_line_records_its_encoding(tmp_path):
    write(tmp_path, "win.jsonl", b'{"text": "caf\xe9"}\n')

    article = read_one(tmp_path, "win.jsonl")

    assert article.text == "caf\u00e9"
    assert article.encoding == "cp1252"


def test_jsonl_deeply_nested_line_is_a_rejection_not_an_exception(tmp_path):
    write(tmp_path, "deep.jsonl", jsonl({"text": "fine"}, "[" * 100_000))

    articles, rejections = read_input(tmp_path, "deep.jsonl", LIMIT)

    assert [a.text for a in articles] == ["fine"]
    assert len(rejections) == 1 and rejections[0].reason.startswith("line 2:")


def test_jsonl_line_with_a_huge_integer_is_a_rejection_not_an_exception(tmp_path):
    write(tmp_path, "big.jsonl", jsonl({"text": "fine"}, '{"text": "x", "n": ' + "1" * 5000 + "}"))

    articles, rejections = read_input(tmp_path, "big.jsonl", LIMIT)

    assert [a.text for a in articles] == ["fine"]
    assert len(rejections) == 1 and rejections[0].reason.startswith("line 2:")


# --------------------------------------------------------------------------- unsupported


@pytest.mark.parametrize("name", ["notes.pdf", "archive.tar.gz", "README"])
def test_unsupported_file_is_rejected_with_the_expected_types(tmp_path, name):
    write(tmp_path, name, b"%PDF-1.4 whatever")

    reason = read_rejected(tmp_path, name)

    assert reason == "unsupported file type (expected .htm, .html, .jsonl, .txt, .warc, or .gz of one)"


def test_unsupported_file_is_rejected_before_it_is_opened(tmp_path):
    # The type check comes first: nothing is opened for a file of the wrong kind.
    assert read_rejected(tmp_path, "missing.pdf").startswith("unsupported file type")


def test_utf8_text_with_a_stray_cp1252_byte_keeps_its_utf8_characters(tmp_path):
    write(tmp_path, "mixed.txt", "North Korea’s leader — Kim Jong-un".encode() + b" said \x93no\x94.")
    article = read_one(tmp_path, "mixed.txt")
    assert article.text == "North Korea’s leader — Kim Jong-un said “no”."
    assert article.encoding == "utf-8+cp1252"


def test_jsonl_empty_id_falls_back_to_the_line_number(tmp_path):
    write(tmp_path, "ids.jsonl", jsonl({"id": " ", "text": "first article"}, {"id": "", "text": "second article"}))
    first, second = read_input(tmp_path, "ids.jsonl", LIMIT)[0]
    assert (first.source_item, second.source_item) == ("line:1", "line:2")
    assert first.doc_id != second.doc_id


READER_COMMENTS = [
    f"Reader {number} wrote that the talks in Hanoi were always going to be difficult, and that both sides "
    f"should have prepared the ground far better before the leaders met for the {number}th time this year."
    for number in range(1, 13)
]


def page_with_reader_comments(paragraphs: list[str]) -> str:
    """An article page followed by a comment section holding more prose than the article."""
    comments = "".join(f'<div class="comment"><p>{text}</p></div>' for text in READER_COMMENTS)
    section = f'<section id="comments" class="comments"><h2>Comments</h2>{comments}</section>'
    return article_page(paragraphs).replace("</main>", f"</main>{section}")


def test_readers_comments_do_not_make_an_article_page_fall_back_to_its_text_dump(tmp_path):
    paragraphs = seed_paragraphs(2)
    write(tmp_path, "page.html", page_with_reader_comments(paragraphs).encode("utf-8"))

    article = read_one(tmp_path, "page.html")

    assert article.format == "html"
    assert paragraphs[0] in article.text
    assert "Reader 3 wrote" not in article.text


def test_readers_comments_are_kept_when_the_config_includes_comments(tmp_path):
    paragraphs = seed_paragraphs(2)
    write(tmp_path, "page.html", page_with_reader_comments(paragraphs).encode("utf-8"))
    html = HtmlSettings(include_comments=True)

    [article], _ = read_input(tmp_path, "page.html", LIMIT, html)

    assert article.format == "html"
    assert paragraphs[0] in article.text and "Reader 3 wrote" in article.text


MENU_LINES = ["Home", "World", "Business", "Sport", "Contact us", "Subscribe"]


def test_extraction_falls_short_when_trafilatura_keeps_little_of_the_dumps_prose():
    dump = "\n".join(MENU_LINES + READER_COMMENTS)
    prose_words = sum(len(line.split()) for line in READER_COMMENTS)

    assert falls_short(prose_words // 4, dump, "", HtmlSettings())
    assert not falls_short(prose_words // 2 + 1, dump, "", HtmlSettings())


def teaser_blocks(count: int) -> list[str]:
    """A news site's teasers of its other stories, as a text dump holds them: a headline, the poster's name and
    the story's opening cut off after 25 words (real news text from the other seed articles)."""
    paragraphs = [
        line for name in OTHER_SEEDS for line in seed_bytes(name).decode("utf-8").splitlines() if len(line) > 150
    ]
    blocks = []
    for text in paragraphs[:count]:
        words = text.lstrip("• ").split()
        blocks += [" ".join(words[:7]), "Webmaster", " ".join(words[:25]) + "..."]
    return blocks


def test_extraction_does_not_fall_short_where_the_dumps_extra_prose_is_teasers_of_other_stories():
    article = seed_paragraphs(2)
    dump = "\n".join(MENU_LINES + article + teaser_blocks(3))
    article_words = sum(len(line.split()) for line in article)

    assert body_words(dump.splitlines(), HtmlSettings().body) > 2 * article_words
    assert not falls_short(article_words, dump, "", HtmlSettings())


def test_extraction_does_not_fall_short_where_the_dumps_prose_is_readers_comments():
    dump = "\n".join(MENU_LINES + READER_COMMENTS)

    assert not falls_short(20, dump, "\n".join(READER_COMMENTS), HtmlSettings())


def test_extraction_does_not_fall_short_when_trafilatura_keeps_half_the_dumps_words():
    dump = "\n".join(MENU_LINES + READER_COMMENTS[:2])

    assert not falls_short(len(dump.split()) // 2, dump, "", HtmlSettings())
    assert falls_short(10, dump, "", HtmlSettings())


def advised_files(monkeypatch) -> list[tuple[str, int, int, int]]:
    """The (file name, offset, length, advice) of every posix_fadvise call from now on, each still made."""
    advised: list[tuple[str, int, int, int]] = []
    advise = os.posix_fadvise

    def recorded(descriptor: int, offset: int, length: int, advice: int) -> None:
        advised.append((Path(os.readlink(f"/proc/self/fd/{descriptor}")).name, offset, length, advice))
        advise(descriptor, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", recorded)
    return advised


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names a descriptor's file through /proc")
def test_a_batch_asks_the_kernel_to_read_all_its_inputs_ahead_before_reading_them(tmp_path, config, monkeypatch):
    names = ["b.txt", "a.txt", "c.txt.gz"]
    for name in names[:2]:
        write(tmp_path, name, seed_bytes())
    write(tmp_path, "c.txt.gz", gzip.compress(seed_bytes()))
    advised = advised_files(monkeypatch)
    reads_seen = []
    read = read_input

    def read_after_advice(raw_dir, relative_path, *args):
        reads_seen.append(len(advised))
        return read(raw_dir, relative_path, *args)

    monkeypatch.setattr("flows.stages.steps.read_input", read_after_advice)
    reads = read_and_prepare(tmp_path, names, config)
    assert advised == [(name, 0, PREFETCH_BYTES, os.POSIX_FADV_WILLNEED) for name in names]
    assert reads_seen == [3, 3, 3]  # every input advised before the first is read
    assert [len(reads[name].prepared) for name in names] == [1, 1, 1]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names a descriptor's file through /proc")
def test_read_ahead_never_blocks_on_a_fifo_and_passes_over_what_it_cannot_open(tmp_path, monkeypatch):
    os.mkfifo(tmp_path / "pipe.txt")  # no writer: opening it to read would block
    write(tmp_path, "story.txt", seed_bytes())
    advised = advised_files(monkeypatch)
    prefetch(tmp_path, ["pipe.txt", "missing.txt", "story.txt"])
    assert [name for name, *_ in advised] == ["pipe.txt", "story.txt"]  # the FIFO's advice fails, and is left


def test_a_fifo_or_a_folder_found_where_a_text_file_was_is_refused_unread(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")  # swapped in after discovery: opening it to read would block
    (tmp_path / "gone.txt").mkdir()
    assert read_rejected(tmp_path, "pipe.txt") == "not a regular file (a FIFO), not read"
    assert read_rejected(tmp_path, "gone.txt") == "not a regular file (a folder), not read"
    assert read_rejected(tmp_path, "missing.txt") == "unreadable: No such file or directory"
