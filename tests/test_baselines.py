"""The extraction benchmark's baselines (benchmarks/baselines.py)."""

from __future__ import annotations

from tests.conftest import import_benchmark
from tests.test_readers import page_with_reader_comments, seed_paragraphs


def test_trafilatura_without_comments_leaves_out_the_readers_comments_its_default_keeps():
    baselines = import_benchmark("baselines")
    paragraphs = seed_paragraphs(4)
    page = page_with_reader_comments(paragraphs)

    default, without = baselines.trafilatura_default(page), baselines.trafilatura_no_comments(page)

    assert "Reader 3 wrote" in default and "Reader 3 wrote" not in without
    assert all(paragraph in without for paragraph in paragraphs)
