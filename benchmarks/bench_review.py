"""The review page (`copydesk review serve`) on a large run, measured in headless Chromium: how long the server
takes to load the tables, the first page, a search, each filter, each sort, the last page (every cluster is
reachable: the last page holds what the total leaves), removed lines and corrections. Each figure is the time
from the action to its results shown, the median of --repeat tries; one line of the table per step.

    .venv/bin/copydesk run RAW --out OUT
    .venv/bin/python benchmarks/bench_review.py OUT [--screenshot PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
from harness import format_table
from playwright.sync_api import Page, sync_playwright

from flows.outputs.table_parts import table_files

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PER_PAGE = 20
TARGET_SECONDS = 1.0
# The screenshot shows the top of the page: the controls, the legend and the first clusters with their copies.
SCREENSHOT_HEIGHT = 2400


def expected_clusters(out_dir: Path) -> int:
    """The clusters the page lists, counted apart from the server from paragraphs.parquet: those of more than one
    paragraph, and (where the run has `contained_in`) those of a paragraph contained in another or containing one."""
    paragraphs = duckdb.read_parquet(table_files(out_dir / "paragraphs.parquet"))
    linked = ""
    if "contained_in" in paragraphs.columns:
        linked = """
            UNION SELECT cluster_id FROM paragraphs WHERE contained_in IS NOT NULL
            UNION SELECT cluster_id FROM paragraphs WHERE doc_id || '-' || para_idx IN (
                SELECT contained_in FROM paragraphs WHERE contained_in IS NOT NULL)"""
    query = f"SELECT count(*) FROM (SELECT cluster_id FROM paragraphs GROUP BY cluster_id HAVING count(*) > 1{linked})"
    return duckdb.sql(query).fetchall()[0][0]


def start_server(out_dir: Path) -> tuple[subprocess.Popen, str, float]:
    """`copydesk review serve OUT_DIR` on a free port: the process, its address and seconds until it answered."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "flows.cli", "review", "serve", str(out_dir), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    address = re.search(r"http://\S+/", line)
    if not address:
        process.kill()
        sys.exit(f"bench_review: the server did not start: {line!r}")
    return process, address.group(0), time.perf_counter() - started


class Timed:
    """The review page; each step waits for the results it asked for and keeps how long they took."""

    def __init__(self, page: Page, repeat: int) -> None:
        self.page, self.repeat = page, repeat
        self.rows: list[list[object]] = []

    def shown(self, action: Callable[[], object]) -> float:
        before = self.page.evaluate("Number(document.body.dataset.loaded || 0)")
        started = time.perf_counter()
        action()
        self.page.wait_for_function(
            "before => Number(document.body.dataset.loaded || 0) > before", arg=before, timeout=120_000
        )
        return time.perf_counter() - started

    def total(self) -> int:
        return int(self.page.locator("#status").inner_text().split(" of ")[-1].replace(",", ""))

    def step(self, name: str, action: Callable[[], object], undo: Callable[[], object] | None = None) -> None:
        """Time an action `repeat` times (undoing it between tries) and record the median and what it found."""
        times = []
        for attempt in range(self.repeat):
            times.append(self.shown(action))
            found = self.total()
            if undo and attempt < self.repeat - 1:
                self.shown(undo)
        seconds = statistics.median(times)
        self.rows.append([name, f"{seconds:.3f}", f"{found:,}", "yes" if seconds < TARGET_SECONDS else "NO"])

    def first_page(self, url: str) -> None:
        """Open the page afresh `repeat` times; each time until its first clusters are shown."""
        times = []
        for _ in range(self.repeat):
            started = time.perf_counter()
            self.page.goto(url, wait_until="load")
            self.page.wait_for_function("() => Number(document.body.dataset.loaded || 0) > 0", timeout=120_000)
            times.append(time.perf_counter() - started)
        seconds = statistics.median(times)
        self.rows.append(
            ["first page", f"{seconds:.3f}", f"{self.total():,}", "yes" if seconds < TARGET_SECONDS else "NO"]
        )

    def reset(self) -> None:
        self.shown(lambda: self.page.locator("#clear-filters").click())


