"""Property tests on the cleaners: they never raise, they are idempotent, and they keep ordinary prose."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners.article import clean_article
from cleaners.metadata import ArticleMetadata
from flows.config import load_config
from tests.conftest import REPO

RULES = load_config(REPO / "copydesk.toml").cleaning
WORDS = st.sampled_from(
    "the talks in Hanoi ended early on Thursday and both leaders said they would meet again soon while "
    "officials from Pyongyang and Washington described the summit as productive despite the lack of a deal "
    "Kim Jong-un Trump Yongbyon sanctions nuclear 2019 12 percent reporters".split()
)
SENTENCE = st.lists(WORDS, min_size=8, max_size=30).map(lambda words: " ".join(words).capitalize() + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join)
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(ANY_TEXT)
def test_cleaning_never_raises(text):
    cleaned = clean_article(text, RULES)
    assert all(paragraph == paragraph.strip() and paragraph for paragraph in cleaned.paragraphs)


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(PARAGRAPH, ANY_TEXT), min_size=1, max_size=6))
def test_cleaning_is_idempotent(blocks):
    first = clean_article("\n\n".join(blocks), RULES)
    known = ArticleMetadata(title=first.metadata.title or "")  # "": known to have no title
    again = clean_article("\n\n".join(first.paragraphs), RULES, known)
    assert again.paragraphs == first.paragraphs


@PROPERTY_SETTINGS
@given(st.lists(PARAGRAPH, min_size=1, max_size=8))
def test_ordinary_prose_is_never_dropped(paragraphs):
    cleaned = clean_article("\n\n".join(paragraphs), RULES, ArticleMetadata(title="Talks in Hanoi"))
    assert cleaned.paragraphs == paragraphs
