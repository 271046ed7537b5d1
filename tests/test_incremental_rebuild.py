"""Incremental runs equal rebuilds when a change reaches beyond the inputs it touches: every published table
of a run on an OUT_DIR that saw the corpus before equals that of a fresh run on the final inputs, for new,
changed and deleted articles, learned and forgotten boilerplate, a flipped spelling decision, a moved
canonical copy and a maintainer's override added between runs."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pytest

from cleaners.keep import line_fingerprint
from dedup.text_signing import text_sip_keys
from flows.review.overrides import OVERRIDES_NAME, Override, write_overrides
from flows.stages.column_texts import ColumnTexts
from flows.stages.handoffs import map_arrow, write_arrow
from flows.state import finished
from flows.state.alignment_store import text_digests
from flows.state.folder import STATE_VERSION
from flows.state.line_counts import load_line_counts, stored_counts
from flows.state.parts import part_paths
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR, copy_run
from tests.test_incremental import manifest, tables
from tests.test_pipeline import reworded_copy, run_cli, syndicated_copy
from tests.test_scale_corpus import BBC

needs_bbc = pytest.mark.skipif(not BBC.is_file(), reason=f"the BBC stories are not at {BBC} (../shared/data)")
# A site's own line under some of its articles: a short line the body keeps, learned once it recurs enough.
SIGN_OFF = "Reporting by the Daily Wire news desk"


def published_tables(out: Path) -> dict[str, pd.DataFrame]:
    """Every table a run publishes, read with pandas: flows/outputs/schema.py TABLES, the corpus shards (each folder as
    one table) and the legacy corpus.jsonl. No published table holds a run-specific column (when a run started
    or finished, its id, its timings live in manifest.json alone), so every column is compared."""
    jsonl_shards = sorted((out / "corpus").glob("*.jsonl.gz"))
    return tables(out) | {
        "corpus.parquet": pd.read_parquet(out / "corpus.parquet"),
        "corpus/*.jsonl.gz": pd.concat(pd.read_json(shard, lines=True, dtype=False) for shard in jsonl_shards),
        "corpus.jsonl": pd.read_json(out / "corpus.jsonl", lines=True, dtype=False),
    }


def rows(frame: pd.DataFrame) -> Counter[tuple[str, ...]]:
    """A table's rows as a multiset of printed cells: equal for equal tables whatever their row order."""
    return Counter(map(tuple, frame.map(repr).itertuples(index=False)))


def table_differences(
    mine: dict[str, pd.DataFrame], theirs: dict[str, pd.DataFrame], labels: tuple[str, str] = ("incremental", "rebuild")
) -> str:
    """What differs between two runs' tables, readably: columns, then the rows found in only one (sorted)."""
    report = []
    for name in sorted(mine.keys() | theirs.keys()):
        if name not in mine or name not in theirs:
            report.append(f"{name}: published by one run only")
            continue
        table, other = mine[name], theirs[name]
        if list(table.columns) != list(other.columns) or list(table.dtypes) != list(other.dtypes):
            report.append(f"{name}: columns {dict(table.dtypes)} != {dict(other.dtypes)}")
            continue
        for label, extra in zip(labels, (rows(table) - rows(other), rows(other) - rows(table))):
            for row in sorted(extra)[:5]:
                cells = ", ".join(f"{column}={cell[:120]}" for column, cell in zip(table.columns, row))
                report.append(f"{name}: only in the {label}: {cells}")
            if len(extra) > 5:
                report.append(f"{name}: ... {len(extra) - 5} more rows only in the {label}")
    return "\n".join(report)


