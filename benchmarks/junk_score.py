"""Scoring a cleaned page against the record of what was injected: junk that survived, article text lost."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher

from junk_sites import Line, Page

# Junk lines with fewer words than this ("Home", "12", "Share this") only count as surviving when a whole
# output paragraph is exactly that line; longer ones also when they sit inside a paragraph.
SHORT_JUNK_WORDS = 3
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PageResult:
    """What survived and what was lost on one page."""

    page: Page
    survivors: tuple[Line, ...]
    article_words: int
    kept_words: int
    lost_passages: tuple[str, ...]

    @property
    def junk_lines(self) -> int:
        """Number of junk lines injected into the page."""
        return sum(line.role == "junk" for line in self.page.lines)


def normalise(text: str) -> str:
    """NFC with whitespace runs collapsed, as copydesk writes its text."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a cleaned text (separated by blank lines), normalised."""
    return [normalise(part) for part in re.split(r"\n\s*\n", text) if part.strip()]


def occurrences(line: str, paras: list[str]) -> int:
    """How often a line appears in paragraphs: as a whole paragraph if short, else also inside one."""
    if len(line.split()) < SHORT_JUNK_WORDS:
        return sum(para == line for para in paras)
    return sum(para.count(line) for para in paras)


def surviving_junk(page: Page, output: list[str]) -> list[Line]:
    """Junk lines still in the output, beyond the times the same text occurs in the article itself."""
    article = [normalise(text) for text in page.article.paragraphs]
    by_text: dict[str, list[Line]] = defaultdict(list)
    for line in page.lines:
        if line.role == "junk":
            by_text[normalise(line.text)].append(line)
    survivors: list[Line] = []
    for text, lines in by_text.items():
        extra = occurrences(text, output) - occurrences(text, article)
        survivors.extend(lines[: max(0, extra)])
    return survivors


def words(text: str) -> list[str]:
    """Lowercased word tokens."""
    return [word.lower() for word in _WORD.findall(text)]


def lost_passages(article_text: str, output_text: str) -> list[str]:
    """Runs of article words that the output does not have, in article order (word alignment)."""
    spans = list(_WORD.finditer(article_text))
    ours = [span.group().lower() for span in spans]
    matcher = SequenceMatcher(None, ours, words(output_text), autojunk=False)
    passages, start = [], 0
    for block in matcher.get_matching_blocks():
        if block.a > start:
            passages.append(article_text[spans[start].start() : spans[block.a - 1].end()])
        start = block.a + block.size
    return passages


def score_page(page: Page, output_text: str) -> PageResult:
    """Compare one cleaned page with the record of its lines."""
    article_text = "\n\n".join(page.article.paragraphs)
    article_words = Counter(words(article_text))
    kept = article_words & Counter(words(output_text))
    return PageResult(
        page=page,
        survivors=tuple(surviving_junk(page, paragraphs(output_text))),
        article_words=sum(article_words.values()),
        kept_words=sum(kept.values()),
        lost_passages=tuple(lost_passages(article_text, output_text)),
    )
