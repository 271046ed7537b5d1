"""ftfy repair and whitespace normalisation."""

import re
import sys

import ftfy
import pytest
from ftfy.badness import BADNESS_RE, is_bad
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.unicode import (
    _BADNESS_SPAN,
    _FULL_WIDTH_SCRIPT,
    _may_be_mojibake,
    normalise_whitespace,
    repair_unicode,
    single_spaced,
)


def test_mojibake_is_repaired():
    repaired, changed = repair_unicode("North Koreaâ€™s leader said â€œnoâ€\x9d.")
    assert repaired == "North Korea’s leader said “no”."
    assert changed


def test_curly_quotes_are_kept_by_default():
    text = "“Sometimes you have to walk,” Mr. Trump said. It’s done."
    assert repair_unicode(text) == (text, False)


def test_curly_quotes_are_straightened_when_asked():
    repaired, changed = repair_unicode("“walk,” he said", uncurl_quotes=True)
    assert repaired == '"walk," he said' and changed


def test_nbsp_and_indentation_are_normalised(seeds):
    lines, report = normalise_whitespace(seeds["001_fbf9d736c58d5084.txt"])
    assert not any("\u00a0" in line for line in lines)
    assert all(line == line.strip() for line in lines)
    assert report.odd_spaces > 0 and report.indented_lines > 0
    assert "President Trump and Mr. Kim Jong-un meet 1-on-1 at the historic Metropole hotel in Hanoi. AP" in lines


def test_space_runs_collapse_but_words_stay():
    lines, _ = normalise_whitespace("  Kim\u00a0 Jong-un\tmet   Trump \u200bin Hanoi.\r\nSecond line")
    assert lines == ["Kim Jong-un met Trump in Hanoi.", "Second line"]


def test_invisible_characters_are_removed_and_counted_and_plain_text_is_kept():
    lines, report = normalise_whitespace("Soft\u00adware and zero\u200bwidth\ufeff joins\nThe plain  line\rends")
    assert lines == ["Software and zerowidth joins", "The plain line", "ends"]
    assert (report.invisible_chars, report.odd_spaces, report.indented_lines) == (3, 0, 0)
    assert normalise_whitespace("Plain ASCII, one space.")[0] == ["Plain ASCII, one space."]


MOJIBAKE_PIECES = [
    "â€™",
    "â€œ",
    "Ã©",
    "Â\xa0",
    "&amp;",
    "&lt;b&gt;",
    "<b>",
    "\r\n",
    "\n",
    "\x85",
    "\x1b[1m",
    "\x07",
    "\ufb01",
    "ＡＢ",
    "e\u0301",
    "“",
    "’",
    "”",
    "‘",
    "–",
    "—",
    "…",
    "€",
    "£",
    "Â",
    "â",
    "\x92",
    "”£",
    "plain words ",
    "Rodong Sinmun ",
    "\u2028",
    "\t",
    "©",
    "°",
    "ç",
    "ñ",
    "é",
    "\xa0",
    "CafÃ©",
    "Â£",
    "Ã",
    "¨",
    "×²",
    "à²",
    "Ø±",
    "œ",
    "Œ",
    "ÿ",
]
LATIN1_TEXT = st.text(alphabet=st.characters(min_codepoint=0xA0, max_codepoint=0xFF) | st.sampled_from("ab .,\n’–•&;#"))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(MOJIBAKE_PIECES) | st.text(max_size=8) | LATIN1_TEXT, max_size=30).map(
        lambda pieces: _FULL_WIDTH_SCRIPT.sub("", "".join(pieces))
    ),
    st.booleans(),
)
def test_repair_unicode_is_exactly_ftfy(text, uncurl_quotes):
    expected = ftfy.fix_text(text, uncurl_quotes=uncurl_quotes, normalization="NFC")
    assert repair_unicode(text, uncurl_quotes=uncurl_quotes) == (expected, expected != text)


