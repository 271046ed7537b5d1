"""Freed memory given back between stages (flows/runtime/memory.py): what malloc and the Arrow pool hold free leaves the
process's RSS, and the live objects stay as they were. The flow's texts stay in their Arrow column: Python strings are
made of them as they are read (flows/stages/column_texts.py `ColumnTexts`), and passes over all of them (words counted,
keys, the verifying pass's shingle sets) go a chunk at a time."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from dedup import deduplicate
from dedup.signatures import COUNT_AT_ONCE, count_words, shingle_hashes
from dedup.text_signing import text_sip_keys
from dedup.verify import pair_shares
from flows.outputs.tables import published_texts
from flows.runtime.collector import collector_off, frozen_heap, run_heap_frozen
from flows.runtime.memory import _GLIBC, release_free_memory
from flows.stages.chunked import RUN_ROWS
from flows.stages.cleaned import PARAGRAPH_COLUMNS, Cleaned, paragraph_rows
from flows.stages.column_texts import TEXTS_AT_ONCE, ColumnTexts
from flows.stages.handoffs import write_arrow
from flows.stages.spelled import SPELLED, document_rows, lay_over, write_for_spelling
from flows.state.finished import FINISHED, FinishedCleaning, carried_parts, in_order, rows_by_identity, write_finished
from flows.state.parts import StoredParts
from flows.state.spelled_store import STORED, StoredSpelling, plan_spelling
from tests.conftest import REPO
from tests.test_dedup import seed_paragraphs


def resident_mb() -> float:
    """This process's resident set size, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(_GLIBC is None, reason="no glibc malloc_trim here")
def test_freed_lines_leave_the_resident_set_and_kept_ones_stay():
    lines = [f"Header Ads {number} " * 60 for number in range(200_000)]  # about 240 MB of ~1.2 KB strings
    kept = lines[::100]  # live strings scattered through the heap, so malloc cannot just lower its top
    del lines
    before = resident_mb()
    release_free_memory()
    assert before - resident_mb() > 100
    assert kept[7] == "Header Ads 700 " * 60


# Blocks of 200 KB freed after a larger one raised glibc's mmap threshold, small live objects made between them;
# prints the MB the process's resident set lost when the blocks were freed.
_FREED_BLOCKS = """
import sys
from flows.runtime.memory import settle_malloc
if sys.argv[1] == "settled":
    settle_malloc()
large = bytearray(8_000_000)
del large  # unless settled, glibc's threshold rises past the blocks below: they go into the heap
blocks, kept = [], []
for number in range(400):
    blocks.append(bytearray(200_000))
    kept.append(str(number) * 20)
before = int(open("/proc/self/statm").read().split()[1])
del blocks
print((before - int(open("/proc/self/statm").read().split()[1])) * 4096 // 2**20)
"""

# A process that settles malloc and prints the MALLOC_ARENA_MAX a process it starts sees.
_INHERITED = """
import subprocess, sys
from flows.runtime.memory import settle_malloc
settle_malloc()
shown = "import os; print(os.environ['MALLOC_ARENA_MAX'])"
print(subprocess.run([sys.executable, "-c", shown], capture_output=True, text=True, check=True).stdout.strip())
"""


