"""Records of what a cleaning step changed, shared by every step."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Removal:
    """A line or segment taken out of an article, with the rule that took it."""

    text: str
    reason: str


@dataclass(frozen=True)
class Correction:
    """A word changed in a paragraph, with the rule, its confidence and some context."""

    para_idx: int
    original: str
    corrected: str
    rule: str
    confidence: float
    context: str


@dataclass(frozen=True)
class Spared:
    """A line a rule would have removed, kept because a maintainer's override names it."""

    text: str
    reason: str
    override: str
