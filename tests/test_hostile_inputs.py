"""A raw folder of hostile inputs: the run exits 0 and every input is an article or a rejection."""

from __future__ import annotations

import gzip
import json
import os
import shutil

import pandas as pd

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
    expected = {name: outcome for name, (_, outcome) in cases.items()}
    return expected | {SEED_NAMES[0]: "article", "loop": "rejected:symlinked folder"}


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
