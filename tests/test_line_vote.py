"""The line vote between extractors (flows/reading/line_vote.py) and the metadata extract_html reads for itself."""

from __future__ import annotations

import re

import trafilatura
from trafilatura.xpaths import AUTHOR_XPATHS

from flows.config import HtmlSettings
from flows.reading import extraction
from flows.reading.extraction import (
    DATE_EXTRACTION,
    caption_and_author_words,
    extract_html,
    may_name_author,
    page_metadata,
)
from flows.reading.line_vote import add_agreed_lines, ballot, may_add_lines, words_of

TIPS_INTRO = "Many IT workers fear that their jobs will move offshore. Here is what the analysts advise."
TIPS = [
    "Look to smaller organizations. Fortune 500 companies will focus most on offshoring.",
    "Start your own consulting business if you have the entrepreneurial spirit.",
]
CLOSING = "Whatever you choose, keep your skills current and your network alive, the analysts said."
TEASER = "Ten tips for coders who want to keep their jobs"
EXTRACTED = f"How to survive the offshoring wave\n{TIPS_INTRO}\n{CLOSING}"
DUMP = ["Home", "News", "How to survive the offshoring wave", TIPS_INTRO, *TIPS, CLOSING, "Related stories", TEASER]
DUMP_KEPT = ["How to survive the offshoring wave", TIPS_INTRO, *TIPS, CLOSING]


def test_lines_both_other_extractors_keep_go_back_in_their_place():
    readability = "\n".join([TIPS_INTRO, *TIPS, CLOSING])
    voted = add_agreed_lines(ballot(EXTRACTED, [readability]), DUMP, DUMP_KEPT)
    assert voted.split("\n") == ["How to survive the offshoring wave", TIPS_INTRO, *TIPS, CLOSING]


def test_a_line_only_one_other_extractor_keeps_stays_out():
    readability_with_teaser = f"{TIPS_INTRO}\n{CLOSING}\n{TEASER}"
    # the teaser: readability keeps it, the dump cleaning does not; the tips: the dump cleaning alone
    assert add_agreed_lines(ballot(EXTRACTED, [readability_with_teaser]), DUMP, DUMP_KEPT) == EXTRACTED


def test_a_line_the_extractor_already_holds_in_other_words_spacing_is_not_added_again():
    extracted = EXTRACTED.replace("offshore.", "offshore .").upper()
    readability = f"{TIPS_INTRO}\n{CLOSING}"
    assert add_agreed_lines(ballot(extracted, [readability]), DUMP, DUMP_KEPT) == extracted


def test_a_line_can_be_added_only_where_the_other_texts_words_are_not_all_in_a_row_in_the_extracted_text():
    assert not may_add_lines(ballot(EXTRACTED, [f"{TIPS_INTRO}\n{CLOSING}"]))
    assert not may_add_lines(ballot(EXTRACTED, [f"{TIPS_INTRO.upper()} {CLOSING}"]))
    assert may_add_lines(ballot(EXTRACTED, ["\n".join([TIPS_INTRO, *TIPS, CLOSING])]))
    # out of order, the other text's words are not in a row in the extracted text: a line may still go in
    assert may_add_lines(ballot(EXTRACTED, [f"{CLOSING}\n{TIPS_INTRO}"]))


def test_words_match_whole_words_only():
    assert " news " not in words_of("Newsletter sign-up")
    assert " sign up " in words_of("Newsletter sign-up")


PAGE = """<html><head><title>Harbour reopens after storm | Coast Gazette</title>
<meta name="author" content="Mary Lane"><meta property="og:site_name" content="Coast Gazette">
<meta property="article:published_time" content="2024-03-05T08:00:00Z">
<link rel="canonical" href="https://coastgazette.example/news/harbour-reopens"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Harbour reopens after storm</h1>
<p>The harbour at Port Ellen reopened on Tuesday after a storm closed it for four days, the port authority said.</p>
<p>Fishing boats queued at the entrance from dawn, and the first ferry left for the mainland at nine o'clock.</p>
<p>Engineers had inspected the breakwater overnight and found only minor damage to the outer wall.</p>
<p>The authority said repairs would start next week and would not disrupt the ferry timetable this spring.</p>
</article><footer><p>(c) 2019 Coast Gazette. All rights reserved.</p></footer></body></html>"""


