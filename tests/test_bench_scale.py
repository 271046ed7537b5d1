"""The scale benchmark (benchmarks/bench_scale.py) reads what copydesk prints and writes."""

from __future__ import annotations

import logging

import pytest

from flows.progress import QUIET_VARIABLE, StageProgress
from tests.conftest import import_benchmark


def test_the_benchmark_reads_the_line_a_stage_prints_as_it_ends(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(QUIET_VARIABLE, raising=False)
    bench_scale = import_benchmark("bench_scale")
    with StageProgress("spelling", 12_345, logging.getLogger("test"), "paragraphs") as progress:
        progress.advance(12_345)
    line = capsys.readouterr().err.splitlines()[-1]
    assert bench_scale.STAGE_LINE.match(line).group(1) == "spelling"
