"""The report's review rows: every removed line and every correction (each distinct one once, most frequent
first) and the maintainers' decisions a run applied or could not match, each with what reverses it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from cleaners.keep import is_keepable, line_fingerprint
from flows.review.commands import review_command
from flows.review.overrides import Override, ReviewOutcome

MAX_REVIEW_ROWS = 1000


@dataclass
class RemovedLines:
    """removed.parquet's lines counted a slice of its rows at a time (an article's rows all in one slice): each
    slice's distinct lines, how often, in how many articles and for which reasons; never the rows themselves."""

    rows: int = 0
    slices: list[pa.Table] = field(default_factory=list)

    def add(self, removed: pa.Table) -> None:
        """Count a slice of removed.parquet's rows (on one thread: Acero's threads took half as much CPU again)."""
        self.rows += removed.num_rows
        aggregates = [([], "count_all"), ("doc_id", "count_distinct"), ("reason", "distinct")]
        self.slices.append(removed.group_by("text", use_threads=False).aggregate(aggregates))

    def described(self) -> list[dict]:
        """Each distinct removed line: its fingerprint, reasons, how often and in how many articles, and whether a
        keep-line decision can undo it; the most frequent MAX_REVIEW_ROWS, counted first (in Arrow) and described
        only then."""
        counted = pa.concat_tables(self.slices)
        totals = counted.group_by("text", use_threads=False).aggregate([("count_all", "sum")])
        order = pc.sort_indices(totals, [("count_all_sum", "descending"), ("text", "ascending")])[:MAX_REVIEW_ROWS]
        shown = totals.take(order)
        reasons: dict[str, set[str]] = defaultdict(set)
        articles: dict[str, int] = defaultdict(int)
        for part in counted.filter(pc.is_in(counted["text"], value_set=shown["text"])).to_pylist():
            reasons[part["text"]].update(part["reason_distinct"])
            articles[part["text"]] += part["doc_id_count_distinct"]
        return [
            {
                "text": text,
                "fingerprint": line_fingerprint(text),
                "reasons": sorted(reasons[text]),
                "count": count,
                "articles": articles[text],
                "keepable": any(map(is_keepable, reasons[text])),
            }
            for text, count in zip(shown["text"].to_pylist(), shown["count_all_sum"].to_pylist())
        ]


def correction_rows(corrections: pa.Table) -> list[dict]:
    """Each distinct correction (word, replacement, rule) of corrections.parquet's table: how often, in how many
    articles, and one context."""
    found: dict[tuple[str, str, str], dict] = {}
    articles: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for correction in corrections.select(["doc_id", "original", "corrected", "rule", "context"]).to_pylist():
        key = (correction["original"], correction["corrected"], correction["rule"])
        fields = {name: correction[name] for name in ("original", "corrected", "rule", "context")}
        row = found.setdefault(key, fields | {"count": 0})
        row["count"] += 1
        articles[key].add(correction["doc_id"])
    rows = [row | {"articles": len(articles[key])} for key, row in found.items()]
    rows.sort(key=lambda row: (-row["count"], row["original"], row["corrected"]))
    return rows[:MAX_REVIEW_ROWS]


def member_commands(out_dir: Path, canonical: dict, member: dict) -> list[dict]:
    """The decisions offered beside a cluster member (its `id`, `match` and `source`): split it from the canonical
    paragraph unless it is an exact copy; prefer it unless it is contained or an exact copy from the same source."""
    commands = []
    if member["match"] != "exact":
        commands.append(
            {
                "says": "not the same paragraph",
                "command": review_command(out_dir, "split", canonical["id"], member["id"]),
            }
        )
    if member["match"] != "contained" and (member["match"] != "exact" or member["source"] != canonical["source"]):
        commands.append(
            {"says": "this copy should be canonical", "command": review_command(out_dir, "prefer", member["id"])}
        )
    return commands


def removed_line_command(out_dir: Path, text: str, reasons: Sequence[str]) -> str | None:
    """The keep-line command for a removed line, or None when it was lifted into the article's fields."""
    return review_command(out_dir, "keep-line", line_fingerprint(text)) if any(map(is_keepable, reasons)) else None


def override_rows(review: ReviewOutcome) -> dict[str, list[dict]]:
    """The decisions this run applied and those that matched nothing, as the report lists them."""

    def row(decision: Override) -> dict:
        return {
            "id": decision.id,
            "kind": decision.kind.replace("_", " "),
            "effect": decision.effect,
            "excerpts": decision.excerpts or decision.target,
            "by": decision.by,
            "at": decision.at,
            "note": decision.note,
            "file": decision.file,
        }

    return {"applied": [row(decision) for decision in review.applied], "unmatched": [row(d) for d in review.unmatched]}
