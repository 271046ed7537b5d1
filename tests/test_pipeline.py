"""The whole pipeline through the CLI on real files: outputs, schema, re-runs, syndication, bad input."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from flows.cli import main
from flows.outputs.schema import TABLES
from flows.outputs.table_parts import PARTED_TABLES
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR, copy_run, run_installed_copydesk

CORPUS_SHARDS = ["corpus/00000.jsonl.gz", "corpus.parquet/00000.parquet"]
# The seeds' articles fit in one part of each parted table.
TABLE_FILES = [f"{name}/00000.parquet" if name in PARTED_TABLES else name for name in TABLES]
OUTPUT_FILES = [*TABLE_FILES, *CORPUS_SHARDS, "corpus.jsonl", "README.md", "report.html", "manifest.json"]
# "onError", not "onerror": spelling splits the lower-case run-together word into "on error" (split:run_together),
# which would defuse the handler; HTML attribute names ignore case, so this one would still fire if unescaped.
IMG_MARKUP = '<img src=x onError="window.__pwned = 2">'


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A raw folder holding the three seeds."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    return raw


def run_cli(raw: Path, out: Path, *extra: str) -> int:
    return main(["run", str(raw), "--out", str(out), "--config", str(REPO / "copydesk.toml"), *extra])


def syndicated_copy(seed_text: str) -> str:
    """Another outlet's copy of seed 004: its own junk, straight quotes, two paragraphs merged, one edit."""
    body = seed_text.split("The second meeting between", 1)[1].split("Security Key:", 1)[0]
    paragraphs = [p for p in ("The second meeting between" + body).split("\n\n") if p.strip()]
    paragraphs[1:3] = [paragraphs[1] + " " + paragraphs[2]]
    paragraphs[3] = paragraphs[3].replace("late-night", "late night")
    text = "\n\n".join(paragraphs).replace("“", '"').replace("”", '"').replace("’", "'")
    return f"Share this article\n\n1.2k\n\nNorth Korea, US talks end without a deal\n\n{text}\n\nLeave a reply\n"


def reworded_copy(seed_000: str) -> str:
    """A third outlet's copy of five paragraphs of seed 000, a few words changed and an img tag planted in one."""
    paragraphs = [p.strip() for p in seed_000.split("\n\n")]
    starts = (
        "A day that started",
        "The White House said no agreement",
        "The two countries do not have",
        "Mr. Kim’s second meeting in less",
        "North Korea has indicated",
    )
    chosen = [next(p for p in paragraphs if p.startswith(start)) for start in starts]
    edits = [
        ("ended abruptly", "ended suddenly"),
        ("told reporters", "told journalists"),
        ("often a channel", "frequently a channel"),
        ("a perfect chance", f"a perfect {IMG_MARKUP} chance"),
        ("other nuclear-capable", "other nuclear capable"),
    ]
    for index, (old, new) in enumerate(edits):
        assert old in chosen[index], f"{old!r} is missing from seed 000"
        chosen[index] = chosen[index].replace(old, new, 1)
    return "Summit in Hanoi ends early without an agreement\n\n" + "\n\n".join(chosen) + "\n"


def paragraph_ids(paragraphs: pd.DataFrame) -> pd.Series:
    """Each paragraphs.parquet row's id, `<doc_id>-<para_idx>`."""
    return paragraphs.doc_id + "-" + paragraphs.para_idx.astype(str)


