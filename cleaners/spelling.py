"""Corpus-aware spelling: typos and run-together words fixed from evidence in the corpus itself.

A word spelled right elsewhere in the corpus is strong evidence that a rare near-miss is a typo of
it ("negotiatons" -> "negotiations"). Syndicated copies are stronger evidence still: where
near-duplicate paragraphs disagree on a word, a rare unknown word facing a known word a few edits
away is a typo of it ("negoshation" -> "negotiations"). Each distinct token (and each broken-word or
missing-space span) is judged once per run, then the decisions are applied to every paragraph. Names
are only ever changed toward a name the corpus spells right more often, or that a copy prints there.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from itertools import chain, islice, pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from symspellpy import Verbosity
from symspellpy.editdistance import DistanceAlgorithm, EditDistance

from cleaners.delete_index import PartialIndex, partial_index
from cleaners.edits import Correction
from cleaners.letter_runs import holding_runs, longest_runs
from cleaners.rules import SpellingRules
from cleaners.stopwords import STOPWORDS
from cleaners.stretch_walk import substitution_columns
from cleaners.ticking import no_progress, ticking
from cleaners.word_blocks import CodedWords
from cleaners.word_scan import scanned_words
from dedup.text_hash import bytes_and_starts

_WORD = re.compile(r"(?<![\w'’-])[A-Za-z]+(?:[-'’][A-Za-z]+)*(?![\w-])")
_SKIP_SPANS = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+|(?<!\w)[#@]\w+")
_CONTEXT_CHARS = 30
_STOPWORD_ARRAY = pa.array(sorted(STOPWORDS), pa.string())
_VOWELS = "aeiou"


# Texts `word_lists` leaves to `text_words`: what a skipped span needs (`_may_hold_skip_span`), or a character past
# U+FFFF, which the compiled scan does not read.
_NOT_SPLIT_BY_SCAN = r"[/@#\x{10000}-\x{10FFFF}]|www\."


def _may_hold_skip_span(text: str) -> bool:
    """Whether the text has what every _SKIP_SPANS match needs ("/" of a URL, "www.", "@", "#")."""
    return "/" in text or "www." in text or "@" in text or "#" in text


# "denucle- arization": a word broken at a line end, its hyphen and the line break left in the text.
_HYPHEN_BREAK = re.compile(r"(?<![\w-])([A-Za-z]{2,})- ([a-z]{2,})(?![\w-])")
# "said.The": a sentence end with its space lost.
_MISSING_SPACE = re.compile(r"(?<![\w.@/-])([a-z]{2,})([.!?])([A-Z][a-z]{1,})(?![\w.@/-])")
# What every _MISSING_SPACE match holds: a sentence mark with a capital after it.
_SENTENCE_JOIN = re.compile(r"[.!?][A-Z]")
# What every _HYPHEN_BREAK or _MISSING_SPACE match holds: a text without it has no span to count. ASCII classes only,
# so Arrow's RE2 finds it as Python's re would, over a chunk's texts at once.
_SPAN_HINT = r"[A-Za-z]- [a-z]|[a-z][.!?][A-Z][a-z]"
_EDIT_DISTANCE = EditDistance(DistanceAlgorithm.DAMERAU_OSA)
# Regular English derivations: an unknown word made of a dictionary word and one of these is a word.
DERIVATION_SUFFIXES = (
    "s",
    "es",
    "ed",
    "d",
    "ing",
    "ly",
    "er",
    "ers",
    "est",
    "ness",
    "ment",
    "ments",
    "able",
    "ful",
    "less",
    "ism",
    "ist",
    "ists",
    "ise",
    "ised",
    "ize",
    "ized",
    "ity",
    "al",
    "ally",
    "ian",
)
DERIVATION_PREFIXES = (
    "re",
    "de",
    "un",
    "non",
    "pre",
    "post",
    "anti",
    "co",
    "counter",
    "over",
    "under",
    "out",
    "mis",
    "dis",
    "inter",
    "multi",
    "sub",
    "super",
    "cyber",
    "mega",
    "micro",
    "mini",
    "semi",
    "self",
)
# Copies' disagreeing stretches longer than this many words (a rewritten sentence) are not aligned word by word.
_MAX_ALIGNED_STRETCH = 12
# Aligning a word with nothing costs this; facing two words costs how unlike they are (0 to 1).
_UNPAIRED_COST = 0.6
# A word's fix must have this many times the votes of any other fix the copies show.
_VOTE_MARGIN = 2
# Texts whose words are counted together (`evidence_table`): what bounds the memory of counting.
COUNT_CHUNK_TEXTS = 16384
# Evidence rows kept from counted chunks before they are summed into one table (or twice the rows of the last sum,
# so that each row is summed a few times at most however many chunks there are).
_MERGED_ROWS = 500_000
# Evidence as rows: what kind of item (an `Evidence` field), the item, and its count.
EVIDENCE_ROWS = pa.schema([("kind", pa.string()), ("item", pa.string()), ("count", pa.int64())])
# Joins a word and its paragraph's digest in the key of a fix made in that paragraph only.
_SCOPE_MARK = "@"
# The rule of a correction a maintainer accepted (`copydesk review accept-correction`).
ACCEPTED_RULE = "review:accepted"


@dataclass(frozen=True)
class BaseDictionary:
    """A general English word list with frequencies (symspellpy's) and known word pairs; `foreign` holds the
    common words of other languages (lower case), which are never changed."""

    counts: dict[str, int]
    ranks: dict[str, int]
    bigrams: frozenset[str]
    foreign: frozenset[str] = frozenset()

    @classmethod
    def from_lines(cls, word_lines: Iterable[str], bigram_lines: Iterable[str]) -> BaseDictionary:
        """Build from "word count" and "word word count" lines as symspellpy ships them."""
        counts = {}
        for line in word_lines:
            word, _, count = line.strip().rpartition(" ")
            if word:
                counts[word] = int(count)
        ranked = sorted(counts, key=lambda word: (-counts[word], word))
        bigrams = frozenset(line.rsplit(" ", 1)[0] for line in bigram_lines if line.count(" ") == 2)
        return cls(counts=counts, ranks={word: rank for rank, word in enumerate(ranked)}, bigrams=bigrams)


@dataclass(frozen=True)
class SpellingDecision:
    """What a token becomes everywhere it occurs, by which rule, and how sure we are."""

    replacement: str
    rule: str
    confidence: float


@dataclass
class Evidence:
    """What the vocabulary is counted from, as sums over paragraphs (so a paragraph's part can be added or taken
    away): word forms, lower-cased word pairs, suspicious spans, and a capitalised word's content-word neighbours
    ("Word\t<left", "Word\tright>")."""

    forms: Counter[str] = field(default_factory=Counter)
    bigrams: Counter[str] = field(default_factory=Counter)
    spans: Counter[str] = field(default_factory=Counter)
    neighbours: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_table(cls, table: pa.Table) -> Evidence:
        """Evidence from rows (kind, item, count), each kind's counters in the rows' order."""
        return cls(**{kind: Counter(counts) for kind, counts in _counts_by_kind(table).items()})


EVIDENCE_KINDS = tuple(kind.name for kind in fields(Evidence))


def _counts_by_kind(table: pa.Table, kinds: Iterable[str] = EVIDENCE_KINDS) -> dict[str, dict[str, int]]:
    """Evidence rows (kind, item, count) as each of these kinds' counts by item, in the rows' order."""
    counts = {}
    for kind in kinds:
        rows = table.filter(pc.equal(table.column("kind"), kind))
        counts[kind] = dict(zip(rows.column("item").to_pylist(), rows.column("count").to_pylist()))
    return counts


def count_evidence(weighted_texts: Iterable[tuple[str, int]]) -> Evidence:
    """Count each text's words, word pairs, spans and neighbours times its weight (its occurrences; negative for a
    text taken away), as `evidence_table` sums them."""
    return Evidence.from_table(evidence_table(weighted_texts))


def evidence_table(weighted_texts: Iterable[tuple[str, int]], chunk_texts: int = COUNT_CHUNK_TEXTS) -> pa.Table:
    """The evidence of these texts as rows (kind, item, count), each text's times its weight, sums of zero left
    out. Texts are counted `chunk_texts` at a time (each distinct text read once; the words of a chunk's texts
    counted together as arrays of word ids, `_chunk_rows`) and the chunks' sums added up by Arrow group-bys, so the
    memory it takes is a chunk's words and the distinct items, whatever the number of texts."""
    parts: list[pa.Table] = []
    summed_rows = 0
    for chunk in evidence_chunks(weighted_texts, chunk_texts):
        parts.extend(chunk.rows)
        if sum(part.num_rows for part in parts) > max(_MERGED_ROWS, 2 * summed_rows):
            parts = [summed_evidence(parts)]
            summed_rows = parts[0].num_rows
    return summed_evidence(parts)


