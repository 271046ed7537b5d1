"""Stored boilerplate statistics: which story each article is, and per site and line key how many stories hold
the line. A run counts only the articles it read (and takes back those of deleted or changed inputs), merges the
change into the previous counts with DuckDB over the articles' line keys (flows/stages/line_keys.py, written by the read
tasks), and decides the boilerplate again from the counts (cleaners/boilerplate.py decide_boilerplate).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.boilerplate import LineCount, decide_boilerplate
from cleaners.rules import BoilerplateRules
from flows.runtime.progress import NO_PROGRESS, Ticker
from flows.stages.line_keys import previous_keys
from flows.stages.prepared import RunArticles
from flows.stages.steps import Boilerplate

STORIES_FILE, COUNTS_FILE = "line_stories.parquet", "line_counts.parquet"
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
        ("key", pa.string()),
        ("stories", pa.int64()),
        ("example", pa.string()),
        ("example_path", pa.string()),
        ("example_doc", pa.string()),
        ("learned", pa.bool_()),
    ]
)

LEARNED = pa.schema([("site", pa.string()), ("key", pa.string())])


@dataclass
class LineCounts:
    """Every prepared article's site and story (and whether it is the one its story counts with), and the counts."""

    stories: pa.Table = field(default_factory=STORIES.empty_table)
    counts: pa.Table = field(default_factory=COUNTS.empty_table)


@dataclass
class Learning:
    """A run's learned boilerplate, the counts to store, and per site the keys whose learned status changed."""

    boilerplate: Boilerplate
    line_counts: LineCounts
    changed: dict[str, set[str]]


def write_line_counts(folder: Path, line_counts: LineCounts) -> None:
    """Write the stories and counts into the state folder."""
    pq.write_table(line_counts.stories, folder / STORIES_FILE)
    pq.write_table(line_counts.counts, folder / COUNTS_FILE)


def load_line_counts(folder: Path) -> LineCounts:
    """Read the stored stories and counts (none when the state has none)."""
    if not (folder / COUNTS_FILE).exists():
        return LineCounts()
    return LineCounts(pq.read_table(folder / STORIES_FILE), pq.read_table(folder / COUNTS_FILE))


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
# The change to each (site, key) count: +1 for each story's line counted now (with the position and line of the
# earliest), -1 for each taken back (`minus`, with its article, from the articles now or, gone or changed,
# `gone_keys`).
_CHANGES = """
CREATE TEMP TABLE minus AS
    SELECT c.site, unnest(a.keys) AS key, a.source_path, a.doc_id
    FROM choice c JOIN articles a ON a.source_path = c.before_path AND a.doc_id = c.before_doc WHERE c.before_carried
    UNION ALL
    SELECT c.site, unnest(g.keys) AS key, g.source_path, g.doc_id
    FROM choice c JOIN gone_keys g ON g.source_path = c.before_path AND g.doc_id = c.before_doc
    WHERE NOT c.before_carried;
CREATE TEMP TABLE changes AS
    SELECT site, key, sum(change)::BIGINT AS change, min(position) AS position, arg_min(line, position) AS line
    FROM (
        SELECT a.site, unnest(a.keys) AS key, unnest(a.lines) AS line, a.position, 1 AS change
        FROM articles a JOIN choice c ON c.after_position = a.position
        UNION ALL SELECT site, key, NULL, NULL, -1 FROM minus
    ) GROUP BY ALL;
"""
# The changed counts, each with its example: the earliest of the line counted now and the previous example, or,
# when the previous example's article was taken back (`lost`), the earliest counted article of its site holding it.
_MERGED = """
CREATE TEMP TABLE merged AS
    SELECT ch.site, ch.key, coalesce(p.stories, 0) + ch.change AS stories, m.source_path IS NOT NULL AS lost,
        p.stories IS NOT NULL AND m.source_path IS NULL AND (ch.position IS NULL OR e.position < ch.position) AS kept,
        p.example, p.example_path, p.example_doc, ch.line, f.source_path AS path, f.doc_id AS doc
    FROM changes ch LEFT JOIN previous p USING (site, key) LEFT JOIN now f ON f.position = ch.position
    LEFT JOIN minus m ON m.site = ch.site AND m.key = ch.key
        AND m.source_path = p.example_path AND m.doc_id = p.example_doc
    LEFT JOIN now e ON e.source_path = p.example_path AND e.doc_id = p.example_doc
    WHERE coalesce(p.stories, 0) + ch.change > 0;
CREATE TEMP TABLE found AS
    SELECT site, key, arg_min(line, position) AS line, arg_min(source_path, position) AS path,
        arg_min(doc_id, position) AS doc
    FROM (
        SELECT a.position, a.site, a.source_path, a.doc_id, unnest(a.keys) AS key, unnest(a.lines) AS line
        FROM articles a JOIN counted c USING (position)
        WHERE c.counted AND a.site IN (SELECT site FROM merged WHERE lost)
    ) SEMI JOIN (SELECT site, key FROM merged WHERE lost) USING (site, key)
    GROUP BY ALL;
"""
_COUNTS = """
SELECT p.* FROM previous p ANTI JOIN changes USING (site, key)
UNION ALL
SELECT m.site, m.key, m.stories,
    CASE WHEN m.lost THEN coalesce(o.line, m.line, '') WHEN m.kept THEN m.example ELSE m.line END,
    CASE WHEN m.lost THEN coalesce(o.path, m.path, '') WHEN m.kept THEN m.example_path ELSE m.path END,
    CASE WHEN m.lost THEN coalesce(o.doc, m.doc, '') WHEN m.kept THEN m.example_doc ELSE m.doc END,
    false
FROM merged m LEFT JOIN found o USING (site, key)
"""


