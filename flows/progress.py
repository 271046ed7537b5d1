"""Progress per stage: a bar in a terminal, plain log lines otherwise (CI, cron, Prefect workers)."""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Self

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class StageProgress:
    """Counts a stage's finished units of work and shows them."""

    def __init__(self, stage: str, total: int, logger: logging.Logger | logging.LoggerAdapter, unit: str = "batches"):
        self.stage, self.total, self.logger, self.unit = stage, total, logger, unit
        self.done = 0
        self._bar: Progress | None = None
        self._task_id = None

    def __enter__(self) -> Self:
        if sys.stderr.isatty():
            self._bar = Progress(
                TextColumn(f"[bold]{self.stage:<9}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self.unit),
                TimeElapsedColumn(),
                transient=False,
            )
            self._bar.start()
            self._task_id = self._bar.add_task(self.stage, total=self.total)
        else:
            self.logger.info("%s: started (%d %s)", self.stage, self.total, self.unit)
        return self

    def advance(self, amount: int = 1) -> None:
        """Record finished work."""
        self.done += amount
        if self._bar is not None:
            self._bar.update(self._task_id, completed=self.done)
        else:
            self.logger.info("%s: %d/%d %s", self.stage, self.done, self.total, self.unit)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
