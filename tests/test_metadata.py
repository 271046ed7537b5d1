"""Metadata lines lifted into fields: published, source, ids, bylines, title."""

from pathlib import Path

import pytest

from cleaners.article import clean_article
from cleaners.metadata import (
    TRAILING_MENU,
    ArticleMetadata,
    has_title_key,
    is_menu_label,
    lift_bylines,
    lift_labelled_lines,
    lift_title,
    parse_published,
    title_key,
)
from cleaners.rules import CleaningRules, MetadataRules

RULES = MetadataRules()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0337 GMT March 01, 2019", "2019-03-01T03:37:00+00:00"),
        ("March 1, 2019", "2019-03-01"),
        ("2019-02-28", "2019-02-28"),
        ("2019-02-28T14:05:00Z", "2019-02-28T14:05:00+00:00"),
        ("28 Feb. 2019", "2019-02-28"),
        ("not a date at all", None),
        ("12", None),
    ],
)
def test_published_values_parse_to_iso(value, expected):
    assert parse_published(value) == expected


def test_labelled_lines_become_fields():
    lines = ["News ID: 239617", "Published: 0337 GMT March 01, 2019", "", "Body text here.", "Source : Nytimes"]
    metadata = ArticleMetadata()
    kept, removed = lift_labelled_lines(lines, RULES, metadata)
    assert kept == ["", "Body text here."]
    assert metadata.external_ids == ["239617"]
    assert metadata.published.startswith("2019-03-01")
    assert metadata.source == "Nytimes"
    assert [r.reason for r in removed] == ["metadata:id", "metadata:published", "metadata:source"]


def test_sentences_that_start_like_labels_stay():
    lines = [
        "Source: a senior official who spoke on condition of anonymity said the talks would resume next month.",
        "Date: to be decided, according to the two delegations and their hosts in Hanoi.",
    ]
    metadata = ArticleMetadata()
    kept, removed = lift_labelled_lines(lines, RULES, metadata)
    assert kept == lines and removed == [] and metadata.source is None and metadata.published is None


def lifted(lines: list[str]) -> tuple[ArticleMetadata, list[str], list]:
    """`lift_bylines` of the lines under the default rules: the metadata it fills, the lines kept, the removals."""
    metadata = ArticleMetadata()
    kept, removed = lift_bylines(lines, RULES, metadata)
    return metadata, kept, removed


def test_dash_bylines_and_trailing_names_become_authors():
    lines = [
        "Mr. Kim said talks would continue.",
        "",
        "— Austin Ramzy",
        "",
        "More text follows here.",
        "",
        "Choe Sang-Hun",
    ]
    metadata, kept, removed = lifted(lines)
    assert metadata.authors == ["Austin Ramzy", "Choe Sang-Hun"]
    assert "More text follows here." in kept and "Choe Sang-Hun" not in kept
    assert {r.reason for r in removed} == {"metadata:byline"}


def test_dash_led_names_in_a_list_stay_while_a_lone_dash_byline_goes():
    items = ["- Paid Social", "- Content Marketing", "- Jonas Platte"]
    lines = ["Our services and sponsors include the following.", "", *items, "", "— Austin Ramzy"]
    metadata, kept, removed = lifted(lines)
    assert [line for line in kept if line.startswith("- ")] == items
    assert metadata.authors == ["Austin Ramzy"] and [r.text for r in removed] == ["— Austin Ramzy"]


def test_a_byline_before_the_last_prose_opens_with_a_dash_or_by_so_no_other_line_there_is_read():
    lines = [
        "Mr. Kim said talks would continue.",
        "— Austin Ramzy",
        "By Choe Sang-Hun and Motoko Rich",
        "Rodong Sinmun",
        "Mr. Kim left Yongbyon on Saturday, officials said.",
        "Jane Doe",
    ]
    metadata, kept, removed = lifted(lines)
    assert metadata.authors == ["Austin Ramzy", "Choe Sang-Hun", "Motoko Rich", "Jane Doe"]
    assert kept == [lines[0], "Rodong Sinmun", lines[4]]
    assert [r.text for r in removed] == [lines[1], lines[2], lines[5]]


@pytest.mark.parametrize(
    "line", ["— Austin Ramzy", "– Austin Ramzy", "-Austin Ramzy", "By Jane Doe", "By Jane Doe and Al Roe"]
)
def test_every_dash_or_by_byline_opens_with_a_byline_opener(line):
    from cleaners.metadata import _BY_LINE, _BYLINE_OPENERS, _DASH_BYLINE

    assert (_DASH_BYLINE.match(line) or _BY_LINE.match(line)) and line.startswith(_BYLINE_OPENERS)


def test_no_line_without_a_byline_opener_matches_a_dash_or_by_byline():
    from cleaners.metadata import _BY_LINE, _BYLINE_OPENERS, _DASH_BYLINE

    texts = [*(Path(__file__).parent / "data").rglob("*.txt"), *(Path(__file__).parents[1] / "raw").glob("*.txt")]
    lines = {line.strip() for path in texts for line in path.read_text("utf-8").splitlines()}
    lines |= {f"{space}{dash}Austin Ramzy" for space in ("", " ", "\u00a0") for dash in "—–-‐‑‒−"}
    lines |= {"by Jane Doe", "BY JANE DOE", " By Jane Doe", "\u00a0By Jane Doe"}
    for line in lines:
        if not line.startswith(_BYLINE_OPENERS):
            assert not _DASH_BYLINE.match(line) and not _BY_LINE.match(line), line


# A page's list of headed items as trafilatura writes it: each <li> a "- " line, a paragraph under each.
EXTRACTED_LIST = [
    "The clinics below offer sliding-scale fees to anyone in the city who asks.",
    "",
    "- Marina Counseling Center",
    "Sessions start at twenty dollars and evening hours are available on weekdays.",
    "",
    "- Holos Institute",
    "Its therapists work with families and speak Spanish, Cantonese and Tagalog.",
    "",
    "— Austin Ramzy",
]


