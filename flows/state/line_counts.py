"""Stored boilerplate statistics: which story each article is, and per site and line key how many stories hold
the line. A run counts only the articles it read (and takes back those of deleted or changed inputs), merges the
change into the previous counts with DuckDB over the articles' line keys (flows/stages/line_keys.py, written by the read
tasks), and decides the boilerplate again from the counts (cleaners/boilerplate.py decide_boilerplate).

A count is keyed by its line key's 64-bit hash (`key_hashes`, DuckDB's `key_hash`), not the key's text: the text is the
bulk of a corpus's counts (430 MB of 462 MB at 300,000 articles) and of DuckDB's group-by of them. The line itself is
kept only as the example of a count of `min_articles` stories or more, the only counts boilerplate is decided from, and
the key of each of those is the example's line key again. Two keys of one site with one hash would be counted as one
line: n keys in a site hold such a pair with a chance of about n²/2^65 (170,000 keys a site at 300,000 articles: 10^-9;
it could make a line of such a pair boilerplate a few stories early). A store of an older copydesk, keyed by the text,
is read with its keys hashed as it is read, and written whole in the new layout.

The counts are stored as `line_counts.parquet` (every count when it was written) and the parts of
`line_count_changes/` (each run's changed rows, in order; a count gone is a row of no stories): the counts are the
file's rows that no part changed and each changed count's latest row. A run links the file and the previous parts
and writes its own changes as a new part, so writing costs what changed; once the parts hold CHANGED_SHARE of the
file's rows, it writes every count into the file again and no part.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from duckdb.sqltypes import BIGINT, VARCHAR

from cleaners.boilerplate import LineCount, decide_boilerplate
from cleaners.rules import BoilerplateRules
from dedup.text_hash import column_hashes
from flows.runtime import memory
from flows.runtime.memory import bounded_duckdb
from flows.runtime.progress import NO_PROGRESS, Ticker
from flows.stages.line_keys import distinct_line_keys, previous_keys
from flows.stages.prepared import RunArticles
from flows.stages.shards import link_or_copy
from flows.stages.steps import Boilerplate
from flows.state.parts import link_part, next_part, part_paths

STORIES_FILE, COUNTS_FILE, CHANGES_FOLDER = "line_stories.parquet", "line_counts.parquet", "line_count_changes"
# The counts are written whole again once the changed rows of the parts are this share of the file's rows: each
# count is written again about once per this share of the counts changed, and every read of the counts reads at most
# about this share more rows than the file holds.
CHANGED_SHARE = 0.1
STORIES = pa.schema(
    [
        ("source_path", pa.string()),
        ("doc_id", pa.string()),
        ("site", pa.string()),
        ("story", pa.int64()),
        ("counted", pa.bool_()),
    ]
)
COUNTS = pa.schema(
    [
        ("site", pa.string()),
        ("key", pa.int64()),
        ("stories", pa.int64()),
        ("example", pa.string()),
        ("example_path", pa.string()),
        ("example_doc", pa.string()),
        ("learned", pa.bool_()),
    ]
)

LEARNED = pa.schema([("site", pa.string()), ("key", pa.int64())])


def key_hashes(keys: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each line key's 64-bit hash: the first half of its 128-bit text hash (dedup/text_hash.py), as int64."""
    return pa.array(column_hashes(keys)[:, 0].view(np.int64), pa.int64())


def add_key_hash(db: duckdb.DuckDBPyConnection) -> None:
    """Make `key_hashes` the function `key_hash` of `db` (hashing each vector of keys at once)."""
    db.create_function("key_hash", key_hashes, [VARCHAR], BIGINT, type="arrow", side_effects=False)


