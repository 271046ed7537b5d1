"""The run's cleaned articles as the flow holds them from clean to write: Arrow columns, not Python objects. A row an
article (its origin, metadata, language and how many lines cleaning removed), a row a paragraph (its article's row,
its place in the article and its text) and a row a spelling correction; made from the run's finished table
(flows/state/finished.py) and given the spelling stage's rows (flows/stages/spelled.py). Python strings are made from them only
where a pure function takes them, and only for as long as it runs."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flows.stages.column_texts import ColumnTexts
from flows.stages.shards import ARTICLE_METADATA, ARTICLE_ORIGIN

# What finishing an article found or kept of its input, beside its origin and metadata (flows/state/finished.py's table).
CLEANING_FACTS = [
    ("unicode_repaired", pa.bool_()),
    ("published_is_fallback", pa.bool_()),
    ("language", pa.string()),
    ("input_id", pa.string()),
    ("input_fields", pa.string()),
]
ARTICLE_COLUMNS = pa.schema([*ARTICLE_ORIGIN, *ARTICLE_METADATA, *CLEANING_FACTS, ("removed_lines", pa.int32())])
# The texts are large_string (int64 offsets): a million articles' paragraphs pass the 2 GB that int32 offsets reach;
# the write stage's tables cast them back to string a slice at a time.
PARAGRAPH_COLUMNS = pa.schema([("article", pa.int32()), ("para_idx", pa.int32()), ("text", pa.large_string())])
# A spelling correction's fields (cleaners.edits.Correction), as the spelling stage's rows hold them.
CORRECTION = [
    ("para_idx", pa.int64()),
    ("original", pa.string()),
    ("corrected", pa.string()),
    ("rule", pa.string()),
    ("confidence", pa.float64()),
    ("context", pa.string()),
]
CORRECTION_COLUMNS = pa.schema([("article", pa.int32()), *CORRECTION])
# The article columns the report shows beside a paragraph or an article.
FACT_COLUMNS = ["doc_id", "source_path", "title", "source", "site", "published"]


@dataclass
class Cleaned:
    """The cleaned articles (ARTICLE_COLUMNS), their paragraphs in article order (PARAGRAPH_COLUMNS) and their
    spelling corrections in article order (CORRECTION_COLUMNS)."""

    articles: pa.Table = field(default_factory=ARTICLE_COLUMNS.empty_table)
    paragraphs: pa.Table = field(default_factory=PARAGRAPH_COLUMNS.empty_table)
    corrections: pa.Table = field(default_factory=CORRECTION_COLUMNS.empty_table)

    @property
    def article_count(self) -> int:
        return self.articles.num_rows

    @property
    def paragraph_count(self) -> int:
        return self.paragraphs.num_rows

    def texts(self) -> ColumnTexts:
        """Every paragraph's text, in order, each made a Python string only when read."""
        return ColumnTexts(self.paragraphs["text"])

    def paragraph_articles(self) -> np.ndarray:
        """Each paragraph's article (its row in `articles`)."""
        return self.paragraphs["article"].to_numpy()

    def paragraph_ids(self, positions: np.ndarray) -> pa.ChunkedArray:
        """The `paragraph_id` (its article's doc_id and its index) of the paragraphs at `positions`, joined by Arrow
        from the columns (no string made in Python)."""
        return pc.binary_join_element_wise(
            self.articles["doc_id"].take(pa.array(self.paragraph_articles()[positions], pa.int64())),
            self.paragraphs["para_idx"].take(pa.array(positions, pa.int64())).cast(pa.string()),
            "-",
        )

    def per_paragraph(self, values: list) -> list:
        """An article-level value (a Python list, a value an article) repeated for each of its paragraphs."""
        return [values[article] for article in self.paragraph_articles().tolist()]

    def paragraph_counts(self) -> np.ndarray:
        """How many paragraphs each article has."""
        return np.bincount(self.paragraph_articles(), minlength=self.article_count)

    def first_paragraphs(self) -> np.ndarray:
        """Each article's first paragraph's position over all paragraphs."""
        counts = self.paragraph_counts()
        return np.cumsum(counts) - counts

    def paragraph_lists(self) -> pa.ListArray:
        """Each article's paragraphs as a list of texts, an article a row."""
        offsets = np.concatenate([[0], np.cumsum(self.paragraph_counts())])
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), one_array(self.paragraphs["text"]))

    def slices(self, starts: Sequence[int]) -> Iterator[tuple[Cleaned, int]]:
        """The articles from each of `starts` (ascending, from 0) to the next, with their paragraphs and corrections
        (rows renumbered from the first), and the position of their first paragraph over all paragraphs (slices of
        the columns, no copy but the numbers; where each slice's rows begin found once for all, not a pass over
        every paragraph a slice)."""
        bounds = np.array([*starts, self.article_count], np.int64)
        paragraphs = np.searchsorted(self.paragraph_articles().astype(np.int64, copy=False), bounds).tolist()
        corrections = np.searchsorted(self.corrections["article"].to_numpy().astype(np.int64, copy=False), bounds)
        rows = zip(pairwise(bounds.tolist()), pairwise(paragraphs), pairwise(corrections.tolist()), strict=True)
        for (start, stop), (first, last), (first_correction, last_correction) in rows:
            yield (
                Cleaned(
                    self.articles.slice(start, stop - start),
                    _renumbered(self.paragraphs.slice(first, last - first), start),
                    _renumbered(self.corrections.slice(first_correction, last_correction - first_correction), start),
                ),
                first,
            )

    def facts(self, doc_ids: Collection[str]) -> dict[str, dict]:
        """The FACT_COLUMNS of the articles named, by doc_id (only theirs become Python objects)."""
        chosen = pc.is_in(self.articles["doc_id"], pa.array(list(doc_ids), pa.string()))
        return {row["doc_id"]: row for row in self.articles.select(FACT_COLUMNS).filter(chosen).to_pylist()}


