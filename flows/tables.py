"""Rows of each output table, built from the documents and the dedup result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from cleaners.boilerplate import LearnedLine
from dedup.deduplicate import DedupResult
from dedup.records import ClusterMembership
from dedup.signatures import count_words
from flows.corpus import corpus_record, count_corpus_words
from flows.records import Document, Rejection, Version


@dataclass
class OutputTables:
    """Everything the writers need, as plain rows."""

    articles: list[dict]
    paragraphs: list[dict]
    corrections: list[dict]
    removed: list[dict]
    rejected: list[dict]
    boilerplate: list[dict]
    versions: list[dict]
    corpus: list[dict]


def memberships_by_document(documents: Sequence[Document], dedup: DedupResult) -> dict[str, list[ClusterMembership]]:
    """Split the flat membership list back into one list per document, in paragraph order."""
    by_document: dict[str, list[ClusterMembership]] = {}
    position = 0
    for document in documents:
        by_document[document.doc_id] = dedup.memberships[position : position + len(document.paragraphs)]
        position += len(document.paragraphs)
    return by_document


def build_tables(
    documents: Sequence[Document],
    rejections: Sequence[Rejection],
    dedup: DedupResult,
    boilerplate: dict[str, dict[str, LearnedLine]],
    versions: Sequence[Version],
) -> OutputTables:
    """Turn documents, rejections, clusters, learned boilerplate and earlier captures into the rows of every
    output file."""
    memberships = memberships_by_document(documents, dedup)
    tables = OutputTables([], [], [], [], [], [], [asdict(version) for version in versions], [])
    tables.boilerplate = [
        {
            "source": line.source,
            "line": line.example,
            "key": line.key,
            "articles": line.articles,
            "source_articles": line.source_articles,
        }
        for source in sorted(boilerplate)
        for line in sorted(boilerplate[source].values(), key=lambda learned: (-learned.articles, learned.key))
    ]
    word_counts = count_words([paragraph for document in documents for paragraph in document.paragraphs]).tolist()
    position = 0
    for document in documents:
        meta = document.metadata
        words = word_counts[position : position + len(document.paragraphs)]
        tables.articles.append(
            {
                "doc_id": document.doc_id,
                "source_path": document.source_path,
                "source_item": document.source_item,
                "format": document.format,
                "title": meta.title,
                "source": meta.source,
                "site": document.site,
                "url": meta.url,
                "published": meta.published,
                "published_is_fallback": document.published_is_fallback,
                "authors": meta.authors,
                "external_ids": meta.external_ids,
                "text": "\n\n".join(document.paragraphs),
                "n_paragraphs": len(document.paragraphs),
                "n_words": sum(words),
                "duplicate_of": dedup.duplicate_of.get(document.doc_id),
                "encoding": document.encoding,
                "content_hash": document.content_hash,
                "language": document.language,
            }
        )
        canonical_paragraphs = []
        first_position, position = position, position + len(document.paragraphs)
        for para_idx, (paragraph, membership) in enumerate(zip(document.paragraphs, memberships[document.doc_id])):
            tables.paragraphs.append(
                {
                    "doc_id": document.doc_id,
                    "para_idx": para_idx,
                    "text": paragraph,
                    "n_words": words[para_idx],
                    "cluster_id": membership.cluster_id,
                    "is_canonical": membership.is_canonical,
                    "match": membership.match,
                    "jaccard": membership.jaccard,
                    "containment": membership.containment,
                    "contained_in": membership.contained_in,
                }
            )
            if membership.is_canonical:
                corpus_text = dedup.corpus_trims.get(first_position + para_idx, paragraph)
                if corpus_text:
                    canonical_paragraphs.append(corpus_text)
        if canonical_paragraphs:
            tables.corpus.append(corpus_record(document, "\n\n".join(canonical_paragraphs), sum(words)))
        tables.removed.extend(
            {"doc_id": document.doc_id, "text": removal.text, "reason": removal.reason} for removal in document.removals
        )
        tables.corrections.extend(
            {
                "doc_id": document.doc_id,
                "para_idx": correction.para_idx,
                "original": correction.original,
                "corrected": correction.corrected,
                "rule": correction.rule,
                "confidence": correction.confidence,
                "context": correction.context,
            }
            for correction in document.corrections
        )
    count_corpus_words(tables.corpus)
    tables.rejected = [{"source_path": rejection.source_path, "reason": rejection.reason} for rejection in rejections]
    return tables