def config_with_incumbent(folder: Path) -> Path:
    """The project's config with `incumbent` added to the canonical policy after the first two criteria, written
    into folder: the opt-in that keeps the previous run's canonical copy, which a fresh rebuild cannot know."""
    project = (REPO / "copydesk.toml").read_text(encoding="utf-8")
    policy = 'policy = ["source_rank", "earliest_published", '
    assert policy in project, "the canonical policy of copydesk.toml changed: update this helper"
    path = folder / "copydesk.toml"
    path.write_text(project.replace(policy, policy + '"incumbent", '), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def config_file() -> Path:
    """The config the rebuild comparisons run with: the project's own, whose policy depends on no earlier run."""
    return REPO / "copydesk.toml"


def run(raw: Path, out: Path, config: Path) -> None:
    """One successful copydesk run with this config."""
    assert run_cli(raw, out, "--config", str(config)) == 0


def assert_incremental_equals_rebuild(raw: Path, out: Path, config: Path, rebuilt: Path) -> None:
    """Run again on `out` (which holds an earlier run), run once on a fresh `rebuilt`, and compare every table;
    overrides in `out` are laid into `rebuilt` first, as a maintainer's file that came with the corpus."""
    run(raw, out, config)
    rebuilt.mkdir()
    if (out / OVERRIDES_NAME).is_file():
        shutil.copy(out / OVERRIDES_NAME, rebuilt / OVERRIDES_NAME)
    run(raw, rebuilt, config)
    assert manifest(rebuilt)["inputs_reused"] == 0
    differences = table_differences(published_tables(out), published_tables(rebuilt))
    assert not differences, f"the incremental run differs from a rebuild:\n{differences}"
    # the gzipped shards byte for byte: the incremental run carries the compressed lines it wrote before
    shards = [sorted((folder / "corpus").glob("*.jsonl.gz")) for folder in (out, rebuilt)]
    assert [shard.read_bytes() for shard in shards[0]] == [shard.read_bytes() for shard in shards[1]]


def bbc_stories(category: str, count: int) -> list[dict]:
    """The first `count` BBC stories of a category, each as its JSON object (id, title, text)."""
    stories = []
    with gzip.open(BBC, "rt", encoding="utf-8") as lines:
        for line in lines:
            story = json.loads(line)
            if story["category"] == category:
                stories.append(story)
                if len(stories) == count:
                    break
    return stories


def write_story(folder: Path, story: dict, extra_line: str | None = None) -> Path:
    """A scraped text dump of a BBC story: its title, its paragraphs, and `extra_line` after the second."""
    paragraphs = [paragraph for paragraph in story["text"].split("\n\n") if paragraph.strip()]
    if extra_line:
        paragraphs.insert(2, extra_line)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{story['id']}.txt"
    path.write_text("\n\n".join([story["title"], *paragraphs]) + "\n", encoding="utf-8")
    return path


def first_run(tmp_path: Path, write_inputs: Callable[[Path], None], config: Path) -> tuple[Path, Path]:
    """A raw folder the callable fills and an output folder after one run over it."""
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    write_inputs(raw)
    run(raw, out, config)
    return raw, out


def copy_seeds(raw: Path) -> None:
    """The three seeds, at the top of the raw folder."""
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)


