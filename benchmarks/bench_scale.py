"""Benchmark copydesk at scale (issues 7 and 14) on a corpus grown from the BBC stories (scale_corpus.py).

- MinHash: body paragraphs of the corpus, signed in this process by datasketch (one `MinHash` a paragraph with
  `update_batch`, and `MinHash.bulk`), each with copydesk's `shingle_hash32` and with datasketch's default
  sha1 hash, and by copydesk's `paragraph_signatures`; every run includes normalising and shingling, times
  CPU seconds (so rates are per core), and copydesk's signatures must equal datasketch's with shingle_hash32;
- side by side: the naive pipeline (naive_pipeline.py: ftfy, one datasketch MinHash a paragraph, MinHashLSH)
  and `copydesk run` on the same 20,000 `.txt` articles, in alternating order over a few rounds; the ratio
  of their summed wall times;
- end to end: `copydesk run` on N `.txt` articles into a fresh output folder (wall time, start-up included),
  the peak RSS of its process tree (summed over the processes, worker processes included, sampled every
  0.2 s), its start-up (process start to the first stage) and every stage's seconds (manifest.json);
- incremental: new articles (new stories and copies) added to the N, copydesk run again on the same output
  folder, then a rebuild of the same files into a fresh folder whose outputs must equal it;
- scheduled: a hundred articles more against that state, as an hourly run of a few new files would add (no
  target: what a run pays for the stored corpus whatever it adds);
- memory: peak RSS against articles fitted over every full run recorded in WORK, extrapolated to 1,000,000;
- .html: `copydesk run` on M `.html` pages, embedded and on a local 2-worker Dask cluster, beside bare
  `trafilatura.extract` with copydesk's [html] options on the same pages in this process.

Corpora are cached under WORK by format, size and seed (with how long they took to generate; a smaller corpus
is linked from a larger cached one, since articles depend only on their number and the seed), and so is the
incremental batch, linked into the corpus for its runs and removed again after them. Each size's full run is
recorded in WORK, so the 1,000,000 run compares its peak memory with the 100,000 one. Every run shows the
machine's load average while it ran. The size targets are judged at the size they name; a smaller run shows
the measure and no verdict. Zero for a size leaves its rows out; 1,000,000 runs only when asked for.

    .venv/bin/python benchmarks/bench_scale.py [--articles N] [--new-articles K] [--html-articles M] [--work DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import scale_corpus
import syndication
import trafilatura
from datasketch import MinHash
from harness import copydesk_command, format_table, fresh_folder
from measured import Measured, measure

from dedup.shingles import normalised_words, word_shingles
from dedup.signatures import paragraph_signatures, shingle_hash32
from flows.config import HtmlSettings, load_config
from flows.reading.extraction import extraction_options

PROJECT = Path(__file__).resolve().parent.parent
NAIVE_PIPELINE = Path(__file__).resolve().parent / "naive_pipeline.py"
# The sizes issue 14's targets name: the full scale, the throughput scale, the incremental batch, side by side.
FULL_SCALE, RATE_SCALE, NEW_ARTICLES, SIDE_BY_SIDE_ARTICLES = 1_000_000, 100_000, 10_000, 20_000
SCHEDULED_ARTICLES = 100
MINHASH_TARGET = 150_000
TXT_RATE_TARGET = 1_500
FULL_SCALE_MINUTES, MEMORY_TARGET_GB, MEMORY_GROWTH_TARGET, INCREMENTAL_TARGET_SECONDS = 20, 8, 1.5, 60
NAIVE_RATIO_TARGET = 0.5
HTML_RATIO_TARGET = 1.2
COPYDESK_REPEATS = 3
MB, GB = 1024**2, 1024**3
# The line copydesk prints as a stage ends (flows/runtime/progress.py): stage, count, unit, seconds.
STAGE_LINE = re.compile(r"(\S+) +[\d,]+ \S+ +[\d.]+s$")

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
    """One copydesk run: wall, CPU (its process tree) and flow seconds, peak RSS of its process tree, the load
    average while it ran, inputs read and in all, seconds to its first stage, its manifest's stages (stage,
    unit, rows_in, rows_out, seconds) and outputs, and the peak of the tree's anonymous memory (RSS less mapped
    files' pages: what it must hold)."""

    seconds: float
    cpu_seconds: float
    flow_seconds: float
    peak_bytes: int
    load_average: float
    inputs_read: int
    inputs: int
    startup_seconds: float
    stages: tuple[dict, ...]
    outputs: dict[str, str]
    peak_anonymous_bytes: int = 0


