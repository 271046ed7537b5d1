"""The stored alignments of syndicated copies: recalled pairs give what aligning them gives, and read back as written."""

import numpy as np
import pyarrow as pa

from cleaners.spelling import copy_substitutions
from flows.stages.column_texts import ColumnTexts
from flows.state.alignment_store import CopyAligner, copy_texts, load_alignments, write_alignments

WIRE = "The negotiations in Hanoi collapsed on Thursday after the sanctions dispute, officials said."
COPY = "The negoshation in Hanoi collapsed on Thursday after the sanctions dispute, officialssaid."


def test_a_pair_aligned_once_is_recalled_and_not_aligned_again(tmp_path):
    first = CopyAligner({})
    assert first(WIRE, COPY) == copy_substitutions(WIRE, COPY)
    assert first.aligned == 1
    write_alignments(tmp_path, first.used)

    later = CopyAligner(load_alignments(tmp_path))
    assert later(WIRE, COPY) == (("negotiations", "negoshation"), ("officials said", "officialssaid"))
    assert later.aligned == 0
    assert later(COPY, WIRE) == copy_substitutions(COPY, WIRE), "the other order is another alignment"
    assert later.aligned == 1 and len(later.used) == 2


def test_pairs_not_asked_for_again_are_not_kept(tmp_path):
    first = CopyAligner({})
    first(WIRE, COPY)
    first(WIRE, WIRE)
    later = CopyAligner(first.used)
    later(WIRE, COPY)
    assert list(later.used) == [next(iter(first.used))]


def test_a_state_without_alignments_aligns_every_pair(tmp_path):
    assert load_alignments(tmp_path) == {}


def test_copies_read_a_chunk_at_a_time_align_as_those_coded_all_at_once():
    other = "Officials said the sanctions dispute was settled in Hanoi on Thursday after negotiations."
    texts = [WIRE, COPY, other, COPY.replace("Hanoi", "Hanoy"), WIRE]
    column = ColumnTexts(pa.chunked_array([texts[:2], texts[2:]], pa.string()))
    pairs = np.array([[0, 1], [0, 3], [1, 3], [2, 4], [3, 4]])
    aligner = CopyAligner({})
    read = []
    for first, second in copy_texts(column, pairs, aligner, at_once=2):
        assert first in aligner.codes and second in aligner.codes
        assert len(aligner.codes) <= 4, "the codes of the chunk's texts only"
        read.append((first, second, aligner(first, second)))
    assert read == [(texts[i], texts[j], copy_substitutions(texts[i], texts[j])) for i, j in pairs.tolist()]
    assert aligner.aligned == len(pairs)
