"""report.html: clusters with their members and diffs, and scraped text that can never run."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import numpy as np
import pyarrow as pa

from cleaners.metadata import ArticleMetadata
from dedup.articles import ArticleLinks, ArticleShares
from dedup.deduplicate import deduplicate
from dedup.records import Memberships, ParagraphIds
from dedup.settings import CanonicalPolicy, DedupSettings
from flows.outputs.report import (
    MAX_SYNDICATION_ROWS,
    PARTIAL_COPY_SHARE,
    SharedClusters,
    _most_copied_first,
    cluster_views,
    containment_views,
    render_report,
    syndication_rows,
    word_diff,
)
from flows.outputs.report_review import RemovedLines
from flows.outputs.schema import REMOVED
from flows.stages.records import Document
from flows.stages.steps import paragraph_records
from tests.cleaned_articles import cleaned_of

HOSTILE = 'Officials said <script>alert("x")</script> the <img src=x onerror="alert(1)"> talks in Hanoi had collapsed.'
PARAGRAPH = (
    "The second meeting between North Korea’s leader Kim Jong-un and US President Donald Trump broke up in disarray."
)
FOLLOWING = "Both sides left Hanoi without signing the joint statement that officials had drafted over the weekend."


def document(doc_id: str, paragraphs: list[str], title: str) -> Document:
    return Document(
        doc_id=doc_id,
        source_path=f"{doc_id}.txt",
        source_item=None,
        format="txt",
        content_hash="0",
        encoding="utf-8",
        metadata=ArticleMetadata(title=title, source="<b>Outlet</b>"),
        paragraphs=paragraphs,
    )


def render(documents: list[Document]) -> str:
    cleaned = cleaned_of(documents)
    records = paragraph_records(cleaned)
    dedup = deduplicate(records, list(cleaned.texts()), DedupSettings(), CanonicalPolicy())
    summary = {"counts": {"articles": len(documents)}, "finished_at": "now", "raw_dir": "raw"}
    clusters = cluster_views(cleaned, records, dedup)
    rejected = [{"source_path": "<x>.txt", "reason": "empty"}]
    return render_report(
        cleaned, clusters, dedup, summary, rejected, containers=containment_views(cleaned, records, dedup)
    )


def test_word_diff_marks_what_differs():
    segments = word_diff("Trump said talks had collapsed", "Trump said the talks collapsed")
    assert [(s.kind, s.text) for s in segments] == [
        ("same", "Trump said"),
        ("ins", "the"),
        ("same", "talks"),
        ("del", "had"),
        ("same", "collapsed"),
    ]


def test_clusters_members_and_diffs_are_shown():
    page = render(
        [document("a", [PARAGRAPH], "Original"), document("b", [PARAGRAPH.replace("disarray", "chaos")], "Copy")]
    )
    assert page.count('class="cluster"') == 1
    assert "<del>disarray.</del>" in page and "<ins>chaos.</ins>" in page
    assert "near duplicate" in page


def test_scraped_markup_is_escaped_everywhere():
    page = render(
        [
            document("a", [HOSTILE], '<script>alert("t")</script>'),
            document("b", [HOSTILE], "Copy <img src=x onerror=alert(2)>"),
        ]
    )
    body_scripts = re.findall(r"<script[^>]*>", page)
    assert body_scripts == ["<script>"], "only the report's own filter script"
    assert "<img" not in page and "&lt;img src=x onerror=" in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Outlet&lt;/b&gt;" in page and "&lt;x&gt;.txt" in page


def test_only_the_reports_own_script_may_run():
    page = render([document("a", [PARAGRAPH], "One")])
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert (
        "default-src 'none'" in policy
        and "script-src 'sha256-" in policy
        and "unsafe-inline" not in policy.split("script-src")[1]
    )


def test_quote_styles_and_case_are_not_differences():
    segments = word_diff("“It was,” he said", '"it was," he said')
    assert [s.kind for s in segments] == ["same"]


def test_a_contained_member_shows_only_its_part_of_the_canonical():
    segments = word_diff("Before text here. The shared part of it. After text here.", "The shared part of it.", True)
    assert [(s.kind, s.text) for s in segments] == [("same", "…"), ("same", "The shared part of it."), ("same", "…")]


def test_a_canonical_that_gave_way_is_named_in_its_cluster():
    documents = [document("old", [PARAGRAPH], "Old <i>title</i>"), document("new", [PARAGRAPH], "New")]
    documents[1].metadata.source = "Reuters"
    cleaned = cleaned_of(documents)
    records = [replace(record, incumbent=record.doc_id == "old") for record in paragraph_records(cleaned)]
    dedup = deduplicate(
        records, list(cleaned.texts()), DedupSettings(), CanonicalPolicy(("source_rank", "incumbent"), ("Reuters",))
    )
    clusters = cluster_views(cleaned, records, dedup)
    assert [view["doc_id"] for view in clusters[0]["replaced"]] == ["old"]
    page = render_report(cleaned, clusters, dedup, {"counts": {}, "finished_at": "now", "raw_dir": "raw"}, [])
    assert "canonical changed" in page and "Old &lt;i&gt;title&lt;/i&gt;" in page


def test_paragraphs_inside_a_merged_one_are_shown_as_containment_not_as_a_cluster():
    page = render(
        [document("a", [PARAGRAPH, FOLLOWING], "Parts"), document("b", [f"{PARAGRAPH} {FOLLOWING}"], "Merge")]
    )
    assert page.count('class="cluster"') == 0, "no two paragraphs are the same paragraph"
    [section] = re.findall(r'<section class="containment" id="container-b-0">.*?</section>', page, re.DOTALL)
    assert section.count('class="member"') == 2 and section.count("left out of the corpus") == 2
    assert "contained 100%" in section and "copydesk review split b-0 a-0" in section
    assert "<del>" not in section, "each part is shown against its own part of the merge"


def test_a_cluster_of_colliding_ids_without_a_member_still_renders():
    cleaned = cleaned_of([document("same", [PARAGRAPH], "First"), document("same", [PARAGRAPH + " Again."], "Second")])
    records = paragraph_records(cleaned)
    dedup = deduplicate(records, list(cleaned.texts()), DedupSettings(), CanonicalPolicy())
    placed = {position: replace(m, is_canonical=True, match="unique") for position, m in enumerate(dedup.memberships)}
    dedup.memberships = Memberships(dedup.memberships.ids, placed)
    [view] = cluster_views(cleaned, records, dedup)
    assert (view["size"], view["score"], view["canonical"]["text"]) == (2, 1.0, PARAGRAPH)
    assert render_report(cleaned, [view], dedup, {"counts": {}, "finished_at": "now", "raw_dir": "raw"}, [])


def test_a_cluster_is_shown_around_the_member_its_id_names_even_when_not_its_first():
    documents = [document("a", [PARAGRAPH, FOLLOWING], "First"), document("b", [FOLLOWING, PARAGRAPH], "Second")]
    cleaned = cleaned_of(documents)
    records = paragraph_records(cleaned)
    assert (
        cleaned.paragraph_ids(np.arange(4)).to_pylist() == list(ParagraphIds(records)) == ["a-0", "a-1", "b-0", "b-1"]
    )
    dedup = deduplicate(records, list(cleaned.texts()), DedupSettings(), CanonicalPolicy())
    named = {0: "b-1", 3: "b-1", 1: "a-1", 2: "a-1"}  # the PARAGRAPH cluster named after its second member
    placed = {p: replace(m, cluster_id=named[p], is_canonical=p in (3, 1)) for p, m in enumerate(dedup.memberships)}
    dedup.memberships = Memberships(dedup.memberships.ids, placed)
    views = {view["id"]: view for view in cluster_views(cleaned, records, dedup)}
    assert views["b-1"]["canonical"]["id"] == "b-1" and [m["id"] for m in views["b-1"]["members"]] == ["a-0"]
    assert views["a-1"]["canonical"]["id"] == "a-1" and [m["id"] for m in views["a-1"]["members"]] == ["b-0"]


def test_removed_lines_are_described_most_frequent_first_with_their_reasons_and_articles():
    rows = [
        ("kcna-1", "Header Ads", "junk_line"),
        ("kcna-1", "Post Top Ad", "junk_line"),
        ("yonhap-2", "Header Ads", "learned_boilerplate"),
        ("yonhap-2", "Header Ads", "junk_line"),
        ("reuters-3", "Captcha refresh", "junk_line"),
        ("reuters-3", "Header Ads", "junk_line"),
        ("reuters-3", "Post Top Ad", "learned_boilerplate"),
    ]
    removed = pa.table(dict(zip(REMOVED.names, map(list, zip(*rows)))), schema=REMOVED)
    # Counted whole, and a slice of articles at a time (an article's rows all in one slice).
    for slices in ([removed], [removed.slice(0, 2), removed.slice(2, 2), removed.slice(4)]):
        lines = RemovedLines()
        for rows_of_articles in slices:
            lines.add(rows_of_articles)
        assert lines.rows == 7
        assert [(row["text"], row["count"], row["articles"], row["reasons"]) for row in lines.described()] == [
            ("Header Ads", 4, 3, ["junk_line", "learned_boilerplate"]),
            ("Post Top Ad", 2, 2, ["junk_line", "learned_boilerplate"]),
            ("Captcha refresh", 1, 1, ["junk_line"]),
        ]


def test_syndication_rows_are_the_first_of_every_pair_sorted_by_rounded_share():
    """More pairs than the report shows, their shares on and around the boundaries of rounding to three places: the
    rows found by array are the first of all the pairs sorted as the report sorts them (whole copies first, share
    rounded, doc_ids)."""
    randomly = random.Random(23)
    doc_ids = [f"outlet{number:02}" for number in range(60)]
    cleaned = cleaned_of([document(doc_id, [PARAGRAPH], doc_id.title()) for doc_id in doc_ids])
    dedup = deduplicate(paragraph_records(cleaned), list(cleaned.texts()), DedupSettings(), CanonicalPolicy())
    pairs = sorted(randomly.sample([(a, b) for a in range(60) for b in range(60) if a != b], 2000))
    near = [-0.0005, -0.00049999, 0.0, 0.00049999, 0.0005, 0.0015]
    shares = [min(1.0, randomly.choice([0.2, 0.3, 0.9, 0.95, 0.951, 1.0]) + randomly.choice(near)) for _ in pairs]
    article, other = (np.array(numbers) for numbers in zip(*pairs, strict=True))
    original = np.full(60, -1)
    for number in randomly.sample(range(60), 30):
        original[number] = randomly.choice(other[article == number].tolist())
    copies = ArticleShares(pa.array(doc_ids), article, other, np.array(shares))
    shown = syndication_rows(
        cleaned, replace(dedup, copied_share=copies, duplicate_of=ArticleLinks(copies.doc_ids, original))
    )
    expected = sorted(
        (original[a] != b, -round(share, 3), doc_ids[a], doc_ids[b])
        for (a, b), share in zip(pairs, shares, strict=True)
        if share >= PARTIAL_COPY_SHARE
    )[:MAX_SYNDICATION_ROWS]
    assert len(expected) == MAX_SYNDICATION_ROWS and not expected[0][0] and expected[-1][0]  # whole, then partial
    assert [(row["whole"], -row["share"], row["doc_id"], row["original_id"]) for row in shown] == [
        (not partial, share, doc_id, other_id) for partial, share, doc_id, other_id in expected
    ]
    assert shown[0]["title"] == shown[0]["doc_id"].title()


def test_clusters_come_most_copied_words_first_then_largest_then_by_id_as_pythons_sort_orders_them():
    generator = np.random.default_rng(34)
    count = 5_000
    ids = [f"{generator.choice(['a', 'b', 'é', 'z', 'ü', '0'])}{number % 97:x}-{number % 3}" for number in range(count)]
    ids = list(dict.fromkeys(ids))  # a cluster's id is unique
    copied, sizes = generator.integers(0, 6, len(ids)), generator.integers(2, 5, len(ids))
    empty = np.zeros(len(ids))
    shared = SharedClusters(pa.array(ids), sizes, empty, copied, empty, empty, empty)
    expected = sorted(range(len(ids)), key=lambda number: (-copied[number], -sizes[number], ids[number]))
    assert _most_copied_first(shared).tolist() == expected
