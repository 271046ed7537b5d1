"""Text from outside (scraped, or named by the user) made safe to put in a log line."""

from __future__ import annotations

import unicodedata

# Control characters, and the line and paragraph separators some terminals and log readers break lines at.
_UNSAFE = {"Cc", "Zl", "Zp"}


def one_line(text: object) -> str:
    """`text` with every control or line-breaking character escaped as Python writes it (\\n, \\x1b, \\u2028),
    so a file name cannot start a forged log line or drive the terminal."""
    return "".join(repr(char)[1:-1] if unicodedata.category(char) in _UNSAFE else char for char in str(text))
