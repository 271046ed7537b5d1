"""The RE2 screens of the line rules: every line a junk, caption or section pattern matches passes its screen (on the
seeds, CleanEval's and WCXB's pages as text dumps, the scale corpus's articles and hostile lines), the widened
character classes hold every code point `re`'s do, and a batch's screened lines leave its cleaning as it was."""

import _sre
import re
import sys
from dataclasses import replace
from itertools import chain
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cleaners.article import prepare_article
from cleaners.junk import (
    EVERY_LINE,
    ScreenedLines,
    remove_junk_lines,
    remove_sections,
    screened_lines,
    strip_bullet,
)
from cleaners.rules import LineRule
from cleaners.screen import may_match_any, screens, wider_pattern
from flows.reading.html_text import visible_text
from tests.conftest import import_benchmark

CLEANEVAL_INPUT = Path("/work/shared/data/cleaneval-dev/input")
WCXB_HTML = Path("/work/shared/data/wcxb-dev-articles/html")
# WCXB pages read: a few hundred lines each.
WCXB_PAGES = 150
GENERATED = 400
# Every code point but the surrogates, which no UTF-8 string holds.
CODE_POINTS = [chr(code) for code in chain(range(0xD800), range(0xE000, sys.maxunicode + 1))]
HOSTILE = [
    "PAGE GENERATED IN 0.02 SECONDS",
    "page generated in 0.02 seconds\n",
    "İmage: Reuters",
    "ſhare this",
    "\u212aEEP READING",
    "Related\u00a0articles",
    "Photo:\u2003Jane Doe",
    "12\u0663",
    "\u0661\u0662",
    "• Breaking News",
    "- Read more",
    "Tags: Politics, World",
    "3 comments",
    "Sponsored content",
    "May 26, 2014 at 9:47 pm",
    "\x1cPosted by admin",
]
# Words in a line pattern whose rewrite outgrows RE2's memory budget (some 4 MB of pattern).
WORDS_PAST_RE2 = 20_000


def page_lines(text: str, rules) -> list[str]:
    """A text's lines as they are, and as preparing an article leaves them."""
    return [*text.split("\n"), *prepare_article(text, rules).lines]


@pytest.fixture(scope="module")
def corpus_lines(config, seeds, tmp_path_factory) -> list[str]:
    """Distinct non-blank lines of the seeds, CleanEval's and WCXB's pages, the scale corpus, and hostile lines."""
    texts = list(seeds.values())
    texts += [visible_text(path.read_text(errors="replace")) for path in sorted(CLEANEVAL_INPUT.glob("*.html"))]
    texts += [visible_text(path.read_text(errors="replace")) for path in sorted(WCXB_HTML.glob("*"))[:WCXB_PAGES]]
    folder = tmp_path_factory.mktemp("generated")
    import_benchmark("scale_corpus").write_corpus(folder, 0, GENERATED, as_html=False, workers=1)
    texts += [path.read_text() for path in sorted(folder.rglob("*.txt"))]
    lines = chain(HOSTILE, *(page_lines(text, config.cleaning) for text in texts))
    return [line for line in dict.fromkeys(lines) if line and line.encode("utf-8", "replace").decode() == line]


def rules_of(config):
    cleaning = config.cleaning
    return (*cleaning.junk_rules, *cleaning.caption_rules, *cleaning.section_rules)


def test_the_corpus_holds_lines_of_every_kind_the_rules_remove(config, corpus_lines):
    matched = {rule.name for rule in rules_of(config) for line in corpus_lines if rule.pattern.search(line)}
    assert len(corpus_lines) > 10_000
    assert {"timestamp", "photo_credit", "share_counter", "site_furniture", "comments"} <= matched


def test_every_line_a_rule_matches_passes_its_wider_pattern(config, corpus_lines):
    texts = pa.array(corpus_lines)
    for rule in rules_of(config):
        wider = wider_pattern(rule.pattern)
        assert wider is not None, rule.name
        passed = pc.match_substring_regex(texts, wider).to_pylist()
        missed = [line for line, passes in zip(corpus_lines, passed) if not passes and rule.pattern.search(line)]
        assert missed == [], rule.name


