"""LSH candidate pairs at scale: datasketch's in-memory MinHashLSH against copydesk's column-wise band grouping.

Signatures are real: BBC paragraphs and edited copies of them (a word dropped, a word changed), signed with
copydesk's bulk MinHash, 32 bands x 4 rows. Each method runs in its own process, so its peak memory (RSS
above the signatures it is given) is its own. Both must return the same pairs.

    .venv/bin/python benchmarks/bench_lsh.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import time
from collections.abc import Sequence

import numpy as np
from datasketch import MinHashLSH
from harness import bbc_records, format_table
from syndication import BBC

from dedup.index import lsh_candidate_pairs
from dedup.signatures import as_lean_minhash, paragraph_signatures

BANDS, ROWS, NUM_PERM, SEED = 32, 4, 128, 1
COPY_SHARE = 0.4


def paragraph_texts(count: int, rng: random.Random) -> list[str]:
    """`count` paragraphs: BBC paragraphs in turn, a share of them replaced by an edited copy of an earlier one."""
    originals = [p for record in bbc_records(BBC) for p in record["text"].split("\n") if len(p.split()) >= 8]
    texts: list[str] = []
    for index in range(count):
        if texts and rng.random() < COPY_SHARE:
            words = rng.choice(texts).split()
            del words[rng.randrange(len(words))]
            words[rng.randrange(len(words))] = rng.choice(("reportedly", "also", "now", "then"))
            texts.append(" ".join(words))
        else:
            texts.append(f"{originals[index % len(originals)]} ({index // len(originals)})")
    return texts


def datasketch_pairs(signatures: np.ndarray) -> set[tuple[int, int]]:
    """Candidate pairs from datasketch's in-memory MinHashLSH: insert every signature, query every one."""
    lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))
    minhashes = [as_lean_minhash(row, SEED) for row in signatures]
    with lsh.insertion_session() as session:
        for position, minhash in enumerate(minhashes):
            session.insert(position, minhash, check_duplication=False)
    return {(min(p, o), max(p, o)) for p, minhash in enumerate(minhashes) for o in lsh.query(minhash) if o != p}


def column_pairs(signatures: np.ndarray) -> set[tuple[int, int]]:
    """Candidate pairs from copydesk's column-wise band grouping."""
    return set(map(tuple, lsh_candidate_pairs(signatures, BANDS, ROWS).tolist()))


METHODS = {"datasketch MinHashLSH": datasketch_pairs, "column-wise bands": column_pairs}


def measure(method: str, signatures: np.ndarray, results) -> None:
    """Run one method in this (child) process; report seconds, peak RSS growth and the pairs' digest."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    pairs = METHODS[method](signatures)
    seconds = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    results.put((seconds, grown_mb, len(pairs), hash(frozenset(pairs))))


def run(sizes: Sequence[int]) -> str:
    """Measure both methods at each size; return the table."""
    context = multiprocessing.get_context("fork")
    rows = []
    for size in sizes:
        signatures = paragraph_signatures(paragraph_texts(size, random.Random(size)), 2, NUM_PERM, SEED)
        measured = {}
        for method in METHODS:
            results = context.Queue()
            child = context.Process(target=measure, args=(method, signatures, results))
            child.start()
            measured[method] = results.get()
            child.join()
        (_, _, count, digest), (_, _, other_count, other_digest) = measured.values()
        same = "yes" if (count, digest) == (other_count, other_digest) else "NO"
        for method, (seconds, grown_mb, pairs, _) in measured.items():
            rows.append(
                [
                    f"{size:,}",
                    method,
                    f"{seconds:.2f}",
                    f"{size / seconds:,.0f}",
                    f"{grown_mb:,.0f}",
                    f"{pairs:,}",
                    same,
                ]
            )
    headers = ["signatures", "method", "seconds", "signatures/s", "peak MB added", "pairs", "same pairs"]
    return format_table(headers, rows, "rlrrrrl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated signature counts")
    arguments = parser.parse_args()
    print(run([int(size) for size in arguments.sizes.split(",")]))


if __name__ == "__main__":
    main()
