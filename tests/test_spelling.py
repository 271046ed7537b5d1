"""Corpus-aware typo and run-together-word correction: fixes what the corpus proves, leaves names alone."""

import re
from dataclasses import replace
from itertools import product

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleaners import spelling
from cleaners.article import clean_article
from cleaners.spelling import (
    ALTERNATIVES_PER_PATTERN,
    STANDING_ALONE,
    CorrectionTable,
    Evidence,
    SpellingDecision,
    SpellingJudge,
    Vocabulary,
    alternations,
    apply_corrections,
    count_evidence,
    decide_corrections,
    decided_word,
    evidence_table,
    iter_words,
    matching_any,
    named_digest,
    paragraph_digest,
    paragraph_digests,
    reviewed_decisions,
    scoped_key,
    text_words,
    word_lists,
    words_at,
)
from cleaners.word_scan import WORD_CLASSES
from flows.stages.dictionary import load_base_dictionary
from flows.stages.steps import metadata_words

SEED_NAMES = (
    "Yongbyon",
    "Pyongyang",
    "Rodong",
    "Sinmun",
    "Choe",
    "Sang-Hun",
    "Eui-kyeom",
    "Metropole",
    "Sofitel",
    "Huckabee",
    "Ramzy",
    "Motoko",
)


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
    paragraphs = ["Talks in the capital Pyongyang resumed."] * 4 + ["Officials in the capital Pyongyan said little."]
    decisions = decide(paragraphs, base, config.spelling)
    assert decisions["Pyongyan"].replacement == "Pyongyang"
    assert decisions["Pyongyan"].rule == "typo:proper_noun"


def test_run_together_words_split_when_the_corpus_uses_the_pair(base, config):
    paragraphs = [
        "The sanctions imposed on Pyongyang stay.",
        "Harsh sanctions imposed last year.",
        "He criticised the sanctionsimposed by the council.",
    ]
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
    assert text_words(text) == ["See", "and", "or", "mail", "now"]


def test_text_words_are_the_words_iter_words_finds(seeds):
    paragraphs = [paragraph for text in seeds.values() for paragraph in text.split("\n\n")]
    assert sum(len(text_words(paragraph)) for paragraph in paragraphs) > 1000
    for paragraph in paragraphs:
        assert text_words(paragraph) == [word for _, _, word in iter_words(paragraph)]


def test_the_places_of_some_words_are_those_iter_words_finds_for_them(seeds):
    """`words_at` finds a word's places by `str.find`: where it stands inside a longer word, joined by a hyphen or an
    apostrophe, after a non-ASCII letter or in a URL, handle or e-mail address, it is no word, as `iter_words` says."""
    paragraphs = [paragraph for text in seeds.values() for paragraph in text.split("\n\n")]
    shapes = [
        "Ed's car, Ed-style, Ed' said Ed. Ed",
        "Mr Ed met Mr. Ed and éEd, Edé, _Ed, Ed_ and 3Ed at ed.com/Ed, Ed@ed.org, #Ed @Ed Ed’s Ed’ Ed-",
        "rock'n'roll rock'n roll n'roll rock'n'",
        "well-known well- known well-known-ish known-well",
    ]
    for paragraph in [*paragraphs, *shapes]:
        words = text_words(paragraph)
        for chosen in [set(words), set(words[::7]), {"Ed", "known", "roll", "rock", "n", "well-known", "Ed's"}]:
            assert words_at(paragraph, chosen) == [place for place in iter_words(paragraph) if place[2] in chosen]
    assert [word for _, _, word in words_at(shapes[0], {"Ed"})] == ["Ed", "Ed", "Ed"]


def test_word_lists_are_each_texts_text_words(seeds):
    paragraphs = [paragraph for text in seeds.values() for paragraph in text.split("\n\n")]
    shapes = [
        "",
        " ",
        "Kim's dogs' rock’n’roll don't- -ex- x-ray well-known re-elected 'quoted' ‘curly’",
        "abc123 _under_score über café naïve Zoë and\u00a0nbsp\ttab\nline end.",
        'word,comma (paren) [bracket] "quote" 3-D 2nd  double  space e\u0301 ДА ٣x x٣',
        "See www.site.com and #tag or @handle, mail a@b.org, 24/7 and/or http://x.y/z now.",
        "an emoji 😀 here and \U0001123f there",
    ]
    texts = paragraphs + shapes
    assert word_lists(texts).to_pylist() == [text_words(text) for text in texts]
    assert word_lists([]).to_pylist() == []


