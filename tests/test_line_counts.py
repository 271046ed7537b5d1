"""Stored line counts: updating them for the articles that came, went or changed decides the same boilerplate,
with the same counts and examples, as counting every article afresh; the counts go from DuckDB to their file."""

from __future__ import annotations

import os
import random
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleaners.article import prepare_article
from cleaners.boilerplate import article_line_keys, learn_boilerplate
from cleaners.metadata import ArticleMetadata
from cleaners.rules import CleaningRules
from flows.runtime import memory
from flows.stages.line_keys import ensure_line_keys, previous_keys, write_line_keys
from flows.stages.prepared import RunArticles, carry_shards
from flows.stages.records import PreparedInput, RawArticle
from flows.stages.shards import line_keys_path, shard_name, write_shard
from flows.state import line_counts
from flows.state.line_counts import (
    CHANGES_FOLDER,
    COUNTS,
    COUNTS_FILE,
    STORIES,
    STORIES_FILE,
    Learning,
    LineCounts,
    key_hashes,
    learn_incrementally,
    load_line_counts,
    stored_counts,
)

RULES = CleaningRules()
TOPICS = "pier lighthouse ferry marina lifeboat dredging quay slipway breakwater customs tides regatta".split()


def key_hash(key: str) -> int:
    """A line key as the stored counts key it."""
    return key_hashes(pa.array([key], pa.string()))[0].as_py()


def article(path: str, lines: list[str], site: str = "harbour") -> PreparedInput:
    """A prepared article read from `path` (one article a file)."""
    raw = RawArticle(path, path, None, "txt", "", ArticleMetadata(), content_hash=path)
    return PreparedInput(raw, prepare_article("\n".join(lines), RULES), site)


def story(number: int, furniture: list[str]) -> list[str]:
    """A story of its own (two long prose lines) among the site's furniture lines."""
    topic = TOPICS[number % len(TOPICS)]
    return [
        *furniture,
        f"The council voted on Tuesday to spend more on the {topic} than it had planned in the spring, story {number}.",
        f"Residents said the {topic} had been neglected for years and welcomed the decision at the meeting.",
    ]


def shard_of(items: list[PreparedInput], folder: Path) -> Path:
    """The articles written as the next shard in `folder`, with their line keys, as the read task writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    shard = folder / shard_name(len(list(folder.glob("*.parquet"))))
    write_shard(items, shard)
    write_line_keys(items, shard, RULES.boilerplate, RULES.bullet_chars)
    return shard


def in_one_shard(items: list[PreparedInput], folder: Path) -> RunArticles:
    """The articles as a run's articles, all in one shard in their order."""
    names = [(item.raw.source_path, item.raw.doc_id) for item in items]
    return RunArticles([shard_of(items, folder)], names, [(0, row) for row in range(len(items))])


@dataclass
class Learned:
    """A run's learning and the line counts it stored."""

    learning: Learning
    line_counts: LineCounts

    @property
    def boilerplate(self):
        return self.learning.boilerplate

    @property
    def changed(self):
        return self.learning.changed


def state_folder(folder: Path) -> Path:
    """A new state folder under `folder` (a run never writes over the counts it reads)."""
    (folder / "state").mkdir(parents=True, exist_ok=True)
    state = folder / "state" / str(len(list((folder / "state").iterdir())))
    state.mkdir()
    return state


def learn(
    folder: Path, items: list[PreparedInput], previous=None, counted=None, reread=None, without_keys=False, spill=None
):
    """Learn over `items`, updating `previous` (counts of the articles `counted`, in the previous run's shard, with
    no line keys if `without_keys`) for the inputs in `reread`; DuckDB spilling into `spill`, when given."""
    reread = [item.raw.source_path for item in items] if reread is None else reread
    previous_shards = [shard_of(counted, folder / "previous")] if counted else []
    if without_keys:
        line_keys_path(previous_shards[0]).unlink()
    articles = in_one_shard(items, folder / "now")
    state = state_folder(folder)
    learning = learn_incrementally(
        articles,
        previous or LineCounts(),
        previous_shards,
        reread,
        RULES.boilerplate,
        RULES.bullet_chars,
        state,
        spill=spill,
    )
    return Learned(learning, load_line_counts(state))


