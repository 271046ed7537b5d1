"""The canonical policy: a total order on paragraphs (and articles) from the configured criteria.

A paragraph a maintainer preferred (`copydesk review prefer`) comes before every criterion; the order
ends in (doc_id, para_idx), so the canonical copy never depends on input order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


def policy_table(policy: CanonicalPolicy, records: pa.Table, n_words: np.ndarray, n_copies: np.ndarray) -> pa.Table:
    """The policy key of each of some records (RECORD_COLUMNS, with their numbers of words and copies) as columns,
    a part of the key each, in its order: not preferred by a maintainer, each criterion, doc_id and para_idx."""
    parts = [pc.invert(records["preferred"])]
    for criterion in policy.criteria:
        if criterion == "most_complete":
            parts.append(pa.array(-np.asarray(n_words, dtype=np.int64)))
        elif criterion == "most_copied":
            parts.append(pa.array(-np.asarray(n_copies, dtype=np.int64)))
        elif criterion == "source_rank":
            parts.append(_source_ranks(records["source"], policy.source_ranking))
        elif criterion == "earliest_published":
            published = records["published"]
            parts.append(pc.if_else(pc.fill_null(pc.equal(published, ""), True), _UNKNOWN_DATE, published))
        elif criterion == "cleanest":
            parts.append(records["article_edits"])
        elif criterion == "incumbent":
            parts.append(pc.invert(records["incumbent"]))
    parts += [records["doc_id"], records["para_idx"]]
    return pa.table(parts, names=[str(number) for number in range(len(parts))])


def _source_ranks(sources: pa.ChunkedArray, ranking: tuple[str, ...]) -> pa.Array:
    """`source_rank` of each source, each distinct source ranked once."""
    distinct = pc.unique(sources)
    ranks = pa.array(list(map(source_ranks(ranking), distinct.to_pylist())), pa.int64())
    return ranks.take(pc.index_in(sources, value_set=distinct))


def policy_ranks(keys: pa.Table) -> np.ndarray:
    """Each row's place in the order of its key (`policy_table`), equal keys sharing one: ranks compare as the
    keys do (sorted by Arrow, no key made a Python tuple). Neighbours in that order are told apart a part at a time
    from the last (doc_id and para_idx tell nearly all apart), each part compared only where the parts after it are
    equal."""
    order = pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names]).to_numpy()
    tied = np.arange(1, len(order))  # the places whose key may equal the one before
    for column in reversed(keys.columns):
        if not len(tied):
            break
        differs = pc.not_equal(column.take(order[tied]), column.take(order[tied - 1]))
        tied = tied[~np.asarray(differs.to_numpy(zero_copy_only=False), dtype=bool)]  # null: not told apart
    starts = np.ones(len(order), dtype=bool)
    starts[tied] = False
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.cumsum(starts) - 1
    return ranks
