"""Per-source learned boilerplate: lines that recur across many articles of one site.

A line like "Header Ads" on every page of a blog is that blog's furniture, whatever it says. A line
is learned for a source when it appears in at least `min_articles` of the source's articles and at
least `min_share` of them. A line that reads as prose (a real sentence, perhaps a quote several
articles share) must clear the much higher `prose_min_share` in a source of `prose_min_articles`+.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

from cleaners.edits import Removal, Spared
from cleaners.junk import strip_bullet
from cleaners.keep import NOTHING_KEPT, KeptLines, drop_lines
from cleaners.metadata import ArticleMetadata, is_prose
from cleaners.rules import BoilerplateRules
from cleaners.unicode import single_spaced

_DIGITS = re.compile(r"\d+")
ROOT_SOURCE = "(root)"


def line_key(line: str, bullet_chars: str) -> str:
    """Fold bullets, case, digits and spacing so one site's recurring line matches across its pages."""
    return fold_digits(folded_line(line, bullet_chars))


def folded_line(line: str, bullet_chars: str) -> str:
    """A line's `line_key` but its digits: bullets, case and spacing folded."""
    return single_spaced(strip_bullet(line, bullet_chars).casefold())


def fold_digits(folded: str) -> str:
    """A folded line's `line_key`: each run of digits (any script's) as "0"."""
    return _DIGITS.sub("0", folded)


def source_key(source_path: str, metadata: ArticleMetadata) -> str:
    """The site an article came from: its URL's host, its top folder, its source field, or the root."""
    if metadata.url:
        host = urlsplit(metadata.url).hostname
        if host:
            return host.removeprefix("www.")
    if "/" in source_path:
        return source_path.split("/", 1)[0]
    return metadata.source or ROOT_SOURCE


@dataclass(frozen=True)
class LearnedLine:
    """A line learned as one source's boilerplate, with the evidence for it."""

    source: str
    key: str
    example: str
    articles: int
    source_articles: int


@dataclass(frozen=True)
class LineCount:
    """How many of a source's stories hold a line (by its key), with the line as the earliest of them wrote it."""

    source: str
    key: str
    stories: int
    example: str


def article_line_keys(lines: list[str], bullet_chars: str) -> dict[str, str]:
    """An article's line keys, each with the first line that folds to it."""
    return first_lines(lines, (line_key(line, bullet_chars) for line in lines if line))


def first_lines(lines: list[str], keys: Iterable[str]) -> dict[str, str]:
    """Each of `keys` (the `line_key` of each non-empty line of `lines`, in order) with the first line it keys."""
    first: dict[str, str] = {}
    for line, key in zip((line for line in lines if line), keys, strict=True):
        first.setdefault(key, line)
    return first


def count_lines(
    articles: Iterable[tuple[str, list[str]]], rules: BoilerplateRules, bullet_chars: str
) -> tuple[list[LineCount], Counter[str]]:
    """Count, from (source, lines) pairs in order, the stories of each source holding each line, and each
    source's stories; a story counts with the lines of its first article (see story_fingerprint)."""
    counts: dict[tuple[str, str], int] = Counter()
    examples: dict[tuple[str, str], str] = {}
    totals: Counter[str] = Counter()
    stories: set[tuple[str, int]] = set()
    for source, lines in articles:
        keys = article_line_keys(lines, bullet_chars)
        story = (source, story_fingerprint(keys, rules))
        if story in stories:
            continue
        stories.add(story)
        totals[source] += 1
        for key, line in keys.items():
            counts[(source, key)] += 1
            examples.setdefault((source, key), line)
    return [LineCount(source, key, seen, examples[(source, key)]) for (source, key), seen in counts.items()], totals


def decide_boilerplate(
    counts: Iterable[LineCount], totals: Mapping[str, int], rules: BoilerplateRules
) -> dict[str, dict[str, LearnedLine]]:
    """Each source's boilerplate from its line counts and its number of stories."""
    if not rules.enabled:
        return {}
    learned: dict[str, dict[str, LearnedLine]] = {}
    for count in counts:
        total = totals[count.source]
        share = count.stories / total
        if count.stories < rules.min_articles or share < rules.min_share:
            continue
        prose_short_of_share = total < rules.prose_min_articles or share < rules.prose_min_share
        if prose_short_of_share and is_long_prose(count.example, rules):
            continue
        line = LearnedLine(count.source, count.key, count.example, count.stories, total)
        learned.setdefault(count.source, {})[count.key] = line
    return learned


def learn_boilerplate(
    articles: Iterable[tuple[str, list[str]]], rules: BoilerplateRules, bullet_chars: str
) -> dict[str, dict[str, LearnedLine]]:
    """Learn each source's boilerplate from (source, lines) pairs, one pair per article; copies of one story
    count once (see story_fingerprint), so a story a site repeats is never its boilerplate."""
    if not rules.enabled:
        return {}
    return decide_boilerplate(*count_lines(articles, rules, bullet_chars), rules)


def is_long_prose(line: str, rules: BoilerplateRules) -> bool:
    """True for a line that reads as a real sentence of at least `prose_min_words` words."""
    return is_prose(line) and len(line.split()) >= rules.prose_min_words


def story_fingerprint(keys: dict[str, str], rules: BoilerplateRules) -> int:
    """What makes an article its story: its long prose lines (numbers and all), or all its line keys if it has
    none.

    Copies of one story that differ only in furniture (a time, a counter, a list of links) share it, so
    ten copies of a story are one article to learning; a copy with its prose edited counts as another. Stable
    across processes and runs, so stored counts name the same story.
    """
    prose = []
    shortest = 2 * rules.prose_min_words - 1  # n words single-spaced take 2n - 1 characters or more
    for line in keys.values():
        if len(line) < shortest or not is_prose(line):
            continue
        spaced = single_spaced(line)
        if spaced.count(" ") + 1 >= rules.prose_min_words:  # is_long_prose's test, without splitting the line
            prose.append(spaced)
    story = sorted(prose) or sorted(keys)
    digest = hashlib.blake2b("\n".join(story).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def remove_learned_lines(
    lines: list[str],
    learned: dict[str, LearnedLine],
    source: str,
    bullet_chars: str,
    keep: KeptLines = NOTHING_KEPT,
    known_keys: Mapping[str, str] = MappingProxyType({}),
) -> tuple[list[str], list[Removal], list[Spared]]:
    """Drop the lines learned as this source's boilerplate, unless kept; the reason names the source. `known_keys`:
    lines whose `line_key` is known already (line: key), so it is not computed again."""
    if not learned:
        return lines, [], []
    reason = f"learned:{source}"
    reasons: list[str | None] = []
    for line in lines:
        key = known_keys.get(line) if line else None
        if key is None and line:
            key = line_key(line, bullet_chars)
        reasons.append(reason if key in learned else None)
    return drop_lines(lines, reasons, keep)
