"""Progress per stage: a bar over articles (or paragraphs, files) in a terminal, one closing line per stage
otherwise (CI, cron), nothing under --quiet; each stage's seconds and rows in and out go to the manifest."""

from __future__ import annotations

import logging
import os
import sys
import time
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# Set by `copydesk run --quiet` (and inherited by the processes it starts): no bars, no stage lines.
QUIET_VARIABLE = "COPYDESK_QUIET"


def quiet() -> bool:
    """True when progress is not to be shown at all."""
    return os.environ.get(QUIET_VARIABLE, "") not in ("", "0")


class StageProgress:
    """Counts a stage's finished units of work, shows them, and times the stage; a stage done in one piece
    (`in_one_piece`) shows a pulsing bar until it is done."""

    def __init__(
        self,
        stage: str,
        total: int,
        logger: logging.Logger | logging.LoggerAdapter,
        unit: str = "articles",
        in_one_piece: bool = False,
    ) -> None:
        self.stage, self.total, self.logger, self.unit = stage, total, logger, unit
        self.in_one_piece = in_one_piece
        self.done = 0
        self.rows_out: int | None = None
        self.seconds = 0.0
        self._started = 0.0
        self._bar: Progress | None = None
        self._task_id = None

    def __enter__(self) -> Self:
        self._started = time.monotonic()
        if not quiet() and sys.stderr.isatty():
            self._bar = Progress(
                TextColumn(f"[bold]{self.stage:<11}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self.unit),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()
            self._task_id = self._bar.add_task(self.stage, total=None if self.in_one_piece else self.total)
        return self

    def advance(self, amount: int = 1) -> None:
        """Record finished work."""
        self.done += amount
        if self._bar is not None and not self.in_one_piece:
            self._bar.update(self._task_id, completed=self.done)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.seconds = time.monotonic() - self._started
        if self.in_one_piece and kind is None:
            self.done = self.total
        if self._bar is not None:
            self._bar.update(self._task_id, total=self.total, completed=self.done)
            self._bar.stop()
        elif kind is None and not quiet():
            print(f"{self.stage:<11} {self.done:>9,} {self.unit:<10} {self.seconds:7.1f}s", file=sys.stderr)
        self.logger.info("%s: %d/%d %s in %.1fs", self.stage, self.done, self.total, self.unit, self.seconds)

    def entry(self) -> dict:
        """The stage's line of the manifest's `stages`: seconds, rows in and rows out."""
        rows_out = self.done if self.rows_out is None else self.rows_out
        return {
            "stage": self.stage,
            "unit": self.unit,
            "rows_in": self.total,
            "rows_out": rows_out,
            "seconds": round(self.seconds, 3),
        }
