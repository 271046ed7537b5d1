"""Language awareness: each article's language, spelling only in English, dedup in scripts without spaces."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import wordfreq

from cleaners.language import UNDETERMINED, _identifier, detect_language, language_sample
from cleaners.rules import LanguageRules
from cleaners.spelling import Vocabulary, decide_corrections, decided_word
from dedup.deduplicate import find_matches
from dedup.shingles import normalised_words, split_sentences
from flows.config import ConfigError, load_config
from flows.stages.dictionary import common_words, load_base_dictionary
from flows.stages.records import Rejection
from flows.stages.steps import finish_documents, read_and_prepare
from tests.conftest import REPO
from tests.test_pipeline import run_cli

MULTILINGUAL = Path(__file__).parent / "data" / "multilingual"
# Common words of other languages inside the English article, and the English word each is a near miss of.
FOREIGN_IN_ENGLISH = ("hausse", "devant", "werde", "doktor")
# The English words the corpus evidence alone would make of those one edit away ("hausse" and "devant" are two edits
# from "house" and "demand", which typo:corpus takes only where the corpus prints them in the same company).
ONE_EDIT_INTO_ENGLISH = {"werde": "were", "doktor": "doctor"}


def article_paragraphs(name: str) -> list[str]:
    """The paragraphs of one article of the multilingual set, its headline left out."""
    text = (MULTILINGUAL / name).read_text(encoding="utf-8")
    return [paragraph.strip() for paragraph in text.split("\n\n")[1:] if paragraph.strip()]


def expected_language(name: str) -> str:
    """Each file of the set is named after its language: "de_mieten_berlin.txt" is German."""
    return name.split("_", 1)[0]


@pytest.mark.parametrize("name", sorted(path.name for path in MULTILINGUAL.glob("*.txt")))
def test_each_article_of_the_set_is_detected_in_its_language(name, config):
    assert detect_language(article_paragraphs(name), config.language) == expected_language(name)


def test_too_few_letters_are_undetermined_and_enough_are_judged(config):
    assert detect_language(["Yes, 12:30."], config.language) == UNDETERMINED
    assert detect_language(["2019 — 4,500 / 12.5%"], config.language) == UNDETERMINED
    assert detect_language([], config.language) == UNDETERMINED
    assert detect_language(["Die Regierung hat am Montag neue Regeln beschlossen."], config.language) == "de"


def test_letters_after_a_long_start_of_figures_count(config):
    figures = "2019 — 4,500 / 12.5% — 3:1 — 10,000 — 2.4 — 19:45 — 1,250 — 7-3 — 88% — 2,000,000 — 14.6 —"
    german = "Die Regierung hat am Montag neue Regeln beschlossen. Sie gelten ab dem ersten Januar für alle Schulen."
    assert detect_language([figures, german], config.language) == "de"
    assert detect_language([figures, "Yes."], config.language) == UNDETERMINED


def test_an_unsure_guess_is_undetermined():
    names = ["Paris Berlin Madrid Warszawa London Roma Praha"]  # letters enough, but no language's words
    assert detect_language(names, LanguageRules(min_confidence=0.5)) == UNDETERMINED
    assert detect_language(names, LanguageRules(min_confidence=0.0)) != UNDETERMINED


def test_the_sample_is_the_start_of_the_text_up_to_its_length():
    paragraphs = ["a" * 300, "b" * 300, "c" * 300]
    sample = language_sample(paragraphs, 500)
    assert sample.startswith("a" * 300 + "\n" + "b") and "c" not in sample and len(sample) <= 500
    assert language_sample(["short"], 500) == "short"


def english_vocabulary() -> Vocabulary:
    return Vocabulary.from_texts(
        paragraph for path in sorted(MULTILINGUAL.glob("en_*.txt")) for paragraph in article_paragraphs(path.name)
    )


def test_common_foreign_words_in_english_text_are_never_corrected_but_english_typos_are(config):
    rules = config.spelling
    vocabulary = english_vocabulary()
    unguarded = decide_corrections(vocabulary, load_base_dictionary(), rules)
    # Without the other languages' word lists the corpus evidence turns the foreign words one edit away into English...
    turned = {word: unguarded[word].replacement for word in FOREIGN_IN_ENGLISH if word in unguarded}
    assert turned == ONE_EDIT_INTO_ENGLISH
    guarded = decide_corrections(
        vocabulary, load_base_dictionary(rules.foreign_word_languages, rules.foreign_word_min_zipf), rules
    )
    # ...with them, only the real typo is fixed.
    assert {word: decision.replacement for word, decision in guarded.items()} == {"goverment": "government"}


def test_config_refuses_spelling_languages_without_a_word_list(tmp_path):
    text = (REPO / "copydesk.toml").read_text(encoding="utf-8")
    for old, new in (
        ('languages = ["en"]', 'languages = ["en", "de"]'),
        ('foreign_word_languages = ["de",', 'foreign_word_languages = ["xx", "de",'),
    ):
        path = tmp_path / "copydesk.toml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(ConfigError, match="word list"):
            load_config(path)


RAIL_COPY = article_paragraphs("zh_rail_agency.txt")[0]
RAIL_REWORDED = article_paragraphs("zh_rail_paper.txt")[0]
RAIL_OTHER = article_paragraphs("zh_rail_paper.txt")[1]


def test_chinese_text_has_character_pair_words_and_sentences_without_spaces():
    assert normalised_words("政府宣布新规定。") == ["政府", "府宣", "宣布", "布新", "新规", "规定"]
    assert normalised_words("日本のGDPは成長した") == ["日本", "本の", "gdp", "は成", "成長", "長し", "した"]
    assert len(normalised_words(RAIL_COPY)) == 57  # 61 characters in 4 runs: MinHash judges it, not exact match
    assert split_sentences("他说：「这很重要。」然后离开了。明天见！") == [
        "他说：「这很重要。」",
        "然后离开了。",
        "明天见！",
    ]


def test_near_duplicate_chinese_paragraphs_match_and_different_ones_do_not(config):
    matches = find_matches([RAIL_COPY, RAIL_REWORDED, RAIL_OTHER], config.dedup)
    assert [pair for pair in matches.overlaps] == [(0, 1)]


@pytest.fixture
def multilingual_run(prefect_harness, tmp_path) -> Path:
    """The whole multilingual set through the real flow; its output folder."""
    raw = tmp_path / "raw"
    shutil.copytree(MULTILINGUAL, raw)
    out = tmp_path / "clean"
    assert run_cli(raw, out) == 0
    return out


def test_the_flow_detects_languages_corrects_only_english_and_dedups_chinese(multilingual_run):
    out = multilingual_run
    articles = pd.read_parquet(out / "articles.parquet").set_index("source_path")
    assert len(pd.read_parquet(out / "rejected.parquet")) == 0  # Chinese and Japanese articles are not "too short"
    assert {name: articles.loc[name, "language"] for name in articles.index} == {
        name: expected_language(name) for name in articles.index
    }
    corrections = pd.read_parquet(out / "corrections.parquet")
    by_doc = articles.reset_index().set_index("doc_id")
    assert set(by_doc.loc[corrections.doc_id, "source_path"]) == {"en_housing_budget.txt"}
    assert list(zip(corrections.original, corrections.corrected)) == [("goverment", "government")]
    english = articles.loc["en_housing_budget.txt", "text"]
    assert "government" in english and all(re.search(rf"\b{word}\b", english) for word in FOREIGN_IN_ENGLISH)
    for name in articles.index.drop(["en_housing_budget.txt"]):
        written = (MULTILINGUAL / name).read_text(encoding="utf-8")
        assert all(paragraph in written for paragraph in articles.loc[name, "text"].split("\n\n")), name

    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    cluster_of = dict(zip(paragraphs.text, paragraphs.cluster_id))
    assert cluster_of[RAIL_COPY] == cluster_of[RAIL_REWORDED] != cluster_of[RAIL_OTHER]
    corpus = [json.loads(line) for line in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(corpus) == len(articles)
    assert all(row["language"] == by_doc.loc[row["doc_id"], "language"] for row in corpus)


def test_an_english_typo_that_is_a_foreign_word_is_fixed_only_where_a_copy_prints_the_english_word(config):
    """German "ist" for "is": a copy of the same English paragraph vouches for the fix; frequency alone never does."""
    rules = config.spelling
    base = load_base_dictionary(rules.foreign_word_languages, rules.foreign_word_min_zipf)
    right = "The strike is planned for Tuesday, the union said after talks with the hospital board failed."
    typo = right.replace(" is ", " ist ", 1)
    vocabulary = Vocabulary.from_texts([right, typo])
    assert decide_corrections(vocabulary, base, rules) == {}
    [(key, decision)] = decide_corrections(vocabulary, base, rules, frozenset(), [(right, typo)]).items()
    assert decided_word(key) == "ist" and (decision.replacement, decision.rule) == ("is", "typo:syndicated")


def test_the_foreign_words_are_kept_and_the_word_lists_they_come_from_let_go():
    words = common_words(("de", "fr"), 4.0)
    assert {"nicht", "und", "avec", "pourquoi"} <= words and "über" not in words  # Latin letters only
    assert wordfreq.get_frequency_list.cache_info().currsize == 0


def test_the_compiled_walk_scores_every_text_exactly_as_py3langid_does():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    texts = [language_sample(article_paragraphs(path.name), 500) for path in sorted(MULTILINGUAL.glob("*.txt"))]
    texts += ["", "12345", "Paris Berlin Madrid", "Die Regierung hat am Montag neue Regeln beschlossen."]
    assert [_identifier().classify(text) for text in texts] == [reference.classify(text) for text in texts]


def test_a_batch_finished_together_gives_each_document_the_language_of_its_own_paragraphs(tmp_path, config):
    names = sorted(path.name for path in MULTILINGUAL.glob("*.txt"))
    for name in names:
        shutil.copy(MULTILINGUAL / name, tmp_path / name)
    (tmp_path / "f_short.txt").write_text("Breaking news\n\nYes.\n", encoding="utf-8")  # rejected, among them
    reads = read_and_prepare(tmp_path, sorted(path.name for path in tmp_path.iterdir()), config)
    results = finish_documents([item for read in reads.values() for item in read.prepared], {}, config)
    assert [type(result) for result in results].index(Rejection) == names.index("fr_budget_agence.txt")
    documents = [result.document for result in results if not isinstance(result, Rejection)]
    assert [document.source_path for document in documents] == names
    languages = [document.language for document in documents]
    assert languages == [detect_language(document.paragraphs, config.language) for document in documents]
    assert set(languages) == {expected_language(name) for name in names}


@pytest.mark.parametrize("min_zipf", [0.0, 3.0, 4.0, 8.99])
def test_common_words_read_only_the_first_buckets_are_those_of_the_whole_lists(min_zipf):
    languages = ("de", "pl")
    kept = round((9 - min_zipf) * 100) + 1
    whole = {
        word
        for language in languages
        for bucket in wordfreq.get_frequency_list(language, wordlist="best")[:kept]
        for word in bucket
        if word.isascii() and word.isalpha()
    }
    wordfreq.get_frequency_list.cache_clear()
    assert common_words(languages, min_zipf) == whole
