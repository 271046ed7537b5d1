"""Rows of a table of several chunks taken without joining its chunks (flows/stages/chunked.py): the same rows as
Arrow's take, long runs of consecutive rows sliced (their bytes not copied), the rest copied a bounded number at a
time."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from flows.stages import chunked
from flows.stages.chunked import take_rows
from flows.stages.cleaned import from_finished
from flows.stages.spelled import SPELLED, lay_over
from flows.state.finished import FINISHED
from tests.test_dedup import seed_paragraphs

PARAGRAPHS = [text for prefix in ("000", "001", "004") for text in seed_paragraphs(prefix)]


def articles_in_parts(sizes: list[int]) -> pa.Table:
    """A table of articles (number, paragraphs) in parts of these sizes, as read from a folder of parts."""
    parts, number = [], 0
    for size in sizes:
        rows = range(number, number + size)
        paragraphs = [PARAGRAPHS[row % len(PARAGRAPHS) :][: row % 4] or None for row in rows]
        parts.append(
            pa.table({"number": pa.array(rows, pa.int64()), "paragraphs": pa.array(paragraphs, pa.list_(pa.string()))})
        )
        number += size
    return pa.concat_tables(parts)


@pytest.mark.parametrize("seed", range(6))
def test_taken_rows_equal_arrows_take_in_any_order(monkeypatch, seed):
    monkeypatch.setattr(chunked, "RUN_ROWS", 5)
    monkeypatch.setattr(chunked, "TAKE_ROWS", 8)
    table = articles_in_parts([7, 0, 13, 1, 9])
    rng = np.random.default_rng(seed)
    runs = [np.arange(start, min(start + rng.integers(1, 12), 30)) for start in rng.integers(0, 30, 6)]
    for rows in (rng.integers(0, 30, 40), np.concatenate(runs), np.arange(30), np.arange(30)[::-1], []):
        taken = take_rows(table, rows)
        assert taken.schema == table.schema
        assert taken.to_pylist() == [table.slice(row, 1).to_pylist()[0] for row in rows]


@pytest.mark.parametrize("sliced_run_rows", [1, 3, 100])
def test_short_runs_copied_as_slices_or_row_by_row_equal_arrows_take(monkeypatch, sliced_run_rows):
    monkeypatch.setattr(chunked, "RUN_ROWS", 6)
    monkeypatch.setattr(chunked, "TAKE_ROWS", 10)
    monkeypatch.setattr(chunked, "SLICED_RUN_ROWS", sliced_run_rows)
    table = articles_in_parts([7, 0, 13, 1, 9])
    rows = [2, 3, 4, 21, 22, 8, 9, 10, 11, 0, 1, 29, 12, 13, 14, 15, 16, 17, 18, 5, 6, 20, 19]  # runs across parts
    taken = take_rows(table, rows)
    assert taken.to_pylist() == [table.slice(row, 1).to_pylist()[0] for row in rows]
    assert [len(chunk) for chunk in taken["number"].chunks] == [11, 1, 7, 4], "copied twice, a run of 7 sliced, copied"


def test_a_long_run_is_a_slice_and_the_rest_is_copied_a_bounded_number_at_a_time(monkeypatch):
    monkeypatch.setattr(chunked, "RUN_ROWS", 5)
    monkeypatch.setattr(chunked, "TAKE_ROWS", 4)
    table = articles_in_parts([10, 10])
    rows = [0, 3, 19, 2, 11, 12, 13, 14, 15, 16, 1, 4, 5, 6, 7]  # a run of 6 in the second part
    taken = take_rows(table, rows)
    assert taken["number"].to_pylist() == rows
    assert [len(chunk) for chunk in taken["paragraphs"].chunks] == [4, 6, 5]
    run = taken["paragraphs"].chunks[1]
    assert run.values.buffers()[2].address == table["paragraphs"].chunks[1].values.buffers()[2].address


def test_spelled_paragraphs_are_laid_over_in_article_order_without_joining_the_chunks(monkeypatch, tmp_path):
    monkeypatch.setattr(chunked, "RUN_ROWS", 4)
    articles = [list(PARAGRAPHS[start : start + 3 + start % 3]) for start in range(0, 24, 3)]
    rows = [
        {"doc_id": str(number), "source_path": f"{number}.txt", "paragraphs": paragraphs}
        for number, paragraphs in enumerate(articles)
    ]
    table = pa.concat_tables([pa.Table.from_pylist(rows[start : start + 3], FINISHED) for start in (0, 3, 6)])
    cleaned = from_finished(table)
    spelled_articles = {5: ["The goverment said so.", "Twice."], 0: ["Once."], 2: articles[2][:2] + ["Fixed."]}
    correction = {"para_idx": 0, "original": "a", "corrected": "b", "rule": "typo", "confidence": 0.9, "context": "a"}
    spelled = pa.Table.from_pylist(
        [
            {"row": row, "paragraphs": texts, "corrections": [correction] * row}
            for row, texts in spelled_articles.items()
        ],
        SPELLED,
    )
    laid = lay_over(cleaned, list(range(len(articles))), spelled, tmp_path / "laid.arrow")
    expected = [spelled_articles.get(number, paragraphs) for number, paragraphs in enumerate(articles)]
    assert laid.paragraphs["text"].to_pylist() == [text for paragraphs in expected for text in paragraphs]
    assert laid.paragraphs["article"].to_pylist() == [n for n, paragraphs in enumerate(expected) for _ in paragraphs]
    assert laid.paragraphs["para_idx"].to_pylist() == [i for paragraphs in expected for i in range(len(paragraphs))]
    assert laid.paragraphs["text"].num_chunks > 1 and laid.corrections["article"].to_pylist() == [2, 2, 5, 5, 5, 5, 5]


def test_columns_are_put_one_after_another_by_their_chunks_none_copied():
    keys = pa.chunked_array([pa.array([b"a" * 16, b"b" * 16], pa.binary(16)), pa.array([b"c" * 16], pa.binary(16))])
    more = pa.array([b"d" * 16], pa.binary(16))
    joined = chunked.chunks_of([keys, more])
    assert joined.type == pa.binary(16) and joined.to_pylist() == [*keys.to_pylist(), *more.to_pylist()]
    handed = [*keys.chunks, more]
    assert [chunk.buffers()[1].address for chunk in joined.chunks] == [c.buffers()[1].address for c in handed]
    assert chunked.chunks_of([pa.chunked_array([], pa.string())], pa.large_string()).type == pa.large_string()
