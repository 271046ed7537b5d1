"""Text-dump heuristics: the body is found, furniture around it goes, headings and lists inside stay."""

import re
from pathlib import Path

import pytest

from cleaners.article import clean_article
from cleaners.body import line_class, line_classes, trim_outside_body, words_and_stopword_share
from cleaners.line_model import _digits_and_tokens, drop_unlikely_lines, line_features, shipped_model
from cleaners.rules import BodyRules
from cleaners.stopwords import STOPWORDS
from flows.reading.html_text import visible_text

RULES = BodyRules()
CLEANEVAL_INPUT = Path("/work/shared/data/cleaneval-dev/input")
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
        ("Chelsea v Arsenal was the game everyone wanted to see on Sunday.", "prose"),
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


def test_a_fixture_list_after_the_last_paragraph_is_kept_and_the_menu_after_it_goes():
    fixtures = ["Seychelles v South Africa", "Mauritius v Madagascar", "Winners meet in final match"]
    fixtures += ["Mozambique v Zimbabwe", "Namibia v Botswana"]
    lines = [*BODY, "", *fixtures, "", "Home", "", "Contact us"]
    kept, removed, _ = trim_outside_body(lines, RULES)
    assert [line for line in kept if line][-5:] == fixtures
    assert [r.text for r in removed] == ["Home", "Contact us"]


@pytest.mark.parametrize(
    ("lines", "kinds"),
    [
        (["Arsenal 2-1 Chelsea", "", "Burnley or Liverpool v Bournemouth"], ["list", None, "list"]),
        (["Arlo Pro 2 vs. Ring Spotlight Cam", "Nest Cam Indoor vs. Amazon Cloud Cam"], ["short", "short"]),
        (["Mozambique v Zimbabwe", "Winners meet in final match"], ["short", "short"]),
        (
            ["Mozambique v Zimbabwe", "", "Winners meet in final match", "Namibia v Botswana"],
            ["list", None, "list", "list"],
        ),
        (["Mozambique v Zimbabwe", "Home", "About us", "Namibia v Botswana"], ["short", "short", "short", "short"]),
        (["Read pages 10-12 of the report", "Namibia v Botswana"], ["short", "short"]),
        (
            ["Chelsea v Arsenal was the game everyone wanted to see on Sunday.", "Namibia v Botswana"],
            ["prose", "short"],
        ),
    ],
)
def test_a_fixture_or_result_row_is_a_list_line_only_next_to_another(lines, kinds):
    assert line_classes(lines, RULES) == kinds


def test_a_teaser_headline_with_a_score_after_the_body_still_goes():
    lines = [*BODY, "", "Most read", "Hearts 2-1 Livingston", "Council tax to rise by 5% next year"]
    _, removed, _ = trim_outside_body(lines, RULES)
    assert [r.text for r in removed] == ["Most read", "Hearts 2-1 Livingston", "Council tax to rise by 5% next year"]


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


HARBOUR_DUMP = [
    "Skip to content",
    "Home",
    "News",
    "Sport",
    "Weather",
    "The city council approved the harbour redevelopment on Tuesday after a two-year dispute with residents.",
    "Councillors voted 31 to 12 in favour of the plan, which includes 400 homes and a new ferry terminal.",
    "Residents' groups said they would consider a legal challenge to the decision in the coming weeks.",
    "The developer said construction would begin next spring and take about four years to complete.",
    "Share this article",
    "Most read",
    "Man arrested after police chase through town centre",
    "Schools to close early for the summer holidays",
    "Council tax to rise by 5% next year",
    "Contact us",
    "Cookie settings",
]


def test_line_model_removes_menus_and_teaser_headlines_around_a_dump_article():
    kept, removed, _ = drop_unlikely_lines(HARBOUR_DUMP, RULES)
    assert kept == HARBOUR_DUMP[5:9]
    assert len(removed) == len(HARBOUR_DUMP) - 4
    assert all(removal.reason.startswith("body_model:") for removal in removed)
    assert ("Council tax to rise by 5% next year", "body_model:list") in [(r.text, r.reason) for r in removed]


def test_line_model_never_removes_a_sentence_inside_the_body():
    bulleted = "• Mr. Kim said his presence at the talks indicated a willingness to denuclearize in principle."
    lines = [bulleted, "", *BODY]
    kept, _, _ = drop_unlikely_lines(lines, RULES)
    assert kept[0] == bulleted
    assert [line for line in BODY if len(line.split()) >= 8] == [line for line in kept[2:] if len(line.split()) >= 8]


