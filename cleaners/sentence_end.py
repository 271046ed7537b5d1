"""Whether a line ends a sentence: one of some marks, only closing quotes and brackets after it. Read from the line's
end: a regex search for `[marks][closers]*$` tries its pattern at every character of the line."""

from __future__ import annotations

# What may follow a sentence's last mark: closing quotes and brackets.
CLOSERS = "\"'”’)]"


def ends_with_mark(line: str, marks: str) -> bool:
    """True when the line ends with one of `marks`, closing quotes and brackets after it aside (and a final newline,
    as a regex's "$" allows one)."""
    last = (line[:-1] if line[-1:] == "\n" else line).rstrip(CLOSERS)[-1:]
    return bool(last) and last in marks
