"""The report's word diffs kept in the state, so a run's report diffs only the pairs of paragraphs it did not show
before.

A member's diff against its canonical or containing paragraph depends on the two texts alone (flows/outputs/word_diff.py):
the state keeps, for every pair the report showed, the two paragraphs' digests and the diff's segments. The next
run's report recalls the pairs it still shows and diffs only the new ones; pairs it no longer shows are dropped.
File: state/report_diffs.parquet. A change to what word_diff returns must raise STATE_VERSION (flows/state/folder.py).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.spelling import paragraph_digest
from flows.outputs.word_diff import DiffSegment, word_diff

DIFFS_FILE = "report_diffs.parquet"
DIFFS = pa.schema(
    [
        ("canonical", pa.string()),
        ("member", pa.string()),
        ("window", pa.bool_()),
        ("kinds", pa.list_(pa.string())),
        ("texts", pa.list_(pa.string())),
    ]
)
# A pair diffed (the canonical and member paragraphs' digests, and whether the diff is windowed) and its segments.
DiffKey = tuple[str, str, bool]
StoredDiffs = dict[DiffKey, list[DiffSegment]]


class DiffRecall:
    """Word diffs of pairs of paragraphs (`word_diff`), recalling what an earlier run's report showed for the same
    two texts; keeps every pair it was asked for (`used`, the next run's store) and counts those diffed anew."""

    def __init__(self, stored: StoredDiffs) -> None:
        self.stored = stored
        self.used: StoredDiffs = {}
        self.diffed = 0

    def __call__(self, canonical: str, member: str, window: bool = False) -> list[DiffSegment]:
        """The member's word diff against the canonical paragraph (windowed: around the member's part of it)."""
        key = (paragraph_digest(canonical), paragraph_digest(member), window)
        segments = self.stored.get(key)
        if segments is None:
            segments = word_diff(canonical, member, window)
            self.diffed += 1
        self.used[key] = segments
        return segments


def write_diffs(folder: Path, diffs: StoredDiffs) -> None:
    """Write the diffs into a state folder, one row a pair in key order."""
    keys = sorted(diffs)
    table = pa.table(
        {
            "canonical": [canonical for canonical, _, _ in keys],
            "member": [member for _, member, _ in keys],
            "window": [window for _, _, window in keys],
            "kinds": [[segment.kind for segment in diffs[key]] for key in keys],
            "texts": [[segment.text for segment in diffs[key]] for key in keys],
        },
        schema=DIFFS,
    )
    pq.write_table(table, folder / DIFFS_FILE)


def load_diffs(folder: Path | None) -> StoredDiffs:
    """Read the diffs of a state folder; none without a folder (a run without a usable state) or in a state written
    before they were kept."""
    path = folder / DIFFS_FILE if folder else None
    if path is None or not path.is_file():
        return {}
    columns = pq.read_table(path, schema=DIFFS).to_pydict()
    return {
        (canonical, member, window): list(map(DiffSegment, kinds, texts))
        for canonical, member, window, kinds, texts in zip(*(columns[name] for name in DIFFS.names))
    }
