"""A column of texts (an Arrow column of strings) read as Python strings a chunk at a time: how the flow's stages
and the state's stores read paragraphs without holding a string of each."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np
import pyarrow as pa

# How many texts ColumnTexts makes Python strings of at once when iterated.
TEXTS_AT_ONCE = 10_000


class ColumnTexts(Sequence[str]):
    """A column of texts read as Python strings, each made when read and let go by the reader: the column holds
    every text once, and a pass over all of them holds TEXTS_AT_ONCE at a time."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        self._column = column

    def __len__(self) -> int:
        return len(self._column)

    @property
    def column(self) -> pa.ChunkedArray:
        """The texts as the Arrow column holds them."""
        return self._column

    @overload
    def __getitem__(self, position: int) -> str: ...

    @overload
    def __getitem__(self, positions: slice) -> list[str]: ...

    def __getitem__(self, position: int | slice) -> str | list[str]:
        if isinstance(position, slice):
            start, stop, step = position.indices(len(self))
            if step != 1:
                return [self._column[at].as_py() for at in range(start, stop, step)]
            return self._column.slice(start, max(stop - start, 0)).to_pylist()
        return self._column[position].as_py()

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self), TEXTS_AT_ONCE):
            yield from self[start : start + TEXTS_AT_ONCE]

    def take(self, positions: Sequence[int] | np.ndarray) -> ColumnTexts:
        """The texts at these positions, in their order (their bytes copied once, no Python string made)."""
        return ColumnTexts(taken(self._column, positions))


def taken(column: pa.ChunkedArray, positions: Sequence[int] | np.ndarray) -> pa.ChunkedArray:
    """The values of a column at these positions, in their order: each chunk's taken from it alone (Arrow's take over
    a column of several chunks joins them all first), and put in order only when the positions go back to an
    earlier chunk."""
    positions = np.asarray(positions, dtype=np.int64)
    lengths = np.array([len(chunk) for chunk in column.chunks], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    chunk_of = np.searchsorted(starts, positions, side="right") - 1
    order = np.argsort(chunk_of, kind="stable")
    bounds = np.searchsorted(chunk_of[order], np.arange(len(lengths) + 1))
    parts = [
        chunk.take(pa.array(positions[order[low:high]] - start))
        for chunk, start, low, high in zip(column.chunks, starts, bounds[:-1], bounds[1:])
    ]
    if (np.diff(chunk_of) >= 0).all():  # the positions go through the chunks in order: so do the parts
        return pa.chunked_array(parts, column.type)
    in_order = pa.concat_arrays(parts).take(pa.array(np.argsort(order, kind="stable")))
    return pa.chunked_array([in_order])
