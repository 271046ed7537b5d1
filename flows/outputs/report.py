"""report.html: the dedup report a maintainer reviews in a browser.

All scraped text is escaped by Jinja's autoescape; the page's only script is our own (the filter box and
the buttons that copy a `copydesk review` command), allowed by hash in a Content-Security-Policy, so
nothing from an article can run. Every decision shown (cluster membership, canonical choice, removed line,
correction) carries the exact command that reverses it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from jinja2 import Environment, PackageLoader, select_autoescape

from dedup.deduplicate import DedupResult
from dedup.records import ClusterMembership, ParagraphRecord, PlacedMemberships, paragraph_id
from flows.outputs.report_review import member_commands, override_rows
from flows.outputs.rounding import rounded
from flows.outputs.word_diff import DiffSegment, word_diff
from flows.review.commands import review_command
from flows.review.overrides import NOTHING_REVIEWED, ReviewOutcome
from flows.stages.cleaned import Cleaned

MAX_CLUSTERS = 1000
MAX_SYNDICATION_ROWS = 500
MAX_CHART_SOURCES = 15
# Article pairs sharing at least this share of one article's words are listed as (partial) copies.
PARTIAL_COPY_SHARE = 0.3
# Word-diffs a member against its canonical paragraph, windowed or not (word_diff, or a DiffRecall of stored diffs).
Differ = Callable[[str, str, bool], list[DiffSegment]]

PAGE_SCRIPT = """
document.getElementById('filter').addEventListener('input', function (event) {
  var needle = event.target.value.toLowerCase();
  var shown = 0;
  document.querySelectorAll('.cluster').forEach(function (cluster) {
    var text = Array.prototype.map.call(cluster.querySelectorAll('p, .meta'), function (element) {
      return element.textContent;
    }).join(' ');
    var match = text.toLowerCase().indexOf(needle) !== -1;
    cluster.hidden = !match;
    if (match) { shown += 1; }
  });
  document.getElementById('shown').textContent = shown;
});
document.addEventListener('click', function (event) {
  var button = event.target.closest('button.copy');
  if (!button) { return; }
  var command = button.parentNode.querySelector('code');
  function select() {
    window.getSelection().selectAllChildren(command);
    button.textContent = 'selected: copy it';
  }
  if (!navigator.clipboard) { select(); return; }
  navigator.clipboard.writeText(command.textContent).then(function () { button.textContent = 'copied'; }, select);
});
""".strip()


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def describe_paragraph(
    articles: dict[str, dict], record: ParagraphRecord, text: str, membership: ClusterMembership
) -> dict:
    """A paragraph as the report shows it: where it is from (its article's facts, flows/stages/cleaned.py), its text and how
    it matched."""
    article = articles[record.doc_id]
    return {
        "id": paragraph_id(record),
        "doc_id": record.doc_id,
        "para_idx": record.para_idx,
        "preferred": record.preferred,
        "source_path": article["source_path"],
        "title": article["title"],
        "source": article["source"] or article["site"],
        "published": article["published"],
        "text": text,
        "match": membership.match,
        "jaccard": membership.jaccard,
        "containment": membership.containment,
        "contained_in": membership.contained_in,
    }


def cluster_views(
    cleaned: Cleaned,
    records: Sequence[ParagraphRecord],
    dedup: DedupResult,
    out_dir: Path = Path("clean"),
    diff: Differ = word_diff,
) -> list[dict]:
    """Clusters with more than one member, the most copied words (words of the members) first. The first
    MAX_CLUSTERS, the ones the report lists, carry their paragraphs, diffs (made by `diff`) and review commands;
    the rest only their id, size, copied words and score."""
    shared = _shared_clusters(dedup.memberships.placed, cleaned, dedup.word_counts)
    number = _most_copied_first(shared)  # each view's cluster, by the clusters' number
    scores = rounded(shared.jaccard_sums / (shared.sizes - 1), 3)
    views = [
        {"id": cluster_id, "size": size, "copied_words": copied, "score": score}
        for cluster_id, size, copied, score in zip(
            shared.ids.take(pa.array(number, pa.int64())).to_pylist(),
            shared.sizes[number].tolist(),
            shared.copied_words[number].tolist(),
            scores[number].tolist(),
            strict=True,
        )
    ]

    resolved_out = out_dir.resolve()
    texts = cleaned.texts()
    shown = {view["id"]: shared.members(cluster) for view, cluster in zip(views[:MAX_CLUSTERS], number.tolist())}
    by_doc = cleaned.facts({records[p].doc_id for positions in shown.values() for p in positions})
    for view, cluster in zip(views[:MAX_CLUSTERS], number.tolist()):
        canonical = int(shared.centres[cluster])
        others = [p for p in shown[view["id"]] if p != canonical]
        canonical_text = texts[canonical]
        view["canonical"] = describe_paragraph(by_doc, records[canonical], canonical_text, dedup.memberships[canonical])
        view["members"] = [
            describe_paragraph(by_doc, records[p], text, dedup.memberships[p])
            | {"diff": diff(canonical_text, text, False)}
            for p, text in zip(others, map(texts.__getitem__, others))
        ]
        for member in view["members"]:
            member["commands"] = member_commands(resolved_out, view["canonical"], member)
        view["replaced"] = [member for member, p in zip(view["members"], others) if records[p].incumbent]
    return views


def _most_copied_first(shared: SharedClusters) -> np.ndarray:
    """The shared clusters' numbers, the most copied words first, then the largest, then by id."""
    keys = pa.table({"copied": shared.copied_words, "size": shared.sizes, "id": shared.ids})
    order = [("copied", "descending"), ("size", "descending"), ("id", "ascending")]
    return pc.sort_indices(keys, sort_keys=order).to_numpy().astype(np.int64)


# Placed memberships whose cluster ids are compared with their own paragraph ids at a time.
IDS_AT_ONCE = 100_000


@dataclass
class SharedClusters:
    """The clusters of more than one placed paragraph, in the order of their first member: their ids, sizes, centres
    (the member the id names, else the first), the words of their other members, the sums of those members'
    Jaccard (in position order), and each cluster's members' positions (ascending) through `members`."""

    ids: pa.Array
    sizes: np.ndarray
    centres: np.ndarray
    copied_words: np.ndarray
    jaccard_sums: np.ndarray
    positions: np.ndarray
    starts: np.ndarray

    def members(self, cluster: int) -> list[int]:
        """The positions of a cluster's members, ascending."""
        return self.positions[self.starts[cluster] : self.starts[cluster + 1]].tolist()


def _shared_clusters(placed: PlacedMemberships, cleaned: Cleaned, words: np.ndarray) -> SharedClusters:
    """The clusters of more than one member among the placed memberships (of `cleaned`'s paragraphs), by array (no
    object or string a member)."""
    encoded = placed.cluster_ids.dictionary_encode()
    labels = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)  # numbered by first member
    sizes = np.bincount(labels, minlength=len(encoded.dictionary))
    rows = np.flatnonzero(sizes[labels] > 1)
    shared = np.flatnonzero(sizes > 1)
    number = np.full(len(sizes), -1, dtype=np.int64)
    number[shared] = np.arange(len(shared))
    clusters, positions = number[labels[rows]], placed.positions[rows]
    named = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(rows), IDS_AT_ONCE):
        part = rows[start : start + IDS_AT_ONCE]
        own_ids = cleaned.paragraph_ids(placed.positions[part])
        cluster_ids = placed.cluster_ids.take(pa.array(part, pa.int64()))
        named[start : start + len(part)] = pc.equal(cluster_ids, own_ids).to_numpy()
    by_cluster = np.lexsort((np.arange(len(rows)), ~named, clusters))  # a cluster's named member first, if any
    firsts = np.searchsorted(clusters[by_cluster], np.arange(len(shared)))
    centre_rows = by_cluster[firsts]
    others = np.ones(len(rows), dtype=bool)
    others[centre_rows] = False
    in_order = np.argsort(clusters, kind="stable")
    return SharedClusters(
        ids=encoded.dictionary.take(pa.array(shared, pa.int64())),
        sizes=sizes[shared],
        centres=positions[centre_rows],
        copied_words=np.bincount(clusters[others], weights=words[positions[others]], minlength=len(shared)).astype(
            np.int64
        ),
        jaccard_sums=np.bincount(clusters[others], weights=placed.jaccard[rows[others]], minlength=len(shared)),
        positions=positions[in_order],
        starts=np.searchsorted(clusters[in_order], np.arange(len(shared) + 1)),
    )


