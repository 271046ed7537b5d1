"""The correct stage's carrying (flows/state/spelled_store.py): a run applies its spelling decisions only to articles
finished otherwise since the previous run and to those holding a word or span whose decision changed, carries
every other article's stored result, and so ends with what applying every decision to every article gives."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cleaners.article import clean_article
from cleaners.spelling import SpellingDecision, apply_corrections, scoped_key, text_words
from flows.stages.run_files import read_corrections, write_decisions
from flows.stages.shard_steps import spell_shard
from flows.stages.spelled import write_for_spelling
from flows.state.finished import (
    FINISHED,
    FinishedCleaning,
    carried_parts,
    load_finished,
    with_paragraph_keys,
    write_finished,
)
from flows.state.spelled_store import (
    SPELLED_FILE,
    SpellingPlan,
    StoredSpelling,
    load_spelling,
    plan_spelling,
    spelled_this_run,
    write_spelling,
    write_stored,
)
from tests.cleaned_articles import lineage_by_identity
from tests.conftest import SEED_NAMES

LANGUAGES = ("en",)
SUMMIT = "The second meeting between the two leaders ended without a deal on denucle- arization, officials said."
TALKS = "Negotiators met again on Tuesday and the goverment said talks would resume next month."
MARKETS = "Stocks rose in Seoul as investors bet the goverment would ease its limits on exports."
WEATHER = "Heavy rain is expected across the region, and forecasters urged drivers to take care."
ARTICLES = {
    "summit.txt": [SUMMIT, WEATHER],
    "talks.txt": [TALKS, WEATHER],
    "markets.txt": [MARKETS],
    "weather.txt": [WEATHER],
}
SPAN = SpellingDecision("denuclearization", "span:hyphen_break", 0.9)
GOVERNMENT = SpellingDecision("government", "typo:frequency", 0.85)


def finished_articles(articles: dict[str, list[str]], languages: dict[str, str] | None = None) -> pa.Table:
    """A run's finished table holding these articles (source path: paragraphs), in English unless named, with their
    paragraphs' keys: a chunk an article, as the flow's comes in parts (never joined: past 2 GB of text they cannot
    be)."""
    rows = [
        {"source_path": path, "doc_id": path.removesuffix(".txt"), "paragraphs": paragraphs}
        | {"language": (languages or {}).get(path, "en")}
        for path, paragraphs in articles.items()
    ]
    chunks = [with_paragraph_keys(pa.Table.from_pylist([row], FINISHED)) for row in rows]
    return pa.concat_tables([FINISHED.empty_table(), *chunks])


def correct(table: pa.Table, decisions: dict, plan: SpellingPlan, folder: Path) -> pa.Table:
    """The correct stage's files and tasks for a plan: the articles the decisions changed, by row."""
    folder.mkdir(parents=True)
    groups = write_for_spelling(table, plan.applying, folder, 2)
    fixes = write_decisions(decisions, folder)
    spelled = [
        spell_shard(groups.path, group, fixes, folder / f"spelled-{group}.parquet")
        for group in range(len(groups.rows_per_group))
    ]
    rows = spelled_this_run(plan, [done.path for done in spelled])
    (folder / "state").mkdir()
    write_spelling(folder / "state", fixes, write_stored(table, rows, folder / SPELLED_FILE))
    return rows


def stored_finished(table: pa.Table, folder: Path) -> FinishedCleaning:
    """The finished table as the next run reads it from the state."""
    write_finished(
        folder,
        table,
        carried_parts(table, lineage_by_identity(table, FinishedCleaning()), FinishedCleaning()),
        frozenset(),
    )
    return load_finished(folder)


def by_row(rows: pa.Table) -> dict[int, tuple]:
    """Each changed article's paragraphs and corrections by its row."""
    return {row["row"]: (row["paragraphs"], row["corrections"]) for row in rows.to_pylist()}


def applied_everywhere(table: pa.Table, decisions: dict) -> dict[int, tuple]:
    """What applying the decisions to every English document gives, for the articles it changes, by row."""
    changed = {}
    for row, article in enumerate(table.to_pylist()):
        if article["rejection"] is None and article["language"] in LANGUAGES:
            paragraphs, corrections = apply_corrections(article["paragraphs"], decisions)
            if corrections or paragraphs != article["paragraphs"]:
                changed[row] = (paragraphs, [vars(correction) for correction in corrections])
    return changed


