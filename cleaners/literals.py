r"""What every match of a regex must hold, read from its parse: sets of literal strings, one string of each set
standing in every match (case aside). A line holding no string of a set cannot match, so the regex is not run:
the costly junk and caption patterns (a lookahead over the line's words, no anchor) are mostly skipped this way.

Strings are compared lower-cased, which is at least as loose as `re`'s IGNORECASE, except for the three characters
`re` matches to an ASCII letter that `str.lower` does not make it ("İ", "ı", "ſ"): a line holding one is not
prefiltered (`lowered_for_literals`).

A pattern that opens by bounding the line's words (`^(?=(\S+\s+){0,N}\S+$)`, as the costly patterns of short lines
do) matches no line of more than N + 1 words (`word_limit`): such a line skips the pattern and its strings alike."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from re import _constants as sre  # the parse `re` compiles from (Python 3.11+)
from re import _parser as sre_parser

# Exact strings of a piece kept at most; a piece matching more is read as matching anything.
_MAX_EXACT = 64
# A required string this long is rare enough in a line: an alternation's set is chosen for fewer strings past it.
_LONG_ENOUGH = 5
# Characters `re`'s IGNORECASE matches to an ASCII letter whose lower() is not that letter (tests/test_literals.py).
_CASE_TRAPS = ("\u0130", "\u0131", "\u017f")
_LOOKAROUNDS = (sre.ASSERT, sre.ASSERT_NOT)
_ZERO_WIDTH = (sre.AT, *_LOOKAROUNDS)
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)

Required = tuple[tuple[str, ...], ...]
# The words a line holds when a pattern bounds none (`word_limit`).
NO_WORD_LIMIT = sys.maxsize


@dataclass(frozen=True)
class _Piece:
    """What a piece of a pattern matches: every string, if few (`exact`), and sets of strings one of each of which
    stands in every match (`required`)."""

    exact: frozenset[str] | None = None
    required: tuple[frozenset[str], ...] = ()

    def best(self) -> frozenset[str] | None:
        """The one set to stand for this piece in an alternation: the longest shortest string (up to
        `_LONG_ENOUGH`: longer finds hardly fewer lines), then the fewest."""
        sets = [*self.required, *([self.exact] if self.exact and "" not in self.exact else [])]
        return max(sets, key=lambda found: (min(_LONG_ENOUGH, *map(len, found)), -len(found)), default=None)


_ANYTHING = _Piece()


def required_literals(pattern: re.Pattern[str]) -> Required:
    """Sets of lower-cased strings, one string of each standing (case aside) in every match of `pattern`, fewest
    strings first: the sets worth looking for (one string not all spaces, or uncommon strings). Empty when
    nothing is known, or for a pattern `re` rejects at a line's first character (anchored at the start, no
    lookahead after the anchor), which costs less than looking."""
    parsed = sre_parser.parse(pattern.pattern, pattern.flags)
    if _anchored(list(parsed)):
        return ()
    sets = {_fewest(found) for found in _sequence(parsed).required if all(map(_folds_plainly, "".join(found)))}
    worth = [tuple(sorted(found)) for found in sets if all(map(_uncommon, found)) or _one_sign(found)]
    return tuple(sorted(worth, key=lambda found: (len(found), found)))


def word_limit(pattern: re.Pattern[str]) -> int:
    r"""The most whitespace-separated words (`str.split`) a line matching `pattern` holds: N + 1 for a pattern that
    opens with `^(?=(\S+\s+){0,N}\S+$)` (its `\s` is `str.isspace` and its `^`, `$` the line's ends, so not under
    the ASCII, LOCALE or MULTILINE flag), else NO_WORD_LIMIT."""
    items = list(sre_parser.parse(pattern.pattern, pattern.flags))
    if (
        pattern.flags & (re.ASCII | re.LOCALE | re.MULTILINE)
        or len(items) < 2
        or items[0] != (sre.AT, sre.AT_BEGINNING)
    ):
        return NO_WORD_LIMIT
    op, value = items[1]
    if op != sre.ASSERT or value[0] != 1 or not value[1] or value[1][0][0] != sre.MAX_REPEAT:
        return NO_WORD_LIMIT
    most = value[1][0][1][1]
    if most >= sre.MAXREPEAT:
        return NO_WORD_LIMIT
    bounded = sre_parser.parse(rf"(\S+\s+){{0,{most}}}\S+$")
    return most + 1 if _shape(value[1]) == _shape(bounded) else NO_WORD_LIMIT


def _shape(node: object) -> object:
    """A parse as nested tuples, comparable with ==, groups' numbers left out."""
    if isinstance(node, sre_parser.SubPattern):
        node = list(node)
    if isinstance(node, tuple) and len(node) == 2 and node[0] is sre.SUBPATTERN:
        return sre.SUBPATTERN, _shape((None, *node[1][1:]))
    if isinstance(node, list | tuple):
        return tuple(map(_shape, node))
    return node


