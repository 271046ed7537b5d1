"""LSH candidate pairs at scale: datasketch's in-memory MinHashLSH against copydesk's column-wise band grouping.

Signatures are real: BBC paragraphs and edited copies of them (a word dropped, a word changed), signed with
copydesk's bulk MinHash, 32 bands x 4 rows. Each method runs in its own process, so its peak memory (RSS
above the signatures it is given) is its own; one that passes the memory cap (8 GB, a third of this
machine) is stopped and reported as not fitting. Both must return the same pairs.

    .venv/bin/python benchmarks/bench_lsh.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from datasketch import MinHashLSH
from harness import bbc_records, format_table
from syndication import BBC

from dedup.index import lsh_candidate_pairs
from dedup.signatures import as_lean_minhash, paragraph_signatures

BANDS, ROWS, NUM_PERM, SEED = 32, 4, 128, 1
COPY_SHARE = 0.4


def paragraph_texts(count: int, rng: random.Random) -> list[str]:
    """`count` paragraphs: a share are edited copies of earlier ones (a word dropped, one changed); the rest
    are BBC paragraphs, past the first pass through them with every other word taken from another paragraph,
    so that they are new text rather than copies."""
    originals = [p.split() for record in bbc_records(BBC) for p in record["text"].split("\n") if len(p.split()) >= 8]
    texts: list[str] = []
    for index in range(count):
        if texts and rng.random() < COPY_SHARE:
            words = rng.choice(texts).split()
            if len(words) > 8:
                del words[rng.randrange(len(words))]
            words[rng.randrange(len(words))] = rng.choice(("reportedly", "also", "now", "then"))
        else:
            words = list(originals[index % len(originals)])
            if index >= len(originals):
                donor = rng.choice(originals)
                words[1::2] = [donor[i % len(donor)] for i in range(1, len(words), 2)]
        texts.append(" ".join(words))
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


def run_child(context, method: str, signatures: np.ndarray, memory_cap_gb: float) -> tuple | None:
    """Measure one method in a child process; None when its resident memory passed the cap (it is killed)."""
    results = context.Queue()
    child = context.Process(target=measure, args=(method, signatures, results))
    child.start()
    while child.is_alive() and results.empty():
        if resident_gb(child.pid) > memory_cap_gb:
            child.kill()
            child.join()
            return None
        time.sleep(0.2)
    measured = results.get()
    child.join()
    return measured


def resident_gb(pid: int) -> float:
    """Resident memory of a process, in GB (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 2**20 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)


def run(sizes: Sequence[int], memory_cap_gb: float) -> str:
    """Measure both methods at each size; return the table."""
    context = multiprocessing.get_context("fork")
    rows = []
    for size in sizes:
        signatures = paragraph_signatures(paragraph_texts(size, random.Random(size)), 2, NUM_PERM, SEED)
        measured = {method: run_child(context, method, signatures, memory_cap_gb) for method in METHODS}
        digests = {(result[2], result[3]) for result in measured.values() if result}
        same = "yes" if len(digests) == 1 and all(measured.values()) else "-"
        for method, result in measured.items():
            if result is None:
                rows.append([f"{size:,}", method, "-", "-", f"> {memory_cap_gb:g} GB, stopped", "-", same])
                continue
            seconds, grown_mb, pairs, _ = result
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
    parser.add_argument("--memory-cap-gb", type=float, default=8.0, help="stop a method whose memory passes this")
    arguments = parser.parse_args()
    print(run([int(size) for size in arguments.sizes.split(",")], arguments.memory_cap_gb))


if __name__ == "__main__":
    main()
