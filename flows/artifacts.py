"""Prefect artifacts of a run: a markdown summary and a table of the clusters with the most copied words, for the UI.

Scraped text only enters as escaped, shortened excerpts, so nothing in an artifact can run.
"""

from __future__ import annotations

import html

from prefect.artifacts import create_markdown_artifact, create_table_artifact

TOP_CLUSTERS = 20
EXCERPT_CHARS = 120


def publish_run_artifacts(counts: dict[str, int], clusters: list[dict], out_dir: str) -> None:
    """Create the summary and top-clusters artifacts of the current flow run."""
    lines = ["# copydesk run", "", f"Output: `{html.escape(out_dir)}`", "", "| figure | count |", "|---|---|"]
    lines += [f"| {name.replace('_', ' ')} | {value:,} |" for name, value in counts.items()]
    create_markdown_artifact("\n".join(lines), key="copydesk-summary", description="Counts of this run")
    rows = [
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
    if rows:
        create_table_artifact(
            rows, key="copydesk-top-clusters", description="Paragraph clusters with the most copied words"
        )
