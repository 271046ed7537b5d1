"""Paragraph boundaries."""

from cleaners.paragraphs import split_paragraphs


def test_blank_lines_separate_paragraphs():
    assert split_paragraphs(["One.", "", "", "Two."]) == ["One.", "Two."]


def test_a_line_after_a_finished_sentence_is_a_new_paragraph():
    lines = ["to the North.", "“It is regrettable that they could not reach a complete agreement,” said Kim Eui-kyeom."]
    assert split_paragraphs(lines) == lines


def test_hard_wrapped_lines_are_joined():
    lines = ["President Trump and Kim Jong-un ended their", "second summit meeting early on Thursday."]
    assert split_paragraphs(lines) == [
        "President Trump and Kim Jong-un ended their second summit meeting early on Thursday."
    ]


def test_subheading_stays_its_own_paragraph():
    lines = [
        "Moon said in a speech.",
        "",
        "Trump faces more political headwinds",
        "",
        "President Donald Trump embarked.",
    ]
    assert split_paragraphs(lines) == [
        "Moon said in a speech.",
        "Trump faces more political headwinds",
        "President Donald Trump embarked.",
    ]
