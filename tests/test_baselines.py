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


def test_trafilatura_precision_without_comments_leaves_out_the_readers_comments_its_precision_row_keeps():
    baselines = import_benchmark("baselines")
    paragraphs = seed_paragraphs(4)
    page = page_with_reader_comments(paragraphs)

    kept = baselines.trafilatura_precision(page)
    without = baselines.trafilatura_precision_no_comments(page)

    assert "Reader 3 wrote" in kept and "Reader 3 wrote" not in without
    assert all(paragraph in without for paragraph in paragraphs)


def test_the_same_policy_verdict_judges_each_copydesk_row_against_trafilatura_with_its_own_comment_policy():
    bench_clean = import_benchmark("bench_clean")
    f1s = {  # shingle F1 at index 2, word F1 at index 5, as score_row lays them out
        "copydesk-html": 0.92,
        "trafilatura-no-comments": 0.91,
        "trafilatura-precision-no-comments": 0.90,
        "copydesk-html-comments": 0.93,
        "trafilatura": 0.94,  # ahead of copydesk-html, which is not its policy: it must not count against it
        "trafilatura-precision": 0.89,
    }
    scores = {system: [0.0, 0.0, f1, 0.0, 0.0, f1] for system, f1 in f1s.items()}

    line = bench_clean.same_policy_line("CleanEval", "held-apart", scores)

    assert "copydesk-html ahead of trafilatura-no-comments and trafilatura-precision-no-comments" in line
    assert "copydesk-html-comments NOT ahead of trafilatura and trafilatura-precision" in line


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
