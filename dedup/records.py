"""What dedup takes in (a paragraph's place and its article's facts; its text comes beside it, in a sequence of the
same order) and gives back (its cluster): one of each per paragraph of the corpus, so slotted (no per-object
dict)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dedup.lookup import sorted_rows

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ParagraphRecord:
    """A cleaned paragraph's place and the facts of its article that the canonical policy weighs; `preferred` when
    a maintainer chose it as its cluster's canonical copy. It holds no text: the caller holds the texts once."""

    doc_id: str
    para_idx: int
    source: str | None = None
    published: str | None = None
    article_edits: int = 0
    incumbent: bool = False
    preferred: bool = False


@dataclass(frozen=True, slots=True)
class ClusterMembership:
    """A paragraph's cluster, whether the corpus keeps it as the canonical copy, how it matched the canonical
    one (or its container), and the paragraph of another cluster its text lies inside, if any."""

    cluster_id: str
    is_canonical: bool
    match: str
    jaccard: float
    containment: float
    contained_in: str | None = None


# A `ParagraphRecord`'s fields as Arrow columns, in its order: what the canonical policy reads of some records.
RECORD_COLUMNS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("para_idx", pa.int64()),
        ("source", pa.string()),
        ("published", pa.string()),
        ("article_edits", pa.int64()),
        ("incumbent", pa.bool_()),
        ("preferred", pa.bool_()),
    ]
)


def record_table(records: Sequence[ParagraphRecord], positions: np.ndarray) -> pa.Table:
    """The records at `positions` as RECORD_COLUMNS (of `ParagraphRecords`, taken from its columns by Arrow: no
    record made)."""
    if isinstance(records, ParagraphRecords):
        return records.table(positions)
    picked = [records[position] for position in positions.tolist()]
    return pa.table(
        {name: [getattr(record, name) for record in picked] for name in RECORD_COLUMNS.names}, RECORD_COLUMNS
    )


def article_numbers(records: Sequence[ParagraphRecord]) -> tuple[np.ndarray, pa.StringArray]:
    """Each record's article as a number (a doc_id numbered once, in the order first met) and the doc_ids by number
    (Arrow: no string made); of `ParagraphRecords`, from its columns without making a record."""
    if isinstance(records, ParagraphRecords):
        doc_ids, owners = records.articles.doc_ids, records.owners
    else:
        doc_ids, owners = [record.doc_id for record in records], np.arange(len(records))
    encoded = pa.array(doc_ids, pa.string()).dictionary_encode()  # numbered in the order first met
    return encoded.indices.to_numpy().astype(np.int64)[owners], encoded.dictionary


def paragraph_id(record: ParagraphRecord) -> str:
    """A readable, stable id for a paragraph: its article's doc_id and its index."""
    return f"{record.doc_id}-{record.para_idx}"


def unique_membership(paragraph: str) -> ClusterMembership:
    """The membership of a paragraph matched to no other: its own cluster, canonical."""
    return ClusterMembership(paragraph, True, "unique", 1.0, 1.0)


class ByPosition(Sequence[T]):
    """A sequence of one item a paragraph, each made when asked for (`_at`): slices give lists."""

    def __len__(self) -> int:
        raise NotImplementedError

    def _at(self, position: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, position: int) -> T: ...
    @overload
    def __getitem__(self, position: slice) -> list[T]: ...
    def __getitem__(self, position: int | slice) -> T | list[T]:
        if isinstance(position, slice):
            return [self._at(one) for one in range(*position.indices(len(self)))]
        size = len(self)  # asked once: the stages read a paragraph at a time over every pair
        if not -size <= position < size:
            raise IndexError(position)
        return self._at(position % size)

    def __iter__(self) -> Iterator[T]:
        return map(self._at, range(len(self)))

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same items (a list included)."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(mine == theirs for mine, theirs in zip(self, other))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class ArticleFacts:
    """Per article, in order, the facts its paragraphs' records carry: doc_id, source, date and edits."""

    doc_ids: Sequence[str]
    sources: Sequence[str | None]
    published: Sequence[str | None]
    edits: Sequence[int]

    @cached_property
    def table(self) -> pa.Table:
        """The facts as RECORD_COLUMNS' article columns, a row an article (made once)."""
        return pa.table(
            [self.doc_ids, self.sources, self.published, self.edits],
            schema=pa.schema(
                [RECORD_COLUMNS.field(name) for name in ("doc_id", "source", "published", "article_edits")]
            ),
        )