def test_every_line_a_rule_matches_passes_the_rules_screens(config, corpus_lines):
    cleaning = config.cleaning
    bare = [strip_bullet(line, cleaning.bullet_chars) for line in corpus_lines]
    for rules, screened_by in [
        ((*cleaning.junk_rules, *cleaning.caption_rules), cleaning.line_screens),
        (cleaning.section_rules, cleaning.heading_screens),
    ]:
        passed = may_match_any(pa.array(bare), screened_by).to_pylist()
        matched = [any(rule.pattern.search(line) for rule in rules) for line in bare]
        assert not any(match and not passes for match, passes in zip(matched, passed))
        assert sum(passed) < len(bare) / 2  # the screen rules most lines out


def test_a_batchs_screened_lines_leave_its_junk_and_sections_as_they_were(config, corpus_lines):
    cleaning = config.cleaning
    screened = screened_lines(corpus_lines, cleaning)
    assert screened.junk is not None and len(screened.junk) < len(corpus_lines)
    for remove in (remove_junk_lines, remove_sections):
        for start in range(0, len(corpus_lines), 40):
            lines = corpus_lines[start : start + 40]
            assert remove(lines, cleaning, screened=screened) == remove(lines, cleaning)


def test_the_screens_hold_no_unicode_property_class_re2_compiles_slowly(config):
    for screened_by in (config.cleaning.line_screens, config.cleaning.heading_screens):
        assert screened_by and not any(r"\p{" in screen for screen in screened_by)


def test_lines_whose_words_and_digits_are_past_ascii_are_judged_as_without_screens(config):
    lines = [
        "Photo: Zoë Lindqvist/Reuters",
        "Фото: Reuters",
        "\u0663\u0661 comments",
        "١٢٣",
        "Ünïcödé furniture line",
        "Der Minister sprach am Montag über die Brücke.",
        "ça",
    ]
    cleaning = config.cleaning
    screened = screened_lines(lines, cleaning)
    removed = {removal.text for removal in remove_junk_lines(lines, cleaning)[1]}
    assert {"Photo: Zoë Lindqvist/Reuters", "١٢٣"} <= removed
    for remove in (remove_junk_lines, remove_sections):
        assert remove(lines, cleaning, screened=screened) == remove(lines, cleaning)


def test_a_line_the_screen_rules_out_is_not_judged(config):
    lines = ["Copyright 2019 The Associated Press. All rights reserved.", "The minister spoke on Monday."]
    nothing_passes = ScreenedLines(junk=frozenset(), headings=frozenset())
    assert remove_junk_lines(lines, config.cleaning, screened=nothing_passes)[0] == lines
    assert remove_junk_lines(lines, config.cleaning, screened=EVERY_LINE)[0] == lines[1:]
    assert remove_junk_lines(lines, config.cleaning, screened=screened_lines(lines, config.cleaning))[0] == lines[1:]


def test_the_screens_of_equal_rules_are_written_once_in_a_process(config):
    received = replace(config.cleaning)  # another copy of the same rules, as each shard a worker finishes brings
    assert received is not config.cleaning
    assert received.line_screens is config.cleaning.line_screens
    assert received.heading_screens is config.cleaning.heading_screens


def test_a_screen_too_large_for_re2_leaves_every_line_to_the_rules(config):
    """`re` takes the pattern; its rewrite outgrows RE2's memory budget, so no screen can rule a line out."""
    words = re.compile(r"(?i)^" + r"\w+\s+" * WORDS_PAST_RE2 + r"\w+$")
    assert wider_pattern(words) is not None
    cleaning = replace(config.cleaning, junk_rules=(*config.cleaning.junk_rules, LineRule("long_list", words)))
    lines = ["Copyright 2019 The Associated Press. All rights reserved.", "The minister spoke on Monday."]
    assert screened_lines(lines, cleaning).junk is None  # every line may be junk: the rules ask each
    assert may_match_any(pa.array(lines), cleaning.line_screens).to_pylist() == [True, True]
    assert remove_junk_lines(lines, cleaning, screened=screened_lines(lines, cleaning))[0] == lines[1:]


