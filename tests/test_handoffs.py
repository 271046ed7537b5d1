"""The run's hand-offs as Arrow IPC files (flows/stages/handoffs.py): the finished shards the flow reads back at
the clean stage's end and the paragraphs the correct stage lays over equal what was written, and their texts are the
files' pages, not copies in Arrow's memory pool."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from pyarrow import feather

from flows.stages import chunked
from flows.stages.cleaned import Cleaned
from flows.stages.handoffs import write_arrow, write_handoff
from flows.stages.spelled import SPELLED, document_rows, lay_over
from flows.state.finished import FINISHED, FinishedCleaning, in_order, read_finished
from tests.test_dedup import seed_paragraphs

PARAGRAPHS = [text for prefix in ("000", "001", "004") for text in seed_paragraphs(prefix)]


def finished_shard(numbers: range) -> pa.Table:
    """A finishing task's table of articles with three seed paragraphs each."""
    rows = [
        {"doc_id": str(number), "source_path": f"site/{number}.txt", "paragraphs": PARAGRAPHS[number:][:3]}
        for number in numbers
    ]
    return pa.Table.from_pylist(rows, FINISHED)


def mapped_shards(folder: Path) -> tuple[list[pa.Table], list[Path]]:
    """Three shards of 40 articles written as the finishing tasks write them."""
    shards = [finished_shard(range(start, start + 40)) for start in (0, 40, 80)]
    paths = [folder / f"finished-{number:05d}.arrow" for number in range(len(shards))]
    for shard, path in zip(shards, paths, strict=True):
        write_arrow(shard.to_batches(), FINISHED, path)
    return shards, paths


def text_bytes(table: pa.Table) -> int:
    """The bytes of the texts of a finished table's paragraphs."""
    return sum(len(text.encode()) for texts in table["paragraphs"].to_pylist() for text in texts)


def handed_over(paths: list[Path]) -> tuple[Cleaned, pa.Table]:
    """The cleaned articles and the run's finished table as the clean stage hands them over."""
    fresh = read_finished(paths)
    names = list(zip(fresh["source_path"].to_pylist(), fresh["doc_id"].to_pylist(), strict=True))
    finishing = in_order(names, fresh, FinishedCleaning())
    assert not finishing.rejections
    return finishing.cleaned, finishing.table


def test_finished_shards_are_handed_over_as_written_without_copying_their_texts(tmp_path, monkeypatch):
    monkeypatch.setattr(chunked, "RUN_ROWS", 10)  # a shard a run of rows, as 1,000-article shards are in a run
    shards, paths = mapped_shards(tmp_path)
    allocated = pa.total_allocated_bytes()
    cleaned, table = handed_over(paths)
    assert table.equals(pa.concat_tables(shards))
    assert list(cleaned.texts()) == [
        text for shard in shards for rows in shard["paragraphs"].to_pylist() for text in rows
    ]
    assert pa.total_allocated_bytes() - allocated < text_bytes(table) / 2


def test_laid_over_paragraphs_are_mapped_from_their_file(tmp_path, monkeypatch):
    monkeypatch.setattr(chunked, "RUN_ROWS", 10)
    _, paths = mapped_shards(tmp_path)
    cleaned, table = handed_over(paths)
    expected = [list(texts) for texts in table["paragraphs"].to_pylist()]
    for row in (3, 57, 58, 119):
        expected[row] = [text.replace("the ", "teh ") for text in expected[row]][:2]
    spelled = pa.Table.from_pylist(
        [{"row": row, "paragraphs": expected[row], "corrections": []} for row in (3, 57, 58, 119)], SPELLED
    )
    allocated = pa.total_allocated_bytes()
    laid = lay_over(cleaned, document_rows(table), spelled, tmp_path / "paragraphs.arrow")
    assert list(laid.texts()) == [text for texts in expected for text in texts]
    assert laid.paragraphs["para_idx"].to_pylist() == [place for texts in expected for place in range(len(texts))]
    assert pa.total_allocated_bytes() - allocated < text_bytes(table) / 2


def test_a_stage_folder_is_written_compressed_and_reads_back_as_written(tmp_path):
    shard = finished_shard(range(200))
    folder = tmp_path / "finished-00000.signed"
    write_handoff({"articles": shard}, folder)
    written = folder / "articles.arrow"
    assert feather.read_table(written, memory_map=True).equals(shard)
    assert written.stat().st_size < shard.nbytes / 2  # zstd: the seed paragraphs repeat across the articles