def _python(code: str, *args: str) -> str:
    """What `code` prints, run by this Python from the repository with no MALLOC_ setting in its environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, check=True).stdout.strip()


@pytest.mark.skipif(_GLIBC is None, reason="no glibc mallopt here")
def test_settled_malloc_gives_blocks_back_when_freed_and_the_processes_it_starts_inherit_it():
    assert int(_python(_FREED_BLOCKS, "settled")) > 60  # 80 MB of blocks, each mapped apart, unmapped when freed
    assert int(_python(_FREED_BLOCKS, "unsettled")) < 20  # kept in the heap under the live strings
    assert _python(_INHERITED) == "2"


def test_live_arrow_tables_are_untouched_by_giving_back_the_freed_ones():
    table = pa.table({"text": [f"Post Top Ad {number}" for number in range(100_000)]})
    held = pa.total_allocated_bytes()
    freed = pa.table({"text": [f"Captcha refresh {number}" for number in range(1_000_000)]})
    del freed
    release_free_memory()
    assert pa.total_allocated_bytes() == held
    assert table["text"][12_345].as_py() == "Post Top Ad 12345"


def seed_texts(count: int) -> list[str]:
    """`count` paragraphs of the seed articles (repeated, each made distinct by its number)."""
    paragraphs = [text for prefix in ("000", "001", "004") for text in seed_paragraphs(prefix)]
    return [f"{paragraphs[number % len(paragraphs)]} ({number})" for number in range(count)]


def test_frozen_heaps_on_two_threads_keep_the_collector_off_until_the_last_ends_then_turn_it_back_on():
    """Finishing tasks on the flow's threads (a thread pool, a Dask worker's threads) each run on a frozen heap; the
    first to end must not turn the collector on under the other, nor the last leave it off."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with frozen_heap():
            first_in.set()
            second_in.wait(10)

    def second() -> None:
        first_in.wait(10)
        with frozen_heap():
            second_in.set()
            first_out.wait(10)
            seen["collecting while the second runs alone"] = gc.isenabled()

    assert gc.isenabled()
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    threads[0].join(10)
    first_out.set()
    threads[1].join(10)
    assert seen == {"collecting while the second runs alone": False}
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_frozen_heap_left_by_an_exception_turns_the_collector_back_on():
    with pytest.raises(ValueError), frozen_heap():
        assert not gc.isenabled()
        raise ValueError("a task that fails")
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_run_keeps_what_its_blocks_froze_frozen_until_it_ends_then_gives_the_heap_back_as_it_was():
    """The flow's start-up makes no collection; from the flow's start the collector walks only what stages make:
    what was loaded, and what a frozen block froze, stays frozen until the run ends."""
    with collector_off():
        assert not gc.isenabled()
        with run_heap_frozen():
            loaded = gc.get_freeze_count()
            assert gc.isenabled() and loaded > 0
            stage_result = [[number] for number in range(1_000)]
            with frozen_heap():
                assert not gc.isenabled()
            assert gc.isenabled() and gc.get_freeze_count() >= loaded + len(stage_result)
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_column_texts_read_as_the_column_holds_them_a_chunk_at_a_time():
    texts = seed_texts(TEXTS_AT_ONCE * 2 + 7)
    middle = len(texts) // 2
    column = pa.chunked_array([texts[:middle], texts[middle:]])  # the flow's texts may come in several chunks
    read = ColumnTexts(column)
    assert len(read) == len(texts) and list(read) == texts
    assert read[0] == texts[0] and read[middle] == texts[middle] and read[-1] == texts[-1]
    assert read[middle - 2 : middle + 2] == texts[middle - 2 : middle + 2] and read[5:1] == []
    assert read[middle + 2 : middle - 3 : -2] == texts[middle + 2 : middle - 3 : -2] and read[::-1] == texts[::-1]
    assert list(read.take([middle + 3, 2, middle + 3])) == [texts[middle + 3], texts[2], texts[middle + 3]]
    in_order = read.take([2, 5, middle + 3])  # each chunk's texts taken apart, left as parts: not copied again
    assert list(in_order) == [texts[2], texts[5], texts[middle + 3]] and in_order.column.num_chunks == 2


