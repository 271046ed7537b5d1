"""Benchmark copydesk at scale (issue 7) on a corpus grown from the BBC stories (scale_corpus.py); one table.

- MinHash: body paragraphs of the corpus, signed in this process by datasketch (one `MinHash` a paragraph with
  `update_batch`, and `MinHash.bulk`), each with copydesk's `shingle_hash32` and with datasketch's default
  sha1 hash, and by copydesk's `paragraph_signatures`; every run includes normalising and shingling, times
  CPU seconds (so rates are per core), and copydesk's signatures must equal datasketch's with shingle_hash32;
- end to end: `copydesk run` on N `.txt` articles and on M `.html` pages into fresh output folders (wall
  time, including Prefect's start-up; the flow's own time from manifest.json beside it), the peak RSS of
  its process tree (summed over the processes, sampled every 0.2 s), and bare `trafilatura.extract` with
  copydesk's [html] options on the same pages in this process;
- incremental: 10,000 new articles (new stories and copies) added to the N, and copydesk run again on the
  same output folder.

Corpora are cached under WORK by format, size and seed; the incremental batch is removed again after its run.
The size targets hold at 1,000,000 articles: below that the table shows the measure and no verdict.

    .venv/bin/python benchmarks/bench_scale.py [--articles N] [--html-articles M] [--work DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np
import psutil
import scale_corpus
import syndication
import trafilatura
from datasketch import MinHash
from harness import copydesk_command, format_table, fresh_folder

from dedup.shingles import normalised_words, word_shingles
from dedup.signatures import paragraph_signatures, shingle_hash32
from flows.config import HtmlSettings, load_config
from flows.extraction import extraction_options

PROJECT = Path(__file__).resolve().parent.parent
FULL_SCALE = 1_000_000
NEW_ARTICLES = 10_000
MINHASH_TARGET = 150_000
TXT_RATE_TARGET = 2_000
FULL_SCALE_MINUTES, MEMORY_TARGET_GB, INCREMENTAL_TARGET_SECONDS = 30, 12, 60
HTML_RATIO_TARGET = 1.2
POLL_SECONDS = 0.2
COPYDESK_REPEATS = 3
GB = 1024**3

Signer = Callable[[list[str], int, int, int], np.ndarray]


@dataclass(frozen=True)
class Row:
    """A line of the table."""

    measure: str
    value: str
    versus_default: str = ""
    target: str = ""
    result: str = ""


@dataclass(frozen=True)
class Run:
    """One copydesk run: wall and flow seconds, peak RSS of its process tree, inputs read and in all."""

    seconds: float
    flow_seconds: float
    peak_bytes: int
    inputs_read: int
    inputs: int


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=FULL_SCALE, help=f".txt articles (default {FULL_SCALE:,})")
    parser.add_argument(
        "--new-articles",
        type=int,
        default=NEW_ARTICLES,
        help=f"articles of the incremental run (default {NEW_ARTICLES:,})",
    )
    parser.add_argument("--html-articles", type=int, default=20_000, help=".html pages (default 20,000)")
    parser.add_argument("--minhash-paragraphs", type=int, default=50_000, help="paragraphs signed (default 50,000)")
    parser.add_argument("--seed", type=int, default=scale_corpus.SEED, help="corpus seed")
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "copydesk-bench-scale", help="cache and outputs"
    )
    return parser.parse_args(argv)


def corpus(work: Path, articles: int, as_html: bool, seed: int) -> Path:
    """The cached corpus folder (raw/ and a `complete` stamp) of this size, format and seed; written when missing."""
    folder = work / f"corpus-{'html' if as_html else 'txt'}-{articles}-seed{seed}"
    if not (folder / "complete").exists():
        started = time.monotonic()
        scale_corpus.write_corpus(fresh_folder(folder / "raw"), 0, articles, as_html, seed)
        seconds = time.monotonic() - started
        (folder / "complete").write_text(f"{articles} articles written in {seconds:.1f}s\n")
        print(f"bench_scale: generated {articles:,} articles in {seconds:.1f}s under {folder}", file=sys.stderr)
    return folder


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (0 when it has ended)."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += process.memory_info().rss
    return total


def measured_run(raw: Path, out: Path, *options: str) -> Run:
    """Run copydesk on raw into out (with these options), sampling its process tree's memory until it ends."""
    command, env = copydesk_command(raw, out, "bench_scale", *options)
    peak = 0
    with tempfile.TemporaryFile() as log:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
        while True:
            try:
                process.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                peak = max(peak, tree_rss(process.pid))
        seconds = time.monotonic() - started
        if process.returncode != 0:
            log.seek(0)
            tail = log.read().decode("utf-8", errors="replace")[-4000:]
            sys.exit(f"bench_scale: copydesk failed on {raw} (exit {process.returncode}):\n{tail}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return Run(seconds, manifest["elapsed_seconds"], peak, manifest["inputs_read"], manifest["inputs"])


def incremental_run(folder: Path, out: Path, start: int, count: int, seed: int) -> Run:
    """Add count articles numbered from start to the corpus, run copydesk on out again, remove them."""
    stamp = folder / "complete"
    kept = stamp.read_text()
    stamp.unlink()  # until the batch is removed, the folder holds more than its name says
    scale_corpus.write_corpus(folder / "raw", start, count, False, seed)
    run = measured_run(folder / "raw", out)
    scale_corpus.remove_articles(folder / "raw", start, count)
    stamp.write_text(kept)
    return run


def sample_paragraphs(seed: int, count: int) -> list[str]:
    """The first `count` body paragraphs (with a word) of the corpus's articles, in order."""
    paragraphs: list[str] = []
    block = 0
    while len(paragraphs) < count:
        for article in scale_corpus.block_articles(seed, block):
            paragraphs += [paragraph for paragraph in article.body if normalised_words(paragraph)]
        block += 1
    return paragraphs[:count]


def shingled(text: str, size: int) -> list[bytes]:
    """The text's word shingles as UTF-8, as copydesk's dedup makes them."""
    return [shingle.encode("utf-8") for shingle in word_shingles(normalised_words(text), size)]


def one_minhash_each(hashfunc: Callable[[bytes], int] | None) -> Signer:
    """datasketch's default path: a new MinHash per paragraph, fed with update_batch."""

    def sign(texts: list[str], size: int, num_perm: int, seed: int) -> np.ndarray:
        """The paragraphs' hashvalues, a row each."""
        signatures = []
        for text in texts:
            minhash = MinHash(num_perm=num_perm, seed=seed, hashfunc=hashfunc)
            minhash.update_batch(shingled(text, size))
            signatures.append(minhash.hashvalues)
        return np.array(signatures)

    return sign


def minhash_bulk(hashfunc: Callable[[bytes], int] | None) -> Signer:
    """datasketch's MinHash.bulk: the permutations made once for all paragraphs."""

    def sign(texts: list[str], size: int, num_perm: int, seed: int) -> np.ndarray:
        """The paragraphs' hashvalues, a row each."""
        sets = [shingled(text, size) for text in texts]
        return np.array([m.hashvalues for m in MinHash.bulk(sets, num_perm=num_perm, seed=seed, hashfunc=hashfunc)])

    return sign


def cpu_seconds(sign: Signer, texts: list[str], size: int, num_perm: int, seed: int) -> tuple[float, np.ndarray]:
    """CPU seconds of one signing run, and its signatures."""
    started = time.process_time()
    signatures = sign(texts, size, num_perm, seed)
    return time.process_time() - started, signatures


def copydesk_seconds(texts: list[str], size: int, num_perm: int, seed: int) -> tuple[float, np.ndarray]:
    """Best CPU seconds of COPYDESK_REPEATS runs of paragraph_signatures (compiled beforehand), and the result."""
    paragraph_signatures(texts[:10], size, num_perm, seed)
    runs = [cpu_seconds(paragraph_signatures, texts, size, num_perm, seed) for _ in range(COPYDESK_REPEATS)]
    return min(seconds for seconds, _ in runs), runs[0][1]


def minhash_rows(seed: int, count: int) -> list[Row]:
    """Throughput of every way to sign the same paragraphs; copydesk's signatures checked against datasketch's."""
    dedup = load_config(PROJECT / "copydesk.toml").dedup
    texts = sample_paragraphs(seed, count)
    settings = (dedup.shingle_size, dedup.num_perm, dedup.seed)
    baseline, reference = cpu_seconds(one_minhash_each(shingle_hash32), texts, *settings)
    copydesk, signatures = copydesk_seconds(texts, *settings)
    if not np.array_equal(signatures, reference):
        differing = int((signatures != reference).any(axis=1).sum())
        sys.exit(f"bench_scale: copydesk's signatures differ from datasketch's (shingle_hash32) on {differing} texts")
    sha1 = cpu_seconds(one_minhash_each(None), texts, *settings)[0]
    rows: list[Row] = []
    for label, hashfunc, per_paragraph in (("shingle_hash32", shingle_hash32, baseline), ("default sha1", None, sha1)):
        bulk = cpu_seconds(minhash_bulk(hashfunc), texts, *settings)[0]
        rows.append(
            Row(f"MinHash: datasketch, one MinHash a paragraph ({label})", per_second(texts, per_paragraph), "1.0x")
        )
        rows.append(
            Row(f"MinHash: datasketch MinHash.bulk ({label})", per_second(texts, bulk), f"{per_paragraph / bulk:.1f}x")
        )
    rate = len(texts) / copydesk
    name = "MinHash: copydesk paragraph_signatures (equal to datasketch)"
    target = f">= {MINHASH_TARGET:,} paragraphs/s a core"
    result = verdict(rate >= MINHASH_TARGET, MINHASH_TARGET / rate)
    versus = f"{baseline / copydesk:.1f}x ({sha1 / copydesk:.1f}x sha1)"
    rows.append(Row(name, per_second(texts, copydesk), versus, target, result))
    return rows


def per_second(texts: list[str], seconds: float) -> str:
    """A signing rate."""
    return f"{len(texts) / seconds:,.0f} paragraphs/s"


def verdict(passed: bool, factor: float) -> str:
    """PASS, or how many times better the measure must get."""
    return "PASS" if passed else f"gap {factor:.2f}x"


def at_scale(full_scale: bool, passed: bool, factor: float) -> str:
    """The verdict of a target set for the full-scale run; none for a smaller one."""
    return verdict(passed, factor) if full_scale else "(full scale only)"


def txt_rows(work: Path, articles: int, new_articles: int, seed: int) -> list[Row]:
    """The end-to-end run on .txt articles, its memory, and an incremental run of new articles after it."""
    folder = corpus(work, articles, False, seed)
    out = fresh_folder(work / "out-txt")
    full = measured_run(folder / "raw", out)
    added = incremental_run(folder, out, articles, new_articles, seed)
    rate, minutes, peak_gb = articles / full.seconds, full.seconds / 60, full.peak_bytes / GB
    return [
        Row(
            f"end to end, {articles:,} .txt articles",
            f"{rate:,.0f} articles/s ({full.seconds:,.1f}s; flow {full.flow_seconds:,.1f}s)",
            target=f">= {TXT_RATE_TARGET:,} articles/s",
            result=verdict(rate >= TXT_RATE_TARGET, TXT_RATE_TARGET / rate),
        ),
        Row(
            f"time for {articles:,} .txt articles",
            f"{minutes:,.1f} min",
            target=f"< {FULL_SCALE_MINUTES} min for {FULL_SCALE:,}",
            result=at_scale(articles >= FULL_SCALE, minutes < FULL_SCALE_MINUTES, minutes / FULL_SCALE_MINUTES),
        ),
        Row(
            "peak memory of that run (RSS of the process tree)",
            f"{peak_gb:.2f} GB",
            target=f"< {MEMORY_TARGET_GB} GB for {FULL_SCALE:,}",
            result=at_scale(articles >= FULL_SCALE, peak_gb < MEMORY_TARGET_GB, peak_gb / MEMORY_TARGET_GB),
        ),
        Row(
            f"incremental: {new_articles:,} new articles against that state",
            f"{added.seconds:,.1f}s (read {added.inputs_read:,} of {added.inputs:,}; flow {added.flow_seconds:,.1f}s)",
            target=f"< {INCREMENTAL_TARGET_SECONDS}s for {NEW_ARTICLES:,} against {FULL_SCALE:,}",
            result=at_scale(
                articles >= FULL_SCALE and new_articles == NEW_ARTICLES,
                added.seconds < INCREMENTAL_TARGET_SECONDS,
                added.seconds / INCREMENTAL_TARGET_SECONDS,
            ),
        ),
    ]


def bare_trafilatura_seconds(raw: Path, html: HtmlSettings) -> float:
    """Wall seconds of trafilatura.extract, with copydesk's options, on every page under raw (read beforehand)."""
    pages = [path.read_text(encoding="utf-8") for path in sorted(raw.rglob("*.html"))]
    started = time.monotonic()
    for page in pages:
        trafilatura.extract(page, **extraction_options(html))
    return time.monotonic() - started


def html_rows(work: Path, pages: int, seed: int) -> list[Row]:
    """End-to-end runs on .html pages, embedded and on a local 2-worker Dask cluster, beside bare trafilatura
    (one process) on the same pages."""
    raw = corpus(work, pages, True, seed) / "raw"
    bare = bare_trafilatura_seconds(raw, load_config(PROJECT / "copydesk.toml").html)
    rows = []
    for label, options in (("embedded", ()), ("--dask-workers 2", ("--dask-workers", "2"))):
        run = measured_run(raw, fresh_folder(work / "out-html"), *options)
        ratio = run.seconds / bare
        rows += [
            Row(
                f"end to end, {pages:,} .html pages, {label}",
                f"{pages / run.seconds:,.0f} pages/s ({run.seconds:,.1f}s; flow {run.flow_seconds:,.1f}s; "
                f"peak {run.peak_bytes / 2**30:.2f} GB)",
            ),
            Row(
                f".html end to end / bare trafilatura, {label}",
                f"{ratio:.2f}x (flow {run.flow_seconds / bare:.2f}x)",
                target=f"<= {HTML_RATIO_TARGET}x",
                result=verdict(ratio <= HTML_RATIO_TARGET, ratio / HTML_RATIO_TARGET),
            ),
        ]
    return [
        Row(f"bare trafilatura.extract, the same {pages:,} pages", f"{pages / bare:,.0f} pages/s ({bare:,.1f}s)"),
        *rows,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the table."""
    arguments = parse_args(argv)
    syndication.require_data()
    arguments.work.mkdir(parents=True, exist_ok=True)
    rows = [
        *minhash_rows(arguments.seed, arguments.minhash_paragraphs),
        *txt_rows(arguments.work, arguments.articles, arguments.new_articles, arguments.seed),
        *html_rows(arguments.work, arguments.html_articles, arguments.seed),
    ]
    print(
        f"bench_scale: {arguments.articles:,} .txt articles, {arguments.html_articles:,} .html pages, "
        f"{arguments.minhash_paragraphs:,} paragraphs signed (seed {arguments.seed}; work {arguments.work})\n"
    )
    table = [astuple(row) for row in rows]
    print(format_table(["measure", "value", "vs one a paragraph", "target", "result"], table, "lllll", " | "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
