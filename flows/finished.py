"""Stored finished cleaning: each article's Document as the clean stage left it (before spelling), or the
rejection cleaning gave it, and the keep-line overrides it was finished under. A run finishes again only new and
changed articles, those holding a line whose learned status changed for their site, and those holding a line a
changed keep-line override names; the rest are carried over.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.boilerplate import article_line_keys
from cleaners.edits import Removal, Spared
from cleaners.keep import NOTHING_KEPT, KeptLines
from flows.line_counts import Identity, identity
from flows.records import Document, Rejection
from flows.shards import ARTICLE_METADATA, ARTICLE_ORIGIN, metadata_of, metadata_row
from flows.stages import PreparedInput

FINISHED_FILE, KEPT_FILE = "finished.parquet", "kept_lines.parquet"
_strings = pa.list_(pa.string())
FINISHED = pa.schema(
    [
        *ARTICLE_ORIGIN,
        *ARTICLE_METADATA,
        ("paragraphs", _strings),
        ("removed_texts", _strings),
        ("removed_reasons", _strings),
        ("spared_texts", _strings),
        ("spared_reasons", _strings),
        ("spared_overrides", _strings),
        ("unicode_repaired", pa.bool_()),
        ("published_is_fallback", pa.bool_()),
        ("language", pa.string()),
        ("input_id", pa.string()),
        ("input_fields", pa.string()),
        ("rejected_as", pa.string()),
        ("rejection", pa.string()),
    ]
)
KEPT = pa.schema([("kind", pa.string()), ("target", pa.string()), ("override", pa.string())])
Finished = Document | Rejection


@dataclass
class FinishedCleaning:
    """The previous run's finished articles by identity, and the keep-line overrides they were finished under."""

    articles: dict[Identity, Finished] = field(default_factory=dict)
    kept: frozenset[tuple[str, str, str]] = frozenset()


def kept_rows(keep: KeptLines) -> frozenset[tuple[str, str, str]]:
    """The keep-line overrides as (kind, fingerprint or pattern, override id) rows."""
    return frozenset(
        [("line", fingerprint, override) for fingerprint, override in keep.by_fingerprint.items()]
        + [("pattern", pattern.pattern, override) for pattern, override in keep.patterns]
    )


def to_finish(
    prepared: list[PreparedInput],
    previous: FinishedCleaning,
    reread: Collection[str],
    changed: Mapping[str, set[str]],
    keep: KeptLines,
    bullet_chars: str,
) -> list[PreparedInput]:
    """The articles to finish again: new or changed ones, those holding a line whose learned status changed for
    their site, and those holding a line a keep-line override added or removed since names."""
    overrides = _changed_overrides(previous.kept, kept_rows(keep))
    reread = set(reread)
    return [
        item
        for item in prepared
        if identity(item) not in previous.articles
        or item.raw.source_path in reread
        or (
            item.source in changed
            and not changed[item.source].isdisjoint(article_line_keys(item.prepared.lines, bullet_chars))
        )
        or (overrides is not NOTHING_KEPT and any(overrides.override_for(line) for line in item.prepared.lines if line))
    ]


def _changed_overrides(before: frozenset[tuple[str, str, str]], after: frozenset[tuple[str, str, str]]) -> KeptLines:
    """The keep-line overrides that came or went, as lines to look for."""
    changed = before ^ after
    if not changed:
        return NOTHING_KEPT
    return KeptLines(
        {target: override for kind, target, override in changed if kind == "line"},
        tuple((re.compile(target), override) for kind, target, override in changed if kind == "pattern"),
    )


def in_order(
    prepared: list[PreparedInput], fresh: Mapping[Identity, Finished], previous: FinishedCleaning
) -> tuple[list[Document], list[Rejection], pa.Table]:
    """Every article's finished cleaning in the order of `prepared`, fresh where finished again, else carried; and
    the table to store (taken now: spelling changes the documents later)."""
    results = [fresh.get(identity(item)) or previous.articles[identity(item)] for item in prepared]
    documents = [result for result in results if isinstance(result, Document)]
    rejections = [result for result in results if isinstance(result, Rejection)]
    return documents, rejections, finished_table(prepared, results)


