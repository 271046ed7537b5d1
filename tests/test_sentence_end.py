"""A line ends a sentence when a mark stands last, closing quotes and brackets after it aside: read from its end,
the same verdict as the search for `[marks][closers]*$`."""

import re

import pytest

from cleaners.sentence_end import CLOSERS, ends_with_mark

LINES = [
    "The minister resigned on Tuesday.",
    "“We are not giving up,” she said.”",
    "He asked: “Why now?”)",
    "Share this article",
    "Results (full list]",
    "Read more…",
    "Published: 12 March 2019",
    "Labour’s plan",
    "It ended 2-1 (after extra time).",
    "Line with a newline at its end.\n",
    "Two newlines.\n\n",
    ".",
    ")",
    "",
]


@pytest.mark.parametrize("marks", [".!?…", ".!?;:"])
@pytest.mark.parametrize("line", LINES)
def test_a_line_ends_a_sentence_as_the_search_for_its_ending_says(line, marks):
    ending = re.compile(f"[{re.escape(marks)}][{re.escape(CLOSERS)}]*$")
    assert ends_with_mark(line, marks) == bool(ending.search(line))


def test_closing_quotes_and_brackets_after_the_mark_are_read_past():
    assert ends_with_mark("“Why now?”)", ".!?")
    assert not ends_with_mark("Why now (maybe", ".!?")
