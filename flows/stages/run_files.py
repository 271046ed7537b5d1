"""What the flow writes once into its work folder for every per-shard task of a run, as Parquet: the learned
boilerplate (for finishing the cleaning) and the spelling decisions (for applying them). A task gets the file's
path and loads it once per process (flows/runtime/process_cache.py), instead of receiving it pickled with each task."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.boilerplate import LearnedLine
from cleaners.spelling import CorrectionTable, SpellingDecision
from flows.outputs.files import write_table
from flows.stages.steps import Boilerplate

BOILERPLATE_FILE, DECISIONS_FILE = "boilerplate.parquet", "decisions.parquet"
BOILERPLATE = pa.schema(
    [
        ("source", pa.string()),
        ("line_key", pa.string()),
        ("line", pa.string()),
        ("key", pa.string()),
        ("example", pa.string()),
        ("articles", pa.int64()),
        ("source_articles", pa.int64()),
    ]
)
DECISIONS = pa.schema(
    [("key", pa.string()), ("replacement", pa.string()), ("rule", pa.string()), ("confidence", pa.float64())]
)


def write_boilerplate(boilerplate: Boilerplate, folder: Path) -> Path:
    """Write the learned boilerplate (each site's lines, in their order) into `folder`; return the file."""
    rows = [
        {"source": source, "line_key": line_key, "line": line.source, "key": line.key, "example": line.example}
        | {"articles": line.articles, "source_articles": line.source_articles}
        for source, lines in boilerplate.items()
        for line_key, line in lines.items()
    ]
    target = folder / BOILERPLATE_FILE
    write_table(pa.Table.from_pylist(rows, BOILERPLATE), target)
    return target


def read_boilerplate(path: Path) -> Boilerplate:
    """The learned boilerplate back from its file, in the order it was written."""
    boilerplate: Boilerplate = {}
    for row in pq.read_table(path).to_pylist():
        line = LearnedLine(row["line"], row["key"], row["example"], row["articles"], row["source_articles"])
        boilerplate.setdefault(row["source"], {})[row["line_key"]] = line
    return boilerplate


def write_decisions(decisions: dict[str, SpellingDecision], folder: Path) -> Path:
    """Write the spelling decisions into `folder`, sorted by key (the order they were decided in follows Python's
    hash seed); return the file."""
    rows = [
        {"key": key, "replacement": decision.replacement, "rule": decision.rule, "confidence": decision.confidence}
        for key, decision in sorted(decisions.items())
    ]
    target = folder / DECISIONS_FILE
    write_table(pa.Table.from_pylist(rows, DECISIONS), target)
    return target


def read_decisions(path: Path) -> dict[str, SpellingDecision]:
    """The spelling decisions back from their file."""
    rows = pq.read_table(path).to_pylist()
    return {row["key"]: SpellingDecision(row["replacement"], row["rule"], row["confidence"]) for row in rows}


def read_corrections(path: Path) -> CorrectionTable:
    """The spelling decisions back from their file, ready to apply to many articles."""
    return CorrectionTable.of(read_decisions(path))
