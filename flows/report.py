"""report.html: the dedup report a maintainer reviews in a browser.

All scraped text is escaped by Jinja's autoescape; the page's only script is our own filter box,
allowed by hash in a Content-Security-Policy, so nothing from an article can run.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from dedup.deduplicate import DedupResult
from dedup.records import ParagraphRecord
from flows.records import Document

MAX_CLUSTERS = 1000

FILTER_SCRIPT = """
document.getElementById('filter').addEventListener('input', function (event) {
  var needle = event.target.value.toLowerCase();
  var shown = 0;
  document.querySelectorAll('.cluster').forEach(function (cluster) {
    var match = cluster.textContent.toLowerCase().indexOf(needle) !== -1;
    cluster.hidden = !match;
    if (match) { shown += 1; }
  });
  document.getElementById('shown').textContent = shown;
});
""".strip()


@dataclass(frozen=True)
class DiffSegment:
    """A run of words that the member shares with the canonical paragraph, lacks, or adds."""

    kind: str
    text: str


def word_diff(canonical: str, member: str) -> list[DiffSegment]:
    """Word-level diff of a member against its canonical paragraph."""
    old, new = canonical.split(), member.split()
    segments = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(DiffSegment("same", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            segments.append(DiffSegment("del", " ".join(old[i1:i2])))
        if j2 > j1:
            segments.append(DiffSegment("ins", " ".join(new[j1:j2])))
    return segments


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def cluster_views(documents: Sequence[Document], records: Sequence[ParagraphRecord], dedup: DedupResult) -> list[dict]:
    """Clusters with more than one member, largest and closest first, each with its members' diffs."""
    by_doc = {document.doc_id: document for document in documents}
    members_by_cluster: dict[str, list[int]] = defaultdict(list)
    for position, membership in enumerate(dedup.memberships):
        members_by_cluster[membership.cluster_id].append(position)
    views = []
    for cluster_id, positions in members_by_cluster.items():
        if len(positions) < 2:
            continue
        canonical = next(p for p in positions if dedup.memberships[p].is_canonical)
        others = [p for p in positions if p != canonical]

        def describe(position: int) -> dict:
            record = records[position]
            meta = by_doc[record.doc_id].metadata
            membership = dedup.memberships[position]
            return {
                "doc_id": record.doc_id,
                "para_idx": record.para_idx,
                "source_path": by_doc[record.doc_id].source_path,
                "title": meta.title,
                "source": meta.source,
                "published": meta.published,
                "text": record.text,
                "match": membership.match,
                "jaccard": membership.jaccard,
                "containment": membership.containment,
            }

        canonical_view = describe(canonical)
        member_views = [
            describe(p) | {"diff": word_diff(records[canonical].text, records[p].text)} for p in sorted(others)
        ]
        mean_jaccard = sum(view["jaccard"] for view in member_views) / len(member_views)
        views.append(
            {
                "id": cluster_id,
                "size": len(positions),
                "score": round(mean_jaccard, 3),
                "canonical": canonical_view,
                "members": member_views,
            }
        )
    views.sort(key=lambda view: (-view["size"], -view["score"], view["id"]))
    return views


def render_report(
    documents: Sequence[Document],
    clusters: list[dict],
    dedup: DedupResult,
    summary: dict[str, object],
    rejected: Sequence[dict],
) -> str:
    """Render the whole report page from the documents and their cluster views."""
    by_doc = {document.doc_id: document for document in documents}
    syndication = [
        {
            "doc_id": doc_id,
            "title": by_doc[doc_id].metadata.title,
            "source": by_doc[doc_id].metadata.source,
            "original_id": original,
            "original_title": by_doc[original].metadata.title,
            "original_source": by_doc[original].metadata.source,
            "share": round(dedup.copied_share[doc_id][original], 3),
        }
        for doc_id, original in sorted(dedup.duplicate_of.items())
    ]
    environment = Environment(loader=PackageLoader("flows", "templates"), autoescape=select_autoescape(default=True))
    return environment.get_template("report.html.j2").render(
        summary=summary,
        clusters=clusters[:MAX_CLUSTERS],
        cluster_total=len(clusters),
        syndication=syndication,
        rejected=rejected,
        script=FILTER_SCRIPT,
        script_hash=_script_hash(FILTER_SCRIPT),
    )
