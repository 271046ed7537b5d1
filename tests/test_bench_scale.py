"""The scale benchmark (benchmarks/bench_scale.py) reads what copydesk prints and writes."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from flows.runtime.progress import QUIET_VARIABLE, StageProgress
from tests.conftest import REPO, import_benchmark


def test_the_benchmark_reads_the_line_a_stage_prints_as_it_ends(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(QUIET_VARIABLE, raising=False)
    bench_scale = import_benchmark("bench_scale")
    with StageProgress("spelling", 12_345, logging.getLogger("test"), "paragraphs") as progress:
        progress.advance(12_345)
    line = capsys.readouterr().err.splitlines()[-1]
    assert bench_scale.STAGE_LINE.match(line).group(1) == "spelling"


BBC = REPO.parent / "shared" / "data" / "bbc-news-2004.jsonl.gz"
SEED = 7
needs_bbc = pytest.mark.skipif(not BBC.exists(), reason=f"shared BBC data not found at {BBC}")


def files(folder: Path) -> dict[str, str]:
    """Every file under folder by relative path, with its text."""
    return {str(path.relative_to(folder)): path.read_text(encoding="utf-8") for path in folder.rglob("*.*")}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """The generator's files for articles 0-119 and 0-299 of SEED, written apart from the benchmark's cache."""
    scale_corpus = import_benchmark("scale_corpus")
    folder = tmp_path_factory.mktemp("written")
    scale_corpus.write_corpus(folder / "120", 0, 120, False, SEED, workers=1)
    scale_corpus.write_corpus(folder / "300", 0, 300, False, SEED, workers=1)
    return {"120": files(folder / "120"), "300": files(folder / "300")}


@needs_bbc
def test_a_smaller_corpus_is_linked_from_a_larger_cached_one(
    tmp_path: Path, written: dict[str, dict[str, str]]
) -> None:
    bench_scale = import_benchmark("bench_scale")
    larger = bench_scale.corpus(tmp_path, 250, False, SEED)
    smaller = bench_scale.corpus(tmp_path, 120, False, SEED)
    assert files(smaller / "raw") == written["120"]
    assert json.loads((smaller / "complete").read_text()) == {"articles": 120, "linked_from": str(larger)}
    assert bench_scale.generation_row(smaller).value == f"linked from {larger} (not timed)"


@needs_bbc
def test_the_cached_batch_is_in_the_corpus_only_while_its_runs_last(
    tmp_path: Path, written: dict[str, dict[str, str]]
) -> None:
    bench_scale = import_benchmark("bench_scale")
    folder = bench_scale.corpus(tmp_path, 250, False, SEED)
    before, stamp = files(folder / "raw"), (folder / "complete").read_text()
    with bench_scale.added_batch(folder, tmp_path, 250, 30, SEED):
        with bench_scale.added_batch(folder, tmp_path, 280, 20, SEED):  # the scheduled run's batch after it
            assert files(folder / "raw") == written["300"]
            assert not (folder / "complete").exists()
        assert len(files(folder / "raw")) == 280 and not (folder / "complete").exists()
    assert files(folder / "raw") == before
    assert (folder / "complete").read_text() == stamp
    assert len(files(bench_scale.batch(tmp_path, 250, 30, SEED) / "raw")) == 30


def test_a_measured_command_shows_its_memory_and_the_load_it_ran_under(tmp_path: Path) -> None:
    measured = import_benchmark("measured")
    holds_memory = (
        "import time; block = bytearray(200 * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(1)"
    )
    done = measured.measure([sys.executable, "-c", holds_memory], None, tmp_path)
    assert done.returncode == 0
    assert done.peak_bytes > 200 * 2**20
    assert done.peak_anonymous_bytes > 200 * 2**20
    assert done.load_average >= 0
    assert done.seconds >= 1


def test_pages_of_a_mapped_file_count_as_resident_but_not_as_anonymous(tmp_path: Path) -> None:
    measured = import_benchmark("measured")
    (tmp_path / "mapped").write_bytes(b"x" * (200 * 2**20))
    reads_mapped = (
        "import mmap, time; f = open('mapped', 'rb'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ); "
        "sum(m[i] for i in range(0, len(m), 4096)); time.sleep(1)"
    )
    done = measured.measure([sys.executable, "-c", reads_mapped], None, tmp_path)
    assert done.returncode == 0
    assert done.peak_bytes > 200 * 2**20
    assert done.peak_anonymous_bytes < 100 * 2**20


def test_peak_memory_is_fitted_per_article_and_extrapolated_to_the_full_scale() -> None:
    bench_scale = import_benchmark("bench_scale")
    kb = 1024
    peaks = {20_000: 20_000 * 60 * kb + 2**30, 50_000: 50_000 * 60 * kb + 2**30, 100_000: 100_000 * 60 * kb + 2**30}
    row = bench_scale.memory_fit_row(peaks)
    assert row.value.startswith("60 KB an article + 1.00 GB")
    assert "20,000->50,000: 60 KB, 50,000->100,000: 60 KB" in row.value
    assert row.value.endswith(f"-> 1,000,000: ~{(1_000_000 * 60 * kb + 2**30) / 2**30:,.1f} GB")
    assert row.result == "extrapolated gap 7.28x"


def test_the_passes_of_each_stage_are_tabled_from_a_real_runs_manifest(seeds_run: tuple[Path, Path]) -> None:
    bench_scale = import_benchmark("bench_scale")
    stages = tuple(json.loads((seeds_run[1] / "manifest.json").read_text())["stages"])
    run = bench_scale.Run(1.0, 1.0, 1.0, 2**20, 0.5, 3, 3, 0.1, stages, {})
    table = bench_scale.phase_table(bench_scale.TxtRuns(run, run, None, ()), 3, 0).splitlines()
    passes = [(stage["stage"], phase) for stage in stages for phase in stage["phases"]]
    assert passes, "the seeds run's manifest records the passes of its stages"
    assert [cell.strip() for cell in table[0].split(" | ")][1:] == ["full, 3", "+0 incremental"]
    for (stage_name, phase), line in zip(passes, table[2:], strict=True):
        cells = [cell.strip() for cell in line.split(" | ")]
        shown = f"{phase['seconds']:,.1f}s, flow CPU {phase['flow_cpu_seconds']:,.1f}s"
        assert cells == [f"{stage_name}: {phase['phase']}", shown, shown]
