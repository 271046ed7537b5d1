"""copydesk's compiled kernels compiled once, before any run: numba caches each by its source file (`cache=True`),
so a new checkout's first run would otherwise pay some 15 CPU seconds compiling them; `make install` runs this.
A cached kernel is checked against its own file only: one calling a kernel of another file keeps the old copy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cleaners.language import detect_language
from cleaners.letter_runs import holding_runs
from cleaners.line_words import line_words
from cleaners.rules import LanguageRules
from cleaners.spelling import copy_substitutions, word_lists
from dedup.blake2 import word_digests
from dedup.components import component_labels, component_signatures, key_hashes
from dedup.exact import spread_over_copies
from dedup.index import MAX_RUN, run_pairs
from dedup.lookup import sorted_string_places
from dedup.pair_table import PairTable, merged_untouched
from dedup.settings import DedupSettings
from dedup.signatures import normalised_texts, paragraph_signatures, shingle_hashes
from dedup.sorted_sets import union
from dedup.text_hash import column_hashes, sip_hashes, text_column
from dedup.trim import trim_keepers, trim_partial_repeats
from dedup.verify import pair_shares
from flows.outputs.corpus_carry import crc_of_joined
from flows.outputs.json_lines import json_values

# Two copies of a paragraph that differ by a word and a run-together pair (the copies' alignment kernels), and one
# whose letters the compiled scan does not fold (so the Python fold's path is compiled too).
SAMPLE_TEXTS = (
    "The harbour council voted on Tuesday to spend more on the ferry pier than it had planned in the spring.",
    "The harbour council voted on Tuesday to spend more on the ferry quay than ithad planned in the spring.",
    "Ça déjà: the Straße in İstanbul, quoted “as is” — 1,200 words.",
)


def warm_kernels() -> None:
    """Call every cached kernel through the function a run calls it by, on the sample texts, so numba compiles it
    with the argument types a run gives it and writes it to its cache (or finds it there)."""
    texts = list(SAMPLE_TEXTS)
    settings = DedupSettings()
    paragraph_signatures(texts, settings.shingle_size, settings.num_perm, settings.seed)
    normalised_texts(texts)
    pair_shares(np.array([[0, 1]], dtype=np.int64), shingle_hashes(texts, settings.shingle_size).as_sets())
    for owners in (np.arange(3), _read_only(np.arange(3))):
        run_pairs(np.array([0, 2, 3]), owners, MAX_RUN)
    union(np.array([1, 4], dtype=np.uint64), np.array([2, 4], dtype=np.uint64))
    trim_partial_repeats(texts, {1: [0]}, settings)
    pairs = PairTable(np.array([[0, 2]], dtype=np.int64), np.ones((1, 3)))
    component_signatures(component_labels(3, pairs.positions), np.zeros((3, 2), dtype=np.uint64), (pairs,))
    key_hashes(pa.table({"0": [False], "1": ["a-1"], "2": [1]}))
    spread_over_copies(pairs, {2: [1]}, {2: 1}, within=True)
    merged_untouched(PairTable.empty(), pairs, np.zeros(3, dtype=bool))
    trim_keepers([0, 2], pairs, np.arange(3))
    word_digests(np.zeros(4, dtype=np.uint64), np.array([0, 4]))
    in_order = text_column(sorted(texts))
    columns = (in_order, _read_back(in_order))
    for column in columns:
        column_hashes(column)
        sip_hashes(column, bytes(16))
        holding_runs(column, {"harbour", "Tuesday"}, {"the"})
        for wanted in columns:
            sorted_string_places(column, wanted)
    copy_substitutions(texts[0], texts[1])
    word_lists(texts)
    for text in texts:
        line_words(text)
    detect_language(texts, LanguageRules())
    crc_of_joined(np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64))
    json_values(pa.array(texts))


def _read_only(array: np.ndarray) -> np.ndarray:
    """The array read-only, as NumPy views of Arrow data are (numba compiles a kernel for those apart)."""
    array.setflags(write=False)
    return array


def _read_back(column: pa.Array) -> pa.Array:
    """The column as a run reads it from a stored table, its buffers read-only."""
    batch = pa.record_batch([column], names=["text"])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return pa.ipc.open_stream(sink.getvalue()).read_next_batch().column(0)


if __name__ == "__main__":
    warm_kernels()
