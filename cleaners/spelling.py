"""Corpus-aware spelling: typos and run-together words fixed from evidence in the corpus itself.

A word spelled right elsewhere in the corpus is strong evidence that a rare near-miss is a typo of
it ("denculearization" -> "denuclearization"). Each distinct token is judged once per run from
vocabulary counts, then the decisions are applied to every paragraph. Names are only ever changed
toward a name the corpus spells right more often, and only one edit away.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from symspellpy import SymSpell, Verbosity

from cleaners.edits import Correction
from cleaners.rules import SpellingRules

_WORD = re.compile(r"(?<![\w'’-])[A-Za-z]+(?:[-'’][A-Za-z]+)*(?![\w-])")
_SKIP_SPANS = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+|(?<!\w)[#@]\w+")
_CONTEXT_CHARS = 30


@dataclass(frozen=True)
class BaseDictionary:
    """A general English word list with frequencies (symspellpy's) and known word pairs."""

    counts: dict[str, int]
    ranks: dict[str, int]
    bigrams: frozenset[str]

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
class Vocabulary:
    """Token counts over the whole corpus: exact forms, lower-cased forms and word pairs."""

    forms: Counter[str]
    lowered: Counter[str]
    bigrams: Counter[str]

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        """Count the words and adjacent word pairs of every text."""
        forms: Counter[str] = Counter()
        bigrams: Counter[str] = Counter()
        for text in texts:
            words = [word for _, _, word in iter_words(text)]
            forms.update(words)
            bigrams.update(f"{a.lower()} {b.lower()}" for a, b in zip(words, words[1:]))
        lowered: Counter[str] = Counter()
        for form, count in forms.items():
            lowered[form.lower()] += count
        return cls(forms=forms, lowered=lowered, bigrams=bigrams)


def iter_words(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, word) for each word, skipping URLs, e-mail addresses, hashtags and handles."""
    skipped = [match.span() for match in _SKIP_SPANS.finditer(text)]
    for match in _WORD.finditer(text):
        start, end = match.span()
        if not any(s < end and start < e for s, e in skipped):
            yield start, end, match.group()


def _confidence(ratio: float, distance: int, rules: SpellingRules) -> float:
    """Grows with the frequency ratio, shrinks with edit distance; equals 0.5 at the minimum ratio."""
    return round(ratio / (ratio + rules.min_frequency_ratio) * (1 - 0.2 * (distance - 1)), 3)


class SpellingJudge:
    """Judges each distinct token of a corpus once, against the corpus and a base dictionary."""

    def __init__(self, vocabulary: Vocabulary, base: BaseDictionary, rules: SpellingRules) -> None:
        self.vocabulary = vocabulary
        self.base = base
        self.rules = rules
        self.lower_index = self._index(
            word for word, count in vocabulary.lowered.items() if count >= rules.min_support_count and word.isalpha()
        )
        self.name_index = self._index(
            word
            for word, count in vocabulary.forms.items()
            if count >= rules.min_support_count and word.isalpha() and word.istitle()
        )

    def _index(self, words: Iterable[str]) -> SymSpell:
        index = SymSpell(max_dictionary_edit_distance=self.rules.max_edit_distance)
        for word in words:
            index.create_dictionary_entry(word, 1)
        return index

    def is_known(self, word: str) -> bool:
        """True for a word of the base dictionary or one the corpus uses often enough."""
        lowered = word.lower()
        return lowered in self.base.counts or self.vocabulary.lowered[lowered] >= self.rules.min_support_count

    def decide(self, token: str, protected: frozenset[str]) -> SpellingDecision | None:
        """Return the fix for a token, or None when it should stay as it is."""
        rules = self.rules
        if token in protected or token in rules.protected_words or not token.isalpha():
            return None
        if not (token.islower() or token.istitle()) or len(token) < rules.min_word_length:
            return None
        if self.is_known(token) or self.vocabulary.lowered[token.lower()] > rules.rare_max_count:
            return None
        return self._typo(token) or self._split(token)

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
        token_count = max(1, count_of[token])
        ratio = count_of[best.term] / token_count
        runner_up = count_of[ranked[1].term] if len(ranked) > 1 else 0
        if ratio < rules.min_frequency_ratio or count_of[best.term] < rules.min_frequency_ratio * runner_up:
            return None
        return SpellingDecision(best.term, rule, _confidence(ratio, best.distance, rules))

    def _split(self, token: str) -> SpellingDecision | None:
        rules = self.rules
        best: tuple[float, str, str] | None = None
        for cut in range(2, len(token) - 1):
            left, right = token[:cut], token[cut:]
            confidence = self._split_confidence(left, right)
            if confidence and (best is None or confidence > best[0]):
                best = (confidence, left, right)
        if best is not None:
            return SpellingDecision(f"{best[1]} {best[2]}", "split:run_together", best[0])
        if token.istitle():
            for word in rules.name_runon_words:
                name = token[: -len(word)]
                if token.endswith(word) and len(name) >= 2 and not self.is_known(name + word):
                    return SpellingDecision(f"{name} {word}", "split:name_runon", 0.7)
        return None

    def _split_confidence(self, left: str, right: str) -> float:
        """How well a cut is supported: a pair the corpus uses, a known pair, or two known common words."""
        if not (left.islower() and right.islower() and self.is_known(left) and self.is_known(right)):
            return 0.0
        pair = f"{left} {right}"
        if self.vocabulary.bigrams[pair] >= 1:
            return 0.9
        if pair in self.base.bigrams:
            return 0.75
        in_corpus = min(self.vocabulary.lowered[left], self.vocabulary.lowered[right]) >= self.rules.min_support_count
        common = self.base.ranks.get(right, math.inf) <= self.rules.common_word_rank
        return 0.6 if in_corpus and common else 0.0


def decide_corrections(
    vocabulary: Vocabulary, base: BaseDictionary, rules: SpellingRules, protected: frozenset[str] = frozenset()
) -> dict[str, SpellingDecision]:
    """Judge every distinct token of the corpus once; return the confident fixes by token."""
    if not rules.enabled:
        return {}
    judge = SpellingJudge(vocabulary, base, rules)
    decisions = {}
    for token in vocabulary.forms:
        decision = judge.decide(token, protected)
        if decision is not None and decision.confidence >= rules.min_confidence:
            decisions[token] = decision
    return decisions


def apply_corrections(
    paragraphs: list[str], decisions: dict[str, SpellingDecision]
) -> tuple[list[str], list[Correction]]:
    """Apply token decisions to an article's paragraphs; return them and one record per fix."""
    if not decisions:
        return paragraphs, []
    corrected_paragraphs: list[str] = []
    corrections: list[Correction] = []
    for para_idx, paragraph in enumerate(paragraphs):
        pieces: list[str] = []
        last = 0
        for start, end, word in iter_words(paragraph):
            decision = decisions.get(word)
            if decision is None:
                continue
            pieces.append(paragraph[last:start] + decision.replacement)
            last = end
            context = paragraph[max(0, start - _CONTEXT_CHARS) : end + _CONTEXT_CHARS]
            corrections.append(
                Correction(para_idx, word, decision.replacement, decision.rule, decision.confidence, context)
            )
        corrected_paragraphs.append("".join(pieces) + paragraph[last:])
    return corrected_paragraphs, corrections
