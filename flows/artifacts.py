"""Prefect artifacts of a run: a markdown summary linking to the report, a table of the clusters that copied the
most words, and a table of each stage's seconds and rows, for the UI.

Scraped text only enters as escaped, shortened excerpts, so nothing in an artifact can run.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from dedup.deduplicate import DedupResult
from dedup.records import ParagraphRecord
from dedup.signatures import count_words

TOP_CLUSTERS = 20
EXCERPT_CHARS = 120


def clusters_by_copied_words(records: Sequence[ParagraphRecord], dedup: DedupResult, limit: int) -> list[dict]:
    """The `limit` clusters whose copies (every member but the canonical one) hold the most words: a long
    syndicated paragraph before a byline repeated a hundred times."""
    words = count_words([record.text for record in records]).tolist()
    members: dict[str, list[int]] = defaultdict(list)
    for position, membership in enumerate(dedup.memberships):
        members[membership.cluster_id].append(position)
    rows = []
    for cluster_id, positions in members.items():
        canonical = next(p for p in positions if dedup.memberships[p].is_canonical)
        copies = [p for p in positions if p != canonical]
        if copies:
            record = records[canonical]
            rows.append(
                {
                    "cluster": cluster_id,
                    "copied_words": sum(words[p] for p in copies),
                    "copies": len(copies),
                    "canonical_source": html.escape(record.source or "unknown"),
                    "canonical_text": html.escape(record.text[:EXCERPT_CHARS]),
                }
            )
    rows.sort(key=lambda row: (-row["copied_words"], row["cluster"]))
    return rows[:limit]


def summary_markdown(counts: dict[str, int], out_dir: Path) -> str:
    """The run's counts, with links to its report and output folder."""
    report = (out_dir.absolute() / "report.html").as_uri()
    lines = [
        "# copydesk run",
        "",
        f"Output: `{html.escape(str(out_dir.absolute()))}`",
        "",
        f"Report: [{html.escape(report)}]({report})",
        "",
        "| figure | count |",
        "|---|---|",
    ]
    lines += [f"| {name.replace('_', ' ')} | {value:,} |" for name, value in counts.items()]
    return "\n".join(lines)


def publish_run_artifacts(
    counts: dict[str, int],
    records: Sequence[ParagraphRecord],
    dedup: DedupResult,
    stages: list[dict],
    out_dir: Path,
) -> None:
    """Create the summary, top-clusters and stages artifacts of the current flow run."""
    create_markdown_artifact(
        summary_markdown(counts, out_dir), key="copydesk-summary", description="Counts of this run"
    )
    rows = clusters_by_copied_words(records, dedup, TOP_CLUSTERS)
    if rows:
        create_table_artifact(
            rows, key="copydesk-top-clusters", description="Paragraph clusters whose copies hold the most words"
        )
    create_table_artifact(stages, key="copydesk-stages", description="Seconds, rows in and rows out of each stage")
