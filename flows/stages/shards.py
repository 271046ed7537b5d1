"""Prepared-article shards: the Parquet files the read stage writes, the clean stage reads and the state keeps
(state/prepared/NNNNN.parquet), one schema for all of them, defined here; each shard's line keys
(flows/stages/line_keys.py) beside it in line_keys/NNNNN.parquet, linked and carried with it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.article import PreparedArticle
from cleaners.edits import Removal
from cleaners.metadata import ArticleMetadata
from flows.outputs.files import write_parquet, write_table
from flows.stages.records import Capture, PreparedInput, RawArticle

_strings = pa.list_(pa.string())
# Where an article came from and its metadata: the columns the prepared shards and the state's finished
# articles (flows/state/finished.py) share.
ARTICLE_ORIGIN = [
    ("doc_id", pa.string()),
    ("source_path", pa.string()),
    ("source_item", pa.string()),
    ("format", pa.string()),
    ("content_hash", pa.string()),
    ("encoding", pa.string()),
    ("site", pa.string()),
]
ARTICLE_METADATA = [
    ("title", pa.string()),
    ("source", pa.string()),
    ("url", pa.string()),
    ("published", pa.string()),
    ("authors", _strings),
    ("external_ids", _strings),
]
PREPARED = pa.schema(
    [
        *ARTICLE_ORIGIN,
        ("lines", _strings),
        *ARTICLE_METADATA,
        ("removed_texts", _strings),
        ("removed_reasons", _strings),
        ("unicode_repaired", pa.bool_()),
        ("capture_url", pa.string()),
        ("captured", pa.string()),
        ("capture_offset", pa.int64()),
        ("input_id", pa.string()),
        ("input_fields", pa.string()),
    ]
)


def metadata_row(meta: ArticleMetadata) -> dict:
    """An article's metadata as the ARTICLE_METADATA columns of a row."""
    return {name: getattr(meta, name) for name, _ in ARTICLE_METADATA}


def metadata_of(row: dict) -> ArticleMetadata:
    """An article's metadata back from the ARTICLE_METADATA columns of a row."""
    return ArticleMetadata(**{name: row[name] for name, _ in ARTICLE_METADATA})


LINE_KEYS_FOLDER = "line_keys"


def shard_name(number: int) -> str:
    """The file name of a run's shard `number`."""
    return f"{number:05d}.parquet"


def line_keys_path(shard: Path) -> Path:
    """Where a shard's line keys are: line_keys/ beside it, under the shard's name."""
    return shard.parent / LINE_KEYS_FOLDER / shard.name


def link_shard(shard: Path, target: Path) -> None:
    """Link a shard, and its line keys when it has them, as `target`."""
    link_or_copy(shard, target)
    if line_keys_path(shard).exists():
        line_keys_path(target).parent.mkdir(exist_ok=True)
        link_or_copy(line_keys_path(shard), line_keys_path(target))


def _row(item: PreparedInput) -> dict:
    raw, meta, capture = item.raw, item.prepared.metadata, item.raw.capture
    return {
        "doc_id": raw.doc_id,
        "source_path": raw.source_path,
        "source_item": raw.source_item,
        "format": raw.format,
        "content_hash": raw.content_hash,
        "encoding": raw.encoding,
        "site": item.source,
        "lines": item.prepared.lines,
        **metadata_row(meta),
        "removed_texts": [removal.text for removal in item.prepared.removals],
        "removed_reasons": [removal.reason for removal in item.prepared.removals],
        "unicode_repaired": item.prepared.unicode_repaired,
        "capture_url": capture.url if capture else None,
        "captured": capture.captured if capture else None,
        "capture_offset": capture.offset if capture else None,
        "input_id": raw.input_id,
        "input_fields": raw.input_fields,
    }


def _item(row: dict) -> PreparedInput:
    metadata = metadata_of(row)
    capture = Capture(row["capture_url"], row["captured"], row["capture_offset"]) if row["capture_url"] else None
    raw = RawArticle(
        doc_id=row["doc_id"],
        source_path=row["source_path"],
        source_item=row["source_item"],
        format=row["format"],
        text="",
        metadata=metadata,
        content_hash=row["content_hash"],
        encoding=row["encoding"],
        capture=capture,
        input_id=row["input_id"],
        input_fields=row["input_fields"],
    )
    removals = [Removal(text, reason) for text, reason in zip(row["removed_texts"], row["removed_reasons"])]
    return PreparedInput(raw, PreparedArticle(row["lines"], metadata, removals, row["unicode_repaired"]), row["site"])


def write_shard(items: list[PreparedInput], path: Path) -> None:
    """Write prepared articles as one shard, in their order."""
    write_parquet([_row(item) for item in items], PREPARED, path)


def read_shard(path: Path, rows: list[int] | None = None) -> list[PreparedInput]:
    """The prepared articles of a shard (only those at `rows`, when given), in its order."""
    table = pq.read_table(path)
    if rows is not None and rows != list(range(table.num_rows)):
        table = table.take(pa.array(rows, pa.int64()))
    columns = table.to_pydict()  # a row's values by column, without a dict a row made by Arrow's to_pylist
    return [_item(dict(zip(columns, row))) for row in zip(*columns.values())]


def read_columns(path: Path, columns: list[str]) -> dict[str, list]:
    """Some columns of a shard, each as a list in the shard's order."""
    return pq.read_table(path, columns=columns).to_pydict()


def carry_shard(previous: Path, kept_rows: pa.BooleanArray, target: Path) -> bool:
    """Carry a previous run's shard (and its line keys, when it has them) into this run as `target`: hard-linked
    when every article in it is kept (`kept_rows`, one a row), else rewritten with only those kept; False (nothing
    written) when none is."""
    if len(kept_rows) and pc.all(kept_rows).as_py():
        link_shard(previous, target)
        return True
    table = pq.read_table(previous)
    kept = table.filter(kept_rows)
    if not kept.num_rows:
        return False
    write_parquet(kept.to_pylist(), PREPARED, target)
    if line_keys_path(previous).exists():
        line_keys_path(target).parent.mkdir(exist_ok=True)
        write_table(pq.read_table(line_keys_path(previous)).filter(kept_rows), line_keys_path(target))
    return True


def link_or_copy(source: Path, target: Path) -> None:
    """Make `target` the same file as `source` (a hard link); a copy where linking fails (another file system)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