def test_the_word_scan_reads_a_word_run_as_python_does_in_the_basic_multilingual_plane():
    characters = [chr(point) for point in range(0x10000) if not 0xD800 <= point <= 0xDFFF]
    python = [re.fullmatch(r"[\w'’-]", character) is not None for character in characters]
    scanned = [WORD_CLASSES[ord(character)] != 0 for character in characters]
    assert scanned == python
    letters = [re.fullmatch("[A-Za-z]", character) is not None for character in characters]
    assert [WORD_CLASSES[ord(character)] == 1 for character in characters] == letters
    beyond = pa.array(["x \U00010000", "x \U0010ffff", "x \uffff"])
    assert pc.match_substring_regex(beyond, spelling._NOT_SPLIT_BY_SCAN).to_pylist() == [True, True, False]


@settings(max_examples=300, deadline=None)
@example(["A", "A", "A"])  # as many words as letters: one a text
@given(st.lists(st.text(alphabet="abAZ -'’_1٣é\u0301\u00a0\t.,/@#😀ДxX", max_size=30), max_size=5))
def test_any_texts_word_lists_are_their_text_words(texts):
    assert word_lists(texts).to_pylist() == [text_words(text) for text in texts]


def test_acronyms_numbers_and_short_words_stay(base, config):
    paragraphs = ["KCNA reported 17 color photos.", "The KCNA report came at 0337 GMT."] * 2 + ["KNCA said so."]
    assert decide(paragraphs, base, config.spelling) == {}


def test_protected_words_from_config_and_titles_stay(base, config):
    paragraphs = ["Denuclearization talks: denuclearization first."] * 3 + ["The denculearization plan."]
    assert "denculearization" in decide(paragraphs, base, config.spelling)
    rules = replace(config.spelling, protected_words=frozenset({"denculearization"}))
    assert decide(paragraphs, base, rules) == {}
    assert decide(paragraphs, base, config.spelling, protected=frozenset({"denculearization"})) == {}


def test_metadata_words_are_every_title_source_and_author_word():
    title = "N. Korea to halt nuclear tests, Kim Jong Un says"
    titles = [title, None, title]
    articles = pa.table(
        {
            "title": titles,
            "source": ["Yonhap", "Rodong Sinmun", None],
            "authors": [["Choe Sang-Hun"], [], ["Choe Sang-Hun", "Motoko Rich"]],
        }
    )
    texts = [text for row in articles.to_pylist() for text in (row["title"], row["source"], *row["authors"]) if text]
    assert metadata_words(articles) == frozenset(word for text in texts for word in text_words(text))
    assert {"Kim", "Sinmun", "Sang-Hun", "Motoko"} <= metadata_words(articles)


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


def test_word_broken_at_a_line_end_is_joined(base, config):
    paragraphs = ["Talks on denuclearization stalled."] * 2 + [
        "The denucle- arization of the peninsula and a well- known site."
    ]
    corrected, corrections = apply_corrections(paragraphs, decide(paragraphs, base, config.spelling))
    assert corrected[2] == "The denuclearization of the peninsula and a well- known site."
    assert [(c.original, c.rule) for c in corrections] == [("denucle- arization", "join:broken_word")]


def test_lost_space_after_a_sentence_is_restored(base, config):
    paragraphs = ["Mr. Kim said.The talks ended. Visit example.com or U.S.Army pages, e.g.The list."]
    corrected, corrections = apply_corrections(paragraphs, decide(paragraphs, base, config.spelling))
    assert corrected == ["Mr. Kim said. The talks ended. Visit example.com or U.S.Army pages, e.g.The list."]
    assert [c.rule for c in corrections] == ["space:after_sentence"]


def test_syndicated_copies_expose_a_typo_three_edits_away(base, config):
    wire = "The negotiations in Hanoi collapsed on Thursday after the sanctions dispute, officials said."
    copy = "The negoshation in Hanoi collapsed on Thursday after the sanctions dispute, officials said."
    paragraphs = [wire, wire, copy]
    assert "negoshation" not in decide(paragraphs, base, config.spelling)
    decisions = decide_corrections(Vocabulary.from_texts(paragraphs), base, config.spelling, copies=[(wire, copy)])
    assert decisions["negoshation"].replacement == "negotiations"
    assert decisions["negoshation"].rule == "typo:syndicated"


def test_syndicated_copies_expose_run_together_words_and_names(base, config):
    wire = "Foreign Minister Ri Yong Ho said Pyongyang had only wanted some sanctions eased."
    copy = "Foreign Minister Ri Yong Hosaid Pyongyan had only wanted some sanctions eased."
    decisions = decide_corrections(
        Vocabulary.from_texts([wire, copy, wire]), base, config.spelling, copies=[(copy, wire)]
    )
    assert decisions["Hosaid"].replacement == "Ho said"
    assert decisions["Pyongyan"].replacement == "Pyongyang"