@dataclass(frozen=True)
class CountedChunk:
    """A chunk of texts counted: its evidence rows (each item once, with its sum over the chunk) and each text's
    words (`word_lists`), in the chunk's order."""

    rows: list[pa.Table]
    words: pa.ListArray


def evidence_chunks(
    weighted_texts: Iterable[tuple[str, int]], chunk_texts: int = COUNT_CHUNK_TEXTS
) -> Iterator[CountedChunk]:
    """The texts with a weight counted `chunk_texts` at a time: an item recurs across chunks (`summed_evidence` adds
    them up)."""
    for chunk in _batched(((text, weight) for text, weight in weighted_texts if weight), chunk_texts):
        texts, weights = zip(*chunk)
        words = word_lists(texts)
        yield CountedChunk(_chunk_rows(texts, weights, words), words)


def _batched(items: Iterable[tuple[str, int]], size: int) -> Iterator[list[tuple[str, int]]]:
    """The items in lists of `size` (the last one shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def summed_evidence(parts: list[pa.Table]) -> pa.Table:
    """Evidence rows (kind, item, count) with each item's counts summed, sums of zero left out."""
    if not parts:
        return EVIDENCE_ROWS.empty_table()
    summed = (
        pa.concat_tables(parts)
        .group_by(["kind", "item"])
        .aggregate([("count", "sum")])
        .select(["kind", "item", "count_sum"])
        .rename_columns(EVIDENCE_ROWS.names)
    )
    return summed.filter(pc.not_equal(summed.column("count"), 0))


def _chunk_rows(texts: tuple[str, ...], weights: tuple[int, ...], words: pa.ListArray) -> list[pa.Table]:
    """The evidence rows of a chunk of texts (`words`: their `word_lists`): their words' (`_word_rows`), then their
    spans (searched only in texts where `_SPAN_HINT` stands)."""
    spans: Counter[str] = Counter()
    hinted = pc.match_substring_regex(pa.array(texts, pa.string()), _SPAN_HINT).to_numpy(zero_copy_only=False)
    for position in np.flatnonzero(hinted).tolist():
        text = texts[position]
        found = [m.group() for pattern in (_HYPHEN_BREAK, _MISSING_SPACE) for m in pattern.finditer(text)]
        _count(spans, found, weights[position])
    span_rows = _rows("spans", pa.array(list(spans), pa.string()), pa.array(list(spans.values()), pa.int64()))
    return [*_word_rows(words, weights), span_rows]


def word_lists(texts: Iterable[str]) -> pa.ListArray:
    """Each text's `text_words` as one Arrow list array: found by one compiled scan of all the texts
    (`cleaners.word_scan`), those that may hold a skipped span or a character outside the Basic Multilingual Plane by
    `text_words`."""
    texts = list(texts)
    column = pa.array(texts, pa.string())
    by_python = pc.match_substring_regex(column, _NOT_SPLIT_BY_SCAN).to_numpy(zero_copy_only=False)
    counts, words = scanned_words(column, by_python)
    in_python = np.flatnonzero(by_python)
    if len(in_python):
        python_lists = [text_words(texts[position]) for position in in_python.tolist()]
        counts[in_python] = np.fromiter(map(len, python_lists), np.int64, len(python_lists))
        python_words = pa.array(list(chain.from_iterable(python_lists)), pa.string())
        owners = np.concatenate(
            [np.repeat(np.arange(len(texts)), counts * ~by_python), np.repeat(in_python, counts[in_python])]
        )
        words = pa.concat_arrays([words, python_words]).take(np.argsort(owners, kind="stable"))
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), pa.int32())
    return pa.ListArray.from_arrays(offsets, words)


def _word_rows(text_word_lists: pa.ListArray, weights: tuple[int, ...]) -> list[pa.Table]:
    """The evidence rows of these texts' words (a list a text): word forms, lower-cased word pairs and capitalised
    words' content-word neighbours (each once a text), each text's times its weight. Every word becomes the id of
    its form and of its lower-cased form, what is counted is summed over ids (Arrow group-bys), and only the
    distinct keys are spelled out."""
    words = pc.list_flatten(text_word_lists)
    if not len(words):
        return []
    encoded = words.dictionary_encode()
    del words
    forms, form_ids = encoded.dictionary, encoded.indices.to_numpy()
    lowered_encoded = pc.utf8_lower(forms).dictionary_encode()
    lowered, lower_ids = lowered_encoded.dictionary, lowered_encoded.indices.to_numpy()[form_ids]
    lengths = pc.list_value_length(text_word_lists).to_numpy()
    text_ids = np.repeat(np.arange(len(text_word_lists)), lengths)
    text_weights = np.asarray(weights, np.int64)
    word_weights = text_weights[text_ids]
    summed = _summed({"form": form_ids}, word_weights)
    form_rows = _rows("forms", forms.take(summed.column("form")), summed.column("weight_sum"))
    same_text = text_ids[1:] == text_ids[:-1]  # a word and the next one stand in the same text
    summed = _summed(
        {"first": lower_ids[:-1][same_text], "second": lower_ids[1:][same_text]}, word_weights[1:][same_text]
    )
    pairs = pc.binary_join_element_wise(
        lowered.take(summed.column("first")), lowered.take(summed.column("second")), " "
    )
    bigram_rows = _rows("bigrams", pairs, summed.column("weight_sum"))
    # A word opens with an ASCII letter (`_WORD`): it is capitalised when that is A-Z.
    capitalised = pc.match_substring_regex(forms, "^[A-Z]").to_numpy(zero_copy_only=False)[form_ids]
    content = ~pc.is_in(lowered, value_set=_STOPWORD_ARRAY).to_numpy(zero_copy_only=False)[lower_ids]
    left = np.flatnonzero(capitalised[1:] & same_text & content[:-1]) + 1  # positions with a left neighbour mark
    right = np.flatnonzero(capitalised[:-1] & same_text & content[1:])
    marks = pa.table(  # each text's marks once: (text, word, neighbour, whether the neighbour is on the right)
        {
            "text": np.concatenate([text_ids[left], text_ids[right]]),
            "form": np.concatenate([form_ids[left], form_ids[right]]),
            "neighbour": np.concatenate([lower_ids[left - 1], lower_ids[right + 1]]),
            "right": np.repeat([False, True], [len(left), len(right)]),
        }
    )
    marks = marks.group_by(marks.column_names).aggregate([])
    summed = _summed(
        {name: marks.column(name) for name in ("form", "neighbour", "right")},
        pc.take(text_weights, marks.column("text")),
    )
    neighbour = lowered.take(summed.column("neighbour"))
    placed = pc.if_else(
        summed.column("right"),
        pc.binary_join_element_wise(neighbour, ">", ""),
        pc.binary_join_element_wise("<", neighbour, ""),
    )
    marked = pc.binary_join_element_wise(forms.take(summed.column("form")), placed, "\t")
    return [form_rows, bigram_rows, _rows("neighbours", marked, summed.column("weight_sum"))]


