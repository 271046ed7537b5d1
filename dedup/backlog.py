"""Calls handed to a pool in order with a bounded backlog: the caller makes the next piece of work while earlier
pieces are worked on (trimmed, written), and never holds more than a few of them waiting (`pool.map` would submit
every call at once)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Generic, TypeVar

T = TypeVar("T")


class Backlog(Generic[T]):
    """Calls submitted to `pool` whose results are taken in the order submitted, at most `limit` unfinished once a
    submit returns."""

    def __init__(self, pool: Executor, limit: int) -> None:
        self._pool, self._limit = pool, limit
        self._pending: deque[Future[T]] = deque()

    def submit(self, function: Callable[..., T], *arguments: object, wait: bool = True) -> list[T]:
        """Submit a call, then (unless not to `wait`: the calls pile up) wait for the oldest calls until at most
        `limit` are unfinished: their results, oldest first."""
        self._pending.append(self._pool.submit(function, *arguments))
        if not wait:
            return []
        return [self._pending.popleft().result() for _ in range(len(self._pending) - self._limit)]

    def finish(self) -> list[T]:
        """Wait for every call submitted: the results not taken yet, oldest first."""
        return [self._pending.popleft().result() for _ in range(len(self._pending))]