def learn_incrementally(
    articles: RunArticles,
    previous: LineCounts,
    previous_shards: list[Path],
    reread: Collection[str],
    rules: BoilerplateRules,
    bullet_chars: str,
    progress: Ticker = NO_PROGRESS,
) -> Learning:
    """Update the previous counts for the articles that came, went or changed (those of `reread` inputs; the line
    keys of those that went or changed read from `previous_shards`), and decide every site's boilerplate; equal to
    counting all of `articles` afresh. DuckDB over the articles' line keys (flows/stages/line_keys.py)."""
    reread_paths = pa.array(sorted(set(reread)), pa.string())
    with duckdb.connect() as db:
        articles.register(db)
        db.register("old", previous.stories)
        db.register("previous", previous.counts)
        db.register("reread", pa.table({"source_path": reread_paths}))
        db.execute(_STORIES)
        progress.advance(len(articles.names))
        gone = db.sql("SELECT before_path, before_doc FROM choice WHERE NOT before_carried").fetchall()
        db.register("gone_keys", previous_keys(previous_shards, gone, rules, bullet_chars))
        db.execute(_CHANGES)
        db.execute(_MERGED)
        counts = db.sql(_COUNTS).to_arrow_table()
        stories = db.sql(
            "SELECT source_path, doc_id, site, story, counted FROM counted ORDER BY position"
        ).to_arrow_table()
        totals = dict(db.sql("SELECT site, count(*) FROM counted WHERE counted GROUP BY site").fetchall())
    return _decided(
        previous.counts, counts.rename_columns(COUNTS.names).cast(COUNTS), stories.cast(STORIES), totals, rules
    )


def _decided(
    previous: pa.Table, counts: pa.Table, stories: pa.Table, totals: dict[str, int], rules: BoilerplateRules
) -> Learning:
    """Decide the boilerplate from the counts (only lines over the thresholds leave DuckDB) and mark it learned."""
    site_totals = pa.table(
        {"site": pa.array(list(totals), pa.string()), "total": pa.array(list(totals.values()), pa.int64())}
    )
    with duckdb.connect() as db:
        db.register("counts", counts)
        db.register("totals", site_totals)
        db.register("previous", previous)
        candidates = db.execute(
            "SELECT site, key, stories, example FROM counts JOIN totals USING (site)"
            " WHERE stories >= ? AND stories::DOUBLE / total >= ?",
            [rules.min_articles, rules.min_share],
        ).fetchall()
        was_learned = set(db.execute("SELECT site, key FROM previous WHERE learned").fetchall())
        boilerplate = decide_boilerplate((LineCount(*row) for row in candidates), totals, rules)
        learned = {(site, key) for site, lines in boilerplate.items() for key in lines}
        db.register("learned", pa.Table.from_pylist([{"site": s, "key": k} for s, k in learned], LEARNED))
        counts = db.sql(
            "SELECT c.* EXCLUDE (learned), l.site IS NOT NULL AS learned"
            " FROM counts c LEFT JOIN learned l USING (site, key) ORDER BY site, key"
        ).to_arrow_table()
    changed: dict[str, set[str]] = defaultdict(set)
    for site, key in learned ^ was_learned:
        changed[site].add(key)
    return Learning(boilerplate, LineCounts(stories, counts.cast(COUNTS)), dict(changed))