def _summed(keys: dict[str, pa.Array | np.ndarray], weights: pa.Array | np.ndarray) -> pa.Table:
    """The key columns' distinct rows with their weights summed ("weight_sum"), sums of zero left out."""
    summed = pa.table({**keys, "weight": weights}).group_by(list(keys)).aggregate([("weight", "sum")])
    return summed.filter(pc.not_equal(summed.column("weight_sum"), 0))


def _rows(kind: str, items: pa.Array, counts: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Evidence rows of one kind: each item with its count."""
    return pa.table({"kind": pa.repeat(kind, len(items)), "item": items, "count": counts}, schema=EVIDENCE_ROWS)


@dataclass
class Vocabulary:
    """Counts over the whole corpus: word forms, lower-cased forms, word pairs, and the spans that may
    be broken words ("denucle- arization") or lost spaces ("said.The"); and the neighbour marks of capitalised
    words ("Word\t<left", "Word\tright>", Evidence's), left in Arrow: only a few rare names' are ever read."""

    forms: Counter[str]
    lowered: Counter[str]
    bigrams: Counter[str]
    spans: Counter[str]
    neighbour_marks: pa.ChunkedArray

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        """Count the words, adjacent word pairs and suspicious spans of every text (a text repeated word
        for word, a syndicated paragraph, is read once and counted as often as it occurs)."""
        return cls.from_table(evidence_table(Counter(texts).items()))

    @classmethod
    def from_table(cls, table: pa.Table) -> Vocabulary:
        """The vocabulary of evidence rows (kind, item, count): what counts above zero, read kind by kind (the
        neighbour marks kept as Arrow strings)."""
        table = table.filter(pc.greater(table.column("count"), 0))
        counted = _counts_by_kind(table, ("forms", "bigrams", "spans"))
        forms = Counter(counted["forms"])
        lowered: Counter[str] = Counter()
        for form, count in forms.items():
            lowered[form.lower()] += count
        return cls(
            forms=forms,
            lowered=lowered,
            bigrams=Counter(counted["bigrams"]),
            spans=Counter(counted["spans"]),
            neighbour_marks=table.filter(pc.equal(table.column("kind"), "neighbours")).column("item"),
        )

    def __eq__(self, other: object) -> bool:
        """The same counts and the same neighbour marks, in whatever order they were counted."""
        if not isinstance(other, Vocabulary):
            return NotImplemented
        counts = (self.forms, self.lowered, self.bigrams, self.spans)
        marks = sorted(self.neighbour_marks.to_pylist())
        return counts == (other.forms, other.lowered, other.bigrams, other.spans) and marks == sorted(
            other.neighbour_marks.to_pylist()
        )

    def neighbours_of(self, words: Collection[str]) -> dict[str, set[str]]:
        """The marks of the content words beside each of these capitalised words ("<left", "right>"), found by
        Arrow among every word's marks: only theirs are made Python strings."""
        marked_words = pc.list_element(pc.split_pattern(self.neighbour_marks, "\t", max_splits=1), 0)
        asked = pc.is_in(marked_words, value_set=pa.array(list(words), pa.string()))
        neighbours: defaultdict[str, set[str]] = defaultdict(set)
        for key in self.neighbour_marks.filter(asked).to_pylist():
            word, _, mark = key.partition("\t")
            neighbours[word].add(mark)
        return dict(neighbours)


def _count(counter: Counter[str], items: list[str], weight: int) -> None:
    """Add the items to the counter, each `weight` times (the occurrences of their text)."""
    if weight == 1:
        counter.update(items)
    else:
        for item, count in Counter(items).items():
            counter[item] += count * weight


def iter_words(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, word) for each word, skipping URLs, e-mail addresses, hashtags and handles."""
    skipped = [match.span() for match in _SKIP_SPANS.finditer(text)]
    for match in _WORD.finditer(text):
        start, end = match.span()
        if not any(s < end and start < e for s, e in skipped):
            yield start, end, match.group()


def text_words(text: str) -> list[str]:
    """The words `iter_words` yields, without their places: one regex pass when nothing is skipped."""
    if not _may_hold_skip_span(text) or _SKIP_SPANS.search(text) is None:
        return _WORD.findall(text)
    return [word for _, _, word in iter_words(text)]


def _confidence(ratio: float, distance: int, rules: SpellingRules) -> float:
    """Grows with the frequency ratio, shrinks with edit distance; equals 0.5 at the minimum ratio."""
    return round(ratio / (ratio + rules.min_frequency_ratio) * (1 - 0.2 * (distance - 1)), 3)


class SpellingJudge:
    """Judges each distinct token of a corpus once, against the corpus and a base dictionary."""

    def __init__(self, vocabulary: Vocabulary, base: BaseDictionary, rules: SpellingRules) -> None:
        self.vocabulary = vocabulary
        self.base = base
        self.rules = rules

    @functools.cached_property
    def lower_index(self) -> PartialIndex:
        """The words the corpus prints often enough to be a lower-case typo's fix, for looking up its rare words
        (built when first asked)."""
        lowered, rules = self.vocabulary.lowered, self.rules
        return partial_index(
            (word for word, count in lowered.items() if count >= rules.min_support_count and word.isalpha()),
            {word for word, count in lowered.items() if count <= rules.rare_max_count},
            rules.max_edit_distance,
        )

    @functools.cached_property
    def name_index(self) -> PartialIndex:
        """The names the corpus prints often enough to be a misspelt name's fix, for looking up its rare names
        (built when first asked)."""
        forms, rules = self.vocabulary.forms, self.rules
        return partial_index(
            (
                word
                for word, count in forms.items()
                if count >= rules.min_support_count and word.isalpha() and word.istitle()
            ),
            {word for word in forms if word.istitle() and self.is_rare(word)},
            rules.max_edit_distance,
        )

    @functools.cached_property
    def rare_name_neighbours(self) -> dict[str, set[str]]:
        """The neighbour marks of the corpus's rare capitalised words, the only words whose company a misspelt
        name's fix asks about (built when first asked)."""
        return self.vocabulary.neighbours_of(self._rare_names)

    @functools.cached_property
    def _rare_names(self) -> frozenset[str]:
        """The capitalised words the corpus prints rarely enough to be suspects (`is_suspect`'s count test)."""
        lowered, rare = self.vocabulary.lowered, self.rules.rare_max_count
        return frozenset(word for word in self.vocabulary.forms if word.istitle() and lowered[word.lower()] <= rare)

    def shares_context(self, word: str, other: str) -> bool:
        """True when `other` stands next to a content word that stands next to `word` (capitalised words only)."""
        marks = self.rare_name_neighbours if word in self._rare_names else self.vocabulary.neighbours_of([word])
        bigrams = self.vocabulary.bigrams
        for neighbour in marks.get(word, ()):
            if neighbour.endswith(">") and bigrams[f"{other.lower()} {neighbour[:-1]}"]:
                return True
            if neighbour.startswith("<") and bigrams[f"{neighbour[1:]} {other.lower()}"]:
                return True
        return False

    @functools.cached_property
    def rare_sides(self) -> tuple[defaultdict[str, set[str]], defaultdict[str, set[str]]]:
        """The words the corpus prints before, and after, each of its rare lower-case words (built when first
        asked)."""
        rare = {word for word, count in self.vocabulary.lowered.items() if count <= self.rules.rare_max_count}
        left: defaultdict[str, set[str]] = defaultdict(set)
        right: defaultdict[str, set[str]] = defaultdict(set)
        for pair in self.vocabulary.bigrams:
            first, _, second = pair.partition(" ")
            if second in rare:
                left[second].add(first)
            if first in rare:
                right[first].add(second)
        return left, right

    def shares_content_word(self, word: str, fix: str) -> bool:
        """True when the corpus prints `fix` beside a content word that stands on the same side of the rare
        lower-case `word` ("TV comedie", "TV comedy")."""
        left, right = self.rare_sides
        bigrams = self.vocabulary.bigrams
        return any(other not in STOPWORDS and bigrams[f"{other} {fix}"] for other in left.get(word, ())) or any(
            other not in STOPWORDS and bigrams[f"{fix} {other}"] for other in right.get(word, ())
        )

    def is_dictionary_word(self, word: str, prefixed: bool = True, strict: bool = False) -> bool:
        """True for a base-dictionary word or a regular derivation of one ("delisted", "wirelessly"; with
        `prefixed`, also "rebrand", or a prefix on a derivation spelled as English inflects: "reenactors").
        `strict` takes only common stems of 4+ letters spelled as English inflects them, not "beed", "sould",
        "goodes" or "monts"."""
        lowered = word.lower()
        if lowered in self.base.counts or self._is_derivation(lowered, strict, strict):
            return True
        return prefixed and any(
            lowered.startswith(prefix)
            and len(rest := lowered[len(prefix) :]) >= 3
            and (rest in self.base.counts or self._is_derivation(rest, True, strict))
            for prefix in DERIVATION_PREFIXES
        )

    def _is_derivation(self, lowered: str, inflected: bool, common: bool) -> bool:
        """True for a list word with one of `DERIVATION_SUFFIXES`; with `inflected`, a stem of 4+ letters spelled
        as English inflects it; with `common`, one of the `common_word_rank` commonest words."""
        shortest = 4 if inflected else 3
        for suffix in DERIVATION_SUFFIXES:
            stem = lowered.removesuffix(suffix)
            if stem == lowered or len(stem) < shortest:
                continue
            if (
                stem in self.base.counts
                and (not inflected or _inflects(stem, suffix))
                and (not common or self._is_common(stem))
            ):
                return True
            if (
                stem + "e" in self.base.counts
                and (not inflected or suffix[0] in _VOWELS)
                and (not common or self._is_common(stem + "e"))
            ):
                return True
        return False

    def _is_common(self, word: str) -> bool:
        """True for one of the `common_word_rank` commonest words of the dictionary."""
        return self.base.ranks.get(word, math.inf) < self.rules.common_word_rank

    def is_known(self, word: str) -> bool:
        """True for a dictionary word (or a derivation of one) or a word the corpus uses often enough."""
        return self.is_dictionary_word(word) or self.vocabulary.lowered[word.lower()] >= self.rules.min_support_count

    def may_change(self, word: str, protected: frozenset[str], copy_prints_english: bool = False) -> bool:
        """True for an alphabetic word that neither the corpus's names nor the config protect, and that is not a
        common word of another language ("hausse", "werde") unless a copy of its English paragraph prints an
        English word in its place (a quoted foreign word is printed alike in every copy; "wrok" facing "work"
        is an English typo that happens to be Dutch)."""
        return (
            word not in protected
            and word not in self.rules.protected_words
            and word.isalpha()
            and (copy_prints_english or word.lower() not in self.base.foreign)
        )

    def is_suspect(self, token: str, protected: frozenset[str]) -> bool:
        """True for a rare, unknown, unprotected word that a fix may touch."""
        rules = self.rules
        if not self.may_change(token, protected):
            return False
        if not (token.islower() or token.istitle()) or len(token) < rules.min_word_length:
            return False
        return self.is_rare(token) and not self.is_known(token)

    def is_rare(self, word: str) -> bool:
        """True for a word the corpus prints at most `rare_max_count` times, in any case."""
        return self.vocabulary.lowered[word.lower()] <= self.rules.rare_max_count

    def is_aligned_typo(self, word: str, other: str, protected: frozenset[str]) -> bool:
        """True when `word`, facing `other` in a copy of the same paragraph, is a typo of it.

        `word` must be unknown to the dictionary (nor a common word's regular inflection), or a rare variant
        (`_is_rare_variant`), and at most half as frequent in the corpus as `other`, or seen once where `other`
        is in the dictionary; `other` is one known word a few edits away (`within_aligned_edits`), in the same
        case, that `word` is not merely run into, or the known words `word` runs together.
        """
        if not self.may_change(word, protected, copy_prints_english=True) or len(word) < 2:
            return False
        parts = other.split()
        if not all(self.is_known(part) for part in parts):
            return False
        if not self._outnumbered(word.lower(), [part.lower() for part in parts]):
            return False
        if len(parts) == 2:
            return self._is_aligned_runon(word, parts)
        if not (word.islower() or word.istitle()) or word[0].isupper() != other[0].isupper():
            return False
        if self._runs_into(word.lower(), other.lower()):
            return False
        if self.is_dictionary_word(word, strict=True):
            return self._is_rare_variant(word, other)
        common = self.base.ranks.get(other.lower(), math.inf) < self.rules.syndicated_common_word_rank
        return within_aligned_edits(word.lower(), other.lower(), self.rules.syndicated_max_edit_distance, common)

    def _is_rare_variant(self, word: str, other: str) -> bool:
        """True when a lower-case word that English spells ("reporte", "politicals" as regular derivations, or a word
        past `syndicated_rare_word_rank` in the list), facing `other` in a copy, is its typo: `other` is a commoner
        word of the list 1 edit away (2 from 7 letters). Rewording between common words (says/said) never is."""
        rank = self.base.ranks.get(word, math.inf)
        if not word.islower() or rank < self.rules.syndicated_rare_word_rank:
            return False
        if self.base.ranks.get(other, math.inf) >= rank:
            return False
        return _EDIT_DISTANCE.compare(word, other, 1 if len(word) < 7 else 2) != -1

    def fixed_in_place_only(self, word: str, fix: str) -> bool:
        """True when the copies' fix of a word applies in their paragraphs only: a short word ("og": "of" here, an
        own goal there) or a word English spells, not split ("reporte" may be meant elsewhere)."""
        short = len(word) <= self.rules.syndicated_local_max_length
        return short or (" " not in fix and self.is_dictionary_word(word, strict=True))

    def fits_between(self, word: str, before: str, after: str) -> set[str]:
        """The English words a few edits from `word` (as `within_aligned_edits` allows) that the corpus prints
        after `before` and before `after`."""
        common_rank = self.rules.syndicated_common_word_rank
        limit = self.rules.syndicated_max_edit_distance
        return {
            suggestion.term
            for suggestion in self.lower_index.lookup(
                word, Verbosity.ALL, max_edit_distance=self.rules.max_edit_distance
            )
            if suggestion.term in self.base.counts
            and self.vocabulary.bigrams[f"{before} {suggestion.term}"]
            and self.vocabulary.bigrams[f"{suggestion.term} {after}"]
            and within_aligned_edits(
                word, suggestion.term, limit, self.base.ranks.get(suggestion.term, math.inf) < common_rank
            )
        }

    def copies_needed(self, word: str) -> int:
        """How many copies must print the fix: two for a word of the English list ("heeded" facing "needed" in one
        copy may be a rewording, or the other copy's typo), else one."""
        return 2 if word.lower() in self.base.counts else 1

    def _runs_into(self, word: str, other: str) -> bool:
        """True when `word` is `other` run together with another known word ("aninternational"), not its typo."""
        rest = word.removeprefix(other) if word.startswith(other) else word.removesuffix(other)
        return rest != word and len(rest) >= 2 and (rest in STOPWORDS or (len(rest) >= 3 and self.is_known(rest)))

    def _outnumbered(self, word: str, parts: list[str]) -> bool:
        """True when the corpus prints `word` `syndicated_min_ratio` times less often than each of `parts`, or
        only once where a copy prints dictionary words (a rare word's typo in a story two outlets tell)."""
        count = self.vocabulary.lowered[word]
        if count == 1 and all(part in self.base.counts for part in parts):
            return True
        support = min(self.vocabulary.lowered[part] for part in parts)
        return count * self.rules.syndicated_min_ratio <= support

    def _is_aligned_runon(self, word: str, parts: list[str]) -> bool:
        """True when `word` is the two words a copy prints run together ("Cosaid", "AGsaid"), and not a
        listed word ("overtime") or an inflection of one."""
        joined = "".join(parts)
        if word != joined and not ((word.islower() or word.istitle()) and word.lower() == joined.lower()):
            return False
        return not self.is_dictionary_word(word, prefixed=False)

    def decidable(self, tokens: Iterable[str]) -> list[str]:
        """The tokens `decide` may fix, in order: a rare one (`is_suspect` asks `is_rare`) or one that ends with an
        attribution word (`_name_runon`'s); it leaves every other token as it is."""
        verbs = self.rules.name_runon_words
        return [token for token in tokens if self.is_rare(token) or token.endswith(verbs)]

    def decide(self, token: str, protected: frozenset[str]) -> SpellingDecision | None:
        """Return the fix for a token, or None when it should stay as it is."""
        if self.is_suspect(token, protected):
            typo, split = self._typo(token), self._split(token)
            if typo and split:  # "quarterof": "quarter of" the corpus prints, not "quarter" two edits away
                return max(typo, split, key=lambda decision: decision.confidence)
            return typo or split
        if self.may_change(token, protected):
            return self._name_runon(token)
        return None

    def decide_span(self, span: str) -> SpellingDecision | None:
        """Fix a word broken at a line end ("denucle- arization") or a lost space ("said.The")."""
        if match := _HYPHEN_BREAK.fullmatch(span):
            head, tail = match.groups()
            joined = head + tail
            if self.is_known(joined) and not (self.is_known(head) and self.is_known(tail)):
                return SpellingDecision(joined, "join:broken_word", 0.9)
            return None
        if match := _MISSING_SPACE.fullmatch(span):
            left, mark, right = match.groups()
            if self.is_known(left) and self.is_known(right):
                return SpellingDecision(f"{left}{mark} {right}", "space:after_sentence", 0.9)
        return None

    def _typo(self, token: str) -> SpellingDecision | None:
        rules = self.rules
        if token.islower():
            index, max_distance, rule = self.lower_index, rules.max_edit_distance, "typo:corpus"
            count_of = self.vocabulary.lowered
        elif len(token) >= rules.proper_noun_min_length:
            index, max_distance, rule = self.name_index, 1, "typo:proper_noun"
            count_of = self.vocabulary.forms
        else:
            return None
        suggestions = index.lookup(token, Verbosity.CLOSEST, max_edit_distance=max_distance)
        if not suggestions:
            return None
        ranked = sorted(suggestions, key=lambda item: (-count_of[item.term], item.term))
        best = ranked[0]
        name_form = best.term.lower() in (token.lower() + "s", token.lower()[:-1])
        if rule == "typo:proper_noun" and (name_form or not self.shares_context(token, best.term)):
            return None  # a name's plural or possessive-less form, or a name in other company
        if rule == "typo:corpus" and best.term in (token + "s", token.removesuffix("s")):
            return None  # the word's plural or singular ("smartcard", "smartcards"): another form, not a typo
        if rule == "typo:corpus" and best.distance > 1 and not self.shares_content_word(token, best.term):
            return None  # two edits from a word met in other company ("reenactors", "refractors")
        token_count = max(1, count_of[token])
        ratio = count_of[best.term] / token_count
        runner_up = count_of[ranked[1].term] if len(ranked) > 1 else 0
        if ratio < rules.min_frequency_ratio or count_of[best.term] < rules.min_frequency_ratio * runner_up:
            return None
        return SpellingDecision(best.term, rule, _confidence(ratio, best.distance, rules))

    def _split(self, token: str) -> SpellingDecision | None:
        best: tuple[float, str, str] | None = None
        for cut in range(2, len(token) - 1):
            left, right = token[:cut], token[cut:]
            confidence = self._split_confidence(left, right)
            if confidence and (best is None or confidence > best[0]):
                best = (confidence, left, right)
        if best is not None:
            return SpellingDecision(f"{best[1]} {best[2]}", "split:run_together", best[0])
        return self._name_runon(token)

    def _name_runon(self, token: str) -> SpellingDecision | None:
        """A name run into an attribution word ("Moonsaid"), however often the copies repeat it."""
        if not token.istitle() or not token.endswith(self.rules.name_runon_words) or self.is_dictionary_word(token):
            return None
        for word in self.rules.name_runon_words:
            name = token[: -len(word)]
            if token.endswith(word) and len(name) >= 2:
                return SpellingDecision(f"{name} {word}", "split:name_runon", 0.7)
        return None

    def _split_confidence(self, left: str, right: str) -> float:
        """How well a cut is supported: a pair the corpus uses, a known pair, or two known common words."""
        if not (left.islower() and right.islower() and self.is_known(left) and self.is_known(right)):
            return 0.0
        if len(left) <= self.rules.closed_compound_max_left and not {left, right} & STOPWORDS:
            return 0.0  # "webpages", "frontman", "hardline": closed compounds, not lost spaces
        pair = f"{left} {right}"
        if self.vocabulary.bigrams[pair] >= 1:
            return 0.9
        if pair in self.base.bigrams:
            return 0.75
        in_corpus = min(self.vocabulary.lowered[left], self.vocabulary.lowered[right]) >= self.rules.min_support_count
        common = self.base.ranks.get(right, math.inf) <= self.rules.common_word_rank
        return 0.6 if in_corpus and common else 0.0


def _inflects(stem: str, suffix: str) -> bool:
    """Whether English spells the stem with this suffix so: "-d" after an "e", "-es" after a hiss or an "o",
    a vowel suffix without the stem's silent "e" ("making", not "makeing") and after the doubled last
    letter of a one-vowel stem ("dropped", not "droped")."""
    if suffix == "d":
        return stem.endswith("e")
    if suffix == "es":
        return stem.endswith(("s", "x", "z", "ch", "sh", "o"))
    if suffix[0] not in _VOWELS or suffix == "able":
        return True
    if stem.endswith("e") and not stem.endswith("ee"):
        return False
    one_vowel = len(re.findall(f"[{_VOWELS}]+", stem)) == 1
    return not (one_vowel and stem[-1] not in _VOWELS + "wxy" and stem[-2] in _VOWELS and stem[-3] not in _VOWELS)


def within_aligned_edits(word: str, other: str, max_distance: int, common: bool = False) -> bool:
    """True when `word` is few enough edits (Damerau-Levenshtein) from `other` to be its typo where a copy prints
    `other`: 1 for words of up to 4 letters, or 2 when it has the same letters ("tath") or `other` is one of
    the commonest words ("tem" for "the"), 2 up to 7 letters, `max_distance` beyond."""
    if len(word) <= 4:
        limit = 2 if common or sorted(word) == sorted(other) else 1
    else:
        limit = 2 if len(word) <= 7 else max_distance
    return _EDIT_DISTANCE.compare(word, other, limit) != -1


Substitutions = tuple[tuple[str, str], ...]
# A pair of copies aligned: the digests of its two paragraphs (`paragraph_digest`) and what they print in each
# other's place, first copy's side first.
AlignedCopy = tuple[str, str, Substitutions]
# What the copies show, as rows the votes are summed from: a word, what a copy prints in its place, the digest of the
# word's paragraph, and in how many pairs of copies it faces that.
FACINGS = pa.schema([("word", pa.string()), ("other", pa.string()), ("paragraph", pa.string()), ("pairs", pa.int64())])
NO_FACINGS = FACINGS.empty_table()


def copy_substitutions(first: str, second: str) -> Substitutions:
    """What two copies of a paragraph print in each other's place, word for word (`aligned_substitutions`): a
    function of their texts alone, so a run may keep it for the next."""
    coded = CodedWords.of([text_words(first), text_words(second)])
    return aligned_substitutions(*coded.texts, coded.spellings)


def aligned_copies(copies: Iterable[tuple[str, str]]) -> Iterator[AlignedCopy]:
    """Each pair of copies' texts aligned (`copy_substitutions`), named by the digests of its paragraphs."""
    for first, second in copies:
        yield paragraph_digest(first), paragraph_digest(second), copy_substitutions(first, second)


def aligned_substitutions(left: np.ndarray, right: np.ndarray, spellings: list[str]) -> Substitutions:
    """Word-for-word substitutions of two copies (their words coded, `cleaners.word_blocks.CodedWords`, and each
    code's spelling) aligned over the whole paragraph, left copy's side first (`pairs_substitutions`)."""
    codes = np.concatenate([left, right]).astype(np.int64)
    bounds = np.array([0, len(left), len(codes)], np.int64)
    spelled = pa.array(spellings, pa.string())
    return pairs_substitutions(codes, bounds[:2], bounds[1:], np.array([[0, 1]]), spelled)[0]


def pairs_substitutions(
    codes: np.ndarray, starts: np.ndarray, ends: np.ndarray, pairs: np.ndarray, spellings: pa.Array
) -> list[Substitutions]:
    """Each pair of copies' (rows of `pairs`: two texts, text t's words coded `codes[starts[t]:ends[t]]`, with each
    code's spelling) word-for-word substitutions, left copy's side first (`pairs_substitution_columns`)."""
    first, second = pairs_substitution_columns(codes, starts, ends, pairs, spellings)
    return [tuple(zip(words, others)) for words, others in zip(first.to_pylist(), second.to_pylist())]


def pairs_substitution_columns(
    codes: np.ndarray, starts: np.ndarray, ends: np.ndarray, pairs: np.ndarray, spellings: pa.Array
) -> tuple[pa.ListArray, pa.ListArray]:
    """Each pair of copies' (rows of `pairs`: two texts, text t's words coded `codes[starts[t]:ends[t]]`, with each
    code's spelling in `spellings`) word-for-word substitutions aligned over the whole paragraph, as two list
    columns: the left copy's words, and at the same places the right's: (word, word), (run-together word, "two
    words") or ("two words", run-together word). Copies may differ in many places (house style, a dateline, a dropped
    sentence): every stretch where they disagree between words they share is aligned on its own (difflib's "replace"
    opcodes, found past the words they begin and end with in common, what keeps it cheap), by edit distance
    (`cleaners.stretch_walk`); the stretches of all the pairs are found and walked in one compiled pass, only the
    facing words spelled out."""
    return substitution_columns(codes, starts, ends, pairs, spellings, _MAX_ALIGNED_STRETCH, _UNPAIRED_COST)


def copy_facings(copies: Iterable[AlignedCopy]) -> pa.Table:
    """What each word of these aligned pairs of copies faces in the other copy (`FACINGS` rows, `summed_facings`)."""
    words: list[str] = []
    others: list[str] = []
    paragraphs: list[str] = []
    for first, second, substitutions in copies:
        for a, b in substitutions:
            words += (a, b)
            others += (b, a)
            paragraphs += (first, second)
    columns = [pa.array(words, pa.string()), pa.array(others, pa.string()), pa.array(paragraphs, pa.string())]
    return summed_facings([pa.Table.from_arrays([*columns, pa.repeat(1, len(words))], schema=FACINGS)])


def summed_facings(parts: Iterable[pa.Table]) -> pa.Table:
    """Facing rows (`FACINGS`) with the pairs of each (word, other, paragraph) summed; a word that runs two together,
    or faces itself, left out (it votes for nothing)."""
    rows = pa.concat_tables([FACINGS.empty_table(), *parts])
    voting = pc.and_(
        pc.invert(pc.match_substring(rows.column("word"), " ")), pc.not_equal(rows.column("word"), rows.column("other"))
    )
    summed = rows.filter(voting).group_by(FACINGS.names[:3]).aggregate([("pairs", "sum")])
    return summed.rename_columns(FACINGS.names).cast(FACINGS)


def aligned_decisions(
    facings: pa.Table, judge: SpellingJudge, protected: frozenset[str]
) -> tuple[dict[str, SpellingDecision], dict[str, set[str]]]:
    """Typos that syndicated copies expose: an unknown word facing, at the same place in another copy,
    a known and more frequent word a few edits away (or the two words it runs together). Every pair of
    copies votes (`facings`: what each word faces in how many pairs, `copy_facings`). A word whose copies agree on
    its fix (it has twice the votes of any other) is fixed everywhere; a short word ("og" is a typo of "of" here, an
    own goal there), or one whose copies disagree ("th": "the" here, "to" there), only in the paragraphs whose own
    copies agree, under `scoped_key`. Also returns what each word faces in a copy (whatever the verdict). Each
    distinct facing is judged once; the votes are summed by Arrow."""
    distinct = facings.group_by(["word", "other"]).aggregate([])  # each distinct facing judged once
    faced: dict[str, set[str]] = defaultdict(set)
    attributed_words: list[str] = []
    verdicts: list[bool] = []
    for word, other in zip(distinct.column("word").to_pylist(), distinct.column("other").to_pylist()):
        attributed = _attributed(word, other, judge.rules.name_runon_words)
        faced[word].add(attributed)
        attributed_words.append(attributed)
        verdicts.append(judge.is_aligned_typo(word, attributed, protected))
    judged = distinct.append_column("attributed", pa.array(attributed_words, pa.string())).filter(
        pa.array(verdicts, pa.bool_())
    )
    typos = facings.join(judged, ["word", "other"], join_type="inner")
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for word, fix, count in _summed_rows(typos, ["word", "attributed"]):
        votes[word][fix] += count
    decisions = {
        word: decision
        for word, candidates in votes.items()
        if (decision := _voted(candidates, judge.copies_needed(word)))
        and not judge.fixed_in_place_only(word, decision.replacement)
    }
    undecided = typos.filter(pc.invert(pc.is_in(typos.column("word"), pa.array(list(decisions), pa.string()))))
    votes_in: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for word, paragraph, fix, count in _summed_rows(undecided, ["word", "paragraph", "attributed"]):
        votes_in[word, paragraph][fix] += count
    for (word, paragraph), candidates in votes_in.items():
        if decision := _voted(candidates, judge.copies_needed(word)):
            decisions[_scoped(word, paragraph)] = decision
    return decisions, faced


def _summed_rows(table: pa.Table, keys: list[str]) -> Iterator[tuple]:
    """Each distinct row of the `keys` columns with its "pairs" summed, as Python tuples (keys first)."""
    summed = table.group_by(keys).aggregate([("pairs", "sum")])
    return zip(*(summed.column(name).to_pylist() for name in [*keys, "pairs_sum"]))


def context_decisions(
    judge: SpellingJudge, protected: frozenset[str], decided: Collection[str]
) -> dict[str, SpellingDecision]:
    """Typos of copies the matching did not pair: a lower-case unknown word printed once, between words that the
    corpus prints on either side of exactly one English word a few edits away ("beat proffit forecasts" where
    another outlet's "beat profit forecasts" stands in a paragraph of its own). Words already decided or faced
    in a copy are left to the copies."""
    vocabulary, rules = judge.vocabulary, judge.rules
    suspects = {
        word
        for word, count in vocabulary.lowered.items()
        if count <= rules.rare_max_count
        and word in vocabulary.forms
        and word not in decided
        and judge.may_change(word, protected)
        and not judge.is_known(word)
    }
    if not suspects:
        return {}
    left, right = judge.rare_sides
    decisions = {}
    for word in suspects:
        if len(left[word]) == len(right[word]) == 1:
            fits = judge.fits_between(word, next(iter(left[word])), next(iter(right[word])))
            if len(fits) == 1:
                decisions[word] = SpellingDecision(fits.pop(), "typo:context", 0.75)
    return decisions


def _attributed(word: str, other: str, verbs: tuple[str, ...]) -> str:
    """The two words `word` runs together where the copy prints the first and its own attribution verb:
    "Commissionsaid" facing "Commission" (the copy's "Commission says") is "Commission said"."""
    verb = word[len(other) :]
    return f"{other} {verb}" if word.startswith(other) and verb in verbs else other


def _voted(candidates: Counter[str], needed: int = 1) -> SpellingDecision | None:
    """The fix the copies vote for, if it has `needed` votes and `_VOTE_MARGIN` times the votes of any other."""
    (best, count), *others = candidates.most_common()
    if count < needed or (others and others[0][1] * _VOTE_MARGIN > count):
        return None
    rule = "split:syndicated" if " " in best else "typo:syndicated"
    return SpellingDecision(best, rule, round(min(0.95, 0.7 + 0.1 * count), 3))


def scoped_key(paragraph: str, word: str) -> str:
    """The decisions' key of a fix of `word` in this paragraph only ("th@1f0c...")."""
    return _scoped(word, paragraph_digest(paragraph))


def _scoped(word: str, digest: str) -> str:
    """The key of a fix of `word` in the paragraph of this `paragraph_digest` only."""
    return f"{word}{_SCOPE_MARK}{digest}"


def paragraph_digest(paragraph: str) -> str:
    """A short digest that names a paragraph's text: in decisions' keys, and in the state's copies' alignments."""
    return hashlib.sha256(paragraph.encode()).hexdigest()[:16]


def paragraph_digests(paragraphs: pa.Array | pa.ChunkedArray) -> list[str]:
    """Each paragraph's `paragraph_digest`, hashed from the column's bytes (no Python string made of a paragraph)."""
    digests: list[str] = []
    for chunk in paragraphs.chunks if isinstance(paragraphs, pa.ChunkedArray) else [paragraphs]:
        data, starts = bytes_and_starts(chunk)
        view = memoryview(data)
        digests.extend(hashlib.sha256(view[start:end]).hexdigest()[:16] for start, end in pairwise(starts.tolist()))
    return digests


def decided_word(key: str) -> str:
    """The word or span a decisions' key fixes (a scoped key names its paragraph too)."""
    return key.partition(_SCOPE_MARK)[0]


def named_digest(key: str) -> str:
    """The `paragraph_digest` of the paragraph a paragraph-only key names ("" for a corpus-wide key)."""
    return key.partition(_SCOPE_MARK)[2]


def decide_corrections(
    vocabulary: Vocabulary,
    base: BaseDictionary,
    rules: SpellingRules,
    protected: frozenset[str] = frozenset(),
    copies: Iterable[tuple[str, str]] = (),
    advance: Callable[[int], None] = no_progress,
    facings: pa.Table = NO_FACINGS,
) -> dict[str, SpellingDecision]:
    """Judge every distinct token and span of the corpus once; return the confident fixes.

    `copies` are the texts of near-duplicate paragraph pairs (`facings`, what pairs already aligned show, summed as
    `summed_facings` gives them, are added to theirs); what they show overrides the frequency evidence: a word a
    copy prints otherwise is never changed to the corpus's guess. `advance` counts the tokens and spans judged as it
    goes.
    """
    if not rules.enabled:
        return {}
    judge = SpellingJudge(vocabulary, base, rules)
    decisions = {}
    decidable = judge.decidable(vocabulary.forms)
    advance(len(vocabulary.forms) - len(decidable))  # the tokens `decide` leaves as they are, judged at a glance
    for token in ticking(decidable, advance):
        decision = judge.decide(token, protected)
        if decision is not None:
            decisions[token] = decision
    for span in ticking(vocabulary.spans, advance):
        decision = judge.decide_span(span)
        if decision is not None:
            decisions[span] = decision
    copied = copy_facings(aligned_copies(copies))
    shown = summed_facings([copied, facings]) if copied.num_rows else facings  # `facings` come summed
    by_copies, faced = aligned_decisions(shown, judge, protected)
    decisions = {
        key: decision for key, decision in decisions.items() if key not in faced or decision.replacement in faced[key]
    }
    decisions |= by_copies
    if rules.context_typos:
        decided = {decided_word(key) for key in decisions} | faced.keys()
        decisions |= context_decisions(judge, protected, decided)
    return {key: decision for key, decision in decisions.items() if decision.confidence >= rules.min_confidence}


def is_correctable(text: str) -> bool:
    """True for what the spelling stage can change: one word, a broken word or a lost space ("said.The")."""
    return any(pattern.fullmatch(text) for pattern in (_WORD, _HYPHEN_BREAK, _MISSING_SPACE))


def reviewed_decisions(
    decisions: dict[str, SpellingDecision], rejected: Collection[str], accepted: Mapping[str, str]
) -> dict[str, SpellingDecision]:
    """The corpus's decisions after a maintainer's review: rejected words stay as written, accepted corrections
    (word to replacement) apply everywhere."""
    reviewed = {key: decision for key, decision in decisions.items() if decided_word(key) not in rejected}
    return reviewed | {
        word: SpellingDecision(replacement, ACCEPTED_RULE, 1.0) for word, replacement in accepted.items()
    }


@dataclass(frozen=True)
class CorrectionTable:
    """Decisions ready to apply to many articles: the corpus-wide ones, the paragraph-only ones by their paragraph's
    digest, whether any fixes a span, the corpus-wide spans, and the longest letter run of each corpus-wide word, of
    each corpus-wide span and of each paragraph-only key's word (worked out once, not per article)."""

    decisions: dict[str, SpellingDecision]
    scoped: dict[str, dict[str, SpellingDecision]]
    fixes_spans: bool
    spans: tuple[str, ...]
    word_runs: set[str]
    span_runs: set[str]
    scoped_runs: set[str]

    @classmethod
    def of(cls, decisions: dict[str, SpellingDecision]) -> CorrectionTable:
        """Sort the decisions for applying."""
        fixes_spans = any(not _WORD.fullmatch(decided_word(key)) for key in decisions)
        everywhere = {key for key in decisions if decided_word(key) == key}
        spans = tuple(sorted(key for key in everywhere if not _WORD.fullmatch(key)))
        scoped_words = {decided_word(key) for key in decisions.keys() - everywhere}
        return cls(
            decisions,
            _scoped_by_paragraph(decisions),
            fixes_spans,
            spans,
            longest_runs(everywhere.difference(spans)),
            longest_runs(spans),
            longest_runs(scoped_words),
        )

    def may_change(self, paragraphs: pa.Array) -> np.ndarray:
        """Which paragraphs hold, as a whole run of ASCII letters, the longest letter run of a corpus-wide word, or
        of a span they print, or of a paragraph-only key's word and are the paragraph its digest names: over many at
        once (one compiled scan), then the spans and digests looked for in the paragraphs the scan finds holding only
        such a run. apply_corrections leaves every other paragraph as it is: it replaces only words and spans that
        are the decisions' keys in that paragraph, and wherever `_WORD`, `_HYPHEN_BREAK` or `_MISSING_SPACE` find
        one, each of its letter runs is a whole run. A span's run ("website" of "website.He") or a paragraph-only
        key's word ("Mr") is often common: the look in Python spares it the many paragraphs that print it
        elsewhere."""
        found, spanned, scoped = holding_runs(paragraphs, self.word_runs, self.span_runs, self.scoped_runs)
        candidates = np.flatnonzero(spanned & ~found)
        texts = paragraphs.take(pa.array(candidates, pa.int64())).to_pylist()
        found[candidates[[self._prints_a_span(text) for text in texts]]] = True
        candidates = np.flatnonzero(scoped & ~found)
        digests = paragraph_digests(paragraphs.take(pa.array(candidates, pa.int64())))
        found[candidates[[digest in self.scoped for digest in digests]]] = True
        return found

    def _prints_a_span(self, paragraph: str) -> bool:
        """Whether a corpus-wide span is printed in the paragraph."""
        return any(span in paragraph for span in self.spans)


# Alternatives per RE2 pattern: RE2 builds one automaton a pattern within a memory budget, and past about 2,500
# words the search falls back to a much slower one (7,399 words in one pattern took 5.5 times as long as in four).
ALTERNATIVES_PER_PATTERN = 2000
# Texts searched on several threads are cut into this many slices a thread, so a thread slowed by the machine's
# other work leaves fewer texts waiting for it.
SLICES_PER_THREAD = 4
# Where an alternation finds a word only standing alone: with no ASCII letter either side.
STANDING_ALONE = "(?:^|[^A-Za-z])(?:{})(?:[^A-Za-z]|$)"


def alternations(alternatives: list[str], around: str = "{}") -> list[str]:
    """RE2 patterns finding any of `alternatives` (patterns themselves), `ALTERNATIVES_PER_PATTERN` a pattern, each
    alternation put in `around`'s place holder."""
    return [
        around.format("|".join(alternatives[start : start + ALTERNATIVES_PER_PATTERN]))
        for start in range(0, len(alternatives), ALTERNATIVES_PER_PATTERN)
    ]


def matching_any(texts: pa.Array | pa.ChunkedArray, patterns: list[str], threads: int = 1) -> np.ndarray:
    """Per text: whether one of the RE2 `patterns` finds a match in it (Arrow, over every text at once; with
    `threads`, over SLICES_PER_THREAD slices a thread side by side: Arrow's RE2 lets go of the GIL)."""
    if threads > 1 and len(texts) >= threads * SLICES_PER_THREAD:
        bounds = np.linspace(0, len(texts), threads * SLICES_PER_THREAD + 1).astype(np.int64).tolist()
        with ThreadPoolExecutor(threads, thread_name_prefix="matching") as pool:
            slices = (texts.slice(start, end - start) for start, end in pairwise(bounds))
            return np.concatenate(list(pool.map(lambda part: matching_any(part, patterns), slices)))
    found = np.zeros(len(texts), bool)
    for pattern in patterns:
        found |= pc.match_substring_regex(texts, pattern).to_numpy(zero_copy_only=False)
    return found


def apply_corrections(
    paragraphs: list[str], decisions: dict[str, SpellingDecision] | CorrectionTable
) -> tuple[list[str], list[Correction]]:
    """Apply span, then token decisions to an article's paragraphs; return them and one record per fix. Pass a
    CorrectionTable to apply to many."""
    table = decisions if isinstance(decisions, CorrectionTable) else CorrectionTable.of(decisions)
    if not table.decisions:
        return paragraphs, []
    corrections: list[Correction] = []
    corrected = [
        corrected_paragraph(paragraph, place, table, corrections) for place, paragraph in enumerate(paragraphs)
    ]
    return corrected, corrections


def corrected_paragraph(paragraph: str, para_idx: int, table: CorrectionTable, corrections: list[Correction]) -> str:
    """Apply span, then token decisions to the paragraph at `para_idx` of an article; return it and add a record
    per fix to `corrections`. Only a paragraph that may hold a decided span is searched for spans."""
    own = table.scoped.get(paragraph_digest(paragraph)) if table.scoped else None
    in_paragraph = table.decisions | own if own else table.decisions
    if table.fixes_spans and ("- " in paragraph or _SENTENCE_JOIN.search(paragraph)):
        spans = sorted(
            (m.start(), m.end(), m.group()) for p in (_HYPHEN_BREAK, _MISSING_SPACE) for m in p.finditer(paragraph)
        )
        paragraph = _replace(paragraph, spans, in_paragraph, para_idx, corrections)
    if decided := in_paragraph.keys() & text_words(paragraph):
        paragraph = _replace(paragraph, words_at(paragraph, decided), in_paragraph, para_idx, corrections)
    return paragraph


def words_at(text: str, words: Collection[str]) -> list[tuple[int, int, str]]:
    """The (start, end, word) `iter_words` yields for the given words, in order: each place of one found by
    `str.find`, kept where `_WORD` matches just that word. No `_WORD` match starts inside another (its look-behind
    rejects a letter, "'", "’" or "-" before it), so each such match is one `iter_words` finds, unless in a skipped
    span."""
    places = []
    for word in words:
        start = text.find(word)
        while start >= 0:
            if (match := _WORD.match(text, start)) and match.end() == start + len(word):
                places.append((start, match.end(), word))
            start = text.find(word, start + 1)
    if _may_hold_skip_span(text):
        skipped = [match.span() for match in _SKIP_SPANS.finditer(text)]
        places = [place for place in places if not any(s < place[1] and place[0] < e for s, e in skipped)]
    return sorted(places)


def _scoped_by_paragraph(decisions: dict[str, SpellingDecision]) -> dict[str, dict[str, SpellingDecision]]:
    """The paragraph-only decisions by their paragraph's digest, then by the word they fix."""
    scoped: dict[str, dict[str, SpellingDecision]] = defaultdict(dict)
    for key, decision in decisions.items():
        word, mark, digest = key.partition(_SCOPE_MARK)
        if mark:
            scoped[digest][word] = decision
    return dict(scoped)


def _replace(
    paragraph: str,
    matches: list[tuple[int, int, str]],
    decisions: dict[str, SpellingDecision],
    para_idx: int,
    corrections: list[Correction],
) -> str:
    """Replace each (start, end, text) match that has a decision, recording the fix."""
    pieces: list[str] = []
    last = 0
    for start, end, found in matches:
        decision = decisions.get(found)
        if decision is None or start < last:
            continue
        pieces.append(paragraph[last:start] + decision.replacement)
        last = end
        context = paragraph[max(0, start - _CONTEXT_CHARS) : end + _CONTEXT_CHARS]
        corrections.append(
            Correction(para_idx, found, decision.replacement, decision.rule, decision.confidence, context)
        )
    return "".join(pieces) + paragraph[last:]