def containment_views(
    cleaned: Cleaned, records: Sequence[ParagraphRecord], dedup: DedupResult, diff: Differ = word_diff
) -> list[dict]:
    """Paragraphs holding others' text (`contained_in`), those holding the most first: each container with
    the paragraphs inside it, diffed (by `diff`) against their part of it; at most MAX_CLUSTERS."""
    placed = dedup.memberships.placed  # a unique paragraph lies inside none
    counts = pa.Table.from_struct_array(pc.value_counts(placed.contained_in.drop_null()))
    order = pc.sort_indices(counts, [("counts", "descending"), ("values", "ascending")])[:MAX_CLUSTERS]
    containers = counts["values"].take(order).to_pylist()  # only theirs become Python objects
    inside: dict[str, list[int]] = {container: [] for container in containers}
    shown_inside = pc.is_in(placed.contained_in, pa.array(containers, pa.string())).fill_null(False)
    held = placed.contained_in.filter(shown_inside).to_pylist()
    for position, container in zip(placed.positions[shown_inside.to_numpy(zero_copy_only=False)].tolist(), held):
        inside[container].append(position)
    position_of = _positions(cleaned, containers)
    shown = [position for container in containers for position in (position_of[container], *inside[container])]
    by_doc = cleaned.facts({records[position].doc_id for position in shown})
    texts = cleaned.texts()
    views = []
    for container in containers:
        holder = position_of[container]
        holder_text = texts[holder]
        views.append(
            {
                "container": describe_paragraph(by_doc, records[holder], holder_text, dedup.memberships[holder]),
                "inside": [
                    describe_paragraph(by_doc, records[p], text, dedup.memberships[p])
                    | {"share": _share_inside(dedup, p, holder), "diff": diff(holder_text, text, True)}
                    for p, text in zip(inside[container], map(texts.__getitem__, inside[container]))
                ],
            }
        )
    return views


