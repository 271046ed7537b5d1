"""Lines a maintainer kept (`copydesk review keep-line`): whatever rule matches them, they stay in the text.

A kept line is named by the fingerprint of its stripped text, or matched by a pattern; every removal
step hands its verdicts to `drop_lines`, which spares the kept lines and records which override spared each.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cleaners.edits import Removal, Spared

# Removals a keep-line override can undo; metadata lines (title, bylines, labelled fields) become fields instead.
KEEPABLE_REASONS = ("junk:", "caption:", "section:", "learned:", "outside_body:", "body_model:")


def line_fingerprint(line: str) -> str:
    """A stable name for a line: the short SHA-256 of its stripped text."""
    return hashlib.sha256(line.strip().encode()).hexdigest()[:16]


def is_keepable(reason: str) -> bool:
    """True for a removal reason a keep-line override can undo."""
    return reason.startswith(KEEPABLE_REASONS)


@dataclass(frozen=True)
class KeptLines:
    """The lines maintainers kept: override ids by line fingerprint, and (pattern, override id) pairs."""

    by_fingerprint: Mapping[str, str] = field(default_factory=dict)
    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()

    @property
    def empty(self) -> bool:
        """Whether no line is kept (no override at all)."""
        return not (self.by_fingerprint or self.patterns)

    def override_for(self, line: str) -> str | None:
        """The id of the override that keeps this line, or None."""
        if self.empty:
            return None
        found = self.by_fingerprint.get(line_fingerprint(line))
        if found is None:
            found = next((override for pattern, override in self.patterns if pattern.search(line.strip())), None)
        return found


NOTHING_KEPT = KeptLines()


def drop_lines(
    lines: list[str], reasons: Sequence[str | None], keep: KeptLines
) -> tuple[list[str], list[Removal], list[Spared]]:
    """Drop each line with a reason (`reasons[i]` for `lines[i]`, None to keep it) unless an override keeps it;
    a blank line with a reason goes without a record."""
    if reasons.count(None) == len(reasons):
        return list(lines), [], []
    if keep.empty:  # no override to ask: the same lists, made without a test a line
        pairs = list(zip(lines, reasons, strict=True))
        removals = [Removal(line, reason) for line, reason in pairs if reason is not None and line]
        return [line for line, reason in pairs if reason is None], removals, []
    kept: list[str] = []
    removals: list[Removal] = []
    spared: list[Spared] = []
    for line, reason in zip(lines, reasons, strict=True):
        override = keep.override_for(line) if reason and line else None
        if reason is None or override is not None:
            kept.append(line)
            if override is not None:
                spared.append(Spared(line, reason, override))
        elif line:
            removals.append(Removal(text=line, reason=reason))
    return kept, removals, spared
