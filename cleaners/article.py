"""One article's cleaning, step by step: unicode, whitespace, metadata, junk, bylines, title, paragraphs."""

from __future__ import annotations

from dataclasses import dataclass, field

from cleaners.edits import Removal
from cleaners.junk import remove_junk_lines
from cleaners.metadata import ArticleMetadata, lift_bylines, lift_labelled_lines, lift_title
from cleaners.paragraphs import split_paragraphs
from cleaners.rules import CleaningRules
from cleaners.unicode import WhitespaceReport, normalise_whitespace, repair_unicode


@dataclass
class CleanedArticle:
    """An article's paragraphs and metadata after cleaning, with everything removed and why."""

    paragraphs: list[str]
    metadata: ArticleMetadata
    removals: list[Removal] = field(default_factory=list)
    unicode_repaired: bool = False
    whitespace: WhitespaceReport = WhitespaceReport(0, 0, 0)


def clean_article(text: str, rules: CleaningRules, metadata: ArticleMetadata | None = None) -> CleanedArticle:
    """Clean one article's raw text; `metadata` holds fields its container already gave."""
    metadata = metadata or ArticleMetadata()
    repaired, unicode_repaired = repair_unicode(text, uncurl_quotes=rules.uncurl_quotes)
    lines, whitespace = normalise_whitespace(repaired)
    removals: list[Removal] = []
    lines, removed = lift_labelled_lines(lines, rules.metadata, metadata)
    removals.extend(removed)
    lines, removed = remove_junk_lines(lines, rules)
    removals.extend(removed)
    for step in (lift_bylines, lift_title):
        lines, removed = step(lines, rules.metadata, metadata)
        removals.extend(removed)
    return CleanedArticle(
        paragraphs=split_paragraphs(lines),
        metadata=metadata,
        removals=removals,
        unicode_repaired=unicode_repaired,
        whitespace=whitespace,
    )
