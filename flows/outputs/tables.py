"""Every output table, built column by column (Arrow, the schemas of flows/outputs/schema.py) from the run's result: the
articles' tables with Arrow compute from the cleaned articles' columns (flows/stages/cleaned.py), a slice of articles
at a time."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flows.outputs.corpus import corpus_table
from flows.outputs.schema import ARTICLES, BOILERPLATE, CORRECTIONS, PARAGRAPHS, REJECTED, REMOVED, VERSIONS
from flows.stages.cleaned import Cleaned
from flows.stages.records import RunResult

# The columns of the run's finished table (flows/state/finished.py) removed.parquet is taken from.
REMOVED_FROM = ["doc_id", "removed_texts", "removed_reasons", "rejection"]
# How many of the finished table's documents removed.parquet's rows are taken from at a time (at least; whole chunks).
REMOVED_SLICE_DOCUMENTS = 16_384


@dataclass
class ArticleTables:
    """The article-ordered tables of a slice of the run's articles, and its corpus before its length filter."""

    articles: pa.Table
    paragraphs: pa.Table
    corpus: pa.Table


@dataclass
class RunTables:
    """The tables the run builds whole (few rows an article)."""

    corrections: pa.Table
    rejected: pa.Table
    boilerplate: pa.Table
    versions: pa.Table

    def rows(self) -> dict[str, int]:
        """How many rows each table has, by its field's name."""
        return {name.name: getattr(self, name.name).num_rows for name in fields(self)}


@dataclass
class ParagraphCounts:
    """The run's paragraph counts, summed over the slices of paragraphs.parquet's columns: paragraphs in another's
    cluster, clusters of more than one (the ids those paragraphs name, each slice's distinct ones as Arrow strings,
    counted once all are added: a Python set held a string a cluster), paragraphs inside another."""

    duplicates: int = 0
    cluster_ids: list[pa.Array] = field(default_factory=list)
    contained: int = 0

    def add(self, paragraphs: pa.Table) -> None:
        """Count a slice of paragraphs.parquet's rows."""
        own_id = pc.binary_join_element_wise(paragraphs["doc_id"], pc.cast(paragraphs["para_idx"], pa.string()), "-")
        elsewhere = pc.not_equal(paragraphs["cluster_id"], own_id)
        self.duplicates += pc.sum(elsewhere).as_py() or 0
        self.cluster_ids.append(pc.unique(paragraphs["cluster_id"].filter(elsewhere)))
        self.contained += paragraphs.num_rows - paragraphs["contained_in"].null_count

    def clusters(self) -> int:
        """How many distinct clusters of more than one the slices' paragraphs name."""
        return pc.count_distinct(pa.chunked_array(self.cluster_ids, pa.string())).as_py()


def _columns(items: Sequence, schema: pa.Schema, **computed: Sequence | pa.ChunkedArray) -> pa.Table:
    """A table of the schema: the columns given, the others each item's attribute of the column's name."""
    return pa.table(
        {name: computed[name] if name in computed else list(map(attrgetter(name), items)) for name in schema.names},
        schema=schema,
    ).combine_chunks()


def articles_table(cleaned: Cleaned, article_words: np.ndarray, originals: pa.ChunkedArray) -> pa.Table:
    """articles.parquet: one row per article, its metadata, text and counts (`originals`: the doc_id each article
    wholly copies, or null)."""
    articles, paragraphs = cleaned.articles, cleaned.paragraph_lists()
    computed = {
        "text": pc.binary_join(paragraphs, "\n\n"),
        "n_paragraphs": pc.list_value_length(paragraphs),
        "n_words": article_words,
        "duplicate_of": originals,
    }
    taken = {name: articles[name] for name in ARTICLES.names if name not in computed}
    return _columns([], ARTICLES, **taken, **computed)


def paragraphs_table(cleaned: Cleaned, paragraph_words: np.ndarray, memberships: dict[str, pa.Array]) -> pa.Table:
    """paragraphs.parquet: one row per paragraph, in article order, with its cluster membership (`memberships`:
    the paragraphs' `Memberships.columns`, cast to the table's types)."""
    paragraphs = cleaned.paragraphs
    return _columns(
        [],
        PARAGRAPHS,
        doc_id=cleaned.articles["doc_id"].take(paragraphs["article"]),
        para_idx=paragraphs["para_idx"],
        text=paragraphs["text"],
        n_words=paragraph_words,
        **{name: column.cast(PARAGRAPHS.field(name).type) for name, column in memberships.items()},
    )


