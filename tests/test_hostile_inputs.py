"""A raw folder of hostile inputs: the run exits 0 and every input is an article or a rejection."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from prefect.settings import PREFECT_API_URL

from flows.reading.extraction import parse_page
from flows.reading.html_text import limit_nesting, nested_too_deep, visible_text
from flows.reading.readers import extract_html
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR
from tests.test_pipeline import run_cli

PROSE = "Officials in Hanoi said on Thursday that the talks had ended early and would resume next month."


def write_hostile_folder(raw) -> dict[str, str]:
    """Write every kind of bad input; return {input: what must become of it}."""
    raw.mkdir()
    shutil.copy(SEEDS_DIR / SEED_NAMES[0], raw / SEED_NAMES[0])
    cases = {
        "empty.txt": (b"", "rejected:empty"),
        "spaces.txt": (b"   \n\n\t ", "rejected:empty"),
        "binary.txt": (b"\x00\x01\x02" + os.urandom(64), "rejected:binary"),
        "cp1252.txt": (f"\x93{PROSE}\x94 caf\xe9".encode("latin-1"), "article"),
        "mojibake.txt": (PROSE.replace("said", "saidâ€™s").encode("utf-8"), "article"),
        "big.txt": ((PROSE + "\n") * 20_000, "rejected:larger than"),
        "menu.html": (b"<html><body><nav>Home</nav></body></html>", "rejected:too short"),
        "bad.jsonl": (b'{"text": "' + PROSE.encode() + b'"}\n{broken\n[1, 2]\n', "article+rejected:line"),
        "cut.txt.gz": (gzip.compress(PROSE.encode() * 50)[:40], "rejected:gzip"),
        "bomb.txt.gz": (gzip.compress(b" " * 3_000_000), "rejected:larger than"),
        "-odd name ü.txt": (PROSE.encode(), "article"),
        "notes.pdf": (b"%PDF-1.4", "rejected:unsupported"),
        "not-a-crawl.warc.gz": (gzip.compress(PROSE.encode()), "rejected:unreadable WARC"),
    }
    for name, (data, _) in cases.items():
        (raw / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    os.symlink(raw, raw / "loop")
    # Names that are not UTF-8 (a Latin-1 file name, a folder of them): shown with their bytes escaped, never read.
    (raw / os.fsdecode(b"caf\xe9 latin-1.txt")).write_bytes(PROSE.encode())
    (raw / os.fsdecode(b"d\xe9p\xf4t")).mkdir()
    (raw / os.fsdecode(b"d\xe9p\xf4t") / "story.txt").write_bytes(PROSE.encode())
    expected = {name: outcome for name, (_, outcome) in cases.items()}
    return expected | {
        SEED_NAMES[0]: "article",
        "loop": "rejected:symlinked folder",
        "caf\\xe9 latin-1.txt": "rejected:file name is not valid UTF-8",
        "d\\xe9p\\xf4t": "rejected:folder name is not valid UTF-8",
    }


def test_every_hostile_input_is_an_article_or_a_rejection(prefect_harness, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    expected = write_hostile_folder(raw)
    config = tmp_path / "copydesk.toml"
    config.write_text(
        (REPO / "copydesk.toml")
        .read_text(encoding="utf-8")
        .replace("max_file_bytes = 50_000_000", "max_file_bytes = 1_000_000"),
        encoding="utf-8",
    )
    assert run_cli(raw, out, "--config", str(config)) == 0
    articles = set(pd.read_parquet(out / "articles.parquet").source_path)
    rejected = pd.read_parquet(out / "rejected.parquet")
    reasons: dict[str, list[str]] = {}
    for path, reason in zip(rejected.source_path, rejected.reason):
        reasons.setdefault(path.split(" [")[0], []).append(reason)
    for name, outcome in expected.items():
        if "article" in outcome:
            assert name in articles, name
        for part in outcome.split("+"):
            if part.startswith("rejected:"):
                assert any(part.removeprefix("rejected:") in reason for reason in reasons.get(name, [])), (
                    name,
                    reasons,
                )
    assert set(articles) | set(reasons) == set(expected), "no input is lost or invented"
    text = pd.read_parquet(out / "articles.parquet").set_index("source_path").text
    assert "“" in text["cp1252.txt"] and "café" in text["cp1252.txt"]
    assert "said’s" in text["mojibake.txt"]
    assert json.loads((out / "manifest.json").read_text())["counts"]["rejections"] == len(rejected)


# --------------------------------------------------------------------------- nothing lost, nothing invented, bounded

COPYDESK = Path(sys.executable).with_name("copydesk")
# Generous bounds: a run that hangs or goes quadratic fails here instead of running for minutes.
RUN_SECONDS, FLOW_SECONDS = 180, 60
STORY = [
    "Negotiators from both countries met in Hanoi on Thursday to discuss the future of the peninsula.",
    "The talks were cut short after the two sides failed to agree on how sanctions would be lifted.",
    "Officials said that a third meeting had not been ruled out, although no date had been set for it.",
    "Analysts in Seoul said that the outcome was a setback but that the door to diplomacy stayed open.",
]


def story(*extra: str) -> str:
    """A four-paragraph article, with extra lines (furniture) after its headline."""
    return "\n\n".join(["Summit ends early without a deal", *extra, *STORY]) + "\n"


CITIES = "Hanoi Seoul Tokyo Beijing Manila Busan Osaka Kyoto Dalian Incheon Sapporo Nagoya Daegu Taipei".split()
TOPICS = "budget housing transport water schools health parks police harbour energy tourism fishing".split()


def numbered_prose(number: int) -> str:
    """A distinct sentence of prose for article `number` (distinct in its words, not only its digits)."""
    topic, city = TOPICS[number % len(TOPICS)], CITIES[number // len(TOPICS) % len(CITIES)]
    return f"The {topic} committee in {city} voted on item {number} of its {topic} plan on Monday."


def run_in_process_group(raw: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """The copydesk command in its own process group, on the test harness's Prefect API, killed with
    everything it started if it outlives RUN_SECONDS (a hang fails fast)."""
    env = os.environ | {"PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    command = [str(COPYDESK), "run", str(raw), "--out", str(out), *extra]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"copydesk did not finish within {RUN_SECONDS} s")
    return subprocess.CompletedProcess(command, process.returncode, output)


def config_with(tmp_path: Path, **input_keys: int) -> Path:
    """The project's config with some [input] keys changed."""
    text = (REPO / "copydesk.toml").read_text(encoding="utf-8")
    for key, value in input_keys.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    path = tmp_path / "copydesk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def outcomes(out: Path) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The run's articles, and its rejection reasons by input path (a JSONL line's item left out)."""
    rejected = pd.read_parquet(out / "rejected.parquet")
    reasons: dict[str, list[str]] = {}
    for path, reason in zip(rejected.source_path, rejected.reason):
        reasons.setdefault(path.split(" [")[0], []).append(reason)
    return pd.read_parquet(out / "articles.parquet"), reasons