@dataclass(frozen=True)
class NaiveRun:
    """One naive pipeline run: wall and CPU seconds, peak RSS, the load average while it ran, and its counts
    (naive_pipeline.NaiveCounts)."""

    seconds: float
    cpu_seconds: float
    peak_bytes: int
    load_average: float
    counts: dict[str, int]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=RATE_SCALE, help=f".txt articles (default {RATE_SCALE:,})")
    parser.add_argument(
        "--new-articles",
        type=int,
        default=NEW_ARTICLES,
        help=f"articles of the incremental run (default {NEW_ARTICLES:,})",
    )
    parser.add_argument(
        "--scheduled-articles",
        type=int,
        default=SCHEDULED_ARTICLES,
        help=f"articles of a run after the incremental one (default {SCHEDULED_ARTICLES:,}; 0: none)",
    )
    parser.add_argument(
        "--no-rebuild-check",
        dest="rebuild_check",
        action="store_false",
        help="skip the rebuild that the incremental run's outputs are compared with (a full run more)",
    )
    parser.add_argument(
        "--side-by-side-articles",
        type=int,
        default=SIDE_BY_SIDE_ARTICLES,
        help=f".txt articles of the naive pipeline beside copydesk (default {SIDE_BY_SIDE_ARTICLES:,})",
    )
    parser.add_argument("--rounds", type=int, default=2, help="side-by-side rounds, order alternating (default 2)")
    parser.add_argument("--html-articles", type=int, default=20_000, help=".html pages (default 20,000)")
    parser.add_argument("--minhash-paragraphs", type=int, default=50_000, help="paragraphs signed (default 50,000)")
    parser.add_argument("--seed", type=int, default=scale_corpus.SEED, help="corpus seed")
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "copydesk-bench-scale", help="cache and outputs"
    )
    return parser.parse_args(argv)


def corpus(work: Path, articles: int, as_html: bool, seed: int) -> Path:
    """The cached corpus folder (raw/ and a `complete` stamp) of this size, format and seed; when missing, linked
    from a larger cached one, or written. A written corpus's stamp records the generation's wall and CPU seconds
    (after building its sources, timed apart) and the files' bytes (apparent and on disk)."""
    kind = "html" if as_html else "txt"
    folder = work / f"corpus-{kind}-{articles}-seed{seed}"
    larger = sorted(
        (stamp_articles(stamp), stamp.parent)
        for stamp in work.glob(f"corpus-{kind}-*-seed{seed}/complete")
        if stamp_articles(stamp) > articles
    )
    if not (folder / "complete").exists() and larger:
        source = larger[0][1]
        link_articles(source / "raw", fresh_folder(folder / "raw"), articles)
        (folder / "complete").write_text(json.dumps({"articles": articles, "linked_from": str(source)}) + "\n")
    if not (folder / "complete").exists():
        started = time.monotonic()
        scale_corpus.sources(seed)  # once a process whatever the size: timed apart
        setup, cpu_started = time.monotonic() - started, cpu_seconds_so_far()
        started = time.monotonic()
        scale_corpus.write_corpus(fresh_folder(folder / "raw"), 0, articles, as_html, seed)
        seconds, cpu = time.monotonic() - started, cpu_seconds_so_far() - cpu_started
        size, on_disk = folder_bytes(folder / "raw")
        stamp = {"articles": articles, "setup_seconds": round(setup, 1), "seconds": round(seconds, 1)}
        stamp |= {"cpu_seconds": round(cpu, 1)}
        stamp |= {"bytes": size, "bytes_on_disk": on_disk}
        (folder / "complete").write_text(json.dumps(stamp) + "\n")
        print(f"bench_scale: generated {articles:,} articles in {seconds:.1f}s under {folder}", file=sys.stderr)
    return folder