def second_run(
    tmp_path: Path, before: tuple[pa.Table, dict], after: tuple[pa.Table, dict]
) -> tuple[SpellingPlan, dict[int, tuple]]:
    """A first run over `before` (finished table, decisions) storing its spelling, then the plan and result of a
    second run over `after` on that state; the result is checked against applying every decision again."""
    first_table, first_decisions = before
    first = FinishedCleaning()
    first_plan = plan_spelling(
        first_table, lineage_by_identity(first_table, first), first_decisions, LANGUAGES, first, StoredSpelling()
    )
    assert first_plan.applying == [
        row for row, language in enumerate(first_table["language"].to_pylist()) if language == "en"
    ]
    correct(first_table, first_decisions, first_plan, tmp_path / "one")
    stored = load_spelling(tmp_path / "one" / "state")
    previous, (table, decisions) = stored_finished(first_table, tmp_path / "one"), after
    plan = plan_spelling(table, lineage_by_identity(table, previous), decisions, LANGUAGES, previous, stored)
    result = by_row(correct(*after, plan, tmp_path / "two"))
    assert result == applied_everywhere(*after)
    return plan, result


def test_an_untouched_article_carries_its_spelling_and_one_holding_a_changed_word_is_spelled_again(tmp_path):
    table = finished_articles(ARTICLES)
    plan, result = second_run(
        tmp_path, (table, {"denucle- arization": SPAN}), (table, {"denucle- arization": SPAN, "goverment": GOVERNMENT})
    )
    assert plan.applying == [1, 2], "talks and markets print the newly decided word"
    assert plan.carried["row"].to_pylist() == [0], "the summit keeps its span fix without being spelled again"
    assert result[1][0][0] == TALKS.replace("goverment", "government")


def test_a_decision_dropped_or_changed_spells_its_articles_again(tmp_path):
    table = finished_articles(ARTICLES)
    before = {"denucle- arization": SPAN, "goverment": GOVERNMENT}
    plan, result = second_run(tmp_path / "dropped", (table, before), (table, {"denucle- arization": SPAN}))
    assert plan.applying == [1, 2] and set(result) == {0}, "the typo is printed as it was again"
    surer = {"denucle- arization": SpellingDecision("denuclearization", "span:hyphen_break", 0.95)}
    plan, result = second_run(tmp_path / "surer", (table, before), (table, before | surer))
    assert plan.applying == [0] and result[0][1][0]["confidence"] == 0.95


def test_new_changed_and_deleted_articles(tmp_path):
    before = finished_articles(ARTICLES | {"foreign.txt": [TALKS]}, {"foreign.txt": "de"})
    changed = dict(ARTICLES, **{"talks.txt": [TALKS, "The goverment declined to comment."], "new.txt": [MARKETS]})
    del changed["markets.txt"]
    after = finished_articles(changed | {"foreign.txt": [TALKS]}, {"foreign.txt": "de"})
    decisions = {"denucle- arization": SPAN, "goverment": GOVERNMENT}
    plan, _ = second_run(tmp_path, (before, decisions), (after, decisions))
    paths = after["source_path"].to_pylist()
    assert [paths[row] for row in plan.applying] == ["talks.txt", "new.txt"], "changed and new; never the German one"
    assert sorted(paths[row] for row in plan.carried["row"].to_pylist()) == ["summit.txt"], "markets.txt is gone"


def test_a_word_that_a_span_fix_makes_is_found_in_the_stored_spelling(tmp_path):
    table = finished_articles(ARTICLES)
    made = {"denuclearization": SpellingDecision("denuclearisation", "review:accepted", 1.0)}
    plan, result = second_run(
        tmp_path / "added", (table, {"denucle- arization": SPAN}), (table, {"denucle- arization": SPAN} | made)
    )
    assert plan.applying == [0] and "denuclearisation" in result[0][0][0]
    plan, _ = second_run(
        tmp_path / "dropped", (table, {"denucle- arization": SPAN} | made), (table, {"denucle- arization": SPAN})
    )
    assert plan.applying == [0], "the word fixed is a stored correction's original"