def test_metadata_is_what_trafilatura_finds_on_the_page():
    _, metadata, article_format = extract_html(PAGE)
    found = trafilatura.bare_extraction(PAGE, with_metadata=True, date_extraction_params=DATE_EXTRACTION)
    assert article_format == "html"
    assert (metadata.title, metadata.source, metadata.url) == (found.title, found.sitename, found.url)
    assert metadata.authors == ["Mary Lane"]
    assert metadata.published is not None and metadata.published.startswith("2024-03-05")


def test_without_the_vote_the_text_is_trafilaturas():
    text, _, _ = extract_html(PAGE, settings=HtmlSettings(vote_lines=False))
    found = trafilatura.bare_extraction(PAGE, include_comments=True, date_extraction_params=DATE_EXTRACTION)
    assert text == found.text
    voted, _, _ = extract_html(PAGE)
    assert [line for line in voted.split("\n") if line in text.split("\n")] == text.split("\n")


CAPTION = "Fishing boats wait at the harbour entrance on Tuesday morning as the first ferry leaves for the mainland."


def _page_with(block: str) -> str:
    """PAGE with `block` between its second and third paragraphs."""
    return PAGE.replace("<p>Engineers", f"{block}<p>Engineers")


def test_a_figure_caption_trafilatura_leaves_out_is_not_voted_back_in():
    page = _page_with(f"<figure><img src='boats.jpg'><figcaption>{CAPTION}</figcaption></figure>")
    text, _, _ = extract_html(page)
    story, _, _ = extract_html(page, settings=HtmlSettings(vote_lines=False))
    assert CAPTION not in text
    assert text == story


def test_a_caption_or_author_box_by_its_class_is_not_voted_back_in():
    bio = "Mary Lane has covered the coast and its ferries for the Gazette since she joined it in 2009."
    for block in (
        f"<div class='wp-caption'><img src='boats.jpg'><p class='wp-caption-text'>{CAPTION}</p></div>",
        f"<div class='photo'><img src='boats.jpg'><span class='caption'>{CAPTION}</span></div>",
        f"<div class='author-bio'><img src='lane.jpg'><p>{bio}</p></div>",
    ):
        story, _, _ = extract_html(_page_with(block), settings=HtmlSettings(vote_lines=False))
        assert extract_html(_page_with(block))[0] == story


def test_the_same_sentence_in_another_container_trafilatura_leaves_out_is_still_voted_back_in():
    page = _page_with(f"<div class='photo'><img src='boats.jpg'><span class='share'>{CAPTION}</span></div>")
    text, _, _ = extract_html(page, settings=HtmlSettings(vote_lines=False))
    voted, _, _ = extract_html(page)
    assert CAPTION not in text
    assert voted.split("\n")[3] == CAPTION


def test_caption_and_author_words_are_each_line_of_every_figure_and_caption():
    figure = f"<figure><img src='a.jpg'><figcaption>{CAPTION}<br>Photo: Ann Roe</figcaption></figure>"
    page = _page_with(f"{figure}<p class='byline-author'>Mary Lane</p>")
    assert caption_and_author_words(trafilatura.load_html(page)) == {
        words_of(CAPTION),
        " photo ann roe ",
        " mary lane ",
    }
    assert caption_and_author_words(trafilatura.load_html(PAGE)) == set()