def test_a_screen_too_large_for_re2_is_known_when_the_screens_are_written_not_by_every_batch():
    """The rules go unscreened from the start (None), so no batch's may_match_any asks RE2 to compile it again."""
    words = re.compile(r"(?i)^" + r"\w+\s+" * WORDS_PAST_RE2 + r"\w+$")
    assert screens((re.compile("^a"), words), (False, True)) is None
    assert screens((re.compile("^a"), re.compile(r"(?i)^\w+\s+\w+$")), (False, True)) is not None


def test_a_line_no_utf8_holds_leaves_every_line_to_the_rules(config):
    assert screened_lines(["Read more", "broken \ud800 line"], config.cleaning) == EVERY_LINE


@pytest.mark.parametrize(
    "pattern, wider",
    [
        (r"^a(?=b)c$", r"\Aac(?:\n?\z)"),
        (r"\bx{2,5}?\B", r"(?:x)+"),
        (r"(a)\1", r"(?:a)(?s:.*)"),
        (r"(?i)k", r"(?i:k)"),
        (r"(?i)Hi!", r"(?i:H)[\x{49}\x{69}\x{130}\x{131}](?i:\x{21})"),
        (r"(?i)[^k\d]", r"[^k0-9]"),
        (r"(?>ab)*+.", r"(?:(?:ab))*[^\n]"),
        (r"\w\d", r"[0-9A-Za-z_\x{80}-\x{10FFFF}][0-9\x{80}-\x{10FFFF}]"),
    ],
)
def test_patterns_widen_where_re2_cannot_follow(pattern, wider):
    assert wider_pattern(re.compile(pattern)) == wider


@pytest.mark.parametrize("pattern", [re.compile(r"(a)?(?(1)b|c)"), re.compile(r"\w", re.ASCII), re.compile(b"x")])
def test_patterns_without_a_faithful_widening_get_none_and_leave_their_list_unscreened(pattern):
    assert wider_pattern(pattern) is None
    assert screens((re.compile("x"), pattern), (False, False)) is None


def test_costly_patterns_are_screened_one_each_and_the_rest_anchored_or_not_together():
    patterns = (re.compile("^a"), re.compile("b"), re.compile("^c"), re.compile("d"), re.compile("e"))
    assert screens(patterns, (False, True, False, False, False)) == (
        "b",
        r"(?:\Aa)|(?:\Ac)",
        "(?:d)|(?:e)",
    )


@pytest.mark.parametrize(
    "category",
    [
        r"\d",
        r"\D",
        r"\w",
        r"\W",
        r"\s",
        r"\S",
        r"[^\d]",
        r"[^\w]",
        r"[^\s]",
        r"[^\d\w\s.]",
        r"[\d\s_]",
        "[a-z]",
        "[^a-z]",
    ],
)
@pytest.mark.parametrize("flags", [0, re.IGNORECASE])
def test_wider_classes_hold_every_code_point_re_holds(category, flags):
    pattern = re.compile(category, flags)
    joined = "".join(CODE_POINTS)
    held_by_re = {match.start() for match in pattern.finditer(joined)}
    wider = pc.match_substring_regex(pa.array(CODE_POINTS), rf"\A(?:{wider_pattern(pattern)})\z").to_numpy(
        zero_copy_only=False
    )
    assert [CODE_POINTS[index] for index in sorted(held_by_re) if not wider[index]] == []


def test_re2_case_folding_holds_every_pair_res_ignorecase_matches():
    folds = {}  # each character's lower case (as `re` folds it): the characters `re` holds equal under IGNORECASE
    for character in CODE_POINTS:
        folds.setdefault(chr(_sre.unicode_tolower(ord(character))), []).append(character)
    from re._casefix import _EXTRA_CASES

    missed = []
    for lower, characters in folds.items():
        linked = [*characters]
        for extra in _EXTRA_CASES.get(ord(lower), ()):
            linked += folds.get(chr(extra), [])
        if len(linked) > 1:
            letter = wider_pattern(re.compile(re.escape(lower), re.IGNORECASE))
            found = pc.match_substring_regex(pa.array(linked), rf"\A(?:{letter})\z").to_pylist()
            missed += [character for character, passes in zip(linked, found) if not passes]
    assert missed == []