def test_copies_that_differ_by_a_real_word_change_nothing(base, config):
    wire = "Officials said the summit in Hanoi ended early without a joint statement from either side."
    copy = "Officials said the meeting in Hanoi ended abruptly without a joint statement from either side."
    decisions = decide_corrections(Vocabulary.from_texts([wire, copy]), base, config.spelling, copies=[(wire, copy)])
    assert decisions == {}


def test_a_rare_name_facing_a_different_name_is_left_alone(base, config):
    wire = "North Korean Vice Foreign Minister Choe Son Hui told the briefing she had doubts."
    copy = "North Korean Vice Foreign Minister Chloe Son Hui told the briefing she had doubts."
    decisions = decide_corrections(Vocabulary.from_texts([wire, copy]), base, config.spelling, copies=[(wire, copy)])
    assert "Choe" not in decisions and "Chloe" not in decisions


@pytest.mark.parametrize(
    ("word", "near"),
    [
        ("delisted", "listed"),
        ("rebrand", "brand"),
        ("speeded", "seeded"),
        ("wirelessly", "wireless"),
        ("throughputs", "throughout"),
    ],
)
def test_regular_derivations_of_english_words_stay(base, config, word, near):
    paragraphs = [f"The {near} items were shown to the board."] * 4 + [f"Officials said it was {word} on Monday."]
    assert word not in decide(paragraphs, base, config.spelling)


def test_a_prefix_on_an_inflected_english_word_is_not_a_typo_of_a_frequent_near_word(base, config):
    """CleanEval page 60 beside WCXB page 4146 (bench_clean's dumps): "reenactors" (re + enactor + s) stays,
    though the telescope page prints "refractors", two edits away, eight times; a typo of "refractors" is fixed."""
    telescopes = [
        "The 5 telescopes on this list are all small apochromatic (APO) refractors.",
        (
            "For many of the refractors listed on this page, a field flattener/reducer (or focal corrector) is "
            "recommended to get the most out of the optics."
        ),
        "Apochromatic refractors use ED extra-low-dispersion glass to enhance resolution and reduce chromatic aberration.",
        "The manufacturers of these refractors refer to APO’s as ultra-high contrast.",
    ]
    review = (
        "Those who favor gentrification have all the neuroses -- they are suicidal gambling addicts, bitter former "
        "beauty queens, wounded semi-pro athletes turned car salesmen, heartless local politicos, clownish fat "
        "golfers, trailer park Civil War reenactors."
    )
    typo = "The manufacturers of these refractros refer to APO’s as ultra-high contrast."
    decisions = decide([*telescopes, *telescopes, review, typo], base, config.spelling)  # the HTML and its dump
    assert "reenactors" not in decisions
    assert decisions["refractros"].replacement == "refractors"


def test_a_rare_singular_is_not_a_typo_of_its_frequent_plural(base, config):
    """BBC 2004 prints "smartcards" three times and "smartcard" once: one edit apart, but the same word in
    another number, not a typo of it (seed 2004's one false change of `make bench-typos`)."""
    paragraphs = [
        "Transport systems around the world are seeing the advantage of using ticketless smartcards.",
        "Any household hooked up to Sky could soon be using smartcards in conjunction with their set-top boxes.",
        "Broadcasters aiming content at children could offer smartcards which gives membership to exclusive content.",
        "Currently most Freeview boxes do not have a slot which would allow viewers to use a smartcard.",
    ]
    assert "smartcard" not in decide(paragraphs, base, config.spelling)


COMPACT = [
    "Chinese firms copy products ranging from computer software and spark plugs to baby milk and compact discs.",
    "Similarly on the up was the Smart brand of compact cars, with the division's sales jumping by 21.",
    "It's a nice compact ground with a good atmosphere and hopefully I can help give the fans something else to cheer.",
    "Respond supplies maps to aid groups via the web, and on compact disc.",
    "It will be tough to obtain/build a PC to ever be as compact and charming as the Mac mini.",
]
TV_COMEDY = [
    "Nighty Night was named Britain's best new TV comedy over ITV1 shows Doc Martin and Life Begins.",
    "But Doc Martin won best TV comedy drama, over Jonathan Creek (BBC One) and Shameless.",
    "Other winners at the awards included Caroline Quentin, who took home best TV comedy actress for Life Begins.",
    "Long-running shows Will and Grace and CSI: Crime Scene Investigation were named best TV comedy and TV drama.",
    "The BBC show beat The Office Christmas Special in the best TV comedy category and took the people's choice award.",
    "The Globes also honour the best in television, with suburban series Desperate Housewives named best TV comedy show.",
]


