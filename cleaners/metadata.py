"""Metadata lines lifted out of the text into fields: title, published date, source, ids, authors.

A scraped text dump carries its metadata as lines ("News ID: 239617", "Published: 0337 GMT
March 01, 2019", "Source : Nytimes", "— Austin Ramzy"); they become columns, not body text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache
from itertools import islice

from dateutil import parser as dateparser

from cleaners.edits import Removal
from cleaners.keep import NOTHING_KEPT, KeptLines
from cleaners.memo import LINES_REMEMBERED
from cleaners.rules import MetadataRules
from cleaners.sentence_end import ends_with_mark
from cleaners.stopwords import STOPWORDS

_NAME_TOKEN = r"[A-Z][a-zA-Z'’]*\.?(?:-[A-Za-z][a-zA-Z'’]*)*"
_NAME = rf"{_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{1,3}}"
_DASH_BYLINE = re.compile(rf"^[—–-]\s*({_NAME})$")
_DASH_LED = re.compile(r"^[—–-]\s")
# trafilatura writes each list item as "- item": in text it extracted, a line led so is an item, never a byline.
EXTRACTED_LIST_ITEM = "- "
_BARE_NAME = re.compile(rf"^({_NAME})$")
# A line holding a link or a row of links is no headline (is_title_like); nor is one ending in a clause mark.
_LINK_ROW = re.compile(r"\s[|»›]\s|https?://|www\.")
_ENDS_CLAUSE = re.compile(r"[.!;,:]$")
_BY_LINE = re.compile(rf"^By\s+({_NAME}(?:\s*(?:,|and)\s*{_NAME})*)$")
# A line can be a dash byline (_DASH_BYLINE) or a "By" one (_BY_LINE) only if it opens with one of these.
_DASHES = ("—", "–", "-")
_BYLINE_OPENERS = (*_DASHES, "By")
# Words no name holds but buttons and menus do ("Learn More", "Contact Us", "Who We Are"): function words and
# pronouns ("Will" is a first name), and the verbs that open a button or a link ("Sign In", "View All").
_NOT_IN_NAMES = (STOPWORDS - {"will"}) | {"us", "your", "my", "me"}
_BUTTON_VERBS = frozenset(
    "learn read view submit sign log download accept close explore load get start discover select change continue "
    "join ask contact subscribe follow share reach call click go see find shop book watch try back".split()
)
TRAILING_MENU = "junk:trailing_menu"
_GMT_TIME_FIRST = re.compile(r"^(\d{1,2}):?(\d{2})\s*(?:GMT|UTC|Z)\s+(.+)$", re.IGNORECASE)
_HAS_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|\b(?:GMT|UTC)\b", re.IGNORECASE)
# A line reads as running text when it ends with one of these (closing quotes and brackets after it aside).
_PROSE_MARKS = ".!?;:"
_PUNCT = re.compile(r"[^\w\s]")
# A word of a title's key (`title_key`): a run of word characters.
_KEY_WORD = re.compile(r"\w+")


@dataclass
class ArticleMetadata:
    """Fields lifted from an article's text or given by its container (HTML, JSONL)."""

    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    external_ids: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)


def parse_published(value: str) -> str | None:
    """Return an ISO 8601 date (or date-time, when the value has a time) or None if unparseable.

    A value without a four-digit year is not a date: dateutil would fill the gaps from today.
    """
    return _parsed_published(value.strip())


