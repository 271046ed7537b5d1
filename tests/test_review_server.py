"""`copydesk review serve` in real headless Chromium: server-side paging, search, filters and sorting of clusters,
each canonical paragraph once with its members' diffs, removed lines and corrections, copy buttons, and scraped
markup shown as text; the server runs on a free loopback port and stops after each test."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Browser, Page

from cleaners.keep import line_fingerprint
from flows.cli import main
from flows.review.server import RunningServer, start_in_background
from flows.review.tables import MEMBERS_SHOWN
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR
from tests.test_pipeline import IMG_MARKUP, reworded_copy, syndicated_copy
from tests.test_report_browser import (
    SCRIPT_MARKUP,
    assert_copied_split_command_records_the_split,
    hostile_wire_copy,
)

FILTER_WORD = "Sweden"  # in seed 000's paragraph on consular interests only
REMOVED_LINE = "Header Ads"  # seed 001's first line, removed as junk
PER_PAGE = 10


@pytest.fixture(scope="module")
def out_dir(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run over the seeds and copies of them by seven other outlets (one with planted script markup, one dated
    later than the seeds)."""
    raw = tmp_path_factory.mktemp("serve") / "raw"
    raw.mkdir()
    seeds = {name: (SEEDS_DIR / name).read_text(encoding="utf-8") for name in SEED_NAMES}
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    copies = {
        "wire": hostile_wire_copy(seeds[SEED_NAMES[2]]),
        "daily": reworded_copy(seeds[SEED_NAMES[0]]),
        "herald": seeds[SEED_NAMES[1]],
        "tribune": seeds[SEED_NAMES[1]],
        "post": seeds[SEED_NAMES[1]].replace("United States", "US"),
        "gazette": syndicated_copy(seeds[SEED_NAMES[2]]),
        "courier": "Published: 0900 GMT March 05, 2019\n\n" + seeds[SEED_NAMES[0]].replace("United States", "US"),
    }
    for outlet, text in copies.items():
        (raw / outlet).mkdir()
        (raw / outlet / "copy.txt").write_text(text, encoding="utf-8")
    out = raw.parent / "clean"
    assert main(["run", str(raw), "--out", str(out), "--config", str(REPO / "copydesk.toml")]) == 0
    return out


def expected_clusters(out: Path) -> pd.DataFrame:
    """Every cluster of more than one paragraph as the page should count it, computed from the tables here."""
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    articles = pd.read_parquet(out / "articles.parquet").set_index("doc_id")
    paragraphs["source"] = paragraphs.doc_id.map(articles.source.where(articles.source.notna(), articles.site))
    paragraphs["published"] = paragraphs.doc_id.map(articles.published)
    paragraph_ids = paragraphs.doc_id + "-" + paragraphs.para_idx.astype(str)
    is_centre = paragraph_ids == paragraphs.cluster_id
    paragraphs["copy_words"] = paragraphs.n_words.where(~is_centre, 0)
    paragraphs["copy_jaccard"] = paragraphs.jaccard.where(~is_centre)
    grouped = paragraphs.groupby("cluster_id")
    table = pd.DataFrame(
        {
            "size": grouped.size(),
            "copied_words": grouped.copy_words.sum(),
            "score": grouped.copy_jaccard.mean(),
            "outlets": grouped.source.nunique(),
            "latest": grouped.published.max(),
            "sources": grouped.source.agg(set),
            "matches": grouped["match"].agg(set),
            "text": grouped.text.agg(" ".join),
        }
    )
    # A paragraph inside another is listed with its cluster and its container's: both ends of the link.
    contained = paragraphs.contained_in.notna()
    linked = set(paragraphs.cluster_id[contained]) | set(
        paragraphs.cluster_id[paragraph_ids.isin(paragraphs.contained_in)]
    )
    return table[(table["size"] > 1) | table.index.isin(linked)]


@pytest.fixture
def server(out_dir: Path) -> Iterator[RunningServer]:
    """The review server on a free loopback port, stopped after the test."""
    running = start_in_background(out_dir)
    yield running
    running.stop()
    assert not running.thread.is_alive(), "the server thread outlived its test"


