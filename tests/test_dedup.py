"""Unit tests of dedup/: shingles, MinHash, LSH, verification, clusters, canonical choice, article links.

Every paragraph is real text from the seed articles in raw/; syndicated copies are built here the way
outlets copy a wire story (quote style, case, a word changed, a sentence trimmed, paragraphs merged,
junk words appended).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random
import re
import threading
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHashLSH

from dedup import deduplicate as deduplicate_module
from dedup import trim
from dedup.articles import ArticleLinks, ArticleShares, copied_share, duplicate_of
from dedup.canonical import policy_ranks, policy_table, source_rank
from dedup.deduplicate import (
    _PAIRS_A_THREAD,
    DedupResult,
    cluster_matches,
    deduplicate,
    find_matches,
    measured_shares,
    remeasure,
)
from dedup.exact import copies_still_exact, copy_counts
from dedup.index import band_keys, candidate_probability, lsh_candidate_pairs, run_pairs
from dedup.pair_table import PairTable
from dedup.records import (
    ArticleFacts,
    ClusterMembership,
    Memberships,
    ParagraphIds,
    ParagraphRecord,
    ParagraphRecords,
    PlacedMemberships,
    id_column,
    membership_columns,
    paragraph_id,
    record_table,
)
from dedup.settings import DEFAULT_POLICY, POLICY_CRITERIA, CanonicalPolicy, DedupSettings
from dedup.shingles import normalised_words, word_shingles
from dedup.signatures import as_lean_minhash, count_words, paragraph_signatures, shingle_hashes
from dedup.trim import trim_keepers, trim_partial_repeats
from dedup.verify import Overlap, covers, overlap, pair_shares
from flows.stages.column_texts import ColumnTexts

RAW = Path(__file__).resolve().parent.parent / "raw"
SETTINGS = DedupSettings()
# The band keys' fold multiplier (dedup/index.py `_FOLD`): stored keys were made with it.
FOLD = 0x9E3779B97F4A7C15
RANKING = ("Reuters", "AP", "AFP", "Nytimes")  # [canonical] source_ranking in copydesk.toml
POLICY = CanonicalPolicy(source_ranking=RANKING)  # [canonical] policy in copydesk.toml


# --- helpers ---------------------------------------------------------------------------------------


@functools.cache
def seed_paragraphs(prefix: str) -> tuple[str, ...]:
    """The paragraphs of the seed article raw/<prefix>_*.txt: split on blank lines, stripped."""
    (path,) = RAW.glob(f"{prefix}_*.txt")
    blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
    return tuple(block.strip() for block in blocks if block.strip())


def seed_paragraph(prefix: str, opening: str) -> str:
    """The one paragraph of a seed article that starts with `opening`."""
    (found,) = [text for text in seed_paragraphs(prefix) if text.startswith(opening)]
    return found


def shingles(text: str) -> set[str]:
    """The shingle set dedup computes for a paragraph under the default settings."""
    return word_shingles(normalised_words(text), SETTINGS.shingle_size)


def straight_quotes(text: str) -> str:
    """The text with curly quotes and apostrophes made straight, as many outlets republish it."""
    straightened = text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
    assert straightened != text, "the paragraph has no curly quotes to straighten"
    return straightened


def change_word(text: str, old: str, new: str) -> str:
    """The text with the one occurrence of the word `old` replaced by `new` (a copy editor's change)."""
    assert len(re.findall(rf"\b{re.escape(old)}\b", text)) == 1
    return re.sub(rf"\b{re.escape(old)}\b", new, text)


def without(text: str, sentence: str) -> str:
    """The text with one of its sentences cut out (a trimmed copy)."""
    assert text.count(sentence) == 1
    return " ".join(text.replace(sentence, "").split())


def merged(*paragraphs: str) -> str:
    """Consecutive paragraphs run together into one, as a republisher's layout often does."""
    return " ".join(paragraphs)


def with_junk(text: str) -> str:
    """The text with scraped page furniture stuck to its end."""
    return f"{text} Advertisement Share this article Read more"


@dataclasses.dataclass(frozen=True)
class Paragraph:
    """A paragraph as these tests write it: a dedup record's fields and its text (dedup takes the texts beside the
    records)."""

    doc_id: str
    para_idx: int
    text: str
    source: str | None = None
    published: str | None = None
    incumbent: bool = False
    preferred: bool = False

    @property
    def record(self) -> ParagraphRecord:
        """The dedup record, without the text."""
        fields = dataclasses.asdict(self)
        del fields["text"]
        return ParagraphRecord(**fields)


def records_of(paragraphs: list[Paragraph]) -> list[ParagraphRecord]:
    """The paragraphs' dedup records, in order."""
    return [paragraph.record for paragraph in paragraphs]


def texts_of(paragraphs: list[Paragraph]) -> list[str]:
    """The paragraphs' texts, in order."""
    return [paragraph.text for paragraph in paragraphs]


def deduplicated(paragraphs: list[Paragraph], settings: DedupSettings, policy: CanonicalPolicy) -> DedupResult:
    """`deduplicate` of the paragraphs' records and texts."""
    return deduplicate(records_of(paragraphs), texts_of(paragraphs), settings, policy)


def article(doc_id: str, texts: list[str], source: str | None = None, published: str | None = None) -> list[Paragraph]:
    """One article's paragraphs, numbered from 0."""
    return [Paragraph(doc_id, idx, text, source=source, published=published) for idx, text in enumerate(texts)]


def by_key(records: list[Paragraph], result: DedupResult) -> dict[tuple[str, int], ClusterMembership]:
    """Each paragraph's membership keyed by (doc_id, para_idx)."""
    return {(r.doc_id, r.para_idx): m for r, m in zip(records, result.memberships)}


def clusters(records: list[Paragraph], result: DedupResult) -> dict[str, set[tuple[str, int]]]:
    """Cluster id -> the (doc_id, para_idx) of its members."""
    members: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for record, membership in zip(records, result.memberships):
        members[membership.cluster_id].add((record.doc_id, record.para_idx))
    return dict(members)


def words(text: str) -> int:
    """Number of normalised words in a paragraph."""
    return len(normalised_words(text))


def shares_by_doc(shares: ArticleShares) -> dict[str, dict[str, float]]:
    """Each article's shares of its words found in the others, by doc_id, as dicts."""
    named: dict[str, dict[str, float]] = {}
    for doc_id, other, share in shares.named(np.arange(len(shares.share))):
        named.setdefault(doc_id, {})[other] = share
    return named


def links_by_doc(links: ArticleLinks) -> dict[str, str]:
    """Each wholly copied article's doc_id and its original's."""
    originals = links.originals(links.doc_ids).to_pylist()
    return {doc_id: original for doc_id, original in zip(links.doc_ids.to_pylist(), originals) if original}


# --- real paragraphs -------------------------------------------------------------------------------

# 000: the Nytimes live blog (curly quotes throughout).
LIAISON = seed_paragraph("000", "After Mr. Kim said the United States would be welcome")
RELATIONS = seed_paragraph("000", "The two countries do not have formal diplomatic relations.")
RELATIONS_FIRST = "The two countries do not have formal diplomatic relations."
PROPAGANDA = seed_paragraph("000", "Mr. Kim’s second meeting in less than a year")
KCNA = seed_paragraph("000", "“Deep opinions were exchanged")
DETERRENT = seed_paragraph("000", "North Korea has indicated that it will not give up")
SWEETENER = seed_paragraph("000", "Mr. Trump says North Korea has")
MIDDAY = seed_paragraph("000", "By midday Thursday")
PRESS_SECRETARY = seed_paragraph("000", "The White House said no agreement was reached")
LUNCH = seed_paragraph("000", "First, a working lunch was cancelled.")
LUNCH_CANCELLED = "First, a working lunch was cancelled."  # its first sentence
BYLINE = seed_paragraph("000", "Choe Sang-Hun")
DASHED_BYLINE = seed_paragraph("000", "— Choe Sang-Hun")
OTHER_BYLINE = seed_paragraph("000", "— Austin Ramzy")
# 001: a republished NYT story; 004: an agency-based story.
SETBACK = seed_paragraph("001", "It also represents a major setback")
ABE = seed_paragraph("001", "In Tokyo, Shinzo Abe")
YONGBYON = seed_paragraph("004", "In return, Pyongyang was only offering to close")
MOON = seed_paragraph("004", "South Korea’s President Moon Jae-in")
HEADWINDS = seed_paragraph("004", "Trump faces more political headwinds")
DATELINE = seed_paragraph("004", "News ID: 239617")


def syndicated_corpus() -> list[Paragraph]:
    """A wire story and three outlets' copies of parts of it, plus unrelated paragraphs."""
    return (
        article(
            "wire",
            [LIAISON, RELATIONS, PROPAGANDA, KCNA, DETERRENT, SWEETENER, BYLINE],
            source="Reuters",
            published="2019-02-28T06:00:00Z",
        )
        + article(
            "ap",
            [
                straight_quotes(LIAISON),
                change_word(RELATIONS, "formal", "full"),
                merged(DETERRENT, SWEETENER),
                YONGBYON,
                DASHED_BYLINE,
            ],
            source="AP",
            published="2019-02-28T08:30:00Z",
        )
        + article(
            "afp",
            [with_junk(KCNA), LIAISON.upper(), without(RELATIONS, RELATIONS_FIRST), ABE],
            source="AFP",
            published="2019-02-28T09:15:00Z",
        )
        + article("nyt", [MOON, SETBACK, OTHER_BYLINE], source="Nytimes", published="2019-03-01T03:37:00Z")
    )


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Paragraph], DedupResult]:
    """The syndicated corpus and its dedup result under the copydesk.toml settings and policy."""
    records = syndicated_corpus()
    return records, deduplicated(records, SETTINGS, POLICY)


