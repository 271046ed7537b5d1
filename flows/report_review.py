"""The report's review rows: every removed line and every correction (each distinct one once, most frequent
first) and the maintainers' decisions a run applied or could not match, each with what reverses it."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from cleaners.keep import is_keepable, line_fingerprint
from flows.overrides import Override, ReviewOutcome
from flows.records import Document
from flows.review import review_command

MAX_REVIEW_ROWS = 1000


def removed_line_rows(documents: Sequence[Document]) -> list[dict]:
    """Each distinct removed line: its fingerprint, reasons, how often and in how many articles, and whether a
    keep-line decision can undo it; the most frequent MAX_REVIEW_ROWS, counted first and described only then."""
    removals = [
        (removal.text, removal.reason, document.doc_id) for document in documents for removal in document.removals
    ]
    counts = Counter(text for text, _, _ in removals)
    shown = heapq.nsmallest(MAX_REVIEW_ROWS, counts, key=lambda text: (-counts[text], text))  # not every line sorted
    reasons: dict[str, set[str]] = {text: set() for text in shown}
    articles: dict[str, set[str]] = {text: set() for text in shown}
    for text, reason, doc_id in removals:
        if text in reasons:
            reasons[text].add(reason)
            articles[text].add(doc_id)
    return [
        {
            "text": text,
            "fingerprint": line_fingerprint(text),
            "reasons": sorted(reasons[text]),
            "count": counts[text],
            "articles": len(articles[text]),
            "keepable": any(map(is_keepable, reasons[text])),
        }
        for text in shown
    ]


def correction_rows(documents: Sequence[Document]) -> list[dict]:
    """Each distinct correction (word, replacement, rule): how often, in how many articles, and one context."""
    found: dict[tuple[str, str, str], dict] = {}
    articles: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for document in documents:
        for correction in document.corrections:
            key = (correction.original, correction.corrected, correction.rule)
            row = found.setdefault(
                key,
                {
                    "original": correction.original,
                    "corrected": correction.corrected,
                    "rule": correction.rule,
                    "context": correction.context,
                    "count": 0,
                },
            )
            row["count"] += 1
            articles[key].add(document.doc_id)
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
