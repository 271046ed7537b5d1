"""The stored alignments of syndicated copies: pairs are found among them by digest and give what aligning them
gives, only new pairs are aligned, and the alignments read back as written."""

from collections import Counter

import numpy as np
import pyarrow as pa

from cleaners.article import clean_article
from cleaners.spelling import copy_facings, copy_substitutions, paragraph_digest, text_words
from flows.stages.column_texts import ColumnTexts
from flows.state.alignment_store import (
    ALIGNMENTS,
    WORD_LISTS,
    SplitWords,
    align_pairs,
    load_alignments,
    text_digests,
    write_alignments,
)
from flows.state.vocabulary_store import counted_folder, split_words, write_counted

WIRE = "The negotiations in Hanoi collapsed on Thursday after the sanctions dispute, officials said."
COPY = "The negoshation in Hanoi collapsed on Thursday after the sanctions dispute, officialssaid."
OTHER = "Officials said the sanctions dispute was settled in Hanoi on Thursday after negotiations."


def aligned(stored: pa.Table, texts: list[str], pairs: list[list[int]], at_once: int = 16384, **split):
    column = ColumnTexts(pa.chunked_array([texts[:2], texts[2:]], pa.string()))
    positions = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return align_pairs(stored, column, text_digests(column), positions, at_once, **split)