@dataclass
class LineCounts:
    """Every prepared article's site and story (and whether it is the one its story counts with), and the counts'
    Parquet file (None: no counts) with the parts of the changes since it was written, which DuckDB reads in place:
    a row for every line key of the corpus (`keyed_by_text`: an older copydesk's, with the keys' text)."""

    stories: pa.Table = field(default_factory=STORIES.empty_table)
    counts: Path | None = None
    changes: list[Path] = field(default_factory=list)
    keyed_by_text: bool = False

    def register(self, db: duckdb.DuckDBPyConnection) -> None:
        """The counts as the view `previous` (COUNTS), the counts' file as `base` and, when there are parts of
        changes, each count they changed, its latest row, as `changed_before` (a gone count with no stories); the
        keys of a store keyed by text hashed as they are read (`db` has `key_hash`)."""
        if self.counts is None:
            db.register("base", COUNTS.empty_table())
        else:
            self._hashed(db.read_parquet(str(self.counts))).create_view("base")
        if not self.changes:  # no join for none
            db.execute("CREATE TEMP VIEW previous AS SELECT * FROM base")
            return
        self._hashed(db.read_parquet([str(part) for part in self.changes], filename=True)).create_view("change_parts")
        db.execute(_CHANGED_BEFORE)
        db.execute(_PREVIOUS)

    def _hashed(self, rows: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
        """Stored rows with their keys hashed, if keyed by text."""
        return rows.select("* REPLACE (key_hash(key) AS key)") if self.keyed_by_text else rows


@dataclass
class Learning:
    """A run's learned boilerplate, and per site the keys whose learned status changed."""

    boilerplate: Boilerplate
    changed: dict[str, set[str]]


def load_line_counts(folder: Path) -> LineCounts:
    """Read the stored stories, and name the stored counts (none when the state has none)."""
    if not (folder / COUNTS_FILE).exists():
        return LineCounts()
    keyed_by_text = pq.read_schema(folder / COUNTS_FILE).field("key").type == pa.string()
    return LineCounts(
        pq.read_table(folder / STORIES_FILE), folder / COUNTS_FILE, part_paths(folder / CHANGES_FOLDER), keyed_by_text
    )


def stored_counts(counts: LineCounts) -> pa.Table:
    """Every stored count (COUNTS), in no particular order: the file's rows no part changed and the latest rows of
    those changed."""
    with duckdb.connect() as db:
        add_key_hash(db)
        counts.register(db)
        return db.sql("SELECT * FROM previous").to_arrow_table()


# The latest row of each count the parts of changes hold (the parts' names sort in the order they were written).
_CHANGED_BEFORE = """
CREATE TEMP TABLE changed_before AS
SELECT * EXCLUDE (filename) FROM change_parts QUALIFY row_number() OVER (PARTITION BY site, key ORDER BY filename DESC) = 1
"""
_PREVIOUS = """
CREATE TEMP VIEW previous AS
SELECT * FROM base ANTI JOIN changed_before USING (site, key)
UNION ALL
SELECT * FROM changed_before WHERE stories > 0
"""


# Which stories the run touches (those of articles that came, went or changed), the article each counts with
# before (`before`, one the previous run counted) and after (`after`: its earliest article now), and, where they
# differ or the one before changed, the choice: the article taken back and the one counted now.
_STORIES = """
CREATE TEMP TABLE now AS SELECT position, source_path, doc_id, site, story FROM articles;
CREATE TEMP TABLE carried AS
    SELECT o.source_path, o.doc_id, o.counted FROM old o JOIN now USING (source_path, doc_id)
    ANTI JOIN reread USING (source_path);
CREATE TEMP TABLE touched AS
    SELECT site, story FROM old ANTI JOIN carried USING (source_path, doc_id)
    UNION SELECT site, story FROM now ANTI JOIN carried USING (source_path, doc_id);
CREATE TEMP TABLE after AS
    SELECT n.site, n.story, min(n.position) AS position FROM now n JOIN touched USING (site, story) GROUP BY ALL;
CREATE TEMP TABLE before AS
    SELECT o.site, o.story, o.source_path, o.doc_id, c.source_path IS NOT NULL AS carried
    FROM old o JOIN touched USING (site, story) LEFT JOIN carried c USING (source_path, doc_id) WHERE o.counted;
CREATE TEMP TABLE choice AS
    SELECT coalesce(b.site, a.site) AS site, b.source_path AS before_path, b.doc_id AS before_doc,
        b.carried AS before_carried, a.position AS after_position
    FROM before b FULL JOIN after a ON a.site = b.site AND a.story = b.story LEFT JOIN now n ON n.position = a.position
    WHERE NOT coalesce(b.carried AND b.source_path = n.source_path AND b.doc_id = n.doc_id, false);
CREATE TEMP TABLE counted AS
    SELECT n.position, n.source_path, n.doc_id, n.site, n.story,
        (coalesce(c.counted, false) AND t.before_path IS NULL) OR a.after_position IS NOT NULL AS counted
    FROM now n LEFT JOIN carried c USING (source_path, doc_id)
    LEFT JOIN choice t ON t.before_path = n.source_path AND t.before_doc = n.doc_id
    LEFT JOIN choice a ON a.after_position = n.position;
"""
# The articles whose line keys the counts change by: those counted now in place of another, and those taken back
# that are still read (`touched_articles`: only their shards are read).
_TOUCHED = """
SELECT after_position FROM choice WHERE after_position IS NOT NULL
UNION SELECT n.position FROM choice c JOIN now n ON n.source_path = c.before_path AND n.doc_id = c.before_doc
WHERE c.before_carried
"""
# The lines taken back: those of each story's article counted before that is no longer (`minus`, with its article,
# from the articles now or, gone or changed, `gone_keys`).
_MINUS = """
CREATE TEMP TABLE minus AS
    SELECT c.site, key_hash(unnest(a.keys)) AS key, a.source_path, a.doc_id
    FROM choice c JOIN touched_articles a ON a.source_path = c.before_path AND a.doc_id = c.before_doc
    WHERE c.before_carried
    UNION ALL
    SELECT c.site, key_hash(unnest(g.keys)) AS key, g.source_path, g.doc_id
    FROM choice c JOIN gone_keys g ON g.source_path = c.before_path AND g.doc_id = c.before_doc
    WHERE NOT c.before_carried
"""
# The change to each (site, key) count (`change`): +1 for each story's line counted now, with the position of the
# earliest article and the line's ordinal in its keys (an article holds a key once: its position decides), -1 for each
# taken back. Only integers and keys go through the group-by: lines are fetched by (position, ordinal) for the counts
# that take a new example. The changed counts (`merged`, one table: gone ones too, of no stories or fewer), each with
# where its example is: the previous example (`kept`) when its article was not taken
# back and is earlier than the line counted now; otherwise the line counted now, or, when the previous example's
# article was taken back (`lost`), the earliest counted article of its site holding it (`found`). The example's line
# is stored only for counts of `example_stories` (the rules' min_articles) or more, the only ones boilerplate is
# decided from: a kept example without its line that reaches it has the line fetched from its article (the first
# place of the key there, as a rebuild takes it).
_MERGED = """
CREATE TEMP TABLE merged AS
    SELECT ch.site, ch.key, coalesce(p.stories, 0) + ch.change AS stories, m.source_path IS NOT NULL AS lost,
        p.stories IS NOT NULL AND m.source_path IS NULL AND (ch.position IS NULL OR e.position < ch.position) AS kept,
        p.example, p.example_path, p.example_doc, ch.position, ch.ordinal, e.position AS example_position
    FROM (
        SELECT site, key, sum(change)::BIGINT AS change, min(position) AS position,
            arg_min(ordinal, position) AS ordinal
        FROM (
            SELECT a.site, key_hash(unnest(a.keys)) AS key, generate_subscripts(a.keys, 1) AS ordinal, a.position,
                1 AS change
            FROM touched_articles a JOIN choice c ON c.after_position = a.position
            UNION ALL SELECT site, key, NULL, NULL, -1 FROM minus
        ) GROUP BY ALL
    ) ch LEFT JOIN previous p USING (site, key)
    LEFT JOIN minus m ON m.site = ch.site AND m.key = ch.key
        AND m.source_path = p.example_path AND m.doc_id = p.example_doc
    LEFT JOIN now e ON e.source_path = p.example_path AND e.doc_id = p.example_doc;
CREATE TEMP TABLE found AS
    SELECT site, key, min(position) AS position, arg_min(ordinal, [position, ordinal]) AS ordinal
    FROM (
        SELECT a.position, a.site, key_hash(unnest(a.keys)) AS key, generate_subscripts(a.keys, 1) AS ordinal
        FROM articles a JOIN counted c USING (position)
        WHERE c.counted AND a.site IN (SELECT site FROM merged WHERE lost AND stories > 0)
    ) SEMI JOIN (SELECT site, key FROM merged WHERE lost AND stories > 0) USING (site, key)
    GROUP BY ALL;
CREATE TEMP VIEW placed AS
    SELECT m.site, m.key, m.stories, m.kept, m.example, m.example_path, m.example_doc,
        CASE WHEN m.lost AND o.position IS NOT NULL THEN o.position WHEN NOT m.kept THEN m.position
            WHEN m.example IS NULL AND m.stories >= getvariable('example_stories') THEN m.example_position
        END AS position,
        CASE WHEN m.lost AND o.position IS NOT NULL THEN o.ordinal WHEN NOT m.kept THEN m.ordinal END AS ordinal
    FROM merged m LEFT JOIN found o USING (site, key) WHERE m.stories > 0;
CREATE TEMP TABLE examples AS
    SELECT * FROM placed WHERE stories >= getvariable('example_stories');
"""
# The lines of the examples placed (from `example_articles`, the articles at the examples' positions).
_EXAMPLE_LINES = """
CREATE TEMP TABLE article_lines AS
    SELECT position, key_hash(unnest(keys)) AS key, unnest(lines) AS line, generate_subscripts(lines, 1) AS ordinal
    FROM example_articles;
CREATE TEMP TABLE example_lines AS
    SELECT p.site, p.key, l.line FROM examples p JOIN article_lines l USING (position, ordinal)
    UNION ALL
    SELECT p.site, p.key, arg_min(l.line, l.ordinal) FROM examples p JOIN article_lines l USING (position, key)
    WHERE p.ordinal IS NULL GROUP BY ALL;
DROP TABLE article_lines;
"""
# Every count after the run: the previous ones the run did not change, and the changed ones with their examples
# (a line only from `example_stories` stories).
_COUNTS = """
CREATE TEMP VIEW changed_counts AS
SELECT m.site, m.key, m.stories,
    CASE WHEN m.stories < getvariable('example_stories') THEN NULL
        WHEN m.kept AND m.example IS NOT NULL THEN m.example ELSE coalesce(l.line, '') END AS example,
    CASE WHEN m.kept THEN m.example_path ELSE coalesce(n.source_path, '') END AS example_path,
    CASE WHEN m.kept THEN m.example_doc ELSE coalesce(n.doc_id, '') END AS example_doc,
    false AS learned
FROM placed m LEFT JOIN example_lines l USING (site, key) LEFT JOIN now n USING (position);
CREATE TEMP VIEW counts AS
SELECT p.* FROM previous p ANTI JOIN merged USING (site, key)
UNION ALL
SELECT * FROM changed_counts
"""
# The counts boilerplate may be decided from (over the thresholds), and those learned before, whole: few rows.
_CANDIDATES = """
CREATE TEMP TABLE candidate_counts AS
SELECT c.* FROM counts c JOIN totals USING (site)
WHERE c.stories >= getvariable('example_stories') AND c.stories::DOUBLE / total >= getvariable('min_share');
CREATE TEMP TABLE learned_before AS SELECT * FROM previous WHERE learned
"""
# The counts to store, each marked learned or not, in COUNTS' columns.
_STORED = """
SELECT c.site, c.key, c.stories, c.example, c.example_path, c.example_doc, l.site IS NOT NULL AS learned
FROM counts c LEFT JOIN learned l USING (site, key)
"""
# The rows of the counts this run changed, each as stored now: those whose stories changed (a gone count with no
# stories) and those only learned or no longer learned (from the candidates or those learned before: no scan of
# every count).
_CHANGED_ROWS = """
CREATE TEMP TABLE changed_rows AS
SELECT ch.site, ch.key, coalesce(c.stories, 0) AS stories, c.example, c.example_path, c.example_doc,
    l.site IS NOT NULL AS learned
FROM merged ch LEFT JOIN changed_counts c USING (site, key) LEFT JOIN learned l USING (site, key)
UNION ALL
SELECT f.site, f.key, f.stories, f.example, f.example_path, f.example_doc, l.site IS NOT NULL
FROM (SELECT * FROM candidate_counts UNION SELECT * FROM learned_before) f
SEMI JOIN flipped USING (site, key) ANTI JOIN merged USING (site, key) LEFT JOIN learned l USING (site, key)
"""
# Rows of a row group of the stored counts: DuckDB holds a row group of every key and example as it writes it.
STORED_ROWS = 10_000
# DuckDB's group-by of every (site, line key) a run counts does not spill below about 1 KB an article counted (60-100
# MB at 100,000 articles; a 1,000,000-article run once failed at 1 GB, session 32): learning gets that much more than
# DUCKDB_MEMORY_BYTES.
LEARNING_BYTES_AN_ARTICLE = 1024


def learn_incrementally(
    articles: RunArticles,
    previous: LineCounts,
    previous_shards: list[Path],
    reread: Collection[str],
    rules: BoilerplateRules,
    bullet_chars: str,
    folder: Path,
    progress: Ticker = NO_PROGRESS,
    spill: Path | None = None,
) -> Learning:
    """Update the previous counts for the articles that came, went or changed (those of `reread` inputs; the line
    keys of those that went or changed read from `previous_shards`), decide every site's boilerplate, and write the
    stories and counts into `folder`; equal to counting all of `articles` afresh. DuckDB over the articles' line keys
    (flows/stages/line_keys.py) and the previous counts' file, in bounded memory (spilling into `spill`, when given):
    the counts go from DuckDB to their file, in no particular order, never whole into the flow's memory."""
    reread_paths = pa.array(sorted(set(reread)), pa.string())
    with bounded_duckdb(spill, learning_memory_bytes(len(articles.names))) as db:
        add_key_hash(db)
        articles.register(db)
        db.register("old", previous.stories)
        previous.register(db)
        db.register("reread", pa.table({"source_path": reread_paths}))
        db.execute("SET VARIABLE example_stories = ?", [rules.min_articles])
        db.execute(_STORIES)
        progress.advance(len(articles.names))
        gone = db.sql("SELECT before_path, before_doc FROM choice WHERE NOT before_carried").fetchall()
        db.register("gone_keys", previous_keys(previous_shards, gone, rules, bullet_chars))
        _register_at(db, articles, "touched_articles", _TOUCHED)
        db.execute(_MINUS)
        db.execute(_MERGED)
        _register_at(db, articles, "example_articles", "SELECT position FROM examples WHERE position IS NOT NULL")
        db.execute(_EXAMPLE_LINES)
        db.execute(_COUNTS)
        stories = db.sql("SELECT source_path, doc_id, site, story, counted FROM counted ORDER BY position")
        stories.to_parquet(str(folder / STORIES_FILE))
        totals = dict(db.sql("SELECT site, count(*) FROM counted WHERE counted GROUP BY site").fetchall())
        learning = _decided(db, totals, rules, bullet_chars)
        _store_counts(db, previous, folder)
        return learning


def _register_at(db: duckdb.DuckDBPyConnection, articles: RunArticles, name: str, positions_query: str) -> None:
    """Make the articles at the positions `positions_query` selects the view `name` (only their shards read)."""
    articles.register(db, name, [position for (position,) in db.sql(positions_query).fetchall()])


def learning_memory_bytes(articles: int) -> int:
    """DuckDB's memory limit for learning the boilerplate of a run of this many articles."""
    return memory.DUCKDB_MEMORY_BYTES + LEARNING_BYTES_AN_ARTICLE * articles


def _decided(
    db: duckdb.DuckDBPyConnection, totals: dict[str, int], rules: BoilerplateRules, bullet_chars: str
) -> Learning:
    """Decide the boilerplate from `db`'s counts (only lines over the thresholds leave DuckDB, each keyed by its
    example's line key), leaving the lines learned (`learned`) and those whose learned status changed (`flipped`) in
    `db`."""
    site_totals = pa.table(
        {"site": pa.array(list(totals), pa.string()), "total": pa.array(list(totals.values()), pa.int64())}
    )
    db.register("totals", site_totals)
    db.execute("SET VARIABLE min_share = ?::DOUBLE", [rules.min_share])
    db.execute(_CANDIDATES)
    candidates = _keyed(db.execute("SELECT site, key, stories, example FROM candidate_counts").fetchall(), bullet_chars)
    before = _keyed(db.execute("SELECT site, key, stories, example FROM learned_before").fetchall(), bullet_chars)
    hashes = {(site, key): hashed for site, hashed, key, _, _ in [*candidates, *before]}
    boilerplate = decide_boilerplate((LineCount(site, key, *row) for site, _, key, *row in candidates), totals, rules)
    learned = {(site, key) for site, lines in boilerplate.items() for key in lines}
    flipped = learned ^ {(site, key) for site, _, key, _, _ in before}
    for name, pairs in (("learned", learned), ("flipped", flipped)):
        rows = [{"site": site, "key": hashes[(site, key)]} for site, key in pairs]
        db.register(name, pa.Table.from_pylist(rows, LEARNED))
    changed: dict[str, set[str]] = defaultdict(set)
    for site, key in flipped:
        changed[site].add(key)
    return Learning(boilerplate, dict(changed))


def _keyed(counts: list[tuple[str, int, int, str]], bullet_chars: str) -> list[tuple[str, int, str, int, str]]:
    """(site, key hash, stories, example) counts with their line key, the example's (computed as the read task
    computes it), after the hash: (site, key hash, key, stories, example)."""
    keys = distinct_line_keys([example for *_, example in counts], bullet_chars)
    return [(site, hashed, key, stories, example) for (site, hashed, stories, example), key in zip(counts, keys)]


def _store_counts(db: duckdb.DuckDBPyConnection, previous: LineCounts, folder: Path) -> None:
    """Write the counts into `folder` with the learned lines marked: the previous file and parts linked and the
    counts this run changed as a new part, or, with no previous file, one keyed by text or once the parts would hold
    CHANGED_SHARE of its rows, every count into the file."""
    kept_as_parts = previous.counts is not None and not previous.keyed_by_text
    if kept_as_parts and _changes_kept(db, previous, folder / CHANGES_FOLDER):
        link_or_copy(previous.counts, folder / COUNTS_FILE)
        return
    db.sql(_STORED).to_parquet(str(folder / COUNTS_FILE), row_group_size=STORED_ROWS)


def _changes_kept(db: duckdb.DuckDBPyConnection, previous: LineCounts, changes: Path) -> bool:
    """Link the previous parts of changes into `changes` and write this run's changed counts as a new part, unless
    the parts would then hold CHANGED_SHARE of the previous file's rows (False: nothing written)."""
    db.execute(_CHANGED_ROWS)
    changed_rows = db.sql("SELECT count(*) FROM changed_rows").fetchall()[0][0]
    held_rows = sum(pq.ParquetFile(part).metadata.num_rows for part in previous.changes)
    if held_rows + changed_rows > CHANGED_SHARE * pq.ParquetFile(previous.counts).metadata.num_rows:
        return False
    changes.mkdir()
    for part in previous.changes:
        link_part(part, changes)
    if changed_rows:
        rows = db.sql("SELECT * FROM changed_rows ORDER BY site, key")  # a few rows: the same bytes every run
        rows.to_parquet(str(next_part(changes)), row_group_size=STORED_ROWS)
    return True