def test_a_word_two_edits_from_a_corpus_word_changes_only_beside_its_company(base, config):
    """Without a copy, two edits are proof only where the corpus prints the fix beside a content word the rare word
    stands beside: seed 2004's "TV comedie" is fixed, a Slashdot comment's "compsci" (bench_clean) is not "compact"."""
    comedie = (
        "Little Britain stars Matt Lucas and David Walliams have been named the most powerful people in TV comedie, "
        "in a poll by listings magazine Radio Times."
    )
    compsci = "I've done @100 interviews with newly graduated compsci majors. Some have left the interview in tears."
    decisions = decide([*COMPACT, *TV_COMEDY, comedie, compsci], base, config.spelling)
    assert decisions["comedie"].replacement == "comedy"
    assert "compsci" not in decisions


@pytest.mark.parametrize("word", ["webpages", "frontman", "hardline", "freefall", "cybersecurity", "sportscar"])
def test_closed_compounds_are_not_split_without_a_copy(base, config, word):
    left, right = {
        "webpages": ("web", "pages"),
        "frontman": ("front", "man"),
        "hardline": ("hard", "line"),
        "freefall": ("free", "fall"),
        "cybersecurity": ("cyber", "security"),
        "sportscar": ("sports", "car"),
    }[word]
    paragraphs = [f"The {left} {right} story ran."] * 3 + [f"The {word} story ran on Monday."]
    assert word not in decide(paragraphs, base, config.spelling)


def test_a_name_near_another_name_in_other_company_stays(base, config):
    paragraphs = ["Mayor Tom Barrow opened the bridge."] * 4 + ["EU commissioner Jacques Barrot spoke in Brussels."]
    assert "Barrot" not in decide(paragraphs, base, config.spelling)


def test_a_vocabulary_makes_only_the_neighbour_marks_of_the_words_asked_python_strings():
    vocabulary = Vocabulary.from_texts(["Trade talks resumed in Geneva, said Maria Lopez. Lopez met Geneva officials."])
    assert isinstance(vocabulary.neighbour_marks, pa.ChunkedArray)
    assert vocabulary.neighbours_of(["Lopez", "Nobody"]) == {"Lopez": {"<maria", "<lopez", "lopez>", "met>"}}
    assert vocabulary.neighbours_of(["Geneva"]) == {"Geneva": {"<met", "officials>"}}


def test_a_misspelt_name_asks_the_company_only_of_the_corpus_rare_names(base, config):
    paragraphs = ["Talks in the capital Pyongyang resumed."] * 4 + ["Officials in the capital Pyongyan said little."]
    judge = SpellingJudge(Vocabulary.from_texts(paragraphs), base, config.spelling)
    assert judge.decide("Pyongyan", frozenset()).replacement == "Pyongyang"
    assert judge.rare_name_neighbours == {"Pyongyan": {"<capital"}}, "Pyongyang, printed 4 times, is not asked about"


def test_a_names_plural_or_possessive_form_is_not_a_typo(base, config):
    paragraphs = ["Coach Oatley said the capital team won."] * 4 + ["The Oatleys said the capital team won."]
    assert "Oatleys" not in decide(paragraphs, base, config.spelling)


def test_a_name_runon_repeated_by_every_copy_is_still_split(base, config):
    paragraphs = ["Foreign Minister Ri Yong Hosaid the offer was final."] * 3
    assert decide(paragraphs, base, config.spelling)["Hosaid"].replacement == "Ho said"


def decide_with_copies(paragraphs, copies, base, rules):
    return decide_corrections(Vocabulary.from_texts(paragraphs), base, rules, copies=copies)


def test_copies_that_differ_in_several_places_fix_the_typo_and_nothing_reworded(base, config):
    wire = (
        "SEOUL, Dec 3 (Reuters) - North Korea's foreign minister said on Tuesday the talks would resume next "
        "month. Exports rose 5 pct to 120 mln dlrs in October, the ministry said. Officials gave no details."
    )
    copy = (
        "North Korea's foreign minester says on Tuesday the talks would resume next month. Exports rose "
        "5 percent to 120 million dollars in October, the ministry says."
    )
    decisions = decide_with_copies([wire, copy], [(wire, copy)], base, config.spelling)
    assert {word: decision.replacement for word, decision in decisions.items()} == {"minester": "minister"}
    assert decisions["minester"].rule == "typo:syndicated"
    corrected, _ = apply_corrections([wire, copy], decisions)
    assert corrected == [wire, copy.replace("minester", "minister")]


