r"""Screens for line patterns run over many lines at once: each pattern rewritten for RE2 (Arrow's regex engine) as
a pattern that matches every line it matches and maybe more, grouped into a few alternations (`screens`) that Arrow
runs over a batch of lines. A line no screen matches matches none of the patterns; the others are asked as before.

The rewrite widens where RE2 cannot follow `re`: lookarounds and word boundaries are dropped, backreferences match
any text, counted repeats become `*`, `+` or `?`, atomic groups and possessive repeats are plain ones. A character
class holds every character `re`'s holds: `\d` and `\w` their ASCII characters and every character past ASCII (RE2
compiles Unicode's property classes, `\p{Nd}` or `\p{L}`, slowly, and news text is mostly ASCII), `\s` every
character `str.isspace` holds; a negated class leaves out only characters `re` leaves out too (of `\d`, `\w`, `\s`
only their ASCII ones). IGNORECASE is RE2's folding, which holds `re`'s but for the dotted and dotless i ("İ"
lowers to "i"): those four letters stand for each other, and are added to every folded class. A pattern under the
ASCII or LOCALE flag, of bytes, or with a conditional group gets no rewrite, and a list holding one is not screened
(tests/test_screen.py checks the classes and the folding against `re` for every code point)."""

from __future__ import annotations

import re
from functools import lru_cache
from re import _constants as sre  # the parse `re` compiles from (Python 3.11+)
from re import _parser as sre_parser

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# The characters `str.isspace` (and so `re`'s `\s`) holds.
_SPACES = r"\t-\r\x{1C}-\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"
# Every character past ASCII, in a class: what `re`'s `\d` and `\w` may hold there.
_PAST_ASCII = r"\x{80}-\x{10FFFF}"
# Each category's characters as RE2 class items: wide for a class (of `\d` and `\w`, RE2's Unicode classes
# `\p{Nd}` and `\p{L}\p{N}\p{M}` widened to all of `_PAST_ASCII`: compiled in a tenth of the time, the screens of a
# shard's lines in two thirds), and the ASCII ones `re` holds too, left out of a negated class.
_WIDE = {
    sre.CATEGORY_DIGIT: r"0-9" + _PAST_ASCII,
    sre.CATEGORY_SPACE: _SPACES,
    sre.CATEGORY_WORD: r"0-9A-Za-z_" + _PAST_ASCII,
    sre.CATEGORY_NOT_DIGIT: r"\x{0}-\x{2F}\x{3A}-\x{10FFFF}",
    sre.CATEGORY_NOT_SPACE: r"\x{0}-\x{8}\x{E}-\x{1B}\x{21}-\x{10FFFF}",
    sre.CATEGORY_NOT_WORD: r"\x{0}-\x{2F}\x{3A}-\x{40}\x{5B}-\x{5E}\x{60}\x{7B}-\x{10FFFF}",
}
_NARROW = {
    sre.CATEGORY_DIGIT: r"0-9",
    sre.CATEGORY_SPACE: r"\t-\r\x{1C}-\x{20}",
    sre.CATEGORY_WORD: r"0-9A-Za-z_",
}
# The letters `re`'s IGNORECASE holds equal that RE2's folding does not ("İ" lowers to "i", "ı" is linked to it): one
# stands for all of them.
_DOTTED_AND_DOTLESS_I = frozenset("Iiİı")
_ANY_I = "[" + "".join(f"\\x{{{ord(letter):X}}}" for letter in sorted(_DOTTED_AND_DOTLESS_I)) + "]"
_FLAGS_READ = re.IGNORECASE | re.DOTALL | re.MULTILINE | re.VERBOSE | re.UNICODE
_ANCHORS = {
    sre.AT_BEGINNING_STRING: r"\A",
    sre.AT_END_STRING: r"\z",
    sre.AT_BOUNDARY: "",
    sre.AT_NON_BOUNDARY: "",
}
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
# One empty line: Arrow compiles a screen only for a batch that holds a line.
_EMPTY_LINE = pa.array([""], pa.string())


class _NoRewrite(Exception):
    """A pattern holds something the rewrite does not widen faithfully."""


def wider_pattern(pattern: re.Pattern[str]) -> str | None:
    """An RE2 pattern that matches (Arrow's `match_substring_regex`) every string `pattern` finds (`search`) and
    maybe more, or None when there is none to give."""
    if not isinstance(pattern.pattern, str) or pattern.flags & ~_FLAGS_READ:
        return None
    try:
        return _sequence(sre_parser.parse(pattern.pattern, pattern.flags), pattern.flags)
    except _NoRewrite:
        return None


