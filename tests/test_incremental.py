"""Incremental runs: only new or changed inputs are read, and the result equals a full rebuild."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pyarrow.parquet as pq

from flows.outputs.publish import CURRENT
from flows.outputs.schema import TABLES
from flows.state.vocabulary_store import load_vocabulary
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR, copy_run
from tests.test_pipeline import run_cli, syndicated_copy


def manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def tables(out) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out / name) for name in TABLES}


def seeded(tmp_path, names):
    """A raw folder holding some of the seeds, and an output folder after one run over it."""
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    for name in names:
        shutil.copy(SEEDS_DIR / name, raw / name)
    assert run_cli(raw, out) == 0
    return raw, out


def test_a_second_run_reads_only_new_and_changed_inputs_and_matches_a_rebuild(seeds_run, tmp_path):
    raw, out = copy_run(seeds_run, tmp_path)
    assert (manifest(out)["inputs_read"], manifest(out)["inputs_reused"]) == (3, 0)
    first_ids = set(pd.read_parquet(out / "articles.parquet").doc_id)

    seed = (raw / SEED_NAMES[2]).read_text(encoding="utf-8")
    (raw / "wire").mkdir()
    (raw / "wire" / "copy.txt").write_text(syndicated_copy(seed), encoding="utf-8")
    changed = raw / SEED_NAMES[1]
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n\nA new closing paragraph was added by the site later on."
    )
    assert run_cli(raw, out) == 0
    assert (manifest(out)["inputs_read"], manifest(out)["inputs_reused"]) == (2, 2)
    articles = pd.read_parquet(out / "articles.parquet")
    assert first_ids < set(articles.doc_id), "a changed file keeps its doc_id"
    assert articles.set_index("source_path").loc[SEED_NAMES[1], "text"].endswith("added by the site later on.")
    copy_row = articles.set_index("source_path").loc["wire/copy.txt"]
    assert copy_row.duplicate_of == articles.set_index("source_path").loc[SEED_NAMES[2], "doc_id"]

    rebuilt = tmp_path / "rebuilt"
    assert run_cli(raw, rebuilt) == 0
    for name, table in tables(out).items():
        pd.testing.assert_frame_equal(table, tables(rebuilt)[name], obj=name)


def test_a_deleted_input_leaves_the_corpus(seeds_run, tmp_path):
    raw, out = copy_run(seeds_run, tmp_path)
    (raw / SEED_NAMES[0]).unlink()
    assert run_cli(raw, out) == 0
    assert set(pd.read_parquet(out / "articles.parquet").source_path) == set(SEED_NAMES[1:])
    assert manifest(out)["inputs_read"] == 0


def test_a_changed_config_reads_everything_again(prefect_harness, tmp_path):
    raw, out = seeded(tmp_path, SEED_NAMES[:1])
    config = tmp_path / "copydesk.toml"
    config.write_text(
        (REPO / "copydesk.toml").read_text(encoding="utf-8").replace("min_article_words = 5", "min_article_words = 6")
    )
    assert run_cli(raw, out, "--config", str(config)) == 0
    assert (manifest(out)["inputs_read"], manifest(out)["inputs_reused"]) == (1, 0)


def test_a_touched_file_with_the_same_content_is_not_read_again(seeds_run, tmp_path):
    raw, out = copy_run(seeds_run, tmp_path)
    touched = raw / SEED_NAMES[0]
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 5_000_000_000))
    assert run_cli(raw, out) == 0
    assert (manifest(out)["inputs_read"], manifest(out)["inputs_reused"]) == (0, 3)


TALKS = (
    "Trade negotiations resumed in Geneva on Monday after a pause of three weeks, officials from both sides said.",
    "Farmers are watching the negotiations closely because export quotas for grain are on the table this year.",
    "Diplomats said the negotiations could run into the spring if the question of tariffs is left open again.",
    "A spokesman for the ministry said the negotiatons would take time but that both delegations were hopeful.",
)
LATER = (
    "Critics of the government called the negotiatons a waste of time in a heated debate on Tuesday evening.",
    "Union leaders said the negotiatons must protect jobs at the port before any agreement is signed this winter.",
)


def write_story(raw, name: str, paragraph: str) -> None:
    (raw / name).write_text(f"Talks on trade\n\n{paragraph}\n\nThe talks continue this week in the city.\n")


def corrected_words(out) -> set[str]:
    return set(pd.read_parquet(out / "corrections.parquet").original)


def test_an_incremental_run_equals_a_rebuild_when_a_spelling_decision_flips(prefect_harness, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    for number, paragraph in enumerate(TALKS):
        write_story(raw, f"talks-{number}.txt", paragraph)
    assert run_cli(raw, out) == 0
    assert "negotiatons" in corrected_words(out), "a spelling printed once is a typo of the common one"

    for number, paragraph in enumerate(LATER):
        write_story(raw, f"later-{number}.txt", paragraph)
    assert run_cli(raw, out) == 0
    assert manifest(out)["inputs_read"] == len(LATER)
    assert "negotiatons" not in corrected_words(out), "printed three times, the spelling is the corpus's own"

    rebuilt = tmp_path / "rebuilt"
    assert run_cli(raw, rebuilt) == 0
    for name, table in tables(out).items():
        pd.testing.assert_frame_equal(table, tables(rebuilt)[name], obj=name)
    stored, fresh = (
        pd.read_parquet(folder / CURRENT / "state" / "vocabulary" / "counts.parquet") for folder in (out, rebuilt)
    )
    pd.testing.assert_frame_equal(stored, fresh, obj="counts.parquet")
    stored, fresh = (load_vocabulary(folder / CURRENT / "state").paragraphs for folder in (out, rebuilt))
    assert stored.equals(fresh), "the stored paragraphs (digest, occurrences, text) as a rebuild's"


def state_shards(out) -> dict[tuple[str, ...], int]:
    """The published state's shards of prepared articles: the inputs of each, and its inode."""
    return {
        tuple(pq.read_table(shard, columns=["source_path"]).column(0).to_pylist()): shard.stat().st_ino
        for shard in sorted((out / ".current" / "state" / "prepared").glob("*.parquet"))
    }


