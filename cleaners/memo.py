"""Remembering a pure per-line verdict under a set of rules, for the most recent distinct lines: a site's
furniture recurs across its articles, and several steps judge the same lines.

Rules are told apart by identity, not by value: hashing their compiled patterns would cost more than the
verdict it saves; equal rules in two objects only remember twice.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Generic, TypeVar

Rules = TypeVar("Rules")
Verdict = TypeVar("Verdict")

# Distinct (line, rules) pairs each remembering function keeps: a few MB of lines at most.
LINES_REMEMBERED = 1 << 14


class _SameRules(Generic[Rules]):
    """A rules object as a cache key: one per rules object (`_key_of`), so the key's own identity (hashed and compared
    in C) stands for the rules'; it keeps them alive, so their identity is never reused while remembered."""

    __slots__ = ("rules",)

    def __init__(self, rules: Rules) -> None:
        self.rules = rules


# Each rules object's key, by its id.
_KEYS: dict[int, _SameRules] = {}


def _key_of(rules: Rules) -> _SameRules[Rules]:
    """The one key of a rules object."""
    key = _KEYS.get(id(rules))
    if key is None:
        key = _KEYS[id(rules)] = _SameRules(rules)
    return key


def remembered_per_line(function: Callable[[str, Rules], Verdict]) -> Callable[[str, Rules], Verdict]:
    """`function(line, rules)`, remembered for the most recent LINES_REMEMBERED distinct lines and rules."""

    @lru_cache(maxsize=LINES_REMEMBERED)
    def remembered(line: str, rules: _SameRules[Rules]) -> Verdict:
        return function(line, rules.rules)

    @wraps(function)
    def judge(line: str, rules: Rules) -> Verdict:
        return remembered(line, _key_of(rules))

    return judge