@lru_cache(maxsize=16)
def screens(patterns: tuple[re.Pattern[str], ...], apart: tuple[bool, ...]) -> tuple[str, ...] | None:
    """RE2 patterns that between them match every string any of `patterns` finds: the `wider_pattern` of those
    `apart` marks (costly ones: RE2's automaton for an alternation of them grows too large) one each, of the others
    those anchored at the start in one alternation and the rest in another (an unanchored branch makes RE2 try the
    anchored ones at every place); None when one has no `wider_pattern` or RE2 cannot compile one (known here once,
    not found again by every batch's `may_match_any`). Written once per process for equal patterns: every shard a
    worker finishes brings its own copy of the config."""
    wider = [wider_pattern(pattern) for pattern in patterns]
    if None in wider:
        return None
    alone = tuple(part for part, costly in zip(wider, apart, strict=True) if costly)
    cheap = [part for part, costly in zip(wider, apart, strict=True) if not costly]
    anchored = [part for part in cheap if part.startswith(r"\A")]
    unanchored = [part for part in cheap if not part.startswith(r"\A")]
    written = alone + tuple("|".join(f"(?:{part})" for part in parts) for parts in (anchored, unanchored) if parts)
    return written if all(map(re2_compiles, written)) else None


def re2_compiles(screen: str) -> bool:
    """Whether RE2 compiles a screen (a large pattern's rewrite can outgrow RE2's memory budget, where `re` has none)."""
    try:
        pc.match_substring_regex(_EMPTY_LINE, screen)
    except pa.ArrowInvalid:
        return False
    return True


def may_match_any(texts: pa.Array, screened_by: tuple[str, ...] | None) -> pa.Array:
    """Whether each of the texts may match the patterns behind `screened_by` (`screens`, each of which RE2
    compiles): every one without it."""
    if screened_by is None:
        return pa.array(np.ones(len(texts), np.bool_))
    found = pa.array(np.zeros(len(texts), np.bool_))
    for screen in screened_by:
        found = pc.or_(found, pc.match_substring_regex(texts, screen))
    return found


def _sequence(items: sre_parser.SubPattern | list, flags: int) -> str:
    """Pieces one after another, each run of letters (folded alike) written as one."""
    parts = []
    run: list[str] = []
    for op, value in items:
        if op == sre.LITERAL and not (flags & re.IGNORECASE and chr(value) in _DOTTED_AND_DOTLESS_I):
            run.append(_char(value))
            continue
        parts.append(_letters(run, flags))
        run = []
        parts.append(_piece(op, value, flags))
    parts.append(_letters(run, flags))
    return "".join(parts)


def _letters(run: list[str], flags: int) -> str:
    """A run of characters (`_char`), folded under IGNORECASE."""
    if run and flags & re.IGNORECASE:
        return f"(?i:{''.join(run)})"
    return "".join(run)


def _piece(op: int, value: object, flags: int) -> str:
    """One node of the parse, under `flags`."""
    folded = bool(flags & re.IGNORECASE)
    if op == sre.LITERAL:  # a dotted or dotless i under IGNORECASE (`_sequence` writes the others)
        return _ANY_I
    if op == sre.NOT_LITERAL:
        return f"[^{_char(value)}]"
    if op == sre.ANY:
        return "(?s:.)" if flags & re.DOTALL else "[^\\n]"
    if op == sre.IN:
        return _class(value, folded)
    if op == sre.AT:
        return _anchor(value, flags)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return ""
    if op == sre.BRANCH:
        return "(?:" + "|".join(_sequence(branch, flags) for branch in value[1]) + ")"
    if op == sre.SUBPATTERN:
        _, added, removed, items = value
        return "(?:" + _sequence(items, (flags | added) & ~removed) + ")"
    if op == sre.ATOMIC_GROUP:
        return "(?:" + _sequence(value, flags) + ")"
    if op in _REPEATS:
        low, high, items = value
        mark = "?" if (low, high) == (0, 1) else "*" if low == 0 else "+"
        return "(?:" + _sequence(items, flags) + ")" + mark
    if op == sre.GROUPREF:
        return "(?s:.*)"
    raise _NoRewrite(op)


def _char(code: int) -> str:
    """A character as RE2 reads it: an ASCII letter or digit itself, any other by its code."""
    character = chr(code)
    return character if character.isascii() and character.isalnum() else f"\\x{{{code:X}}}"


def _class(items: list, folded: bool) -> str:
    """A character class: its items widened, or, negated, only the characters `re` leaves out too."""
    negated = bool(items) and items[0] == (sre.NEGATE, None)
    parts = []
    for op, value in items[1:] if negated else items:
        if op == sre.LITERAL:
            parts.append(_char(value))
        elif op == sre.RANGE:
            parts.append(f"{_char(value[0])}-{_char(value[1])}")
        elif op == sre.CATEGORY and value in _WIDE:
            parts.append(_NARROW.get(value, "") if negated else _WIDE[value])
        else:
            raise _NoRewrite(op)
    if negated:
        return f"[^{''.join(parts)}]" if any(parts) else "(?s:.)"
    body = f"[{''.join(parts)}]"
    return f"(?:(?i:{body})|{_ANY_I})" if folded else body


def _anchor(where: int, flags: int) -> str:
    """A zero-width position: a line's start or end as `re` reads it (its end before a last newline too)."""
    if where == sre.AT_BEGINNING:
        return "(?m:^)" if flags & re.MULTILINE else r"\A"
    if where == sre.AT_END:
        return "(?m:$)" if flags & re.MULTILINE else r"(?:\n?\z)"
    if where in _ANCHORS:
        return _ANCHORS[where]
    raise _NoRewrite(where)