class ParagraphRecords(ByPosition[ParagraphRecord]):
    """Every paragraph's record as columns (its article, index, and whether it was canonical before or preferred),
    each record made when asked for: a corpus's paragraphs hold no object each."""

    def __init__(
        self,
        articles: ArticleFacts,
        owners: np.ndarray,
        para_idx: np.ndarray,
        incumbent: np.ndarray,
        preferred: np.ndarray | None = None,
    ) -> None:
        self.articles, self.owners, self.para_idx, self.incumbent = articles, owners, para_idx, incumbent
        self.preferred = np.zeros(len(owners), dtype=bool) if preferred is None else preferred

    def __len__(self) -> int:
        return len(self.owners)

    def _at(self, position: int) -> ParagraphRecord:
        article, facts = int(self.owners[position]), self.articles
        return ParagraphRecord(
            facts.doc_ids[article],
            int(self.para_idx[position]),
            facts.sources[article],
            facts.published[article],
            facts.edits[article],
            bool(self.incumbent[position]),
            bool(self.preferred[position]),
        )

    def table(self, positions: np.ndarray) -> pa.Table:
        """The records at `positions` as RECORD_COLUMNS, taken from these columns by Arrow (no record made)."""
        facts = self.articles.table.take(pa.array(self.owners[positions], pa.int64()))
        return pa.table(
            [
                facts["doc_id"],
                pa.array(self.para_idx[positions], pa.int64()),
                facts["source"],
                facts["published"],
                facts["article_edits"],
                pa.array(self.incumbent[positions], pa.bool_()),
                pa.array(self.preferred[positions], pa.bool_()),
            ],
            schema=RECORD_COLUMNS,
        )

    def paragraph_id(self, position: int) -> str:
        """The `paragraph_id` of the record at `position`, made from the columns (no record made)."""
        return f"{self.articles.doc_ids[self.owners[position]]}-{self.para_idx[position]}"

    def with_preferred(self, preferred: np.ndarray) -> ParagraphRecords:
        """The same records with these (a mask by position) preferred by a maintainer."""
        return ParagraphRecords(self.articles, self.owners, self.para_idx, self.incumbent, preferred)


class ParagraphIds(ByPosition[str]):
    """The `paragraph_id` of each record, made when asked for (the records' number taken once: they never change)."""

    def __init__(self, records: Sequence[ParagraphRecord]) -> None:
        self.records, self.count = records, len(records)
        self.made = records.paragraph_id if isinstance(records, ParagraphRecords) else None
        self.doc_ids: pa.Array | None = None  # ParagraphRecords' doc ids as Arrow strings, made once asked for

    def __len__(self) -> int:
        return self.count

    def _at(self, position: int) -> str:
        return self.made(position) if self.made else paragraph_id(self.records[position])

    def find(self, wanted: Sequence[str] | pa.ChunkedArray, among: np.ndarray) -> np.ndarray:
        """The position of each of the `wanted` ids, every one of them the id of one of the positions `among`: of
        `ParagraphRecords`, matched by Arrow against the ids made from its columns (no string made in Python)."""
        wanted = wanted if isinstance(wanted, pa.ChunkedArray) else pa.array(wanted, pa.string())
        rows = pc.index_in(wanted, value_set=self.column(among))
        if rows.null_count:
            raise KeyError(f"{rows.null_count} paragraph ids not found")
        return among[rows.to_numpy()]

    def column(self, positions: np.ndarray) -> pa.Array:
        """The ids at `positions` as Arrow strings: of `ParagraphRecords`, joined by Arrow from its columns (its doc
        ids made an Arrow array once), no string made in Python."""
        if not isinstance(self.records, ParagraphRecords):
            return pa.array([self._at(position) for position in positions.tolist()], pa.string())
        records = self.records
        if self.doc_ids is None:
            self.doc_ids = pa.array(records.articles.doc_ids, pa.string())
        return pc.binary_join_element_wise(
            self.doc_ids.take(pa.array(records.owners[positions])),
            pa.array(records.para_idx[positions]).cast(pa.string()),
            "-",
        )


# `ClusterMembership`'s fields as columns (the measures float64): what `PlacedMemberships` is made of.
MEMBERSHIP_COLUMNS = pa.schema(
    [
        ("cluster_id", pa.string()),
        ("is_canonical", pa.bool_()),
        ("match", pa.string()),
        ("jaccard", pa.float64()),
        ("containment", pa.float64()),
        ("contained_in", pa.string()),
    ]
)


def membership_columns(memberships: Sequence[ClusterMembership]) -> pa.Table:
    """The memberships as MEMBERSHIP_COLUMNS, a row each, in order."""
    return pa.table(
        {name: [getattr(row, name) for row in memberships] for name in MEMBERSHIP_COLUMNS.names}, MEMBERSHIP_COLUMNS
    )


