"""Maintainers' overrides where they act, without Prefect: kept lines, reviewed spelling decisions, cluster
constraints and preferred paragraphs, and the overrides file itself."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from cleaners.article import CleanedArticle, finish_article, prepare_article
from cleaners.keep import KeptLines, drop_lines, line_fingerprint
from cleaners.spelling import ACCEPTED_RULE, SpellingDecision, apply_corrections, reviewed_decisions
from dedup.constraints import cluster_constraints
from dedup.deduplicate import cluster_matches, find_matches
from dedup.shingles import paragraph_fingerprint
from dedup.verify import overlap
from flows.review.overrides import Override, OverridesError, load_overrides, read_overrides, write_overrides
from tests.test_dedup import (
    POLICY,
    SETTINGS,
    article,
    by_key,
    clusters,
    merged,
    records_of,
    seed_paragraph,
    shingles,
    straight_quotes,
    texts_of,
)

BREAKING = "• Breaking News"
SUMMIT = seed_paragraph("004", "The Hanoi summit came eight months")
PROGRESS = seed_paragraph("004", "After the meeting, Trump said two days of talks")
ABE = seed_paragraph("001", "In Tokyo, Shinzo Abe")
MOON = seed_paragraph("004", "South Korea’s President Moon Jae-in")
HEADWINDS = seed_paragraph("004", "President Donald Trump embarked on his trip")


def clean(seed: str, config, keep: KeptLines) -> CleanedArticle:
    """A seed article finished with the lines `keep` names kept."""
    return finish_article(prepare_article(seed, config.cleaning), config.cleaning, keep=keep)


def test_a_kept_line_stays_in_the_text_and_is_not_taken_for_the_title(seeds, config):
    seed = seeds["001_fbf9d736c58d5084.txt"]
    before = clean(seed, config, KeptLines())
    assert (BREAKING, "junk:site_furniture") in {(r.text, r.reason) for r in before.removals}
    after = clean(seed, config, KeptLines({line_fingerprint(BREAKING): "keep-line-x"}))
    assert after.paragraphs == [BREAKING, *before.paragraphs]
    assert after.metadata.title == before.metadata.title == "Trump’s Talks With Kim Jong-un Abruptly Ended"
    assert [(s.text, s.reason, s.override) for s in after.spared] == [(BREAKING, "junk:site_furniture", "keep-line-x")]
    assert after.removals == [r for r in before.removals if r.text != BREAKING]


def test_a_kept_pattern_spares_its_lines_from_every_rule_that_would_remove_them(seeds, config):
    seed = seeds["004_956c6de8b9b8fa00.txt"]
    before = clean(seed, config, KeptLines())
    kept_lines = {"Security Key:", "Captcha refresh"}
    assert {r.text for r in before.removals} >= kept_lines
    after = clean(seed, config, KeptLines(patterns=((re.compile(r"^(Security Key:|Captcha refresh)$"), "keep-p"),)))
    assert after.paragraphs[-2:] == ["Security Key:", "Captcha refresh"]
    assert {s.text for s in after.spared} == kept_lines and {s.override for s in after.spared} == {"keep-p"}
    assert {r.text for r in after.removals} == {r.text for r in before.removals} - kept_lines


def test_a_keep_list_that_spares_no_line_drops_the_lines_an_empty_one_drops():
    lines = ["Read more", "", "The minister spoke.", "Share this", "", "Tags: x"]
    reasons = ["junk:read_more", "junk:blank", None, "", None, "junk:tags"]
    sparing_none = KeptLines({line_fingerprint("a line no article holds"): "keep-line-x"})
    assert drop_lines(lines, reasons, KeptLines()) == drop_lines(lines, reasons, sparing_none)
    kept, removals, spared = drop_lines(lines, reasons, KeptLines())
    assert (kept, [removal.text for removal in removals], spared) == (
        ["The minister spoke.", ""],
        ["Read more", "Share this", "Tags: x"],
        [],
    )


def test_reviewed_decisions_drop_rejected_words_and_apply_accepted_ones_everywhere():
    decisions = {
        "Hosaid": SpellingDecision("Ho said", "split:name_runon", 0.7),
        "denculearization": SpellingDecision("denuclearization", "typo:corpus", 0.857),
    }
    reviewed = reviewed_decisions(decisions, {"Hosaid"}, {"late-night": "late night"})
    paragraph = "But in a rare late-night press briefing, Ri Yong Hosaid said talks on denculearization would go on."
    [fixed], corrections = apply_corrections([paragraph], reviewed)
    assert (
        fixed == "But in a rare late night press briefing, Ri Yong Hosaid said talks on denuclearization would go on."
    )
    assert [(c.original, c.rule, c.confidence) for c in corrections] == [
        ("late-night", ACCEPTED_RULE, 1.0),
        ("denculearization", "typo:corpus", 0.857),
    ]


def dedup_with(records, merge=(), split=()):
    """Cluster the records under the given merged and split paragraph texts."""
    fingerprints = [paragraph_fingerprint(record.text) for record in records]
    pairs = [[tuple(map(paragraph_fingerprint, pair)) for pair in decided] for decided in (merge, split)]
    constraints = cluster_constraints(fingerprints, *pairs)
    texts = texts_of(records)
    return cluster_matches(records_of(records), texts, find_matches(texts, SETTINGS), SETTINGS, POLICY, constraints)


def test_a_split_pair_is_never_linked_by_containment_and_the_part_stays_in_the_corpus():
    whole = merged(SUMMIT, PROGRESS)
    records = article("wire", [whole]) + article("site", [SUMMIT, PROGRESS])
    before = dedup_with(records)
    assert [m.contained_in for m in before.memberships] == [None, "wire-0", "wire-0"]
    assert [m.is_canonical for m in before.memberships] == [True, False, False]
    result = dedup_with(records, split=[(whole, SUMMIT)])
    assert [m.contained_in for m in result.memberships] == [None, None, "wire-0"]
    assert [m.is_canonical for m in result.memberships] == [True, True, False]  # not the same text: SUMMIT is kept
    assert by_key(records, result)[("site", 0)].match == "unique"


def test_a_split_pair_never_shares_a_cluster_even_through_a_third_paragraph():
    whole = merged(SUMMIT, PROGRESS)
    records = article("wire", [whole]) + article("site", [SUMMIT, PROGRESS])
    merge = [(whole, SUMMIT), (whole, PROGRESS)]
    together = dedup_with(records, merge=merge)
    assert clusters(records, together) == {"wire-0": {("wire", 0), ("site", 0), ("site", 1)}}
    assert [m.match for m in together.memberships] == ["canonical", "merged", "merged"]
    assert [m.contained_in for m in together.memberships] == [None, None, None]  # one cluster, not containment
    result = dedup_with(records, merge=merge, split=[(SUMMIT, PROGRESS)])
    assert clusters(records, result) == {"wire-0": {("wire", 0), ("site", 0)}, "site-1": {("site", 1)}}
    assert by_key(records, result)[("site", 1)].contained_in == "wire-0"  # still inside the merge, apart from SUMMIT


def test_a_split_pair_is_no_longer_a_match():
    records = article("a", [MOON], source="Reuters") + article(
        "b", [straight_quotes(MOON).replace("Friday", "Thursday")]
    )
    assert clusters(records, dedup_with(records))["a-0"] == {("a", 0), ("b", 0)}
    result = dedup_with(records, split=[(records[0].text, records[1].text)])
    assert result.overlaps == {} and {m.match for m in result.memberships} == {"unique"}


def test_merged_paragraphs_share_one_cluster_with_everything_merged_with_them():
    records = article("a", [ABE], source="Reuters") + article("b", [PROGRESS]) + article("c", [SUMMIT])
    assert len(clusters(records, dedup_with(records))) == 3
    result = dedup_with(records, merge=[(ABE, PROGRESS), (PROGRESS, SUMMIT)])
    assert clusters(records, result) == {"a-0": {("a", 0), ("b", 0), ("c", 0)}}
    membership = by_key(records, result)
    assert membership[("a", 0)].match == "canonical"
    for key, text in [(("b", 0), PROGRESS), (("c", 0), SUMMIT)]:
        measured = overlap(shingles(text), shingles(ABE))  # against the canonical copy, also through a chain
        assert membership[key].match == "merged"
        assert (membership[key].jaccard, membership[key].containment) == (
            round(measured.jaccard, 4),
            round(measured.a_in_b, 4),
        )


def test_a_preferred_paragraph_is_its_clusters_canonical_copy():
    records = article("a", [MOON], source="Reuters") + article("b", [straight_quotes(MOON)], source="Blog")
    assert by_key(records, dedup_with(records))[("a", 0)].is_canonical
    records[1] = replace(records[1], preferred=True)
    membership = by_key(records, dedup_with(records))
    assert membership[("b", 0)].is_canonical and membership[("a", 0)].cluster_id == "b-0"


def test_the_overrides_file_reads_back_what_was_written_and_ids_do_not_depend_on_order(tmp_path: Path):
    path = tmp_path / "overrides.toml"
    decisions = [
        Override("split", ("b" * 16, "a" * 16), ("second ’quoted’ one", 'first "quoted" one'), "ana", "now", "why"),
        Override("keep_pattern", (r"^Security Key:\s*$",)),
        Override("accept_correction", ("late-night", "late night")),
        Override("reject_correction", ("it's",), ("it's → its",)),
    ]
    write_overrides(path, decisions)
    text = path.read_text(encoding="utf-8")
    assert "pattern = '^Security Key:\\s*$'" in text, "a pattern reads as written"
    read = read_overrides(path)
    assert sorted(read, key=by_id) == sorted(decisions, key=by_id) and {d.file for d in read} == {str(path)}
    assert read[0].target == ("a" * 16, "b" * 16) and read[0].excerpts[0] == 'first "quoted" one'
    assert Override("split", ("a" * 16, "b" * 16)).id == read[0].id != Override("merge", ("a" * 16, "b" * 16)).id
    assert load_overrides([path, path]).decisions == tuple(read), "a decision in two files counts once"


def by_id(decision: Override) -> str:
    return decision.id


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[[splitt]]\nparagraph = 'a'\nother = 'b'\n", "no kind of override"),
        ("[[keep_pattern]]\npattern = '(unclosed'\n", "bad regex"),
        ("[[merge]]\nparagraph = 'a'\n", "needs paragraph, other"),
        ("[[prefer]]\nparagraph = 'a'\nsource = 'b'\ncolour = 'red'\n", "unknown keys"),
        ("[[split\n", "Expected"),
    ],
)
def test_a_bad_overrides_file_is_refused_with_its_fault(tmp_path: Path, text: str, complaint: str):
    path = tmp_path / "overrides.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OverridesError, match=complaint):
        read_overrides(path)