def test_captions_are_looked_up_only_where_the_vote_adds_a_line(monkeypatch):
    looked_up = []

    def recorded(tree):
        looked_up.append(tree)
        return caption_and_author_words(tree)

    monkeypatch.setattr(extraction, "caption_and_author_words", recorded)
    text, _, _ = extract_html(PAGE)
    assert text == extract_html(PAGE, settings=HtmlSettings(vote_lines=False))[0]
    assert looked_up == []
    page = _page_with(f"<figure><img src='boats.jpg'><figcaption>{CAPTION}</figcaption></figure>")
    assert CAPTION not in extract_html(page)[0]
    assert len(looked_up) == 1


def test_the_dump_is_cleaned_for_the_vote_only_where_a_line_could_be_added(monkeypatch):
    cleaned = []

    def recorded(dump_lines, rules):
        cleaned.append(dump_lines)
        return extraction_dump_body_lines(dump_lines, rules)

    extraction_dump_body_lines = extraction.dump_body_lines
    monkeypatch.setattr(extraction, "dump_body_lines", recorded)
    assert extract_html(PAGE)[0] == extract_html(PAGE, settings=HtmlSettings(vote_lines=False))[0]
    assert cleaned == []
    page = _page_with(f"<div class='photo'><img src='boats.jpg'><span class='share'>{CAPTION}</span></div>")
    assert CAPTION in extract_html(page)[0].split("\n")
    assert len(cleaned) == 1


PAGE_WITHOUT_AUTHOR = PAGE.replace('<meta name="author" content="Mary Lane">', "")


def _strings_matched_by(pattern: str) -> list[str]:
    """Every string one of a regular expression's alternatives matches whole (its [Xx] classes and optional
    characters the only other syntax it uses, as trafilatura's author XPaths do)."""
    strings = []
    for alternative in pattern.lstrip("^").split("|"):
        variants = [""]
        for piece in re.findall(r"\[[^\]]+\]|.\??", alternative):
            options = list(piece[1:-1]) if piece.startswith("[") else [piece[0], ""] if piece[1:] == "?" else [piece]
            variants = [variant + option for variant in variants for option in options]
        strings.extend(variants)
    return strings


def test_every_value_trafilaturas_author_xpaths_test_lets_them_run():
    paths = " ".join(xpath.path for xpath in AUTHOR_XPATHS)
    tested = re.findall(r"@([\w-]+)\s*=\s*'([^']*)'|\(@([\w-]+),\s*'([^']*)'\)", paths)
    pairs = [
        (equal_name or call_name, equal_value or call_value)
        for equal_name, equal_value, call_name, call_value in tested
    ]
    # the one literal no attribute holds: a <rel> child's text (rel='me'), let through by the <rel> element itself
    assert len(re.findall(r"'[^']*'", paths)) == len(pairs) + 1 and "rel='me'" in paths
    assert {"class", "id", "itemprop", "rel"} <= {name for name, _ in pairs}
    for attribute, pattern in pairs:
        for value in _strings_matched_by(pattern):
            page = PAGE_WITHOUT_AUTHOR.replace("<article>", f'<article><span {attribute}="{value}">Mary Lane</span>')
            assert may_name_author(trafilatura.load_html(page)), (attribute, value)
    for block in ("<author>Mary Lane</author>", "<span><rel>me</rel>Mary Lane</span>"):
        assert may_name_author(trafilatura.load_html(PAGE_WITHOUT_AUTHOR.replace("<article>", f"<article>{block}")))


def test_a_byline_element_still_names_the_author():
    page = PAGE_WITHOUT_AUTHOR.replace("<article>", "<article><p class='byline'>By Mary Lane</p>")
    assert page_metadata(trafilatura.load_html(page), None).authors == ["Mary Lane"]


def test_the_author_xpaths_are_not_run_on_a_page_without_a_clue_they_look_for(monkeypatch):
    searched = []
    monkeypatch.setattr(extraction, "extract_author", lambda tree: searched.append(tree))
    tree = trafilatura.load_html(PAGE_WITHOUT_AUTHOR)
    assert not may_name_author(tree)
    assert page_metadata(tree, None).authors == []
    assert searched == []
