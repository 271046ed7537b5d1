"""The work of each stage as plain functions (tested without Prefect); flows/pipeline.py wraps them."""

from __future__ import annotations

from pathlib import Path

from cleaners.article import clean_article
from cleaners.spelling import SpellingDecision, Vocabulary, apply_corrections, decide_corrections, iter_words
from dedup.deduplicate import DedupResult, deduplicate
from dedup.records import ParagraphRecord
from flows.config import Config
from flows.dictionary import load_base_dictionary
from flows.readers import read_input
from flows.records import Document, RawArticle, Rejection


def clean_raw_article(raw: RawArticle, config: Config) -> Document | Rejection:
    """Clean one read article; an article with no text left is a rejection."""
    cleaned = clean_article(raw.text, config.cleaning, raw.metadata)
    where = raw.source_path + (f" [{raw.source_item}]" if raw.source_item else "")
    if not cleaned.paragraphs:
        reasons = sorted({removal.reason for removal in cleaned.removals})
        detail = f" ({len(cleaned.removals)} lines removed: {', '.join(reasons)})" if reasons else ""
        return Rejection(where, f"no article text left after cleaning{detail}")
    words = sum(len(paragraph.split()) for paragraph in cleaned.paragraphs)
    if words < config.input.min_article_words:
        minimum = config.input.min_article_words
        return Rejection(where, f"too short after cleaning: {words} words (input.min_article_words is {minimum})")
    return Document(
        doc_id=raw.doc_id,
        source_path=raw.source_path,
        source_item=raw.source_item,
        format=raw.format,
        content_hash=raw.content_hash,
        encoding=raw.encoding,
        metadata=cleaned.metadata,
        paragraphs=cleaned.paragraphs,
        removals=cleaned.removals,
        unicode_repaired=cleaned.unicode_repaired,
    )


def read_and_clean(raw_dir: Path, relative_paths: list[str], config: Config) -> tuple[list[Document], list[Rejection]]:
    """Read and clean a batch of input files."""
    documents: list[Document] = []
    rejections: list[Rejection] = []
    for relative_path in relative_paths:
        articles, rejected = read_input(raw_dir, relative_path, config.input.max_file_bytes)
        rejections.extend(rejected)
        for raw in articles:
            result = clean_raw_article(raw, config)
            (rejections if isinstance(result, Rejection) else documents).append(result)
    return documents, rejections


def metadata_words(documents: list[Document]) -> frozenset[str]:
    """Words of titles, sources and authors: names the corpus itself vouches for."""
    words = set()
    for document in documents:
        meta = document.metadata
        for text in (meta.title, meta.source, *meta.authors):
            if text:
                words.update(word for _, _, word in iter_words(text))
    return frozenset(words)


def spelling_decisions(documents: list[Document], config: Config) -> dict[str, SpellingDecision]:
    """Judge every distinct token of the corpus once."""
    vocabulary = Vocabulary.from_texts(paragraph for document in documents for paragraph in document.paragraphs)
    return decide_corrections(vocabulary, load_base_dictionary(), config.spelling, metadata_words(documents))


def apply_spelling(documents: list[Document], decisions: dict[str, SpellingDecision]) -> list[Document]:
    """Apply the corpus-wide decisions to a batch of documents, in place, and return them."""
    for document in documents:
        document.paragraphs, document.corrections = apply_corrections(document.paragraphs, decisions)
    return documents


def paragraph_records(documents: list[Document]) -> list[ParagraphRecord]:
    """Every paragraph with the article facts the canonical policy weighs."""
    return [
        ParagraphRecord(
            doc_id=document.doc_id,
            para_idx=para_idx,
            text=paragraph,
            source=document.metadata.source,
            published=document.metadata.published,
            article_edits=len(document.removals) + len(document.corrections),
        )
        for document in documents
        for para_idx, paragraph in enumerate(document.paragraphs)
    ]


def deduplicate_documents(documents: list[Document], config: Config) -> tuple[list[ParagraphRecord], DedupResult]:
    """Cluster the paragraphs of all documents and choose the canonical copies."""
    records = paragraph_records(documents)
    return records, deduplicate(records, config.dedup, config.canonical)
