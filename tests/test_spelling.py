"""Corpus-aware typo and run-together-word correction: fixes what the corpus proves, leaves names alone."""

from dataclasses import replace

import pytest

from cleaners.article import clean_article
from cleaners.spelling import Vocabulary, apply_corrections, decide_corrections, iter_words
from flows.dictionary import load_base_dictionary

SEED_NAMES = ("Yongbyon", "Pyongyang", "Rodong", "Sinmun", "Choe", "Sang-Hun", "Eui-kyeom", "Metropole",
              "Sofitel", "Huckabee", "Ramzy", "Motoko")


@pytest.fixture(scope="module")
def base():
    return load_base_dictionary()


@pytest.fixture(scope="module")
def seed_paragraphs(seeds, config):
    return [p for text in seeds.values() for p in clean_article(text, config.cleaning).paragraphs]


def decide(paragraphs, base, rules, protected=frozenset()):
    return decide_corrections(Vocabulary.from_texts(paragraphs), base, rules, protected)


def test_seed_typos_are_fixed_and_nothing_else(seed_paragraphs, base, config):
    decisions = decide(seed_paragraphs, base, config.spelling)
    assert {token: d.replacement for token, d in decisions.items()} == {
        "denculearization": "denuclearization",
        "Hosaid": "Ho said",
    }
    assert decisions["denculearization"].rule == "typo:corpus"
    assert decisions["Hosaid"].rule == "split:name_runon"


def test_seed_names_are_never_judged_typos(seed_paragraphs, base, config):
    decisions = decide(seed_paragraphs, base, config.spelling)
    assert not set(decisions) & set(SEED_NAMES)
    corrected, _ = apply_corrections(seed_paragraphs, decisions)
    text = "\n".join(corrected)
    for name in ("Yongbyon", "Pyongyang", "Rodong Sinmun", "Choe Sang-Hun", "Kim Eui-kyeom", "Ri Yong Ho said"):
        assert name in text


def test_a_name_seen_once_is_left_alone(base, config):
    paragraphs = ["Rodong Sinmun devoted two pages to the summit."] + ["The summit was in Hanoi."] * 3
    assert decide(paragraphs, base, config.spelling) == {}


def test_proper_noun_is_fixed_only_toward_a_name_the_corpus_spells_right(base, config):
    paragraphs = ["Talks in Pyongyang resumed."] * 4 + ["Officials in Pyongyan said little."]
    decisions = decide(paragraphs, base, config.spelling)
    assert decisions["Pyongyan"].replacement == "Pyongyang"
    assert decisions["Pyongyan"].rule == "typo:proper_noun"


def test_run_together_words_split_when_the_corpus_uses_the_pair(base, config):
    paragraphs = ["The sanctions imposed on Pyongyang stay.", "Harsh sanctions imposed last year.",
                  "He criticised the sanctionsimposed by the council."]
    decisions = decide(paragraphs, base, config.spelling)
    assert decisions["sanctionsimposed"].replacement == "sanctions imposed"
    assert decisions["sanctionsimposed"].rule == "split:run_together"


@pytest.mark.parametrize("word", ["walkaway", "dealbreaker", "rapprochement", "communiqué", "facto"])
def test_rare_correct_words_stay(base, config, word):
    paragraphs = [f"This was a {word} moment, officials said.", "Officials said the deal was off."]
    assert word not in decide(paragraphs, base, config.spelling)


def test_urls_hashtags_and_handles_are_not_words():
    text = "See www.denculearization.com and #denculearization or @denculearization, mail a@b.org now."
    assert [word for _, _, word in iter_words(text)] == ["See", "and", "or", "mail", "now"]


def test_acronyms_numbers_and_short_words_stay(base, config):
    paragraphs = ["KCNA reported 17 color photos.", "The KCNA report came at 0337 GMT."] * 2 + ["KNCA said so."]
    assert decide(paragraphs, base, config.spelling) == {}


def test_protected_words_from_config_and_titles_stay(base, config):
    paragraphs = ["Denuclearization talks: denuclearization first."] * 3 + ["The denculearization plan."]
    assert "denculearization" in decide(paragraphs, base, config.spelling)
    rules = replace(config.spelling, protected_words=frozenset({"denculearization"}))
    assert decide(paragraphs, base, rules) == {}
    assert decide(paragraphs, base, config.spelling, protected=frozenset({"denculearization"})) == {}


def test_spelling_can_be_switched_off(seed_paragraphs, base, config):
    assert decide(seed_paragraphs, base, replace(config.spelling, enabled=False)) == {}


def test_corrections_record_paragraph_rule_and_context(seed_paragraphs, base, config):
    decisions = decide(seed_paragraphs, base, config.spelling)
    paragraphs = ["Nothing to fix here.", "the promise of full denculearization. And Ri Yong Hosaid so."]
    corrected, corrections = apply_corrections(paragraphs, decisions)
    assert corrected == ["Nothing to fix here.", "the promise of full denuclearization. And Ri Yong Ho said so."]
    assert [(c.para_idx, c.original, c.corrected, c.rule) for c in corrections] == [
        (1, "denculearization", "denuclearization", "typo:corpus"),
        (1, "Hosaid", "Ho said", "split:name_runon"),
    ]
    assert all(0.5 <= c.confidence <= 1 and c.original in c.context for c in corrections)
