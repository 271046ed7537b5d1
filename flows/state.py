"""Incremental state, kept in each published run folder: what every input was when it was read
(size, modification time and content hash), every article as prepared from it (every capture, for a
WARC file), its rejections and skipped records, which paragraphs were canonical, the dedup band-key
store (flows/band_store.py) and the spelling evidence (flows/vocabulary_store.py), so a later run reads only
new or changed inputs, signs and verifies only new paragraphs, counts only the paragraphs that changed, and
keeps canonical choices the policy does not overturn.

The state carries a version; a state of another version, or one made under another config, is not
used (the run reads everything again and says why).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.article import PreparedArticle
from cleaners.edits import Removal
from cleaners.metadata import ArticleMetadata
from flows.band_store import NO_BANDS, BandUpdate, StoredBands, load_band_store, write_band_store
from flows.finished import FinishedCleaning, load_finished, write_finished
from flows.line_counts import LineCounts, load_line_counts, write_line_counts
from flows.outputs import file_sha256, write_parquet
from flows.records import Capture, RawArticle, Rejection
from flows.schema import REJECTED
from flows.stages import InputRead, PreparedInput
from flows.vocabulary_store import EMPTY_VOCABULARY, StoredVocabulary, load_vocabulary, write_vocabulary

STATE_VERSION = 5
STATE_FOLDER = "state"
_strings = pa.list_(pa.string())
CANONICAL = pa.schema([("key", pa.string())])
INPUTS = pa.schema(
    [("source_path", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()), ("sha256", pa.string())]
)
SKIPPED = pa.schema([("source_path", pa.string()), ("reason", pa.string()), ("records", pa.int64())])
DOCUMENTS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_path", pa.string()),
        ("source_item", pa.string()),
        ("format", pa.string()),
        ("content_hash", pa.string()),
        ("encoding", pa.string()),
        ("site", pa.string()),
        ("lines", _strings),
        ("title", pa.string()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("published", pa.string()),
        ("authors", _strings),
        ("external_ids", _strings),
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


@dataclass
class State:
    """The previous run's inputs (size, modification time) and what reading each one gave."""

    stamps: dict[str, tuple[int, int]]
    reads: dict[str, InputRead]
    canonical: frozenset[str] = frozenset()
    hashes: dict[str, str] = field(default_factory=dict)
    bands: StoredBands = NO_BANDS
    vocabulary: StoredVocabulary = EMPTY_VOCABULARY
    line_counts: LineCounts = field(default_factory=LineCounts)
    finished: FinishedCleaning = field(default_factory=FinishedCleaning)

    def unchanged(self, raw_dir: Path, path: str, stamp: tuple[int, int] | None) -> bool:
        """True when an input that gave articles is as the previous run read it: same size and time, or same
        content (an input that gave none is read again: it may have become readable)."""
        if path not in self.reads or not self.reads[path].prepared:
            return False
        if self.stamps.get(path) == stamp:
            return True
        return path in self.hashes and file_digest(raw_dir, path) == self.hashes[path]


def file_digest(raw_dir: Path, relative_path: str) -> str | None:
    """SHA-256 of an input's bytes on disk, or None if it cannot be read."""
    try:
        return file_sha256(raw_dir / relative_path)
    except OSError:
        return None


def state_problem(manifest: dict | None, config_sha256: str) -> str | None:
    """Why the previous run's state cannot be reused, or None when it can."""
    if manifest is None:
        return "no previous run"
    if manifest.get("state_version") != STATE_VERSION:
        return f"state version {manifest.get('state_version')} is not {STATE_VERSION}"
    if manifest.get("config_sha256") != config_sha256:
        return "the config changed"
    return None