# --- settings --------------------------------------------------------------------------------------


def test_default_settings_match_copydesk_toml():
    config = tomllib.loads((RAW.parent / "copydesk.toml").read_text(encoding="utf-8"))
    defaults = dataclasses.asdict(DedupSettings())
    assert defaults.pop("redis_url") is None  # set in [scale], and TOML has no null to write
    assert defaults == config["dedup"]
    assert tuple(config["canonical"]["policy"]) == DEFAULT_POLICY == CanonicalPolicy().criteria
    assert tuple(config["canonical"]["source_ranking"]) == RANKING


def test_settings_reject_impossible_banding_and_unknown_criteria():
    with pytest.raises(ValueError, match="exceeds num_perm"):
        DedupSettings(lsh_bands=33, lsh_rows=4, num_perm=128)
    with pytest.raises(ValueError, match="unknown canonical policy criteria"):
        CanonicalPolicy(("most_complete", "newest_first"))


# --- normalised_words / word_shingles --------------------------------------------------------------


def test_curly_and_straight_quotes_shingle_alike():
    straight = straight_quotes(LIAISON)
    assert normalised_words(straight) == normalised_words(LIAISON)
    assert shingles(straight) == shingles(LIAISON)
    # the apostrophe of "it’s" / "it's" is dropped, not turned into a word break
    assert "its" in normalised_words(LIAISON)
    assert "s" not in normalised_words(LIAISON)


def test_case_is_folded():
    assert normalised_words(LIAISON.upper()) == normalised_words(LIAISON)
    assert normalised_words(LIAISON)[:4] == ["after", "mr", "kim", "said"]


def test_punctuation_and_dashes_are_dropped():
    text = seed_paragraph("000", "• Both leaders expressed interest")
    assert (
        normalised_words(text)
        == (
            "both leaders expressed interest in opening liaison offices de facto diplomatic missions "
            "in washington and pyongyang the north korean capital"
        ).split()
    )


def test_numbers_and_names_are_kept_as_words():
    assert normalised_words(BYLINE) == ["choe", "sang", "hun"]
    assert normalised_words(DASHED_BYLINE) == ["choe", "sang", "hun"]
    assert normalised_words(DATELINE) == ["news", "id", "239617", "published", "0337", "gmt", "march", "01", "2019"]
    yongbyon = normalised_words(YONGBYON)
    assert yongbyon[:15] == "in return pyongyang was only offering to close a portion of the yongbyon complex a".split()
    assert "17" in normalised_words(PROPAGANDA)


def test_shingles_are_consecutive_word_triples():
    assert word_shingles(normalised_words(HEADWINDS), 3) == {
        "trump faces more",
        "faces more political",
        "more political headwinds",
    }


def test_short_text_gives_one_shingle():
    assert word_shingles(normalised_words("Choe Sang-Hun"), 3) == {"choe sang hun"}
    assert word_shingles(normalised_words("Header Ads"), 3) == {"header ads"}
    assert word_shingles(normalised_words("— —"), 3) == set()


# --- minhash_signatures ----------------------------------------------------------------------------


def signatures(texts: list[str]):
    return paragraph_signatures(texts, SETTINGS.shingle_size, SETTINGS.num_perm, SETTINGS.seed)


def test_same_shingles_give_equal_signatures():
    first, second, other = signatures([LIAISON, straight_quotes(LIAISON), RELATIONS])
    assert len(first) == SETTINGS.num_perm
    assert list(first) == list(second)
    assert list(first) != list(other)
    # the seed fixes the permutations, so a second run gives the same signature
    (again,) = signatures([LIAISON])
    assert list(again) == list(first)


@pytest.mark.parametrize(
    ("original", "copy"),
    [
        pytest.param(RELATIONS, without(RELATIONS, RELATIONS_FIRST), id="trimmed"),
        pytest.param(DETERRENT, merged(DETERRENT, SWEETENER), id="merged"),
    ],
)
def test_estimated_jaccard_is_close_to_exact(original, copy):
    exact = overlap(shingles(original), shingles(copy)).jaccard
    first, second = signatures([original, copy])
    assert 0.4 < exact < 0.9  # a real partial overlap, not a trivial 0 or 1
    assert (first == second).mean() == pytest.approx(exact, abs=0.15)


# --- candidate_probability / lsh_candidate_pairs ---------------------------------------------------


def test_candidate_probability_follows_the_banding_curve():
    assert candidate_probability(0.0, 32, 4) == 0.0
    assert candidate_probability(1.0, 32, 4) == 1.0
    assert candidate_probability(0.5, 32, 4) == pytest.approx(0.8732, abs=1e-4)
    assert candidate_probability(0.3, 32, 4) == pytest.approx(0.2291, abs=1e-4)
    assert candidate_probability(0.7, 32, 4) > 0.999
    assert candidate_probability(0.5, 16, 8) < candidate_probability(0.5, 32, 4)


def test_near_duplicate_pair_is_an_lsh_candidate_and_unrelated_paragraphs_are_not():
    texts = [RELATIONS, change_word(RELATIONS, "formal", "full"), YONGBYON, SETBACK, MOON]
    pairs = lsh_candidate_pairs(signatures(texts), SETTINGS.lsh_bands, SETTINGS.lsh_rows)
    assert pairs.tolist() == [[0, 1]]


