"""The extraction benchmark's baselines (benchmarks/baselines.py)."""

from __future__ import annotations

from pathlib import Path

from flows.config import load_config
from flows.reading.readers import read_input
from tests.conftest import import_benchmark
from tests.test_readers import LIMIT, page_with_reader_comments, seed_paragraphs, write


def test_trafilatura_without_comments_leaves_out_the_readers_comments_its_default_keeps():
    baselines = import_benchmark("baselines")
    paragraphs = seed_paragraphs(4)
    page = page_with_reader_comments(paragraphs)

    default, without = baselines.trafilatura_default(page), baselines.trafilatura_no_comments(page)

    assert "Reader 3 wrote" in default and "Reader 3 wrote" not in without
    assert all(paragraph in without for paragraph in paragraphs)


def test_bench_clean_runs_its_comments_row_with_readers_comments_kept_and_its_default_row_without(tmp_path):
    bench_clean = import_benchmark("bench_clean")
    write(tmp_path, "page.html", page_with_reader_comments(seed_paragraphs(2)).encode("utf-8"))
    texts = {}
    for system in ("copydesk-html", "copydesk-html-comments"):
        options = bench_clean.run_options(bench_clean.COPYDESK[system].run, tmp_path)  # [] or ["--config", PATH]
        config = load_config(Path(options[-1]) if options else None)  # as `copydesk run` loads it from the repo
        [article], _ = read_input(tmp_path, "page.html", LIMIT, config.html)
        texts[system] = article.text

    assert "Reader 3 wrote" in texts["copydesk-html-comments"]
    assert "Reader 3 wrote" not in texts["copydesk-html"]