def test_seeds_end_to_end(prefect_harness, raw_dir, tmp_path, capsys):
    out = tmp_path / "clean"
    assert run_cli(raw_dir, out) == 0
    printed = capsys.readouterr().out
    assert "articles             3" in printed and "corrections          2" in printed
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
    for name, schema in TABLES.items():
        assert pq.read_table(out / name).schema.equals(schema, check_metadata=False), name

    articles = pd.read_parquet(out / "articles.parquet").set_index("source_path")
    assert list(articles.index) == list(SEED_NAMES)
    assert articles.loc[SEED_NAMES[0], "source"] == "Nytimes"
    assert articles.loc[SEED_NAMES[2], "published"].startswith("2019-03-01")
    assert articles.loc[SEED_NAMES[1], "title"] == "Trump’s Talks With Kim Jong-un Abruptly Ended"
    assert articles["duplicate_of"].isna().all()
    assert all("\n\n\n" not in text for text in articles["text"])

    corrections = pd.read_parquet(out / "corrections.parquet")
    assert sorted(zip(corrections.original, corrections.corrected)) == [
        ("Hosaid", "Ho said"),
        ("denculearization", "denuclearization"),
    ]
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    centres = paragraphs[paragraphs.cluster_id == paragraph_ids(paragraphs)]
    assert centres.cluster_id.is_unique and len(centres) == paragraphs.cluster_id.nunique()
    # the canonical paragraphs are the clusters' centres, but for those whose text lies inside a kept paragraph
    assert paragraphs.is_canonical.equals(
        paragraphs.index.to_series().isin(centres.index) & (paragraphs.match != "contained")
    )
    assert paragraphs.text.str.contains("Ri Yong Ho said").sum() == 1

    removed = pd.read_parquet(out / "removed.parquet")
    assert {"Header Ads", "Post Top Ad", "Captcha refresh", "162"} <= set(removed.text)
    assert removed.reason.str.len().gt(0).all()
    assert len(pd.read_parquet(out / "rejected.parquet")) == 0

    corpus = [json.loads(line) for line in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [set(row) for row in corpus] == [{"doc_id", "title", "source", "url", "published", "language", "text"}] * 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["articles"] == 3 and manifest["versions"]["datasketch"].startswith("2.")
    assert set(manifest["outputs"]) == set(OUTPUT_FILES) - {"manifest.json"}


def test_rerun_with_nothing_new_changes_nothing(seeds_run, tmp_path, capsys):
    raw_dir, out = copy_run(seeds_run, tmp_path)
    before = {name: ((out / name).read_bytes(), (out / name).stat().st_mtime_ns) for name in OUTPUT_FILES}
    capsys.readouterr()
    assert run_cli(raw_dir, out) == 0
    assert "already up to date" in capsys.readouterr().out
    assert {name: ((out / name).read_bytes(), (out / name).stat().st_mtime_ns) for name in OUTPUT_FILES} == before
    published = sorted({name.split("/")[0] for name in OUTPUT_FILES})
    assert sorted(path.name for path in out.iterdir() if not path.name.startswith(".")) == published


def test_forced_rerun_gives_identical_tables(seeds_run, tmp_path):
    raw_dir, out = copy_run(seeds_run, tmp_path)
    first = {name: (out / name).read_bytes() for name in [*TABLE_FILES, "corpus.jsonl"]}
    run_cli(raw_dir, out, "--force")
    assert {name: (out / name).read_bytes() for name in [*TABLE_FILES, "corpus.jsonl"]} == first


def test_syndicated_copy_is_found_and_kept_once(prefect_harness, raw_dir, tmp_path):
    seed = (raw_dir / SEED_NAMES[2]).read_text(encoding="utf-8")
    copy_dir = raw_dir / "outlets"
    copy_dir.mkdir()
    (copy_dir / "copy.txt.gz").write_bytes(gzip.compress(syndicated_copy(seed).encode()))
    out = tmp_path / "clean"
    assert run_cli(raw_dir, out) == 0

    articles = pd.read_parquet(out / "articles.parquet").set_index("source_path")
    original_id = articles.loc[SEED_NAMES[2], "doc_id"]
    assert articles.loc["outlets/copy.txt.gz", "duplicate_of"] == original_id
    assert pd.isna(articles.loc[SEED_NAMES[2], "duplicate_of"])

    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    copy_id = articles.loc["outlets/copy.txt.gz", "doc_id"]
    copied = paragraphs[paragraphs.doc_id == copy_id]
    clustered = copied.cluster_id.map(paragraphs.cluster_id.value_counts()).ge(2)
    assert (clustered | paragraph_ids(copied).isin(paragraphs.contained_in)).all(), "every paragraph is a copy"
    merged = copied[copied.text.str.startswith("The Hanoi summit came")].iloc[0]
    merged_id = f"{merged.doc_id}-{merged.para_idx}"
    assert merged.is_canonical and merged.match == "unique" and pd.isna(merged.contained_in)
    seed = paragraphs[paragraphs.doc_id == original_id]
    parts = seed[seed.text.str.startswith(("The Hanoi summit came", "After the meeting, Trump said"))]
    assert len(parts) == 2 and parts.cluster_id.nunique() == 2 and merged_id not in set(parts.cluster_id)
    assert (parts.contained_in == merged_id).all() and (parts.match == "contained").all()
    assert not parts.is_canonical.any()

    corpus_text = "\n".join(json.loads(line)["text"] for line in (out / "corpus.jsonl").open(encoding="utf-8"))
    assert corpus_text.count("Having conducted the talks this time") == 1
    assert corpus_text.count("The Hanoi summit came eight months") == 1
    assert corpus_text.count("After the meeting, Trump said two days of talks") == 1
    removed = pd.read_parquet(out / "removed.parquet")
    assert set(removed[removed.doc_id == copy_id].reason) >= {"junk:site_furniture", "junk:share_counter"}


def test_bad_inputs_are_rejected_and_the_run_goes_on(prefect_harness, raw_dir, tmp_path):
    (raw_dir / "empty.txt").write_bytes(b"")
    (raw_dir / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (raw_dir / "feed.jsonl").write_text(
        json.dumps({"id": "a1", "text": "Talks in Hanoi collapsed on Thursday, officials said."}) + "\n{broken\n",
        encoding="utf-8",
    )
    (raw_dir / "junk_only.txt").write_text("Header Ads\n\n162\n\nPost Top Ad\n", encoding="utf-8")
    out = tmp_path / "clean"
    assert run_cli(raw_dir, out) == 0
    rejected = pd.read_parquet(out / "rejected.parquet")
    reasons = dict(zip(rejected.source_path, rejected.reason))
    assert reasons["empty.txt"].startswith("empty")
    assert "binary" in reasons["binary.txt"]
    assert reasons["feed.jsonl"].startswith("line 2: invalid JSON")
    assert reasons["junk_only.txt"].startswith("no article text left after cleaning")
    articles = pd.read_parquet(out / "articles.parquet")
    assert len(articles) == 4 and "feed.jsonl" in set(articles.source_path)


def test_help_explains_the_command():
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--help"], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert "RAW_DIR" in result.stdout and "--out" in result.stdout and "corpus.jsonl" in result.stdout


def test_console_script_runs_with_embedded_prefect(tmp_path, raw_dir):
    """The real user path: the installed `copydesk` command, no Prefect server started by hand, no Prefect
    database yet (the temporary server makes it)."""
    result = run_installed_copydesk(tmp_path, "run", str(raw_dir), "--out", str(tmp_path / "clean"), migrated=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "articles             3" in result.stdout
    assert (tmp_path / "clean" / "manifest.json").is_file()


def test_run_publishes_summary_and_top_cluster_artifacts(prefect_harness, raw_dir, tmp_path):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, TaskRunFilter
    from prefect.client.schemas.sorting import ArtifactSort

    seed = (raw_dir / SEED_NAMES[2]).read_text(encoding="utf-8")
    (raw_dir / "copy.txt").write_text(syndicated_copy(seed).replace("Hanoi", "<script>Hanoi</script>", 1))
    assert run_cli(raw_dir, tmp_path / "clean") == 0
    keys = ["copydesk-summary", "copydesk-top-clusters", "copydesk-stages"]

    async def latest_artifacts() -> list:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)),
                flow_run_filter=FlowRunFilter(),
                task_run_filter=TaskRunFilter(),
                sort=ArtifactSort.CREATED_DESC,
                limit=10,
            )

    by_key = {}
    for artifact in asyncio.run(latest_artifacts()):  # newest first
        by_key.setdefault(artifact.key, artifact)
    assert set(by_key) == set(keys)
    assert "| articles | 4 |" in by_key["copydesk-summary"].data
    assert (tmp_path / "clean" / "report.html").absolute().as_uri() in by_key["copydesk-summary"].data
    assert "<script>" not in str(by_key["copydesk-top-clusters"].data)
    clusters, stages = (json.loads(by_key[key].data) for key in ("copydesk-top-clusters", "copydesk-stages"))
    copied = [row["copied_words"] for row in clusters]
    assert copied == sorted(copied, reverse=True) and copied[0] > 0, "the clusters that copied the most words first"
    assert [row["stage"] for row in stages][-1] == "write" and all(row["seconds"] >= 0 for row in stages)
