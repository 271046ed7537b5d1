"""Stored boilerplate statistics: which story each article is, and per site and line key how many stories hold
the line. A run counts only the articles it read (and takes back those of deleted or changed inputs), merges the
change into the previous counts with DuckDB, and decides the boilerplate again from the counts
(cleaners/boilerplate.py decide_boilerplate).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.boilerplate import LineCount, article_line_keys, decide_boilerplate, story_fingerprint
from cleaners.rules import BoilerplateRules
from flows.progress import NO_PROGRESS, Ticker, ticking
from flows.stages import Boilerplate, PreparedInput

Identity = tuple[str, str]
Story = tuple[str, int]
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


@dataclass
class _Delta:
    """The change to one (site, key) count: stories added minus taken back, the earliest added line, and the
    articles taken back (if one was the example, the example is found again)."""

    change: int = 0
    example: tuple[int, str, Identity] | None = None
    taken_back: set[Identity] = field(default_factory=set)


class _LineKeys:
    """Line keys of the current articles, computed for those a run looks at and kept."""

    def __init__(self, prepared: list[PreparedInput], position: Mapping[Identity, int], bullet_chars: str):
        self.prepared, self.position, self.bullet_chars = prepared, position, bullet_chars
        self.known: dict[Identity, dict[str, str]] = {}

    def of(self, name: Identity) -> dict[str, str]:
        """The article's line keys, each with its first line."""
        if name not in self.known:
            lines = self.prepared[self.position[name]].prepared.lines
            self.known[name] = article_line_keys(lines, self.bullet_chars)
        return self.known[name]


def identity(item: PreparedInput) -> Identity:
    """An article's name across runs: its input and doc_id."""
    return item.raw.source_path, item.raw.doc_id


def _carried(name: Identity, position: Collection[Identity], reread: Collection[str]) -> bool:
    """True when a previously counted article is still there and its input was not read again."""
    return name in position and name[0] not in reread


def taken_back(previous: LineCounts, prepared: list[PreparedInput], reread: Collection[str]) -> set[Identity]:
    """The previously counted articles that went or changed: those whose prepared lines learn_incrementally needs."""
    position, reread = {identity(item) for item in prepared}, set(reread)
    names = zip(previous.stories["source_path"].to_pylist(), previous.stories["doc_id"].to_pylist())
    return {name for name in names if not _carried(name, position, reread)}


def write_line_counts(folder: Path, line_counts: LineCounts) -> None:
    """Write the stories and counts into the state folder."""
    pq.write_table(line_counts.stories, folder / STORIES_FILE)
    pq.write_table(line_counts.counts, folder / COUNTS_FILE)


def load_line_counts(folder: Path) -> LineCounts:
    """Read the stored stories and counts (none when the state has none)."""
    if not (folder / COUNTS_FILE).exists():
        return LineCounts()
    return LineCounts(pq.read_table(folder / STORIES_FILE), pq.read_table(folder / COUNTS_FILE))