def test_words_and_keys_counted_a_chunk_at_a_time_equal_those_of_all_at_once():
    texts = [*seed_texts(COUNT_AT_ONCE + TEXTS_AT_ONCE // 2), "", "Señor Kim’s “talks”."]
    read = ColumnTexts(pa.chunked_array([texts]))
    assert count_words(read).tolist() == shingle_hashes(texts, 1).word_counts.tolist()
    assert text_sip_keys(read).tolist() == pd.util.hash_array(np.array(texts, dtype=object), categorize=False).tolist()
    assert count_words([]).tolist() == [] and text_sip_keys([]).tolist() == []


def test_pairs_measured_over_sets_hashed_a_chunk_at_a_time_equal_those_of_all_at_once(monkeypatch):
    texts = [*seed_texts(1_000), "", "Señor Kim’s “talks”."]
    pairs = np.sort(np.random.default_rng(14).choice(len(texts), size=(3_000, 2)), axis=1)
    pairs = np.unique(pairs[pairs[:, 0] < pairs[:, 1]], axis=0)
    positions = np.unique(pairs)
    whole = pair_shares(np.searchsorted(positions, pairs), shingle_hashes([texts[p] for p in positions], 2).as_sets())
    monkeypatch.setattr(deduplicate, "HASH_AT_ONCE", 97)
    assert len(positions) > 5 * deduplicate.HASH_AT_ONCE, "several chunks on each core"
    assert np.array_equal(deduplicate.measured_shares(pairs, ColumnTexts(pa.chunked_array([texts])), 2), whole)


def test_paragraph_texts_are_large_strings_each_chunk_left_where_it_is():
    # a million articles' texts pass the 2 GB that string's int32 offsets reach: no chunk's are joined to another's
    texts = seed_texts(30)
    lists = pa.chunked_array([pa.array([texts[:10], texts[10:12]]), pa.array([texts[12:]])])
    rows = paragraph_rows(lists, np.array([0, 1, 2]))
    column = rows["text"]
    assert column.type == pa.large_string() and column.num_chunks == 2
    for chunk, given in zip(column.chunks, lists.chunks):
        assert chunk.buffers()[2].address == given.values.buffers()[2].address, "the texts' bytes are not copied"
    assert list(ColumnTexts(column)) == texts and rows["article"].to_pylist() == [0] * 10 + [1] * 2 + [2] * 18
    published = published_texts(Cleaned(paragraphs=rows))
    assert published.paragraphs["text"].type == pa.string() and published.paragraphs["text"].to_pylist() == texts


def test_a_slice_of_texts_past_2_gb_is_published_as_string():
    # the bytes past 2 GB are calloc'd and never touched but for the slice's: the process stays small
    data = np.zeros(2**31 + 64, np.uint8)
    data[2**31 + 10 : 2**31 + 20] = ord("b")
    offsets = np.array([0, 10, 2**31 + 10, 2**31 + 20], np.int64)
    column = pa.Array.from_buffers(pa.large_string(), 3, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    rows = pa.table(
        [pa.array([0, 0, 1], pa.int32()), pa.array([0, 1, 0], pa.int32()), column], schema=PARAGRAPH_COLUMNS
    )
    _, (part, first) = Cleaned(pa.table({"doc_id": ["a", "b"]}), rows).slices([0, 1])
    published = published_texts(part).paragraphs["text"]
    assert first == 2 and published.type == pa.string() and published.to_pylist() == ["b" * 10]


def finished_parts_past_2_gb(sizes: list[int], rows: int) -> FinishedCleaning:
    """A stored finished table of a part a size, `rows` articles a part: the first article's paragraphs 10 bytes and
    the rest of the size, the others' two empty ones; all in English. The bytes are calloc'd and never touched: the process stays
    small."""
    parts = []
    for number, size in enumerate(sizes):
        offsets = np.array([0, 10] + [size] * (2 * rows - 1), np.int32)
        strings = pa.Array.from_buffers(
            pa.string(), 2 * rows, [None, pa.py_buffer(offsets), pa.py_buffer(np.zeros(size, np.uint8))]
        )
        columns = {field.name: pa.nulls(rows, field.type) for field in FINISHED}
        columns["source_path"] = pa.array([f"{number}-{row}.txt" for row in range(rows)])
        columns["doc_id"] = pa.array([f"{number}-{row}" for row in range(rows)])
        columns["language"] = pa.array(["en"] * rows)
        columns["paragraphs"] = pa.ListArray.from_arrays(pa.array(np.arange(0, 2 * rows + 1, 2), pa.int32()), strings)
        parts.append(pa.table(columns, schema=FINISHED))
    table = pa.concat_tables(parts)
    return FinishedCleaning(table, rows_by_identity(table))


def test_a_finished_table_past_2_gb_of_paragraphs_is_carried_without_joining_its_parts():
    # a million articles' finished paragraphs pass 2 GB: the stored parts' rows, taken in order, are not joined
    big = 2**30 + 2**29
    previous = finished_parts_past_2_gb([big, big], RUN_ROWS)
    names = list(previous.rows)
    before = resident_mb()
    finishing = in_order(names, FINISHED.empty_table(), previous)
    cleaned, rejections, table = finishing.cleaned, finishing.rejections, finishing.table
    assert table.num_rows == 2 * RUN_ROWS and not rejections and resident_mb() - before < 200
    for chunk, given in zip(table["paragraphs"].chunks, previous.table["paragraphs"].chunks, strict=True):
        assert chunk.values.buffers()[2].address == given.values.buffers()[2].address, "the texts are not copied"
    assert (
        cleaned.paragraph_count == 4 * RUN_ROWS and cleaned.paragraphs["article"][2 * RUN_ROWS + 1].as_py() == RUN_ROWS
    )
    lengths = pc.binary_length(cleaned.paragraphs["text"])
    assert lengths[1].as_py() == lengths[2 * RUN_ROWS + 1].as_py() == big - 10


def test_the_correct_stage_takes_a_finished_table_past_2_gb_without_joining_its_parts(tmp_path):
    # an incremental run's plan compares the stored parts' rows with this run's, writes the articles to spell, and
    # links the parts whose rows stand unchanged
    big = 2**30 + 2**29
    stored = finished_parts_past_2_gb([big, big], RUN_ROWS)
    paths = [tmp_path / "part-00000.arrow", tmp_path / "part-00001.arrow"]
    for path in paths:
        write_arrow([], FINISHED, path)  # stand-ins for the stored (mapped) parts, to link
    previous = replace(stored, parts=StoredParts(paths, [RUN_ROWS, RUN_ROWS]))
    before = resident_mb()
    finishing = in_order(list(previous.rows), FINISHED.empty_table(), previous)
    cleaned, table, lineage = finishing.cleaned, finishing.table, finishing.lineage
    assert lineage.carried.all() and (lineage.previous == np.arange(2 * RUN_ROWS)).all()
    plan = plan_spelling(table, lineage, {}, ["en"], previous, StoredSpelling({}, STORED.empty_table()))
    assert plan.applying == [], "every article as the previous run finished it"
    groups = write_for_spelling(table, [RUN_ROWS + 1, 1, 2], tmp_path, RUN_ROWS)
    assert pq.read_table(groups.path).to_pylist() == [{"row": row, "paragraphs": ["", ""]} for row in (1001, 1, 2)]
    carried = carried_parts(table, lineage, previous)
    assert carried.links == paths and carried.covered.all()
    write_finished(tmp_path / "state", table, carried, frozenset())
    assert sorted(path.name for path in (tmp_path / "state" / "finished").iterdir()) == [path.name for path in paths]
    assert lay_over(cleaned, document_rows(table), SPELLED.empty_table(), tmp_path / "laid.arrow") is cleaned
    assert resident_mb() - before < 200
