"""The output tables built column-wise from a run's result, a slice of articles at a time, and the run's counts taken
from their columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaners.edits import Correction, Removal
from cleaners.metadata import ArticleMetadata
from dedup.deduplicate import deduplicate
from dedup.settings import CanonicalPolicy, DedupSettings
from dedup.signatures import count_words
from flows.config import CorpusSettings
from flows.outputs.files import ROW_GROUP_ROWS, write_table, write_tables
from flows.outputs.schema import ARTICLES, CORPUS, PARAGRAPHS, TABLES
from flows.outputs.tables import (
    ArticleTables,
    ParagraphCounts,
    article_tables,
    removed_table,
    removed_tables,
    run_tables,
)
from flows.outputs.write import write_article_tables, write_removed
from flows.review.overrides import NOTHING_REVIEWED
from flows.stages.records import Document, Rejection, RunResult
from flows.stages.steps import paragraph_records
from flows.state.finished import FINISHED
from tests.cleaned_articles import cleaned_of, finished_row

SUMMIT = (
    "The second meeting between North Korea's leader Kim Jong-un and US President Donald Trump broke up in disarray."
)
AFTER = "Both sides left Hanoi without signing the joint statement that officials had drafted over the weekend."
MARKETS = "Shares in Seoul fell sharply on Thursday as investors weighed what the failed talks meant for trade."
WEATHER = "Heavy snow closed schools across the north of England, and forecasters warned of more to come overnight."


def document(doc_id: str, paragraphs: list[str], **edits) -> Document:
    return Document(
        doc_id=doc_id,
        source_path=f"{doc_id}.txt",
        source_item=None,
        format="txt",
        content_hash=doc_id * 4,
        encoding="utf-8",
        metadata=ArticleMetadata(title=f"Title {doc_id}", source="Outlet", authors=["A. Writer"]),
        paragraphs=paragraphs,
        site="outlet.example",
        **edits,
    )


def finished_table(documents: list[Document], removals: dict[str, list[Removal]]) -> pa.Table:
    """The run's finished table: each document with its removed lines, and a rejected article between them."""
    rows = [finished_row(document, removals.get(document.doc_id, [])) for document in documents]
    rows.insert(1, {"doc_id": "broken", "source_path": "broken.txt", "rejected_as": "broken.txt", "rejection": "empty"})
    return pa.Table.from_pylist(rows, FINISHED)


def run_result(documents: list[Document], removals: dict[str, list[Removal]] | None = None) -> RunResult:
    finished = finished_table(documents, removals or {})
    cleaned = cleaned_of(documents, finished)
    records = paragraph_records(cleaned)
    dedup = deduplicate(records, list(cleaned.texts()), DedupSettings(), CanonicalPolicy())
    rejections = [Rejection("broken.txt", "empty")]
    return RunResult(cleaned, records, dedup, rejections, [], {}, NOTHING_REVIEWED, finished)


def starts(result: RunResult, slice_articles: int) -> list[int]:
    """Slices of `slice_articles` articles (one empty slice for no articles)."""
    return list(range(0, result.cleaned.article_count, slice_articles)) or [0]


def whole(result: RunResult, slice_articles: int = 1000) -> ArticleTables:
    """The article-ordered tables of every slice joined."""
    slices = list(article_tables(result, starts(result, slice_articles)))
    return ArticleTables(
        *(
            pa.concat_tables([schema.empty_table(), *(getattr(tables, name) for tables in slices)])
            for name, schema in (("articles", ARTICLES), ("paragraphs", PARAGRAPHS), ("corpus", CORPUS))
        )
    )


def paragraph_counts(result: RunResult, slice_articles: int = 1000) -> tuple[int, int, int]:
    counts = ParagraphCounts()
    for tables in article_tables(result, starts(result, slice_articles)):
        counts.add(tables.paragraphs)
    return counts.duplicates, counts.clusters(), counts.contained


