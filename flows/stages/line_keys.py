"""Each prepared article's site, story and line keys (each key with the first line folding to it): what learning
the boilerplate and choosing the articles to finish again read of an article. The read task writes them beside its
shard (flows/stages/shards.py line_keys_path), they are carried with the shard, and a shard without them (a state written
before they were) has them computed once from its lines."""

from __future__ import annotations

from collections.abc import Collection
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.boilerplate import first_lines, fold_digits, folded_line, story_fingerprint
from cleaners.rules import BoilerplateRules
from flows.outputs.files import write_table
from flows.stages.records import PreparedInput
from flows.stages.shards import line_keys_path, read_columns

_strings = pa.list_(pa.string())
LINE_KEYS = pa.schema(
    [
        ("source_path", pa.string()),
        ("doc_id", pa.string()),
        ("site", pa.string()),
        ("story", pa.int64()),
        ("keys", _strings),
        ("lines", _strings),
    ]
)
# Text of characters up to U+05FF and general punctuation and currency signs (U+2000-U+20CF), where the only decimal
# digits (`re`'s "\d") are 0-9 (tests/test_boilerplate.py checks each code point), all that RE2's "[0-9]" finds.
DIGITS_ONLY_ASCII = r"^[\x{0}-\x{5ff}\x{2000}-\x{20cf}]*$"
# The columns of a shard the line keys are computed from.
_SHARD_COLUMNS = ["source_path", "doc_id", "site", "lines"]


def line_keys_table(
    articles: Collection[tuple[str, str, str, list[str]]], rules: BoilerplateRules, bullet_chars: str
) -> pa.Table:
    """The line keys of (source_path, doc_id, site, lines) articles, a row each in their order."""
    columns: dict[str, list] = {name: [] for name in LINE_KEYS.names}
    every_key = iter(line_keys_of([line for *_, lines in articles for line in lines if line], bullet_chars))
    for source_path, doc_id, site, lines in articles:
        keys = first_lines(lines, islice(every_key, len(lines) - lines.count("")))
        for name, value in zip(
            LINE_KEYS.names,
            (source_path, doc_id, site, story_fingerprint(keys, rules), list(keys), list(keys.values())),
        ):
            columns[name].append(value)
    return pa.table(columns, LINE_KEYS)


def line_keys_of(lines: list[str], bullet_chars: str) -> list[str]:
    """Each line's `line_key`, computed once a distinct line (a site's furniture and a story's copies recur in a
    shard: about half its lines)."""
    distinct = dict.fromkeys(lines)
    keys = dict(zip(distinct, distinct_line_keys(list(distinct), bullet_chars), strict=True))
    return [keys[line] for line in lines]


def distinct_line_keys(lines: list[str], bullet_chars: str) -> list[str]:
    """Each line's `line_key`, the digits of all folded at once by RE2 (through Arrow; five times faster than `re`'s
    scan), whose "[0-9]" is `re`'s "\\d" on every line without a decimal digit of another script (DIGITS_ONLY_ASCII)."""
    folded = [folded_line(line, bullet_chars) for line in lines]
    column = pa.array(folded, pa.string())
    keys = pc.replace_substring_regex(column, "[0-9]+", "0").to_pylist()
    other_digits = pc.invert(pc.match_substring_regex(column, DIGITS_ONLY_ASCII))
    for index in np.flatnonzero(other_digits.to_numpy(zero_copy_only=False)).tolist():
        keys[index] = fold_digits(folded[index])
    return keys


def write_line_keys(items: list[PreparedInput], shard: Path, rules: BoilerplateRules, bullet_chars: str) -> None:
    """Write the line keys of a shard's prepared articles (in its order) beside it."""
    articles = [(item.raw.source_path, item.raw.doc_id, item.source, item.prepared.lines) for item in items]
    _write(line_keys_table(articles, rules, bullet_chars), shard)


def ensure_line_keys(shard: Path, rules: BoilerplateRules, bullet_chars: str) -> None:
    """Compute and write a shard's line keys from its lines, unless it has them."""
    if not line_keys_path(shard).exists():
        columns = read_columns(shard, _SHARD_COLUMNS)
        _write(line_keys_table(_articles(columns), rules, bullet_chars), shard)


def known_line_keys(shard: Path, rows: list[int]) -> list[dict[str, str]]:
    """For the articles at `rows` of a shard, each line of theirs the read task keyed (the first of its key's):
    line -> key; empty dicts for a shard without line keys."""
    if not line_keys_path(shard).exists():
        return [{} for _ in rows]
    table = pq.read_table(line_keys_path(shard), columns=["keys", "lines"])
    if rows != list(range(table.num_rows)):  # a full run finishes every row of a shard, in order
        table = table.take(pa.array(rows, pa.int64()))
    columns = table.to_pydict()
    return [dict(zip(lines, keys, strict=True)) for lines, keys in zip(columns["lines"], columns["keys"])]


def _articles(columns: dict[str, list]) -> list[tuple[str, str, str, list[str]]]:
    return list(zip(*(columns[name] for name in _SHARD_COLUMNS)))


def _write(table: pa.Table, shard: Path) -> None:
    target = line_keys_path(shard)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_table(table, target)


def previous_keys(
    shards: list[Path], wanted: Collection[tuple[str, str]], rules: BoilerplateRules, bullet_chars: str
) -> pa.Table:
    """The line keys of the previous run's articles named in `wanted` (by input and doc_id), from its shards (only
    those holding any; computed from the lines of a shard without line keys): what the boilerplate counts take
    back."""
    wanted = set(wanted)
    found = [LINE_KEYS.empty_table()]
    for shard in shards if wanted else []:  # none taken back: no shard read
        names = read_columns(shard, ["source_path", "doc_id"])
        rows = [row for row, name in enumerate(zip(names["source_path"], names["doc_id"])) if name in wanted]
        if not rows:
            continue
        if line_keys_path(shard).exists():
            found.append(pq.read_table(line_keys_path(shard)).take(pa.array(rows, pa.int64())))
        else:
            columns = pq.read_table(shard, columns=_SHARD_COLUMNS).take(pa.array(rows, pa.int64())).to_pydict()
            found.append(line_keys_table(_articles(columns), rules, bullet_chars))
    return pa.concat_tables(found)
