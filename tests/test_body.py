"""Text-dump heuristics: the body is found, furniture around it goes, headings and lists inside stay."""

import pytest

from cleaners.body import line_class, trim_outside_body
from cleaners.rules import BodyRules

RULES = BodyRules()
BODY = [
    "The second meeting between North Korea’s leader Kim Jong-un and US President Donald Trump broke up in disarray.",
    "",
    "Trump faces more political headwinds",
    "",
    "President Donald Trump embarked on his trip to Vietnam with a political cloud hanging over his head.",
    "",
    "• Coal and iron ore",
    "• Seafood and textiles",
    "",
    "Now, he is just back from a Hanoi summit with North Korea that collapsed and the cloud has grown darker.",
]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Now, he is just back from a Hanoi summit with North Korea that collapsed.", "prose"),
        ("Trump faces more political headwinds", "short"),
        ("Home", "short"),
        ("World | Business | Sport", "link"),
        ("Read more at https://example.com/story", "link"),
        ("March 1, 2019", "date"),
        ("Thursday, 28 February 2019 14:05 GMT", "date"),
        ("2019-02-28", "date"),
        ("1,024", "number"),
        ("12 comments", "number"),
        ("Kim Jong-un Donald Trump Vietnam Hanoi Metropole Sofitel Legend Summit Talks", "list"),
        ("1 Roger Federer (Switzerland)", "list"),
        ("Could Yukos be a blessing in disguise?", "prose"),
        ("It was a blessing in disguise, he said.", "prose"),
    ],
)
def test_lines_are_classed(line, kind):
    assert line_class(line, RULES) == kind


def test_menu_and_footer_around_the_body_are_removed():
    menu = ["Home", "World", "Business", "Sport", ""]
    footer = ["", "Tags: Korea, Summit", "March 1, 2019", "About us | Contact | Privacy"]
    kept, removed, _ = trim_outside_body(menu + BODY + footer, RULES)
    assert [line for line in kept if line] == [line for line in BODY if line]
    assert {r.reason for r in removed} == {"outside_body:short", "outside_body:date", "outside_body:link"}
    assert len(removed) == 7


def test_prose_outside_the_body_is_kept():
    lines = [
        *BODY,
        "",
        "Home",
        "About",
        "Contact",
        "Jobs",
        "Privacy",
        "Terms",
        "",
        "The agency said talks would resume next month in a statement on Friday.",
    ]
    kept, _, _ = trim_outside_body(lines, RULES)
    assert kept[-1].startswith("The agency said talks would resume")


def test_text_without_prose_is_left_alone():
    lines = ["Breaking: talks collapse", "", "More soon"]
    assert trim_outside_body(lines, RULES) == (lines, [], [])


def test_trimming_can_be_switched_off():
    lines = ["Home", "", *BODY]
    assert trim_outside_body(lines, BodyRules(enabled=False)) == (lines, [], [])


def test_a_line_up_after_the_last_paragraph_is_kept():
    lines = [
        *BODY,
        "",
        "Kenny, Geary, Morgan, Bromby, Harley, Liddell, Montgomery, Jagielka, Thirlwell, Gray.",
        "",
        "Subs Not Used:",
        "",
        "Francis, Kabba, Shaw, Haystead, Quinn, Tonge and Harley all stayed on the bench.",
        "",
        "Home",
        "",
        "About us",
    ]
    kept, removed, _ = trim_outside_body(lines, RULES)
    assert "Subs Not Used:" in kept and [line for line in kept if line][-1].startswith("Francis, Kabba")
    assert [r.text for r in removed] == ["Home", "About us"]


def test_short_sentences_closing_a_match_report_are_kept():
    lines = [
        *BODY,
        "",
        "Kenny, Geary, Morgan, Bromby, Harley, Liddell, Montgomery, Jagielka, Thirlwell, Gray.",
        "",
        "Att: 27,595.",
        "",
        "P Dowd (Staffordshire).",
        "",
        "Back to top",
    ]
    kept, removed, _ = trim_outside_body(lines, RULES)
    assert "P Dowd (Staffordshire)." in kept and [r.text for r in removed] == ["Back to top"]
