"""The report's review rows: every removed line and every correction (each distinct one once, most frequent
first) and the maintainers' decisions a run applied or could not match, each with what reverses it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from cleaners.keep import is_keepable, line_fingerprint
from flows.review.commands import review_command
from flows.review.overrides import Override, ReviewOutcome

MAX_REVIEW_ROWS = 1000


def removed_line_rows(removed: pa.Table) -> list[dict]:
    """Each distinct removed line of removed.parquet's table: its fingerprint, reasons, how often and in how many
    articles, and whether a keep-line decision can undo it; the most frequent MAX_REVIEW_ROWS, counted first (in
    Arrow, not as Python rows) and described only then, their rows found by the number of the line they hold (the
    rows' texts are not copied: 76 % of the rows at 20,000 articles hold one of those lines)."""
    counts = pa.Table.from_struct_array(pc.value_counts(removed["text"]))
    order = pc.sort_indices(counts, [("counts", "descending"), ("values", "ascending")])[:MAX_REVIEW_ROWS]
    shown = counts.take(order).rename_columns(["text", "count"])
    line = pc.index_in(removed["text"], value_set=shown["text"])
    rows = pa.table({"line": line, "reason": removed["reason"], "doc_id": removed["doc_id"]}).filter(pc.is_valid(line))
    # On one thread: Acero's threads took half as much CPU again (0.33 against 0.22 s, 1.6 million rows).
    described = rows.group_by("line", use_threads=False).aggregate(
        [("reason", "distinct"), ("doc_id", "count_distinct")]
    )
    lines = described["line"].to_pylist()
    reasons = dict(zip(lines, map(sorted, described["reason_distinct"].to_pylist())))
    articles = dict(zip(lines, described["doc_id_count_distinct"].to_pylist()))
    return [
        {
            "text": text,
            "fingerprint": line_fingerprint(text),
            "reasons": reasons[number],
            "count": count,
            "articles": articles[number],
            "keepable": any(map(is_keepable, reasons[number])),
        }
        for number, (text, count) in enumerate(zip(shown["text"].to_pylist(), shown["count"].to_pylist()))
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