def test_paragraph_rows_follow_documents_and_their_clusters():
    documents = [
        document("a", [SUMMIT, AFTER], removed_lines=1),
        document("b", [SUMMIT, MARKETS]),
        document("c", [WEATHER], corrections=[Correction(0, "teh", "the", "typo", 0.9, "in teh north")]),
    ]
    result = run_result(documents, {"a": [Removal("Share this story", "boilerplate")]})
    tables, whole_run = whole(result), run_tables(result)
    paragraphs = tables.paragraphs.to_pylist()
    assert [(row["doc_id"], row["para_idx"], row["text"]) for row in paragraphs] == [
        ("a", 0, SUMMIT),
        ("a", 1, AFTER),
        ("b", 0, SUMMIT),
        ("b", 1, MARKETS),
        ("c", 0, WEATHER),
    ]
    # The policy prefers the copy in the article with fewer edits: b's.
    assert paragraphs[0]["cluster_id"] == paragraphs[2]["cluster_id"] == "b-0"
    assert [row["is_canonical"] for row in paragraphs] == [False, True, True, True, True]
    articles = tables.articles.to_pylist()
    assert [row["text"] for row in articles] == [f"{SUMMIT}\n\n{AFTER}", f"{SUMMIT}\n\n{MARKETS}", WEATHER]
    assert [row["n_words"] for row in articles] == [
        sum(row["n_words"] for row in paragraphs if row["doc_id"] == doc_id) for doc_id in "abc"
    ]
    assert articles[0]["authors"] == ["A. Writer"] and articles[0]["title"] == "Title a"
    assert removed_table(result.finished).to_pylist() == [
        {"doc_id": "a", "text": "Share this story", "reason": "boilerplate"}
    ]
    assert whole_run.corrections.column("doc_id").to_pylist() == ["c"]
    assert whole_run.rejected.to_pylist() == [{"source_path": "broken.txt", "reason": "empty"}]
    corpus = tables.corpus.to_pylist()
    assert [(record["id"], record["text"]) for record in corpus] == [
        ("a", AFTER),
        ("b", f"{SUMMIT}\n\n{MARKETS}"),
        ("c", WEATHER),
    ]
    assert corpus[0]["metadata"]["kept_share"] < 1.0 == corpus[1]["metadata"]["kept_share"]


def test_words_are_counted_once_and_a_records_words_are_its_texts():
    cafe = "Café naïve in Tōkyō: don't ‘quote’ it — 北朝鮮 외무상 said."
    documents = [document("a", [SUMMIT, cafe, AFTER]), document("b", [SUMMIT]), document("c", ["的", WEATHER])]
    result = run_result(documents)
    result.dedup.corpus_trims = {1: "Café naïve in Tōkyō: don't."}  # a's second paragraph, trimmed
    tables = whole(result, 2)
    texts = result.cleaned.texts()
    assert tables.paragraphs["n_words"].to_pylist() == count_words(texts).tolist() == result.dedup.word_counts.tolist()
    records = tables.corpus.to_pylist()
    assert "Café naïve in Tōkyō: don't.\n\n" + AFTER in records[0]["text"]
    assert [record["metadata"]["words"] for record in records] == count_words([r["text"] for r in records]).tolist()


def test_counts_come_from_the_paragraph_columns():
    documents = [document("a", [SUMMIT, AFTER]), document("b", [SUMMIT]), document("c", [SUMMIT, WEATHER])]
    assert paragraph_counts(run_result(documents)) == (2, 1, 0)
    # A cluster's copies in other slices than its canonical paragraph's count once.
    assert paragraph_counts(run_result(documents), 1) == (2, 1, 0)
    merged = [document("a", [SUMMIT, AFTER]), document("b", [f"{SUMMIT} {AFTER}"])]
    assert paragraph_counts(run_result(merged)) == paragraph_counts(run_result(merged), 1) == (0, 0, 2)


def test_slices_of_articles_give_the_tables_of_the_whole_run():
    documents = [
        document("a", [SUMMIT, AFTER]),
        document("b", [SUMMIT, MARKETS], corrections=[Correction(1, "Seuol", "Seoul", "typo", 0.9, "in Seuol")]),
        document("c", [WEATHER, AFTER]),
        document("d", [MARKETS, WEATHER]),
    ]
    result = run_result(documents)
    canonical = [position for position, member in enumerate(result.dedup.memberships) if member.is_canonical]
    # Trimmed corpus texts (sentences kept elsewhere), one trimmed to nothing, in the slices they fall in.
    result.dedup.corpus_trims = {canonical[1]: "Both sides left Hanoi.", canonical[-1]: ""}
    one = whole(result)
    for slice_articles in (1, 2, 3):
        sliced = whole(result, slice_articles)
        for name in ("articles", "paragraphs", "corpus"):
            assert getattr(sliced, name).equals(getattr(one, name)), (name, slice_articles)
        assert paragraph_counts(result, slice_articles) == paragraph_counts(result)
    # b (corrected) holds only copies; d's one canonical paragraph is trimmed to nothing.
    assert one.corpus.select(["id", "text"]).to_pylist() == [
        {"id": "a", "text": f"{SUMMIT}\n\nBoth sides left Hanoi."},
        {"id": "c", "text": WEATHER},
    ]
    (first, first_at), (second, first_paragraph), (last, last_at) = result.cleaned.slices([0, 1, 3])
    assert (
        first_at == 0 and first.articles["doc_id"].to_pylist() == ["a"] and last.articles["doc_id"].to_pylist() == ["d"]
    )
    assert last_at == first_paragraph + second.paragraph_count
    assert first_paragraph == 2 and second.articles["doc_id"].to_pylist() == ["b", "c"]
    assert second.paragraphs.select(["article", "para_idx"]).to_pylist()[1:3] == [
        {"article": 0, "para_idx": 1},
        {"article": 1, "para_idx": 0},
    ]
    assert second.corrections.select(["article", "original"]).to_pylist() == [{"article": 0, "original": "Seuol"}]


