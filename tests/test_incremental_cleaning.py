"""Incremental cleaning: boilerplate learned from stored line counts, only new and touched articles finished again,
and every table equal to a full rebuild."""

from __future__ import annotations

import pandas as pd

from cleaners.keep import line_fingerprint
from tests.test_incremental import manifest, tables
from tests.test_pipeline import run_cli

TOWNS = "Dunmore Kilrush Ardglass Portavogie Carnlough Glenarm Annalong Ballycastle Rostrevor Killough".split()
FERRY_LINE = "Ferry timetables are printed on page four."


def harbour_story(town: str, with_ferry_line: bool) -> str:
    """A short local story; some carry the line the site may come to print on every page."""
    paragraphs = [
        f"Harbour news from {town}",
        f"The council in {town} agreed on Tuesday to repair the old stone pier before the winter storms arrive.",
        f"Fishermen in {town} said the repairs were long overdue and that two boats had been damaged last year.",
        *([FERRY_LINE] if with_ferry_line else []),
        f"A spokesperson for {town} harbour said work would begin next month and last about six weeks in all.",
    ]
    return "\n\n".join(paragraphs) + "\n"


def write_harbour(raw, numbers: range, ferry: set[int]) -> None:
    """Stories of the site `harbour` (its top folder), those numbered in `ferry` with the ferry line."""
    (raw / "harbour").mkdir(parents=True, exist_ok=True)
    for number in numbers:
        (raw / "harbour" / f"{number}.txt").write_text(harbour_story(TOWNS[number], number in ferry))


def first_run(tmp_path, numbers: range, ferry: set[int]):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    write_harbour(raw, numbers, ferry)
    assert run_cli(raw, out) == 0
    return raw, out


def text_of(out, source_path: str) -> str:
    return pd.read_parquet(out / "articles.parquet").set_index("source_path").loc[source_path, "text"]


def assert_equals_rebuild(tmp_path, raw, out) -> None:
    rebuilt = tmp_path / "rebuilt"
    assert run_cli(raw, rebuilt, "--force") == 0
    for name, table in tables(out).items():
        pd.testing.assert_frame_equal(table, tables(rebuilt)[name], obj=name)


def test_a_new_article_that_makes_a_line_boilerplate_cleans_it_from_older_articles(prefect_harness, tmp_path):
    raw, out = first_run(tmp_path, range(6), ferry={0, 1})
    assert FERRY_LINE in text_of(out, "harbour/0.txt"), "two stories of six are not enough to learn a line"
    write_harbour(raw, range(6, 7), ferry={6})
    assert run_cli(raw, out) == 0
    assert FERRY_LINE not in text_of(out, "harbour/0.txt")
    removed = pd.read_parquet(out / "removed.parquet")
    assert (removed.text == FERRY_LINE).sum() == 3 and set(removed[removed.text == FERRY_LINE].reason) == {
        "learned:harbour"
    }
    assert {entry["stage"]: entry["rows_in"] for entry in manifest(out)["stages"]}["clean"] == 3, (
        "the new article and the two older ones holding the line, no other"
    )
    assert_equals_rebuild(tmp_path, raw, out)


def test_a_deleted_input_that_takes_a_line_under_the_threshold_brings_it_back(prefect_harness, tmp_path):
    raw, out = first_run(tmp_path, range(7), ferry={0, 1, 2})
    assert FERRY_LINE not in text_of(out, "harbour/0.txt")
    (raw / "harbour" / "2.txt").unlink()
    assert run_cli(raw, out) == 0
    assert FERRY_LINE in text_of(out, "harbour/0.txt")
    assert pd.read_parquet(out / "boilerplate.parquet").empty
    assert_equals_rebuild(tmp_path, raw, out)


def test_a_changed_input_is_finished_again_and_its_lines_counted_anew(prefect_harness, tmp_path):
    raw, out = first_run(tmp_path, range(7), ferry={0, 1})
    (raw / "harbour" / "5.txt").write_text(harbour_story("Kilkeel", with_ferry_line=True))
    assert run_cli(raw, out) == 0
    assert "Kilkeel" in text_of(out, "harbour/5.txt")
    assert FERRY_LINE not in text_of(out, "harbour/0.txt"), "the changed story is the line's third"
    assert_equals_rebuild(tmp_path, raw, out)


def test_new_articles_of_another_site_are_the_only_ones_finished(prefect_harness, tmp_path):
    raw, out = first_run(tmp_path, range(6), ferry={0, 1, 2})
    (raw / "valley").mkdir()
    (raw / "valley" / "1.txt").write_text(
        "Orchard growers count the cost of frost\n\nApple growers across the valley lost most of their blossom"
        " to a late frost on Sunday night, the growers' association said.\n\nSome farms had lit smudge pots"
        " in the rows between the trees, but the cold lasted until well after sunrise.\n"
    )
    (raw / "valley" / "2.txt").write_text(
        "Bridge to close for a month of repairs\n\nThe old iron bridge over the river will shut to traffic"
        " from Monday while engineers replace its worn deck plates and railings.\n\nBuses will take the"
        " longer road through the hills, adding about twenty minutes to most journeys into town.\n"
    )
    assert run_cli(raw, out) == 0
    clean = {entry["stage"]: entry for entry in manifest(out)["stages"]}["clean"]
    assert (clean["rows_in"], clean["rows_out"]) == (2, 8), "two finished, six carried, eight articles"
    assert_equals_rebuild(tmp_path, raw, out)


def test_a_new_keep_line_override_finishes_again_only_the_articles_holding_the_line(prefect_harness, tmp_path):
    raw, out = first_run(tmp_path, range(7), ferry={0, 1, 2})
    assert FERRY_LINE not in text_of(out, "harbour/0.txt")
    (out / "overrides.toml").write_text(f"[[keep_line]]\nline = '{line_fingerprint(FERRY_LINE)}'\n", encoding="utf-8")
    assert run_cli(raw, out) == 0
    assert FERRY_LINE in text_of(out, "harbour/0.txt")
    assert {entry["stage"]: entry["rows_in"] for entry in manifest(out)["stages"]}["clean"] == 3
    rebuilt = tmp_path / "rebuilt"
    assert run_cli(raw, rebuilt, "--overrides", str(out / "overrides.toml")) == 0
    for name, table in tables(out).items():
        pd.testing.assert_frame_equal(table, tables(rebuilt)[name], obj=name)
