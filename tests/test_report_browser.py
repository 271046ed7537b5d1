"""report.html in real headless Chromium: clusters and diffs shown, the filter works, scraped markup never runs,
review commands copy to the clipboard, and the maintainers' overrides the run applied are listed."""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from cleaners.keep import line_fingerprint
from flows.cli import main
from flows.review.overrides import read_overrides
from tests.conftest import REPO, SEED_NAMES, SEEDS_DIR
from tests.test_pipeline import IMG_MARKUP, reworded_copy, syndicated_copy

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip("no `chromium` on PATH (make test installs it; apt-get install chromium)", allow_module_level=True)
try:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Locator, Page
except ImportError:
    pytest.skip("the playwright package is not installed (make test installs it)", allow_module_level=True)

SCRIPT_MARKUP = "<script>window.__pwned = 1</script>"
N_ARTICLES = len(SEED_NAMES) + 2
# In seed 000's paragraph on consular interests only, so only that paragraph's cluster holds it.
FILTER_WORD = "Sweden"
KEPT_LINE = "Header Ads"  # seed 001's first line, kept by a maintainer's decision
ABSENT_WORD = "teh"  # an accepted correction of a word the corpus does not hold


def hostile_wire_copy(seed_004: str) -> str:
    """Another outlet's copy of seed 004 with a script tag inside a long sentence it shares with the seed."""
    text = syndicated_copy(seed_004)
    hostile = text.replace("told the briefing she had", f"told the briefing {SCRIPT_MARKUP} she had", 1)
    assert hostile != text, "the sentence to plant the script in is missing from the copy"
    return hostile