def test_band_grouping_finds_exactly_the_pairs_datasketchs_lsh_finds():
    seeds = [text for prefix in ("000", "001", "004") for text in seed_paragraphs(prefix) if words(text) >= 8]
    rng = random.Random(7)
    copies = [merged(text, rng.choice(seeds)) if rng.random() < 0.3 else with_junk(text) for text in seeds]
    trimmed = [" ".join(text.split()[: max(8, len(text.split()) * 2 // 3)]) for text in seeds]
    texts = seeds + copies + trimmed
    rows = signatures(texts)
    lsh = MinHashLSH(num_perm=SETTINGS.num_perm, params=(SETTINGS.lsh_bands, SETTINGS.lsh_rows))
    for position, row in enumerate(rows):
        lsh.insert(position, as_lean_minhash(row, SETTINGS.seed))
    expected = {
        (min(position, other), max(position, other))
        for position, row in enumerate(rows)
        for other in lsh.query(as_lean_minhash(row, SETTINGS.seed))
        if other != position
    }
    found = {tuple(pair) for pair in lsh_candidate_pairs(rows, SETTINGS.lsh_bands, SETTINGS.lsh_rows).tolist()}
    assert len(expected) > len(seeds)  # copies and near misses, not a trivial empty set
    assert found == expected


def test_a_band_run_longer_than_max_run_pairs_only_its_first_member():
    rows = signatures([RELATIONS] * 12 + [YONGBYON, SETBACK])
    all_pairs = lsh_candidate_pairs(rows, SETTINGS.lsh_bands, SETTINGS.lsh_rows, max_run=12)
    star_pairs = lsh_candidate_pairs(rows, SETTINGS.lsh_bands, SETTINGS.lsh_rows, max_run=11)
    assert len(all_pairs) == 66
    assert star_pairs.tolist() == [[0, other] for other in range(1, 12)]


def test_run_pairs_pairs_a_short_run_whole_a_long_one_from_its_first_owner_and_no_owner_with_itself():
    # runs of owners (ascending in each): [3, 5, 5, 9], [1], [2, 4, 6, 7, 8] (longer than max_run 4), [0, 0]
    owners = np.array([3, 5, 5, 9, 1, 2, 4, 6, 7, 8, 0, 0])
    first, second = run_pairs(np.array([0, 4, 5, 10, 12]), owners, 4)
    assert list(zip(first.tolist(), second.tolist())) == [
        (3, 5), (3, 5), (3, 9), (5, 9), (5, 9), (2, 4), (2, 6), (2, 7), (2, 8)
    ]  # fmt: skip
    assert [array.size for array in run_pairs(np.array([0]), np.empty(0, dtype=np.int64), 4)] == [0, 0]


def test_run_pairs_leaves_out_the_pairs_of_two_known_rows():
    # the runs of the test above; rows 0 and 3 (owners 3 and 9) and rows 5 and 6 (owners 2 and 4) known
    owners = np.array([3, 5, 5, 9, 1, 2, 4, 6, 7, 8, 0, 0])
    known = np.zeros(len(owners), dtype=bool)
    known[[0, 3, 5, 6]] = True
    first, second = run_pairs(np.array([0, 4, 5, 10, 12]), owners, 4, known)
    assert list(zip(first.tolist(), second.tolist())) == [(3, 5), (3, 5), (5, 9), (5, 9), (2, 6), (2, 7), (2, 8)]


def test_a_band_key_folds_its_rows_hash_values_as_the_stored_keys_were_folded():
    """Each band's key is ((h0 * F + h1) * F + h2) * F + h3 modulo 2**64: the band-key store of an OUT_DIR written by
    an earlier copydesk holds keys folded so, and new paragraphs must meet them."""
    rows = signatures([text for prefix in ("000", "001", "004") for text in seed_paragraphs(prefix)])
    for bands, width in (
        (SETTINGS.lsh_bands, SETTINGS.lsh_rows),
        (SETTINGS.sentence_lsh_bands, SETTINGS.sentence_lsh_rows),
    ):
        expected = [
            [
                functools.reduce(
                    lambda key, value: (key * FOLD + int(value)) % 2**64, row[band * width : (band + 1) * width], 0
                )
                for band in range(bands)
            ]
            for row in rows.tolist()
        ]
        assert band_keys(rows, bands, width).tolist() == expected


def test_lsh_of_no_signatures_is_empty():
    assert lsh_candidate_pairs(signatures([]), SETTINGS.lsh_bands, SETTINGS.lsh_rows).shape == (0, 2)


# --- overlap / covers ------------------------------------------------------------------------------


def test_overlap_exact_numbers():
    assert overlap({"a", "b", "c", "d"}, {"c", "d", "e"}) == Overlap(2 / 5, 2 / 4, 2 / 3)
    assert overlap({"a", "b"}, {"a", "b"}) == Overlap(1.0, 1.0, 1.0)
    assert overlap({"a"}, {"b"}) == Overlap(0.0, 0.0, 0.0)
    assert overlap(set(), {"a"}) == Overlap(0.0, 0.0, 0.0)


def copies_and_merges() -> tuple[list[str], list[str]]:
    """The seed articles' paragraphs, and those with copies carrying junk and merges of neighbours."""
    seeds = [text for prefix in ("000", "001", "004") for text in seed_paragraphs(prefix)]
    return seeds, seeds + [with_junk(text) for text in seeds] + [merged(a, b) for a, b in itertools.pairwise(seeds)]


def test_pair_shares_of_hashed_shingles_equal_exact_overlaps():
    seeds, texts = copies_and_merges()
    pairs = np.array([(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))], dtype=np.int64)
    sets = shingle_hashes(texts, SETTINGS.shingle_size).as_sets()
    measured = [Overlap(*row) for row in pair_shares(pairs, sets).tolist()]
    assert sum(m.jaccard > 0.5 for m in measured) > len(seeds)  # copies, merges and near misses among them
    for (i, j), hashed in zip(pairs.tolist(), measured):
        assert hashed == overlap(shingles(texts[i]), shingles(texts[j]))


def test_pairs_measured_in_parts_on_every_core_equal_one_pass():
    _, texts = copies_and_merges()
    pairs = np.array([(i, j) for i in range(len(texts)) for j in range(len(texts)) if i != j], dtype=np.int64)
    pairs = pairs[np.random.default_rng(7).permutation(len(pairs))][: 4 * _PAIRS_A_THREAD]  # texts in every part
    positions = np.unique(pairs)
    sets = shingle_hashes([texts[position] for position in positions.tolist()], SETTINGS.shingle_size).as_sets()
    one_pass = pair_shares(np.searchsorted(positions, pairs), sets)
    assert np.array_equal(measured_shares(pairs, texts, SETTINGS.shingle_size), one_pass)
    assert measured_shares(pairs[:0], texts, SETTINGS.shingle_size).shape == (0, 3)


def test_covers_by_jaccard_or_by_containment_in_the_centre():
    centre = {f"s{i}" for i in range(10)}
    # 4 of the member's 5 shingles are in the centre: containment 0.8 reaches the threshold
    member = {"s0", "s1", "s2", "s3", "x"}
    assert covers(centre, member, 0.7, 0.8) == Overlap(4 / 11, 4 / 5, 4 / 10)
    # 4 of 6: containment 0.667 and Jaccard 4/12, neither reaches its threshold
    assert covers(centre, member | {"y"}, 0.7, 0.8) is None
    # the centre is not contained in the small member
    assert covers(member, centre, 0.7, 0.8) is None
    # Jaccard alone is enough: 8 shared of 10 in the union
    assert covers(centre, {f"s{i}" for i in range(8)}, 0.7, 0.99) == Overlap(0.8, 1.0, 0.8)
    assert covers(centre, set(), 0.7, 0.8) is None


def test_paragraph_merged_into_a_bigger_one_is_contained_in_it():
    big = shingles(merged(DETERRENT, SWEETENER))
    part = shingles(DETERRENT)
    measured = covers(big, part, SETTINGS.jaccard_threshold, SETTINGS.containment_threshold)
    assert measured is not None
    assert measured.a_in_b == 1.0
    assert measured.jaccard == pytest.approx(len(part) / len(big))
    assert measured.jaccard < SETTINGS.jaccard_threshold  # matched by containment, not Jaccard
    assert covers(part, big, SETTINGS.jaccard_threshold, SETTINGS.containment_threshold) is None


# --- deduplicate: clusters -------------------------------------------------------------------------


def test_near_duplicates_land_in_one_cluster_with_one_canonical(corpus):
    records, result = corpus
    members = clusters(records, result)
    assert members["wire-0"] == {("wire", 0), ("ap", 0), ("afp", 1)}  # quotes and case
    assert members["wire-1"] == {("wire", 1), ("ap", 1), ("afp", 2)}  # word changed, sentence trimmed
    assert members["wire-3"] == {("wire", 3), ("afp", 0)}  # junk appended: the ranked wire copy is canonical
    membership = by_key(records, result)
    assert membership[("ap", 0)].match == "exact"
    assert membership[("afp", 1)].match == "exact"
    assert membership[("ap", 1)].match == "near_duplicate"
    assert membership[("afp", 2)].match == "near_duplicate"
    assert membership[("afp", 0)].match == "near_duplicate"
    changed = overlap(shingles(RELATIONS), shingles(change_word(RELATIONS, "formal", "full")))
    assert membership[("ap", 1)].jaccard == round(changed.jaccard, 4)
    for cluster_id, keys in members.items():
        canonicals = [f"{doc}-{idx}" for doc, idx in keys if membership[(doc, idx)].is_canonical]
        [centre] = [membership[key] for key in keys if f"{key[0]}-{key[1]}" == cluster_id]
        # one canonical copy per cluster, none when the corpus holds the centre's text inside a bigger paragraph
        assert canonicals == ([] if centre.match == "contained" else [cluster_id])


def test_unrelated_paragraphs_are_unique_singletons(corpus):
    records, result = corpus
    members = clusters(records, result)
    membership = by_key(records, result)
    # the merged paragraph is alone in its cluster too: its parts are contained in it, not its copies
    unique = [("wire", 2), ("ap", 2), ("ap", 3), ("afp", 3), ("nyt", 0), ("nyt", 1), ("nyt", 2)]
    for key in unique:
        assert membership[key].match == "unique", key
        assert membership[key].is_canonical
        assert members[membership[key].cluster_id] == {key}
    assert sum(1 for m in result.memberships if m.match == "unique") == len(unique)


def test_merged_paragraph_holds_both_parts_which_stay_two_clusters(corpus):
    records, result = corpus
    membership = by_key(records, result)
    members = clusters(records, result)
    assert members["ap-2"] == {("ap", 2)} and members["wire-4"] == {("wire", 4)} and members["wire-5"] == {("wire", 5)}
    assert membership[("ap", 2)].is_canonical and membership[("ap", 2)].contained_in is None
    for part in [("wire", 4), ("wire", 5)]:
        assert membership[part].contained_in == "ap-2"
        assert membership[part].match == "contained" and not membership[part].is_canonical
        assert membership[part].containment == 1.0
        assert membership[part].jaccard < SETTINGS.jaccard_threshold


def corpus_texts(records: list[Paragraph], result: DedupResult) -> list[str]:
    """The paragraphs corpus.jsonl keeps (canonical ones, trimmed of partial repeats)."""
    kept = [position for position, membership in enumerate(result.memberships) if membership.is_canonical]
    return [result.corpus_trims.get(position, records[position].text) for position in kept]


def times_kept(text: str, kept: list[str]) -> int:
    """How many corpus paragraphs hold all of a text's shingles."""
    return sum(shingles(text) <= shingles(paragraph) for paragraph in kept)


def test_each_part_of_a_merged_paragraph_is_kept_once_in_the_corpus():
    records = (
        article("one", [DETERRENT], source="Reuters")
        + article("two", [SWEETENER], source="AP")
        + article("three", [merged(DETERRENT, SWEETENER)], source="Some Blog")
        + article("four", [straight_quotes(SWEETENER)], source="AFP")
    )
    result = deduplicated(records, SETTINGS, POLICY)
    assert [m.cluster_id for m in result.memberships] == ["one-0", "two-0", "three-0", "two-0"]
    assert [m.contained_in for m in result.memberships] == ["three-0", "three-0", None, "three-0"]
    assert [m.match for m in result.memberships] == ["contained", "contained", "unique", "exact"]
    kept = corpus_texts(records, result)
    assert kept == [merged(DETERRENT, SWEETENER)]
    assert times_kept(DETERRENT, kept) == times_kept(SWEETENER, kept) == 1


def test_a_copy_reworded_in_three_places_is_a_near_duplicate_not_contained():
    reworded = change_word(
        change_word(change_word(YONGBYON, "only", "merely"), "sprawling", "vast"), "believed", "thought"
    )
    measured = overlap(shingles(reworded), shingles(YONGBYON))
    assert measured.jaccard < SETTINGS.jaccard_threshold <= SETTINGS.containment_threshold <= measured.a_in_b
    assert measured.a_in_b == measured.b_in_a  # about one size: neither holds the other
    records = article("wire", [YONGBYON], source="Reuters") + article("blog", [reworded])
    result = deduplicated(records, SETTINGS, POLICY)
    assert [m.cluster_id for m in result.memberships] == ["wire-0", "wire-0"]
    assert [m.match for m in result.memberships] == ["canonical", "near_duplicate"]
    assert [m.contained_in for m in result.memberships] == [None, None]


def test_along_a_chain_of_containers_only_the_biggest_is_kept():
    part, middle, whole = DETERRENT, merged(DETERRENT, SWEETENER), merged(DETERRENT, SWEETENER, LIAISON)
    records = article("a", [part], source="Reuters") + article("b", [middle], source="AP") + article("c", [whole])
    result = deduplicated(records, SETTINGS, POLICY)
    assert len({m.cluster_id for m in result.memberships}) == 3  # no chaining into one cluster
    assert [m.contained_in for m in result.memberships] == ["c-0", "c-0", None]  # the kept container first
    assert [m.is_canonical for m in result.memberships] == [False, False, True]
    assert corpus_texts(records, result) == [whole]


def test_a_paragraph_inside_only_a_copy_the_corpus_leaves_out_is_kept():
    extra = "Officials declined to say when the leaders would meet again."
    longer = merged(PROPAGANDA, extra)
    measured = overlap(shingles(PROPAGANDA), shingles(longer))
    assert measured.a_in_b == 1.0 and measured.a_in_b - measured.b_in_a < SETTINGS.container_margin
    records = article("wire", [PROPAGANDA], source="Reuters") + article("blog", [longer]) + article("quote", [extra])
    result = deduplicated(records, SETTINGS, POLICY)
    assert [m.cluster_id for m in result.memberships] == ["wire-0", "wire-0", "quote-0"]
    assert result.memberships[1].match == "near_duplicate"  # a sentence more, but not clearly bigger
    # the quoted sentence lies inside the blog's copy only, and the corpus keeps the wire's paragraph instead
    assert result.memberships[2].contained_in == "blog-0" and result.memberships[2].is_canonical
    kept = corpus_texts(records, result)
    assert kept == [PROPAGANDA, extra] and times_kept(extra, kept) == 1


def test_short_paragraphs_match_exactly_or_as_a_sentence_of_a_long_one():
    records = (
        article("a", [BYLINE, HEADWINDS, LUNCH_CANCELLED])
        + article("b", [DASHED_BYLINE, HEADWINDS.upper() + ".", OTHER_BYLINE])
        + article("c", [HEADWINDS + " at home", LUNCH])
    )
    assert LUNCH.startswith(LUNCH_CANCELLED)
    assert all(words(r.text) < SETTINGS.min_words for r in records[:-1])
    result = deduplicated(records, SETTINGS, POLICY)
    membership = by_key(records, result)
    members = clusters(records, result)
    assert members["a-0"] == {("a", 0), ("b", 0)}
    assert membership[("b", 0)].match == "exact"
    assert members["a-1"] == {("a", 1), ("b", 1)}
    assert membership[("b", 1)].match == "exact"
    # a short paragraph split off a long one matches it exactly as one of its sentences
    assert overlap(shingles(LUNCH_CANCELLED), shingles(LUNCH)).a_in_b == 1.0
    assert members["a-2"] == {("a", 2)} and membership[("a", 2)].match == "contained"
    assert membership[("a", 2)].contained_in == "c-1"
    # wholly contained, but short and not a whole sentence of it: no fuzzy match under min_words words
    assert overlap(shingles(HEADWINDS), shingles(HEADWINDS + " at home")).a_in_b == 1.0
    for key in [("b", 2), ("c", 0)]:
        assert membership[key].match == "unique", key


def test_no_chaining_through_a_middle_paragraph():
    press_secretary = without(PRESS_SECRETARY, "The White House said no agreement was reached during the meeting.")
    a_text = merged(press_secretary, RELATIONS)
    b_text = RELATIONS
    c_text = merged(RELATIONS, LUNCH)
    a, b, c = shingles(a_text), shingles(b_text), shingles(c_text)
    jt, ct = SETTINGS.jaccard_threshold, SETTINGS.containment_threshold
    assert covers(a, b, jt, ct) is not None and covers(b, c, jt, ct) is not None  # A~B, B~C
    assert covers(a, c, jt, ct) is None and covers(c, a, jt, ct) is None  # A and C are not similar
    records = article("a", [a_text]) + article("b", [b_text]) + article("c", [c_text])
    result = deduplicated(records, SETTINGS, POLICY)
    assert (0, 1) in result.overlaps and (1, 2) in result.overlaps
    [ma, mb, mc] = result.memberships
    assert words(a_text) > words(c_text) > words(b_text)  # A is visited first and becomes the centre
    assert ma.cluster_id == mb.cluster_id == "a-0"
    if mc.cluster_id == ma.cluster_id:  # only allowed if the canonical covers each member directly
        [canonical] = [shingles(r.text) for r in records if paragraph_id(r) == ma.cluster_id]
        assert covers(canonical, a, jt, ct) and covers(canonical, c, jt, ct)
    assert mc.cluster_id == "c-0" and mc.match == "unique"


def test_clusters_do_not_depend_on_record_order(corpus):
    records = corpus[0]
    # exact ties that only the final (doc_id, para_idx) tie-break orders, and a wholly copied article
    extra = (
        article("x", [merged(RELATIONS, LUNCH), HEADWINDS, HEADWINDS.lower()])
        + article("y", [HEADWINDS.upper()])
        + article("nyt-copy", [MOON.upper(), SETBACK.upper(), OTHER_BYLINE])
    )
    records = records + extra
    expected = deduplicated(records, SETTINGS, POLICY)
    expected_membership = by_key(records, expected)
    assert clusters(records, expected)["x-1"] == {("x", 1), ("x", 2), ("y", 0)}
    assert links_by_doc(expected.duplicate_of) == {"y": "x", "nyt-copy": "nyt"}
    rng = random.Random(20190228)
    for _ in range(5):
        shuffled = records[:]
        rng.shuffle(shuffled)
        assert shuffled != records
        result = deduplicated(shuffled, SETTINGS, POLICY)
        assert by_key(shuffled, result) == expected_membership
        assert links_by_doc(result.duplicate_of) == links_by_doc(expected.duplicate_of)


# --- canonical policy ------------------------------------------------------------------------------


def policy_copies() -> list[Paragraph]:
    """Four outlets' copies of one paragraph: earliest is trimmed, Reuters changed a word, Nytimes has junk."""
    return (
        article("early", [without(RELATIONS, RELATIONS_FIRST)], source="AFP", published="2019-02-28T05:00:00Z")
        + article(
            "reuters", [change_word(RELATIONS, "likewise", "also")], source="Reuters", published="2019-02-28T09:00:00Z"
        )
        + article("junky", [with_junk(RELATIONS)], source="Nytimes", published="2019-02-28T11:00:00Z")
        + article("blog", [RELATIONS], source="Some Blog", published=None)
    )


@pytest.mark.parametrize(
    ("policy", "canonical"),
    [
        pytest.param(CanonicalPolicy(("source_rank",), RANKING), "reuters-0", id="source_rank"),
        pytest.param(CanonicalPolicy(("source_rank",), ("nytimes", "reuters")), "junky-0", id="ranking_casefolded"),
        # The earliest copy is trimmed (contained in the others, a sentence short): containers come
        # first whatever the policy, so the earliest of the complete copies is canonical.
        pytest.param(CanonicalPolicy(("earliest_published",), RANKING), "reuters-0", id="earliest_published"),
        pytest.param(CanonicalPolicy(("most_complete",), RANKING), "junky-0", id="most_complete"),
        pytest.param(POLICY, "reuters-0", id="default_policy"),
    ],
)
def test_canonical_policy_picks_the_canonical_copy(policy, canonical):
    records = policy_copies()
    result = deduplicated(records, SETTINGS, policy)
    assert {m.cluster_id for m in result.memberships} == {canonical}
    [chosen] = [paragraph_id(r) for r, m in zip(records, result.memberships) if m.is_canonical]
    assert chosen == canonical


def test_a_trimmed_copy_is_never_canonical_over_the_complete_one():
    records = article("early", [without(RELATIONS, RELATIONS_FIRST)], published="2019-02-28T05:00:00Z") + article(
        "late", [RELATIONS], published="2019-03-01T05:00:00Z"
    )
    result = deduplicated(records, SETTINGS, CanonicalPolicy(("earliest_published",)))
    assert [m.cluster_id for m in result.memberships] == ["late-0", "late-0"]
    assert result.memberships[0].match == "near_duplicate" and result.memberships[0].containment == 1.0


def test_unknown_publication_date_is_never_earliest():
    records = policy_copies()
    records = [r if r.doc_id != "early" else Paragraph("early", 0, r.text, "AFP", None) for r in records]
    result = deduplicated(records, SETTINGS, CanonicalPolicy(("earliest_published",)))
    assert {m.cluster_id for m in result.memberships} == {"reuters-0"}


def test_source_rank_is_case_insensitive_and_unlisted_sources_come_last():
    assert source_rank("Reuters", RANKING) == 0
    assert source_rank("afp", RANKING) == 2
    assert source_rank("Some Blog", RANKING) == len(RANKING)
    assert source_rank(None, RANKING) == len(RANKING)


# --- duplicate_of ----------------------------------------------------------------------------------


def test_wholly_copied_article_is_duplicate_of_the_original():
    original = article("wire", [LIAISON, RELATIONS, KCNA, SWEETENER], source="Reuters")
    copy = article(
        "blog",
        [straight_quotes(LIAISON), without(RELATIONS, RELATIONS_FIRST), merged(KCNA.upper(), SWEETENER)],
        source="Some Blog",
    )
    unrelated = article("agency", [YONGBYON, MOON], source="AFP")
    result = deduplicated(original + copy + unrelated, SETTINGS, POLICY)
    shares = shares_by_doc(result.copied_share)
    assert set(shares["blog"]) == {"wire"} and shares["blog"]["wire"] > 0.95
    assert shares["wire"]["blog"] < shares["blog"]["wire"]  # the trimmed sentence
    assert links_by_doc(result.duplicate_of) == {"blog": "wire"}


def test_partial_copy_is_not_a_duplicate():
    original = article("wire", [LIAISON, RELATIONS, KCNA, PROPAGANDA], source="Reuters")
    partial = article("partial", [straight_quotes(LIAISON), YONGBYON, change_word(RELATIONS, "formal", "full"), MOON])
    result = deduplicated(original + partial, SETTINGS, POLICY)
    shares = shares_by_doc(result.copied_share)
    copied = words(LIAISON) + words(RELATIONS)
    # Shares count shingles contained, so the one changed word costs a little: within 0.05.
    assert shares["partial"]["wire"] == pytest.approx(copied / (copied + words(YONGBYON) + words(MOON)), abs=0.05)
    assert shares["wire"]["partial"] == pytest.approx(
        copied / sum(words(t) for t in [LIAISON, RELATIONS, KCNA, PROPAGANDA]), abs=0.05
    )
    assert links_by_doc(result.duplicate_of) == {}


def walked_shares(records, overlaps, word_counts):
    """copied_share as a walk over the pairs: each sum added in the pairs' order, dicts in the order met."""
    contained = defaultdict(float)
    for (i, j), measured in overlaps.items():
        if records[i].doc_id != records[j].doc_id:
            contained[(i, records[j].doc_id)] += measured.a_in_b
            contained[(j, records[i].doc_id)] += measured.b_in_a
    totals = defaultdict(int)
    for record, count in zip(records, word_counts):
        totals[record.doc_id] += count
    shared = defaultdict(lambda: defaultdict(float))
    for (position, other), share in contained.items():
        shared[records[position].doc_id][other] += min(1.0, share) * word_counts[position]
    return {
        doc: {o: min(1.0, s / totals[doc]) for o, s in others.items()} for doc, others in shared.items() if totals[doc]
    }


def test_copied_shares_are_summed_in_the_order_a_walk_over_the_pairs_adds_them():
    randomly = random.Random(14)
    records = [ParagraphRecord(f"doc{randomly.randrange(40)}", 0, "") for _ in range(300)]
    word_counts = [randomly.choice([0, 1, 7, 30, 120]) for _ in records]
    pairs = {tuple(sorted(randomly.sample(range(300), 2))) for _ in range(2000)}
    overlaps = {pair: Overlap(randomly.random(), randomly.random(), randomly.random()) for pair in pairs}
    shares = copied_share(records, overlaps, word_counts)
    expected = walked_shares(records, overlaps, word_counts)
    assert shares_by_doc(shares) == expected  # each share equal to the last bit
    assert all(type(share) is float for others in shares_by_doc(shares).values() for share in others.values())
    assert shares_by_doc(copied_share([], {}, [])) == {}


def walked_links(shares: dict[str, dict[str, float]], threshold: float, rank: Callable[[str], int]) -> dict[str, str]:
    """duplicate_of as a walk over dicts of shares: each article's best candidate (largest share, then smallest
    rank), unless the two copy each other and the article is the one preferred."""
    links = {}
    for doc, others in shares.items():
        candidates = [other for other, share in others.items() if share >= threshold]
        if not candidates:
            continue
        original = min(candidates, key=lambda other: (-others[other], rank(other)))
        mutual = shares.get(original, {}).get(doc, 0.0) >= threshold
        if not mutual or rank(original) < rank(doc):
            links[doc] = original
    return links


@pytest.mark.parametrize("threshold", [0.0, 0.6, 0.9, 1.0])
def test_article_links_by_array_equal_a_walk_over_dicts_of_shares(threshold):
    """Whole copies (shares of 1.0, tied), mutual copies and articles of no words, linked by array as the walk links
    them, whichever articles the policy prefers."""
    randomly = random.Random(23)
    records = [ParagraphRecord(f"doc{randomly.randrange(120)}", 0) for _ in range(240)]
    word_counts = [randomly.choice([0, 4, 10]) for _ in records]
    pairs = {tuple(sorted(randomly.sample(range(240), 2))) for _ in range(250)}
    contained = [0.5, 1.0, 1.0]
    overlaps = {pair: Overlap(1.0, randomly.choice(contained), randomly.choice(contained)) for pair in pairs}
    shares = copied_share(records, overlaps, word_counts)
    named = shares_by_doc(shares)
    tied = [doc for doc, others in named.items() if sorted(others.values())[-2:] == [1.0, 1.0]]
    mutual = [(doc, other) for doc, others in named.items() for other in others if named.get(other, {}).get(doc) == 1.0]
    assert len(tied) > 20 and len(mutual) > 50 and len(named) < len(shares.doc_ids)  # some have no words
    for _ in range(5):
        ranks = np.array(randomly.sample(range(len(shares.doc_ids)), len(shares.doc_ids)))
        rank_of = dict(zip(shares.doc_ids.to_pylist(), ranks.tolist(), strict=True))
        links = duplicate_of(shares, threshold, ranks)
        assert links_by_doc(links) == walked_links(named, threshold, rank_of.__getitem__) != {}
        assert len(links) == len(links_by_doc(links))


def test_copies_of_copies_link_to_the_article_the_policy_prefers():
    """Two outlets' identical articles copy each other wholly, and a blog copies both as much (tied shares): the
    source ranked first stays the original and both others link to it."""
    texts = [LIAISON, RELATIONS, KCNA]
    records = (
        article("blog", [change_word(RELATIONS, "formal", "full"), with_junk(KCNA)], source="Some Blog")
        + article("mirror", texts, source="AFP")
        + article("wire", texts, source="Reuters")
    )
    result = deduplicated(records, SETTINGS, POLICY)
    shares = shares_by_doc(result.copied_share)
    assert shares["blog"]["mirror"] == shares["blog"]["wire"] > SETTINGS.article_duplicate_share  # a tie
    assert shares["mirror"]["wire"] == shares["wire"]["mirror"] == 1.0  # mutual
    assert links_by_doc(result.duplicate_of) == {"blog": "wire", "mirror": "wire"}
    originals = result.duplicate_of.originals(pa.chunked_array([["wire", "mirror", "unknown", "blog", "mirror"]]))
    assert originals.to_pylist() == [None, "wire", None, "wire", "wire"]


# --- bugs ------------------------------------------------------------------------------------------


def test_paragraph_wholly_contained_in_a_merged_paragraph_is_always_found():
    records = article("ap", [merged(MIDDAY, PRESS_SECRETARY)]) + article("wire", [MIDDAY, PRESS_SECRETARY])
    for part in (MIDDAY, PRESS_SECRETARY):
        assert overlap(shingles(part), shingles(records[0].text)).a_in_b == 1.0
    result = deduplicated(records, SETTINGS, POLICY)
    assert [m.cluster_id for m in result.memberships] == ["ap-0", "wire-0", "wire-1"]
    assert [m.contained_in for m in result.memberships] == [None, "ap-0", "ap-0"]


def test_article_quoted_in_part_is_not_a_duplicate_of_the_quoting_article():
    original = article("original", [merged(DETERRENT, SWEETENER), merged(LIAISON, RELATIONS)], source="Nytimes")
    quoting = article("quoting", [DETERRENT, LIAISON, YONGBYON, MOON, SETBACK, ABE], source="AFP")
    result = deduplicated(original + quoting, SETTINGS, POLICY)
    quoted_words = words(DETERRENT) + words(LIAISON)
    assert quoted_words / sum(words(r.text) for r in original) < 0.55  # only about half of it is quoted
    assert [m.match for m in result.memberships[2:4]] == ["contained", "contained"]  # the quotes are found
    assert "original" not in links_by_doc(result.duplicate_of)


def test_containment_does_not_depend_on_the_canonical_policy():
    records = article("wire", [DETERRENT, SWEETENER], source="Reuters") + article(
        "blog", [merged(DETERRENT, SWEETENER)], source="Some Blog"
    )
    for policy in (POLICY, CanonicalPolicy(("source_rank",), RANKING), CanonicalPolicy(("earliest_published",))):
        result = deduplicated(records, SETTINGS, policy)
        assert (0, 2) in result.overlaps and (1, 2) in result.overlaps  # containment was verified
        assert [m.cluster_id for m in result.memberships] == ["wire-0", "wire-1", "blog-0"]
        assert [m.contained_in for m in result.memberships] == ["blog-0", "blog-0", None]
        assert [m.is_canonical for m in result.memberships] == [False, False, True]


def test_two_different_merges_keep_the_shared_paragraph_once_in_the_corpus():
    first = article("first", [merged(DETERRENT, SWEETENER)], source="Reuters")
    second = article("second", [merged(SWEETENER, LIAISON)], source="Some Blog")
    result = deduplicated(first + second, SETTINGS, POLICY)
    assert [m.is_canonical for m in result.memberships] == [True, True]  # neither covers the other
    assert result.corpus_trims == {1: LIAISON}  # the ranked source keeps SWEETENER; the other keeps only its own part


def test_a_partial_repeat_is_trimmed_whatever_its_quote_style_and_case():
    """The shared sentences are found on the folded words (curly or straight quotes, any case, accents kept)."""
    first = article("first", [merged(KCNA, SWEETENER)], source="Reuters")
    shouted = merged(straight_quotes(KCNA).upper(), LIAISON.replace("Mr.", "Señor"))
    result = deduplicated(first + article("second", [shouted], source="Some Blog"), SETTINGS, POLICY)
    assert [m.is_canonical for m in result.memberships] == [True, True]
    assert result.corpus_trims == {1: LIAISON.replace("Mr.", "Señor")}


def test_a_paragraph_partly_repeating_two_keepers_loses_what_each_holds():
    first = article("first", [merged(DETERRENT, SWEETENER)], source="Reuters")
    second = article("second", [merged(KCNA, LIAISON)], source="AP")
    third = article("third", [merged(SWEETENER, MOON, KCNA)], source="Some Blog")
    result = deduplicated(first + second + third, SETTINGS, POLICY)
    assert [m.is_canonical for m in result.memberships] == [True, True, True]
    assert result.corpus_trims == {2: MOON}


def test_a_trim_keeps_the_other_sentences_as_written_in_any_script():
    """Sentences end at full-width stops too; the kept ones are joined by a space, a sentence's closing quote
    dropped as the split drops it, and a paragraph no keeper holds a sentence of is not trimmed."""
    texts = [
        "政府宣布新政策。",
        "政府宣布新政策。市民表示欢迎！ “Deep opinions were exchanged.” Mr. Kim left.",
        "Mr. Kim left.",
    ]
    assert trim_partial_repeats(texts, {1: [0, 2], 2: [0]}, SETTINGS) == {
        1: "市民表示欢迎！ “Deep opinions were exchanged."
    }


def test_trims_shingle_on_a_second_thread_while_paragraphs_are_split(monkeypatch):
    """The compiled shingling runs beside the Python sentence split, a few paragraphs at a time; the trims are
    those of each paragraph alone."""
    shingling_threads = set()

    def recorded(texts, shingle_size):
        shingling_threads.add(threading.current_thread())
        return shingle_hashes(texts, shingle_size)

    monkeypatch.setattr(trim, "shingle_hashes", recorded)
    monkeypatch.setattr(trim, "_SPLIT_AT_ONCE", 2)
    texts = [merged(DETERRENT, SWEETENER), merged(SWEETENER, MOON, KCNA), KCNA, merged(LIAISON, MOON), LIAISON]
    keepers = {1: [0, 2], 3: [4], 2: [0]}
    assert trim_partial_repeats(texts, keepers, SETTINGS) == {1: MOON, 3: MOON}
    assert shingling_threads and threading.main_thread() not in shingling_threads


def _keepers_by_arrays(canonical: list[int], positions: np.ndarray, rank: np.ndarray) -> list[tuple[int, list[int]]]:
    """`trim_keepers` as NumPy's unique and lexsort gave it until session 37: each other with its keepers."""
    is_canonical = np.zeros(len(rank), dtype=bool)
    is_canonical[canonical] = True
    first, second = positions[is_canonical[positions].all(axis=1)].T
    first_keeps = rank[first] < rank[second]
    keeper, other = np.where(first_keeps, first, second), np.where(first_keeps, second, first)
    _, met, found = np.unique(other, return_index=True, return_inverse=True)
    order = np.lexsort((np.arange(len(other)), rank[keeper], met[found.ravel()]))
    grouped: dict[int, list[int]] = {}
    for trailing, ahead in zip(other[order].tolist(), keeper[order].tolist()):
        grouped.setdefault(trailing, []).append(ahead)
    return list(grouped.items())


@pytest.mark.parametrize("seed", range(4))
def test_each_trims_keepers_come_in_policy_order_and_the_trims_in_the_order_first_met(seed: int) -> None:
    """The compiled grouping gives what the arrays gave: the pairs of two canonical paragraphs only, each paragraph
    trailing a preferred one (lower rank; the pair's first on a tie) once, in the order first met, its keepers by rank
    and among equal ranks in the pairs' order."""
    rng = np.random.default_rng(seed)
    positions = np.unique(np.sort(rng.integers(0, 60, (300, 2)), axis=1), axis=0)
    positions = positions[positions[:, 0] < positions[:, 1]]
    positions = positions[rng.permutation(len(positions))[:200]]  # in no order
    rank = rng.integers(0, 25, 60)  # ties among them
    canonical = sorted(rng.choice(60, 40, replace=False).tolist())
    keepers = trim_keepers(canonical, PairTable(positions, np.zeros((len(positions), 3))), rank)
    found = [
        (other, keepers.ahead[keepers.bounds[row] : keepers.bounds[row + 1]].tolist())
        for row, other in enumerate(keepers.others.tolist())
    ]
    assert found == _keepers_by_arrays(canonical, positions, rank)
    assert len(trim_keepers([], PairTable(positions, np.zeros((len(positions), 3))), rank)) == 0


def test_the_keepers_are_shingled_a_part_on_each_core(monkeypatch):
    """The keepers' shingle sets are made a `_SPLIT_AT_ONCE` part at a time on as many threads as there are cores
    (none of them the thread that asked), and are joined in the keepers' order: the trims are those of one thread."""
    threads = set()
    shingle_sets = trim._shingle_sets

    def noted(texts, shingle_size):
        threads.add(threading.current_thread())
        time.sleep(0.05)  # every part thread takes one
        return shingle_sets(texts, shingle_size)

    texts = [merged(DETERRENT, SWEETENER), merged(SWEETENER, MOON, KCNA), KCNA, merged(LIAISON, MOON), LIAISON]
    keepers = {1: [0, 2], 3: [4], 2: [0], 0: [4], 4: [2]}
    alone = trim_partial_repeats(texts, keepers, SETTINGS)
    monkeypatch.setattr(trim, "_shingle_sets", noted)
    monkeypatch.setattr(trim, "_SPLIT_AT_ONCE", 1)
    monkeypatch.setattr(trim, "usable_cores", lambda: 2)
    sets = trim._keeper_sets(texts, [0, 2, 4], SETTINGS.shingle_size)
    expected = shingle_sets([texts[0], texts[2], texts[4]], SETTINGS.shingle_size)
    assert all(np.array_equal(getattr(sets, name), getattr(expected, name)) for name in ("values", "offsets"))
    assert len(threads) == 2 and threading.current_thread() not in threads
    assert trim_partial_repeats(texts, keepers, SETTINGS) == alone


class ReadTexts(ColumnTexts):
    """A column of texts that notes each position read as a Python string."""

    def __init__(self, column: pa.ChunkedArray, read: list[int]) -> None:
        super().__init__(column)
        self.read = read

    def __getitem__(self, position):
        self.read.append(position)
        return super().__getitem__(position)


def test_the_keepers_of_texts_in_an_arrow_column_are_shingled_from_its_bytes():
    """Texts held in an Arrow column (as the flow holds them) trim as the same strings do, and a keeper is
    shingled from the column's bytes (a keeper the compiled scan does not fold, from its own string)."""
    accented = "Café naïve talks in İstanbul ended. " + MOON
    texts = [merged(DETERRENT, SWEETENER), merged(SWEETENER, MOON, KCNA), KCNA, accented, merged(LIAISON, MOON)]
    keepers = {1: [0, 2], 4: [3], 2: [0]}
    read: list[int] = []
    column = ReadTexts(pa.chunked_array([texts[:2], texts[2:]], pa.string()), read)
    assert trim_partial_repeats(column, keepers, SETTINGS) == trim_partial_repeats(texts, keepers, SETTINGS)
    assert trim_partial_repeats(column, keepers, SETTINGS) == {1: MOON, 4: LIAISON}
    assert 0 not in read and 3 not in read  # keepers only: read from the column's bytes, never by position


def test_the_pairs_of_texts_in_an_arrow_column_are_measured_from_its_bytes():
    """Texts held in an Arrow column (as the match stage holds them) measure as the same strings do, each text
    hashed from the column's bytes (a text the compiled scan does not fold, from its string in the texts taken)."""
    _, texts = copies_and_merges()
    texts = [*texts, "Café naïve talks in İstanbul ended. " + MOON]
    pairs = np.array([(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))], dtype=np.int64)
    read: list[int] = []
    column = ReadTexts(pa.chunked_array([texts[:5], texts[5:]], pa.string()), read)
    measured = measured_shares(pairs, column, SETTINGS.shingle_size)
    assert np.array_equal(measured, measured_shares(pairs, texts, SETTINGS.shingle_size))
    assert not read, "no text is read from the column by position"


def test_the_split_runs_a_bounded_number_of_chunks_ahead_while_the_keepers_are_shingled(monkeypatch):
    """Until the keepers' shingle sets are made the split goes on without waiting for the comparing, but no more than
    `_CHUNKS_AHEAD` chunks ahead: then it waits, and the trims are those of each paragraph alone."""
    split_before_keepers: list[int] = []
    splits = []
    keeper_sets, split_sentences = trim._keeper_sets, trim.split_sentences

    def late_keepers(*arguments):
        time.sleep(0.5)  # the split meanwhile goes as far as it may
        split_before_keepers.append(len(splits))
        return keeper_sets(*arguments)

    def noted(text):
        splits.append(text)
        return split_sentences(text)

    texts = [merged(DETERRENT, SWEETENER), merged(SWEETENER, MOON, KCNA), KCNA, merged(LIAISON, MOON), LIAISON]
    keepers = {1: [0, 2], 3: [4], 2: [0], 0: [4], 4: [2]}
    alone = {other: trim_partial_repeats(texts, {other: ahead}, SETTINGS) for other, ahead in keepers.items()}
    monkeypatch.setattr(trim, "_keeper_sets", late_keepers)
    monkeypatch.setattr(trim, "split_sentences", noted)
    monkeypatch.setattr(trim, "_SPLIT_AT_ONCE", 1)
    monkeypatch.setattr(trim, "_CHUNKS_AHEAD", 2)
    assert trim_partial_repeats(texts, keepers, SETTINGS) == {
        other: trimmed for found in alone.values() for other, trimmed in found.items()
    }
    assert split_before_keepers[0] == 3  # two chunks piled up, the third split and waiting


def test_the_article_shares_are_made_beside_clustering(monkeypatch):
    """The articles' shares and originals are made on a thread of their own while the paragraphs are clustered,
    and are those `copied_share` and `duplicate_of` give."""
    threads = []

    def noted(*arguments):
        threads.append(threading.current_thread())
        return copied_share(*arguments)

    monkeypatch.setattr(deduplicate_module, "copied_share", noted)
    paragraphs = syndicated_corpus() + article("blog", [LIAISON, KCNA, MOON]) + article("wire2", [LIAISON, KCNA])
    result = deduplicated(paragraphs, SETTINGS, POLICY)
    assert threads and threads[0] is not threading.main_thread()
    alone = copied_share(records_of(paragraphs), result.overlaps, result.word_counts)
    assert shares_by_doc(result.copied_share) == shares_by_doc(alone)
    assert links_by_doc(result.duplicate_of) == {"wire2": "wire"}


def test_a_partial_repeat_of_nothing_canonical_is_left_alone():
    records = article("a", [DETERRENT]) + article("b", [SWEETENER])
    assert deduplicated(records, SETTINGS, POLICY).corpus_trims == {}


def test_an_incumbent_canonical_stays_unless_the_policy_prefers_the_newcomer():
    policy = CanonicalPolicy(("source_rank", "incumbent", "most_complete"), RANKING)
    old = Paragraph("old", 0, RELATIONS, source="Some Blog", incumbent=True)
    longer = Paragraph("longer", 0, RELATIONS + " Both sides said so.", source="Other Blog")
    assert deduplicated([old, longer], SETTINGS, policy).memberships[0].is_canonical  # length comes after incumbency
    ranked = Paragraph("ranked", 0, change_word(RELATIONS, "likewise", "also"), source="Reuters")
    result = deduplicated([old, ranked], SETTINGS, policy)
    assert [m.is_canonical for m in result.memberships] == [False, True]  # the ranked source comes first


def test_a_thousand_exact_copies_cost_linear_work_and_cluster_as_all_pairs_would():
    copies = [article(f"copy{n:04}", [straight_quotes(LIAISON) if n % 2 else LIAISON, MOON]) for n in range(1000)]
    near = article("blog", [change_word(RELATIONS, "formal", "full"), without(LIAISON, LIAISON.split(".")[0] + ".")])
    records = [*article("wire", [RELATIONS], source="Reuters"), *[r for a in copies for r in a], *near]
    started = time.monotonic()
    result = deduplicated(records, SETTINGS, POLICY)
    assert time.monotonic() - started < 60
    assert len(result.overlaps) < 10 * len(records)  # pairs linear in the group, not 1000 * 999 / 2
    members = clusters(records, result)
    membership = by_key(records, result)
    liaison_cluster = membership[("copy0000", 0)].cluster_id
    assert members[liaison_cluster] == {(f"copy{n:04}", 0) for n in range(1000)} | {("blog", 1)}
    assert members[membership[("copy0000", 1)].cluster_id] == {(f"copy{n:04}", 1) for n in range(1000)}
    assert members["wire-0"] == {("wire", 0), ("blog", 0)}
    assert sum(m.is_canonical for m in result.memberships) == 3
    assert membership[("copy0001", 0)].match == "exact" and membership[("blog", 1)].match == "near_duplicate"
    copied = {doc: original for doc, original in links_by_doc(result.duplicate_of).items() if doc.startswith("copy")}
    assert len(copied) == 999 and set(copied.values()) == {"copy0000"}  # each copy of the first, as with all pairs


DEFICIT = (
    "The finance ministry said on Tuesday that the budget deficit narrowed to its lowest level in a decade, "
    "helped by strong tax receipts and lower spending on unemployment benefits."
)
FESTIVAL = (
    "Heavy rain forced the organisers to cancel the opening day of the festival, and thousands of visitors "
    "were sent home as the fields around the main stage turned to mud."
)


def test_remeasuring_only_the_changed_paragraphs_equals_measuring_every_pair_again():
    """After spelling fixes, pairs without a changed paragraph keep their measure: the result (values and order)
    equals measuring every pair again, and ignoring the change would differ."""
    base, other = DEFICIT, FESTIVAL
    texts = [
        base,
        base.replace("Tuesday", "Wednesday"),
        other,
        other.replace("thousands", "hundreds"),
        other + " The festival is expected to reopen on Saturday if the weather allows.",
        base,
    ]
    settings = DedupSettings()
    matches = find_matches(texts, settings)
    fixed = [*texts]
    fixed[3] = "Heavy rain forced the organisers to cancel the opening day of the festival."
    full = remeasure(matches, fixed, settings)
    only_changed = remeasure(matches, fixed, settings, {3})
    assert list(only_changed.overlaps.items()) == list(full.overlaps.items())
    assert list(only_changed.partial.items()) == list(full.partial.items())
    assert only_changed.copies == full.copies == {0: [5]}
    assert remeasure(matches, fixed, settings, set()).overlaps != full.overlaps
    # The match stage's word counts are counted again where a text changed; unknown, clustering counts them.
    matches.word_counts = count_words(texts)
    assert remeasure(matches, fixed, settings, {3}).word_counts.tolist() == count_words(fixed).tolist()
    assert remeasure(matches, fixed, settings).word_counts is None
    records = [ParagraphRecord(f"d{position}", 0) for position in range(len(fixed))]
    taken = cluster_matches(records, fixed, remeasure(matches, fixed, settings, {3}), settings, CanonicalPolicy())
    counted = cluster_matches(records, fixed, full, settings, CanonicalPolicy())
    assert taken.memberships == counted.memberships
    assert shares_by_doc(taken.copied_share) == shares_by_doc(counted.copied_share)
    assert taken.word_counts.tolist() == counted.word_counts.tolist()


def test_remeasuring_checks_only_the_copy_groups_holding_a_changed_paragraph():
    """A copy the spelling fixes changed leaves its group and is measured against its representative, as when
    every group is checked; a group holding no changed position is taken as it was, without normalising it."""
    base, other = DEFICIT, FESTIVAL
    texts = [base, other, base, other, base]
    settings = DedupSettings()
    matches = find_matches(texts, settings)
    assert matches.copies == {0: [2, 4], 1: [3]}
    fixed = [*texts]
    fixed[4] = base.replace("Tuesday", "Wednesday")
    full = remeasure(matches, fixed, settings)
    only_changed = remeasure(matches, fixed, settings, {4})
    assert only_changed.copies == full.copies == {0: [2], 1: [3]}
    assert list(only_changed.overlaps.items()) == list(full.overlaps.items()) and (0, 4) in full.overlaps
    assert remeasure(matches, fixed, settings, set()).copies == {0: [2, 4], 1: [3]}  # told nothing changed


def test_memberships_made_when_asked_for_read_as_the_list_they_stand_for():
    ids = ["wire-0", "wire-1", "local-0"]
    placed = {2: ClusterMembership("wire-0", False, "near_duplicate", 0.9, 0.95)}
    memberships = Memberships(ids, placed)
    expected = [
        ClusterMembership("wire-0", True, "unique", 1.0, 1.0),
        ClusterMembership("wire-1", True, "unique", 1.0, 1.0),
        placed[2],
    ]
    assert memberships == expected and list(memberships) == expected and len(memberships) == 3
    assert memberships[-1] == placed[2] and memberships[1:] == expected[1:] and memberships[::-1] == expected[::-1]
    assert memberships.canonical().tolist() == [True, True, False]
    with pytest.raises(IndexError):
        memberships[3]


def test_memberships_as_columns_hold_what_clustering_placed_and_give_the_tables_columns():
    wire = [text for text in seed_paragraphs("000") if len(text.split()) >= 8][:6]
    edited = wire[1].replace(" the ", " a ", 1)
    copy = [wire[0], edited, f"{wire[2]} {wire[3]}", "A local paragraph the wire never ran, about the town's own fair."]
    paragraphs = [*article("wire", wire, source="Wire"), *article("local", copy, source="Local")]
    result = deduplicated(paragraphs, DedupSettings(), CanonicalPolicy())
    memberships, made = result.memberships, list(result.memberships)
    assert {membership.match for membership in made} >= {"exact", "unique", "canonical"}
    placed = {position: made[position] for position in memberships.placed}
    assert placed and len(placed) < len(made), "the local paragraph is unique, never placed"
    assert Memberships(memberships.ids, placed) == made and dict(memberships.placed.items()) == placed
    backwards = memberships.placed.positions[::-1].copy()  # columns carried from a store come in any order
    columns = membership_columns([placed[position] for position in backwards.tolist()])
    assert Memberships(memberships.ids, PlacedMemberships(backwards, columns)) == made
    assert memberships.placed.get(len(made)) is None and len(made) not in memberships.placed
    for positions in [range(len(made)), range(2, 7), range(5, 5), [0, 3, len(made) - 1]]:
        columns = memberships.columns(np.array(positions, dtype=np.int64))
        for field in dataclasses.fields(ClusterMembership):
            assert columns[field.name].to_pylist() == [getattr(made[position], field.name) for position in positions]


def test_paragraph_records_as_columns_read_as_the_records_they_stand_for():
    facts = ArticleFacts(["yonhap", "kcna"], ["Yonhap", None], ["2018-01-01", None], [2, 0])
    records = ParagraphRecords(facts, np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([False, True, False]))
    expected = [
        ParagraphRecord("yonhap", 0, "Yonhap", "2018-01-01", 2),
        ParagraphRecord("yonhap", 1, "Yonhap", "2018-01-01", 2, incumbent=True),
        ParagraphRecord("kcna", 0, None, None, 0),
    ]
    assert records == expected and records[-1] == expected[-1] and records[:2] == expected[:2]
    assert list(ParagraphIds(records)) == ["yonhap-0", "yonhap-1", "kcna-0"] == list(ParagraphIds(expected))
    assert ParagraphIds(records)[-1] == ParagraphIds(expected)[-1] == "kcna-0"  # from the columns, as from records
    ids, picked = ParagraphIds(records), np.array([2, 0, 2])
    assert ids.column(picked).to_pylist() == ["kcna-0", "yonhap-0", "kcna-0"] == ids.column(picked).to_pylist()
    assert id_column(ids, picked) == id_column(ParagraphIds(expected), picked) == id_column(list(ids), picked)
    preferred = records.with_preferred(np.array([False, False, True]))
    assert preferred[2] == ParagraphRecord("kcna", 0, None, None, 0, preferred=True) and not records[2].preferred
    among = np.array([2, 1])
    assert ParagraphIds(records).find(["yonhap-1", "kcna-0"], among).tolist() == [1, 2]
    assert ParagraphIds(expected).find(["yonhap-1", "kcna-0"], among).tolist() == [1, 2]
    with pytest.raises(KeyError):
        ParagraphIds(records).find(["yonhap-0"], among)  # not among the positions given


def columns_of(paragraphs: list[Paragraph]) -> ParagraphRecords:
    """The paragraphs' records as `ParagraphRecords` columns (an article's paragraphs together, numbered from 0)."""
    doc_ids = list(dict.fromkeys(paragraph.doc_id for paragraph in paragraphs))
    first = {doc: next(p for p in paragraphs if p.doc_id == doc) for doc in doc_ids}
    facts = ArticleFacts(
        doc_ids,
        [first[doc].source for doc in doc_ids],
        [first[doc].published for doc in doc_ids],
        [len(doc) % 3 for doc in doc_ids],
    )
    owners = np.array([doc_ids.index(paragraph.doc_id) for paragraph in paragraphs])
    return ParagraphRecords(
        facts,
        owners,
        np.array([paragraph.para_idx for paragraph in paragraphs]),
        np.array([paragraph.incumbent for paragraph in paragraphs]),
        np.array([paragraph.preferred for paragraph in paragraphs]),
    )


def test_clustering_from_record_columns_equals_clustering_from_records():
    """The policy keys, copy counts and article shares made from the columns of `ParagraphRecords` (no record
    made) cluster a syndicated corpus, with exact copies among it, as the records themselves do, under every
    criterion of the policy."""
    paragraphs = syndicated_corpus() + article("copy", [LIAISON, KCNA, KCNA], source="AP")
    paragraphs[0] = dataclasses.replace(paragraphs[0], incumbent=True)
    paragraphs[-1] = dataclasses.replace(paragraphs[-1], preferred=True)
    records = columns_of(paragraphs)
    assert list(records) == [dataclasses.replace(r, article_edits=len(r.doc_id) % 3) for r in records_of(paragraphs)]
    texts = texts_of(paragraphs)
    policy = CanonicalPolicy(tuple(reversed(POLICY_CRITERIA)), RANKING)
    from_columns, from_records = (deduplicate(given, texts, SETTINGS, policy) for given in (records, list(records)))
    assert list(from_columns.memberships) == list(from_records.memberships)
    assert shares_by_doc(from_columns.copied_share) == shares_by_doc(from_records.copied_share)
    assert links_by_doc(from_columns.duplicate_of) == links_by_doc(from_records.duplicate_of) != {}
    signatures = from_columns.components.signatures, from_records.components.signatures
    assert np.array_equal(signatures[0].labels, signatures[1].labels) and signatures[0].column.equals(
        signatures[1].column
    )
    assert [m.cluster_id for m in from_columns.memberships[-2:]] == ["copy-2", "copy-2"]  # preferred, of a copy group


def test_copy_counts_count_every_member_of_the_groups_paired():
    # 0 and 3 are paired, 3 stands for the group {3, 4, 5}, 1 for {1, 2}; 6 is paired with 1.
    counts = copy_counts(7, PairTable(np.array([[0, 3], [1, 6]]), np.ones((2, 3))), {3: [4, 5], 1: [2]})
    assert counts.tolist() == [3, 2, 2, 3, 3, 3, 2]


def test_policy_ranks_compare_as_the_policy_keys_do_under_every_criterion():
    """The ranks Arrow's sort gives compare as each paragraph's key (not preferred, each criterion, doc_id, para_idx)
    does as a tuple, equal keys included: sources ranked case-insensitively or unlisted, dates missing or empty."""
    paragraphs = syndicated_corpus() + article("copy", [LIAISON, KCNA, KCNA], source="AP")
    paragraphs += article("blank", [MOON], source="", published="") + [dataclasses.replace(paragraphs[0], text=MOON)]
    paragraphs[1] = dataclasses.replace(paragraphs[1], incumbent=True)
    paragraphs[-2] = dataclasses.replace(paragraphs[-2], preferred=True)
    records = columns_of(paragraphs)
    words, copies = np.arange(len(paragraphs)) % 3, np.arange(len(paragraphs)) % 2
    words[-1], copies[-1] = words[0], copies[0]
    criteria_values = {
        "most_complete": (-words).tolist(),
        "most_copied": (-copies).tolist(),
        "source_rank": [source_rank(record.source, RANKING) for record in records],
        "earliest_published": [record.published or "9999" for record in records],
        "cleanest": [record.article_edits for record in records],
        "incumbent": [not record.incumbent for record in records],
    }
    for criteria in itertools.permutations(POLICY_CRITERIA, 3):
        policy = CanonicalPolicy(criteria, RANKING)
        ranks = policy_ranks(policy_table(policy, record_table(records, np.arange(len(records))), words, copies))
        keys = [
            (not record.preferred, *(criteria_values[name][row] for name in criteria), record.doc_id, record.para_idx)
            for row, record in enumerate(records)
        ]
        for first, second in itertools.combinations(range(len(keys)), 2):
            assert (ranks[first] < ranks[second]) == (keys[first] < keys[second])
            assert (ranks[first] == ranks[second]) == (keys[first] == keys[second])
        assert ranks[-1] == ranks[0], "the last paragraph repeats the first's key"


def test_a_change_splits_only_the_copy_groups_holding_a_changed_text():
    """Groups holding no changed position are kept as they were (the same lists); a group whose member's text
    changed loses it, and the member is measured against the representative."""
    texts = [LIAISON, KCNA, LIAISON, KCNA, MOON, KCNA + " Fixed.", MOON]
    copies = {0: [2], 1: [3, 5], 4: [6]}
    kept, left = copies_still_exact(copies, texts, {5})
    assert kept == {0: [2], 1: [3], 4: [6]} and left == [(1, 5)]
    assert kept[0] is copies[0] and kept[4] is copies[4]
    assert copies_still_exact(copies, texts) == (kept, left)
    assert copies_still_exact({1: [5]}, texts, {1}) == ({}, [(1, 5)])