def _positions(cleaned: Cleaned, ids: Collection[str]) -> dict[str, int]:
    """The position of each paragraph named (`paragraph_id`), found from its article's first paragraph, not from
    every paragraph's id (a later article of the same doc_id wins, as a map of every id would have it)."""
    wanted = pa.array(sorted({id_.rpartition("-")[0] for id_ in ids}), pa.string())
    rows = pc.indices_nonzero(pc.is_in(cleaned.articles["doc_id"], wanted))  # only theirs become Python strings
    doc_ids = cleaned.articles["doc_id"].take(rows).to_pylist()
    first = dict(zip(doc_ids, cleaned.first_paragraphs()[rows.to_numpy()].tolist(), strict=True))
    return {id_: first[id_.rpartition("-")[0]] + int(id_.rpartition("-")[2]) for id_ in ids}


def _share_inside(dedup: DedupResult, part: int, container: int) -> float:
    """The share of a paragraph's shingles found in its container."""
    pair = dedup.overlaps[(min(part, container), max(part, container))]
    return pair.a_in_b if part < container else pair.b_in_a


def syndication_rows(cleaned: Cleaned, dedup: DedupResult) -> list[dict]:
    """Which article copies which and how much: whole copies first, then partial ones, largest share (to three
    places) first, then by doc_ids; the rows that may be shown found by array, only they made Python objects."""
    shares = dedup.copied_share
    listed = np.flatnonzero(shares.share >= PARTIAL_COPY_SHARE)
    partial = dedup.duplicate_of.original[shares.article[listed]] != shares.other[listed]
    candidates = _may_be_shown(partial, shares.share[listed])
    pairs = [
        (is_partial, -round(share, 3), doc_id, other)
        for is_partial, (doc_id, other, share) in zip(
            partial[candidates].tolist(), shares.named(listed[candidates]), strict=True
        )
    ]
    shown = sorted(pairs)[:MAX_SYNDICATION_ROWS]
    by_doc = cleaned.facts({doc for _, _, doc_id, other in shown for doc in (doc_id, other)})
    return [
        {
            "doc_id": doc_id,
            "title": by_doc[doc_id]["title"],
            "source": by_doc[doc_id]["source"] or by_doc[doc_id]["site"],
            "original_id": other,
            "original_title": by_doc[other]["title"],
            "original_source": by_doc[other]["source"] or by_doc[other]["site"],
            "share": -share,
            "whole": not partial,
        }
        for partial, share, doc_id, other in shown
    ]