def test_short_word_typos_are_fixed_where_a_copy_prints_the_word(base, config):
    wire = "Officials from the ministry said that the plan was likely to take months, not weeks."
    copy = "Officials fomr the ministry said tath the plan was likly to take monts, not weeks."
    elsewhere = "A fomr and a tath stood in the yard."
    others = ["Reports from the region said that talks would likely take months."] * 3
    decisions = decide_with_copies([wire, copy, elsewhere, *others], [(wire, copy)], base, config.spelling)
    corrected, corrections = apply_corrections([copy, elsewhere], decisions)
    assert corrected == [wire, elsewhere]
    assert {(c.original, c.corrected) for c in corrections} == {
        ("fomr", "from"),
        ("tath", "that"),
        ("likly", "likely"),
        ("monts", "months"),
    }


def test_a_short_typo_is_fixed_only_in_the_paragraph_whose_copy_shows_it(base, config):
    report = "Bramble 35 og, Mellor 38, Baros 61 and Gerrard 77 scored for the visitors at Anfield."
    wire = "The minister of trade said the deal would be signed in March."
    copy = "The minister og trade said the deal would be signed in March."
    others = ["One of the ministers of state spoke of the end of the talks."] * 2
    decisions = decide_with_copies(
        [report, report, wire, copy, *others], [(report, report), (wire, copy)], base, config.spelling
    )
    assert "og" not in decisions
    corrected, _ = apply_corrections([report, copy], decisions)
    assert corrected == [report, wire]


@pytest.mark.parametrize(("runon", "name"), [("Cosaid", "Co"), ("AGsaid", "AG"), ("Hosays", "Ho")])
def test_names_run_into_said_are_split_where_a_copy_prints_them_apart(base, config, runon, name):
    verb = runon.removeprefix(name)
    wire = f"Shares fell on Monday after the chairman of {name} {verb} the merger talks had ended."
    copy = f"Shares fell on Monday after the chairman of {runon} the merger talks had ended."
    decisions = decide_with_copies([wire, wire, copy], [(wire, copy)], base, config.spelling)
    assert decisions[runon].replacement == f"{name} {verb}"
    assert decisions[runon].rule == "split:syndicated"


def test_names_and_numbers_each_outlet_prints_its_own_way_stay(base, config):
    wire = "Colonel Kadhafi met envoy Tony Blair in Tripoli on 12 March, aides of Kadhafi said, and 1,500 guests."
    copy = "Colonel Gadhafi met envoy Tony Blair in Tripoli on 21 March, aides of Gadhafi said, and 1,050 guests."
    paragraphs = [wire, copy, wire.replace("met", "saw"), copy.replace("met", "saw")]
    decisions = decide_with_copies(paragraphs, [(wire, copy), (paragraphs[2], paragraphs[3])], base, config.spelling)
    assert decisions == {}


def test_a_copy_that_prints_another_word_vetoes_the_corpus_guess(base, config):
    paragraphs = ["Officials said the quarter ended well."] * 4
    wire = "Growth slowed in the first quarterof 2004, officials said."
    copy = "Growth slowed in the first half of 2004, officials said."
    alone = decide(paragraphs + [wire], base, config.spelling)
    assert alone["quarterof"].replacement in {"quarter", "quarter of"}
    decisions = decide_with_copies(paragraphs + [wire, copy], [(wire, copy)], base, config.spelling)
    assert "quarterof" not in decisions


@pytest.mark.parametrize(("typo", "word"), [("makeing", "making"), ("droped", "dropped"), ("monts", "months")])
def test_misspelt_inflections_are_typos_where_a_copy_prints_the_word(base, config, typo, word):
    wire = f"Officials said the firm was {word} progress on the plan before the vote on Monday."
    copy = f"Officials said the firm was {typo} progress on the plan before the vote on Monday."
    decisions = decide_with_copies([wire, copy], [(wire, copy)], base, config.spelling)
    assert {key: decision.replacement for key, decision in decisions.items()} == {typo: word}


def test_rejecting_a_word_drops_its_paragraph_only_fixes_too(base, config):
    wire = "Officials from the ministry said that the plan would take time."
    copy = "Officials fomr the ministry said tath the plan would take time."
    others = ["Reports from the region said that talks would take time."] * 3
    decisions = decide_with_copies([wire, copy, *others], [(wire, copy)], base, config.spelling)
    corrected, _ = apply_corrections([copy], reviewed_decisions(decisions, {"fomr"}, {}))
    assert corrected == ["Officials fomr the ministry said that the plan would take time."]


def test_a_name_run_into_said_is_split_where_the_copy_says_says(base, config):
    wire = "Shares fell on Monday after the chairman of Co says the merger talks had ended."
    copy = "Shares fell on Monday after the chairman of Cosaid the merger talks had ended."
    decisions = decide_with_copies([wire, wire, copy], [(wire, copy)], base, config.spelling)
    assert decisions["Cosaid"].replacement == "Co said"
    corrected, _ = apply_corrections([wire, copy], decisions)
    assert corrected == [wire, wire.replace("Co says", "Co said")]