def columns(schema: pa.Schema) -> list[tuple[str, pa.DataType]]:
    return [(column.name, column.type) for column in schema]


def counted_rows(learned: Learned) -> Counter:
    """The stored counts (the file's and its parts of changes) as a multiset of rows: their order is DuckDB's."""
    return Counter(map(tuple, map(dict.values, stored_counts(learned.line_counts).to_pylist())))


def assert_as_if_counted_afresh(folder: Path, updated, items: list[PreparedInput]) -> None:
    fresh = learn(folder / "fresh", items)
    assert updated.boilerplate == fresh.boilerplate
    assert updated.boilerplate == learn_boilerplate(
        ((item.source, item.prepared.lines) for item in items), RULES.boilerplate, RULES.bullet_chars
    )
    assert counted_rows(updated) == counted_rows(fresh)


def test_deleting_the_copy_a_story_counted_with_counts_the_next_copy_and_its_lines(tmp_path):
    first = article("a/1.txt", story(1, ["Tide tables inside", "Updated 9:00"]))
    copy = article("a/2.txt", story(1, ["Harbour Gazette print edition"]))
    others = [article(f"a/{n}.txt", story(n, ["Harbour Gazette print edition"])) for n in range(3, 5)]
    before = learn(tmp_path / "run", [first, copy, *others])
    assert "harbour gazette print edition" not in before.boilerplate.get("harbour", {}), "2 stories of 3"
    after = learn(tmp_path / "run", [copy, *others], before.line_counts, [first, copy, *others], reread=[])
    assert set(after.boilerplate["harbour"]) == {"harbour gazette print edition"}
    assert after.changed == {"harbour": {"harbour gazette print edition"}}
    assert_as_if_counted_afresh(tmp_path / "check", after, [copy, *others])


def test_a_line_whose_example_article_went_takes_its_example_from_the_next_article(tmp_path):
    items = [
        article(f"a/{n}.txt", story(n, ["• SHARE this story" if n == 0 else "Share this story"])) for n in range(5)
    ]
    before = learn(tmp_path / "run", items)
    assert before.boilerplate["harbour"]["share this story"].example == "• SHARE this story"
    after = learn(tmp_path / "run", items[1:], before.line_counts, items, reread=[])
    assert after.boilerplate["harbour"]["share this story"].example == "Share this story"
    assert_as_if_counted_afresh(tmp_path / "check", after, items[1:])


def test_a_count_below_min_articles_keeps_no_line_until_it_reaches_it_then_takes_its_first_articles(tmp_path):
    """The example's line is stored from min_articles stories on: a count that gets there later has it fetched from
    its example article, the key's first line there, as counting afresh takes it."""
    first = article("a/0.txt", story(0, ["• SIGN in here", "Sign in HERE"]))
    items = [first, article("a/1.txt", story(1, ["Sign in here"]))]
    before = learn(tmp_path / "run", items)
    rows = pq.read_table(before.line_counts.counts).to_pylist()
    assert [row["example"] for row in rows if row["key"] == key_hash("sign in here")] == [None]
    assert {row["example"] for row in rows} == {None}, "every line is in fewer than min_articles stories"
    more = [article(f"a/{n}.txt", story(n, ["Sign in here"])) for n in range(2, 5)]
    after = learn(
        tmp_path / "run", [*items, *more], before.line_counts, items, reread=[item.raw.source_path for item in more]
    )
    assert after.boilerplate["harbour"]["sign in here"].example == "• SIGN in here"
    assert_as_if_counted_afresh(tmp_path / "check", after, [*items, *more])


