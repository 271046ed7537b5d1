"""The canonical policy: a total order on paragraphs (and articles) from the configured criteria.

A paragraph a maintainer preferred (`copydesk review prefer`) comes before every criterion; the order
ends in (doc_id, para_idx), so the canonical copy never depends on input order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from dedup.records import RecordColumns
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


def priority_keys(policy: CanonicalPolicy) -> Callable[[RecordColumns, Sequence[int], Sequence[int]], list[tuple]]:
    """Return keys(columns, n_words, n_copies): the key of each of some records (given as columns, with their numbers
    of words and copies), made a criterion at a time; smaller keys are preferred as canonical."""
    rank = source_ranks(policy.source_ranking)

    def keys(columns: RecordColumns, n_words: Sequence[int], n_copies: Sequence[int]) -> list[tuple]:
        parts: list[Iterable[object]] = [[not preferred for preferred in columns.preferred]]
        for criterion in policy.criteria:
            if criterion == "most_complete":
                parts.append([-count for count in n_words])
            elif criterion == "most_copied":
                parts.append([-count for count in n_copies])
            elif criterion == "source_rank":
                ranks = {source: rank(source) for source in set(columns.source)}  # a source ranked once
                parts.append(map(ranks.__getitem__, columns.source))
            elif criterion == "earliest_published":
                parts.append([published or _UNKNOWN_DATE for published in columns.published])
            elif criterion == "cleanest":
                parts.append(columns.article_edits)
            elif criterion == "incumbent":
                parts.append([not incumbent for incumbent in columns.incumbent])
        return list(zip(*parts, columns.doc_id, columns.para_idx))

    return keys
