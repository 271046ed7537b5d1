"""One article's cleaning, in two halves around the corpus-wide boilerplate learning.

prepare: unicode, whitespace, labelled metadata lines (so every source learns from the same lines).
finish: junk sections and lines, learned boilerplate, bylines, title, body trimming (text dumps),
paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from cleaners.body import trim_outside_body
from cleaners.boilerplate import ROOT_SOURCE, LearnedLine, remove_learned_lines
from cleaners.edits import Removal, Spared
from cleaners.junk import EVERY_LINE, ScreenedLines, remove_junk_lines, remove_repeated_runs, remove_sections
from cleaners.keep import NOTHING_KEPT, KeptLines
from cleaners.line_model import drop_unlikely_lines
from cleaners.metadata import ArticleMetadata, lift_bylines, lift_labelled_lines, lift_title
from cleaners.paragraphs import split_paragraphs
from cleaners.rules import CleaningRules
from cleaners.unicode import WhitespaceReport, join_lone_bullets, normalise_whitespace, repair_unicode


@dataclass
class PreparedArticle:
    """Normalised lines and the metadata lifted so far, before any line is judged junk."""

    lines: list[str]
    metadata: ArticleMetadata
    removals: list[Removal] = field(default_factory=list)
    unicode_repaired: bool = False
    whitespace: WhitespaceReport = field(default_factory=lambda: WhitespaceReport(0, 0, 0))
    # Lines whose boilerplate `line_key` is known already (line: key): the read task's, so finishing needs not
    # compute them again.
    line_keys: dict[str, str] = field(default_factory=dict)


@dataclass
class CleanedArticle:
    """An article's paragraphs and metadata after cleaning, with everything removed and why, and the lines
    a maintainer's override kept from a rule."""

    paragraphs: list[str]
    metadata: ArticleMetadata
    removals: list[Removal] = field(default_factory=list)
    spared: list[Spared] = field(default_factory=list)
    unicode_repaired: bool = False
    whitespace: WhitespaceReport = field(default_factory=lambda: WhitespaceReport(0, 0, 0))


def prepare_article(text: str, rules: CleaningRules, metadata: ArticleMetadata | None = None) -> PreparedArticle:
    """Repair unicode, normalise whitespace and lift labelled metadata lines."""
    metadata = metadata or ArticleMetadata()
    repaired, unicode_repaired = repair_unicode(text, uncurl_quotes=rules.uncurl_quotes)
    lines, whitespace = normalise_whitespace(repaired)
    lines = join_lone_bullets(lines, rules.bullet_chars)
    lines, removals = lift_labelled_lines(lines, rules.metadata, metadata)
    return PreparedArticle(lines, metadata, removals, unicode_repaired, whitespace)


def finish_article(
    prepared: PreparedArticle,
    rules: CleaningRules,
    *,
    article_format: str = "txt",
    learned: dict[str, LearnedLine] | None = None,
    source: str = ROOT_SOURCE,
    keep: KeptLines = NOTHING_KEPT,
    screened: ScreenedLines = EVERY_LINE,
) -> CleanedArticle:
    """Remove junk sections, junk lines and learned boilerplate, lift bylines and title, trim a text
    dump to its body; the lines `keep` names stay whatever rule matches them, and only the lines `screened` holds
    may be junk or section headings (`screened_lines` of a batch holding these lines)."""
    metadata = replace(
        prepared.metadata, authors=list(prepared.metadata.authors), external_ids=list(prepared.metadata.external_ids)
    )
    removals = list(prepared.removals)
    spared: list[Spared] = []
    lines, removed, kept = remove_sections(prepared.lines, rules, keep, screened)
    removals.extend(removed)
    spared.extend(kept)
    lines, removed, kept = remove_junk_lines(lines, rules, keep, screened)
    removals.extend(removed)
    spared.extend(kept)
    lines, removed, kept = remove_learned_lines(
        lines, learned or {}, source, rules.bullet_chars, keep, prepared.line_keys
    )
    removals.extend(removed)
    spared.extend(kept)
    lines, removed, kept = remove_repeated_runs(lines, rules.body, keep)
    removals.extend(removed)
    spared.extend(kept)
    container = article_format.split("+")[-1]
    lines, removed = lift_bylines(lines, rules.metadata, metadata, keep, extracted=container == "html")
    removals.extend(removed)
    lines, removed = lift_title(lines, rules.metadata, metadata, keep)
    removals.extend(removed)
    if container in rules.body.formats:
        for trim in (trim_outside_body, drop_unlikely_lines):
            lines, removed, kept = trim(lines, rules.body, keep)
            removals.extend(removed)
            spared.extend(kept)
    return CleanedArticle(
        paragraphs=split_paragraphs(lines),
        metadata=metadata,
        removals=removals,
        spared=spared,
        unicode_repaired=prepared.unicode_repaired,
        whitespace=prepared.whitespace,
    )


def clean_article(
    text: str, rules: CleaningRules, metadata: ArticleMetadata | None = None, article_format: str = "txt"
) -> CleanedArticle:
    """Clean one article on its own (no learned boilerplate); `metadata` holds what its container gave."""
    return finish_article(prepare_article(text, rules, metadata), rules, article_format=article_format)
