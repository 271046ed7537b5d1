"""What a run did (the CLI's closing lines, the manifest's counts), and the answer for an output folder already
up to date with its inputs, which the command line gives without starting Prefect."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from flows.config import Config
from flows.outputs.manifest import inputs_fingerprint
from flows.reading.readers import discover_inputs
from flows.stages.records import Rejection


@dataclass
class RunSummary:
    """What a run did, for the CLI's closing lines and the manifest."""

    articles: int
    paragraphs: int
    duplicate_paragraphs: int
    clusters: int
    duplicate_articles: int
    removals: int
    corrections: int
    rejections: int
    seconds: float
    canonical_changes: int = 0
    contained_paragraphs: int = 0
    versions: int = 0
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    overrides_applied: int = 0
    overrides_unmatched: int = 0
    corpus_documents: int = 0
    corpus_dropped: int = 0
    up_to_date: bool = False


@dataclass
class InputsSeen:
    """The inputs under RAW_DIR now: their relative paths, the folders not read, their stamps (manifest.STAMPS rows,
    in the order of the paths) and fingerprint."""

    inputs: list[str]
    unread_folders: list[Rejection]
    stamps: pa.Table
    fingerprint: str


def inputs_seen(raw: Path, out: Path, config: Config) -> InputsSeen:
    """Look at RAW_DIR's files (names, sizes, modification times) without reading them; OUT_DIR's are not inputs."""
    inputs, unread_folders, stamps = discover_inputs(raw, out)
    return InputsSeen(inputs, unread_folders, stamps, inputs_fingerprint(inputs, stamps, config))


def up_to_date_summary(
    previous: dict | None, seen: InputsSeen, overrides_sha256: str, seconds: float
) -> RunSummary | None:
    """The previous run's summary when it read these very inputs with these overrides, else None."""
    if not previous or previous.get("overrides", {}).get("sha256", "") != overrides_sha256:
        return None
    if previous.get("inputs_fingerprint") != seen.fingerprint:
        return None
    skip_reasons = previous["skipped_records"]
    return RunSummary(**previous["counts"], skip_reasons=skip_reasons, seconds=seconds, up_to_date=True)