@pytest.mark.parametrize("changed_share", [line_counts.CHANGED_SHARE, 100.0], ids=["default", "parts-kept"])
def test_any_mix_of_new_deleted_and_changed_inputs_gives_the_counts_of_a_fresh_count(
    tmp_path, monkeypatch, changed_share
):
    """Also with every run's changes kept as parts (gone counts, counts changed in several runs, lines becoming
    boilerplate or no longer boilerplate), read back as the latest row of each."""
    monkeypatch.setattr(line_counts, "CHANGED_SHARE", changed_share)
    chance = random.Random(14)
    furniture = ["Harbour Gazette print edition", "Share this story", "Tide tables inside", "Sign in", "Weather: 12C"]

    def version(n: int, edition: int) -> PreparedInput:
        lines = chance.sample(furniture, chance.randint(0, 3))
        return article(f"{'ab'[n % 2]}/{n:02}.txt", story(n // 3 + edition, lines), site="ab"[n % 3 == 0])

    current = {n: version(n, 0) for n in range(30)}
    learning = learn(tmp_path / "run", sorted(current.values(), key=lambda item: item.raw.source_path))
    for edition in range(1, 6):
        previous = dict(current)
        for n in chance.sample(range(40), 8):
            if n in current and chance.random() < 0.5:
                del current[n]
            else:
                current[n] = version(n, edition)
        changed = [item.raw.source_path for n, item in current.items() if previous.get(n) is not item]
        items = sorted(current.values(), key=lambda item: item.raw.source_path)
        learning = learn(tmp_path / "run", items, learning.line_counts, list(previous.values()), reread=changed)
        assert_as_if_counted_afresh(tmp_path / "check", learning, items)


def test_a_run_links_the_stored_counts_and_writes_only_the_counts_it_changed(tmp_path, monkeypatch):
    """Issue 14: the new articles' lines are the only counts written (one of them becoming boilerplate); the counts
    file is the previous run's, linked (until the changes reach CHANGED_SHARE of it: here a few counts are many)."""
    monkeypatch.setattr(line_counts, "CHANGED_SHARE", 1.0)
    furniture = ["Harbour Gazette print edition", "Share this story"]
    items = [article(f"a/{n:02}.txt", story(n, [furniture[n % 2], f"Updated {n}:00"])) for n in range(40)]
    before = learn(tmp_path / "run", items)
    assert "sign up for the ferry newsletter" not in before.boilerplate["harbour"]
    new = [article(f"a/{n:02}.txt", story(n, ["Sign up for the ferry newsletter"])) for n in range(40, 60)]
    after = learn(tmp_path / "run", [*items, *new], before.line_counts, items, reread=[i.raw.source_path for i in new])
    assert "sign up for the ferry newsletter" in after.boilerplate["harbour"]
    assert os.path.samefile(after.line_counts.counts, before.line_counts.counts)
    (part,) = after.line_counts.changes
    was, now = (by_count(learned) for learned in (before, after))
    written = [(row["site"], row["key"]) for row in pq.read_table(part).to_pylist()]
    # in (site, key) order, so the part's bytes do not vary from run to run
    assert written == sorted(count for count in was.keys() | now.keys() if was.get(count) != now.get(count))
    assert ("harbour", key_hash("share this story")) not in written
    assert ("harbour", key_hash("updated 0:0")) not in written
    assert_as_if_counted_afresh(tmp_path / "check", after, [*items, *new])


def test_counts_are_keyed_by_a_hash_of_the_line_key_and_keep_only_the_examples_boilerplate_is_decided_from(tmp_path):
    """A count's key is its line key's 64-bit hash, not its text; a line is stored only as a count's example."""
    items = [article(f"a/{n:02}.txt", story(n, ["Share this story", f"Updated {n}:00"])) for n in range(20)]
    learned = learn(tmp_path / "run", items)
    counts = pq.read_table(learned.line_counts.counts)
    assert counts.schema.field("key").type == pa.int64()
    every_key = {key for item in items for key in article_line_keys(item.prepared.lines, RULES.bullet_chars)}
    assert sorted(counts["key"].to_pylist()) == sorted(map(key_hash, every_key))
    assert {example for example in counts["example"].to_pylist() if example} == {"Share this story", "Updated 0:00"}


def keyed_by_text(learned: Learned, items: list[PreparedInput], state: Path) -> LineCounts:
    """The counts `learned` stored, written into `state` as an older copydesk stored them: keyed by the text."""
    every_key = {key for item in items for key in article_line_keys(item.prepared.lines, RULES.bullet_chars)}
    text_of = {key_hash(key): key for key in every_key}
    counts = pq.read_table(learned.line_counts.counts)
    texts = pa.array([text_of[hashed] for hashed in counts["key"].to_pylist()], pa.string())
    state.mkdir(parents=True)
    pq.write_table(counts.set_column(1, pa.field("key", pa.string()), texts), state / COUNTS_FILE)
    pq.write_table(learned.line_counts.stories, state / STORIES_FILE)
    return load_line_counts(state)


def test_counts_an_older_copydesk_keyed_by_text_are_read_and_written_again_keyed_by_hash(tmp_path, monkeypatch):
    """A state of before the keys were hashed: its counts and learned lines are read (a line learned then stays
    learned, not changed), and the run writes every count again, keyed by hash, with no part of changes."""
    monkeypatch.setattr(line_counts, "CHANGED_SHARE", 1.0)
    furniture = ["Harbour Gazette print edition", "Share this story"]
    items = [article(f"a/{n:02}.txt", story(n, [furniture[n % 2], f"Updated {n}:00"])) for n in range(40)]
    old = keyed_by_text(learn(tmp_path / "run", items), items, tmp_path / "old" / "state")
    assert old.keyed_by_text and "share this story" in learn(tmp_path / "again", items).boilerplate["harbour"]
    new = [article(f"a/{n:02}.txt", story(n, ["Sign up for the ferry newsletter"])) for n in range(40, 60)]
    after = learn(tmp_path / "run", [*items, *new], old, items, reread=[i.raw.source_path for i in new])
    assert after.changed == {"harbour": {"sign up for the ferry newsletter"}}
    assert not after.line_counts.keyed_by_text and not after.line_counts.changes
    assert pq.read_schema(after.line_counts.counts).field("key").type == pa.int64()
    assert_as_if_counted_afresh(tmp_path / "check", after, [*items, *new])


def test_a_run_reads_the_line_keys_only_of_the_shards_holding_the_articles_it_counts(tmp_path, monkeypatch):
    """Issue 14: new articles in a shard of their own are counted (and their examples fetched) from that shard's
    line keys alone; the stored articles' shards are not read for their keys."""
    monkeypatch.setattr(line_counts, "CHANGED_SHARE", 1.0)
    items = [article(f"a/{n:02}.txt", story(n, ["Share this story", f"Updated {n}:00"])) for n in range(30)]
    before = learn(tmp_path / "run", items)
    own_story = "Nobody else wrote story {} about the harbour master's retirement, told here at some length."
    new = [article(f"a/{n:02}.txt", ["Sign up for the ferry newsletter", own_story.format(n)]) for n in range(30, 50)]
    shards = [shard_of(items, tmp_path / "now"), shard_of(new, tmp_path / "now")]
    places = [(0, row) for row in range(len(items))] + [(1, row) for row in range(len(new))]
    names = [(item.raw.source_path, item.raw.doc_id) for item in [*items, *new]]
    read: dict[str, set[int]] = {}
    register = RunArticles.register

    def recording(self, db, name="articles", positions=None):
        read[name] = {
            self.places[position][0] for position in (range(len(self.places)) if positions is None else positions)
        }
        register(self, db, name, positions)

    monkeypatch.setattr(RunArticles, "register", recording)
    reread = [item.raw.source_path for item in new]
    learning = learn_incrementally(
        RunArticles(shards, names, places),
        before.line_counts,
        [],
        reread,
        RULES.boilerplate,
        RULES.bullet_chars,
        state_folder(tmp_path / "run"),
    )
    assert read == {"articles": {0, 1}, "touched_articles": {1}, "example_articles": {1}}
    assert learning.changed == {"harbour": {"sign up for the ferry newsletter"}}
    assert learning.boilerplate == learn_boilerplate(
        ((item.source, item.prepared.lines) for item in [*items, *new]), RULES.boilerplate, RULES.bullet_chars
    )


def test_a_run_that_takes_no_article_back_reads_no_previous_shard(tmp_path):
    """Only new articles: the previous run's shards are not opened for line keys to take back."""
    assert previous_keys([tmp_path / "gone.parquet"], [], RULES.boilerplate, RULES.bullet_chars).num_rows == 0


def by_count(learned: Learned) -> dict[tuple[str, str], dict]:
    """The stored counts by (site, key)."""
    return {(row["site"], row["key"]): row for row in stored_counts(learned.line_counts).to_pylist()}


def test_counts_are_written_whole_once_their_changes_reach_their_share(tmp_path, monkeypatch):
    items = [article(f"a/{n:02}.txt", story(n, ["Share this story", f"Updated {n}:00"])) for n in range(20)]
    before = learn(tmp_path / "run", items)
    monkeypatch.setattr(line_counts, "CHANGED_SHARE", 0.0)
    after = learn(tmp_path / "run", items[1:], before.line_counts, items, reread=[])
    assert not after.line_counts.changes and not (after.line_counts.counts.parent / CHANGES_FOLDER).exists()
    assert not os.path.samefile(after.line_counts.counts, before.line_counts.counts)
    assert after.line_counts.counts.name == COUNTS_FILE
    assert_as_if_counted_afresh(tmp_path / "check", after, items[1:])


def test_articles_taken_back_from_a_shard_without_line_keys_are_taken_back_from_its_lines(tmp_path):
    """A state written before the read tasks wrote line keys: the lines of the articles taken back are keyed."""
    items = [article(f"a/{n}.txt", story(n, ["Share this story", f"Updated {n}:00"])) for n in range(6)]
    before = learn(tmp_path / "run", items)
    kept, changed = items[2:], [article("a/1.txt", story(9, ["Sign in"]))]
    with_keys = learn(tmp_path / "with", [changed[0], *kept], before.line_counts, items, reread=["a/1.txt"])
    without = learn(
        tmp_path / "without", [changed[0], *kept], before.line_counts, items, reread=["a/1.txt"], without_keys=True
    )
    assert counted_rows(without) == counted_rows(with_keys)
    assert without.line_counts.stories.equals(with_keys.line_counts.stories)
    assert_as_if_counted_afresh(tmp_path / "check", without, [changed[0], *kept])


def test_carried_shards_bring_their_line_keys_or_get_them_computed(tmp_path):
    """A shard carried whole links its line keys; one carried without an input keeps the other inputs' keys; one
    of an older state, without keys, gets them computed from its lines: all as the read task writes them."""
    first = [article(f"a/{n}.txt", story(n, ["Share this story"])) for n in range(3)]
    second = [article(f"b/{n}.txt", story(n, ["Sign in"]), site="b") for n in range(3)]
    third = [article(f"c/{n}.txt", story(n, ["Weather: 12C"]), site="c") for n in range(2)]
    previous = [shard_of(items, tmp_path / "previous") for items in (first, second, third)]
    line_keys_path(previous[2]).unlink()
    kept = pa.array([item.raw.source_path for item in [*first, *second[1:], *third]])
    (tmp_path / "work").mkdir()
    carried = carry_shards(previous, kept, tmp_path / "work", RULES.boilerplate, RULES.bullet_chars)
    assert line_keys_path(carried[0]).stat().st_ino == line_keys_path(previous[0]).stat().st_ino
    expected = [shard_of(items, tmp_path / "expected") for items in (first, second[1:], third)]
    for shard, wanted in zip(carried, expected, strict=True):
        assert pq.read_table(line_keys_path(shard)).equals(pq.read_table(line_keys_path(wanted)))
    ensure_line_keys(carried[2], RULES.boilerplate, RULES.bullet_chars)
    assert pq.read_table(line_keys_path(carried[2])).equals(pq.read_table(line_keys_path(expected[2])))


def test_carried_shards_keep_each_shards_own_inputs_when_looked_up_together(tmp_path):
    """The inputs of every shard are looked up at once: a shard all of whose inputs went is left out, and each
    shard after it keeps its own kept rows, not its neighbour's."""
    first = [article(f"a/{n}.txt", story(n, ["Share this story"])) for n in range(2)]
    second = [article(f"b/{n}.txt", story(n, ["Sign in"]), site="b") for n in range(3)]
    third = [article(f"c/{n}.txt", story(n, ["Weather: 12C"]), site="c") for n in range(4)]
    previous = [shard_of(items, tmp_path / "previous") for items in (first, second, third)]
    kept = pa.array([item.raw.source_path for item in [*first, third[0], third[3]]])
    (tmp_path / "work").mkdir()
    carried = carry_shards(previous, kept, tmp_path / "work", RULES.boilerplate, RULES.bullet_chars)
    sources = [pq.read_table(shard, columns=["source_path"])["source_path"].to_pylist() for shard in carried]
    assert sources == [["a/0.txt", "a/1.txt"], ["c/0.txt", "c/3.txt"]]
    assert carried[0].stat().st_ino == previous[0].stat().st_ino


def test_counts_are_stored_with_the_states_columns_and_never_held_in_arrow(tmp_path):
    """The counts go from DuckDB to their file: the stage's caller holds none of their text in Arrow."""
    wards = ["".join("abcdefghij"[int(digit)] for digit in f"{n:03}") for n in range(300)]
    letters = [f"Letters from the {ward} ward were read aloud before the council voted on the plan." for ward in wards]
    items = [article(f"a/{n:03}.txt", [*story(n, ["Share this story"]), letters[n // 3]]) for n in range(300)]
    articles = in_one_shard(items, tmp_path / "now")
    state = state_folder(tmp_path)
    before = pa.total_allocated_bytes()
    learning = learn_incrementally(articles, LineCounts(), [], [], RULES.boilerplate, RULES.bullet_chars, state)
    held = pa.total_allocated_bytes() - before
    stored = load_line_counts(state)
    counts = pq.read_table(stored.counts)
    assert columns(counts.schema) == columns(COUNTS) and columns(stored.stories.schema) == columns(STORIES)
    assert set(letters[:100]) <= set(counts["example"].to_pylist()) and held < counts.nbytes / 10, (held, counts.nbytes)
    assert set(learning.boilerplate["harbour"]) == {"share this story"}


def test_counting_in_a_small_memory_limit_gives_the_counts_of_the_default_limit(tmp_path, monkeypatch):
    """DuckDB bounded to a few megabytes and spilling into the work folder: the same counts, examples and stories."""
    items = [article(f"a/{n:03}.txt", story(n, ["Share this story", f"Updated {n % 7}:00"])) for n in range(300)]
    in_default = learn(tmp_path / "default", items)
    monkeypatch.setattr(memory, "DUCKDB_MEMORY_BYTES", 24 * 10**6)
    bounded = learn(tmp_path / "bounded", items, spill=tmp_path / "spill")
    assert counted_rows(bounded) == counted_rows(in_default)
    assert bounded.line_counts.stories.equals(in_default.line_counts.stories)
    assert bounded.boilerplate == in_default.boilerplate


def test_a_full_count_holds_its_counts_in_one_table(tmp_path, monkeypatch):
    """Counting every article afresh keeps a single DuckDB table of a row per count (a corpus's keys held once, not
    copied from table to table into the memory limit and its spill folder)."""
    held_tables: list[tuple[str, int]] = []
    bounded_duckdb = line_counts.bounded_duckdb

    @contextmanager
    def recording_tables(spill=None, memory_bytes=None):
        with bounded_duckdb(spill, memory_bytes) as db:
            yield db
            held_tables.extend(
                db.sql("SELECT table_name, estimated_size FROM duckdb_tables() WHERE temporary").fetchall()
            )

    monkeypatch.setattr(line_counts, "bounded_duckdb", recording_tables)
    names = ["".join("abcdefghij"[int(digit)] for digit in f"{n:03}") for n in range(300)]
    items = [
        article(f"a/{n:03}.txt", ["Share this story", *(f"The {name} ward met, part {part}." for part in "xyz")])
        for n, name in enumerate(names)
    ]
    learned = learn(tmp_path, items)
    count_rows = stored_counts(learned.line_counts).num_rows
    assert [name for name, rows in held_tables if rows >= count_rows] == ["merged"], (held_tables, count_rows)


def test_learning_gets_memory_for_each_article_counted_beyond_the_default_limit(tmp_path, monkeypatch):
    """DuckDB's group-by of every line key counted does not spill below about a kilobyte an article, so learning's
    connection is given that much more than the default limit (a 1,000,000-article run failed at 1 GB)."""
    limits: list[int | None] = []
    bounded_duckdb = line_counts.bounded_duckdb

    def recording_limit(spill=None, memory_bytes=None):
        limits.append(memory_bytes)
        return bounded_duckdb(spill, memory_bytes)

    monkeypatch.setattr(line_counts, "bounded_duckdb", recording_limit)
    items = [article(f"a/{n:03}.txt", story(n, ["Share this story"])) for n in range(300)]
    learn(tmp_path, items)
    assert limits == [memory.DUCKDB_MEMORY_BYTES + 300 * line_counts.LEARNING_BYTES_AN_ARTICLE]
    assert line_counts.LEARNING_BYTES_AN_ARTICLE >= 1024
