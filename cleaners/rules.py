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
class SectionRule:
    """A heading that introduces a block of junk: it goes with the lines it rules over.

    `until` is "prose" (the short lines after it: a related-links list), "next" (the one line after
    it: a sponsored promo) or "end" (everything after it, if it comes after most of the article's
    prose: a comment section).
    """

    name: str
    pattern: re.Pattern[str]
    until: str


@dataclass(frozen=True)
class MetadataRules:
    """Labels of metadata lines ("Published: ...", "Source : ...") lifted into fields."""

    published_labels: tuple[str, ...] = ("Published", "Posted", "Updated", "Date")
    source_labels: tuple[str, ...] = ("Source",)
    id_labels: tuple[str, ...] = ("News ID", "Article ID", "Story ID")
    author_labels: tuple[str, ...] = ("By", "Author", "Written by", "Reporting by")
    title_max_words: int = 25


@dataclass(frozen=True)
class BoilerplateRules:
    """Thresholds for learning a source's recurring lines as boilerplate."""

    enabled: bool = True
    min_articles: int = 3
    min_share: float = 0.3
    prose_min_words: int = 8
    prose_min_articles: int = 10
    prose_min_share: float = 0.8


@dataclass(frozen=True)
class BodyRules:
    """Text-dump heuristics: what counts as prose, and what a furniture line costs the body score."""

    enabled: bool = True
    formats: tuple[str, ...] = ("txt", "jsonl", "html-dump")
    prose_min_words: int = 8
    sentence_min_words: int = 5
    prose_min_stopword_share: float = 0.15
    furniture_penalty: float = 6.0
    line_model: bool = True


@dataclass(frozen=True)
class CleaningRules:
    """Everything one article's cleaning needs: unicode options, junk rules, metadata labels."""

    uncurl_quotes: bool = False
    junk_rules: tuple[LineRule, ...] = ()
    caption_rules: tuple[LineRule, ...] = ()
    section_rules: tuple[SectionRule, ...] = ()
    caption_max_words: int = 80
    bullet_chars: str = "•·▪●◦‣-*"
    metadata: MetadataRules = field(default_factory=MetadataRules)
    boilerplate: BoilerplateRules = field(default_factory=BoilerplateRules)
    body: BodyRules = field(default_factory=BodyRules)


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
    closed_compound_max_left: int = 6
    name_runon_words: tuple[str, ...] = ("said", "says", "told", "added", "asked", "replied")
    protected_words: frozenset[str] = frozenset()
    min_confidence: float = 0.5
    syndicated_max_edit_distance: int = 3
    syndicated_min_ratio: float = 2.0
