"""Freed memory given back between stages (flows/runtime/memory.py): what malloc and the Arrow pool hold free leaves the
process's RSS, and the live objects stay as they were."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from flows.runtime.memory import _TRIM, release_free_memory


def resident_mb() -> float:
    """This process's resident set size, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(_TRIM is None, reason="no glibc malloc_trim here")
def test_freed_lines_leave_the_resident_set_and_kept_ones_stay():
    lines = [f"Header Ads {number} " * 60 for number in range(200_000)]  # about 240 MB of ~1.2 KB strings
    kept = lines[::100]  # live strings scattered through the heap, so malloc cannot just lower its top
    del lines
    before = resident_mb()
    release_free_memory()
    assert before - resident_mb() > 100
    assert kept[7] == "Header Ads 700 " * 60


def test_live_arrow_tables_are_untouched_by_giving_back_the_freed_ones():
    table = pa.table({"text": [f"Post Top Ad {number}" for number in range(100_000)]})
    held = pa.total_allocated_bytes()
    freed = pa.table({"text": [f"Captcha refresh {number}" for number in range(1_000_000)]})
    del freed
    release_free_memory()
    assert pa.total_allocated_bytes() == held
    assert table["text"][12_345].as_py() == "Post Top Ad 12345"