def finished_table(prepared: list[PreparedInput], results: list[Finished]) -> pa.Table:
    """The finished cleaning of each prepared article, as rows of the state's table in their order."""
    return pa.Table.from_pylist([_row(item, result) for item, result in zip(prepared, results, strict=True)], FINISHED)


def read_finished(paths: list[Path]) -> dict[Identity, Finished]:
    """The finished articles of the given tables (the clean stage's shards), by identity."""
    return {key: result for path in paths for key, result in _by_identity(pq.read_table(path)).items()}


def _by_identity(table: pa.Table) -> dict[Identity, Finished]:
    """A table of finished articles as Documents and Rejections by identity."""
    return {(row["source_path"], row["doc_id"]): _from_row(row) for row in table.to_pylist()}


def write_finished(folder: Path, table: pa.Table, keep: frozenset[tuple[str, str, str]]) -> None:
    """Write the finished articles and the keep-line overrides they were finished under into the state folder."""
    pq.write_table(table, folder / FINISHED_FILE)
    kept = [{"kind": kind, "target": target, "override": override} for kind, target, override in sorted(keep)]
    pq.write_table(pa.Table.from_pylist(kept, KEPT), folder / KEPT_FILE)


def load_finished(folder: Path) -> FinishedCleaning:
    """Read the stored finished articles (none when the state has none)."""
    if not (folder / FINISHED_FILE).exists():
        return FinishedCleaning()
    articles = _by_identity(pq.read_table(folder / FINISHED_FILE))
    kept = frozenset(tuple(row.values()) for row in pq.read_table(folder / KEPT_FILE).to_pylist())
    return FinishedCleaning(articles, kept)


def _row(item: PreparedInput, result: Finished) -> dict:
    """A finished article as a row of the state's table."""
    raw = item.raw
    if isinstance(result, Rejection):
        return {"doc_id": raw.doc_id, "source_path": raw.source_path, "rejected_as": result.source_path} | {
            "rejection": result.reason
        }
    meta = result.metadata
    return {
        "doc_id": result.doc_id,
        "source_path": result.source_path,
        "source_item": result.source_item,
        "format": result.format,
        "content_hash": result.content_hash,
        "encoding": result.encoding,
        "site": result.site,
        **metadata_row(meta),
        "paragraphs": result.paragraphs,
        "removed_texts": [removal.text for removal in result.removals],
        "removed_reasons": [removal.reason for removal in result.removals],
        "spared_texts": [line.text for line in result.spared],
        "spared_reasons": [line.reason for line in result.spared],
        "spared_overrides": [line.override for line in result.spared],
        "unicode_repaired": result.unicode_repaired,
        "published_is_fallback": result.published_is_fallback,
        "language": result.language,
        "input_id": result.input_id,
        "input_fields": result.input_fields,
    }


def _from_row(row: dict) -> Finished:
    """A finished article back from its row."""
    if row["rejection"] is not None:
        return Rejection(row["rejected_as"], row["rejection"])
    metadata = metadata_of(row)
    return Document(
        doc_id=row["doc_id"],
        source_path=row["source_path"],
        source_item=row["source_item"],
        format=row["format"],
        content_hash=row["content_hash"],
        encoding=row["encoding"],
        metadata=metadata,
        paragraphs=row["paragraphs"],
        site=row["site"],
        removals=[Removal(text, reason) for text, reason in zip(row["removed_texts"], row["removed_reasons"])],
        spared=[
            Spared(text, reason, override)
            for text, reason, override in zip(row["spared_texts"], row["spared_reasons"], row["spared_overrides"])
        ],
        unicode_repaired=row["unicode_repaired"],
        published_is_fallback=row["published_is_fallback"],
        language=row["language"],
        input_id=row["input_id"],
        input_fields=row["input_fields"],
    )
