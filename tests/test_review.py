"""Maintainers' overrides end to end: each decision is recorded with the exact `copydesk review` command the
report shows, then `copydesk run` runs again over a real corpus (the seeds, another outlet's copy of seed 004 and
a reworded copy of seed 000); the outputs change exactly as asked and nothing else does, and decisions hold
through an incremental run and a rebuild."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cleaners.keep import line_fingerprint
from dedup.shingles import paragraph_fingerprint
from dedup.verify import overlap
from flows.cli import main
from flows.review.commands import review_command
from flows.review.overrides import read_overrides
from tests.conftest import SEED_NAMES, SEEDS_DIR
from tests.test_dedup import shingles
from tests.test_incremental import manifest, tables
from tests.test_pipeline import reworded_copy, run_cli, syndicated_copy

SEED_000, SEED_001, SEED_004 = SEED_NAMES
MEMBERSHIP = ["cluster_id", "is_canonical", "match", "jaccard", "containment", "contained_in"]


def write_corpus(raw: Path) -> None:
    """The seeds, another outlet's copy of seed 004 and a third outlet's reworded copy of seed 000."""
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / name, raw / name)
    (raw / "wire").mkdir()
    (raw / "wire" / "copy.txt").write_text(syndicated_copy((raw / SEED_004).read_text(encoding="utf-8")))
    (raw / "daily").mkdir()
    (raw / "daily" / "copy.txt").write_text(reworded_copy((raw / SEED_000).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def corpus(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corpus's raw folder and its output folder after one run, with no decision recorded."""
    folder = tmp_path_factory.mktemp("review")
    write_corpus(folder / "raw")
    assert run_cli(folder / "raw", folder / "clean") == 0
    return folder / "raw", folder / "clean"


@pytest.fixture(scope="module")
def ids(corpus: tuple[Path, Path]) -> dict[str, str]:
    """Each input's doc_id."""
    articles = pd.read_parquet(corpus[1] / "articles.parquet")
    return dict(zip(articles.source_path, articles.doc_id))


