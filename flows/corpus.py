"""The corpus other tools load as it is: one record per article with canonical text, `id` and `text` first and a
metadata object of fixed fields, written as gzipped JSONL shards (corpus/NNNNN.jsonl.gz, as datatrove and dolma
write them) and the same shards as Parquet (corpus.parquet/NNNNN.parquet); also the deprecated corpus.jsonl.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dedup.signatures import count_words
from flows.config import CorpusSettings
from flows.outputs import write_jsonl, write_jsonl_gz, write_parquet
from flows.records import Document
from flows.schema import CORPUS

JSONL_FOLDER = "corpus"
PARQUET_FOLDER = "corpus.parquet"
# corpus.jsonl in its schema 2 shape, kept for one release (removed with schema 4).
LEGACY_JSONL = "corpus.jsonl"


def corpus_record(document: Document, text: str, article_words: int) -> dict:
    """A document's corpus record; `words` and `kept_share` are filled by count_corpus_words."""
    meta = document.metadata
    return {
        "id": document.doc_id,
        "text": text,
        "source": document.site,
        "metadata": {
            "title": meta.title or "",
            "source": meta.source or "",
            "url": meta.url or "",
            "published": meta.published or "",
            "source_path": document.source_path,
            "input_id": document.input_id,
            "input_fields": document.input_fields,
            "language": document.language,
            "words": 0,
            "article_words": article_words,
            "kept_share": 0.0,
        },
    }


def count_corpus_words(records: Sequence[dict]) -> None:
    """Fill each record's corpus word count and the share of its article's words that it keeps, in place."""
    for record, words in zip(records, count_words([record["text"] for record in records]).tolist()):
        metadata = record["metadata"]
        metadata["words"] = words
        metadata["kept_share"] = (
            round(min(1.0, words / metadata["article_words"]), 4) if metadata["article_words"] else 0.0
        )


def kept_records(records: Sequence[dict], settings: CorpusSettings) -> list[dict]:
    """The records long enough, in words and in share of their article, to stay in the corpus."""
    return [
        record
        for record in records
        if record["metadata"]["words"] >= settings.min_words
        and record["metadata"]["kept_share"] >= settings.min_kept_share
    ]


def legacy_record(record: dict) -> dict:
    """A record in corpus.jsonl's schema 2 shape: doc_id, title, source, url, published (null when unknown),
    language, text."""
    metadata = record["metadata"]
    fields = {name: metadata[name] or None for name in ("title", "source", "url", "published", "language")}
    return {"doc_id": record["id"], **fields, "text": record["text"]}


def write_corpus(records: Sequence[dict], staged: Path, documents_per_shard: int) -> list[str]:
    """Write the corpus shards (at least one, empty when no record is kept) and corpus.jsonl into the run folder;
    return the files written, relative to it."""
    written = []
    for folder in (JSONL_FOLDER, PARQUET_FOLDER):
        (staged / folder).mkdir()
    starts = range(0, max(len(records), 1), documents_per_shard)
    for shard, start in enumerate(starts):
        rows = records[start : start + documents_per_shard]
        jsonl, parquet = f"{JSONL_FOLDER}/{shard:05d}.jsonl.gz", f"{PARQUET_FOLDER}/{shard:05d}.parquet"
        write_jsonl_gz(rows, staged / jsonl)
        write_parquet(list(rows), CORPUS, staged / parquet)
        written += [jsonl, parquet]
    write_jsonl(map(legacy_record, records), staged / LEGACY_JSONL)
    return [*written, LEGACY_JSONL]


def shard_names(written: Sequence[str]) -> list[str]:
    """The top-level names to publish for the files write_corpus wrote (a shard folder once)."""
    return list(dict.fromkeys(name.split("/", 1)[0] for name in written))