def fixes(decisions):
    return {decided_word(key): decision.replacement for key, decision in decisions.items()}


@pytest.mark.parametrize(
    ("wire", "typo", "word"),
    [
        ("The agency reported that 1,500 workers had left Yongbyon on 12 March.", "reporte", "reported"),
        ("Several political parties met Choe Sang-Hun in Seoul on Monday, aides said.", "politicals", "political"),
        ("Nothing changes unless Rodong Sinmun prints it, one official said in 2019.", "unles", "unless"),
    ],
)
def test_a_rare_variant_is_fixed_only_in_the_paragraph_whose_copy_prints_the_word(base, config, wire, typo, word):
    copy = wire.replace(word, typo, 1)
    elsewhere = f'"The {typo} were there," she said of the 3 cases.'
    decisions = decide_with_copies([wire, wire, wire, wire, copy, elsewhere], [(wire, copy)], base, config.spelling)
    assert fixes(decisions) == {typo: word}
    assert typo not in decisions  # in the copy's paragraph only
    corrected, corrections = apply_corrections([copy, elsewhere], decisions)
    assert corrected == [wire, elsewhere]
    assert [(c.original, c.corrected, c.rule) for c in corrections] == [(typo, word, "typo:syndicated")]


@pytest.mark.parametrize(("typo", "word"), [("ssy", "says"), ("tpw", "two"), ("mked", "made")])
def test_a_short_typo_two_edits_from_a_common_word_is_fixed_where_a_copy_prints_it(base, config, typo, word):
    wire = f"Choe Sang-Hun {word} the 2 reactors at Yongbyon were shut, Rodong Sinmun reported."
    if word != "says":
        wire = wire.replace("Hun", "Hun says", 1)
    copy = wire.replace(f" {word} ", f" {typo} ", 1)
    decisions = decide_with_copies([wire, copy], [(wire, copy)], base, config.spelling)
    assert fixes(decisions) == {typo: word}
    corrected, _ = apply_corrections([wire, copy], decisions)
    assert corrected == [wire, wire]


def test_rewording_between_english_words_is_never_a_fix(base, config):
    wire = "Profits rose 5 pct to 120 mln dlrs, the firm said, and the warning was heeded in Yongbyon."
    copy = "Profit rose 5 percent to 120 million dollars, the firm says, and the warning was needed in Yongbyon."
    decisions = decide_with_copies([wire, copy], [(wire, copy)], base, config.spelling)
    assert fixes(decisions) == {}


def test_names_each_outlet_spells_its_own_way_stay(base, config):
    wire = 'Choe Sang-Hun wrote that "the reactor at Yongbyon is closed", Rodong Sinmun said on 3 June 2019.'
    copy = 'Choi Sang-hun wrote that "the reactor at Yongbyon is closed", Rodong Simnun said on 3 June 2019.'
    decisions = decide_with_copies([wire, copy], [(wire, copy)], base, config.spelling)
    assert fixes(decisions) == {}


def test_copies_differing_in_house_style_dateline_and_a_dropped_sentence_fix_every_typo(base, config):
    wire = (
        'SEOUL, Dec 3 (Reuters) - North Korea reported on Tuesday that its foreign minister says "the talks are '
        'over", Rodong Sinmun said. Exports rose 5 pct to 120 mln dlrs in October, and the politicals parties in '
        "Pyongyang were silent. Choe Sang-Hun said the 2 reactors at Yongbyon would restart within tpw months."
    )
    copy = (
        'North Korea reporte on Tuesday that its foreign minester ssy "the talks are over", Rodong Sinmun says. '
        "Exports rose 5 percent to 120 million dollars in October, and the political parties in Pyongyang "
        "were silent. Choe Sang-Hun says the 2 reactors at Yongbyon would restart within two months."
    )
    decisions = decide_with_copies([wire, copy], [(wire, copy)], base, config.spelling)
    assert fixes(decisions) == {
        "reporte": "reported",
        "minester": "minister",
        "ssy": "says",
        "politicals": "political",
        "tpw": "two",
    }
    corrected, _ = apply_corrections([wire, copy], decisions)
    assert corrected == [
        wire.replace("politicals", "political").replace("tpw", "two"),
        copy.replace("reporte", "reported").replace("minester", "minister").replace("ssy", "says"),
    ]


