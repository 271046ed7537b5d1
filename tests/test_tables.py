"""The output tables built column-wise from a run's result, and the run's counts taken from their columns."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.edits import Correction, Removal
from cleaners.metadata import ArticleMetadata
from dedup.deduplicate import deduplicate
from dedup.settings import CanonicalPolicy, DedupSettings
from flows.config import CorpusSettings
from flows.outputs.corpus import kept_records, write_corpus
from flows.outputs.files import write_table
from flows.outputs.schema import TABLES
from flows.outputs.tables import build_tables, paragraph_counts
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
    dedup = deduplicate(records, DedupSettings(), CanonicalPolicy())
    rejections = [Rejection("broken.txt", "empty")]
    return RunResult(cleaned, records, dedup, rejections, [], {}, NOTHING_REVIEWED, finished)


def test_paragraph_rows_follow_documents_and_their_clusters():
    documents = [
        document("a", [SUMMIT, AFTER], removed_lines=1),
        document("b", [SUMMIT, MARKETS]),
        document("c", [WEATHER], corrections=[Correction(0, "teh", "the", "typo", 0.9, "in teh north")]),
    ]
    tables = build_tables(run_result(documents, {"a": [Removal("Share this story", "boilerplate")]}))
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
    assert tables.removed.to_pylist() == [{"doc_id": "a", "text": "Share this story", "reason": "boilerplate"}]
    assert tables.corrections.column("doc_id").to_pylist() == ["c"]
    assert tables.rejected.to_pylist() == [{"source_path": "broken.txt", "reason": "empty"}]
    corpus = tables.corpus.to_pylist()
    assert [(record["id"], record["text"]) for record in corpus] == [
        ("a", AFTER),
        ("b", f"{SUMMIT}\n\n{MARKETS}"),
        ("c", WEATHER),
    ]
    assert corpus[0]["metadata"]["kept_share"] < 1.0 == corpus[1]["metadata"]["kept_share"]


def test_counts_come_from_the_paragraph_columns():
    documents = [document("a", [SUMMIT, AFTER]), document("b", [SUMMIT]), document("c", [SUMMIT, WEATHER])]
    tables = build_tables(run_result(documents))
    assert paragraph_counts(tables.paragraphs) == (2, 1, 0)
    merged = [document("a", [SUMMIT, AFTER]), document("b", [f"{SUMMIT} {AFTER}"])]
    duplicates, clusters, contained = paragraph_counts(build_tables(run_result(merged)).paragraphs)
    assert (duplicates, clusters, contained) == (0, 0, 2)


def test_every_table_and_corpus_shard_writes_with_its_schema_even_when_empty(tmp_path):
    for documents, folder in (([document("a", [SUMMIT]), document("b", [SUMMIT])], "some"), ([], "none")):
        (tmp_path / folder).mkdir()
        tables = build_tables(run_result(documents))
        for name, schema in TABLES.items():
            write_table(getattr(tables, name.removesuffix(".parquet")), tmp_path / folder / name)
            assert pq.read_schema(tmp_path / folder / name).equals(schema)
        corpus = kept_records(tables.corpus, CorpusSettings(min_words=5, min_kept_share=0.0, documents_per_shard=1))
        written, _ = write_corpus(corpus, tmp_path / folder, 1)
        assert len([name for name in written if name.endswith(".parquet")]) == max(corpus.num_rows, 1)
    assert pq.read_table(tmp_path / "some" / "paragraphs.parquet").num_rows == 2
    assert pq.read_metadata(tmp_path / "none" / "articles.parquet").num_row_groups == 0
