"""Progress of the long stages done in one piece (boilerplate, match, spelling, cluster, write): each reports its
passes and the work done in each as it goes, to a bar in a terminal, without changing what it computes."""

from __future__ import annotations

import io
import logging
import re
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from cleaners import ticking
from flows.runtime.progress import QUIET_VARIABLE, StageProgress
from flows.stages import steps
from flows.stages.cleaned import Cleaned
from flows.stages.line_keys import write_line_keys
from flows.stages.prepared import RunArticles
from flows.stages.shards import shard_name, write_shard
from flows.state import line_counts
from flows.state.finished import FinishedCleaning, finished_table, in_order
from flows.state.line_counts import LineCounts
from tests.conftest import SEED_NAMES, SEEDS_DIR

# Small enough that the seeds' few hundred paragraphs, words and pairs are reported in several steps.
SMALL_STEP = 7


class Recorder:
    """A Ticker that keeps every pass of a stage: its label, total and unit, the work reported and in how many
    reports."""

    def __init__(self) -> None:
        self.passes: list[dict] = []

    def phase(self, label: str, total: int, unit: str) -> None:
        self.passes.append({"label": label, "total": total, "unit": unit, "done": 0, "reports": 0})

    def advance(self, amount: int = 1) -> None:
        if not self.passes:
            self.phase("", -1, "")
        self.passes[-1]["done"] += amount
        self.passes[-1]["reports"] += amount > 0

    def labels(self) -> list[str]:
        return [one["label"] for one in self.passes]


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """The seed articles from one site, their copies from a second and edited copies from a third (a word of each
    paragraph changed): boilerplate to learn, exact copies and near-duplicates."""
    folder = tmp_path_factory.mktemp("raw")
    for site in ("first-site", "second-site", "third-site"):
        (folder / site).mkdir()
        for name in SEED_NAMES:
            shutil.copy(SEEDS_DIR / name, folder / site / name)
    for path in (folder / "third-site").iterdir():
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(line.replace(" the ", " this ", 1) for line in lines), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def prepared(raw, config) -> list[steps.PreparedInput]:
    paths = sorted(str(path.relative_to(raw)) for path in raw.rglob("*.txt"))
    return [item for read in steps.read_and_prepare(raw, paths, config).values() for item in read.prepared]


@pytest.fixture(scope="module")
def articles(prepared, config, tmp_path_factory) -> RunArticles:
    """The prepared articles in one shard with their line keys, as the read task writes them."""
    shard = tmp_path_factory.mktemp("work") / shard_name(0)
    write_shard(prepared, shard)
    write_line_keys(prepared, shard, config.cleaning.boilerplate, config.cleaning.bullet_chars)
    names = [(item.raw.source_path, item.raw.doc_id) for item in prepared]
    return RunArticles([shard], names, [(0, row) for row in range(len(prepared))])


@pytest.fixture(scope="module")
def cleaned(prepared, articles, config) -> Cleaned:
    """The finished articles' columns, as the flow holds them."""
    learned = learn(articles, config)
    table = finished_table(prepared, steps.finish_documents(prepared, learned.boilerplate, config))
    return in_order(articles.names, table, FinishedCleaning()).cleaned


def learn(articles: RunArticles, config, progress=None) -> line_counts.Learning:
    """Learn over the articles, the counts stored beside their shard."""
    rules = config.cleaning
    paths = sorted({source_path for source_path, _ in articles.names})
    extra = {"progress": progress} if progress else {}
    folder = articles.paths[0].parent
    return line_counts.learn_incrementally(
        articles, LineCounts(), [], paths, rules.boilerplate, rules.bullet_chars, folder, **extra
    )


@pytest.fixture
def small_steps(monkeypatch):
    monkeypatch.setattr(ticking, "REPORT_EVERY", SMALL_STEP)


def assert_each_pass_done_in_steps(recorder: Recorder) -> None:
    for one in recorder.passes:
        assert one["done"] == one["total"], one
    assert any(one["reports"] > 1 for one in recorder.passes), "progress is reported as the work goes"


def test_boilerplate_counts_every_article_once_their_stories_are_known(articles, config, small_steps):
    recorder = Recorder()
    learning = learn(articles, config, recorder)
    done = len(articles.names)
    assert recorder.passes == [{"label": "", "total": -1, "unit": "", "done": done, "reports": 1}]
    assert learning.boilerplate == learn(articles, config).boilerplate


def test_matching_reports_each_pass_and_finds_the_same_matches(cleaned, config, small_steps):
    recorder = Recorder()
    watched = steps.match_paragraphs(cleaned, config, progress=recorder)
    assert recorder.labels() == [
        "signing paragraphs",
        "splitting sentences",
        "signing sentences",
        "candidates",
        "verifying",
    ]
    assert_each_pass_done_in_steps(recorder)
    assert recorder.passes[0]["reports"] > 1, "paragraphs are signed a chunk at a time"
    ticking.REPORT_EVERY = 1_000_000  # one chunk: as before progress was reported
    whole = steps.match_paragraphs(cleaned, config)
    assert watched.matches.overlaps == whole.matches.overlaps and watched.matches.overlaps
    assert watched.matches.copies == whole.matches.copies and watched.update.new == whole.update.new


