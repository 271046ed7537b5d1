"""The seed articles cleaned: no junk left, every removal explained, the body intact."""

import re

import pytest

from cleaners.article import clean_article
from cleaners.paragraphs import split_paragraphs
from cleaners.unicode import normalise_whitespace, repair_unicode

JUNK_STRINGS = (
    "Header Ads",
    "SEO tools",
    "Post Top Ad",
    "Breaking News",
    "No comments",
    "Security Key",
    "Captcha refresh",
    "Page Generated",
    "News ID",
    "Published:",
    "Source :",
    "[Read about",
)


@pytest.fixture(scope="module")
def cleaned(seeds, config):
    return {name: clean_article(text, config.cleaning) for name, text in seeds.items()}


def test_no_junk_string_is_left(cleaned):
    for article in cleaned.values():
        body = "\n".join(article.paragraphs)
        for junk in JUNK_STRINGS:
            assert junk not in body


def test_no_bare_numbers_nbsp_or_indentation_are_left(cleaned):
    for article in cleaned.values():
        for paragraph in article.paragraphs:
            assert not re.fullmatch(r"[\d.,\s]+", paragraph)
            assert "\u00a0" not in paragraph and paragraph == paragraph.strip() and "  " not in paragraph


def test_titles_dates_and_sources_are_lifted(cleaned):
    assert cleaned["000_7f6a571870bd5064.txt"].metadata.title.startswith("Trump-Kim Summit Updates")
    assert cleaned["000_7f6a571870bd5064.txt"].metadata.source == "Nytimes"
    assert cleaned["001_fbf9d736c58d5084.txt"].metadata.title == "Trump’s Talks With Kim Jong-un Abruptly Ended"
    seed_004 = cleaned["004_956c6de8b9b8fa00.txt"].metadata
    assert seed_004.title == "North Korea, US meeting breaks up without a joint statement"
    assert seed_004.published.startswith("2019-03-01")
    assert seed_004.external_ids == ["239617"]


def test_title_appears_once(cleaned):
    article = cleaned["004_956c6de8b9b8fa00.txt"]
    assert all(article.metadata.title not in paragraph for paragraph in article.paragraphs)


def test_every_removed_line_has_a_reason_and_no_prose_is_removed(seeds, cleaned):
    for name, article in cleaned.items():
        for removal in article.removals:
            assert removal.reason and removal.text
            assert removal.reason.split(":")[0] in {
                "junk",
                "caption",
                "metadata",
                "repeated_title",
                "outside_body",
                "learned",
                "body_model",
            }
        removed_text = {removal.text for removal in article.removals}
        lines, _ = normalise_whitespace(repair_unicode(seeds[name])[0])
        for line in lines:
            assert line == "" or line in removed_text or any(line in p for p in article.paragraphs), line


def test_every_real_paragraph_is_still_there(seeds, cleaned):
    """Each blank-line block of prose in the raw seed (sentences, 12+ words, no credit) survives whole."""
    for name, article in cleaned.items():
        lines, _ = normalise_whitespace(seeds[name])
        body = "\n".join(article.paragraphs)
        for paragraph in split_paragraphs(lines):
            prose = len(paragraph.split()) >= 12 and not re.search(r"(Photo|Photographer):|\. AP$", paragraph)
            if prose and not paragraph.startswith("[") and paragraph != article.metadata.title:
                assert paragraph in body, paragraph[:80]


def test_subheading_and_quotes_stay(cleaned):
    paragraphs = cleaned["004_956c6de8b9b8fa00.txt"].paragraphs
    assert "Trump faces more political headwinds" in paragraphs
    assert any(p.startswith("“It was all about the sanctions,” Trump told") for p in paragraphs)


def test_captions_are_removed_with_their_reason(cleaned):
    reasons = [r.reason for r in cleaned["001_fbf9d736c58d5084.txt"].removals if r.reason.startswith("caption:")]
    assert len(reasons) == 3
