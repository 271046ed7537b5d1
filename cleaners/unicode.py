"""Unicode repair (ftfy) and whitespace normalisation.

ftfy undoes mojibake ("donâ€™t" -> "don’t") and odd encodings; quotes are left as the
source styled them unless the config asks otherwise, since dedup folds quote styles itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ftfy
from ftfy.badness import is_bad
from ftfy.chardata import HTML_ENTITY_RE

from cleaners.memo import LINES_REMEMBERED

# NBSP, the typographic spaces, narrow NBSP, medium math space, ideographic space, tab.
_ODD_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\v\f]")
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
_SPACE_RUNS = re.compile(" {2,}")
# Characters ftfy leaves as they are: printable ASCII but "&" (HTML entities), tabs, and the curly quotes,
# dashes, ellipsis and euro sign news text is full of. None of these is a UTF-8 continuation byte in the
# encodings ftfy undoes (Windows-1252, Latin-1, Mac Roman, ...), so without a letter such as "â" or "£"
# beside them they are never mojibake; ftfy changes them only when asked to uncurl quotes.
_PLAIN_ASCII = "\t\n\x20-\x25\x27-\x7e"
_TYPOGRAPHIC = "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u20ac"
# The first character outside them, by whether quotes are uncurled: only its line can need ftfy.
_NOT_PLAIN = {False: re.compile(f"[^{_PLAIN_ASCII}{_TYPOGRAPHIC}]"), True: re.compile(f"[^{_PLAIN_ASCII}]")}
# Lines of those characters with Latin-1 letters and signs ("©", "£", "°", "é", NBSP), list bullets ("•") and "&" too:
# on these every ftfy fix but the mojibake one and HTML unescaping leaves the line as it is (no C1 control,
# ligature, full-width form, curly quote when uncurling, line break, surrogate, escape or control character, and
# NFC already); unescaping changes only what ftfy's own entity pattern finds, and the mojibake fix only a line its
# own heuristic (`ftfy.badness.is_bad`) finds bad, so ftfy is called only for those.
_LATIN1_LINE = {
    False: re.compile(f"[{_PLAIN_ASCII}{_TYPOGRAPHIC}\u00a0-\u00ff\u2022&]*"),
    True: re.compile(f"[{_PLAIN_ASCII}\u00a0-\u00ff\u2022&]*"),
}
# ftfy's mojibake heuristic (`is_bad`, a regular expression) looks for sequences of at most this many characters,
# each holding a character outside ASCII (tests/test_unicode.py checks both on ftfy's own pattern).
_BADNESS_SPAN = 7
_NON_ASCII = re.compile("[^\x00-\x7f]")
# ftfy fixes a longer line in pieces of this many characters, and the pieces are judged one by one.
_FTFY_SEGMENT = ftfy.TextFixerConfig().max_decode_length
# Chinese, Japanese and Korean text writes its punctuation full-width ("，", "！", "（"): on a line holding these
# scripts ftfy keeps full-width forms instead of narrowing them to ASCII (it still narrows "ＦＵＬＬ" elsewhere).
_FULL_WIDTH_SCRIPT = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


@dataclass(frozen=True)
class WhitespaceReport:
    """How many characters and lines the whitespace step touched."""

    odd_spaces: int
    invisible_chars: int
    indented_lines: int


def repair_unicode(text: str, *, uncurl_quotes: bool = False) -> tuple[str, bool]:
    """Return the text with mojibake and broken encodings fixed, and whether it changed.

    Exactly `ftfy.fix_text`, which fixes each line on its own, except that a line with nothing ftfy could
    change in it (printable ASCII, curly quotes, dashes; no "&" or control character; Latin-1 letters and signs
    only where ftfy's mojibake heuristic finds nothing) is kept without the call (in scraped news that is most
    lines, and ftfy costs tens of microseconds a line), and that a line of Chinese, Japanese or Korean keeps its
    full-width punctuation.
    """
    not_plain, latin1_line = _NOT_PLAIN[uncurl_quotes], _LATIN1_LINE[uncurl_quotes]
    first_angle = text.find("<")  # ftfy's own rule: from the first line holding "<" on, no line is unescaped
    pieces: list[str] = []
    done = 0
    while found := not_plain.search(text, done):
        start = text.rfind("\n", 0, found.start()) + 1
        end = text.find("\n", found.start()) + 1 or len(text)
        line = text[start:end]
        pieces.append(text[done:start])
        if len(line) <= _FTFY_SEGMENT and latin1_line.fullmatch(line) and not _may_change(line):
            pieces.append(line)
        else:
            pieces.append(
                ftfy.fix_text(
                    line,
                    uncurl_quotes=uncurl_quotes,
                    normalization="NFC",
                    unescape_html=False if 0 <= first_angle < end else "auto",
                    fix_character_width=_FULL_WIDTH_SCRIPT.search(line) is None,
                )
            )
        done = end
    if not done:
        return text, False
    pieces.append(text[done:])
    repaired = "".join(pieces)
    return repaired, repaired != text


@lru_cache(maxsize=LINES_REMEMBERED)
def _may_change(line: str) -> bool:
    """Whether ftfy may change a line of `_LATIN1_LINE`'s characters: an HTML entity ftfy unescapes, or mojibake.
    Remembered: a site's furniture ("© Metro Herald 2005") recurs on its every page, and the heuristic costs some
    15 µs a line."""
    return ("&" in line and HTML_ENTITY_RE.search(line) is not None) or _may_be_mojibake(line)


def _may_be_mojibake(line: str) -> bool:
    """ftfy's `is_bad` run only on the stretches around the line's non-ASCII characters, where its sequences can be;
    True also when a stretch's start alone makes one (its "^"), so False means `is_bad(line)` is False."""
    start = end = -1
    for found in _NON_ASCII.finditer(line):
        low, high = max(0, found.start() - _BADNESS_SPAN + 1), found.start() + _BADNESS_SPAN
        if low > end:
            if end >= 0 and is_bad(line[start:end]):
                return True
            start = low
        end = high
    return end >= 0 and is_bad(line[start:end])


def join_lone_bullets(lines: list[str], bullet_chars: str) -> list[str]:
    """Join a line that is only a bullet ("•") to the item on the next line, as the page showed it."""
    joined: list[str] = []
    pending = ""
    for line in lines:
        if len(line) == 1 and line in bullet_chars:
            pending = line
        elif pending and line:
            joined.append(f"{pending} {line}")
            pending = ""
        elif not pending:
            joined.append(line)
    return joined + ([pending] if pending else [])


def normalise_whitespace(text: str) -> tuple[list[str], WhitespaceReport]:
    """Split into lines with NBSPs and odd spaces made plain, runs collapsed and indentation gone."""
    text, odd_spaces = _ODD_SPACES.subn(" ", text)
    invisible = 0
    if not text.isascii() and any(char in text for char in _INVISIBLE_CHARS):  # a few scans cost less than the regex's
        text, invisible = _INVISIBLE.subn("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "  " in text:
        text = _SPACE_RUNS.sub(" ", text)
    lines = []
    indented = 0
    for raw_line in text.split("\n"):
        line = raw_line.strip()
        if line and raw_line[:1] == " ":
            indented += 1
        lines.append(line)
    return lines, WhitespaceReport(odd_spaces, invisible, indented)


def single_spaced(text: str) -> str:
    """`" ".join(text.split())`, without splitting a text that is so already, as the lines `normalise_whitespace` gives
    are: no whitespace but single spaces between words (every whitespace character but the space is unprintable)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())
