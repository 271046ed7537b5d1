"""Junk lines: site furniture, captcha and page-generation lines, share counters, link promos,
photo captions and credits.

The patterns live in the config (`[[junk.rules]]`, `[[captions.rules]]`); this module only applies
them. A line is tested after list bullets are stripped, so "• Breaking News" is furniture too.
"""

from __future__ import annotations

from cleaners.edits import Removal
from cleaners.rules import CleaningRules, LineRule


def strip_bullet(line: str, bullet_chars: str) -> str:
    """Return the line without a leading list bullet ("• ", "- ")."""
    if len(line) > 1 and line[0] in bullet_chars and line[1] == " ":
        return line[2:].lstrip()
    return line


def matching_rule(line: str, rules: tuple[LineRule, ...]) -> str | None:
    """Return the name of the first rule whose pattern matches the line, if any."""
    for rule in rules:
        if rule.pattern.search(line):
            return rule.name
    return None


def line_junk_reason(line: str, rules: CleaningRules) -> str | None:
    """Return why a (bullet-stripped) line is junk, "junk:<rule>" or "caption:<rule>", or None."""
    junk = matching_rule(line, rules.junk_rules)
    if junk:
        return f"junk:{junk}"
    if len(line.split()) <= rules.caption_max_words:
        caption = matching_rule(line, rules.caption_rules)
        if caption:
            return f"caption:{caption}"
    return None


def remove_junk_lines(lines: list[str], rules: CleaningRules) -> tuple[list[str], list[Removal]]:
    """Drop every line a junk or caption rule matches; blank lines are kept as paragraph breaks."""
    kept: list[str] = []
    removals: list[Removal] = []
    for line in lines:
        if not line:
            kept.append(line)
            continue
        bare = strip_bullet(line, rules.bullet_chars)
        reason = line_junk_reason(bare, rules)
        if reason is None:
            kept.append(line)
        else:
            removals.append(Removal(text=line, reason=reason))
    return kept, removals
