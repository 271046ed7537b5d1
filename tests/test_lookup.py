"""Values looked up among keys: rows, found masks and -1 for what the keys lack."""

import numpy as np

from dedup.lookup import rows_or_missing, sorted_rows


def test_sorted_rows_finds_the_first_of_equal_keys_and_marks_what_is_missing():
    keys = np.array([3, 5, 5, 9], dtype=np.uint64)
    rows, found = sorted_rows(keys, np.array([5, 9, 1, 10, 3, 6], dtype=np.uint64))
    assert found.tolist() == [True, True, False, False, True, False]
    assert rows[found].tolist() == [1, 3, 0]
    assert ((0 <= rows) & (rows < len(keys))).all()  # a missing value's row still indexes the keys


def test_no_keys_hold_nothing():
    rows, found = sorted_rows(np.array([], dtype=np.int64), np.array([1, 2]))
    assert not found.any() and rows.tolist() == [0, 0]
    assert rows_or_missing(np.array([], dtype=np.int64), np.array([1, 2])).tolist() == [-1, -1]


def test_rows_or_missing_agrees_with_a_dictionary_on_unsorted_keys():
    generator = np.random.default_rng(7)
    keys = generator.integers(0, 500, 300)
    wanted = generator.integers(0, 600, 1000)
    first_row = {}
    for row, key in enumerate(keys.tolist()):
        first_row.setdefault(key, row)
    assert rows_or_missing(keys, wanted).tolist() == [first_row.get(value, -1) for value in wanted.tolist()]


def test_byte_string_keys_are_looked_up_as_the_alignments_store_keeps_them():
    keys = np.array([b"b" * 32, b"a" * 32, b"c" * 32], dtype="S32")
    assert rows_or_missing(keys, np.array([b"c" * 32, b"d" * 32, b"a" * 32], dtype="S32")).tolist() == [2, -1, 1]