def seeds_and_a_wire_copy(raw: Path) -> None:
    """The seeds, and another outlet's copy of seed 004 (wire/copy.txt)."""
    copy_seeds(raw)
    (raw / "wire").mkdir()
    (raw / "wire" / "copy.txt").write_text(syndicated_copy((raw / SEED_NAMES[2]).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def wire_copy_run(prefect_harness, tmp_path_factory, config_file) -> tuple[Path, Path]:
    """One run over the seeds and a wire copy of seed 004, to read only: a test that changes it works on
    `copy_run(wire_copy_run, tmp_path)`."""
    return first_run(tmp_path_factory.mktemp("wire-copy"), seeds_and_a_wire_copy, config_file)


def articles_by_path(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "articles.parquet").set_index("source_path")


def learned_lines(out: Path, site: str) -> set[str]:
    boilerplate = pd.read_parquet(out / "boilerplate.parquet")
    return set(boilerplate[boilerplate.source == site].line)


def cluster_sizes(out: Path) -> pd.Series:
    """Each paragraph's cluster size, by `<doc_id>-<para_idx>`."""
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    sizes = paragraphs.cluster_id.map(paragraphs.cluster_id.value_counts())
    return pd.Series(sizes.values, index=paragraphs.doc_id + "-" + paragraphs.para_idx.astype(str))


def canonical_doc(out: Path, starts: str) -> str:
    """The doc_id of the canonical copy of the cluster holding the paragraphs that start so."""
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    clusters = set(paragraphs[paragraphs.text.str.startswith(starts)].cluster_id)
    assert len(clusters) == 1, f"the paragraphs starting {starts!r} are in {len(clusters)} clusters"
    canonical = paragraphs[paragraphs.cluster_id.isin(clusters) & paragraphs.is_canonical]
    return canonical.doc_id.item()


@needs_bbc
def test_new_articles_in_a_site_and_a_new_outlet_copying_an_old_one(prefect_harness, tmp_path, config_file):
    stories = bbc_stories("business", 10)
    raw, out = first_run(
        tmp_path, lambda raw: [write_story(raw / "dailywire", story) for story in stories[:6]], config_file
    )
    old_id = articles_by_path(out).loc[f"dailywire/{stories[0]['id']}.txt", "doc_id"]
    assert cluster_sizes(out).filter(like=old_id).max() == 1

    for story in stories[6:]:
        write_story(raw / "dailywire", story)
    copied = dict(stories[0], text=stories[0]["text"].replace("Quarterly profits", "Profits", 1))
    write_story(raw / "eveningpost", copied)
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert manifest(out)["inputs_read"] == 5
    assert cluster_sizes(out).filter(like=old_id).min() == 2, "every paragraph of the old story gained its copy"


@needs_bbc
def test_an_incumbent_keeps_its_place_where_a_rebuild_chooses_anew(prefect_harness, tmp_path):
    project_config = config_with_incumbent(tmp_path)
    story = bbc_stories("business", 1)[0]
    raw, out = first_run(tmp_path, lambda raw: write_story(raw / "dailywire", story), project_config)
    copied = dict(story, text=story["text"].replace("Quarterly profits", "Profits", 1))
    write_story(raw / "eveningpost", copied)
    run(raw, out, project_config)
    run(raw, tmp_path / "rebuilt", project_config)

    articles = articles_by_path(out)
    old_id, new_id = (articles.loc[f"{site}/{story['id']}.txt", "doc_id"] for site in ("dailywire", "eveningpost"))
    # Both copies tie on every criterion but `incumbent`; a rebuild falls through to the smaller doc_id.
    assert new_id < old_id, "the copy's doc_id must sort first for a rebuild to choose it: rename its folder"
    opening = "The firm, which is now one of the biggest investors"
    assert canonical_doc(out, opening) == old_id, "the incremental run keeps the previous run's canonical copy"
    assert canonical_doc(tmp_path / "rebuilt", opening) == new_id


def test_a_changed_input_moves_its_copies_to_another_article(wire_copy_run, tmp_path, config_file):
    raw, out = copy_run(wire_copy_run, tmp_path)
    articles = articles_by_path(out)
    seed_004, seed_000 = articles.loc[SEED_NAMES[2], "doc_id"], articles.loc[SEED_NAMES[0], "doc_id"]
    assert articles.loc["wire/copy.txt", "duplicate_of"] == seed_004
    assert cluster_sizes(out).filter(like=seed_000).max() == 1

    (raw / "wire" / "copy.txt").write_text(reworded_copy((raw / SEED_NAMES[0]).read_text(encoding="utf-8")))
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert articles_by_path(out).loc["wire/copy.txt", "duplicate_of"] == seed_000
    sizes = cluster_sizes(out)
    assert sizes.filter(like=seed_004).max() == 1, "seed 004 lost its copy"
    assert sizes.filter(like=seed_000).max() == 2, "seed 000 gained one"


def test_a_deleted_original_leaves_its_copy_canonical(wire_copy_run, tmp_path, config_file):
    raw, out = copy_run(wire_copy_run, tmp_path)
    copy = articles_by_path(out).loc["wire/copy.txt"]
    assert pd.notna(copy.duplicate_of)
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    assert not paragraphs[paragraphs.doc_id == copy.doc_id].is_canonical.all()

    (raw / SEED_NAMES[2]).unlink()
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert pd.isna(articles_by_path(out).loc["wire/copy.txt", "duplicate_of"])
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    assert paragraphs[paragraphs.doc_id == copy.doc_id].is_canonical.all()


@needs_bbc
def test_a_new_article_makes_a_line_its_sites_boilerplate_and_older_articles_lose_it(
    prefect_harness, tmp_path, config_file
):
    stories = bbc_stories("politics", 10)

    def nine_stories_two_signed(raw: Path) -> None:
        for index, story in enumerate(stories[:9]):
            write_story(raw / "dailywire", story, SIGN_OFF if index < 2 else None)

    raw, out = first_run(tmp_path, nine_stories_two_signed, config_file)
    assert SIGN_OFF not in learned_lines(out, "dailywire")
    assert articles_by_path(out).text.str.contains(SIGN_OFF).sum() == 2

    write_story(raw / "dailywire", stories[9], SIGN_OFF)
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert SIGN_OFF in learned_lines(out, "dailywire")
    assert not articles_by_path(out).text.str.contains(SIGN_OFF).any()
    removed = pd.read_parquet(out / "removed.parquet")
    assert (removed[removed.text == SIGN_OFF].reason == "learned:dailywire").sum() == 3


@needs_bbc
def test_a_deletion_makes_a_line_stop_being_boilerplate_and_older_articles_keep_it(
    prefect_harness, tmp_path, config_file
):
    stories = bbc_stories("politics", 10)

    def ten_stories_three_signed(raw: Path) -> None:
        for index, story in enumerate(stories):
            write_story(raw / "dailywire", story, SIGN_OFF if index < 3 else None)

    raw, out = first_run(tmp_path, ten_stories_three_signed, config_file)
    assert SIGN_OFF in learned_lines(out, "dailywire")
    assert not articles_by_path(out).text.str.contains(SIGN_OFF).any()

    (raw / "dailywire" / f"{stories[0]['id']}.txt").unlink()
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert SIGN_OFF not in learned_lines(out, "dailywire")
    assert articles_by_path(out).text.str.contains(SIGN_OFF).sum() == 2


def goverment_stories() -> tuple[list[dict], list[dict]]:
    """Two politics stories that print "goverment" once each, and nine others that spell it right."""
    misspelt = [
        dict(story, text=story["text"].replace("government", "goverment", 1))
        for story in bbc_stories("politics", 3)[1:]
    ]
    return misspelt, bbc_stories("politics", 12)[3:]


def write_stories(raw: Path, stories: list[dict]) -> None:
    """The stories as one site's articles (dailywire)."""
    for story in stories:
        write_story(raw / "dailywire", story)


@needs_bbc
def test_a_new_article_makes_a_rare_spelling_common_and_its_correction_is_undone(
    prefect_harness, tmp_path, config_file
):
    misspelt, others = goverment_stories()
    raw, out = first_run(tmp_path, lambda raw: write_stories(raw, [misspelt[0], *others]), config_file)
    corrections = pd.read_parquet(out / "corrections.parquet")
    assert ("goverment", "government") in set(zip(corrections.original, corrections.corrected)), "rare: a typo"

    write_story(raw / "dailywire", misspelt[1])
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert "goverment" not in set(pd.read_parquet(out / "corrections.parquet").original), "printed twice: a word"
    assert articles_by_path(out).text.str.contains("goverment").sum() == 2


@needs_bbc
def test_a_deleted_article_makes_a_spelling_rare_again_and_its_correction_returns(
    prefect_harness, tmp_path, config_file
):
    misspelt, others = goverment_stories()
    raw, out = first_run(tmp_path, lambda raw: write_stories(raw, misspelt + others), config_file)
    assert "goverment" not in set(pd.read_parquet(out / "corrections.parquet").original), "printed twice: a word"

    (raw / "dailywire" / f"{misspelt[1]['id']}.txt").unlink()
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    corrections = pd.read_parquet(out / "corrections.parquet")
    assert ("goverment", "government") in set(zip(corrections.original, corrections.corrected)), "rare again: a typo"


@needs_bbc
def test_a_new_copy_exposes_a_typo_and_the_pairs_of_copies_are_kept(prefect_harness, tmp_path, config_file):
    stories = bbc_stories("business", 12)
    story = next(story for story in stories if "companies" in story["text"])
    others = [other for other in stories if other is not story][:6]
    misspelt = dict(story, text=story["text"].replace("companies", "kompanys", 1))

    raw, out = first_run(tmp_path, lambda raw: write_stories(raw, [misspelt, *others]), config_file)
    alignments = out / ".current" / "state" / "vocabulary" / "alignments.parquet"
    assert "kompanys" not in set(pd.read_parquet(out / "corrections.parquet").original), "three edits: no copy, no fix"
    assert len(pd.read_parquet(alignments)) == 0

    write_story(raw / "eveningpost", story)
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    corrections = pd.read_parquet(out / "corrections.parquet")
    assert ("kompanys", "companies") in set(zip(corrections.original, corrections.corrected)), "a copy prints it right"
    assert len(pd.read_parquet(alignments)) > 0, "the pairs of copies are kept for the next run"


def test_a_new_copy_from_a_preferred_source_takes_the_canonical_place(wire_copy_run, tmp_path, config_file):
    raw, out = copy_run(wire_copy_run, tmp_path)
    opening = "The second meeting between North Korea"
    seed_004 = articles_by_path(out).loc[SEED_NAMES[2], "doc_id"]
    assert canonical_doc(out, opening) == seed_004

    (raw / "agency").mkdir()
    seed = (raw / SEED_NAMES[2]).read_text(encoding="utf-8")
    (raw / "agency" / "reuters.txt").write_text("Source: Reuters\n\n" + syndicated_copy(seed), encoding="utf-8")
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    articles = articles_by_path(out)
    assert articles.loc["agency/reuters.txt", "source"] == "Reuters"
    assert canonical_doc(out, opening) == articles.loc["agency/reuters.txt", "doc_id"]
    assert manifest(out)["canonical_changes"] > 0


def test_a_maintainers_override_added_between_runs(seeds_run, tmp_path, config_file):
    raw, out = copy_run(seeds_run, tmp_path)
    typo, furniture = "denculearization", "• Breaking News"
    assert typo in set(pd.read_parquet(out / "corrections.parquet").original)
    assert furniture in set(pd.read_parquet(out / "removed.parquet").text)

    decisions = [Override("reject_correction", (typo,)), Override("keep_line", (line_fingerprint(furniture),))]
    write_overrides(out / OVERRIDES_NAME, decisions)
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert typo not in set(pd.read_parquet(out / "corrections.parquet").original)
    assert furniture not in set(pd.read_parquet(out / "removed.parquet").text)
    assert articles_by_path(out).loc[SEED_NAMES[1], "text"].startswith(furniture)
    assert sorted(manifest(out)["overrides"]["applied"]) == sorted(decision.id for decision in decisions)


def test_an_untouched_cluster_is_carried_over_while_a_new_copy_joins_another(wire_copy_run, tmp_path, config_file):
    raw, out = copy_run(wire_copy_run, tmp_path)
    seed_000 = articles_by_path(out).loc[SEED_NAMES[0], "doc_id"]
    assert cluster_sizes(out).filter(like=seed_000).max() == 1
    assert manifest(out)["components"]["carried"] == 0

    (raw / "third").mkdir()
    (raw / "third" / "copy.txt").write_text(reworded_copy((raw / SEED_NAMES[0]).read_text(encoding="utf-8")))
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert cluster_sizes(out).filter(like=seed_000).max() == 2, "seed 000's paragraphs gained their copies"
    carried = manifest(out)["components"]
    assert carried["carried"] > 0 and carried["clustered"] > 0, "seed 004 and its wire copy kept their clusters"
    assert manifest(tmp_path / "rebuilt")["components"]["carried"] == 0


def test_a_new_article_flips_an_old_articles_correction_and_its_deletion_flips_it_back(
    seeds_run, tmp_path, config_file
):
    raw, out = copy_run(seeds_run, tmp_path)
    typo = "denculearization"
    assert typo in set(pd.read_parquet(out / "corrections.parquet").original)

    (raw / "analysis").mkdir()
    analysis = raw / "analysis" / "typo.txt"
    analysis.write_text(
        f"Analysts doubt the talks\n\nThe promise of {typo} was never on the table.\n", encoding="utf-8"
    )
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert typo not in set(pd.read_parquet(out / "corrections.parquet").original), "printed twice: a word"
    assert articles_by_path(out).loc[SEED_NAMES[0], "text"].count(typo) == 1, "seed 000 is not fixed any more"

    analysis.unlink()
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt-again")
    assert typo in set(pd.read_parquet(out / "corrections.parquet").original), "rare again: seed 000 is fixed again"


def test_a_config_change_applies_the_spelling_to_every_article_again(seeds_run, tmp_path, config_file):
    raw, out = copy_run(seeds_run, tmp_path)
    assert "denculearization" in set(pd.read_parquet(out / "corrections.parquet").original)
    longer = tmp_path / "copydesk.toml"
    longer.write_text(config_file.read_text(encoding="utf-8").replace("min_word_length = 5", "min_word_length = 17"))
    assert longer.read_text(encoding="utf-8") != config_file.read_text(encoding="utf-8")

    assert_incremental_equals_rebuild(raw, out, longer, tmp_path / "rebuilt")
    assert "denculearization" not in set(pd.read_parquet(out / "corrections.parquet").original), "16 letters: too short"


def test_a_state_without_the_stored_spelling_applies_it_to_every_article_again(wire_copy_run, tmp_path, config_file):
    raw, out = copy_run(wire_copy_run, tmp_path)
    state = out / ".current" / "state"
    for name in ("spelled.parquet", "decisions.parquet"):
        (state / name).unlink()

    (raw / "third").mkdir()
    (raw / "third" / "copy.txt").write_text(reworded_copy((raw / SEED_NAMES[0]).read_text(encoding="utf-8")))
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert "denculearization" in set(pd.read_parquet(out / "corrections.parquet").original)
    assert (out / ".current" / "state" / "spelled.parquet").is_file()


def test_a_state_without_line_keys_gets_them_from_its_shards_lines(wire_copy_run, tmp_path, config_file):
    """A state written before the read tasks wrote line keys beside the shards: the articles taken back and those
    carried are keyed from the shards' lines, and the next state has every shard's line keys."""
    raw, out = copy_run(wire_copy_run, tmp_path)
    prepared = out / ".current" / "state" / "prepared"
    shutil.rmtree(prepared / "line_keys")

    (raw / SEED_NAMES[1]).unlink()
    (raw / "third").mkdir()
    (raw / "third" / "copy.txt").write_text(reworded_copy((raw / SEED_NAMES[0]).read_text(encoding="utf-8")))
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    prepared = out / ".current" / "state" / "prepared"
    shards = sorted(path.name for path in prepared.glob("*.parquet"))
    assert len(shards) == 2 and sorted(path.name for path in (prepared / "line_keys").glob("*.parquet")) == shards
    stories = pd.read_parquet(out / ".current" / "state" / "line_stories.parquet")
    rebuilt = pd.read_parquet(tmp_path / "rebuilt" / ".current" / "state" / "line_stories.parquet")
    assert rows(stories) == rows(rebuilt)
    counts = [stored_counts(load_line_counts(run / ".current" / "state")) for run in (out, tmp_path / "rebuilt")]
    assert rows(counts[0].to_pandas()) == rows(counts[1].to_pandas())


def unkeyed_state(out: Path) -> None:
    """Make a run's state one of version 7: its finished parts without the paragraphs' keys."""
    folder = out / ".current" / "state" / finished.FINISHED_FOLDER
    for path in part_paths(folder):
        table = map_arrow(path).drop_columns([name for name, _ in finished.PARAGRAPH_KEYS])
        path.unlink()  # a copy's file: the run it was copied from keeps its own
        write_arrow(table.to_batches(), table.schema, path)
    manifest_file = (out / "manifest.json").resolve()
    written = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest_file.write_text(json.dumps(written | {"state_version": 7}), encoding="utf-8")


def test_a_state_without_paragraph_keys_has_them_worked_out_once_and_equals_a_rebuild(
    wire_copy_run, tmp_path, config_file
):
    """A state written before the finished parts carried each paragraph's keys (version 7): the keys of the articles
    carried are worked out as the parts are read, every part is written anew with them, and the keys the next state
    holds are those hashed from the paragraphs' texts."""
    raw, out = copy_run(wire_copy_run, tmp_path)
    unkeyed_state(out)
    assert finished.load_finished(out / ".current" / "state").parts.older

    (raw / SEED_NAMES[1]).unlink()
    (raw / "third").mkdir()
    (raw / "third" / "copy.txt").write_text(reworded_copy((raw / SEED_NAMES[0]).read_text(encoding="utf-8")))
    assert_incremental_equals_rebuild(raw, out, config_file, tmp_path / "rebuilt")
    assert manifest(out)["inputs_reused"] > 0 and manifest(out)["state_version"] == STATE_VERSION
    stored = finished.load_finished(out / ".current" / "state")
    assert not stored.parts.older and stored.table.num_rows
    keys = finished.paragraph_keys(stored.table)
    texts = ColumnTexts(pc.list_flatten(stored.table["paragraphs"]))
    assert keys.match.tolist() == text_sip_keys(texts).tolist()
    assert keys.digests.tolist() == text_digests(texts).tolist()
