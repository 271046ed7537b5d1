"""Text-dump heuristics: find the article body (the main run of prose) in a scrape that lost its HTML,
and remove the furniture around it.

Each non-blank line is classed by its length, terminal punctuation, stopword share and shape (a link,
a date, a bare number). The body is the stretch of lines with the highest score, prose counting for
its words and every other line against, as in boilerpipe's and jusText's block scoring. Outside the
body every line that is not prose goes; inside it, headings and short lines stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from cleaners.edits import Removal, Spared
from cleaners.keep import NOTHING_KEPT, KeptLines, drop_lines
from cleaners.line_words import line_words
from cleaners.memo import LINES_REMEMBERED
from cleaners.rules import BodyRules
from cleaners.sentence_end import ends_with_mark
from cleaners.stopwords import STOPWORDS

# A line ends a sentence with one of these (closing quotes and brackets after it aside).
_SENTENCE_MARKS = ".!?…"
_LINK_LIKE = re.compile(r"https?://|www\.|\S+@\S+\.\w+|\s[|»›>]\s|^[|»›>]|[|»›>]$")
# Every branch of _LINK_LIKE holds one of these; a line without any is no link, found far quicker than the search.
_LINK_MARKS = ("http", "www.", "@", "|", "»", "›", ">")
_DATE_LIKE = re.compile(
    r"^(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*,?\s+)?(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}\s+\w{3,9}\.?\s+\d{4}|"
    r"\w{3,9}\.?\s+\d{1,2},?\s+\d{4})(?:[,\s]+\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?)?(?:\s*\w{2,4})?$",
    re.IGNORECASE,
)
_NUMBER_LIKE = re.compile(r"^[\d\s.,:%/()+-]+\w{0,10}$")
_LIST_ITEM = re.compile(r"^(?:[•·▪●◦‣*–-]|\d{1,3}[.)]?)\s+\S")
# A row of a fixture list or a results table: two named sides with "v" or a score between them ("Mauritius v
# Madagascar", "Arsenal 2-1 Chelsea"); next to another row it is a list line (line_classes). Not "vs": on the
# tune pages rows of "A vs. B" were links to comparison articles.
_FIXTURE_ROW = re.compile(r"^[A-ZÀ-Þ0-9][^.!?:]*\s(?:v|\d{1,3} ?[-–] ?\d{1,3})\s[A-ZÀ-Þ0-9][^.!?:]*$")
# A line's words are its runs of a-z and apostrophes, once lowercased: in its UTF-8 bytes every other byte
# (a multi-byte character's too) becomes a space, and the bytes split on spaces (for a line `line_words` leaves).
_WORD_BYTES = bytes(byte if chr(byte) in "abcdefghijklmnopqrstuvwxyz'" else ord(" ") for byte in range(256))
_STOPWORD_BYTES = frozenset(word.encode() for word in STOPWORDS)


def words_and_stopword_share(line: str) -> tuple[int, float]:
    """A line's whitespace-separated words (`len(line.split())`) and the share of its words that are common function
    words (high in prose, low in menus), from `line_words`' compiled pass (in Python for a line it leaves)."""
    counted = line_words(line)
    if counted is None:
        words = line.lower().encode("utf-8", "surrogatepass").translate(_WORD_BYTES).split()
        return len(line.split()), sum(map(_STOPWORD_BYTES.__contains__, words)) / len(words) if words else 0.0
    words, runs, stopwords = counted
    return words, stopwords / runs if runs else 0.0


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What the body heuristics read of a non-blank line, found once per distinct line: its words, stopword
    share, whether it ends a sentence, the class its shape alone gives (link, date, number, list) if any, and
    whether it reads as a fixture or result row."""

    words: int
    stopword_share: float
    ends_sentence: bool
    shape_class: str | None
    fixture_row: bool


@lru_cache(maxsize=LINES_REMEMBERED)
def line_facts(line: str) -> LineFacts:
    """The facts of a non-blank line (remembered for the most recent distinct lines)."""
    if any(mark in line for mark in _LINK_MARKS) and _LINK_LIKE.search(line):
        shape_class = "link"
    elif _DATE_LIKE.match(line):
        shape_class = "date"
    elif _NUMBER_LIKE.match(line):
        shape_class = "number"
    elif _LIST_ITEM.match(line):
        shape_class = "list"
    else:
        shape_class = None
    ends_sentence = ends_with_mark(line, _SENTENCE_MARKS)
    fixture_row = not ends_sentence and _FIXTURE_ROW.match(line) is not None
    return LineFacts(*words_and_stopword_share(line), ends_sentence, shape_class, fixture_row)


def word_count(line: str) -> int:
    """How many whitespace-separated words a line holds (0 for a blank one)."""
    return line_facts(line).words if line else 0


def is_sentence(line: str, rules: BodyRules) -> bool:
    """True for a line of prose_min_words+ words that ends a sentence."""
    facts = line_facts(line)
    return facts.words >= rules.prose_min_words and facts.ends_sentence


def line_class(line: str, rules: BodyRules) -> str:
    """Class a non-blank line: prose, list (a bulleted or numbered item, or a long row of names and
    figures such as a line-up), link, date, number, or short (headings, menu items, labels)."""
    facts = line_facts(line)
    if facts.shape_class is not None:
        return facts.shape_class
    words, stopwords = facts.words, facts.stopword_share
    if words >= rules.sentence_min_words and facts.ends_sentence and stopwords >= rules.prose_min_stopword_share:
        return "prose"
    if words < rules.prose_min_words:
        return "list" if line.endswith(".") and words >= 2 else "short"  # "P Dowd (Staffordshire)."
    if stopwords >= 2 * rules.prose_min_stopword_share:
        return "prose"  # running text that lost its full stop, like a standfirst
    return "list"


def line_classes(lines: list[str], rules: BodyRules) -> list[str | None]:
    """Each line's class (None for a blank one). Short fixture or result rows at most one line apart (blank
    lines aside) make a table: the rows and a short note between two of them ("Winners meet in final match") are
    list lines. A row alone may be a teaser headline ("Hearts 2-1 Hibs"): it stays short."""
    classes = [line_class(line, rules) if line else None for line in lines]
    content = [index for index, kind in enumerate(classes) if kind is not None]
    rows = [
        position
        for position, index in enumerate(content)
        if classes[index] == "short" and line_facts(lines[index]).fixture_row
    ]
    for first, second in pairwise(rows):
        if second - first <= 2:
            for index in content[first : second + 1]:
                classes[index] = "list" if classes[index] == "short" else classes[index]
    return classes


def body_span(classes: list[str | None], rules: BodyRules, word_counts: list[int]) -> tuple[int, int] | None:
    """Indices [start, end) of the best-scoring run of lines (maximum-sum subarray), or None without prose."""
    best, best_span = 0.0, None
    running, start = 0.0, 0
    for index, kind in enumerate(classes):
        if kind is None:
            continue
        score = word_counts[index] if kind == "prose" else 0 if kind == "list" else -rules.furniture_penalty
        if running <= 0:
            running, start = 0.0, index
        running += score
        if running > best:
            best, best_span = running, (start, index + 1)
    return best_span


def extend_over_lists(classes: list[str | None], start: int, end: int) -> tuple[int, int]:
    """Grow the body over lists that touch it (a line-up or a ranking after the last paragraph is content).

    A list is a run of list lines, which may hold short lines (a label such as "Subs:") between them.
    """
    content = [index for index, kind in enumerate(classes) if kind is not None]
    first, last = content.index(start), content.index(end - 1)
    while first > 0 and _continues_list(classes, content[first - 1 :: -1]):
        first -= 1
    while last + 1 < len(content) and _continues_list(classes, content[last + 1 :]):
        last += 1
    return content[first], content[last] + 1


def _continues_list(classes: list[str | None], ahead: list[int]) -> bool:
    """True when the next line (ahead[0]) is a list item, or a short line with a list item right after it."""
    kinds = [classes[index] for index in ahead[:2]]
    return kinds[:1] == ["list"] or kinds == ["short", "list"]


def body_words(lines: list[str], rules: BodyRules) -> int:
    """How many words of prose the body of these lines holds (0 when there is no prose)."""
    classes = line_classes(lines, rules)
    span = body_span(classes, rules, [word_count(line) for line in lines])
    if span is None:
        return 0
    return sum(word_count(lines[i]) for i in range(*span) if classes[i] == "prose")


def trim_outside_body(
    lines: list[str], rules: BodyRules, keep: KeptLines = NOTHING_KEPT
) -> tuple[list[str], list[Removal], list[Spared]]:
    """Remove every line outside the article body that is not prose, naming its class, unless kept."""
    if not rules.enabled:
        return lines, [], []
    classes = line_classes(lines, rules)
    span = body_span(classes, rules, [word_count(line) for line in lines])
    if span is None:
        return lines, [], []
    start, end = extend_over_lists(classes, *span)
    reasons = [
        f"outside_body:{kind}" if line and (index < start or index >= end) and kind != "prose" else None
        for index, (line, kind) in enumerate(zip(lines, classes))
    ]
    return drop_lines(lines, reasons, keep)
