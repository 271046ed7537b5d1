"""The strings every match of a junk or caption pattern must hold: a line lacking them skips the pattern, and no
line a pattern matches is ever skipped."""

import re

import pytest

from cleaners.junk import line_junk_reason
from cleaners.literals import (
    _CASE_TRAPS,
    NO_WORD_LIMIT,
    lowered_for_literals,
    may_match,
    required_literals,
    word_limit,
)

# Lines the config's prefiltered patterns match, and lines beside them they must not.
CAPTIONS_AND_LEGAL = [
    "Leaders meet in Hanoi on 28 February 2019. Photo: Saul Loeb /Getty Images.",
    "The president speaks in Vietnam. Photographer: SeongJoon Cho/Getty Images",
    "Flood water in the high street of Tewkesbury (Image: Getty Images)",
    "Rescue workers at the scene on Sunday (PICTURE: Reuters)",
    "Copyright 2019 The Associated Press. All rights reserved.",
    "© 2021 Reuters. This material may not be published, broadcast, rewritten or redistributed.",
    "COPYRIGHT (C) 2020 The Herald",
    "Sign up for our daily newsletter to get the Morning Briefing in your inbox.",
    "Thanks for subscribing!",
    "By clicking Sign up, you agree to our Terms.",
    "The minister told MPs the plan would cost £3bn over five years.",
    "“We are not giving up,” she said (speaking to the BBC on Monday).",
]


def rule(config, name):
    rules = (*config.cleaning.junk_rules, *config.cleaning.caption_rules)
    return next(each for each in rules if each.name == name)


def test_costly_patterns_are_prefiltered_and_anchored_ones_are_not(config):
    assert "copyright" in rule(config, "copyright").required[0]
    assert rule(config, "photo_credit").required == ((":",), ("credit", "image", "photo", "picture"))
    assert rule(config, "bracketed_credit").required == (("(",), (")",))
    assert rule(config, "site_furniture").required == ()  # "^" then a word: re rejects a line at once


@pytest.mark.parametrize("line", CAPTIONS_AND_LEGAL)
def test_no_line_a_pattern_matches_is_skipped(config, line):
    for each in (*config.cleaning.junk_rules, *config.cleaning.caption_rules):
        if each.pattern.search(line):
            assert may_match(lowered_for_literals(line), each.required), each.name


def test_lines_without_the_strings_skip_the_pattern(config):
    lowered = lowered_for_literals("The minister told MPs the plan would cost £3bn over five years.")
    for name in ("copyright", "photo_credit", "bracketed_credit", "newsletter_prompt"):
        assert not may_match(lowered, rule(config, name).required), name


def test_a_letter_re_folds_to_ascii_but_lower_does_not_is_never_prefiltered(config):
    line = "COPYR\u0130GHT 2021 The Times"  # re's IGNORECASE reads "İ" as "i"; "İ".lower() is "i̇"
    assert lowered_for_literals(line) is None
    assert line_junk_reason(line, config.cleaning) == "junk:copyright"


def test_required_strings_follow_the_parse():
    assert required_literals(re.compile(r"(?i)\bmay not be (published|copied),? (broadcast|or)\b")) == (
        ("may not be ",),
        ("copied", "published"),
    )
    assert required_literals(re.compile(r"x(abc|cde)+y")) == (("x",), ("y",), ("abc", "cde"))
    assert required_literals(re.compile(r"(?i)(photo(graph)?|image)s?:")) == ((":",), ("image", "photo"))
    assert required_literals(re.compile(r"\w+(a|bc)?\d")) == ()  # nothing every match must hold


def test_a_pattern_of_many_optional_pieces_stays_few_strings():
    pattern = re.compile("".join(f"({letter}{letter})?" for letter in "abcdefghijklmnopqrstuvwx") + "[xyz]{3}!")
    assert required_literals(pattern) == (("!",),)


def test_the_case_traps_are_every_character_re_folds_to_ascii_that_lower_does_not():
    folds_to_ascii = re.compile("(?i)[\x00-\x7f]")
    traps = [chr(code) for code in range(0x80, 0x110000) if folds_to_ascii.fullmatch(chr(code))]
    assert [trap for trap in traps if not (len(trap.lower()) == 1 and trap.lower().isascii())] == list(_CASE_TRAPS)


def test_patterns_that_bound_a_lines_words_are_skipped_by_longer_lines(config):
    limits = {each.name: each.max_words for each in (*config.cleaning.junk_rules, *config.cleaning.caption_rules)}
    assert {name: limit for name, limit in limits.items() if limit != NO_WORD_LIMIT} == {
        "share_button": 14,
        "newsletter_prompt": 40,
        "copyright": 40,
        "site_notice": 30,
    }
    notice = "You must be logged in to post a comment."
    at_limit = " ".join(["Note:"] * (30 - len(notice.split())) + [notice])
    assert line_junk_reason(at_limit, config.cleaning) == "junk:site_notice"
    assert line_junk_reason(f"Reader {at_limit}", config.cleaning) is None


def test_a_word_bound_is_read_only_from_its_own_shape():
    assert word_limit(re.compile(r"(?i)^(?=(\S+\s+){0,29}\S+$)(?!.*\")x")) == 30
    for pattern in (
        r"(?a)^(?=(\S+\s+){0,29}\S+$)x",  # ASCII \s: a no-break space splits str.split's words, not the pattern's
        r"(?m)^(?=(\S+\s+){0,29}\S+$)x",  # the first line's words bounded, not the string's
        r"^(?=(\S+\s+){1,29}\S+$)x",
        r"^(?=(\S+\s*){0,29}\S+$)x",
        r"^(?=(\S+\s+){0,29}\S+)x",
        r"^(?=(\S+\s+)*\S+$)x",
        r"(?=(\S+\s+){0,29}\S+$)x",
        r"^x(?=(\S+\s+){0,29}\S+$)",
    ):
        assert word_limit(re.compile(pattern)) == NO_WORD_LIMIT, pattern


def test_re_whitespace_is_what_str_split_splits_on():
    space = re.compile(r"\s")
    assert [code for code in range(0x110000) if bool(space.match(chr(code))) != chr(code).isspace()] == []
