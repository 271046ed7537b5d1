"""The match stage before and after the band-key store, on the paragraphs of a published run.

Some articles (chosen with a fixed seed) play the new ones: a first run over the others, then an incremental
run over all. Before: `find_matches` over every paragraph both times (what each run did). After: the store's
match stage, the first time over no store, then over the first run's store (written, as the run writes it).
Both give the same Matches (checked). Wall and CPU seconds (CPU of all threads: DuckDB runs on several).

    .venv/bin/python benchmarks/bench_match.py OUT_DIR/paragraphs.parquet --new 2000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from dedup.deduplicate import Matches, find_matches
from flows.config import load_config
from flows.stages.band_matches import stored_matches
from flows.state.band_store import NO_BANDS, load_band_store, write_band_store


def timed(label: str, work: Callable[[], Matches]) -> Matches:
    """Run and print wall and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    print(f"{label:<34} {time.perf_counter() - wall:8.2f} s wall {time.process_time() - cpu:8.2f} s CPU")
    return result


def split_articles(paragraphs: pd.DataFrame, new: int, seed: int) -> tuple[list[str], list[str]]:
    """The old articles' paragraphs, and every article's (old first, new after), each in article order."""
    doc_ids = list(dict.fromkeys(paragraphs.doc_id))
    added = set(random.Random(seed).sample(doc_ids, new))
    ordered = paragraphs.assign(new=paragraphs.doc_id.isin(added)).sort_values("new", kind="stable")
    return ordered.text[~ordered.new].tolist(), ordered.text.tolist()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paragraphs", type=Path, help="a run's paragraphs.parquet")
    parser.add_argument("--new", type=int, default=2000, help="articles that play the new ones")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    settings = load_config(None).dedup
    old, every = split_articles(pd.read_parquet(args.paragraphs, columns=["doc_id", "text"]), args.new, args.seed)
    print(f"{len(old):,} paragraphs, then {len(every):,} with {args.new:,} new articles")
    find_matches(old[:100], settings)  # compile (or load) the numba kernels outside the timings
    before_first = timed("before: first run", lambda: find_matches(old, settings))
    before_again = timed("before: incremental run", lambda: find_matches(every, settings))
    with tempfile.TemporaryDirectory() as folder:
        first_state, next_state = Path(folder, "first"), Path(folder, "next")
        first_state.mkdir()
        next_state.mkdir()
        first = timed("after: first run", lambda: stored_matches(old, settings, NO_BANDS))
        timed("after: first run, store written", lambda: write_band_store(first_state, first.update))
        again = timed("after: incremental run", lambda: stored_matches(every, settings, load_band_store(first_state)))
        timed("after: incremental, store written", lambda: write_band_store(next_state, again.update))
    print(f"incremental: {again.signed:,} texts signed, {again.verified:,} of {again.matches.candidate_count:,} pairs")
    same = all(
        getattr(after.matches, name) == getattr(before, name)
        for after, before in ((first, before_first), (again, before_again))
        for name in ("overlaps", "partial", "copies", "candidate_count")
    )
    print("same matches as find_matches:", same)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
