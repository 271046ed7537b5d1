"""Typed dedup and canonical-policy settings, built once from the config file by `flows.config`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from annotated_types import Ge, Interval

# Bounds flows/config.py checks every value of the config file against.
Share = Annotated[float, Interval(ge=0, le=1)]
AtLeastOne = Annotated[int, Ge(1)]

POLICY_CRITERIA = ("source_rank", "earliest_published", "incumbent", "most_copied", "cleanest", "most_complete")
# The default leaves out `incumbent`, which makes a run's choice depend on the runs before it.
DEFAULT_POLICY = tuple(name for name in POLICY_CRITERIA if name != "incumbent")


@dataclass(frozen=True)
class DedupSettings:
    """Thresholds of paragraph dedup; see copydesk.toml for what each one means."""

    min_words: AtLeastOne = 8
    shingle_size: AtLeastOne = 2
    num_perm: AtLeastOne = 128
    seed: Annotated[int, Ge(0)] = 1
    jaccard_threshold: Share = 0.7
    containment_threshold: Share = 0.8
    container_margin: Share = 0.15
    partial_share: Share = 0.2
    lsh_bands: AtLeastOne = 32
    lsh_rows: AtLeastOne = 4
    sentence_lsh_bands: AtLeastOne = 24
    sentence_lsh_rows: AtLeastOne = 5
    article_duplicate_share: Share = 0.9
    redis_url: str | None = None  # hold the LSH indexes in Redis ([scale] or --redis-url), not in memory

    @property
    def stored_bands(self) -> int:
        """Band keys kept per text: the paragraph index's `lsh_bands`, then the sentence index's."""
        return self.lsh_bands + self.sentence_lsh_bands

    def __post_init__(self) -> None:
        for prefix, bands, rows in (
            ("", self.lsh_bands, self.lsh_rows),
            ("sentence_", self.sentence_lsh_bands, self.sentence_lsh_rows),
        ):
            if bands * rows > self.num_perm:
                raise ValueError(
                    f"{prefix}lsh_bands x {prefix}lsh_rows ({bands}x{rows}) exceeds num_perm {self.num_perm}"
                )
        if self.redis_url is not None and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must be a redis://, rediss:// or unix:// URL")


@dataclass(frozen=True)
class CanonicalPolicy:
    """Criteria, in order, that pick the canonical paragraph of a cluster."""

    criteria: tuple[str, ...] = DEFAULT_POLICY
    source_ranking: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [name for name in self.criteria if name not in POLICY_CRITERIA]
        if unknown:
            raise ValueError(f"unknown canonical policy criteria {unknown}; choose from {list(POLICY_CRITERIA)}")