def load_state(published: Path) -> State:
    """Read the state of the published run folder."""
    folder = published / STATE_FOLDER
    inputs = pq.read_table(folder / "inputs.parquet").to_pylist()
    stamps = {row["source_path"]: (row["size"], row["mtime_ns"]) for row in inputs}
    hashes = {row["source_path"]: row["sha256"] for row in inputs if row["sha256"]}
    reads: dict[str, InputRead] = defaultdict(InputRead)
    for row in pq.read_table(folder / "documents.parquet").to_pylist():
        metadata = ArticleMetadata(
            title=row["title"],
            source=row["source"],
            url=row["url"],
            published=row["published"],
            authors=row["authors"],
            external_ids=row["external_ids"],
        )
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
        article = PreparedArticle(row["lines"], metadata, removals, row["unicode_repaired"])
        reads[row["source_path"]].prepared.append(PreparedInput(raw, article, row["site"]))
    for row in pq.read_table(folder / "rejected.parquet").to_pylist():
        reads[row["source_path"]].rejections.append(Rejection(row["source_path"], row["reason"]))
    for row in pq.read_table(folder / "skipped.parquet").to_pylist():
        reads[row["source_path"]].skipped[row["reason"]] = row["records"]
    canonical = frozenset(row["key"] for row in pq.read_table(folder / "canonical.parquet").to_pylist())
    return State(
        stamps,
        dict(reads),
        canonical,
        hashes,
        load_band_store(folder),
        load_vocabulary(folder),
        load_line_counts(folder),
        load_finished(folder),
    )


@dataclass
class StateRows:
    """This run's state to write: each input's stamp and content hash, what reading it gave, canonical keys, the
    band-key store's update (None: no store, as with Redis), the spelling evidence, the boilerplate line counts
    and each article as the clean stage left it."""

    stamps: dict[str, tuple[int, int]]
    hashes: dict[str, str | None]
    reads: dict[str, InputRead]
    canonical: frozenset[str]
    bands: BandUpdate | None = None
    vocabulary: StoredVocabulary = EMPTY_VOCABULARY
    line_counts: LineCounts = field(default_factory=LineCounts)
    finished: tuple[pa.Table, frozenset[tuple[str, str, str]]] | None = None


def write_state(staged: Path, state: StateRows) -> None:
    """Write the state of this run into its run folder; a read input's rejections name the input itself."""
    stamps, hashes, reads, canonical = state.stamps, state.hashes, state.reads, state.canonical
    folder = staged / STATE_FOLDER
    folder.mkdir()
    write_line_counts(folder, state.line_counts)
    if state.finished is not None:
        write_finished(folder, *state.finished)
    write_parquet([{"key": key} for key in sorted(canonical)], CANONICAL, folder / "canonical.parquet")
    write_vocabulary(folder, state.vocabulary)
    inputs = [
        {"source_path": path, "size": size, "mtime_ns": mtime, "sha256": hashes.get(path)}
        for path, (size, mtime) in stamps.items()
    ]
    write_parquet(inputs, INPUTS, folder / "inputs.parquet")
    rejected = [
        {"source_path": rejection.source_path, "reason": rejection.reason}
        for read in reads.values()
        for rejection in read.rejections
    ]
    write_parquet(rejected, REJECTED, folder / "rejected.parquet")
    skipped = [
        {"source_path": path, "reason": reason, "records": records}
        for path, read in reads.items()
        for reason, records in sorted(read.skipped.items())
    ]
    write_parquet(skipped, SKIPPED, folder / "skipped.parquet")
    rows = []
    for item in (item for read in reads.values() for item in read.prepared):
        raw, meta, capture = item.raw, item.prepared.metadata, item.raw.capture
        rows.append(
            {
                "doc_id": raw.doc_id,
                "source_path": raw.source_path,
                "source_item": raw.source_item,
                "format": raw.format,
                "content_hash": raw.content_hash,
                "encoding": raw.encoding,
                "site": item.source,
                "lines": item.prepared.lines,
                "title": meta.title,
                "source": meta.source,
                "url": meta.url,
                "published": meta.published,
                "authors": meta.authors,
                "external_ids": meta.external_ids,
                "removed_texts": [removal.text for removal in item.prepared.removals],
                "removed_reasons": [removal.reason for removal in item.prepared.removals],
                "unicode_repaired": item.prepared.unicode_repaired,
                "capture_url": capture.url if capture else None,
                "captured": capture.captured if capture else None,
                "capture_offset": capture.offset if capture else None,
                "input_id": raw.input_id,
                "input_fields": raw.input_fields,
            }
        )
    write_parquet(rows, DOCUMENTS, folder / "documents.parquet")
    write_band_store(folder, state.bands)
