"""Every output table, built column by column (Arrow, the schemas of flows/schema.py) from the run's result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dedup.signatures import count_words
from flows.corpus import corpus_table
from flows.records import Document, RunResult
from flows.schema import ARTICLES, BOILERPLATE, CORRECTIONS, PARAGRAPHS, REJECTED, REMOVED, VERSIONS

# The articles.parquet columns taken from the article's metadata.
METADATA_COLUMNS = ("title", "source", "url", "published", "authors", "external_ids")


@dataclass
class OutputTables:
    """Every table the run publishes, and the corpus before its length filter."""

    articles: pa.Table
    paragraphs: pa.Table
    corrections: pa.Table
    removed: pa.Table
    rejected: pa.Table
    boilerplate: pa.Table
    versions: pa.Table
    corpus: pa.Table


def _columns(items: Sequence, schema: pa.Schema, **computed: Sequence) -> pa.Table:
    """A table of the schema: the columns given, the others each item's attribute of the column's name."""
    return pa.table(
        {name: computed[name] if name in computed else list(map(attrgetter(name), items)) for name in schema.names},
        schema=schema,
    )


def _per_document(documents: Sequence[Document], counts: Sequence[int], values: Sequence) -> list:
    """A document-level value repeated for each of its rows (`counts` rows per document)."""
    return [value for value, count in zip(values, counts) for _ in range(count)]


def articles_table(documents: Sequence[Document], article_words: np.ndarray, result: RunResult) -> pa.Table:
    """articles.parquet: one row per document, its metadata, text and counts."""
    metas = [document.metadata for document in documents]
    return _columns(
        documents,
        ARTICLES,
        **{name: [getattr(meta, name) for meta in metas] for name in METADATA_COLUMNS},
        text=["\n\n".join(document.paragraphs) for document in documents],
        n_paragraphs=[len(document.paragraphs) for document in documents],
        n_words=article_words,
        duplicate_of=[result.dedup.duplicate_of.get(document.doc_id) for document in documents],
    )


def paragraphs_table(documents: Sequence[Document], paragraph_words: np.ndarray, result: RunResult) -> pa.Table:
    """paragraphs.parquet: one row per paragraph, in document order, with its cluster membership."""
    sizes = [len(document.paragraphs) for document in documents]
    memberships = result.dedup.memberships
    return _columns(
        memberships,
        PARAGRAPHS,
        doc_id=_per_document(documents, sizes, [document.doc_id for document in documents]),
        para_idx=[para_idx for size in sizes for para_idx in range(size)],
        text=[paragraph for document in documents for paragraph in document.paragraphs],
        n_words=paragraph_words,
    )


def corrections_table(documents: Sequence[Document]) -> pa.Table:
    """corrections.parquet: every document's spelling corrections."""
    edits = [document.corrections for document in documents]
    flat = [edit for document_edits in edits for edit in document_edits]
    doc_ids = _per_document(documents, list(map(len, edits)), [document.doc_id for document in documents])
    return _columns(flat, CORRECTIONS, doc_id=doc_ids)


def removed_table(finished: pa.Table) -> pa.Table:
    """removed.parquet: every document's removed lines, taken as Arrow columns from the run's finished table (its
    rows that are not rejections, in order), never as Python objects."""
    columns = finished.select(["doc_id", "removed_texts", "removed_reasons", "rejection"])
    documents = columns.filter(pc.is_null(columns["rejection"]))
    owners = pc.list_parent_indices(documents["removed_texts"])
    return pa.table(
        {
            "doc_id": documents["doc_id"].take(owners),
            "text": pc.list_flatten(documents["removed_texts"]),
            "reason": pc.list_flatten(documents["removed_reasons"]),
        },
        schema=REMOVED,
    ).combine_chunks()


def boilerplate_table(result: RunResult) -> pa.Table:
    """boilerplate.parquet: each site's learned lines, most widespread first."""
    lines = [
        line
        for source in sorted(result.boilerplate)
        for line in sorted(result.boilerplate[source].values(), key=lambda learned: (-learned.articles, learned.key))
    ]
    return _columns(lines, BOILERPLATE, line=[line.example for line in lines])


def build_tables(result: RunResult) -> OutputTables:
    """Turn the run's documents, rejections, clusters, learned boilerplate and earlier captures into every output
    table."""
    documents = result.documents
    paragraph_words = count_words([paragraph for document in documents for paragraph in document.paragraphs])
    owners = np.repeat(np.arange(len(documents)), [len(document.paragraphs) for document in documents])
    article_words = np.bincount(owners, weights=paragraph_words, minlength=len(documents)).astype(np.int64)
    return OutputTables(
        articles=articles_table(documents, article_words, result),
        paragraphs=paragraphs_table(documents, paragraph_words, result),
        corrections=corrections_table(documents),
        removed=removed_table(result.finished),
        rejected=_columns(result.rejections, REJECTED),
        boilerplate=boilerplate_table(result),
        versions=_columns(result.versions, VERSIONS),
        corpus=corpus_table(documents, article_words, result.dedup),
    )


def paragraph_counts(paragraphs: pa.Table) -> tuple[int, int, int]:
    """From paragraphs.parquet's columns: paragraphs in another's cluster, clusters of more than one, contained."""
    own_id = pc.binary_join_element_wise(paragraphs["doc_id"], pc.cast(paragraphs["para_idx"], pa.string()), "-")
    duplicates = pc.sum(pc.not_equal(paragraphs["cluster_id"], own_id)).as_py() or 0
    sizes = pc.value_counts(paragraphs["cluster_id"]).field("counts")
    clusters = pc.sum(pc.greater(sizes, 1)).as_py() or 0
    return duplicates, clusters, paragraphs.num_rows - paragraphs["contained_in"].null_count