@pytest.fixture
def out(corpus: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the corpus's output folder (its state too) for one test to record decisions in and run again."""
    return Path(shutil.copytree(corpus[1], tmp_path / "clean", symlinks=True))


def review(out: Path, action: str, *arguments: str) -> str:
    """Run the command report.html shows for this action on `out`; return the id of the decision it recorded."""
    command = review_command(out.resolve(), action, *arguments)
    assert main(shlex.split(command)[1:]) == 0, command
    return (out / "overrides.toml").read_text(encoding="utf-8").rsplit("id = '", 1)[1].split("'", 1)[0]


def pid(row: pd.Series) -> str:
    """A paragraph row's id, as the report and the review commands name it."""
    return f"{row.doc_id}-{row.para_idx}"


def paragraph(table: pd.DataFrame, doc_id: str, opening: str) -> pd.Series:
    """The one paragraph of an article that starts with `opening`."""
    (index,) = table.index[(table.doc_id == doc_id) & table.text.str.startswith(opening)]
    return table.loc[index]


def corpus_texts(out: Path) -> dict[str, str]:
    """corpus.jsonl as doc_id -> text."""
    lines = (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["doc_id"]: row["text"] for row in map(json.loads, lines)}


def measured(member: str, canonical: str) -> list[float]:
    """Jaccard and containment of a member in its canonical paragraph, as paragraphs.parquet stores them."""
    found = overlap(shingles(member), shingles(canonical))
    return [round(found.jaccard, 4), round(found.a_in_b, 4)]


def assert_only(out: Path, before: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    """Every table of `out` is as it was before, except the `expected` ones."""
    for name, table in tables(out).items():
        pd.testing.assert_frame_equal(table, expected.get(name, before[name]), obj=name)


def grown(articles: pd.DataFrame, doc_id: str, layout: str, paragraphs: int, words: int) -> pd.DataFrame:
    """The articles table with one article's text laid out anew (`layout` holds the old text as {}) and its
    paragraph and word counts grown; every other column, the title too, as it was."""
    grown = articles.copy()
    row = grown.index[grown.doc_id == doc_id][0]
    grown.loc[row, "text"] = layout.format(grown.loc[row, "text"])
    grown.loc[row, "n_paragraphs"] += paragraphs
    grown.loc[row, "n_words"] += words
    return grown


def with_new_paragraphs(paragraphs: pd.DataFrame, doc_id: str, at: int, texts: list[str]) -> pd.DataFrame:
    """The paragraphs table with two-word paragraphs of their own inserted into an article at index `at`, the
    article's later (unique) paragraphs renumbered."""
    own = paragraphs[paragraphs.doc_id == doc_id]
    earlier, later = own[own.para_idx < at], own[own.para_idx >= at].copy()
    assert (later.match == "unique").all()
    later["para_idx"] += len(texts)
    later["cluster_id"] = doc_id + "-" + later.para_idx.astype(str)
    added = pd.DataFrame(
        [
            [doc_id, index, text, 2, f"{doc_id}-{index}", True, "unique", 1.0, 1.0, None]
            for index, text in enumerate(texts, at)
        ],
        columns=paragraphs.columns,
    ).astype(paragraphs.dtypes)
    parts = [paragraphs.loc[: own.index[0] - 1], earlier, added, later, paragraphs.loc[own.index[-1] + 1 :]]
    return pd.concat(parts, ignore_index=True)


def applied(out: Path) -> tuple[list[str], list[str]]:
    """The ids of the decisions the last run applied, and of those that matched nothing."""
    overrides = manifest(out)["overrides"]
    return overrides["applied"], overrides["unmatched"]


def test_a_split_takes_the_copy_out_of_its_cluster_and_changes_nothing_else(out, corpus, ids, capsys):
    before, corpus_before = tables(out), corpus_texts(out)
    paragraphs = before["paragraphs.parquet"]
    canonical = paragraph(paragraphs, ids[SEED_000], "The two countries do not have")
    copy = paragraph(paragraphs, ids["daily/copy.txt"], "The two countries do not have")
    assert copy.cluster_id == pid(canonical) and copy.match == "near_duplicate"
    decision = review(out, "split", pid(canonical), pid(copy))
    assert run_cli(corpus[0], out) == 0

    expected = paragraphs.copy()
    expected.loc[copy.name, MEMBERSHIP] = [pid(copy), True, "unique", 1.0, 1.0, None]
    expected.loc[canonical.name, "match"] = "unique"
    articles = before["articles.parquet"].copy()
    articles.loc[articles.doc_id == copy.doc_id, "duplicate_of"] = None  # a paragraph of its own: not wholly a copy
    assert_only(out, before, {"paragraphs.parquet": expected, "articles.parquet": articles})
    assert corpus_texts(out) == corpus_before | {copy.doc_id: copy.text}
    assert applied(out) == ([decision], [])
    assert (manifest(out)["inputs_read"], manifest(out)["inputs_reused"]) == (0, 5), "no input is read again"
    capsys.readouterr()
    assert run_cli(corpus[0], out) == 0
    assert "already up to date" in capsys.readouterr().out


def test_a_split_unlinks_a_paragraph_from_its_container_and_keeps_it_in_the_corpus(out, corpus, ids):
    before, corpus_before = tables(out), corpus_texts(out)
    paragraphs = before["paragraphs.parquet"]
    merged = paragraph(paragraphs, ids["wire/copy.txt"], "The Hanoi summit came")
    first = paragraph(paragraphs, ids[SEED_004], "The Hanoi summit came")
    second = paragraph(paragraphs, ids[SEED_004], "After the meeting, Trump said")
    assert first.contained_in == second.contained_in == pid(merged), "both inside the paragraph merging both"
    assert first.cluster_id != second.cluster_id != merged.cluster_id, "three paragraphs, three clusters"
    assert first.match == "contained" and first.text not in corpus_before[first.doc_id]
    decision = review(out, "split", pid(merged), pid(first))  # the report's command on the containment link
    assert run_cli(corpus[0], out) == 0

    expected = paragraphs.copy()
    expected.loc[first.name, MEMBERSHIP] = [pid(first), True, "unique", 1.0, 1.0, None]
    after = tables(out)
    assert_only(out, before, {"paragraphs.parquet": expected, "articles.parquet": after["articles.parquet"]})
    pd.testing.assert_frame_equal(
        after["articles.parquet"].drop(columns="duplicate_of"), before["articles.parquet"].drop(columns="duplicate_of")
    )
    assert first.text in corpus_texts(out)[first.doc_id]
    assert applied(out) == ([decision], [])


def test_a_merge_puts_two_paragraphs_in_one_cluster(out, corpus, ids):
    before, corpus_before = tables(out), corpus_texts(out)
    paragraphs = before["paragraphs.parquet"]
    nytimes = paragraph(paragraphs, ids[SEED_000], "“If I’m not willing to do that")
    other = paragraph(paragraphs, ids[SEED_001], "Mr. Kim, when asked by an American reporter")
    assert nytimes.match == other.match == "unique"
    decision = review(out, "merge", pid(other), pid(nytimes))
    assert run_cli(corpus[0], out) == 0

    expected = paragraphs.copy()
    expected.loc[other.name, MEMBERSHIP] = [
        pid(nytimes),
        False,
        "merged",
        *measured(other.text, nytimes.text),
        other.contained_in,
    ]
    expected.loc[nytimes.name, "match"] = "canonical"  # Nytimes is in the config's source_ranking
    assert_only(out, before, {"paragraphs.parquet": expected})
    kept = [text for text in corpus_before[other.doc_id].split("\n\n") if text != other.text]
    assert corpus_texts(out) == corpus_before | {other.doc_id: "\n\n".join(kept)}
    assert applied(out) == ([decision], [])


def test_prefer_makes_another_copy_canonical(out, corpus, ids):
    before, corpus_before = tables(out), corpus_texts(out)
    paragraphs = before["paragraphs.parquet"]
    nytimes = paragraph(paragraphs, ids[SEED_000], "Mr. Kim’s second meeting in less")
    copy = paragraph(paragraphs, ids["daily/copy.txt"], "Mr. Kim’s second meeting in less")
    assert nytimes.is_canonical and copy.cluster_id == pid(nytimes)
    decision = review(out, "prefer", pid(copy))
    assert run_cli(corpus[0], out) == 0

    expected = paragraphs.copy()
    expected.loc[copy.name, MEMBERSHIP] = [pid(copy), True, "canonical", 1.0, 1.0, copy.contained_in]
    expected.loc[nytimes.name, MEMBERSHIP] = [
        pid(copy),
        False,
        "near_duplicate",
        *measured(nytimes.text, copy.text),
        nytimes.contained_in,
    ]
    assert_only(out, before, {"paragraphs.parquet": expected})
    kept = [text for text in corpus_before[nytimes.doc_id].split("\n\n") if text != nytimes.text]
    assert corpus_texts(out) == corpus_before | {nytimes.doc_id: "\n\n".join(kept), copy.doc_id: copy.text}
    assert applied(out) == ([decision], [])
    assert manifest(out)["counts"]["canonical_changes"] == 1


def test_a_kept_line_is_back_in_its_article_and_nowhere_else(out, corpus, ids):
    before, corpus_before = tables(out), corpus_texts(out)
    doc_id, line = ids[SEED_001], "• Breaking News"
    assert before["removed.parquet"].query("text == @line").reason.tolist() == ["junk:site_furniture"]
    decision = review(out, "keep-line", line_fingerprint(line))  # the report names a line by its fingerprint
    assert run_cli(corpus[0], out) == 0

    articles = grown(before["articles.parquet"], doc_id, f"{line}\n\n{{}}", paragraphs=1, words=2)
    removed = before["removed.parquet"]
    expected = {
        "articles.parquet": articles,
        "paragraphs.parquet": with_new_paragraphs(before["paragraphs.parquet"], doc_id, 0, [line]),
        "removed.parquet": removed[removed.text != line].reset_index(drop=True),
    }
    assert_only(out, before, expected)
    assert corpus_texts(out) == corpus_before | {doc_id: f"{line}\n\n{corpus_before[doc_id]}"}
    assert applied(out) == ([decision], [])


def test_a_kept_pattern_keeps_every_line_it_finds(out, corpus, ids):
    before, corpus_before = tables(out), corpus_texts(out)
    doc_id, lines = ids[SEED_004], ["Security Key:", "Captcha refresh"]
    decision = review(out, "keep-line", "--pattern", r"^(Security Key:|Captcha refresh)$")
    assert run_cli(corpus[0], out) == 0

    articles = grown(
        before["articles.parquet"], doc_id, "{}\n\nSecurity Key:\n\nCaptcha refresh", paragraphs=2, words=4
    )
    removed = before["removed.parquet"]
    expected = {
        "articles.parquet": articles,
        "paragraphs.parquet": with_new_paragraphs(before["paragraphs.parquet"], doc_id, 29, lines),
        "removed.parquet": removed[~removed.text.isin(lines)].reset_index(drop=True),
    }
    assert_only(out, before, expected)
    assert corpus_texts(out) == corpus_before | {doc_id: corpus_before[doc_id] + "\n\nSecurity Key:\n\nCaptcha refresh"}
    assert applied(out) == ([decision], [])


def test_a_rejected_correction_is_never_applied(out, corpus, ids):
    before, corpus_before = tables(out), corpus_texts(out)
    corrections = before["corrections.parquet"]
    assert sorted(corrections.original) == ["Hosaid", "Hosaid", "denculearization"]
    decision = review(out, "reject-correction", "Hosaid")
    assert run_cli(corpus[0], out) == 0

    articles, paragraphs = before["articles.parquet"].copy(), before["paragraphs.parquet"].copy()
    for table in (articles, paragraphs):
        table["text"] = table.text.str.replace("Ri Yong Ho said", "Ri Yong Hosaid")
        table.loc[table.text.str.contains("Hosaid"), "n_words"] -= 1
    assert set(articles.doc_id[articles.text.str.contains("Hosaid")]) == {ids[SEED_004], ids["wire/copy.txt"]}
    expected = {
        "articles.parquet": articles,
        "paragraphs.parquet": paragraphs,
        "corrections.parquet": corrections[corrections.original != "Hosaid"].reset_index(drop=True),
    }
    assert_only(out, before, expected)
    assert corpus_texts(out) == {
        doc_id: text.replace("Ri Yong Ho said", "Ri Yong Hosaid") for doc_id, text in corpus_before.items()
    }
    assert applied(out) == ([decision], [])


def test_an_accepted_correction_is_applied_everywhere(out, corpus, ids):
    before, corpus_before = tables(out), corpus_texts(out)
    paragraphs = before["paragraphs.parquet"]
    seed = paragraph(paragraphs, ids[SEED_004], "But in a rare late-night press briefing")
    assert paragraphs.text.str.contains("late night").sum() == 1, "the wire copy prints it as two words"
    decision = review(out, "accept-correction", "late-night", "late night")
    assert run_cli(corpus[0], out) == 0

    articles, paragraphs = before["articles.parquet"].copy(), paragraphs.copy()
    for table in (articles, paragraphs):
        table["text"] = table.text.str.replace("late-night", "late night")
    corrections = before["corrections.parquet"]
    as_read = seed.text.replace("Ho said", "Hosaid")  # the paragraph when its words were judged
    start = as_read.index("late-night")
    context = as_read[max(0, start - 30) : start + len("late-night") + 30]
    accepted = pd.DataFrame(
        [[seed.doc_id, seed.para_idx, "late-night", "late night", "review:accepted", 1.0, context]],
        columns=corrections.columns,
    ).astype(corrections.dtypes)
    at = corrections.index[corrections.doc_id == seed.doc_id][0]  # before "Hosaid", later in the paragraph
    expected = {
        "articles.parquet": articles,
        "paragraphs.parquet": paragraphs,
        "corrections.parquet": pd.concat([corrections[:at], accepted, corrections[at:]], ignore_index=True),
    }
    assert_only(out, before, expected)
    assert corpus_texts(out) == {doc: text.replace("late-night", "late night") for doc, text in corpus_before.items()}
    assert applied(out) == ([decision], [])


def fingerprints_by_cluster(out: Path) -> list[set[str]]:
    """The paragraph fingerprints each cluster of `out` holds."""
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    paragraphs["fingerprint"] = paragraphs.text.map(paragraph_fingerprint)
    return [set(group) for _, group in paragraphs.groupby("cluster_id").fingerprint]


def test_decisions_hold_through_an_incremental_run_and_a_rebuild(out, corpus, ids, tmp_path):
    raw = Path(shutil.copytree(corpus[0], tmp_path / "raw"))
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    nytimes = paragraph(paragraphs, ids[SEED_000], "The two countries do not have")
    copy = paragraph(paragraphs, ids["daily/copy.txt"], "The two countries do not have")
    decisions = {
        review(out, "split", pid(nytimes), pid(copy)),
        review(out, "keep-line", line_fingerprint("• Breaking News")),
        review(out, "reject-correction", "Hosaid"),
    }
    apart = {paragraph_fingerprint(nytimes.text), paragraph_fingerprint(copy.text)}
    (raw / "agency").mkdir()  # two more outlets: a copy of seed 001 and another of the reworded seed 000
    shutil.copy(raw / SEED_001, raw / "agency" / "copy.txt")
    (raw / "press").mkdir()
    shutil.copy(raw / "daily" / "copy.txt", raw / "press" / "copy.txt")
    assert run_cli(raw, out) == 0
    assert (manifest(out)["inputs_read"], manifest(out)["inputs_reused"]) == (2, 5)

    rebuilt = tmp_path / "rebuilt"
    assert run_cli(raw, rebuilt, "--overrides", str(out / "overrides.toml")) == 0
    assert run_cli(raw, out, "--force") == 0
    for folder in (out, rebuilt):
        assert set(applied(folder)[0]) == decisions and applied(folder)[1] == []
        assert not any(apart <= cluster for cluster in fingerprints_by_cluster(folder)), "a split pair shares a cluster"
        articles = pd.read_parquet(folder / "articles.parquet").set_index("source_path")
        assert articles.loc[[SEED_001, "agency/copy.txt"], "text"].str.startswith("• Breaking News\n\n").all()
        assert "Hosaid" not in set(pd.read_parquet(folder / "corrections.parquet").original)
    for name, table in tables(out).items():
        pd.testing.assert_frame_equal(table, tables(rebuilt)[name], obj=name)


def test_a_decision_that_names_nothing_any_more_is_listed(out, corpus, ids, tmp_path, capsys):
    raw = Path(shutil.copytree(corpus[0], tmp_path / "raw"))
    decision = review(out, "keep-line", "1.2k")  # the wire copy's share counter, named by its text
    (raw / "wire" / "copy.txt").unlink()
    assert run_cli(raw, out) == 0
    assert applied(out) == ([], [decision])
    assert "overrides            0  applied (1 matched nothing" in capsys.readouterr().out
    report = (out / "report.html").read_text(encoding="utf-8")
    unmatched = report.split('id="overrides-unmatched"', 1)[1].split("</table>", 1)[0]
    assert decision in unmatched and "1.2k" in unmatched
    assert main(["review", "list", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"unmatched {decision}")


def test_a_newer_decision_replaces_the_one_it_contradicts(out, ids):
    paragraphs = pd.read_parquet(out / "paragraphs.parquet")
    nytimes = paragraph(paragraphs, ids[SEED_000], "The two countries do not have")
    copy = paragraph(paragraphs, ids["daily/copy.txt"], "The two countries do not have")
    review(out, "split", pid(nytimes), pid(copy))
    merge = review(out, "merge", pid(copy), pid(nytimes))
    review(out, "prefer", pid(copy))
    prefer = review(out, "prefer", pid(nytimes))  # the same cluster: one canonical choice
    review(out, "reject-correction", "Hosaid")
    accept = review(out, "accept-correction", "Hosaid", "Ho said")
    recorded = read_overrides(out / "overrides.toml")
    assert [decision.id for decision in recorded] == [merge, prefer, accept]


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["split", "ab3ae8cc6d4ddad4-0", "89cc19a73ea30373-0"], "cannot tell them apart"),
        (["keep-line", "Source : Nytimes"], "lifted into the article's fields (metadata:source)"),
        (["keep-line", "a line no rule removed"], "no line removed"),
        (["keep-line", "--pattern", "(unclosed"], "bad regex"),
        (["prefer", "the best one"], "neither a paragraph id"),
        (["accept-correction", "Kim Jong-un", "Kim Jong Un"], "is not one word"),
        (["drop", "split-00000000"], "no decision split-00000000"),
    ],
)
def test_review_refuses_what_it_cannot_act_on(out, ids, capsys, arguments, complaint):
    assert ids[SEED_004] == "ab3ae8cc6d4ddad4" and ids["wire/copy.txt"] == "89cc19a73ea30373"
    assert main(["review", *arguments, "--out", str(out)]) == 2
    assert complaint in capsys.readouterr().err
    assert not (out / "overrides.toml").exists()


def test_a_bad_overrides_file_stops_the_run_before_it_starts(out, corpus, capsys):
    (out / "overrides.toml").write_text("[[split]]\nparagraph = 'a'\n", encoding="utf-8")
    published = (out / "manifest.json").read_bytes()
    assert run_cli(corpus[0], out) == 2
    assert "bad overrides" in capsys.readouterr().err
    assert (out / "manifest.json").read_bytes() == published
