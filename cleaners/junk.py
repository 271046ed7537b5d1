"""Junk lines: site furniture, captcha and page-generation lines, share counters, link promos,
photo captions and credits, junk sections (related links, comments, sponsored promos), and long runs of
lines the article already printed (a page that prints its story once for each screen size).

The patterns live in the config (`[[junk.rules]]`, `[[captions.rules]]`, `[[junk.sections]]`); this
module only applies them. A line is tested after list bullets are stripped, so "• Breaking News" is
furniture too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import compress
from typing import TypeVar

import pyarrow as pa

from cleaners.edits import Removal, Spared
from cleaners.keep import NOTHING_KEPT, KeptLines, drop_lines
from cleaners.literals import lowered_for_literals, may_match
from cleaners.memo import remembered_per_line
from cleaners.metadata import is_prose
from cleaners.rules import BodyRules, CleaningRules, LineRule, SectionRule
from cleaners.screen import may_match_any

# A comment section ("12 comments") only counts as one after this share of the article's prose.
_END_SECTION_AFTER = 0.7
REPEATED_RUN = "junk:repeated_run"
T = TypeVar("T")


@dataclass(frozen=True)
class ScreenedLines:
    """Of a batch of lines, those that may be junk or captions (`junk`) and those that may head a junk section
    (`headings`), as the rules' RE2 screens found them: no other line is; None when every line may be."""

    junk: frozenset[str] | None = None
    headings: frozenset[str] | None = None


EVERY_LINE = ScreenedLines()


def screened_lines(lines: Iterable[str], rules: CleaningRules) -> ScreenedLines:
    """The lines (blank ones aside) that may be junk, captions or section headings, each screened once, without
    its bullet, by the rules' RE2 screens (cleaners/screen.py)."""
    distinct = list(dict.fromkeys(filter(None, lines)))
    try:
        bare = pa.array([strip_bullet(line, rules.bullet_chars) for line in distinct], pa.string())
    except (pa.ArrowException, UnicodeEncodeError):  # a lone surrogate: no UTF-8 for RE2
        return EVERY_LINE
    return ScreenedLines(_passing(distinct, bare, rules.line_screens), _passing(distinct, bare, rules.heading_screens))


def _passing(lines: list[str], bare: pa.Array, screened_by: tuple[str, ...] | None) -> frozenset[str] | None:
    """The lines whose bare form (`bare`) a screen matches; None without screens."""
    if screened_by is None:
        return None
    return frozenset(compress(lines, may_match_any(bare, screened_by).to_numpy(zero_copy_only=False)))


def _judged(lines: list[str], judge: Callable[[str], T | None], passed: frozenset[str] | None) -> list[T | None]:
    """`judge`'s verdict on each non-blank line a screen passed (`passed`; every one when None), None on the others."""
    return [judge(line) if line and (passed is None or line in passed) else None for line in lines]


def strip_bullet(line: str, bullet_chars: str) -> str:
    """Return the line without a leading list bullet ("• ", "- ")."""
    if len(line) > 1 and line[0] in bullet_chars and line[1] == " ":
        return line[2:].lstrip()
    return line


def matching_rule(line: str, rules: tuple[LineRule, ...], lowered: str | None, words: int) -> str | None:
    """Return the name of the first rule whose pattern matches the line, if any; `lowered`: the line as
    `lowered_for_literals` gives it, to skip the patterns whose required strings it lacks, and `words`: its words
    (`str.split`), to skip those that match no line so long."""
    for rule in rules:
        if (
            words <= rule.max_words
            and (not rule.required or may_match(lowered, rule.required))
            and rule.pattern.search(line)
        ):
            return rule.name
    return None


def line_junk_reason(line: str, rules: CleaningRules) -> str | None:
    """Return why a (bullet-stripped) line is junk, "junk:<rule>" or "caption:<rule>", or None."""
    lowered = lowered_for_literals(line)
    words = len(line.split())
    junk = matching_rule(line, rules.junk_rules, lowered, words)
    if junk:
        return f"junk:{junk}"
    if words <= rules.caption_max_words:
        caption = matching_rule(line, rules.caption_rules, lowered, words)
        if caption:
            return f"caption:{caption}"
    return None


@remembered_per_line
def _bulleted_junk_reason(line: str, rules: CleaningRules) -> str | None:
    """Why a line, with its bullet, is junk (see line_junk_reason), or None."""
    return line_junk_reason(strip_bullet(line, rules.bullet_chars), rules)


