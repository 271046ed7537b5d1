"""Values looked up among keys: rows, found masks and -1 for what the keys lack."""

import numpy as np
import pyarrow as pa

from dedup.lookup import rows_or_missing, sorted_rows, sorted_string_places


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


def test_sorted_string_places_agree_with_numpy_on_the_python_strings():
    keys = sorted({"", "a", "ab", "abc", "b", "na", "naïve", "Zeta", "z", "é", "éa", "😀"})
    wanted = ["", "a", "aa", "abd", "é", "ée", "zz", "Z", "naïve", "n", "😀", "😀!", "ab"]
    for key_type in (pa.string(), pa.large_string()):
        places, found = sorted_string_places(pa.array(keys, key_type), pa.array(wanted, pa.string()))
        assert places.tolist() == np.searchsorted(np.array(keys, object), np.array(wanted, object)).tolist()
        assert found.tolist() == [word in keys for word in wanted]


def test_sorted_string_places_read_slices_and_no_keys():
    keys = pa.array(["x", "a", "b", "d", "y"]).slice(1, 3)  # a, b, d
    places, found = sorted_string_places(keys, pa.array(["q", "b", "c", "a", "e"]).slice(1, 4))
    assert places.tolist() == [1, 2, 0, 3] and found.tolist() == [True, False, True, False]
    places, found = sorted_string_places(pa.array([], pa.string()), pa.array(["a", "b"]))
    assert places.tolist() == [0, 0] and not found.any()
