"""Candidate pairs from a MinHash LSH index held in Redis (datasketch's redis storage).

The same bands of the same signatures as `dedup.index.lsh_candidate_pairs`, grouped by Redis instead of in
the flow's memory, so the pairs are the same. Every signature is both inserted and looked up, so the pairs
are read off the buckets themselves: a few pipelined round trips per band, not one per band and signature.
"""

from __future__ import annotations

import re
import uuid
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from dedup.index import MAX_RUN
from dedup.signatures import as_lean_minhash

if TYPE_CHECKING:  # datasketch (scipy) and redis load only for a run that uses Redis
    from datasketch import MinHashLSH

_DELETE_BATCH = 1000


def index_basename(index: str) -> str:
    """A key prefix unique to one run's index (`index` says what it holds, e.g. "paragraphs")."""
    return f"copydesk:{uuid.uuid4().hex}:{index}"


def redis_candidate_pairs(
    signatures: np.ndarray, bands: int, rows: int, seed: int, redis_url: str, basename: str, max_run: int = MAX_RUN
) -> np.ndarray:
    """Index pairs (i < j) of rows of `signatures` (n x num_perm) that share at least one LSH band, as a sorted
    (m, 2) int64 array, through an index whose Redis keys start with `basename`: deleted again, also on error.
    A bucket of more than `max_run` rows pairs only its first row with the rest, as in memory."""
    from datasketch import MinHashLSH
    from redis.connection import parse_url

    pairs: set[tuple[int, int]] = set()
    if len(signatures) > 1:
        storage = {"type": "redis", "basename": basename.encode(), "redis": parse_url(redis_url)}
        lsh = MinHashLSH(num_perm=signatures.shape[1], params=(bands, rows), storage_config=storage, prepickle=False)
        try:
            with lsh.insertion_session() as session:
                for position, signature in enumerate(signatures):
                    session.insert(str(position).encode(), as_lean_minhash(signature, seed), check_duplication=False)
            pairs = _shared_bucket_pairs(lsh, max_run)
        finally:
            delete_keys(redis_url, basename)
    return np.array(sorted(pairs), dtype=np.int64).reshape(len(pairs), 2)


def _shared_bucket_pairs(lsh: MinHashLSH, max_run: int) -> set[tuple[int, int]]:
    """Every pair of keys that share a bucket of some band (what querying each inserted signature finds), but
    only the first key with the rest in a bucket of more than `max_run`."""
    pairs: set[tuple[int, int]] = set()
    for hashtable, bucket_sizes in zip(lsh.hashtables, lsh.get_counts()):
        shared = [bucket for bucket, size in bucket_sizes.items() if size > 1]
        for members in hashtable.getmany(*shared) if shared else ():
            positions = sorted(int(member) for member in members)
            if len(positions) > max_run:
                pairs.update((positions[0], other) for other in positions[1:])
            else:
                pairs.update(combinations(positions, 2))
    return pairs


def delete_keys(redis_url: str, basename: str) -> None:
    """Delete every key starting with `basename`."""
    import redis

    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", basename) + "*"
    with redis.Redis.from_url(redis_url) as client:
        batch = []
        for key in client.scan_iter(match=pattern, count=_DELETE_BATCH):
            batch.append(key)
            if len(batch) == _DELETE_BATCH:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