class ReviewPage:
    """The review page open in Chromium, with every console message and page error it raised."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def loads(self, action: Callable[[], object]) -> None:
        """Do something that reloads the results and wait until the new ones are shown and no load is under way:
        an action may start two (moving the focus fires the field left's "change" too), and the first may end
        before the second starts."""
        before = self.page.evaluate("Number(document.body.dataset.loaded || 0)")
        action()
        self.page.wait_for_function(
            "before => Number(document.body.dataset.loaded || 0) > before"
            " && !document.getElementById('status').textContent.startsWith('loading')",
            arg=before,
            timeout=10_000,
        )

    def cluster_ids(self) -> list[str]:
        return [
            name.removeprefix("cluster-")
            for name in self.page.locator("section.cluster").evaluate_all(
                "sections => sections.map(section => section.id)"
            )
        ]

    def cluster_data(self, key: str) -> list[str]:
        return self.page.locator("section.cluster").evaluate_all(f"sections => sections.map(s => s.dataset.{key})")

    def status_total(self) -> int:
        return int(self.page.locator("#status").inner_text().split(" of ")[-1].replace(",", ""))


@contextmanager
def open_page(browser: Browser, url: str) -> Iterator[ReviewPage]:
    """A new page of the review server at url, loaded; closed afterwards."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    review = ReviewPage(context.new_page())
    review.loads(lambda: review.page.goto(url, wait_until="load"))
    yield review
    context.close()


@pytest.fixture
def review(browser: Browser, server: RunningServer) -> Iterator[ReviewPage]:
    """The review page of the run, loaded."""
    with open_page(browser, server.server.url) as opened:
        yield opened


def test_clusters_come_most_copied_words_first_with_the_canonical_once_and_each_members_diff(
    review: ReviewPage, out_dir: Path
) -> None:
    """The first page holds the clusters with the most copied words; each shows one canonical paragraph, its
    members with word diffs and review commands, under a legend for the diff."""
    expected = expected_clusters(out_dir).sort_values(["copied_words", "size"], ascending=False)
    page = review.page
    assert review.status_total() == len(expected)
    words = [int(value) for value in review.cluster_data("copiedWords")]
    assert words == sorted(words, reverse=True) and words[0] == expected.copied_words.max()
    for section in page.locator("section.cluster").all():
        cluster_id = section.get_attribute("id").removeprefix("cluster-")
        assert section.locator(".canonical").count() == 1, f"{cluster_id}: canonical paragraph not shown once"
        assert section.locator(".member").count() == expected.loc[cluster_id, "size"] - 1
    assert page.locator("#results .member :is(del, ins)").count() >= 1, "no word diff shown"
    assert page.locator("#legend").is_visible() and "green" in page.locator("#legend").inner_text()
    assert review.errors == [] and not [line for line in review.console if line.startswith("error")]


def test_a_long_run_a_copy_shares_is_folded_and_unfolds_to_the_copys_own_words(
    review: ReviewPage, out_dir: Path
) -> None:
    """A copy's diff folds a long run of words it shares with the canonical paragraph into a button; unfolded, the
    diff less its struck words (and the "…" around a contained copy) reads exactly as the copy."""
    page = review.page
    paragraph_id = (
        page.locator("#results .member").filter(has=page.locator("button.unfold")).first.get_attribute("data-id")
    )
    member = page.locator(f'#results .member[data-id="{paragraph_id}"]')
    while member.locator("button.unfold").count():
        member.locator("button.unfold").first.click()
    shown = member.locator("p.diff").evaluate(
        "p => [...p.childNodes].filter(node => !['DEL', 'SPAN'].includes(node.nodeName))"
        ".map(node => node.textContent).join('')"
    )
    paragraphs = pd.read_parquet(out_dir / "paragraphs.parquet")
    text = paragraphs.text[paragraphs.doc_id + "-" + paragraphs.para_idx.astype(str) == paragraph_id].iloc[0]
    assert shown.split() == text.split()


def test_paging_reaches_every_cluster_and_the_last_page(review: ReviewPage, out_dir: Path) -> None:
    """Going next page by page shows every cluster exactly once; the last button lands on the last page."""
    expected = expected_clusters(out_dir)
    assert len(expected) > PER_PAGE, "the run must fill more than one page"
    page = review.page
    review.loads(lambda: page.locator("#per-page").select_option(str(PER_PAGE)))
    seen = review.cluster_ids()
    while page.locator(".pager .next").first.is_enabled():
        review.loads(lambda: page.locator(".pager .next").first.click())
        seen += review.cluster_ids()
    assert sorted(seen) == sorted(expected.index), "paging skipped or repeated clusters"
    pages = -(-len(expected) // PER_PAGE)
    review.loads(lambda: page.locator(".pager .first").first.click())
    review.loads(lambda: page.locator(".pager .last").first.click())
    assert page.locator(".pager .position").first.inner_text() == f"page {pages} of {pages}"
    assert len(review.cluster_ids()) == len(expected) - (pages - 1) * PER_PAGE


def test_search_keeps_only_clusters_holding_the_words(review: ReviewPage, out_dir: Path) -> None:
    """A word held by one cluster leaves only it; clearing the search brings every cluster back."""
    expected = expected_clusters(out_dir)
    holders = expected[expected.text.str.contains(FILTER_WORD, case=False)]
    page = review.page
    review.loads(lambda: page.locator("#search").fill(FILTER_WORD.lower()))
    assert review.cluster_ids() == list(holders.index) and len(holders) == 1
    review.loads(lambda: page.locator("#search").fill("' OR 1=1; --"))
    assert review.cluster_ids() == [] and review.status_total() == 0
    review.loads(lambda: page.locator("#search").fill(""))
    assert review.status_total() == len(expected)


@pytest.mark.parametrize(
    ("control", "value", "column"), [("source", "wire", "sources"), ("match", "near_duplicate", "matches")]
)
def test_a_source_or_match_filter_keeps_the_clusters_holding_such_a_copy(
    review: ReviewPage, out_dir: Path, control: str, value: str, column: str
) -> None:
    expected = expected_clusters(out_dir)
    kept = expected[expected[column].map(lambda values: value in values)]
    assert 0 < len(kept) < len(expected)
    review.loads(lambda: review.page.locator(f"#{control}").select_option(value))
    assert review.status_total() == len(kept)
    assert set(review.cluster_ids()) <= set(kept.index)


def test_score_range_keeps_the_clusters_whose_mean_jaccard_is_in_it(review: ReviewPage, out_dir: Path) -> None:
    expected = expected_clusters(out_dir)
    kept = expected[(expected.score >= 0.3) & (expected.score <= 0.95)]
    assert 0 < len(kept) < len(expected)
    page = review.page
    review.loads(lambda: (page.locator("#score-min").fill("0.3"), page.locator("#score-min").dispatch_event("change")))
    review.loads(lambda: (page.locator("#score-max").fill("0.95"), page.locator("#score-max").dispatch_event("change")))
    assert review.status_total() == len(kept)
    assert all(0.3 <= float(score) <= 0.95 for score in review.cluster_data("score"))


def test_copies_range_keeps_the_clusters_of_that_size(review: ReviewPage, out_dir: Path) -> None:
    expected = expected_clusters(out_dir)
    large = expected[expected["size"] >= 3]
    assert 0 < len(large) < len(expected)
    page = review.page
    review.loads(lambda: (page.locator("#size-min").fill("3"), page.locator("#size-min").dispatch_event("change")))
    assert review.status_total() == len(large)
    assert all(int(size) >= 3 for size in review.cluster_data("size"))


@pytest.mark.parametrize(("sort", "key", "column"), [("outlets", "outlets", "outlets"), ("size", "size", "size")])
def test_sorting_puts_the_most_first(review: ReviewPage, out_dir: Path, sort: str, key: str, column: str) -> None:
    """Every cluster on one page, sorted by the chosen figure, most first."""
    expected = expected_clusters(out_dir)
    review.loads(lambda: review.page.locator("#per-page").select_option("100"))
    review.loads(lambda: review.page.locator("#sort").select_option(sort))
    values = [int(value) for value in review.cluster_data(key)]
    assert len(values) == len(expected) and len(set(values)) > 1
    assert values == sorted(values, reverse=True) and values[0] == expected[column].max()


def test_sorting_by_recency_puts_the_latest_published_first(review: ReviewPage, out_dir: Path) -> None:
    expected = expected_clusters(out_dir)
    review.loads(lambda: review.page.locator("#per-page").select_option("100"))
    review.loads(lambda: review.page.locator("#sort").select_option("recent"))
    values = review.cluster_data("latest")
    assert len(set(values)) > 1 and values == sorted(values, reverse=True) and values[0] == expected.latest.max()


def test_a_copy_button_puts_the_exact_split_command_on_the_clipboard(review: ReviewPage, out_dir: Path) -> None:
    """The copied split command is the one shown; run as copied, it records the split."""
    assert_copied_split_command_records_the_split(review.page.locator("#results .review"), out_dir)
    assert review.errors == [], f"page errors: {review.errors}"


def test_scraped_markup_is_shown_as_text_and_never_runs(review: ReviewPage) -> None:
    page = review.page
    review.loads(lambda: page.locator("#search").fill("pwned"))
    shown = page.locator("#results").inner_text()
    assert SCRIPT_MARKUP in shown and IMG_MARKUP in shown, "the planted markup is not shown as text"
    assert page.evaluate("typeof window.__pwned") == "undefined", "markup from an article ran"
    assert page.locator("#results script, #results img").count() == 0
    assert page.locator("script").count() == 1, "only the page's own script"
    assert review.errors == [] and not [line for line in review.console if line.startswith("error")]


def test_removed_lines_and_corrections_are_searchable_with_their_commands(review: ReviewPage, out_dir: Path) -> None:
    page = review.page
    review.loads(lambda: page.locator(".tab[data-view=removed]").click())
    assert review.status_total() == pd.read_parquet(out_dir / "removed.parquet").text.nunique()
    review.loads(lambda: page.locator("#search").fill(REMOVED_LINE))
    row = page.locator("#listing-removed tr").filter(has_text=REMOVED_LINE).first
    command = f"copydesk review keep-line {line_fingerprint(REMOVED_LINE)} --out {shlex.quote(str(out_dir.resolve()))}"
    assert row.locator("code").inner_text() == command
    corrections = pd.read_parquet(out_dir / "corrections.parquet")
    assert len(corrections), "the seeds' typos should be corrected"
    word = corrections.original.iloc[0]
    review.loads(lambda: page.locator(".tab[data-view=corrections]").click())
    review.loads(lambda: page.locator("#search").fill(word))
    assert (
        page.locator("#listing-corrections code")
        .first.inner_text()
        .startswith(shlex.join(["copydesk", "review", "reject-correction", word]))
    )
    assert page.locator(".cluster-only").first.is_hidden(), "cluster filters shown on a listing"


def without_contained_in(out_dir: Path, folder: Path) -> Path:
    """A copy of the outputs as runs before schema 3 wrote them: every table one file, paragraphs.parquet without the
    contained_in column."""
    copy = folder / "without-contained-in"
    copy.mkdir()
    for name in ("articles.parquet", "removed.parquet", "corrections.parquet"):
        pq.write_table(pq.read_table(out_dir / name), copy / name)
    table = pq.read_table(out_dir / "paragraphs.parquet")
    pq.write_table(table.drop_columns(["contained_in"]), copy / "paragraphs.parquet")
    return copy


def test_contained_in_shows_as_a_link_to_the_containing_paragraphs_cluster(browser: Browser, out_dir: Path) -> None:
    """A paragraph inside a bigger one shows a link of its own kind that brings up its container's cluster."""
    paragraphs = pd.read_parquet(out_dir / "paragraphs.parquet")
    paragraphs["id"] = paragraphs.doc_id + "-" + paragraphs.para_idx.astype(str)
    contained = paragraphs[paragraphs.contained_in.notna()]
    assert len(contained), "the run's merged copy holds paragraphs of the seed"
    first = contained.iloc[0]
    container_cluster = paragraphs.set_index("id").cluster_id[first.contained_in]
    running = start_in_background(out_dir)
    try:
        with open_page(browser, running.server.url) as review:
            page = review.page
            review.loads(lambda: page.locator("#per-page").select_option("100"))
            link = page.locator(
                f"#cluster-{first.cluster_id} a.contained-in", has_text=f"contained in {first.contained_in}"
            )
            assert link.count() >= 1
            review.loads(lambda: link.first.click())
            assert review.cluster_ids() == [container_cluster], "the link did not bring up the container's cluster"
            assert page.locator("#paragraph-id").inner_text() == first.contained_in
            review.loads(lambda: page.locator("#paragraph-clear").click())
            assert review.status_total() == len(expected_clusters(out_dir))
    finally:
        running.stop()


def test_no_contained_in_column_means_no_containment_links(browser: Browser, out_dir: Path, tmp_path: Path) -> None:
    running = start_in_background(without_contained_in(out_dir, tmp_path))
    try:
        with open_page(browser, running.server.url) as review:
            page = review.page
            while page.locator(".pager .next").first.is_enabled():
                assert page.locator("a.contained-in").count() == 0
                review.loads(lambda: page.locator(".pager .next").first.click())
            assert page.locator("a.contained-in").count() == 0
    finally:
        running.stop()


def request(server: RunningServer, path: str, host: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(*server.server.server_address[:2], timeout=10)
    connection.request("GET", path, headers={"Host": host or f"127.0.0.1:{server.server.server_address[1]}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_server_refuses_other_hosts_and_bad_parameters_and_sends_a_policy(server: RunningServer) -> None:
    """A request naming another host (DNS rebinding) is refused; a sort or number the page never sends is a 400."""
    assert server.server.server_address[0] == "127.0.0.1"
    page = request(server, "/")
    assert page.status == 200 and "script-src 'self'" in page.getheader("Content-Security-Policy")
    assert request(server, "/api/clusters", host="attacker.example:80").status == 403
    assert request(server, "/api/clusters?sort=size;DROP%20TABLE%20clusters").status == 400
    assert request(server, "/api/clusters?score_min=x").status == 400
    assert request(server, "/api/clusters?per_page=100000").status == 400
    assert request(server, "/api/clusters").status == 200


def test_a_large_clusters_other_members_come_a_page_at_a_time(review: ReviewPage, out_dir: Path) -> None:
    """A cluster lists its first members with its canonical paragraph; the rest come from /api/members, in order,
    each once, with their diffs."""
    expected = expected_clusters(out_dir)
    largest = expected["size"].idxmax()
    page = review.page
    size = expected["size"].max()
    assert size >= 4, "the run needs a cluster of at least 4 paragraphs"
    review.loads(
        lambda: (page.locator("#size-min").fill(str(size)), page.locator("#size-min").dispatch_event("change"))
    )
    members = page.locator(f"#cluster-{largest} .member")
    assert members.count() == min(MEMBERS_SHOWN, size - 1)
    shown = members.evaluate_all("items => items.map(item => item.dataset.id)")
    more = page.evaluate(
        "id => fetch('/api/members?cluster=' + id + '&after=1&per_page=2').then(response => response.json())", largest
    )
    assert [member["id"] for member in more["members"]] == shown[1:3]
    assert all(member["diff"] and member["commands"] for member in more["members"])


def test_the_serve_command_serves_the_page_until_stopped(out_dir: Path, tmp_path: Path) -> None:
    """`copydesk review serve OUT_DIR --port 0` prints its address on 127.0.0.1 and answers there; stopped by
    SIGTERM, it leaves no spill folder behind."""
    command = [sys.executable, "-m", "flows.cli", "review", "serve", str(out_dir), "--port", "0"]
    environment = os.environ | {"TMPDIR": str(tmp_path)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO, env=environment)
    try:
        line = process.stdout.readline()
        address = re.search(r"http://(127\.0\.0\.1):(\d+)/", line)
        assert address, f"no address printed: {line!r}"
        connection = http.client.HTTPConnection(address.group(1), int(address.group(2)), timeout=10)
        connection.request("GET", "/api/facets")
        response = connection.getresponse()
        assert response.status == 200 and b'"clusters"' in response.read()
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    assert process.returncode == 0
    assert list(tmp_path.iterdir()) == []
    assert main(["review", "serve", str(out_dir / "nothing-here"), "--port", "0"]) == 2


def test_a_stopped_server_removes_its_spill_folder(out_dir: Path) -> None:
    """The tables' spill folder goes with the server that stops."""
    running = start_in_background(out_dir)
    spill = Path(running.server.tables.spill.name)
    assert spill.is_dir()
    running.stop()
    assert not spill.exists()