def _may_be_shown(partial: np.ndarray, share: np.ndarray) -> np.ndarray:
    """The rows that may be among the first MAX_SYNDICATION_ROWS by (partial, share rounded to three places,
    descending): those before the last row that fits by exact share, and any whose share may round as high as its
    (a share within 0.001 of it, with room to spare)."""
    if len(share) <= MAX_SYNDICATION_ROWS:
        return np.arange(len(share))
    last = np.lexsort((-share, partial))[MAX_SYNDICATION_ROWS - 1]
    return np.flatnonzero((partial < partial[last]) | ((partial == partial[last]) & (share > share[last] - 0.002)))


def bar_chart(counts: dict[str, float], unit: str = "") -> list[dict]:
    """Rows of a horizontal bar chart: label, value, and bar width in percent of the largest value."""
    largest = max(counts.values(), default=0) or 1
    return [
        {
            "label": label,
            "value": f"{value:,.0f}{unit}" if unit != "%" else f"{value:.1f}%",
            "width": 100 * value / largest,
        }
        for label, value in counts.items()
    ]


def cluster_size_chart(clusters: list[dict]) -> list[dict]:
    """How many clusters have 2, 3, 4, 5 and 6 or more copies."""
    sizes = {label: 0 for label in ("2", "3", "4", "5", "6+")}
    for cluster in clusters:
        sizes["6+" if cluster["size"] >= 6 else str(cluster["size"])] += 1
    return bar_chart(sizes)


def duplicated_share_chart(cleaned: Cleaned, dedup: DedupResult) -> list[dict]:
    """Per source, the share of its paragraphs whose text the corpus keeps elsewhere (a copy of a canonical
    paragraph, or inside a bigger one)."""
    articles = cleaned.articles
    named = [
        pc.and_kleene(pc.is_valid(articles[name]), pc.not_equal(articles[name], "")) for name in ("source", "site")
    ]
    labels = pc.if_else(named[0], articles["source"], pc.if_else(named[1], articles["site"], "unknown source"))
    encoded = labels.combine_chunks().dictionary_encode()  # a source's paragraphs counted by array, not a string each
    sources = encoded.indices.to_numpy(zero_copy_only=False)[cleaned.paragraph_articles()]
    names = encoded.dictionary.to_pylist()
    totals = np.bincount(sources, minlength=len(names)).tolist()
    copies = np.bincount(sources[~dedup.memberships.canonical()], minlength=len(names)).tolist()
    shares = {name: 100 * copied / total for name, copied, total in zip(names, copies, totals) if total}
    top = sorted(shares, key=lambda source: (-shares[source], source))[:MAX_CHART_SOURCES]
    return bar_chart({source: shares[source] for source in top}, "%")


def render_report(
    cleaned: Cleaned,
    clusters: list[dict],
    dedup: DedupResult,
    summary: dict[str, object],
    rejected: Sequence[dict],
    review: ReviewOutcome = NOTHING_REVIEWED,
    out_dir: Path = Path("clean"),
    containers: Sequence[dict] = (),
    removed: Sequence[dict] = (),
    corrections: Sequence[dict] = (),
) -> str:
    """Render the whole report page from the cleaned articles, their cluster and containment views, the removed lines
    and the corrections (`removed_line_rows` and `correction_rows` of removed.parquet's and corrections.parquet's
    tables); its review commands act on out_dir."""
    environment = Environment(
        loader=PackageLoader("flows.outputs", "templates"), autoescape=select_autoescape(default=True)
    )
    return environment.get_template("report.html.j2").render(
        summary=summary,
        clusters=clusters[:MAX_CLUSTERS],
        cluster_total=len(clusters),
        containers=containers,
        syndication=syndication_rows(cleaned, dedup),
        size_chart=cluster_size_chart(clusters),
        source_chart=duplicated_share_chart(cleaned, dedup),
        rejected=rejected,
        removed=removed,
        corrections=corrections,
        overrides=override_rows(review),
        out_dir=out_dir.resolve(),
        command=partial(review_command, out_dir.resolve()),
        script=PAGE_SCRIPT,
        script_hash=_script_hash(PAGE_SCRIPT),
    )