def test_a_rare_english_word_is_a_typo_only_where_two_copies_print_the_common_word(base, config):
    wire = "Officials in Yongbyon could not say whether the 2 reactors would restart, Rodong Sinmun reported."
    copy = wire.replace("whether", "wether")
    second = wire.replace("reported", "said")
    one_copy = decide_with_copies([wire, copy], [(wire, copy)], base, config.spelling)
    assert fixes(one_copy) == {}
    two_copies = decide_with_copies([wire, second, copy], [(wire, copy), (second, copy)], base, config.spelling)
    assert fixes(two_copies) == {"wether": "whether"}
    corrected, _ = apply_corrections([copy], two_copies)
    assert corrected == [wire]


def test_a_typo_in_a_paragraph_no_copy_pairs_is_fixed_from_the_words_around_it(base, config):
    wire = "Reuters beat profit forecasts on Tuesday, posting a 52% rise in profit for the year."
    merged = "Analysts in London said Reuters beat proffit forecasts for 2004, and its shares rose 3% by noon."
    decisions = decide([wire, merged], base, config.spelling)
    assert fixes(decisions) == {"proffit": "profit"}
    assert decisions["proffit"].rule == "typo:context"
    off = decide([wire, merged], base, replace(config.spelling, context_typos=False))
    assert fixes(off) == {}


def test_words_around_a_typo_that_fit_two_words_or_a_name_change_nothing(base, config):
    paragraphs = [
        'Choe Sang-Hun said "the grous of users in Yongbyon grew 12% in 2019", Rodong Sinmun reported.',
        "Officials said the group of users grew.",
        "Officials said the groups of users grew.",
        "Officials in Yongbyan said the group of 12 met.",
        "Officials in Yongbyon said the groups of 12 met.",
    ]
    decisions = decide(paragraphs, base, config.spelling)
    assert "grous" not in fixes(decisions) and "Yongbyan" not in fixes(decisions)
    corrected, _ = apply_corrections(paragraphs[:1], decisions)
    assert corrected == paragraphs[:1]


def test_texts_counted_together_give_the_sums_of_each_text_counted_alone():
    texts = [
        ("Trade talks resumed in Geneva, said Maria Lopez. Lopez met Geneva officials; Geneva officials agreed.", 3),
        ("The negotiatons stalled after the minister left.The talks go on, a long- term plan.", -2),
        ("See https://example.com/Geneva-talks and #Geneva for Maria Lopez's notes.", 1),
        ("2024 - 31 - 0", 5),
        ("", 2),
    ]
    together = count_evidence(texts)
    alone = Evidence()
    for text, weight in texts:
        for kind in ("forms", "bigrams", "spans", "neighbours"):
            for item, count in getattr(count_evidence([(text, 1)]), kind).items():
                getattr(alone, kind)[item] += count * weight
    assert together == alone
    assert together.neighbours["Geneva\tofficials>"] == 3  # a mark counts once a text, however often it stands there
    assert together.neighbours["Lopez\t<maria"] == 3 and "Geneva\tsaid>" not in together.neighbours
    assert together.bigrams["lopez lopez"] == 3 and together.spans["left.The"] == -2
    assert "Geneva-talks" not in together.forms and together.forms["Lopez's"] == 1


def test_texts_counted_a_few_at_a_time_give_the_rows_of_all_counted_together():
    texts = [
        ("Trade talks resumed in Geneva, said Maria Lopez. Lopez met Geneva officials.", 3),
        ("The negotiatons stalled after the minister left.The talks go on, a long- term plan.", -2),
        ("Geneva officials met Maria Lopez again, a long- term plan.", 2),
        ("Trade talks resumed in Geneva, said Maria Lopez. Lopez met Geneva officials.", -3),
        ("Geneva officials met Maria Lopez again.", 1),
    ]
    sort = [("kind", "ascending"), ("item", "ascending")]
    in_pairs = evidence_table(texts, chunk_texts=2).sort_by(sort)
    assert in_pairs.equals(evidence_table(texts).sort_by(sort))
    assert Evidence.from_table(in_pairs) == count_evidence(texts)
    assert 0 not in in_pairs.column("count").to_pylist(), "what sums to zero over the chunks is left out"
    assert Evidence.from_table(in_pairs).forms["Trade"] == 0 and Evidence.from_table(in_pairs).spans["long- term"] == 0