def test_line_model_keeps_a_lead_in_that_ends_in_a_colon_before_its_list_and_the_menus_still_go():
    """CleanEval page 16 (tune split), a consumer magazine's advice page, as a careless text dump."""
    page = CLEANEVAL_INPUT / "16.html"
    if not page.is_file():
        pytest.skip(f"CleanEval dev page not present at {page}")
    html = re.sub(r"^\s*<text\b[^>]*>|</text>\s*$", "", page.read_bytes().decode("utf-8", errors="replace"))
    lines, _, _ = trim_outside_body(visible_text(html).split("\n"), RULES)

    kept, _, _ = drop_unlikely_lines(lines, RULES)

    lead_in = "Your lifestyle can have an impact on your blood pressure. To prevent hypertension or to manage it"
    assert any(line.startswith(lead_in) and line.endswith("once you've been diagnosed:") for line in kept)
    assert "Have regular check-ups, especially when you know you have high blood pressure." in kept
    assert not {"Sign In", "Women's Health", "Diet & Nutrition"} & set(kept)


def test_line_model_can_be_switched_off():
    assert drop_unlikely_lines(HARBOUR_DUMP, BodyRules(line_model=False)) == (HARBOUR_DUMP, [], [])


def test_shipped_line_model_has_a_weight_for_every_feature_and_a_bias():
    features = line_features(HARBOUR_DUMP, RULES)
    assert len(shipped_model().weights) == len(features[0]) + 1
    assert 0 < shipped_model().threshold < 1


def test_label_led_newsletter_and_legal_lines_leave_a_dump_with_their_reasons(config):
    article = [
        "The second meeting between North Korea’s leader and the US president broke up in disarray on Thursday.",
        "See also: Five things we learned in Hanoi",
        "Related talks broke down on Tuesday.",
        "Sign up for our Asia briefing, delivered to your inbox every morning.",
        "Officials said the two sides would keep talking, but no date has been set for another summit.",
        "Filed under: Asia, Diplomacy",
        "© 2019 Example News Group. All rights reserved.",
    ]
    cleaned = clean_article("\n\n".join(article), config.cleaning)
    reasons = {removal.text: removal.reason for removal in cleaned.removals}
    assert reasons[article[1]] == "junk:label_led_links"
    assert reasons[article[3]] == "junk:newsletter_prompt"
    assert reasons[article[5]] == "junk:taxonomy"
    assert reasons[article[6]] == "junk:copyright"
    assert article[2] in cleaned.paragraphs


# Lines where a byte-level shortcut could go wrong: curly quotes, letters and digits beyond ASCII, the Kelvin
# sign (lowercased to an ASCII "k"), other whitespace, an underscore, apostrophes.
TRICKY_LINES = [
    "The League One side held the loosehead side of the foolish São Paulo will be close to a deal.",
    "“It was a blessing,” he said — and the K\u212a of it was ²³ and ٣ and 45%.",
    "don't 'the' a-b snake_case 12_000\tthe\x0bof\x0cthe\u2028the\u0085of",
    "İstanbul, Ça va? ÅÄÖ åäö the and of",
    "...",
    "x",
]


@pytest.mark.parametrize("line", TRICKY_LINES)
def test_stopword_share_counts_the_lowercased_runs_of_letters_and_apostrophes(line):
    words = re.findall(r"[a-z']+", line.lower())
    assert words_and_stopword_share(line)[1] == (
        sum(word in STOPWORDS for word in words) / len(words) if words else 0.0
    )


@pytest.mark.parametrize("line", TRICKY_LINES)
def test_line_shape_counts_digits_and_word_tokens_as_unicode_does(line):
    tokens = re.findall(r"\w+", line)
    assert _digits_and_tokens(line) == (sum(map(str.isdigit, line)), len(tokens), sum(map(len, tokens)))


@pytest.mark.parametrize(
    "line",
    ["See http://example.com", "www.example.com", "Mail jane@example.co.uk", "A > B", "» Home", "Home ›", "a|b|"],
)
def test_every_kind_of_link_mark_still_makes_a_link(line):
    assert line_class(line, RULES) == "link"


def test_line_features_of_the_wanted_lines_are_those_of_every_line():
    every = line_features(HARBOUR_DUMP, RULES)
    wanted = {index for index, line in enumerate(HARBOUR_DUMP) if line and index % 3 == 0}
    some = line_features(HARBOUR_DUMP, RULES, wanted=wanted)
    assert [features if index in wanted else None for index, features in enumerate(every)] == some