@lru_cache(maxsize=LINES_REMEMBERED)
def _parsed_published(value: str) -> str | None:
    """parse_published of a stripped value, remembered: a corpus prints the same dates again and again, and
    dateutil takes about 0.03 ms a value."""
    if not _HAS_YEAR.search(value):
        return None
    time_first = _GMT_TIME_FIRST.match(value)
    if time_first:
        hour, minute, rest = time_first.groups()
        value = f"{rest} {hour}:{minute} UTC"
    try:
        parsed = dateparser.parse(value, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if not 1900 <= parsed.year <= 2100:
        return None
    if not _HAS_TIME.search(value):
        return parsed.date().isoformat()
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.isoformat()


@lru_cache(maxsize=64)
def _label_pattern(labels: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    return re.compile(rf"^(?:{alternatives})\s*:\s*(\S.*)$", re.IGNORECASE)


def lift_labelled_lines(
    lines: list[str], rules: MetadataRules, metadata: ArticleMetadata
) -> tuple[list[str], list[Removal]]:
    """Move "Label: value" lines (published, source, ids, authors) into `metadata`."""
    published = _label_pattern(rules.published_labels)
    source = _label_pattern(rules.source_labels)
    ids = _label_pattern(rules.id_labels)
    authors = _label_pattern(tuple(label for label in rules.author_labels if label != "By"))
    kept: list[str] = []
    removals: list[Removal] = []
    for line in lines:
        if ":" not in line:  # every label ends in a colon: most lines need no pattern tried
            kept.append(line)
            continue
        reason = None
        if match := published.match(line):
            if (date := parse_published(match.group(1))) is not None:
                metadata.published = metadata.published or date
                reason = "metadata:published"
        elif (match := source.match(line)) and len(match.group(1).split()) <= 6:
            metadata.source = metadata.source or match.group(1).strip()
            reason = "metadata:source"
        elif (match := ids.match(line)) and len(match.group(1).split()) == 1:
            metadata.external_ids.append(match.group(1))
            reason = "metadata:id"
        elif (match := authors.match(line)) and _BARE_NAME.match(match.group(1)):
            metadata.authors.append(match.group(1))
            reason = "metadata:author"
        if reason:
            removals.append(Removal(text=line, reason=reason))
        else:
            kept.append(line)
    return kept, removals


@lru_cache(maxsize=LINES_REMEMBERED)
def is_prose(line: str) -> bool:
    """True for a line that reads as running text: ends a sentence or is long."""
    return ends_with_mark(line, _PROSE_MARKS) or len(line.split()) >= 12


def is_menu_label(line: str) -> bool:
    """True for a name-like line that is a button or a menu item: it holds a function word or a pronoun, a word
    in capitals ("SKIP ADVERTISEMENT"), or opens with a button's verb; an initial ("A Freeland") is no word."""
    words = line.split()
    return words[0].lower() in _BUTTON_VERBS or any(
        len(word) > 1 and (word.lower() in _NOT_IN_NAMES or (len(word) > 2 and word.isupper())) for word in words
    )


def lift_bylines(
    lines: list[str],
    rules: MetadataRules,
    metadata: ArticleMetadata,
    keep: KeptLines = NOTHING_KEPT,
    *,
    extracted: bool = False,
) -> tuple[list[str], list[Removal]]:
    """Move byline lines ("— Austin Ramzy", "By Jane Doe", a bare name after the body) into authors; a kept
    line stays, and so does a dash-led name beside another dash-led line (an item of a list), or in `extracted`
    text (trafilatura's) one led by its list mark, "- ". A name-like line after the body that is a button or
    menu item ("Learn More"), or any such line in `extracted` text (its page's markup names the authors), is
    removed as TRAILING_MENU and names nobody."""
    by_line = _BY_LINE if "By" in rules.author_labels else None
    last_prose = next((i for i in range(len(lines) - 1, -1, -1) if lines[i] and is_prose(lines[i])), -1)
    openers = _BYLINE_OPENERS if by_line else _DASHES
    candidates = [i for i, line in enumerate(lines[: last_prose + 1]) if line.startswith(openers)]
    candidates.extend(range(last_prose + 1, len(lines)))
    listed: set[int] = set()
    if any(lines[index].startswith(_DASHES) for index in candidates):  # only a dash-led line is ever listed
        listed = _dash_list_items(lines)
        if extracted:
            listed.update(index for index, line in enumerate(lines) if line.startswith(EXTRACTED_LIST_ITEM))
    lifted: set[int] = set()
    removals: list[Removal] = []
    for index in candidates:
        line = lines[index]
        names: list[str] = []
        reason = "metadata:byline"
        if index not in listed and (match := _DASH_BYLINE.match(line)):
            names = [match.group(1)]
        elif by_line and (match := by_line.match(line)):
            names = [name.strip() for name in re.split(r",|\band\b", match.group(1)) if name.strip()]
        elif index > last_prose and (match := _BARE_NAME.match(line)):
            names = [match.group(1)]
            reason = TRAILING_MENU if extracted or is_menu_label(line) else reason
        if names and keep.override_for(line) is None:
            if reason != TRAILING_MENU:
                metadata.authors.extend(name for name in names if name not in metadata.authors)
            removals.append(Removal(text=line, reason=reason))
            lifted.add(index)
    return [line for index, line in enumerate(lines) if index not in lifted] if lifted else list(lines), removals


def _dash_list_items(lines: list[str]) -> set[int]:
    """Indexes of dash-led lines whose previous or next non-blank line is led by the same dash: a list's items."""
    content = [index for index, line in enumerate(lines) if line]
    marks = [None, *(lines[index][0] if _DASH_LED.match(lines[index]) else None for index in content), None]
    return {
        index
        for order, index in enumerate(content, 1)
        if marks[order] and marks[order] in (marks[order - 1], marks[order + 1])
    }


def _ends_long_sentence(line: str) -> bool:
    """A line of running text (six or more words ending a sentence): the body has begun."""
    return ends_with_mark(line, _PROSE_MARKS) and len(line.split()) >= 6


def title_key(text: str) -> str:
    """Fold case, punctuation and spacing so a repeated title is recognised."""
    return " ".join(_PUNCT.sub(" ", text.casefold()).split())


def has_title_key(line: str, wanted: str) -> bool:
    """Whether the line's `title_key` is `wanted`; its first word is compared first, so that most paragraphs are told
    apart without their whole key."""
    first = _KEY_WORD.search(line.casefold())
    return (first.group() if first else "") == wanted.partition(" ")[0] and title_key(line) == wanted


def is_title_like(line: str, rules: MetadataRules) -> bool:
    """True for a short line that does not end a sentence and is not a row of links, as headlines are."""
    words = line.split()
    if _LINK_ROW.search(line):
        return False
    return 2 <= len(words) <= rules.title_max_words and not _ENDS_CLAUSE.search(line)


def lift_title(
    lines: list[str], rules: MetadataRules, metadata: ArticleMetadata, keep: KeptLines = NOTHING_KEPT
) -> tuple[list[str], list[Removal]]:
    """Take the headline (the first headline-like line before the prose starts) when none is known,
    and drop its repeats at the top of the body; a kept line is neither."""
    removals: list[Removal] = []
    headline = _headline(lines, rules, keep) if metadata.title is None else None
    if headline is not None:
        metadata.title = lines[headline]
        removals.append(Removal(text=lines[headline], reason="metadata:title"))
        lines = lines[:headline] + lines[headline + 1 :]
    if metadata.title:
        wanted = title_key(metadata.title)
        top = islice((i for i, line in enumerate(lines) if line), 3)
        head = {i for i in top if has_title_key(lines[i], wanted) and keep.override_for(lines[i]) is None}
        removals.extend(Removal(text=lines[i], reason="repeated_title") for i in sorted(head))
        if head:
            lines = [line for i, line in enumerate(lines) if i not in head]
    return lines, removals


def _headline(lines: list[str], rules: MetadataRules, keep: KeptLines) -> int | None:
    """The index of the first headline-like line (not kept) before the prose starts, if the text has two lines or
    more."""
    content = [i for i, line in enumerate(lines) if line]
    if len(content) < 2:
        return None
    first_sentence = next((n for n, i in enumerate(content) if _ends_long_sentence(lines[i])), len(content))
    head = content[:first_sentence]
    return next((i for i in head if is_title_like(lines[i], rules) and keep.override_for(lines[i]) is None), None)
