"""The report's stored word diffs: a pair diffed once is recalled, not diffed again, and read back as written; a run
on a usable state recalls the previous report's diffs, a forced run diffs every pair again."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flows.outputs.publish import CURRENT
from flows.outputs.word_diff import word_diff
from flows.state.diff_store import DIFFS_FILE, DiffRecall, load_diffs, write_diffs
from flows.state.folder import STATE_FOLDER
from tests.conftest import SEED_NAMES, copy_run
from tests.test_pipeline import run_cli, syndicated_copy

CANONICAL = "Before text here. The talks in Hanoi collapsed on Thursday, officials said. After text here."
MEMBER = "The talks in Hanoi broke down on Thursday, officials said."
MARKER = "recalled-from-the-previous-report"


def test_a_pair_diffed_once_is_recalled_and_not_diffed_again(tmp_path):
    first = DiffRecall({})
    assert first(CANONICAL, MEMBER, False) == word_diff(CANONICAL, MEMBER)
    assert first(CANONICAL, MEMBER, True) == word_diff(CANONICAL, MEMBER, window=True)
    assert first.diffed == 2, "a windowed diff is another diff"
    write_diffs(tmp_path, first.used)

    later = DiffRecall(load_diffs(tmp_path))
    assert later(CANONICAL, MEMBER, True) == word_diff(CANONICAL, MEMBER, window=True)
    assert later(CANONICAL, MEMBER, False) == word_diff(CANONICAL, MEMBER)
    assert later.diffed == 0
    assert later(MEMBER, CANONICAL, False) == word_diff(MEMBER, CANONICAL), "the other order is another diff"
    assert later.diffed == 1 and len(later.used) == 3


def test_pairs_not_shown_again_are_not_kept():
    first = DiffRecall({})
    first(CANONICAL, MEMBER, False)
    first(MEMBER, MEMBER, False)
    later = DiffRecall(first.used)
    later(CANONICAL, MEMBER, False)
    assert list(later.used) == [next(iter(first.used))]


def test_no_state_folder_or_a_state_without_diffs_recalls_nothing(tmp_path):
    assert load_diffs(None) == {} and load_diffs(tmp_path) == {}


def _mark_stored_diffs(out):
    """Replace every stored diff's text by MARKER, in the published state (a file of its own, never linked)."""
    path = out / CURRENT / STATE_FOLDER / DIFFS_FILE
    table = pq.read_table(path)
    kinds = table["kinds"].combine_chunks()
    marked = pa.ListArray.from_arrays(kinds.offsets, pa.array([MARKER] * len(kinds.values), pa.string()))
    pq.write_table(table.set_column(table.schema.get_field_index("texts"), "texts", marked), path)
    return pc.sum(pc.list_value_length(kinds)).as_py()


def test_a_later_run_recalls_the_reports_diffs_and_a_forced_run_diffs_again(seeds_run, tmp_path):
    raw, out = copy_run(seeds_run, tmp_path)
    seed = (raw / SEED_NAMES[2]).read_text(encoding="utf-8")
    (raw / "copy.txt").write_text(syndicated_copy(seed), encoding="utf-8")
    assert run_cli(raw, out) == 0
    assert _mark_stored_diffs(out) > 0, "the syndicated copy's clusters are shown, diffed and stored"

    (raw / "later.txt").write_text("A Later Story\n\nA short story that copies nobody at all.\n", encoding="utf-8")
    assert run_cli(raw, out) == 0
    assert MARKER in (out / "report.html").read_text(encoding="utf-8")
    assert MARKER in str(pq.read_table(out / CURRENT / STATE_FOLDER / DIFFS_FILE)["texts"].to_pylist())

    assert run_cli(raw, out, "--force") == 0
    assert MARKER not in (out / "report.html").read_text(encoding="utf-8")