def stamp_articles(stamp: Path) -> int:
    """The articles a cached corpus's `complete` stamp counts."""
    return json.loads(stamp.read_text())["articles"]


def link_articles(source: Path, target: Path, below: int | None = None) -> None:
    """Hard-link every article file under source (those numbered below `below`, when given) to the same place
    under target."""
    for path in sorted(source.glob("*/*/*_*")):
        if below is None or int(path.name.partition("_")[0]) < below:
            link = target / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, link)


def batch(work: Path, start: int, count: int, seed: int) -> Path:
    """The cached folder (raw/ and a `complete` stamp) of the .txt articles numbered start to start + count - 1:
    an incremental batch; written when missing."""
    folder = work / f"batch-txt-{start}+{count}-seed{seed}"
    if not (folder / "complete").exists():
        scale_corpus.write_corpus(fresh_folder(folder / "raw"), start, count, False, seed)
        (folder / "complete").write_text(json.dumps({"start": start, "articles": count}) + "\n")
    return folder


def cpu_seconds_so_far() -> float:
    """CPU seconds of this process and of its children that have ended (the generator's workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def folder_bytes(folder: Path) -> tuple[int, int]:
    """The bytes of every file under folder, and the bytes they take on disk (whole blocks)."""
    size = on_disk = 0
    for root, _, names in os.walk(folder):
        for name in names:
            status = os.stat(os.path.join(root, name))
            size, on_disk = size + status.st_size, on_disk + status.st_blocks * 512
    return size, on_disk


def generation_row(folder: Path) -> Row:
    """How fast the corpus was generated and how much disk it takes, extrapolated to FULL_SCALE: from the wall
    time, and from the CPU time spread over every core (what an idle machine takes)."""
    try:
        stamp = json.loads((folder / "complete").read_text())
    except (json.JSONDecodeError, OSError):
        return Row("corpus generation", f"not recorded (delete {folder} to time it)")
    if "linked_from" in stamp:
        return Row("corpus generation", f"linked from {stamp['linked_from']} (not timed)")
    scale, cores = FULL_SCALE / stamp["articles"], os.cpu_count() or 1
    idle = f", idle ~{stamp['cpu_seconds'] * scale / cores / 60:,.0f} min" if "cpu_seconds" in stamp else ""
    return Row(
        f"corpus generation, {stamp['articles']:,} .txt articles ({cores} processes)",
        f"{stamp['articles'] / stamp['seconds']:,.0f} articles/s ({stamp['seconds']:,.1f}s, "
        f"CPU {stamp.get('cpu_seconds', 0):,.1f}s; sources {stamp.get('setup_seconds', 0):,.1f}s first; "
        f"{stamp['bytes'] / MB:,.0f} MB, {stamp['bytes_on_disk'] / MB:,.0f} MB "
        f"on disk) -> {FULL_SCALE:,}: ~{stamp['seconds'] * scale / 60:,.0f} min at this pace{idle}, "
        f"~{stamp['bytes_on_disk'] * scale / GB:,.1f} GB on disk",
    )


def startup_seconds(done: Measured, stages: Sequence[dict], flow_seconds: float) -> float:
    """Seconds from the process's start to its first stage's: the first stage line's time less the stage's
    seconds; without a stage line (run under --quiet), the wall time outside the flow."""
    if done.watched is None:
        return done.seconds - flow_seconds
    at, line = done.watched
    name = STAGE_LINE.match(line).group(1)
    return at - next((stage["seconds"] for stage in stages if stage["stage"] == name), 0.0)


def measured_run(raw: Path, out: Path, *options: str) -> Run:
    """Run copydesk on raw into out (with these options), sampling its process tree's memory until it ends."""
    command, env = copydesk_command(raw, out, "bench_scale", *options)
    done = measure(command, env, PROJECT, STAGE_LINE)
    if done.returncode != 0:
        tail = "\n".join(done.tail[-60:])
        sys.exit(f"bench_scale: copydesk failed on {raw} (exit {done.returncode}):\n{tail}")
    shown(f"copydesk run {raw} --out {out}", done)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    stages, flow_seconds = tuple(manifest["stages"]), manifest["elapsed_seconds"]
    return Run(
        done.seconds,
        done.cpu_seconds,
        flow_seconds,
        done.peak_bytes,
        done.load_average,
        manifest["inputs_read"],
        manifest["inputs"],
        startup_seconds(done, stages, flow_seconds),
        stages,
        manifest["outputs"],
        done.peak_anonymous_bytes,
    )