def jsonl(records: list[dict]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def test_files_that_are_not_regular_or_lead_out_of_raw_are_rejected_unopened_and_jsonl_streams(
    prefect_harness, tmp_path
):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRETWORD " + PROSE, encoding="utf-8")
    (raw / "story.txt").write_text(story(), encoding="utf-8")
    os.symlink(raw / "story.txt", raw / "inside-link.txt")
    os.symlink(secret, raw / "passwd.txt")
    os.symlink("/dev/zero", raw / "zero.txt")
    os.mkfifo(raw / "pipe.txt")
    os.symlink(raw / "pipe.txt", raw / "pipe-link.txt")
    os.symlink(raw / "gone.txt", raw / "broken.txt")
    (raw / "ids.jsonl").write_bytes(
        jsonl([{"id": "a", "text": story()}, {"id": "a", "text": numbered_prose(1)}, {"id": "a", "text": story()}])
    )
    lines = [{"text": numbered_prose(n)} for n in range(400)]
    lines[200] = {"text": "x " * 25_000}  # one record over the 40,000-byte limit; the file is twice over it
    (raw / "big.jsonl").write_bytes(jsonl(lines))
    (raw / "big.jsonl.gz").write_bytes(gzip.compress(jsonl(lines)))
    (raw / "deep.html").write_text(
        "<html><body>" + "<font>" * 3000 + "".join(f"<p>{line}</p>" for line in STORY) + "</body></html>"
    )
    (raw / "long-paragraph.txt").write_text(story(" ".join([PROSE] * 300)), encoding="utf-8")
    config = config_with(tmp_path, max_file_bytes=40_000)

    result = run_in_process_group(raw, out, "--config", str(config))

    assert result.returncode == 0, result.stdout
    articles, reasons = outcomes(out)
    assert reasons == {
        "passwd.txt": ["symlink to a file outside RAW_DIR, not read"],
        "zero.txt": ["symlink to a file outside RAW_DIR, not read"],
        "pipe.txt": ["not a regular file (a FIFO), not read"],
        "pipe-link.txt": ["not a regular file (a FIFO), not read"],
        "broken.txt": ["unreadable: No such file or directory"],
        "ids.jsonl": ["line 3: duplicate of line 1 (same id, same text)"],
        "big.jsonl": ["line 201: larger than the 40,000-byte limit (input.max_file_bytes)"],
        "big.jsonl.gz": ["line 201: larger than the 40,000-byte limit (input.max_file_bytes)"],
    }
    by_path = articles.groupby("source_path").size().to_dict()
    assert by_path == {
        "story.txt": 1,
        "inside-link.txt": 1,
        "ids.jsonl": 2,
        "big.jsonl": 399,
        "big.jsonl.gz": 399,
        "deep.html": 1,
        "long-paragraph.txt": 1,
    }
    assert articles.doc_id.is_unique
    assert sorted(articles[articles.source_path == "ids.jsonl"].source_item) == ["a", "a (line 2)"]
    assert not articles.text.str.contains("SECRETWORD").any()
    assert all(line in articles.set_index("source_path").text["deep.html"] for line in STORY)
    removed = pd.read_parquet(out / "removed.parquet")
    assert "too_long_paragraph" not in set(removed.reason)  # split at sentence ends, not removed
    long_article = articles.set_index("source_path").text["long-paragraph.txt"]
    assert STORY[0] in long_article and long_article.count(PROSE) == 300
    assert json.loads((out / "manifest.json").read_text())["elapsed_seconds"] < FLOW_SECONDS


def test_a_huge_single_line_text_is_rejected_in_seconds(prefect_harness, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    huge = " ".join(PROSE for _ in range(220_000))  # 20 MB, 3.5 million words on one line
    (raw / "huge.txt").write_text(huge, encoding="utf-8")
    # one run-on sentence of 15,000 words: no sentence end to split it at, so it is over the paragraph limit
    (raw / "long.txt").write_text(" ".join(numbered_prose(n)[:-1] for n in range(1_000)) + ".", encoding="utf-8")
    for number in range(13):
        (raw / f"{number:02}.txt").write_text(numbered_prose(number) + "\n\n" + story(), encoding="utf-8")

    result = run_in_process_group(raw, out, "--config", str(REPO / "copydesk.toml"))

    assert result.returncode == 0, result.stdout
    articles, reasons = outcomes(out)
    assert reasons == {
        "huge.txt": [f"too long: {len(huge):,} characters (input.max_article_chars is 1,000,000)"],
        "long.txt": ["no article text left after cleaning (1 lines removed: too_long_paragraph)"],
    }
    assert len(articles) == 13
    assert json.loads((out / "manifest.json").read_text())["elapsed_seconds"] < FLOW_SECONDS


def test_identical_copies_of_a_story_stay_copies_not_boilerplate(prefect_harness, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    site = raw / "example-news"
    site.mkdir(parents=True)
    for number in range(12):
        (site / f"copy-{number:02}.txt").write_text(story("Example News Network"), encoding="utf-8")
    for number, updated in enumerate(["Updated 10:32", "Updated 11:05", "Updated 17:45"]):
        (site / f"near-{number}.txt").write_text(
            story("Example News Network", updated, f"{number + 3} comments"), "utf-8"
        )
    for number in range(4):
        (site / f"other-{number}.txt").write_text(
            f"Example News Network\n\n{numbered_prose(number)}\n", encoding="utf-8"
        )

    assert run_cli(raw, out) == 0

    articles = pd.read_parquet(out / "articles.parquet")
    assert len(articles) == 19
    assert not (raw / "rejected.parquet").exists() and pd.read_parquet(out / "rejected.parquet").empty
    removed = pd.read_parquet(out / "removed.parquet")
    assert set(removed[removed.reason == "learned:example-news"].text) == {"Example News Network"}
    corpus = [json.loads(line) for line in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    corpus_text = "\n\n".join(record["text"] for record in corpus)
    assert [corpus_text.count(line) for line in STORY] == [1, 1, 1, 1]


def test_an_output_folder_inside_or_equal_to_the_raw_folder_is_never_read_back(prefect_harness, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for number in range(3):
        (raw / f"{number}.txt").write_text(f"{numbered_prose(number)}\n\n{PROSE}\n", encoding="utf-8")
    for out in (raw / "clean", raw):
        for _ in range(3):
            assert run_cli(raw, out, "--force") == 0
            articles, reasons = outcomes(out)
            assert sorted(articles.source_path) == ["0.txt", "1.txt", "2.txt"]
            assert reasons == {"clean": ["a copydesk output folder, not read"]}  # also when no longer OUT_DIR


def test_repeated_jsonl_ids_give_unique_doc_ids_and_a_report_on_every_run(prefect_harness, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    (raw / "feed.jsonl").write_bytes(
        jsonl(
            [{"id": "7", "text": story()}, {"id": "7", "text": story(numbered_prose(9))}, {"id": "7", "text": story()}]
        )
    )
    for _ in range(2):
        assert run_cli(raw, out, "--force") == 0
        articles, reasons = outcomes(out)
        assert sorted(articles.source_item) == ["7", "7 (line 2)"] and articles.doc_id.is_unique
        assert reasons == {"feed.jsonl": ["line 3: duplicate of line 1 (same id, same text)"]}
        paragraphs = pd.read_parquet(out / "paragraphs.parquet")
        assert paragraphs.is_canonical.sum() == len(STORY) + 1  # the story once, and the second edition's new line
        assert STORY[0] in (out / "report.html").read_text(encoding="utf-8")  # the story's cluster is listed


def test_deeply_nested_html_keeps_its_text():
    html = "<html><body>" + "<span>" * 5000 + "".join(f"<p>{line}</p>" for line in STORY) + "</body></html>"
    text, _, _ = extract_html(html)
    assert all(line in text for line in STORY)
    assert visible_text(limit_nesting(html)).splitlines() == STORY


def test_only_a_page_parsed_deeper_than_the_limit_has_its_nesting_limited():
    story = "".join(f"<p>{line}</p>" for line in STORY)
    ordinary, near_the_limit, beyond_libxml2 = (
        f"<html><body>{'<div>' * depth}{story}{'</div>' * depth}</body></html>" for depth in (20, 230, 5000)
    )
    assert parse_page(ordinary)[0] is ordinary and not nested_too_deep(parse_page(ordinary)[1])
    for page in (near_the_limit, beyond_libxml2):
        limited, tree = parse_page(page)
        assert limited == limit_nesting(page) != page and not nested_too_deep(tree)
        assert all(line in extract_html(page)[0] for line in STORY)


def test_limit_nesting_leaves_a_page_within_the_limit_as_it_is():
    page = "<html><body><div><p>One <b>bold</b> word<br/></p><script>if (a<b) {}</script></div></body></html>"
    assert limit_nesting(page, max_depth=4) == page.replace("<b>", "").replace("</b>", "")
    assert limit_nesting(page) == page