def test_an_incremental_run_links_the_shards_of_unchanged_inputs_rewrites_the_rest_and_matches_a_rebuild(
    prefect_harness, tmp_path
):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    assert run_cli(raw, out, "--batch-size", "2") == 0
    before = state_shards(out)
    assert list(before) == [SEED_NAMES[:2], SEED_NAMES[2:]]

    (raw / "wire").mkdir()
    (raw / "wire" / "copy.txt").write_text(syndicated_copy((raw / SEED_NAMES[2]).read_text()), encoding="utf-8")
    changed = raw / SEED_NAMES[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA closing paragraph the site added later on.")
    assert run_cli(raw, out, "--batch-size", "2") == 0
    after = state_shards(out)
    assert list(after) == [SEED_NAMES[:1], SEED_NAMES[2:], (SEED_NAMES[1], "wire/copy.txt")]
    assert after[SEED_NAMES[2:]] == before[SEED_NAMES[2:]], "an unchanged shard is the same file, hard-linked"
    assert after[SEED_NAMES[:1]] != before[SEED_NAMES[:2]], "a shard with a changed input is rewritten without it"
    assert not (out / ".work").exists()

    rebuilt = tmp_path / "rebuilt"
    assert run_cli(raw, rebuilt, "--batch-size", "2") == 0
    assert [len(inputs) for inputs in state_shards(rebuilt)] == [2, 2]
    for name, table in tables(out).items():
        pd.testing.assert_frame_equal(table, tables(rebuilt)[name], obj=name)


def test_a_reused_inputs_rejections_stay_as_a_rebuild_has_them(seeds_run, tmp_path):
    """A JSONL input that gave an article is reused by the next run with its rejections, its own (a broken line)
    and its items' (an article too long, named with its item), as a rebuild rejects them."""
    raw, out = copy_run(seeds_run, tmp_path)
    seed = (raw / SEED_NAMES[2]).read_text(encoding="utf-8")
    lines = [json.dumps({"text": seed}), "{not json", json.dumps({"text": "word " * 100_001})]
    (raw / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_cli(raw, out) == 0
    (raw / "wire").mkdir()
    (raw / "wire" / "copy.txt").write_text(syndicated_copy(seed), encoding="utf-8")
    assert run_cli(raw, out) == 0
    assert (manifest(out)["inputs_read"], manifest(out)["inputs_reused"]) == (1, 4)
    rejected = pd.read_parquet(out / "rejected.parquet")
    assert [reason.split(":")[0] for reason in rejected.reason] == ["too long", "line 2"]  # in the order read
    assert rejected.source_path.tolist()[0] != "feed.jsonl" == rejected.source_path.tolist()[1]

    rebuilt = tmp_path / "rebuilt"
    assert run_cli(raw, rebuilt) == 0
    for name, table in tables(out).items():
        pd.testing.assert_frame_equal(table, tables(rebuilt)[name], obj=name)
