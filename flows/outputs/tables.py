"""Every output table, built column by column (Arrow, the schemas of flows/outputs/schema.py) from the run's result: the
articles' tables with Arrow compute from the cleaned articles' columns (flows/stages/cleaned.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dedup.signatures import count_words
from flows.outputs.corpus import corpus_table
from flows.outputs.schema import ARTICLES, BOILERPLATE, CORRECTIONS, PARAGRAPHS, REJECTED, REMOVED, VERSIONS
from flows.stages.cleaned import Cleaned
from flows.stages.records import RunResult

# The columns of the run's finished table (flows/state/finished.py) removed.parquet is taken from.
REMOVED_FROM = ["doc_id", "removed_texts", "removed_reasons", "rejection"]


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


def _columns(items: Sequence, schema: pa.Schema, **computed: Sequence | pa.ChunkedArray) -> pa.Table:
    """A table of the schema: the columns given, the others each item's attribute of the column's name."""
    return pa.table(
        {name: computed[name] if name in computed else list(map(attrgetter(name), items)) for name in schema.names},
        schema=schema,
    ).combine_chunks()


def articles_table(cleaned: Cleaned, article_words: np.ndarray, result: RunResult) -> pa.Table:
    """articles.parquet: one row per article, its metadata, text and counts."""
    articles, paragraphs = cleaned.articles, cleaned.paragraph_lists()
    computed = {
        "text": pc.binary_join(paragraphs, "\n\n"),
        "n_paragraphs": pc.list_value_length(paragraphs),
        "n_words": article_words,
        "duplicate_of": list(map(result.dedup.duplicate_of.get, articles["doc_id"].to_pylist())),
    }
    taken = {name: articles[name] for name in ARTICLES.names if name not in computed}
    return _columns([], ARTICLES, **taken, **computed)


def paragraphs_table(cleaned: Cleaned, paragraph_words: np.ndarray, result: RunResult) -> pa.Table:
    """paragraphs.parquet: one row per paragraph, in article order, with its cluster membership."""
    paragraphs = cleaned.paragraphs
    return _columns(
        result.dedup.memberships,
        PARAGRAPHS,
        doc_id=cleaned.articles["doc_id"].take(paragraphs["article"]),
        para_idx=paragraphs["para_idx"],
        text=paragraphs["text"],
        n_words=paragraph_words,
    )


def corrections_table(cleaned: Cleaned) -> pa.Table:
    """corrections.parquet: every article's spelling corrections."""
    corrections = cleaned.corrections
    doc_ids = cleaned.articles["doc_id"].take(corrections["article"])
    return _columns([], CORRECTIONS, doc_id=doc_ids, **{name: corrections[name] for name in CORRECTIONS.names[1:]})


def removed_table(finished: pa.Table) -> pa.Table:
    """removed.parquet: every document's removed lines, taken as Arrow columns from the run's finished table (its
    rows that are not rejections, in order), never as Python objects."""
    columns = finished.select(REMOVED_FROM)
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
    """Turn the run's cleaned articles, rejections, clusters, learned boilerplate and earlier captures into every
    output table."""
    cleaned = result.cleaned
    paragraph_words = count_words(cleaned.texts())
    owners = cleaned.paragraph_articles()
    article_words = np.bincount(owners, weights=paragraph_words, minlength=cleaned.article_count).astype(np.int64)
    return OutputTables(
        articles=articles_table(cleaned, article_words, result),
        paragraphs=paragraphs_table(cleaned, paragraph_words, result),
        corrections=corrections_table(cleaned),
        removed=removed_table(result.finished),
        rejected=_columns(result.rejections, REJECTED),
        boilerplate=boilerplate_table(result),
        versions=_columns(result.versions, VERSIONS),
        corpus=corpus_table(cleaned, article_words, result.dedup),
    )


def paragraph_counts(paragraphs: pa.Table) -> tuple[int, int, int]:
    """From paragraphs.parquet's columns: paragraphs in another's cluster, clusters of more than one, contained."""
    own_id = pc.binary_join_element_wise(paragraphs["doc_id"], pc.cast(paragraphs["para_idx"], pa.string()), "-")
    duplicates = pc.sum(pc.not_equal(paragraphs["cluster_id"], own_id)).as_py() or 0
    sizes = pc.value_counts(paragraphs["cluster_id"]).field("counts")
    clusters = pc.sum(pc.greater(sizes, 1)).as_py() or 0
    return duplicates, clusters, paragraphs.num_rows - paragraphs["contained_in"].null_count
