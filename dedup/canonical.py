"""The canonical policy: a total order on paragraphs (and articles) from the configured criteria.

A paragraph a maintainer preferred (`copydesk review prefer`) comes before every criterion; the order
ends in (doc_id, para_idx), so the canonical copy never depends on input order.
"""

from __future__ import annotations

from collections.abc import Callable

from dedup.records import ParagraphRecord
from dedup.settings import CanonicalPolicy

_UNKNOWN_DATE = "9999"


def source_rank(source: str | None, ranking: tuple[str, ...]) -> int:
    """Position of a source in the ranking (case-insensitive); unlisted sources rank after all listed."""
    return source_ranks(ranking)(source)


def source_ranks(ranking: tuple[str, ...]) -> Callable[[str | None], int]:
    """source_rank for one ranking, its names folded once (not once a paragraph)."""
    positions: dict[str, int] = {}
    for position, name in enumerate(ranking):
        positions.setdefault(name.casefold(), position)

    def rank(source: str | None) -> int:
        return positions.get(source.casefold(), len(ranking)) if source else len(ranking)

    return rank


def priority_key(policy: CanonicalPolicy) -> Callable[[ParagraphRecord, int, int], tuple]:
    """Return key(record, n_words, n_copies): smaller keys are preferred as canonical."""
    rank = source_ranks(policy.source_ranking)

    def key(record: ParagraphRecord, n_words: int, n_copies: int = 0) -> tuple:
        parts: list[object] = [not record.preferred]
        for criterion in policy.criteria:
            if criterion == "most_complete":
                parts.append(-n_words)
            elif criterion == "most_copied":
                parts.append(-n_copies)
            elif criterion == "source_rank":
                parts.append(rank(record.source))
            elif criterion == "earliest_published":
                parts.append(record.published or _UNKNOWN_DATE)
            elif criterion == "cleanest":
                parts.append(record.article_edits)
            elif criterion == "incumbent":
                parts.append(not record.incumbent)
        return (*parts, record.doc_id, record.para_idx)

    return key
