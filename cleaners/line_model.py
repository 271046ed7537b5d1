"""A learned line classifier for text dumps: is a line part of the article?

Each non-blank line is described by features that carry over to sites nobody has seen (its length,
sentence end, stopword share, shape, a "Label:" prefix, where it stands, its neighbours and whether it
lies in the body span). A logistic model over them, trained on one split of the benchmark pages
(`benchmarks/train_line_model.py`) and shipped as `line_model.json`, gives each line a probability.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from cleaners.body import body_span, extend_over_lists, is_sentence, line_classes, line_facts, word_count
from cleaners.edits import Removal, Spared
from cleaners.keep import NOTHING_KEPT, KeptLines, drop_lines
from cleaners.memo import LINES_REMEMBERED
from cleaners.rules import BodyRules

MODEL_FILE = Path(__file__).with_name("line_model.json")
CLASSES = ("prose", "list", "short", "link", "date", "number")
_LABEL_PREFIX = re.compile(r"^[\w'’ -]{1,30}\s?[:|»›]")
_WORD = re.compile(r"\w+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Bytes of a line as _digits_and_tokens reads them: a word character (\w) stays, any other byte becomes a space.
_ASCII_WORD_BYTES = bytes(byte if chr(byte).isalnum() or chr(byte) == "_" else ord(" ") for byte in range(128))
_ASCII_WORD_BYTES += b" " * 128
_DIGIT_BYTES = b"0123456789"
# Each class as the model reads it: one 0/1 feature per class.
_ONE_HOT = {kind: tuple(float(kind == name) for name in CLASSES) for kind in CLASSES}
_SENTENCE_CLOSERS = frozenset(".!?\"'”’)")


def _digits_and_tokens(line: str) -> tuple[int, int, int]:
    """A line's digits, its \\w+ tokens, and the characters in them."""
    others = _NON_ASCII.findall(line)
    if any(map(str.isalnum, others)):  # a letter or digit beyond ASCII: Unicode's rules, character by character
        tokens = _WORD.findall(line)
        return sum(map(str.isdigit, line)), len(tokens), sum(map(len, tokens))
    data = line.encode("ascii", "replace")  # each other character (a curly quote, a dash) a "?": no word, no digit
    spaced = data.translate(_ASCII_WORD_BYTES)
    return len(data) - len(data.translate(None, _DIGIT_BYTES)), len(spaced.split()), len(spaced) - spaced.count(b" ")


@lru_cache(maxsize=LINES_REMEMBERED)
def _line_shape(line: str) -> tuple[float, ...]:
    """Features of the line alone but its class: length, stopwords, case, digits and a label prefix."""
    facts = line_facts(line)
    digits, tokens, token_chars = _digits_and_tokens(line)
    capitalised = sum(1 for word in line.split() if "A" <= word[0] <= "Z") / facts.words
    return (
        math.log1p(facts.words),
        facts.stopword_share,
        capitalised,
        digits / len(line),
        float(bool(_LABEL_PREFIX.match(line))),
        float(line[-1] in _SENTENCE_CLOSERS),
        token_chars / tokens / 10 if tokens else 0.0,
    )


def _shape(line: str, kind: str) -> list[float]:
    """Features of the line alone: length, class, stopwords, case, digits and a label prefix."""
    return [*_line_shape(line), *_ONE_HOT[kind]]


def classes_and_span(lines: list[str], rules: BodyRules) -> tuple[list[str | None], tuple[int, int]]:
    """Each line's class (None for a blank one) and the body span ((0, 0) without prose)."""
    classes = line_classes(lines, rules)
    return classes, body_span(classes, rules, [word_count(line) for line in lines]) or (0, 0)


def line_features(
    lines: list[str],
    rules: BodyRules,
    classified: tuple[list[str | None], tuple[int, int]] | None = None,
    wanted: Collection[int] | None = None,
) -> list[list[float] | None]:
    """Features of each line (None for a blank one, and for one not in `wanted` when given): its shape, its
    neighbours' and its place in the text (`classified`: the lines' classes_and_span, when already known)."""
    classes, span = classified or classes_and_span(lines, rules)
    content = [index for index, line in enumerate(lines) if line]
    total = len(content)
    features: list[list[float] | None] = [None] * len(lines)
    for order, index in enumerate(content):
        if wanted is not None and index not in wanted:
            continue
        before = content[order - 1] if order else None
        after = content[order + 1] if order + 1 < total else None
        window = content[max(0, order - 3) : order + 4]
        inside = span[0] <= index < span[1]
        distance = 0 if inside else min(abs(index - span[0]), abs(index - (span[1] - 1)))
        features[index] = [
            *_shape(lines[index], classes[index] or "short"),
            *(_line_shape(lines[before])[:2] if before is not None else [0.0, 0.0]),
            *(_line_shape(lines[after])[:2] if after is not None else [0.0, 0.0]),
            sum(classes[i] == "prose" for i in window) / len(window),
            float(inside),
            math.log1p(distance),
            order / total,
            float(order == 0 or order + 1 == total),
        ]
    return features


@dataclass(frozen=True)
class LineModel:
    """Logistic weights (the last is the bias) and the probability under which a line is furniture."""

    weights: tuple[float, ...]
    threshold: float

    def probability(self, features: list[float]) -> float:
        """The model's probability that a line with these features belongs to the article."""
        score = self.weights[-1] + sum(map(operator.mul, self.weights, features))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, score))))


@cache
def shipped_model() -> LineModel:
    """The model shipped with copydesk (cleaners/line_model.json)."""
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return LineModel(tuple(data["weights"]), data["threshold"])


def drop_unlikely_lines(
    lines: list[str], rules: BodyRules, keep: KeptLines = NOTHING_KEPT
) -> tuple[list[str], list[Removal], list[Spared]]:
    """Remove the lines the shipped model finds unlikely to belong to the article ("body_model:<class>");
    inside the body (grown over its lists) a list item or a finished sentence of prose_min_words+ words stays.
    Without a body to judge against (no line reads as prose: a text in a language or script the model was
    not trained on, a list), nothing is removed."""
    if not (rules.enabled and rules.line_model) or not any(lines):
        return lines, [], []
    classes, span = classes_and_span(lines, rules)
    if span[1] <= span[0]:
        return lines, [], []
    model = shipped_model()
    start, end = extend_over_lists(classes, *span)
    judged = {
        index
        for index, line in enumerate(lines)
        if line and not (start <= index < end and (classes[index] == "list" or is_sentence(line, rules)))
    }
    reasons = [
        f"body_model:{classes[index]}"
        if features is not None and model.probability(features) < model.threshold
        else None
        for index, features in enumerate(line_features(lines, rules, (classes, span), judged))
    ]
    return drop_lines(lines, reasons, keep)