def shown(what: str, done: Measured) -> None:
    """A line on stderr for each run as it ends: a long benchmark shows what it has measured so far."""
    print(
        f"bench_scale: {what}: {done.seconds:,.1f}s, CPU {done.cpu_seconds:,.1f}s, "
        f"peak {done.peak_bytes / GB:.2f} GB (anonymous {done.peak_anonymous_bytes / GB:.2f} GB), "
        f"load {done.load_average:.1f}",
        file=sys.stderr,
        flush=True,
    )


def naive_run(raw: Path, out_file: Path) -> NaiveRun:
    """Run the naive pipeline on raw into out_file in a process of its own, as copydesk runs."""
    done = measure([sys.executable, str(NAIVE_PIPELINE), str(raw), str(out_file)], None, PROJECT)
    if done.returncode != 0:
        tail = "\n".join(done.tail[-60:])
        sys.exit(f"bench_scale: the naive pipeline failed on {raw} (exit {done.returncode}):\n{tail}")
    shown(f"naive pipeline {raw}", done)
    return NaiveRun(done.seconds, done.cpu_seconds, done.peak_bytes, done.load_average, json.loads(done.tail[-1]))


@contextlib.contextmanager
def added_batch(folder: Path, work: Path, start: int, count: int, seed: int) -> Iterator[None]:
    """Articles numbered from start (the cached batch) linked into the cached corpus folder while the block runs,
    then removed; a batch added within another's block leaves the corpus's stamp to the outer one."""
    added = batch(work, start, count, seed)
    stamp = folder / "complete"
    kept = stamp.read_text() if stamp.is_file() else None
    stamp.unlink(missing_ok=True)  # until the batch is removed, the folder holds more than its name says
    link_articles(added / "raw", folder / "raw")
    try:
        yield
    finally:
        scale_corpus.remove_articles(folder / "raw", start, count)
        if kept is not None:
            stamp.write_text(kept)


