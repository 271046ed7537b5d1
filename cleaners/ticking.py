"""Counting a long loop's progress for whoever shows it: the pure stages take a callable `advance(amount)` and
report through `ticking`, so they stay free of any display (flows/runtime/progress.py shows it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

# How many items a loop handles between two reports: often enough for a bar that moves, seldom enough to cost
# nothing measurable.
REPORT_EVERY = 1000
Item = TypeVar("Item")


def no_progress(amount: int) -> None:
    """An `advance` that keeps nothing: the default where nobody watches."""


def ticking(items: Iterable[Item], advance: Callable[[int], None], every: int = 0) -> Iterator[Item]:
    """The items, one by one, advancing progress by each `every` (default REPORT_EVERY) of them as they are handled
    (the rest at the end)."""
    every, count = every or REPORT_EVERY, 0
    for item in items:
        yield item
        count += 1
        if count == every:
            advance(count)
            count = 0
    if count:
        advance(count)


def in_chunks(items: list[Item], every: int = 0) -> Iterator[list[Item]]:
    """The items in consecutive lists of `every` (default REPORT_EVERY): for vectorised work that reports progress
    between chunks."""
    every = every or REPORT_EVERY
    for start in range(0, len(items), every):
        yield items[start : start + every]