def test_extracted_list_items_stay_while_a_dash_byline_of_the_page_goes():
    metadata = ArticleMetadata()
    kept, removed = lift_bylines(EXTRACTED_LIST, RULES, metadata, extracted=True)
    assert "- Marina Counseling Center" in kept and "- Holos Institute" in kept
    assert metadata.authors == ["Austin Ramzy"] and [r.text for r in removed] == ["— Austin Ramzy"]


def test_outside_extracted_text_a_lone_hyphen_led_name_is_still_a_byline():
    lines = ["Mr. Kim said talks would continue on Tuesday in Hanoi.", "", "- Austin Ramzy"]
    metadata, kept, removed = lifted(lines)
    assert metadata.authors == ["Austin Ramzy"] and kept == lines[:2] and len(removed) == 1


def test_only_an_html_page_s_text_keeps_its_hyphen_led_names_as_list_items():
    text = "\n".join(EXTRACTED_LIST)
    html = clean_article(text, CleaningRules(), article_format="html")
    assert "- Holos Institute" in "\n".join(html.paragraphs) and html.metadata.authors == ["Austin Ramzy"]
    dump = clean_article(text, CleaningRules(), article_format="txt")
    assert "Holos Institute" in dump.metadata.authors and "Holos Institute" not in "\n".join(dump.paragraphs)


STORY_END = "The council will vote on the new ferry timetable at its meeting in March, a spokesman said."


@pytest.mark.parametrize(
    "label", ["Learn More", "Contact Us", "About Us", "Who We Are", "View All", "Sign In", "SKIP ADVERTISEMENT"]
)
def test_a_button_or_menu_label_after_the_body_names_nobody(label):
    metadata = ArticleMetadata()
    kept, removed = lift_bylines([STORY_END, "", label], RULES, metadata)
    assert metadata.authors == [] and kept == [STORY_END, ""]
    assert [(r.text, r.reason) for r in removed] == [(label, TRAILING_MENU)]


@pytest.mark.parametrize(
    "name", ["Choe Sang-Hun", "A Freeland", "Will Hutton", "Mary-Kate O'Brien", "Peter J. Tomasek"]
)
def test_a_name_after_the_body_of_a_text_is_still_its_author(name):
    metadata = ArticleMetadata()
    _, removed = lift_bylines([STORY_END, "", name], RULES, metadata)
    assert metadata.authors == [name] and [r.reason for r in removed] == ["metadata:byline"]
    assert not is_menu_label(name)


def test_in_extracted_text_a_trailing_name_like_line_names_nobody_but_a_byline_still_does():
    metadata = ArticleMetadata(authors=["Mary Lane"])
    lines = ["By Jane Doe", "", STORY_END, "", "— Austin Ramzy", "", "Related Topics", "Jeff Muizelaar"]
    kept, removed = lift_bylines(lines, RULES, metadata, extracted=True)
    assert metadata.authors == ["Mary Lane", "Jane Doe", "Austin Ramzy"]
    assert kept == ["", STORY_END, "", ""]
    assert [r.reason for r in removed] == ["metadata:byline", "metadata:byline", TRAILING_MENU, TRAILING_MENU]


def test_only_text_from_a_page_leaves_a_trailing_name_out_of_authors():
    text = f"{STORY_END}\n\nJeff Muizelaar\n"
    assert clean_article(text, CleaningRules(), article_format="txt").metadata.authors == ["Jeff Muizelaar"]
    html = clean_article(text, CleaningRules(), article_format="html")
    assert html.metadata.authors == [] and html.paragraphs == [STORY_END]


def test_name_like_subheading_inside_the_body_stays():
    lines = ["North Korea", "", "The North has 30 to 60 nuclear warheads, experts estimate."]
    kept, removed = lift_bylines(lines, RULES, ArticleMetadata())
    assert kept == lines and removed == []


def test_first_line_title_and_its_repeat_are_lifted():
    title = "North Korea, US meeting breaks up without a joint statement"
    lines = [title, "", title, "", "The second meeting broke up in disarray."]
    metadata = ArticleMetadata()
    kept, removed = lift_title(lines, RULES, metadata)
    assert metadata.title == title
    assert [line for line in kept if line] == ["The second meeting broke up in disarray."]
    assert [r.reason for r in removed] == ["metadata:title", "repeated_title"]


def test_known_title_is_removed_from_the_body_but_not_invented():
    metadata = ArticleMetadata(title="Talks Collapse in Hanoi")
    kept, removed = lift_title(["Talks collapse in Hanoi", "", "Body sentence."], RULES, metadata)
    assert kept == ["", "Body sentence."] and [r.reason for r in removed] == ["repeated_title"]


def test_a_lines_title_key_is_told_as_title_key_tells_it():
    raw = Path(__file__).resolve().parents[1] / "raw"
    lines = [line for path in sorted(raw.glob("*.txt")) for line in path.read_text().splitlines()]
    titles = [*lines[:40], "North Korea, US meeting breaks up", "NORTH KOREA — US meeting breaks up!", "“…”", ""]
    for title in titles:
        wanted = title_key(title)
        assert [line for line in [*lines, *titles] if has_title_key(line, wanted)] == [
            line for line in [*lines, *titles] if title_key(line) == wanted
        ]


def test_a_first_sentence_is_not_taken_as_title():
    metadata = ArticleMetadata()
    lines = ["The talks ended early.", "", "Both leaders left Hanoi."]
    kept, removed = lift_title(lines, RULES, metadata)
    assert metadata.title is None and kept == lines and removed == []