class PlacedMemberships(Mapping[int, ClusterMembership]):
    """The memberships clustering placed, by position, held as columns (a row a placed paragraph, in position order):
    a membership is made only when asked for, so a corpus's clustered paragraphs hold no object each."""

    def __init__(self, positions: np.ndarray, columns: pa.Table) -> None:
        """`columns` (MEMBERSHIP_COLUMNS) holds a row for each of `positions` (distinct, in any order)."""
        order = np.argsort(positions, kind="stable")
        self.positions = np.asarray(positions, dtype=np.int64)[order]
        columns = columns.take(pa.array(order, pa.int64()))
        self.cluster_ids = columns["cluster_id"].combine_chunks()
        self.is_canonical = np.asarray(columns["is_canonical"].to_numpy(), dtype=bool).reshape(-1)
        self.kinds = sorted(pc.unique(columns["match"]).to_pylist())
        codes = pc.index_in(columns["match"], value_set=pa.array(self.kinds, pa.string()))
        self.matches = np.asarray(codes.to_numpy(), dtype=np.int16).reshape(-1)
        self.jaccard = np.asarray(columns["jaccard"].to_numpy(), dtype=np.float64).reshape(-1)
        self.containment = np.asarray(columns["containment"].to_numpy(), dtype=np.float64).reshape(-1)
        self.contained_in = columns["contained_in"].combine_chunks()

    @classmethod
    def of(cls, placed: Mapping[int, ClusterMembership]) -> PlacedMemberships:
        """The memberships of `placed`, by position."""
        return cls(np.fromiter(placed, dtype=np.int64, count=len(placed)), membership_columns(list(placed.values())))

    def __len__(self) -> int:
        return len(self.positions)

    def __iter__(self) -> Iterator[int]:
        return iter(self.positions.tolist())

    def __contains__(self, position: object) -> bool:
        return isinstance(position, int | np.integer) and self._row(int(position)) is not None

    def __getitem__(self, position: int) -> ClusterMembership:
        row = self._row(position)
        if row is None:
            raise KeyError(position)
        return self.at_row(row)

    def get(self, position: int, default: ClusterMembership | None = None) -> ClusterMembership | None:  # type: ignore[override]
        row = self._row(position)
        return default if row is None else self.at_row(row)

    def _row(self, position: int) -> int | None:
        """The row of the paragraph at `position`, None when clustering did not place it."""
        row = int(np.searchsorted(self.positions, position))
        return row if row < len(self.positions) and self.positions[row] == position else None

    def at_row(self, row: int) -> ClusterMembership:
        """The membership of the placed paragraph at `row`."""
        return ClusterMembership(
            self.cluster_ids[row].as_py(),
            bool(self.is_canonical[row]),
            self.kinds[self.matches[row]],
            float(self.jaccard[row]),
            float(self.containment[row]),
            self.contained_in[row].as_py(),
        )


class Memberships(ByPosition[ClusterMembership]):
    """Every paragraph's membership by position: those clustering placed (`placed`, as columns), and for every other
    paragraph (`ids` names them) a `unique_membership`, made when asked for (their number taken once)."""

    def __init__(self, ids: Sequence[str], placed: Mapping[int, ClusterMembership]) -> None:
        self.ids, self.count = ids, len(ids)
        self.placed = placed if isinstance(placed, PlacedMemberships) else PlacedMemberships.of(placed)

    def __len__(self) -> int:
        return self.count

    def _at(self, position: int) -> ClusterMembership:
        return self.placed.get(position) or unique_membership(self.ids[position])

    def canonical(self) -> np.ndarray:
        """Whether each paragraph is canonical, as a mask by position."""
        mask = np.ones(len(self), dtype=bool)
        mask[self.placed.positions[~self.placed.is_canonical]] = False
        return mask

    def columns(self, positions: np.ndarray) -> dict[str, pa.Array]:
        """The memberships of the paragraphs at `positions` (ascending) as columns named as ClusterMembership's fields
        (the measures float64); no membership is made."""
        placed, count = self.placed, len(positions)
        rows, found = sorted_rows(placed.positions, positions)
        at, alone, rows = np.flatnonzero(found), np.flatnonzero(~found), rows[found]
        order = np.empty(count, dtype=np.int64)
        order[at], order[alone] = np.arange(len(at)), len(at) + np.arange(len(alone))
        own_ids = id_column(self.ids, positions[alone])
        taken = pa.array(rows, pa.int64())
        matches = np.full(count, len(placed.kinds), dtype=np.int16)
        matches[at] = placed.matches[rows]
        values = {name: np.ones(count, dtype=np.float64) for name in ("jaccard", "containment")}
        for name, measures in values.items():
            measures[at] = getattr(placed, name)[rows]
        is_canonical = np.ones(count, dtype=bool)
        is_canonical[at] = placed.is_canonical[rows]
        nothing = pa.nulls(len(alone), pa.string())
        return {
            "cluster_id": pa.concat_arrays([placed.cluster_ids.take(taken), own_ids]).take(order),
            "is_canonical": pa.array(is_canonical),
            "match": pa.array([*placed.kinds, "unique"], pa.string()).take(pa.array(matches)),
            **{name: pa.array(measures) for name, measures in values.items()},
            "contained_in": pa.concat_arrays([placed.contained_in.take(taken), nothing]).take(order),
        }


def id_column(ids: Sequence[str], positions: np.ndarray) -> pa.Array:
    """The ids at `positions` as Arrow strings (of `ParagraphIds`, joined by Arrow from its records' columns)."""
    if isinstance(ids, ParagraphIds):
        return ids.column(positions)
    return pa.array([ids[position] for position in positions.tolist()], pa.string())