def corrections_table(cleaned: Cleaned) -> pa.Table:
    """corrections.parquet: every article's spelling corrections."""
    corrections = cleaned.corrections
    doc_ids = cleaned.articles["doc_id"].take(corrections["article"])
    return _columns([], CORRECTIONS, doc_id=doc_ids, **{name: corrections[name] for name in CORRECTIONS.names[1:]})


def removed_table(finished: pa.Table) -> pa.Table:
    """removed.parquet: every document's removed lines, taken as Arrow columns from the run's finished table (its
    rows that are not rejections, in order), never as Python objects; the lines' chunks are the table's, never
    joined (past 2 GB of lines they could not be)."""
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
    )


def removed_tables(finished: pa.Table, documents: int = REMOVED_SLICE_DOCUMENTS) -> Iterator[pa.Table]:
    """removed.parquet's rows a slice of the finished table at a time, in order: whole chunks of it, `documents` rows
    or more a slice (one empty table for no rows), so each row's chunk is the one removed_table gives of the whole
    table (and the file's bytes are the same)."""
    columns = finished.select(REMOVED_FROM)
    held: list[pa.RecordBatch] = []
    rows = 0
    for batch in columns.to_batches():
        held.append(batch)
        rows += batch.num_rows
        if rows >= documents:
            yield removed_table(pa.Table.from_batches(held, columns.schema))
            held, rows = [], 0
    if held or not columns.num_rows:
        yield removed_table(pa.Table.from_batches(held, columns.schema))


def boilerplate_table(result: RunResult) -> pa.Table:
    """boilerplate.parquet: each site's learned lines, most widespread first."""
    lines = [
        line
        for source in sorted(result.boilerplate)
        for line in sorted(result.boilerplate[source].values(), key=lambda learned: (-learned.articles, learned.key))
    ]
    return _columns(lines, BOILERPLATE, line=[line.example for line in lines])


def article_tables(result: RunResult, starts: Sequence[int]) -> Iterator[ArticleTables]:
    """The article-ordered tables a slice of articles at a time, in order: a slice from each of `starts` (article
    positions, ascending, from 0) to the next (the article-ordered tables are never held whole)."""
    trimmed = sorted(result.dedup.corpus_trims)
    count = result.cleaned.article_count
    originals = result.dedup.duplicate_of.originals(result.cleaned.articles["doc_id"])
    slices = result.cleaned.slices(starts)
    for start, end, (cleaned, first) in zip(starts, [*starts[1:], count], slices, strict=True):
        cleaned = published_texts(cleaned)
        last = first + cleaned.paragraph_count
        memberships = result.dedup.memberships.columns(np.arange(first, last))
        trims = {
            position - first: result.dedup.corpus_trims[position]
            for position in trimmed[bisect_left(trimmed, first) : bisect_left(trimmed, last)]
        }
        paragraph_words = result.dedup.word_counts[first:last]
        owners = cleaned.paragraph_articles()
        article_words = np.bincount(owners, weights=paragraph_words, minlength=cleaned.article_count).astype(np.int64)
        yield ArticleTables(
            articles=articles_table(cleaned, article_words, originals.slice(start, end - start)),
            paragraphs=paragraphs_table(cleaned, paragraph_words, memberships),
            corpus=corpus_table(cleaned, paragraph_words, article_words, memberships["is_canonical"], trims),
        )


def published_texts(cleaned: Cleaned) -> Cleaned:
    """A slice of the cleaned articles with its texts cast from large_string to string, as the published tables
    hold them: each chunk's slice copied alone first (a slice's texts are far under the 2 GB int32 offsets reach,
    but its offsets into a larger column may not be)."""
    paragraphs = cleaned.paragraphs
    texts = [pa.concat_arrays([chunk]).cast(pa.string()) for chunk in paragraphs["text"].chunks]
    text = pa.chunked_array(texts, pa.string())
    return replace(cleaned, paragraphs=paragraphs.set_column(paragraphs.schema.get_field_index("text"), "text", text))


def run_tables(result: RunResult) -> RunTables:
    """The tables built whole: the corrections, rejections, learned boilerplate and earlier captures."""
    return RunTables(
        corrections=corrections_table(result.cleaned),
        rejected=_columns(result.rejections, REJECTED),
        boilerplate=boilerplate_table(result),
        versions=_columns(result.versions, VERSIONS),
    )
