"""Typed rules for the cleaning steps, built once from the config file by `flows.config`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated

from annotated_types import Ge, Interval

from cleaners.literals import NO_WORD_LIMIT, Required, required_literals, word_limit
from cleaners.screen import screens

# Bounds flows/config.py checks every value of the config file against.
Share = Annotated[float, Interval(ge=0, le=1)]
AtLeastOne = Annotated[int, Ge(1)]

# Languages the spelling stage has a base word list for (English: symspellpy's).
SPELLING_WORD_LISTS = frozenset({"en"})


@dataclass(frozen=True)
class LineRule:
    """A named whole-line pattern; a matching line is removed with `name` as the reason."""

    name: str
    pattern: re.Pattern[str]
    # Strings one of each set of which every match holds (cleaners/literals.py): a line lacking them skips the pattern.
    required: Required = field(init=False, repr=False, compare=False)
    # The most words a matching line holds (cleaners/literals.py `word_limit`): a longer line skips the pattern.
    max_words: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "required", required_literals(self.pattern))
        object.__setattr__(self, "max_words", word_limit(self.pattern))

    @property
    def prefiltered(self) -> bool:
        """True when a line's words or strings rule the pattern out before it runs: a costly pattern."""
        return bool(self.required) or self.max_words != NO_WORD_LIMIT


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
    title_max_words: AtLeastOne = 25


@dataclass(frozen=True)
class BoilerplateRules:
    """Thresholds for learning a source's recurring lines as boilerplate."""

    enabled: bool = True
    min_articles: AtLeastOne = 3
    min_share: Share = 0.3
    prose_min_words: AtLeastOne = 8
    prose_min_articles: AtLeastOne = 10
    prose_min_share: Share = 0.8


@dataclass(frozen=True)
class BodyRules:
    """Text-dump heuristics: what counts as prose, and what a furniture line costs the body score; and, for
    every format, how long a run of repeated lines must be to go."""

    enabled: bool = True
    formats: tuple[str, ...] = ("txt", "jsonl", "html-dump")
    prose_min_words: AtLeastOne = 8
    sentence_min_words: AtLeastOne = 5
    prose_min_stopword_share: Share = 0.15
    furniture_penalty: Annotated[float, Ge(0)] = 6.0
    line_model: bool = True
    repeated_run_min_lines: AtLeastOne = 5
    repeated_run_min_words: AtLeastOne = 100


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

    @cached_property
    def line_screens(self) -> tuple[str, ...] | None:
        """RE2 screens (cleaners/screen.py) of the junk and caption rules: a line none matches is neither junk nor
        a caption; the costly rules (`LineRule.prefiltered`) one each."""
        rules = (*self.junk_rules, *self.caption_rules)
        return screens(tuple(rule.pattern for rule in rules), tuple(rule.prefiltered for rule in rules))

    @cached_property
    def heading_screens(self) -> tuple[str, ...] | None:
        """RE2 screens of the section rules: a line none matches heads no section."""
        return screens(tuple(rule.pattern for rule in self.section_rules), (False,) * len(self.section_rules))


@dataclass(frozen=True)
class SpellingRules:
    """Thresholds of the corpus-aware spelling stage."""

    enabled: bool = True
    min_word_length: AtLeastOne = 5
    max_edit_distance: AtLeastOne = 2
    rare_max_count: AtLeastOne = 1
    min_support_count: AtLeastOne = 2
    min_frequency_ratio: Annotated[float, Ge(1)] = 3.0
    proper_noun_min_length: AtLeastOne = 6
    common_word_rank: AtLeastOne = 5000
    closed_compound_max_left: Annotated[int, Ge(0)] = 6
    name_runon_words: tuple[str, ...] = ("said", "says", "told", "added", "asked", "replied")
    protected_words: frozenset[str] = frozenset()
    min_confidence: Share = 0.5
    syndicated_max_edit_distance: AtLeastOne = 3
    syndicated_min_ratio: Annotated[float, Ge(1)] = 2.0
    languages: tuple[str, ...] = ("en",)
    foreign_word_languages: tuple[str, ...] = ()
    foreign_word_min_zipf: Annotated[float, Ge(0)] = 4.0
    syndicated_local_max_length: AtLeastOne = 4
    syndicated_common_word_rank: AtLeastOne = 1000
    syndicated_rare_word_rank: AtLeastOne = 30000
    context_typos: bool = True

    def __post_init__(self) -> None:
        unsupported = sorted(set(self.languages) - SPELLING_WORD_LISTS)
        if unsupported:
            raise ValueError(
                f"[spelling] languages {unsupported} have no word list; copydesk has one for {sorted(SPELLING_WORD_LISTS)}"
            )


# The language of an article too short to judge, or whose best guess is unsure (BCP 47's "undetermined").
UNDETERMINED = "und"


@dataclass(frozen=True)
class LanguageRules:
    """How each article's language is detected: on its first `sample_chars` characters, "und" when they hold
    fewer than `min_letters` letters or the best guess is less sure than `min_confidence`."""

    sample_chars: AtLeastOne = 500
    min_letters: Annotated[int, Ge(0)] = 20
    min_confidence: Share = 0.5
