"""Word-level diffs of a cluster member against its canonical paragraph, for report.html and the review page."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

# Curly quotes and their straight forms; str.replace is some 40x faster than str.translate with a table.
_QUOTES = (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"))


@dataclass(frozen=True)
class DiffSegment:
    """A run of words that the member shares with the canonical paragraph, lacks, or adds."""

    kind: str
    text: str


def word_diff(canonical: str, member: str, window: bool = False) -> list[DiffSegment]:
    """Word-level diff of a member against its canonical paragraph; quote styles and case do not count.

    With `window`, canonical text before and after the member's part (a contained member) is
    left out, marked by "…".
    """
    old, new = canonical.split(), member.split()
    folded_old, folded_new = _folded_words(canonical), _folded_words(member)
    if folded_old == folded_new:
        return [DiffSegment("same", " ".join(new))] if new else []
    segments = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, folded_old, folded_new, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(DiffSegment("same", " ".join(new[j1:j2])))
            continue
        if i2 > i1:
            segments.append(DiffSegment("del", " ".join(old[i1:i2])))
        if j2 > j1:
            segments.append(DiffSegment("ins", " ".join(new[j1:j2])))
    if window:
        if segments and segments[0].kind == "del":
            segments[0] = DiffSegment("same", "…")
        if len(segments) > 1 and segments[-1].kind == "del":
            segments[-1] = DiffSegment("same", "…")
    return segments


def _folded_words(text: str) -> list[str]:
    """A text's words as dedup compares them: quote styles and case folded (folding never adds a space)."""
    for curly, straight in _QUOTES:
        text = text.replace(curly, straight)
    return text.casefold().split()