def remove_junk_lines(
    lines: list[str], rules: CleaningRules, keep: KeptLines = NOTHING_KEPT, screened: ScreenedLines = EVERY_LINE
) -> tuple[list[str], list[Removal], list[Spared]]:
    """Drop every line a junk or caption rule matches, unless kept; blank lines are kept as paragraph breaks; the
    rules judge only the lines `screened.junk` holds."""
    reasons = _judged(lines, lambda line: _bulleted_junk_reason(line, rules), screened.junk)
    return drop_lines(lines, reasons, keep)


@remembered_per_line
def _heading_rule(line: str, rules: CleaningRules) -> SectionRule | None:
    """The first section rule whose pattern matches a non-blank line without its bullet, if any."""
    bare = strip_bullet(line, rules.bullet_chars)
    return next((rule for rule in rules.section_rules if bare and rule.pattern.search(bare)), None)


def _section_end(lines: list[str], start: int, rule: SectionRule, prose_before: Callable[[], float]) -> int | None:
    """Index just past the block a section heading at `start` rules over, or None if it is no section
    (`prose_before`: the share of the prose before it, asked only of a section that runs to the end)."""
    if rule.until == "end":
        return len(lines) if prose_before() >= _END_SECTION_AFTER else None
    end = start + 1
    while end < len(lines) and not lines[end]:
        end += 1
    if rule.until == "next":
        return end + 1 if end < len(lines) and not is_prose(lines[end]) else start + 1
    while end < len(lines) and not (lines[end] and is_prose(lines[end])):
        end += 1
    return end


def remove_sections(
    lines: list[str], rules: CleaningRules, keep: KeptLines = NOTHING_KEPT, screened: ScreenedLines = EVERY_LINE
) -> tuple[list[str], list[Removal], list[Spared]]:
    """Drop each junk section: its heading and the lines it rules over, every one with a reason, unless kept; the
    rules judge only the lines `screened.headings` holds."""
    if not rules.section_rules:
        return lines, [], []
    headings = _judged(lines, lambda line: _heading_rule(line, rules), screened.headings)
    if headings.count(None) == len(headings):
        return list(lines), [], []
    prose_words: list[int] = []  # each line's words if it is prose, counted when a section runs to the end
    passed: list[int] = []  # the lines before `index` outside every section found
    reasons: list[str | None] = [None] * len(lines)
    index = 0
    for heading in [position for position, rule in enumerate(headings) if rule]:  # the lines between pass
        if heading < index:
            continue  # inside the section found before it
        passed.extend(range(index, heading))
        rule = headings[heading]
        end = _section_end(lines, heading, rule, _prose_share(lines, passed, prose_words))
        if end is None:
            passed.append(heading)
            index = heading + 1
            continue
        reasons[heading:end] = [f"section:{rule.name}"] * (end - heading)
        index = end
    return drop_lines(lines, reasons, keep)


def _prose_share(lines: list[str], passed: list[int], prose_words: list[int]) -> Callable[[], float]:
    """The share of the article's prose words on the `passed` lines, found only when asked (filling
    `prose_words` once)."""

    def share() -> float:
        if not prose_words:
            prose_words.extend(len(line.split()) if line and is_prose(line) else 0 for line in lines)
        return sum(prose_words[index] for index in passed) / (sum(prose_words) or 1)

    return share


def remove_repeated_runs(
    lines: list[str], rules: BodyRules, keep: KeptLines = NOTHING_KEPT
) -> tuple[list[str], list[Removal], list[Spared]]:
    """Drop each run of `repeated_run_min_lines`+ lines in a row (blank lines aside) that all repeat earlier
    lines of the article and hold `repeated_run_min_words`+ words between them: a story printed again (one
    copy for each screen size). A paragraph repeated alone (a quoted post, a pull quote) stays."""
    distinct = set(lines)
    distinct.discard("")
    if len(lines) - lines.count("") - len(distinct) < rules.repeated_run_min_lines:  # too few repeats for a run
        return list(lines), [], []
    seen: set[str] = set()
    runs: list[list[int]] = [[]]  # the repeated lines between each two lines the article prints first
    for index, line in enumerate(lines):
        if line in seen:
            runs[-1].append(index)
        elif line:
            seen.add(line)
            runs.append([])
    reasons: list[str | None] = [None] * len(lines)
    for run in runs:
        if (
            len(run) >= rules.repeated_run_min_lines
            and sum(len(lines[i].split()) for i in run) >= rules.repeated_run_min_words
        ):
            reasons[run[0] : run[-1] + 1] = [REPEATED_RUN] * (run[-1] + 1 - run[0])
    return drop_lines(lines, reasons, keep)