def _renumbered(rows: pa.Table, first_article: int) -> pa.Table:
    """Rows of a paragraph or correction table whose articles are counted from `first_article`."""
    shifted = pc.subtract(rows["article"], pa.scalar(first_article, pa.int32()))
    return rows.set_column(0, rows.schema.field(0), shifted)


def from_finished(table: pa.Table) -> Cleaned:
    """The articles of a finished table (flows/state/finished.py) that are not rejections, their texts taken from it as they
    are (no copy)."""
    is_article = pc.is_null(table["rejection"])
    removed = pc.fill_null(pc.list_value_length(table["removed_texts"]), 0).cast(pa.int32())
    articles = table.select(ARTICLE_COLUMNS.names[:-1]).append_column("removed_lines", removed).filter(is_article)
    article_of_row = np.cumsum(np.asarray(is_article)) - 1
    return Cleaned(articles.combine_chunks(), paragraph_rows(table["paragraphs"], article_of_row))


def paragraph_rows(lists: pa.ChunkedArray, articles: np.ndarray) -> pa.Table:
    """The texts of `lists` (a list of texts a row) as PARAGRAPH_COLUMNS rows, row i's of article `articles[i]`: each
    chunk's texts made large_string apart, so no chunk's offsets are joined with another's."""
    counts = pc.fill_null(pc.list_value_length(lists), 0).to_numpy()
    starts = np.cumsum(counts) - counts
    para_idx = np.arange(counts.sum()) - np.repeat(starts, counts)
    texts = pa.chunked_array([chunk.flatten().cast(pa.large_string()) for chunk in lists.chunks], pa.large_string())
    return pa.table(
        [pa.array(np.repeat(articles, counts), pa.int32()), pa.array(para_idx, pa.int32()), texts],
        schema=PARAGRAPH_COLUMNS,
    )


def one_array(column: pa.ChunkedArray) -> pa.Array:
    """A column as one array: its only chunk as it is (no copy), else its chunks joined."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