def test_spelling_reports_texts_digested_then_paragraphs_counted_then_words_and_copies_judged(
    cleaned, config, small_steps
):
    matches = steps.match_paragraphs(cleaned, config).matches
    recorder = Recorder()
    decisions, _, _ = steps.spelling_decisions(cleaned, matches, config, progress=recorder)
    assert recorder.labels() == ["finding changed texts", "counting words", "judging words, aligning copies"]
    assert_each_pass_done_in_steps(recorder)
    assert decisions and decisions == steps.spelling_decisions(cleaned, matches, config)[0]


def test_a_stage_in_passes_ends_on_its_own_total(capsys, monkeypatch):
    monkeypatch.delenv(QUIET_VARIABLE, raising=False)
    with StageProgress("match", 74, logging.getLogger("test"), "paragraphs") as progress:
        progress.phase("signing paragraphs", 40, "paragraphs")
        progress.advance(40)
        progress.phase("verifying", 3, "pairs")
        progress.advance(3)
    assert capsys.readouterr().err.split()[:3] == ["match", "74", "paragraphs"]
    assert progress.entry()["rows_in"] == progress.entry()["rows_out"] == 74


def test_a_stage_and_each_of_its_passes_are_timed_in_wall_and_cpu_seconds(monkeypatch):
    monkeypatch.setenv(QUIET_VARIABLE, "1")
    with StageProgress("spelling", 2, logging.getLogger("test"), "paragraphs") as progress:
        progress.phase("counting words", 1, "paragraphs")
        time.sleep(0.2)  # wall time without CPU
        progress.phase("judging words", 1, "tokens")
        busy_until = time.process_time() + 0.2
        while time.process_time() < busy_until:
            pass
    entry = progress.entry()
    counting, judging = entry["phases"]
    assert (counting["phase"], judging["phase"]) == ("counting words", "judging words")
    assert counting["seconds"] >= 0.2 > counting["flow_cpu_seconds"]
    assert judging["flow_cpu_seconds"] >= 0.2
    assert entry["flow_cpu_seconds"] >= counting["flow_cpu_seconds"] + judging["flow_cpu_seconds"] - 0.01
    assert entry["seconds"] >= counting["seconds"] + judging["seconds"] - 0.01


class Terminal(io.StringIO):
    """Standard error as a terminal would be: rich draws its bars on it."""

    def isatty(self) -> bool:
        return True

    def text(self) -> str:
        """What was drawn, without the terminal's colour and cursor codes."""
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.getvalue())


def test_in_a_terminal_the_bar_shows_the_pass_under_way_and_its_count(monkeypatch):
    monkeypatch.delenv(QUIET_VARIABLE, raising=False)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with StageProgress("match", 74, logging.getLogger("test"), "paragraphs") as progress:
        progress.phase("verifying", 30, "pairs")
        progress.advance(12)
        deadline = time.monotonic() + 10
        while "12/30 pairs" not in terminal.text() and time.monotonic() < deadline:
            time.sleep(0.05)  # rich redraws ten times a second
        progress.advance(18)
    drawn = terminal.text()
    assert "match: verifying" in drawn and "12/30 pairs" in drawn
    assert "74/74 paragraphs" in drawn.split("\r")[-1], "the stage's line ends on its own total"


def test_every_stage_of_a_run_reports_all_its_work(prefect_harness, raw, tmp_path, monkeypatch, small_steps):
    """The real flow: each stage's passes (or the stage itself) are counted to their totals."""
    from flows.pipeline import copydesk_run

    counted: dict[str, list[list]] = defaultdict(list)
    phase, advance = StageProgress.phase, StageProgress.advance

    def watched_phase(self: StageProgress, label: str, total: int, unit: str) -> None:
        counted[self.stage].append([label, total, 0])
        phase(self, label, total, unit)

    def watched_advance(self: StageProgress, amount: int = 1) -> None:
        if not counted[self.stage]:
            counted[self.stage].append(["", self.total, 0])
        counted[self.stage][-1][2] += amount
        advance(self, amount)

    monkeypatch.setattr(StageProgress, "phase", watched_phase)
    monkeypatch.setattr(StageProgress, "advance", watched_advance)
    copydesk_run(str(raw), str(tmp_path / "out"))
    assert list(counted) == ["read", "boilerplate", "clean", "match", "spelling", "correct", "cluster", "write"]
    for stage, passes in counted.items():
        assert all(done == total for _, total, done in passes), (stage, passes)
    assert [label for label, _, _ in counted["write"]] == [
        "building and writing tables and the corpus",
        "writing the report",
        "writing the state",
    ]