def shown(first: str, second: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """A pair of copies as aligning it alone gives it (`AlignedCopy`)."""
    return paragraph_digest(first), paragraph_digest(second), copy_substitutions(first, second)


def sorted_rows(table: pa.Table) -> list[dict]:
    """A table's rows in a set order."""
    return sorted(table.to_pylist(), key=lambda row: tuple(row.values()))


def test_a_pair_aligned_once_is_recalled_by_digest_and_not_aligned_again(tmp_path):
    first = aligned(ALIGNMENTS.empty_table(), [WIRE, COPY], [[0, 1]])
    assert first.aligned == 1
    assert sorted_rows(first.facings()) == sorted_rows(copy_facings([shown(WIRE, COPY)]))
    write_alignments(tmp_path, first.table)

    later = aligned(load_alignments(tmp_path), [COPY, WIRE, OTHER], [[1, 0], [0, 1]])
    assert later.aligned == 1, "the other order is another alignment"
    assert copy_substitutions(WIRE, COPY) == (("negotiations", "negoshation"), ("officials said", "officialssaid"))
    assert sorted_rows(later.facings()) == sorted_rows(copy_facings([shown(WIRE, COPY), shown(COPY, WIRE)]))
    assert later.table.num_rows == 2


def test_pairs_not_asked_for_again_are_not_kept_and_repeats_are_kept_once():
    first = aligned(ALIGNMENTS.empty_table(), [WIRE, COPY, WIRE], [[0, 1], [0, 2]])
    later = aligned(first.table, [WIRE, COPY, WIRE, COPY], [[0, 1], [2, 3]])
    assert later.aligned == 0 and later.table.num_rows == 1
    assert later.table.column("first").to_pylist() == [paragraph_digest(WIRE)]
    assert set(later.facings().column("pairs").to_pylist()) == {2}, "both pairs of the same texts vote"


def test_pairs_printing_every_word_alike_are_kept_but_vote_for_nothing():
    same = aligned(ALIGNMENTS.empty_table(), [WIRE, WIRE + " ", OTHER], [[0, 1]])
    assert same.table.num_rows == 1 and same.facings().num_rows == 0


def test_a_state_without_alignments_aligns_every_pair(tmp_path):
    assert load_alignments(tmp_path).equals(ALIGNMENTS.empty_table())


def test_new_pairs_read_a_chunk_at_a_time_align_as_each_pair_alone_and_keep_digest_order():
    texts = [WIRE, COPY, OTHER, COPY.replace("Hanoi", "Hanoy"), WIRE.replace("Hanoi", "Hanoy")]
    pairs = [[0, 1], [0, 3], [1, 3], [2, 4], [3, 4]]
    done = aligned(ALIGNMENTS.empty_table(), texts, pairs, at_once=2)
    assert done.aligned == len(pairs)
    each_alone = copy_facings([shown(texts[i], texts[j]) for i, j in pairs])
    assert sorted_rows(done.facings()) == sorted_rows(each_alone)
    keys = list(zip(done.table.column("first").to_pylist(), done.table.column("second").to_pylist()))
    assert keys == sorted(keys)


def test_words_the_tasks_split_are_taken_by_digest_and_the_other_texts_split_anew(tmp_path):
    texts = [WIRE, COPY, OTHER, COPY.replace("Hanoi", "Hanoy"), WIRE.replace("Hanoi", "Hanoy")]
    pairs = [[0, 1], [0, 3], [1, 3], [2, 4], [3, 4]]
    folder = counted_folder(tmp_path / "finished-00000.arrow")
    write_counted(Counter([texts[3], texts[1], OTHER + " Later."]), folder)
    split = split_words([folder])
    assert split.words.to_pylist() == [text_words(texts[3]), text_words(texts[1]), text_words(OTHER + " Later.")]
    done = aligned(ALIGNMENTS.empty_table(), texts, pairs, at_once=2, split=split)
    each_alone = copy_facings([shown(texts[i], texts[j]) for i, j in pairs])
    assert sorted_rows(done.facings()) == sorted_rows(each_alone)


def test_a_text_whose_words_were_split_before_is_not_split_again():
    column = ColumnTexts(pa.chunked_array([[WIRE, COPY]], pa.string()))
    digests = text_digests(column)
    as_the_copy = SplitWords(digests[:1], pa.chunked_array([[text_words(COPY)]], WORD_LISTS))
    done = align_pairs(ALIGNMENTS.empty_table(), column, digests, np.array([[0, 1]]), split=as_the_copy)
    assert done.facings().num_rows == 0, "the first text's words are the copy's, as given"


def test_the_split_words_digests_are_sorted_once_however_many_chunks_are_aligned(tmp_path, monkeypatch):
    texts = [WIRE, COPY, OTHER, COPY.replace("Hanoi", "Hanoy"), WIRE.replace("Hanoi", "Hanoy")]
    pairs = [[0, 1], [0, 3], [1, 3], [2, 4], [3, 4]]
    folder = counted_folder(tmp_path / "finished-00000.arrow")
    write_counted(Counter(texts), folder)
    split = split_words([folder])
    sorting = np.argsort
    sorted_digests = []

    def counting_sorts(keys, *args, **kwargs):
        sorted_digests.extend([keys] if keys is split.digests else [])
        return sorting(keys, *args, **kwargs)

    monkeypatch.setattr(np, "argsort", counting_sorts)
    done = aligned(ALIGNMENTS.empty_table(), texts, pairs, at_once=1, split=split)
    assert len(sorted_digests) == 1, "five chunks of one pair each look their texts up among digests sorted once"
    assert sorted_rows(done.facings()) == sorted_rows(copy_facings([shown(texts[i], texts[j]) for i, j in pairs]))


def copy_with_slips(paragraph: str) -> str:
    """Another outlet's copy of a paragraph: every fifth word's middle letters swapped, a word run into the next."""
    words = paragraph.split(" ")
    for place in range(2, len(words), 5):
        word = words[place]
        if len(word) > 4:
            words[place] = word[:1] + word[2] + word[1] + word[3:]
    if len(words) > 3:
        words[1:3] = [words[1] + words[2]]
    return " ".join(words)


def test_pairs_aligned_a_few_at_a_time_give_what_aligning_them_at_once_gives(seeds, config):
    paragraphs = [p for text in seeds.values() for p in clean_article(text, config.cleaning).paragraphs]
    texts = paragraphs + [copy_with_slips(paragraph) for paragraph in paragraphs]
    column = ColumnTexts(pa.chunked_array([texts[: len(paragraphs)], texts[len(paragraphs) :]], pa.string()))
    count = len(paragraphs)
    pairs = np.array([[i, count + i] for i in range(count)] + [[i, i + 1] for i in range(count - 1)], np.int64)
    digests = text_digests(column)
    at_once = align_pairs(ALIGNMENTS.empty_table(), column, digests, pairs)
    chunked = align_pairs(ALIGNMENTS.empty_table(), column, digests, pairs, at_once=4)
    assert len(pairs) > 8 * 4 and chunked.aligned == at_once.aligned == len(pairs)
    assert chunked.table.equals(at_once.table) and (chunked.rows == at_once.rows).all()
    assert sum(map(len, chunked.table.column("first_words").to_pylist())) > count, "the copies' slips are shown"
