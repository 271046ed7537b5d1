"""Typed rules for the cleaning steps, built once from the config file by `flows.config`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LineRule:
    """A named whole-line pattern; a matching line is removed with `name` as the reason."""

    name: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class MetadataRules:
    """Labels of metadata lines ("Published: ...", "Source : ...") lifted into fields."""

    published_labels: tuple[str, ...] = ("Published", "Posted", "Updated", "Date")
    source_labels: tuple[str, ...] = ("Source",)
    id_labels: tuple[str, ...] = ("News ID", "Article ID", "Story ID")
    author_labels: tuple[str, ...] = ("By", "Author", "Written by", "Reporting by")
    title_max_words: int = 25


@dataclass(frozen=True)
class CleaningRules:
    """Everything one article's cleaning needs: unicode options, junk rules, metadata labels."""

    uncurl_quotes: bool = False
    junk_rules: tuple[LineRule, ...] = ()
    caption_rules: tuple[LineRule, ...] = ()
    caption_max_words: int = 80
    bullet_chars: str = "•·▪●◦‣-*"
    metadata: MetadataRules = field(default_factory=MetadataRules)


@dataclass(frozen=True)
class SpellingRules:
    """Thresholds of the corpus-aware spelling stage."""

    enabled: bool = True
    min_word_length: int = 5
    max_edit_distance: int = 2
    rare_max_count: int = 1
    min_support_count: int = 2
    min_frequency_ratio: float = 3.0
    proper_noun_min_length: int = 6
    common_word_rank: int = 5000
    name_runon_words: tuple[str, ...] = ("said", "says", "told", "added", "asked", "replied")
    protected_words: frozenset[str] = frozenset()
    min_confidence: float = 0.5
