"""Prefect artifacts of a run: a markdown summary linking to the report, a table of the clusters that copied the
most words, and a table of each stage's seconds and rows, for the UI.

Scraped text only enters as escaped, shortened excerpts, so nothing in an artifact can run.
"""

from __future__ import annotations

import html
from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

TOP_CLUSTERS = 20
EXCERPT_CHARS = 120


def top_cluster_rows(clusters: list[dict]) -> list[dict]:
    """The report's first TOP_CLUSTERS clusters (most copied words first: a long syndicated paragraph before a
    byline repeated a hundred times), scraped text escaped and shortened."""
    return [
        {
            "cluster": cluster["id"],
            "copies": cluster["size"],
            "copied_words": cluster["copied_words"],
            "mean_jaccard": cluster["score"],
            "canonical_source": html.escape(cluster["canonical"]["source"] or "unknown"),
            "canonical_text": html.escape(cluster["canonical"]["text"][:EXCERPT_CHARS]),
        }
        for cluster in clusters[:TOP_CLUSTERS]
    ]


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


def publish_run_artifacts(counts: dict[str, int], clusters: list[dict], stages: list[dict], out_dir: Path) -> None:
    """Create the summary, top-clusters and stages artifacts of the current flow run."""
    create_markdown_artifact(
        summary_markdown(counts, out_dir), key="copydesk-summary", description="Counts of this run"
    )
    rows = top_cluster_rows(clusters)
    if rows:
        create_table_artifact(
            rows, key="copydesk-top-clusters", description="Paragraph clusters whose copies hold the most words"
        )
    create_table_artifact(
        [{key: value for key, value in stage.items() if key != "phases"} for stage in stages],
        key="copydesk-stages",
        description="Seconds, rows in and rows out of each stage",
    )