def learn_incrementally(
    prepared: list[PreparedInput],
    previous: LineCounts,
    previous_lines: Mapping[Identity, list[str]],
    reread: Collection[str],
    rules: BoilerplateRules,
    bullet_chars: str,
    progress: Ticker = NO_PROGRESS,
) -> Learning:
    """Update the previous counts for the articles that came, went or changed (those of `reread` inputs; the
    prepared lines of those that went or changed in `previous_lines`), and decide every site's boilerplate; equal
    to counting all of `prepared` afresh. `progress` advances over the articles as their stories are known."""
    position = {identity(item): index for index, item in enumerate(prepared)}
    reread = set(reread)
    old = {(row["source_path"], row["doc_id"]): row for row in previous.stories.to_pylist()}
    carried = {name for name in old if _carried(name, position, reread)}
    new = [identity(item) for item in prepared if identity(item) not in carried]
    keys = _LineKeys(prepared, position, bullet_chars)
    story_of = {name: (old[name]["site"], old[name]["story"]) for name in carried}
    progress.advance(len(carried))
    story_of |= {
        name: (prepared[position[name]].source, story_fingerprint(keys.of(name), rules))
        for name in ticking(new, progress.advance)
    }
    gone = [name for name in old if name not in carried]
    touched = {(old[name]["site"], old[name]["story"]) for name in gone} | {story_of[name] for name in new}
    members: dict[Story, list[Identity]] = defaultdict(list)
    for name, story in story_of.items():
        if story in touched:
            members[story].append(name)
    old_counted = {(row["site"], row["story"]): name for name, row in old.items() if row["counted"]}
    taken_back: set[Identity] = set()
    counted_now: set[Identity] = set()
    deltas: dict[tuple[str, str], _Delta] = defaultdict(_Delta)
    for story in touched:
        before = old_counted.get(story)
        after = min(members[story], key=position.__getitem__) if members[story] else None
        if before == after and before in carried:
            continue
        if before is not None:
            taken_back.add(before)
            lines = previous_lines[before] if before not in carried else prepared[position[before]].prepared.lines
            for key in article_line_keys(lines, bullet_chars):
                deltas[(story[0], key)].change -= 1
                deltas[(story[0], key)].taken_back.add(before)
        if after is not None:
            counted_now.add(after)
            for key, line in keys.of(after).items():
                delta = deltas[(story[0], key)]
                delta.change += 1
                if delta.example is None or position[after] < delta.example[0]:
                    delta.example = (position[after], line, after)
    counted = {name for name in carried if old[name]["counted"]} - taken_back | counted_now
    stories = pa.Table.from_pylist(
        [
            {"source_path": name[0], "doc_id": name[1], "site": story_of[name][0], "story": story_of[name][1]}
            | {"counted": name in counted}
            for name in position
        ],
        STORIES,
    )
    counts = _merged_counts(previous.counts, deltas, position, prepared, counted, keys)
    totals = defaultdict(int)
    for name in counted:
        totals[story_of[name][0]] += 1
    return _decided(previous.counts, counts, stories, dict(totals), rules)


def _merged_counts(
    previous: pa.Table,
    deltas: Mapping[tuple[str, str], _Delta],
    position: Mapping[Identity, int],
    prepared: list[PreparedInput],
    counted: Collection[Identity],
    keys: _LineKeys,
) -> pa.Table:
    """The previous counts with the changes applied; an example whose article was taken back is found again."""
    changes = pa.Table.from_pylist(
        [{"site": site, "key": key, "change": delta.change} for (site, key), delta in deltas.items()],
        pa.schema([("site", pa.string()), ("key", pa.string()), ("change", pa.int64())]),
    )
    with duckdb.connect() as db:
        db.register("previous", previous)
        db.register("changes", changes)
        kept = db.sql("SELECT p.* FROM previous p ANTI JOIN changes c USING (site, key)").to_arrow_table()
        touched = db.sql("SELECT p.* FROM changes c JOIN previous p USING (site, key)").to_arrow_table().to_pylist()
    before = {(row["site"], row["key"]): row for row in touched}
    rows, lost = [], defaultdict(set)
    for (site, key), delta in deltas.items():
        row = before.get((site, key))
        stories = (row["stories"] if row else 0) + delta.change
        if stories <= 0:
            continue
        candidates = [delta.example] if delta.example else []
        if row and (row["example_path"], row["example_doc"]) in delta.taken_back:
            lost[site].add(key)
        elif row:
            previous_example = (row["example_path"], row["example_doc"])
            candidates.append((position[previous_example], row["example"], previous_example))
        _, example, (path, doc) = min(candidates) if candidates else (0, "", ("", ""))
        rows.append({"site": site, "key": key, "stories": stories, "example": example})
        rows[-1] |= {"example_path": path, "example_doc": doc, "learned": False}
    found = _first_examples(lost, prepared, counted, keys)
    for row in rows:
        if (row["site"], row["key"]) in found:
            row["example"], (row["example_path"], row["example_doc"]) = found[(row["site"], row["key"])]
    return pa.concat_tables([kept, pa.Table.from_pylist(rows, COUNTS)])


def _first_examples(
    lost: Mapping[str, set[str]],
    prepared: list[PreparedInput],
    counted: Collection[Identity],
    keys: _LineKeys,
) -> dict[tuple[str, str], tuple[str, Identity]]:
    """For keys whose example went, the line of the earliest counted article of their site holding them."""
    found: dict[tuple[str, str], tuple[str, Identity]] = {}
    for item in prepared:
        name = identity(item)
        if item.source not in lost or name not in counted:
            continue
        for key, line in keys.of(name).items():
            if key in lost[item.source] and (item.source, key) not in found:
                found[(item.source, key)] = (line, name)
    return found


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