@pytest.fixture(scope="module")
def report_dir(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder built by the CLI from the seeds, a hostile wire copy and a reworded copy, then built again
    with two maintainers' decisions: one that applies and one that matches nothing."""
    raw = tmp_path_factory.mktemp("browser") / "raw"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    seeds = {name: (SEEDS_DIR / name).read_text(encoding="utf-8") for name in SEED_NAMES}
    (raw / "wire").mkdir()
    (raw / "wire" / "copy.txt").write_text(hostile_wire_copy(seeds[SEED_NAMES[2]]), encoding="utf-8")
    (raw / "daily").mkdir()
    (raw / "daily" / "copy.txt").write_text(reworded_copy(seeds[SEED_NAMES[0]]), encoding="utf-8")
    out = raw.parent / "clean"
    assert main(["run", str(raw), "--out", str(out), "--config", str(REPO / "copydesk.toml")]) == 0
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    for markup in (SCRIPT_MARKUP, IMG_MARKUP):
        holding = paragraphs[paragraphs.text.str.contains(markup, regex=False)]
        assert len(holding) == 1, f"cleaning dropped or split the paragraph holding {markup!r}"
        assert (paragraphs.cluster_id == holding.cluster_id.iloc[0]).sum() >= 2, f"{markup!r} is in no cluster"
    for decision in (["keep-line", line_fingerprint(KEPT_LINE)], ["accept-correction", ABSENT_WORD, "the"]):
        assert main(["review", *decision, "--out", str(out)]) == 0
    assert main(["run", str(raw), "--out", str(out), "--config", str(REPO / "copydesk.toml")]) == 0
    return out


@dataclass
class OpenReport:
    """The report open in a fresh page, with every dialog, console message and page error it raised."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def report(browser: Browser, report_dir: Path) -> Iterator[OpenReport]:
    """report.html opened from disk in a new page, listeners registered before it loads."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    opened = OpenReport(page)

    def on_dialog(dialog: Dialog) -> None:
        opened.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        opened.console.append(f"{message.type}: {message.text}")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.goto((report_dir / "report.html").as_uri(), wait_until="load")
    yield opened
    context.close()


def figures(page: Page) -> dict[str, str]:
    return dict(
        page.locator("table.figures tr").evaluate_all(
            "rows => rows.map(row => [...row.cells].map(cell => cell.innerText.trim()))"
        )
    )


def test_clusters_with_canonical_members_and_diffs_are_shown(report: OpenReport) -> None:
    """Clusters show a canonical paragraph beside members, word diffs, and the article count."""
    page = report.page
    clusters = page.locator("section.cluster:visible")
    assert clusters.count() >= 2, f"expected at least 2 visible clusters, saw {clusters.count()}"
    for index in range(clusters.count()):
        cluster = clusters.nth(index)
        name = cluster.get_attribute("id")
        assert cluster.locator(".canonical p:visible").count() >= 1, f"{name} shows no canonical paragraph"
        assert cluster.locator(".member:visible").count() >= 1, f"{name} shows no member"
    diffs = page.locator(":is(del, ins):visible")
    assert diffs.count() >= 1, "no <del> or <ins> word diff is visible"
    assert figures(page).get("articles") == str(N_ARTICLES), f"summary table: {figures(page)}"
    assert page.locator("#shown").inner_text() == str(page.locator("section.cluster").count())


def test_filter_shows_only_matching_clusters_and_clearing_restores_all(report: OpenReport) -> None:
    """Typing a word held by one cluster leaves only it visible; clearing the box shows every cluster."""
    page = report.page
    total = page.locator("section.cluster").count()
    holders = page.locator("section.cluster").filter(has_text=re.compile(FILTER_WORD, re.IGNORECASE))
    assert total >= 2 and holders.count() == 1, f"{FILTER_WORD!r} should be in 1 of {total} clusters"
    expected_id = holders.get_attribute("id")

    page.locator("#filter").fill(FILTER_WORD.lower())
    visible = page.locator("section.cluster:visible")
    assert visible.count() == 1, f"filter {FILTER_WORD!r} left {visible.count()} clusters visible, expected 1"
    assert visible.get_attribute("id") == expected_id, "the filter kept the wrong cluster"
    assert page.locator("#shown").inner_text() == "1", "#shown did not update to 1"

    page.locator("#filter").fill("no cluster holds this phrase")
    assert page.locator("section.cluster:visible").count() == 0, "a non-matching filter still shows clusters"
    assert page.locator("#shown").inner_text() == "0"

    page.locator("#filter").fill("")
    assert page.locator("section.cluster:visible").count() == total, "clearing the filter did not restore all"
    assert page.locator("#shown").inner_text() == str(total), "#shown did not return to the total"


def test_scraped_markup_is_shown_as_text_and_never_runs(report: OpenReport) -> None:
    """The planted script and img tags appear as literal text; nothing from them runs or is blocked noisily."""
    page = report.page
    page.locator("#filter").fill("pwned")  # exercise the page's own script once more
    page.locator("#filter").fill("")
    assert page.evaluate("typeof window.__pwned") == "undefined", "markup from an article ran in the page"
    assert report.dialogs == [], f"a dialog fired: {report.dialogs}"
    assert report.errors == [], f"page errors: {report.errors}"
    blocked = [line for line in report.console if "Content Security Policy" in line or line.startswith("error")]
    assert blocked == [], f"console errors (the filter script blocked?): {blocked}"
    assert page.locator("script").count() == 1, "only the report's own script may be in the DOM"
    assert page.locator("body img").count() == 0, "an <img> from an article became an element"
    text = page.locator("body").inner_text()
    for markup in (SCRIPT_MARKUP, IMG_MARKUP):
        assert markup in text, f"{markup!r} is not shown as literal text"
        assert page.locator("section.cluster:visible", has_text=markup).count() >= 1, f"{markup!r} not in a cluster"


def test_full_page_screenshot_is_written(report: OpenReport, tmp_path: Path) -> None:
    """A full-page screenshot of the report renders to a non-empty PNG."""
    shot = tmp_path / "report.png"
    report.page.screenshot(path=str(shot), full_page=True)
    assert shot.is_file() and shot.stat().st_size > 10_000, "the screenshot is missing or empty"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG"


def test_applied_and_unmatched_overrides_are_listed_with_the_command_that_undoes_each(report: OpenReport) -> None:
    """The overrides section lists the decision the run applied and the one that matched nothing, each with a
    `copydesk review drop` command."""
    page = report.page
    applied, unmatched = page.locator("#overrides-applied tr"), page.locator("#overrides-unmatched tr")
    assert applied.count() == 2 and unmatched.count() == 2, "a header row and one decision in each table"
    assert KEPT_LINE in applied.nth(1).inner_text() and "keep line" in applied.nth(1).inner_text()
    assert f"{ABSENT_WORD}\nthe" in unmatched.nth(1).inner_text()
    for row in (applied.nth(1), unmatched.nth(1)):
        assert re.fullmatch(r"copydesk review drop [\w-]+ --out \S+", row.locator("code").inner_text())
    assert figures(page).get("overrides applied") == "1" and figures(page).get("overrides unmatched") == "1"


def test_a_copy_button_puts_the_exact_reversing_command_on_the_clipboard(report: OpenReport, report_dir: Path) -> None:
    """Clicking a cluster member's copy button copies its split command; run as copied, it records the split."""
    assert_copied_split_command_records_the_split(report.page.locator("section.cluster .review"), report_dir)
    assert report.errors == [], f"page errors: {report.errors}"


def assert_copied_split_command_records_the_split(review_commands: Locator, out_dir: Path) -> None:
    """Click the copy button of the first split command among review_commands: the clipboard must hold the command
    shown, for out_dir, and run as copied it must record the split."""
    command = review_commands.locator(".command").filter(has_text="copydesk review split").first
    shown = command.locator("code").inner_text()
    command.locator("button.copy").click()
    command.locator("button.copy", has_text="copied").wait_for(timeout=5000)
    assert command.page.evaluate("navigator.clipboard.readText()") == shown
    words = shlex.split(shown)
    assert words[:3] == ["copydesk", "review", "split"] and words[-2:] == ["--out", str(out_dir.resolve())]
    assert main(words[1:]) == 0
    assert [decision.kind for decision in read_overrides(out_dir / "overrides.toml")].count("split") == 1
