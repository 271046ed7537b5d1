"""The report's review rows: every removed line and every correction (each distinct one once, most frequent
first) and the maintainers' decisions a run applied or could not match, each with what reverses it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from cleaners.keep import is_keepable, line_fingerprint
from flows.overrides import Override, ReviewOutcome
from flows.records import Document

MAX_REVIEW_ROWS = 1000


def removed_line_rows(documents: Sequence[Document]) -> list[dict]:
    """Each distinct removed line: its fingerprint, reasons, how often and in how many articles, and whether a
    keep-line decision can undo it."""
    counts: dict[str, int] = defaultdict(int)
    reasons: dict[str, set[str]] = defaultdict(set)
    articles: dict[str, set[str]] = defaultdict(set)
    for document in documents:
        for removal in document.removals:
            counts[removal.text] += 1
            reasons[removal.text].add(removal.reason)
            articles[removal.text].add(document.doc_id)
    rows = [
        {
            "text": text,
            "fingerprint": line_fingerprint(text),
            "reasons": sorted(reasons[text]),
            "count": count,
            "articles": len(articles[text]),
            "keepable": any(map(is_keepable, reasons[text])),
        }
        for text, count in counts.items()
    ]
    rows.sort(key=lambda row: (-row["count"], row["text"]))
    return rows[:MAX_REVIEW_ROWS]


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