def test_repair_unicode_is_exactly_ftfy_on_the_seeds(seeds):
    for text in seeds.values():
        mangled = text.replace("’", "â€™", 3) + "\nAT&amp;T <b>bold</b>\r\nafter &amp; <i>"
        for sample in (text, mangled):
            expected = ftfy.fix_text(sample, uncurl_quotes=False, normalization="NFC")
            assert repair_unicode(sample) == (expected, expected != sample)


def test_latin1_lines_ftfy_would_repair_are_still_repaired():
    text = "CafÃ© society\nPrices from Â£5\nAT&amp;T and Müller\nNorth Koreaâ€™s leader\nSnow at\xa00°C\n• Q&amp;A\n"
    repaired, changed = repair_unicode(text)
    assert repaired == "Café society\nPrices from £5\nAT&T and Müller\nNorth Korea’s leader\nSnow at\xa00°C\n• Q&A\n"
    assert changed


def test_latin1_lines_ftfy_keeps_are_kept():
    text = "© 2005 Café Müller. All rights reserved.\nSnow at\xa00°C in São Paulo, £8m for “Señor” Ibáñez\n• M&S and AT&T\n"
    assert repair_unicode(text) == (text, False)
    assert ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC") == text


def test_ftfy_changes_latin1_text_only_as_mojibake():
    """The fast path's premise: with the mojibake fix off, ftfy leaves every Latin-1 letter and sign, the
    typographic marks it keeps, bullets and an "&" outside an entity as they are, whatever their neighbours."""
    latin1 = "".join(map(chr, range(0xA0, 0x100)))
    text = f"{latin1} a{latin1[::-1]}.\t‘’“”–—…€ • Q&A&#x {latin1[::2]}\n"
    assert ftfy.fix_text(text, fix_encoding=False, uncurl_quotes=False, normalization="NFC") == text
    text_without_quotes = text.replace("‘’“”", "")
    assert ftfy.fix_text(text_without_quotes, fix_encoding=False, uncurl_quotes=True) == text_without_quotes


def test_ftfy_looks_for_mojibake_in_short_sequences_each_holding_a_non_ascii_character():
    """The premise of judging a line only around its non-ASCII characters: every alternative of ftfy's badness
    pattern spans at most _BADNESS_SPAN characters and requires one that only a non-ASCII character matches."""
    tree = re._parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    assert tree.getwidth()[1] <= _BADNESS_SPAN and not BADNESS_RE.flags & re.IGNORECASE
    ((branch_op, (_, alternatives)),) = tree.data
    assert branch_op is re._constants.BRANCH

    def only_non_ascii(op, value) -> bool:
        if op is re._constants.LITERAL:
            return value >= 0x80
        if op is re._constants.IN:
            ranges = [(item, item) if kind is re._constants.LITERAL else item for kind, item in value]
            return all(kind in (re._constants.LITERAL, re._constants.RANGE) for kind, _ in value) and all(
                low >= 0x80 for low, _ in ranges
            )
        return False

    assert all(any(only_non_ascii(op, value) for op, value in alternative) for alternative in alternatives)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(MOJIBAKE_PIECES) | LATIN1_TEXT | st.text(max_size=4), max_size=20).map("".join))
def test_a_line_judged_clean_around_its_non_ascii_characters_is_clean(line):
    assert is_bad(line) <= _may_be_mojibake(line)


def test_chinese_and_japanese_lines_keep_their_full_width_punctuation():
    chinese = "全程仅需一个半小时，比原来（普通列车）快！\n"
    japanese = "京都市で十七日、夏祭りが始まった？\n"
    latin = "ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ"
    repaired, changed = repair_unicode(chinese + japanese + latin)
    assert repaired == chinese + japanese + ftfy.fix_text(latin) and ftfy.fix_text(latin) == "FULLWIDTH letters"
    assert changed


def test_every_whitespace_character_but_the_space_is_unprintable():
    spaces = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
    assert [char for char in spaces if char.isprintable()] == [" "]


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Kim left Hanoi.",
        "",
        " lead",
        "trail ",
        "two  spaces",
        "tab\there",
        "nbsp\u00a0here",
        "sep\x1cx",
        "a \u2028 b",
    ],
)
def test_single_spaced_is_the_words_joined_by_one_space(text):
    assert single_spaced(text) == " ".join(text.split())
