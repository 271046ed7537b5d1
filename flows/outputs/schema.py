"""The output contract: every file copydesk writes and the Arrow schema of each table.

Other projects read clean/ by these names and types; change them only with SCHEMA_VERSION.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 4

_strings = pa.list_(pa.string())

ARTICLES = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_path", pa.string()),
        ("source_item", pa.string()),
        ("format", pa.string()),
        ("title", pa.string()),
        ("source", pa.string()),
        ("site", pa.string()),
        ("url", pa.string()),
        ("published", pa.string()),
        ("published_is_fallback", pa.bool_()),
        ("authors", _strings),
        ("external_ids", _strings),
        ("text", pa.string()),
        ("n_paragraphs", pa.int32()),
        ("n_words", pa.int32()),
        ("duplicate_of", pa.string()),
        ("encoding", pa.string()),
        ("content_hash", pa.string()),
        ("language", pa.string()),
    ]
)

# A paragraph's cluster (dedup.records.ClusterMembership), as paragraphs.parquet publishes it.
MEMBERSHIP = [
    pa.field("cluster_id", pa.string()),
    pa.field("is_canonical", pa.bool_()),
    pa.field("match", pa.string()),
    pa.field("jaccard", pa.float32()),
    pa.field("containment", pa.float32()),
    pa.field("contained_in", pa.string()),
]

PARAGRAPHS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("para_idx", pa.int32()),
        ("text", pa.string()),
        ("n_words", pa.int32()),
        *MEMBERSHIP,
    ]
)

CORRECTIONS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("para_idx", pa.int32()),
        ("original", pa.string()),
        ("corrected", pa.string()),
        ("rule", pa.string()),
        ("confidence", pa.float32()),
        ("context", pa.string()),
    ]
)

REMOVED = pa.schema([("doc_id", pa.string()), ("text", pa.string()), ("reason", pa.string())])

REJECTED = pa.schema([("source_path", pa.string()), ("reason", pa.string())])

BOILERPLATE = pa.schema(
    [
        ("source", pa.string()),
        ("line", pa.string()),
        ("key", pa.string()),
        ("articles", pa.int32()),
        ("source_articles", pa.int32()),
    ]
)

VERSIONS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("url", pa.string()),
        ("canonical_url", pa.string()),
        ("captured", pa.string()),
        ("source_path", pa.string()),
        ("source_item", pa.string()),
        ("content_hash", pa.string()),
        ("reason", pa.string()),
    ]
)

# The corpus for other tools (flows/outputs/corpus.py): `id` and `text` first, as datatrove and dolma read them, dolma's
# required `source` (the article's site), then one metadata object whose fields are always present with one type (never null), so every reader infers the
# same schema on every run.
CORPUS_METADATA = pa.struct(
    [
        ("title", pa.string()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("published", pa.string()),
        ("source_path", pa.string()),
        ("input_id", pa.string()),
        ("input_fields", pa.string()),
        ("language", pa.string()),
        ("words", pa.int64()),
        ("article_words", pa.int64()),
        ("kept_share", pa.float64()),
    ]
)
CORPUS = pa.schema([("id", pa.string()), ("text", pa.string()), ("source", pa.string()), ("metadata", CORPUS_METADATA)])

TABLES = {
    "articles.parquet": ARTICLES,
    "paragraphs.parquet": PARAGRAPHS,
    "corrections.parquet": CORRECTIONS,
    "removed.parquet": REMOVED,
    "rejected.parquet": REJECTED,
    "boilerplate.parquet": BOILERPLATE,
    "versions.parquet": VERSIONS,
}