def differing_outputs(first: Path, second: Path) -> list[str]:
    """The published tables and corpus files (.parquet, .jsonl) that differ between two output folders: by
    content for Parquet (row for row), by the manifests' sha256 otherwise; a file only one has differs."""
    hashes = [json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"] for out in (first, second)]
    names = [{name for name in outputs if name.endswith((".parquet", ".jsonl"))} for outputs in hashes]
    differing = sorted(names[0] ^ names[1])
    for name in sorted(names[0] & names[1]):
        if hashes[0][name] == hashes[1][name]:
            continue
        if not name.endswith(".parquet") or not pq.read_table(first / name).equals(pq.read_table(second / name)):
            differing.append(name)
    return differing


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


def ratio_row(measure: str, ratio: float, detail: str, target: float) -> Row:
    """A row judging a ratio of times against the most it may be."""
    return Row(
        measure, f"{ratio:.2f}x ({detail})", target=f"<= {target}x", result=verdict(ratio <= target, ratio / target)
    )


def at_scale(judged: bool, passed: bool, factor: float) -> str:
    """The verdict of a target set for another size than this run's: none when not judged."""
    return verdict(passed, factor) if judged else "(at that size only)"


def side_by_side_rows(work: Path, articles: int, seed: int, rounds: int) -> list[Row]:
    """The naive pipeline and copydesk on the same .txt articles, alternating which runs first each round."""
    raw = corpus(work, articles, False, seed) / "raw"
    naive: list[NaiveRun] = []
    copydesk: list[Run] = []
    for round_number in range(rounds):
        for naive_turn in (True, False) if round_number % 2 == 0 else (False, True):
            if naive_turn:
                naive.append(naive_run(raw, work / "naive-corpus.jsonl"))
            else:
                copydesk.append(measured_run(raw, fresh_folder(work / "out-side-by-side")))
    record_full_run(work, articles, seed, max(copydesk, key=lambda run: run.peak_bytes))
    naive_seconds, copydesk_seconds = sum(r.seconds for r in naive), sum(r.seconds for r in copydesk)
    cpu_ratio = sum(r.cpu_seconds for r in copydesk) / sum(r.cpu_seconds for r in naive)
    counts = naive[0].counts
    each_round = ", ".join(f"{c.seconds / n.seconds:.2f}x" for n, c in zip(naive, copydesk))
    return [
        Row(
            f"naive pipeline (ftfy, a datasketch MinHash a paragraph, MinHashLSH), {articles:,} .txt articles",
            f"{articles / (naive_seconds / rounds):,.0f} articles/s ({runs_seconds(naive)}; "
            f"peak {max(r.peak_bytes for r in naive) / GB:.2f} GB; dropped {counts['paragraphs_dropped']:,} of "
            f"{counts['paragraphs']:,} paragraphs, wrote {counts['articles_written']:,} articles)",
        ),
        Row(
            f"copydesk on the same {articles:,} articles",
            f"{articles / (copydesk_seconds / rounds):,.0f} articles/s ({runs_seconds(copydesk)}; "
            f"peak {max(r.peak_bytes for r in copydesk) / GB:.2f} GB)",
        ),
        ratio_row(
            f"copydesk / naive, side by side ({rounds} rounds, order alternating)",
            copydesk_seconds / naive_seconds,
            f"each round: {each_round}; CPU seconds {cpu_ratio:.2f}x",
            NAIVE_RATIO_TARGET,
        ),
    ]


def runs_seconds(runs: Sequence[Run | NaiveRun]) -> str:
    """Each run's wall and CPU seconds, and the load average while it ran."""
    return ", ".join(f"{run.seconds:,.1f}s (CPU {run.cpu_seconds:,.1f}s, load {run.load_average:.1f})" for run in runs)


@dataclass(frozen=True)
class TxtRuns:
    """The .txt runs: the full run, the incremental one after it (None without new articles), and the rebuild
    (None when not checked) with the outputs where it differs from the incremental run; the scheduled run of a
    few articles more after the incremental one (None when not asked for)."""

    full: Run
    incremental: Run | None
    rebuild: Run | None
    differing: tuple[str, ...]
    scheduled: Run | None = None


def txt_runs(
    work: Path, articles: int, new_articles: int, seed: int, rebuild_check: bool, scheduled_articles: int = 0
) -> TxtRuns:
    """A full run on the .txt corpus, an incremental run of new articles after it, a rebuild to compare, and a
    scheduled run of a few articles more."""
    folder = corpus(work, articles, False, seed)
    out, rebuilt = fresh_folder(work / "out-txt"), work / "out-rebuild"
    full = measured_run(folder / "raw", out)
    record_full_run(work, articles, seed, full)
    if not new_articles:
        return TxtRuns(full, None, None, ())
    scheduled = None
    with added_batch(folder, work, articles, new_articles, seed):
        incremental = measured_run(folder / "raw", out)
        rebuild = measured_run(folder / "raw", fresh_folder(rebuilt)) if rebuild_check else None
        differing = tuple(differing_outputs(out, rebuilt)) if rebuild_check else ()
        if scheduled_articles:
            with added_batch(folder, work, articles + new_articles, scheduled_articles, seed):
                scheduled = measured_run(folder / "raw", out)
    return TxtRuns(full, incremental, rebuild, differing, scheduled)


def record_full_run(work: Path, articles: int, seed: int, run: Run) -> None:
    """Keep a full run's size, seconds and peak memory in work, for the memory rows of later runs."""
    record = {"articles": articles, "seconds": run.seconds, "peak_bytes": run.peak_bytes}
    record |= {"peak_anonymous_bytes": run.peak_anonymous_bytes}
    record |= {"cpu_seconds": run.cpu_seconds, "load_average": round(run.load_average, 1), "stages": run.stages}
    (work / f"result-txt-{articles}-seed{seed}.json").write_text(json.dumps(record) + "\n")


def recorded_peaks(work: Path, seed: int) -> dict[int, int]:
    """The peak bytes of every full run recorded in work, by its articles."""
    records = (json.loads(path.read_text()) for path in work.glob(f"result-txt-*-seed{seed}.json"))
    return {record["articles"]: record["peak_bytes"] for record in records}


def memory_fit_row(peaks: dict[int, int]) -> Row:
    """Peak memory against articles fitted as a line over the recorded full runs (two sizes or more), with
    the memory an article adds between successive sizes, extrapolated to FULL_SCALE."""
    sizes = sorted(peaks)
    per_article, fixed = np.polyfit(sizes, [peaks[size] for size in sizes], 1)
    predicted = (per_article * FULL_SCALE + fixed) / GB
    steps = ", ".join(
        f"{low:,}->{high:,}: {(peaks[high] - peaks[low]) / (high - low) / 1024:,.0f} KB"
        for low, high in itertools.pairwise(sizes)
    )
    return Row(
        f"peak memory fitted over the full runs of {', '.join(f'{size:,}' for size in sizes)} articles",
        f"{per_article / 1024:,.0f} KB an article + {fixed / GB:.2f} GB (an article between sizes: {steps}) "
        f"-> {FULL_SCALE:,}: ~{predicted:,.1f} GB",
        target=f"< {MEMORY_TARGET_GB} GB for {FULL_SCALE:,}",
        result=f"extrapolated {verdict(predicted < MEMORY_TARGET_GB, predicted / MEMORY_TARGET_GB)}",
    )


def txt_rows(runs: TxtRuns, articles: int, new_articles: int, growth_base: int | None) -> list[Row]:
    """The issue's targets on the .txt runs; growth_base is the recorded peak at RATE_SCALE, if any."""
    full, added = runs.full, runs.incremental
    rate, minutes, peak_gb = articles / full.seconds, full.seconds / 60, full.peak_bytes / GB
    full_scale = articles >= FULL_SCALE
    growth = full.peak_bytes / growth_base if growth_base else None
    rows = [
        Row(
            f"end to end, {articles:,} .txt articles (start-up included)",
            f"{rate:,.0f} articles/s ({full.seconds:,.1f}s; CPU {full.cpu_seconds:,.1f}s; "
            f"flow {full.flow_seconds:,.1f}s; start-up {full.startup_seconds:,.1f}s; load {full.load_average:.1f})",
            target=f">= {TXT_RATE_TARGET:,} articles/s at {RATE_SCALE:,}",
            result=at_scale(RATE_SCALE <= articles < FULL_SCALE, rate >= TXT_RATE_TARGET, TXT_RATE_TARGET / rate),
        ),
        Row(
            f"time for {articles:,} .txt articles",
            f"{minutes:,.1f} min",
            target=f"< {FULL_SCALE_MINUTES} min for {FULL_SCALE:,}",
            result=at_scale(full_scale, minutes < FULL_SCALE_MINUTES, minutes / FULL_SCALE_MINUTES),
        ),
        Row(
            "peak memory of that run (RSS of the process tree)",
            f"{peak_gb:.2f} GB ({full.peak_bytes / articles / 1024:,.0f} KB an article; anonymous "
            f"{full.peak_anonymous_bytes / GB:.2f} GB, the rest mapped files' pages)",
            target=f"< {MEMORY_TARGET_GB} GB for {FULL_SCALE:,}",
            result=at_scale(full_scale, peak_gb < MEMORY_TARGET_GB, peak_gb / MEMORY_TARGET_GB),
        ),
        Row(
            f"peak memory at {articles:,} / at {RATE_SCALE:,}",
            f"{growth:.2f}x" if growth else f"no {RATE_SCALE:,} run recorded in --work",
            target=f"<= {MEMORY_GROWTH_TARGET}x for {FULL_SCALE:,}",
            result=at_scale(
                full_scale and growth is not None,
                (growth or 0) <= MEMORY_GROWTH_TARGET,
                (growth or 0) / MEMORY_GROWTH_TARGET,
            ),
        ),
    ]
    if added is not None:
        rows.append(
            Row(
                f"incremental: {new_articles:,} new articles against that state",
                f"{added.seconds:,.1f}s (CPU {added.cpu_seconds:,.1f}s; read {added.inputs_read:,} of "
                f"{added.inputs:,}; flow {added.flow_seconds:,.1f}s; peak {added.peak_bytes / GB:.2f} GB; "
                f"load {added.load_average:.1f})",
                target=f"< {INCREMENTAL_TARGET_SECONDS}s for {NEW_ARTICLES:,} against {FULL_SCALE:,}",
                result=at_scale(
                    full_scale and new_articles == NEW_ARTICLES,
                    added.seconds < INCREMENTAL_TARGET_SECONDS,
                    added.seconds / INCREMENTAL_TARGET_SECONDS,
                ),
            )
        )
    if runs.scheduled is not None:
        scheduled = runs.scheduled
        rows.append(
            Row(
                f"scheduled: {scheduled.inputs_read:,} new articles against the {articles + new_articles:,}",
                f"{scheduled.seconds:,.1f}s (CPU {scheduled.cpu_seconds:,.1f}s; flow {scheduled.flow_seconds:,.1f}s; "
                f"start-up {scheduled.startup_seconds:,.1f}s; peak {scheduled.peak_bytes / GB:.2f} GB; "
                f"load {scheduled.load_average:.1f})",
                target="none (what a run pays for the stored corpus)",
            )
        )
    if runs.rebuild is not None:
        equal = not runs.differing
        rows.append(
            Row(
                "incremental outputs equal a rebuild of the same files",
                (f"equal (rebuild {runs.rebuild.seconds:,.1f}s)" if equal else "differ: " + ", ".join(runs.differing)),
                target="equal",
                result="PASS" if equal else "FAIL",
            )
        )
    return rows


def run_columns(runs: TxtRuns, articles: int, new_articles: int) -> dict[str, Run]:
    """The .txt runs that ran, by the heading of their column."""
    columns = {f"full, {articles:,}": runs.full}
    if runs.incremental is not None:
        columns[f"+{new_articles:,} incremental"] = runs.incremental
    if runs.rebuild is not None:
        columns[f"rebuild, {articles + new_articles:,}"] = runs.rebuild
    if runs.scheduled is not None:
        columns[f"+{runs.scheduled.inputs_read:,} scheduled"] = runs.scheduled
    return columns


def phase_table(runs: TxtRuns, articles: int, new_articles: int) -> str:
    """Seconds and the flow process's CPU seconds of each pass of a stage (manifest.json `phases`): a column a
    run, a row a stage's pass."""
    columns = run_columns(runs, articles, new_articles)
    passes = {
        (stage["stage"], phase["phase"]): None
        for run in columns.values()
        for stage in run.stages
        for phase in stage.get("phases", ())
    }

    def phase_cell(run: Run, stage_name: str, phase_name: str) -> str:
        """A pass's seconds and flow CPU seconds, or nothing when the run had no such pass."""
        found = [
            phase
            for stage in run.stages
            if stage["stage"] == stage_name
            for phase in stage.get("phases", ())
            if phase["phase"] == phase_name
        ]
        return "; ".join(f"{p['seconds']:,.1f}s, flow CPU {p['flow_cpu_seconds']:,.1f}s" for p in found)

    rows = [
        [f"{stage_name}: {phase_name}", *(phase_cell(run, stage_name, phase_name) for run in columns.values())]
        for stage_name, phase_name in passes
    ]
    return format_table(["stage: pass", *columns], rows, "l" + "r" * len(columns), " | ")


def stage_table(runs: TxtRuns, articles: int, new_articles: int) -> str:
    """Seconds of each stage (from manifest.json) of every .txt run, with start-up, the rest, wall time and
    peak memory: a column a run."""
    columns = run_columns(runs, articles, new_articles)
    names = list(dict.fromkeys(stage["stage"] for run in columns.values() for stage in run.stages))

    def stage_cell(run: Run, name: str) -> str:
        """A stage's seconds, the flow process's CPU seconds in it and rows in, or nothing when the run had no
        such stage."""
        found = [stage for stage in run.stages if stage["stage"] == name]
        return "; ".join(
            f"{s['seconds']:,.1f}s, flow CPU {s.get('flow_cpu_seconds', 0):,.1f}s ({s['rows_in']:,} {s['unit']})"
            for s in found
        )

    def rest(run: Run) -> float:
        """Wall seconds outside start-up and the stages (writing outputs outside a stage, shutting down)."""
        return run.seconds - run.startup_seconds - sum(stage["seconds"] for stage in run.stages)

    rows = [
        ["start-up (process start to the first stage)", *(f"{run.startup_seconds:,.1f}s" for run in columns.values())],
        *([name, *(stage_cell(run, name) for run in columns.values())] for name in names),
        ["rest (outside the stages, shutdown)", *(f"{rest(run):,.1f}s" for run in columns.values())],
        ["wall", *(f"{run.seconds:,.1f}s" for run in columns.values())],
        ["CPU, process tree", *(f"{run.cpu_seconds:,.1f}s" for run in columns.values())],
        [
            "inputs read a second (start-up included)",
            *(f"{run.inputs_read / run.seconds:,.0f}" for run in columns.values()),
        ],
        ["peak RSS, process tree", *(f"{run.peak_bytes / GB:.2f} GB" for run in columns.values())],
        [
            "peak anonymous memory (RSS less mapped files), process tree",
            *(f"{run.peak_anonymous_bytes / GB:.2f} GB" for run in columns.values()),
        ],
        ["load average (1 min, mean over the run)", *(f"{run.load_average:.1f}" for run in columns.values())],
    ]
    return format_table(["stage", *columns], rows, "l" + "r" * len(columns), " | ")


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
                f"peak {run.peak_bytes / 2**30:.2f} GB; load {run.load_average:.1f})",
            ),
            ratio_row(
                f".html end to end / bare trafilatura, {label}",
                ratio,
                f"flow {run.flow_seconds / bare:.2f}x",
                HTML_RATIO_TARGET,
            ),
        ]
    return [
        Row(f"bare trafilatura.extract, the same {pages:,} pages", f"{pages / bare:,.0f} pages/s ({bare:,.1f}s)"),
        *rows,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the tables."""
    arguments = parse_args(argv)
    syndication.require_data()
    work, seed = arguments.work, arguments.seed
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []

    def measured(new_rows: list[Row]) -> None:
        """Add rows to the table, and show them at once on stderr (a long benchmark shows what it has)."""
        rows.extend(new_rows)
        for row in new_rows:
            print(f"bench_scale: {row.measure}: {row.value} {row.result}".rstrip(), file=sys.stderr, flush=True)

    if arguments.minhash_paragraphs:
        measured(minhash_rows(seed, arguments.minhash_paragraphs))
    if arguments.side_by_side_articles:
        measured(side_by_side_rows(work, arguments.side_by_side_articles, seed, arguments.rounds))
    runs = None
    if arguments.articles:
        runs = txt_runs(
            work,
            arguments.articles,
            arguments.new_articles,
            seed,
            arguments.rebuild_check,
            arguments.scheduled_articles,
        )
        growth_base = recorded_peaks(work, seed).get(RATE_SCALE) if arguments.articles > RATE_SCALE else None
        measured([generation_row(corpus(work, arguments.articles, False, seed))])
        measured(txt_rows(runs, arguments.articles, arguments.new_articles, growth_base))
    if len(recorded_peaks(work, seed)) >= 2:
        measured([memory_fit_row(recorded_peaks(work, seed))])
    if arguments.html_articles:
        measured(html_rows(work, arguments.html_articles, seed))
    print(
        f"bench_scale: {arguments.articles:,} .txt articles (+{arguments.new_articles:,}), "
        f"{arguments.side_by_side_articles:,} side by side, {arguments.html_articles:,} .html pages, "
        f"{arguments.minhash_paragraphs:,} paragraphs signed (seed {seed}; work {work}; {os.cpu_count()} cores)\n"
    )
    table = [astuple(row) for row in rows]
    print(format_table(["measure", "value", "vs one a paragraph", "target", "result"], table, "lllll", " | "))
    if runs is not None:
        print("\nStages of the .txt runs (manifest.json `stages`):\n")
        print(stage_table(runs, arguments.articles, arguments.new_articles))
        print("\nPasses of the stages (manifest.json `phases`):\n")
        print(phase_table(runs, arguments.articles, arguments.new_articles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