def test_every_table_and_corpus_shard_writes_with_its_schema_even_when_empty(tmp_path):
    settings = CorpusSettings(min_words=5, min_kept_share=0.0, documents_per_shard=1)
    for documents, folder in (([document("a", [SUMMIT]), document("b", [SUMMIT])], "some"), ([], "none")):
        (tmp_path / folder).mkdir()
        result = run_result(documents)
        written = write_article_tables(result, tmp_path / folder, settings, starts=starts(result, 1))
        tables = run_tables(result)
        for name in ("corrections", "rejected", "boilerplate", "versions"):
            write_table(getattr(tables, name), tmp_path / folder / f"{name}.parquet")
        write_removed(result.finished, tmp_path / folder / "removed.parquet")
        for name, schema in TABLES.items():
            assert pq.read_table(tmp_path / folder / name).schema.equals(schema)
        shards = [name for name in written.corpus_files if name.endswith(".parquet")]
        assert len(shards) == max(written.corpus_records.kept, 1)
        for shard in shards:
            assert pq.read_table(tmp_path / folder / shard).schema.equals(CORPUS)
    assert pq.read_table(tmp_path / "some" / "paragraphs.parquet").num_rows == 2
    # A part an article here, and one part of no row group for no articles (readers still find the schema).
    assert [pq.read_metadata(part).num_row_groups for part in parts(tmp_path / "some" / "paragraphs.parquet")] == [1, 1]
    assert [pq.read_metadata(part).num_row_groups for part in parts(tmp_path / "none" / "articles.parquet")] == [0]


def parts(folder: Path) -> list[Path]:
    """A parted table's part files, in order."""
    return sorted(folder.glob("*.parquet"))


def test_removed_lines_written_a_slice_of_documents_at_a_time_are_the_bytes_of_the_whole_table(tmp_path):
    """removed.parquet taken from whole chunks of the finished table at a time: the rows and their chunks are those
    of the table taken whole, so the file's bytes are too (later runs hard-link it when unchanged)."""
    lines = [
        Removal(f"Line {number % 7}", "junk_line" if number % 3 else "learned_boilerplate") for number in range(40)
    ]
    documents = [document(f"d{number}", [SUMMIT]) for number in range(12)]
    removals = {f"d{number}": lines[number : number + number % 5] for number in range(12)}
    finished = finished_table(documents, removals)
    chunked = pa.Table.from_batches(
        [batch for start in range(0, finished.num_rows, 3) for batch in finished.slice(start, 3).to_batches()]
    )
    whole_table = removed_table(chunked)
    write_table(whole_table, tmp_path / "whole.parquet")
    for documents_a_slice, slices in ((1, 5), (4, 3), (100, 1)):  # whole chunks of 3, 3, 3, 3 and 1 documents
        sliced = list(removed_tables(chunked, documents_a_slice))
        assert len(sliced) == slices
        assert pa.concat_tables(sliced).equals(whole_table)
    counted = write_removed(chunked, tmp_path / "sliced.parquet")
    assert counted.rows == whole_table.num_rows == sum(map(len, removals.values()))
    assert (tmp_path / "sliced.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    assert (
        list(removed_tables(finished.slice(0, 0))) and write_removed(finished.slice(0, 0), tmp_path / "none").rows == 0
    )


def test_tables_written_in_pieces_are_the_bytes_of_their_concatenation_written_whole(tmp_path):
    """More rows than two row groups hold, in pieces that straddle the row groups' bounds: the same file as the
    pieces concatenated and written whole (pyarrow cuts a row group every ROW_GROUP_ROWS rows)."""
    numbers = pa.array(np.arange(ROW_GROUP_ROWS * 2 + 12_345))
    table = pa.table(
        {"number": numbers, "text": pc.binary_join_element_wise("line ", pc.cast(numbers, pa.string()), "")}
    )
    pieces = [table.slice(start, 700_001) for start in range(0, table.num_rows, 700_001)]
    write_table(pa.concat_tables(pieces), tmp_path / "whole.parquet")
    write_tables(iter(pieces), table.schema, tmp_path / "pieces.parquet")
    assert pq.read_metadata(tmp_path / "pieces.parquet").num_row_groups == 3
    assert (tmp_path / "pieces.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    write_tables(iter([table.slice(0, 0)]), table.schema, tmp_path / "none.parquet")
    assert pq.read_metadata(tmp_path / "none.parquet").num_row_groups == 0