def measure(page: Page, url: str, repeat: int, expected: int) -> list[list[object]]:
    """Every step of the review page, timed."""
    timed = Timed(page, repeat)
    timed.first_page(url)
    total = timed.total()
    if total != expected:
        sys.exit(f"bench_review: the page counts {total:,} clusters, paragraphs.parquet {expected:,}")
    canonical = page.locator("#results .canonical p").first.inner_text()
    word = max(canonical.split(), key=len).strip(".,;:!?\"'()")

    timed.step(f"search {word!r}", search_for(page, word), timed.reset)
    timed.reset()
    source = page.locator("#source option").nth(1).get_attribute("value")
    timed.step(f"source {source}", lambda: page.locator("#source").select_option(source), timed.reset)
    timed.reset()
    timed.step("match near_duplicate", lambda: page.locator("#match").select_option("near_duplicate"), timed.reset)
    timed.reset()

    def score_range() -> None:
        page.locator("#score-min").fill("0.5")
        page.locator("#score-max").fill("0.9")
        page.locator("#score-max").dispatch_event("change")

    timed.step("score 0.5 to 0.9", score_range, timed.reset)
    timed.reset()

    def at_least_five() -> None:
        page.locator("#size-min").fill("5")
        page.locator("#size-min").dispatch_event("change")

    timed.step("copies 5 or more", at_least_five, timed.reset)
    timed.reset()
    for sort in ("outlets", "recent", "size", "copied_words"):
        timed.step(f"sort {sort}", lambda sort=sort: page.locator("#sort").select_option(sort))
    pages = -(-total // PER_PAGE)
    timed.step(
        "last page",
        lambda: page.locator(".pager .last").first.click(),
        lambda: page.locator(".pager .first").first.click(),
    )
    shown = page.locator("section.cluster").count()
    if (
        page.locator(".pager .position").first.inner_text() != f"page {pages:,} of {pages:,}"
        or shown != total - (pages - 1) * PER_PAGE
    ):
        sys.exit(f"bench_review: the last page shows {shown} clusters, not the {total - (pages - 1) * PER_PAGE} left")
    timed.step("removed lines", lambda: page.locator(".tab[data-view=removed]").click())
    timed.step("removed lines: search 'share'", search_for(page, "share"), search_for(page, ""))
    timed.step("corrections", lambda: page.locator(".tab[data-view=corrections]").click())
    timed.shown(lambda: page.locator(".tab[data-view=clusters]").click())
    timed.rows.append(["every cluster reachable", "", f"{total:,} in {pages:,} pages", "yes"])
    return timed.rows


# The screenshot's cluster: a short one (3 or 4 copies of at most 60 words) with a paragraph contained in another.
SCREENSHOT_CLUSTER = """
WITH paragraph AS (SELECT *, doc_id || '-' || para_idx AS id FROM read_parquet(?)),
sizes AS (SELECT cluster_id, count(*) AS size, max(n_words) AS longest FROM paragraph GROUP BY cluster_id)
SELECT id FROM paragraph JOIN sizes USING (cluster_id)
WHERE contained_in IS NOT NULL AND size BETWEEN 3 AND 4 AND longest BETWEEN 25 AND 60 ORDER BY id LIMIT 1
"""


def screenshot(page: Page, out_dir: Path, path: Path) -> None:
    """A PNG of the page from its controls down: the first page of clusters, or (on a run with `contained_in`) the
    cluster of a paragraph contained in another, as its "contained in" link brings it up, down to its end."""
    page.locator("#search").fill("")
    page.reload(wait_until="load")
    page.wait_for_function("() => Number(document.body.dataset.loaded || 0) > 0")
    height = SCREENSHOT_HEIGHT
    paragraphs = table_files(out_dir / "paragraphs.parquet")
    if "contained_in" in duckdb.read_parquet(paragraphs).columns:
        (paragraph,) = duckdb.execute(SCREENSHOT_CLUSTER, [paragraphs]).fetchone()
        before = page.evaluate("Number(document.body.dataset.loaded || 0)")
        page.evaluate("id => showParagraph(id)", paragraph)
        page.wait_for_function("before => Number(document.body.dataset.loaded || 0) > before", arg=before)
        box = page.locator("section.cluster").first.bounding_box()
        height = int(box["y"] + page.evaluate("window.scrollY") + box["height"]) + 16
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height})


def search_for(page: Page, text: str) -> Callable[[], None]:
    def search() -> None:
        page.locator("#search").fill(text)
        page.locator("#search").press("Enter")

    return search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, help="output folder of a `copydesk run`")
    parser.add_argument("--repeat", type=int, default=3, help="tries per step; the median is shown (default: 3)")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the top of the first page of clusters here")
    arguments = parser.parse_args()
    expected = expected_clusters(arguments.out_dir)
    process, url, startup = start_server(arguments.out_dir)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            rows = [["server start (tables loaded)", f"{startup:.3f}", f"{expected:,} clusters", ""]]
            rows += measure(page, url, arguments.repeat, expected)
            if arguments.screenshot:
                screenshot(page, arguments.out_dir, arguments.screenshot)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"review page of {arguments.out_dir} ({PER_PAGE} clusters a page, median of {arguments.repeat} tries)")
    print(format_table(["step", "seconds", "found", f"< {TARGET_SECONDS:.0f} s"], rows, "lrrl"))


if __name__ == "__main__":
    main()