def test_the_paragraphs_a_table_may_change_hold_a_decided_word_or_span_standing_alone_where_it_applies():
    scoped = "The delegation met thw minister in Hanoi on Friday."
    paragraphs = [
        "The goverment said the talks would resume next month.",  # a decided word
        "The goverments of both countries said nothing.",  # inside a longer word: no token is the decided one
        "Officials said.The talks ended without a deal.",  # a decided span
        "Officials said. The talks ended without a deal.",  # the span's words apart: nothing decided
        "Talks on denucle- arization resumed (goverment)",  # a span, and a word between brackets
        "Gas prices rose 3.5% in the second quarter.",  # nothing decided
        scoped,  # the paragraph a scoped decision names
        "Another thw stood here.",  # the scoped word in another paragraph: left alone, so it cannot change
        "",
        "Ministers’ goverment-backed plan was signed",  # a hyphenated compound: not the decided word
    ]
    decisions = {
        "goverment": SpellingDecision("government", "typo:frequency", 0.9),
        "said.The": SpellingDecision("said. The", "span:missing_space", 0.9),
        "denucle- arization": SpellingDecision("denuclearization", "span:hyphen_break", 0.9),
        scoped_key(scoped, "thw"): SpellingDecision("the", "typo:syndicated", 0.9),
    }
    table = CorrectionTable.of(decisions)
    may_change = table.may_change(pa.array(paragraphs, pa.string())).tolist()
    assert may_change == [True, False, True, False, True, False, True, False, False, True]
    changed = [apply_corrections([paragraph], table)[0] != [paragraph] for paragraph in paragraphs]
    assert changed == [True, False, True, False, True, False, True, False, False, False]
    assert not CorrectionTable.of({}).may_change(pa.array(paragraphs, pa.string())).any()


def test_many_decided_words_are_each_found_standing_alone_and_none_inside_a_longer_word():
    """More decided words than an RE2 pattern holds (`ALTERNATIVES_PER_PATTERN`): the table's scan finds each of
    them standing alone, and none inside a longer word."""
    words = ["".join(letters) for letters in product("bcdfg", "qxz", "aeiou", "klmnpr", "stvwy", "aeo")][:4100]
    assert len(words) > 2 * ALTERNATIVES_PER_PATTERN
    table = CorrectionTable.of({word: SpellingDecision("fixed", "typo:frequency", 0.9) for word in words})
    paragraphs = [
        f"The {words[0]} came first.",
        f"Then ({words[-1]}) came last.",
        f"A {words[2500]}s stood inside a longer word, as did x{words[1]}.",
        "Nothing decided here.",
    ]
    assert table.may_change(pa.array(paragraphs, pa.string())).tolist() == [True, True, False, False]


def test_only_rare_tokens_and_name_runons_are_judged_word_by_word(seed_paragraphs, base, config):
    vocabulary = Vocabulary.from_texts([*seed_paragraphs, "Moonsaid the talks would resume."])
    judge = SpellingJudge(vocabulary, base, config.spelling)
    decidable = judge.decidable(vocabulary.forms)
    assert "Moonsaid" in decidable and "said" in decidable and len(decidable) < len(vocabulary.forms)
    assert all(judge.decide(token, frozenset()) is None for token in vocabulary.forms.keys() - set(decidable))


@pytest.mark.parametrize("threads", [2, 3, 7])
def test_texts_searched_on_threads_match_as_searched_whole(threads):
    words = ["goverment", "recieve", "teh"]
    texts = [
        f"{'Teh' if i % 5 == 0 else 'The'} {words[i % 3] if i % 4 == 0 else 'plain'} text number {i}, unteh"
        for i in range(61)
    ]
    column = pa.chunked_array([texts[:9], texts[9:10], texts[10:40], texts[40:]], pa.large_string())
    patterns = alternations(words, STANDING_ALONE)
    whole = matching_any(column, patterns)
    assert whole.tolist() == [bool(re.search(r"(?<![A-Za-z])(?:goverment|recieve|teh)(?![A-Za-z])", t)) for t in texts]
    assert matching_any(column, patterns, threads).tolist() == whole.tolist()
    assert matching_any(column.slice(5, 40), patterns, threads).tolist() == whole[5:45].tolist()


def test_paragraph_digests_from_a_columns_bytes_are_each_paragraphs_digest(seed_paragraphs):
    """Hashed from an Arrow column's bytes, chunked, sliced and holding empty and non-ASCII texts: the digests a
    paragraph-only key names its paragraph by."""
    texts = [*seed_paragraphs[:5], "", "Ça déjà: Straße, İstanbul 🙂 Ri Yong Ho said.", "Choe Sang-Hun"]
    column = pa.chunked_array([texts[:2], [], texts[2:6], texts[6:]], pa.string())
    assert paragraph_digests(column) == [paragraph_digest(text) for text in texts]
    sliced = pa.array(texts, pa.large_string()).slice(3, 4)
    assert paragraph_digests(sliced) == [paragraph_digest(text) for text in texts[3:7]]
    assert paragraph_digests(pa.array([], pa.string())) == []
    key = scoped_key(texts[6], "Ho")
    assert decided_word(key) == "Ho" and named_digest(key) == paragraph_digests(column)[6]
    assert named_digest("Ho") == ""
