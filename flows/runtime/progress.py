"""Progress per stage: a bar over articles (or paragraphs, files) in a terminal, one closing line per stage
otherwise (CI, cron), nothing under --quiet; each stage's seconds and rows in and out go to the manifest. A stage
done in several passes (matching: signing, then verifying pairs) shows each pass's count on its bar as it goes."""

from __future__ import annotations

import logging
import os
import sys
import time
from types import TracebackType
from typing import Protocol, Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cleaners.ticking import in_chunks, ticking

__all__ = ["NO_PROGRESS", "StageProgress", "Ticker", "in_chunks", "quiet", "ticking"]
# Set by `copydesk run --quiet` (and inherited by the processes it starts): no bars, no stage lines.
QUIET_VARIABLE = "COPYDESK_QUIET"
REDRAW_SECONDS = 0.1


def quiet() -> bool:
    """True when progress is not to be shown at all."""
    return os.environ.get(QUIET_VARIABLE, "") not in ("", "0")


class Ticker(Protocol):
    """What a stage function reports its progress to: finished work, and the start of each of its passes."""

    def advance(self, amount: int = 1) -> None: ...

    def phase(self, label: str, total: int, unit: str) -> None: ...


class NoProgress:
    """A Ticker that keeps nothing: the default of every stage function, so tests and benchmarks call them bare."""

    def advance(self, amount: int = 1) -> None:
        """Nothing to record."""

    def phase(self, label: str, total: int, unit: str) -> None:
        """Nothing to show."""


NO_PROGRESS = NoProgress()


class StageProgress:
    """Counts a stage's finished units of work, shows them, and times the stage. A stage done in passes (`phase`)
    shows each pass's own count on its line; at its end the line shows the stage's total."""

    def __init__(
        self, stage: str, total: int, logger: logging.Logger | logging.LoggerAdapter, unit: str = "articles"
    ) -> None:
        self.stage, self.total, self.logger, self.unit = stage, total, logger, unit
        self.done = 0
        self.rows_out: int | None = None
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.phases: list[tuple[str, int, str]] = []
        self.phase_times: list[dict] = []
        self._counted = 0
        self._started = 0.0
        self._cpu_started = 0.0
        self._phase_started = (0.0, 0.0)
        self._drawn = 0.0
        self._bar: Progress | None = None
        self._task_id = None

    def __enter__(self) -> Self:
        self._started, self._cpu_started = time.monotonic(), time.process_time()
        if not quiet() and sys.stderr.isatty():
            self._bar = Progress(
                TextColumn("[bold]{task.fields[label]:<24}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()
            self._task_id = self._bar.add_task(self.stage, total=self.total, label=self.stage, unit=self.unit)
        return self

    def advance(self, amount: int = 1) -> None:
        """Record finished work (of the current pass, if the stage is in passes)."""
        self._counted += amount
        if not self.phases:
            self.done = self._counted
        if self._bar is not None and (now := time.monotonic()) - self._drawn >= REDRAW_SECONDS:
            self._drawn = now
            self._bar.update(self._task_id, completed=self._counted)

    def phase(self, label: str, total: int, unit: str) -> None:
        """Start a pass of the stage over `total` `unit`s; its count starts from 0 on the stage's line."""
        self._end_phase()
        self.phases.append((label, total, unit))
        self._phase_started = (time.monotonic(), time.process_time())
        self._counted = 0
        if self._bar is not None:
            self._bar.update(self._task_id, total=total, completed=0, label=f"{self.stage}: {label}", unit=unit)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.seconds = time.monotonic() - self._started
        self.cpu_seconds = time.process_time() - self._cpu_started
        self._end_phase()
        if self.phases and kind is None:
            self.done = self.total
        if self._bar is not None:
            self._bar.update(self._task_id, total=self.total, completed=self.done, label=self.stage, unit=self.unit)
            self._bar.stop()
        elif kind is None and not quiet():
            print(f"{self.stage:<11} {self.done:>9,} {self.unit:<10} {self.seconds:7.1f}s", file=sys.stderr)
        self.logger.info("%s: %d/%d %s in %.1fs", self.stage, self.done, self.total, self.unit, self.seconds)

    def _end_phase(self) -> None:
        """Time the pass under way, if any: wall seconds and the CPU seconds of this process."""
        if len(self.phase_times) < len(self.phases):
            wall, cpu = self._phase_started
            self.phase_times.append(
                {
                    "phase": self.phases[-1][0],
                    "seconds": round(time.monotonic() - wall, 3),
                    "flow_cpu_seconds": round(time.process_time() - cpu, 3),
                }
            )

    def entry(self) -> dict:
        """The stage's line of the manifest's `stages`: seconds, rows in and rows out, the CPU seconds of the flow
        process (worker processes not included) and, for a stage in passes, each pass's times."""
        rows_out = self.done if self.rows_out is None else self.rows_out
        return {
            "stage": self.stage,
            "unit": self.unit,
            "rows_in": self.total,
            "rows_out": rows_out,
            "seconds": round(self.seconds, 3),
            "flow_cpu_seconds": round(self.cpu_seconds, 3),
            "phases": self.phase_times,
        }