def test_a_paragraph_only_decision_spells_again_only_the_article_holding_that_paragraph(tmp_path):
    table = finished_articles(ARTICLES)
    scoped = {scoped_key(MARKETS, "goverment"): GOVERNMENT}
    plan, result = second_run(tmp_path, (table, {}), (table, scoped))
    assert plan.applying == [2] and set(result) == {2}, "talks prints the word in another paragraph"
    made = {scoped_key(SUMMIT, "denuclearization"): SpellingDecision("denuclearisation", "typo:syndicated", 0.9)}
    plan, _ = second_run(
        tmp_path / "made", (table, {"denucle- arization": SPAN}), (table, {"denucle- arization": SPAN} | made)
    )
    assert plan.applying == [0]


def test_keys_of_both_kinds_changed_at_once_spell_again_only_the_articles_each_names(tmp_path):
    table = finished_articles(ARTICLES)
    after = {"denucle- arization": SPAN, scoped_key(MARKETS, "goverment"): GOVERNMENT}
    plan, result = second_run(tmp_path, (table, {}), (table, after))
    assert plan.applying == [0, 2] and set(result) == {0, 2}, "talks prints the word outside the paragraph named"


def test_a_state_without_stored_spelling_spells_every_article_again(tmp_path):
    table = finished_articles(ARTICLES)
    previous = stored_finished(table, tmp_path)
    assert load_spelling(tmp_path) == StoredSpelling()
    lineage = lineage_by_identity(table, previous)
    plan = plan_spelling(table, lineage, {"goverment": GOVERNMENT}, LANGUAGES, previous, StoredSpelling())
    assert plan.applying == [0, 1, 2, 3] and plan.carried.num_rows == 0


def test_a_run_whose_decisions_did_not_change_carries_every_articles_spelling(tmp_path):
    table = finished_articles(ARTICLES)
    decisions = {"denucle- arization": SPAN, "goverment": GOVERNMENT}
    plan, result = second_run(tmp_path, (table, decisions), (table, decisions))
    assert plan.applying == [] and plan.carried["row"].to_pylist() == [0, 1, 2] and set(result) == {0, 1, 2}


def test_a_run_with_nothing_to_spell_again_writes_an_empty_file_of_articles(tmp_path):
    table = finished_articles(ARTICLES)
    groups = write_for_spelling(table, [], tmp_path, 2)
    assert groups.rows_per_group == []
    assert pq.read_table(groups.path).num_rows == 0


def test_a_paragraph_only_fix_changes_its_paragraph_and_no_other_printing_its_word(tmp_path, seeds, config):
    """A paragraph-only decision (a copy's fix, keyed by its paragraph's digest) of the word the seed articles print
    in most paragraphs changes it in that paragraph, and in a copy of its text in another article, and in no other
    paragraph printing it; beside a corpus-wide fix. Only those paragraphs reach Python
    (`CorrectionTable.may_change`), and the apply-spelling tasks give what applying every decision to every article
    gives."""
    articles = {name: clean_article(text, config.cleaning).paragraphs for name, text in seeds.items()}
    articles["copy.txt"] = [WEATHER, named := articles[SEED_NAMES[-1]][-1]]  # the named text again
    table = finished_articles(articles)
    paragraphs = [paragraph for article in articles.values() for paragraph in article]
    printing = Counter(word for paragraph in paragraphs for word in set(text_words(paragraph)))
    word = max((word for word in printing if word in text_words(named)), key=printing.__getitem__)
    typo = min(word for word, count in printing.items() if count == 1 and word not in text_words(named))
    decisions = {scoped_key(named, word): SpellingDecision("SCOPED", "typo:syndicated", 0.9), typo: GOVERNMENT}
    holding = [word in text_words(paragraph) for paragraph in paragraphs]
    assert sum(holding) >= 10

    may_change = read_corrections(write_decisions(decisions, tmp_path)).may_change(pa.array(paragraphs))
    assert may_change.tolist() == [paragraph == named or typo in text_words(paragraph) for paragraph in paragraphs]
    first = FinishedCleaning()
    plan = plan_spelling(table, lineage_by_identity(table, first), decisions, LANGUAGES, first, StoredSpelling())
    spelled = by_row(correct(table, decisions, plan, tmp_path / "run"))
    assert spelled == applied_everywhere(table, decisions)
    laid = [
        spelled[row][0] if row in spelled else article for row, article in enumerate(table["paragraphs"].to_pylist())
    ]
    for before, after in zip(paragraphs, [paragraph for article in laid for paragraph in article], strict=True):
        if before == named:
            assert word not in text_words(after) and "SCOPED" in after
        elif typo not in text_words(before):
            assert after == before