def lowered_for_literals(line: str) -> str | None:
    """The line lower-cased for `may_match`, or None when it holds a character lower() cannot stand for."""
    if not line.isascii() and any(trap in line for trap in _CASE_TRAPS):
        return None
    return line.lower()


def may_match(lowered: str | None, required: Required) -> bool:
    """False only when the lower-cased line (`lowered_for_literals`) lacks every string of one of the sets."""
    if lowered is None:
        return True
    for strings in required:
        for string in strings:
            if string in lowered:
                break
        else:
            return False
    return True


def _anchored(items: list) -> bool:
    """True when the pattern starts with "^" and then something that is not a lookaround."""
    return len(items) > 1 and items[0] == (sre.AT, sre.AT_BEGINNING) and items[1][0] not in _LOOKAROUNDS


def _uncommon(string: str) -> bool:
    """A string worth looking for among others: three characters or more, or one outside ASCII ("©")."""
    return len(string) >= 3 or not string.isascii()


def _one_sign(strings: frozenset[str]) -> bool:
    """A set of one string that is not only spaces ("(", ":"): one look, worth it."""
    return len(strings) == 1 and not next(iter(strings)).isspace()


def _folds_plainly(character: str) -> bool:
    """True for an ASCII character, or one without case (its lower() compares as `re`'s IGNORECASE does)."""
    return character.isascii() or character.lower() == character.upper() == character.casefold() == character


def _fewest(strings: frozenset[str]) -> frozenset[str]:
    """The strings lower-cased, without those holding another of them (which already stands wherever they do)."""
    lowered = {string.lower() for string in strings}
    return frozenset(string for string in lowered if not any(other != string and other in string for other in lowered))


def _sequence(items: sre_parser.SubPattern | list) -> _Piece:
    """Pieces one after another: runs of exact pieces joined (a run ends before a piece of several strings, so a set
    stays few), every set any piece requires kept."""
    every: set[str] | None = {""}  # the whole sequence's strings while every piece is exact
    run: set[str] = {""}
    required: list[frozenset[str]] = []
    for op, value in items:
        piece = _piece(op, value)
        if every is not None and piece.exact is not None:
            every = {before + after for before in every for after in piece.exact}
            every = every if len(every) <= _MAX_EXACT else None
        else:
            every = None
        required.extend(piece.required)
        if piece.exact is not None and (len(piece.exact) == 1 or "" in run):
            joined = {before + after for before in run for after in piece.exact}
            if len(joined) <= _MAX_EXACT:
                run = joined
                continue
        required.append(frozenset(run))
        run = set(piece.exact) if piece.exact is not None else {""}
    required.append(frozenset(run))
    useful = tuple(found for found in required if found and "" not in found)
    return _Piece(frozenset(every) if every is not None else None, useful)


def _piece(op: int, value: object) -> _Piece:
    """One node of the parse."""
    if op == sre.LITERAL:
        return _Piece(frozenset({chr(value)}))
    if op in _ZERO_WIDTH:
        return _Piece(frozenset({""}))
    if op == sre.IN and len(value) <= _MAX_EXACT and all(item_op == sre.LITERAL for item_op, _ in value):
        return _Piece(frozenset(chr(code) for _, code in value))
    if op == sre.SUBPATTERN:
        return _sequence(value[-1])
    if op == sre.ATOMIC_GROUP:
        return _sequence(value)
    if op == sre.BRANCH:
        return _alternation([_sequence(branch) for branch in value[1]])
    if op in _REPEATS:
        low, high, items = value
        inner = _sequence(items)
        if low == 0:
            return _Piece(inner.exact | {""}) if high == 1 and inner.exact is not None else _ANYTHING
        return _Piece(inner.exact if low == high == 1 else None, inner.required)
    return _ANYTHING


def _alternation(branches: list[_Piece]) -> _Piece:
    """Either of the branches: every exact string if all are exact, and one set of each branch's joined."""
    exact = None
    if all(branch.exact is not None for branch in branches):
        every = frozenset().union(*(branch.exact for branch in branches))
        exact = every if len(every) <= _MAX_EXACT else None
    sets = [branch.best() for branch in branches]
    required = () if None in sets else (frozenset().union(*sets),)
    return _Piece(exact, required)
